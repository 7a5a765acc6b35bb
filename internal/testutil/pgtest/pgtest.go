// Package pgtest gives tests a real, throwaway PostgreSQL server.
//
// The first Start in a test binary starts one server for the whole
// package: the machine's own server binaries (initdb and postgres, found
// with FindBinDir), a data directory under the system temporary directory,
// its unix socket in that directory, a free port on 127.0.0.1, trust
// authentication, and fsync, synchronous commit and full-page writes off
// (test data need not survive a crash of the machine; Durable turns them
// back on for a benchmark). Every Start then creates a fresh database on it
// (CREATE DATABASE) and returns its DSN, so tests are isolated from each
// other and may run in parallel.
//
// Stop the server with a TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Main stops it (an immediate shutdown, as pg_ctl stop -m immediate) and
// removes its files when the tests end. Without it the server still stops
// when the test binary exits (it gets SIGQUIT as its parent-death signal),
// and the next Start on the machine removes the files it left.
//
// initdb is slow (seconds on a busy machine), so the first Start on a
// machine keeps a freshly initialised cluster as a template under the
// temporary directory and later servers start from a copy of it.
//
// PostgreSQL refuses to run as root. When the tests run as root, pgtest
// runs initdb and postgres as the "postgres" user (VIGIL_PGTEST_USER names
// another), which Debian's postgresql package creates; its files are owned
// by that user.
//
// VIGIL_TEST_POSTGRES, when set, is the DSN of a server you run yourself
// (a superuser, connected to a maintenance database such as "postgres"):
// pgtest then starts nothing and creates and drops its databases there.
//
// Without server binaries (or, as root, without a user to run them as)
// Start skips the test with a reason, except under CI=true, where it fails
// (see testutil.Need); scripts/install-postgres.sh installs them.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sre/vigil/internal/testutil"
)

// EnvDSN names the variable that points pgtest at an existing server.
const EnvDSN = "VIGIL_TEST_POSTGRES"

// EnvBinDir names the variable that points pgtest at a folder holding
// initdb and postgres.
const EnvBinDir = "VIGIL_PG_BINDIR"

// EnvUser names the variable that names the user pgtest runs the server as
// when the tests run as root (default "postgres").
const EnvUser = "VIGIL_PGTEST_USER"

// startTimeout bounds starting the server (initdb included).
const startTimeout = 2 * time.Minute

var (
	mu     sync.Mutex
	srv    *server
	srvErr error // why the server could not start (sticky)
	skip   bool  // srvErr is a missing prerequisite, not a failure
	dbSeq  atomic.Int64
)

// server is the package's running server, or the external one.
type server struct {
	admin  string // DSN of the maintenance database
	base   string // "postgres://user@host:port/" for new databases
	query  string // DSN query string for new databases
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd exits
	dir    string        // removed by Stop ("" for an external server)
}

// Start returns the DSN of a new, empty database on the test binary's
// PostgreSQL server, starting the server on first use. The database is
// dropped when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	s := get(t)
	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends sessions a test left open (PostgreSQL 13+).
		if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.base + name + s.query
}

// Durable turns the server's durability back on (fsync, synchronous
// commit, full-page writes) until tb ends, for a benchmark that measures
// what a production server costs. It affects every database on the
// server; with VIGIL_TEST_POSTGRES it changes nothing (that server is
// yours) and says so in the log.
func Durable(tb testing.TB) {
	tb.Helper()
	s := get(tb)
	if s.cmd == nil {
		tb.Logf("pgtest: %s is set: durability is that server's own setting", EnvDSN)
		return
	}
	set := func(on bool) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
			stmt := "ALTER SYSTEM RESET " + name
			if on {
				stmt = "ALTER SYSTEM SET " + name + " = on"
			}
			if err := s.exec(ctx, stmt); err != nil {
				return err
			}
		}
		if err := s.exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			return err
		}
		// The reload is asynchronous: wait until new sessions see it.
		want := map[bool]string{true: "on", false: "off"}[on]
		for {
			conn, err := pgx.Connect(ctx, s.admin)
			if err != nil {
				return err
			}
			var got string
			err = conn.QueryRow(ctx, "SHOW fsync").Scan(&got)
			conn.Close(context.Background())
			if err != nil {
				return err
			}
			if got == want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("fsync is still %s after the reload", got)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	if err := set(true); err != nil {
		tb.Fatalf("pgtest: durable: %v", err)
	}
	tb.Cleanup(func() {
		if err := set(false); err != nil {
			tb.Errorf("pgtest: reset durability: %v", err)
		}
	})
}

// Main runs the tests, then stops the server: call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the server (immediate shutdown) and removes its files. It is
// a no-op when no server was started; Start after Stop starts a new one.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		srv.stop()
	}
	srv, srvErr, skip = nil, nil, false
}

func get(t testing.TB) *server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if srv == nil && srvErr == nil {
		srv, srvErr = launch()
		var need *needError
		skip = errors.As(srvErr, &need)
	}
	if srvErr != nil {
		if skip {
			testutil.Need(t, srvErr.Error())
		}
		t.Fatalf("pgtest: %v", srvErr)
	}
	return srv
}

// needError is a missing prerequisite: the test skips (fails under CI).
type needError struct{ msg string }

func (e *needError) Error() string { return e.msg }

func launch() (*server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return external(dsn)
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, &needError{err.Error() + " (run scripts/install-postgres.sh, or set " + EnvDSN + " to a server's DSN)"}
	}
	cred, owner, err := runAs()
	if err != nil {
		return nil, err
	}
	sweep()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tmpl, err := template(ctx, bin, cred)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("vigil-pgtest-%d-", os.Getpid()))
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := copyTree(tmpl, data); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("copy the template cluster: %w", err)
	}
	if err := appendConf(data); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := chownTree(dir, owner); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	// A port picked by listening on :0 may be taken again before postgres
	// binds it: try a few.
	var lastErr error
	for try := 0; try < 3; try++ {
		s, err := startServer(ctx, bin, cred, dir, data)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

// settings are the test server's: speed over durability. They go in
// postgresql.conf rather than on the command line so that ALTER SYSTEM (a
// benchmark measuring durable commits) can override them.
var settings = []string{
	"fsync = off",
	"synchronous_commit = off",
	"full_page_writes = off",
	"max_connections = 300",
	"shared_buffers = 32MB",
	"log_min_messages = warning",
}

func appendConf(data string) error {
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("\n# pgtest\n" + strings.Join(settings, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func external(dsn string) (*server, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s must be a postgres:// URL, got %q", EnvDSN, dsn)
	}
	s := &server{admin: dsn, query: ""}
	if u.RawQuery != "" {
		s.query = "?" + u.RawQuery
	}
	b := *u
	b.Path, b.RawQuery = "/", ""
	s.base = b.String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.exec(ctx, "SELECT 1"); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	return s, nil
}

func startServer(ctx context.Context, bin string, cred *syscall.Credential, dir, data string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+dir,
	)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server stops when this process dies, however it dies: SIGQUIT
	// is PostgreSQL's immediate shutdown.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	exited := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// The parent-death signal follows the thread that started the
		// child: keep that thread alive as long as the child.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &server{
		admin:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		base:   fmt.Sprintf("postgres://postgres@127.0.0.1:%d/", port),
		query:  "?sslmode=disable",
		cmd:    cmd,
		exited: exited,
		dir:    dir,
	}
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := s.exec(pctx, "SELECT 1")
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return nil, fmt.Errorf("postgres exited while starting: %s", strings.TrimSpace(string(log)))
		case <-ctx.Done():
			s.kill()
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return nil, fmt.Errorf("postgres did not accept connections in %v: %v\n%s", startTimeout, err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// kill asks for an immediate shutdown and waits for it.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *server) stop() {
	s.kill()
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// FindBinDir returns the folder holding PostgreSQL's initdb and postgres:
// VIGIL_PG_BINDIR, else the folder of initdb on PATH (symbolic links
// followed), else the newest /usr/lib/postgresql/*/bin (Debian's layout).
func FindBinDir() (string, error) {
	ok := func(dir string) bool {
		return isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "postgres"))
	}
	if d := os.Getenv(EnvBinDir); d != "" {
		if ok(d) {
			return d, nil
		}
		return "", fmt.Errorf("%s=%s holds no initdb and postgres", EnvBinDir, d)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && ok(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if ok(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if ok(d) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb and postgres) on PATH or in /usr/lib/postgresql/*/bin")
}

func version(bindir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(bindir)), 64)
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// runAs returns the credential to run the server with (nil: as this
// process) and the uid/gid that must own its files.
func runAs() (*syscall.Credential, [2]int, error) {
	if os.Geteuid() != 0 {
		return nil, [2]int{-1, -1}, nil
	}
	name := os.Getenv(EnvUser)
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, [2]int{}, &needError{fmt.Sprintf("running as root, where initdb and postgres refuse to run, and there is no %q user to run them as (create one, or set %s)", name, EnvUser)}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == 0 {
		return nil, [2]int{}, &needError{fmt.Sprintf("%s=%s is root; PostgreSQL refuses to run as root", EnvUser, name)}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, [2]int{uid, gid}, nil
}

// template returns a freshly initialised cluster to copy, made once per
// machine (per binaries and owner) under the temporary directory.
func template(ctx context.Context, bin string, cred *syscall.Credential) (string, error) {
	key := bin
	if st, err := os.Stat(filepath.Join(bin, "postgres")); err == nil {
		key += fmt.Sprintf("|%d|%d", st.Size(), st.ModTime().UnixNano())
	}
	if cred != nil {
		key += fmt.Sprintf("|%d", cred.Uid)
	}
	sum := sha256.Sum256([]byte(key))
	final := filepath.Join(os.TempDir(), fmt.Sprintf("vigil-pgtest-template-%d-%s", os.Geteuid(), hex.EncodeToString(sum[:6])))
	if _, err := os.Stat(filepath.Join(final, "PG_VERSION")); err == nil {
		return final, nil
	}
	work, err := os.MkdirTemp("", "vigil-pgtest-initdb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if cred != nil {
		if err := os.Chown(work, int(cred.Uid), int(cred.Gid)); err != nil {
			return "", err
		}
	}
	data := filepath.Join(work, "data")
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// Another test binary may have won the race: either copy will do.
	if err := os.Rename(data, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "PG_VERSION")); serr == nil {
			return final, nil
		}
		return "", fmt.Errorf("keep the template cluster: %w", err)
	}
	return final, nil
}

// sweep removes the files of servers whose test binary died without Stop.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "vigil-pgtest-*-*"))
	for _, d := range dirs {
		rest := strings.TrimPrefix(filepath.Base(d), "vigil-pgtest-")
		pidStr, _, ok := strings.Cut(rest, "-")
		if pidStr == "initdb" {
			// An initdb that died: its work dir is old.
			if st, err := os.Stat(d); err == nil && time.Since(st.ModTime()) > time.Hour {
				_ = os.RemoveAll(d)
			}
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid == os.Getpid() {
			continue // templates ("template-…")
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			// Its server got SIGQUIT when the binary died and removes
			// postmaster.pid as it exits; one still running (or killed
			// outright) is left alone until its process is gone.
			if b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
				first, _, _ := strings.Cut(string(b), "\n")
				if pm, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && !errors.Is(syscall.Kill(pm, 0), syscall.ESRCH) {
					continue
				}
			}
			_ = os.RemoveAll(d)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// dbName makes a database name from a test name: readable, unique in the
// process and within PostgreSQL's 63-byte limit.
func dbName(test string) string {
	n := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(test), "_"), "_")
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	var r [3]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("t%d_%s_%s", dbSeq.Add(1), hex.EncodeToString(r[:]), n)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

func chownTree(dir string, owner [2]int) error {
	if owner[0] < 0 {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, owner[0], owner[1])
	})
}
