package lambda

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Runtime limits.
const (
	// initTimeout bounds a cold start (AWS: 10 s for the init phase).
	initTimeout = 10 * time.Second
	// maxResponse is the largest synchronous response payload (6 MB).
	maxResponse = 6 << 20
	// defaultMaxInstances is how many processes one function version may
	// run at once in the sandbox; more invocations wait for a free one.
	defaultMaxInstances = 4
	// defaultIdleTimeout is how long a warm process is kept unused.
	defaultIdleTimeout = 10 * time.Minute
)

// runnable reports whether the sandbox runs a runtime's code.
func runnable(runtime string) bool {
	return runtime == "provided.al2023" || runtime == "provided.al2" || runtime == "provided"
}

// outcome is how one invocation ended.
type outcome struct {
	Payload       []byte // response, or the error document
	FunctionError string // "" or "Unhandled"
	Log           string // the invocation's log lines (START … REPORT)
	Executed      string // the version that ran
}

// fnError builds the error document Lambda returns for a failure of the
// runtime (not of the handler).
func fnError(errType, format string, args ...any) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": errType, "errorMessage": fmt.Sprintf(format, args...)})
	return b
}

// invocation is one request handed to a process.
type invocation struct {
	id       string
	payload  []byte
	arn      string
	deadline time.Time // real time
	trace    string
	done     chan outcome // buffered 1; the runtime API or the runner sends once
	once     sync.Once
}

func (inv *invocation) finish(o outcome) {
	inv.once.Do(func() { inv.done <- o })
}

// poolKey names one function version's processes.
type poolKey struct{ region, name, version string }

// runner runs function code: a pool of warm processes per function
// version, each served the Lambda Runtime API on its own loopback port.
type runner struct {
	s    *Service
	mu   sync.Mutex
	pool map[poolKey]*pool
	// cacheMu serialises unpacking zips into the code cache.
	cacheMu sync.Mutex
	closed  bool
}

func newRunner(s *Service) *runner { return &runner{s: s, pool: map[poolKey]*pool{}} }

// pool is the processes of one function version with one configuration.
type pool struct {
	r       *runner
	key     poolKey
	cfg     Configuration
	code    code
	max     int
	mu      sync.Mutex
	idle    []*instance
	all     map[*instance]bool // every live process, busy or idle
	count   int
	waiters []chan *instance
	closed  bool
}

// poolFor returns the pool for a resolved function, replacing one whose
// configuration or code changed.
func (r *runner) poolFor(region string, res *resolved) (*pool, error) {
	k := poolKey{region, res.config.FunctionName, res.version}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("the sandbox is shutting down")
	}
	p := r.pool[k]
	if p != nil && (p.cfg.RevisionId != res.config.RevisionId || p.code.Sha256 != res.code.Sha256) {
		go p.close()
		p = nil
	}
	if p == nil {
		max := r.s.rt().MaxInstances
		if res.fn.Concurrency != nil && *res.fn.Concurrency < max {
			max = *res.fn.Concurrency
		}
		p = &pool{r: r, key: k, cfg: res.config, code: res.code, max: max, all: map[*instance]bool{}}
		r.pool[k] = p
	}
	return p, nil
}

// stopFunction stops every process of a function (its code or
// configuration changed, or it was deleted).
func (r *runner) stopFunction(region, name string) {
	r.mu.Lock()
	var stop []*pool
	for k, p := range r.pool {
		if k.region == region && k.name == name {
			stop = append(stop, p)
			delete(r.pool, k)
		}
	}
	r.mu.Unlock()
	for _, p := range stop {
		p.close()
	}
}

// close stops every process and refuses new invocations.
func (r *runner) close() {
	r.mu.Lock()
	r.closed = true
	pools := r.pool
	r.pool = map[poolKey]*pool{}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Add(1)
		go func() { defer wg.Done(); p.close() }()
	}
	wg.Wait()
}

// close stops every process of the pool, busy ones too (their
// invocations fail as if the process had exited).
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.idle = nil
	all := make([]*instance, 0, len(p.all))
	for in := range p.all {
		all = append(all, in)
	}
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	p.mu.Unlock()
	for _, in := range all {
		in.stop()
	}
}

// errBusy is returned when no process became free in time.
var errBusy = errors.New("busy")

// acquire returns an idle process, starts one, or waits for one.
func (p *pool) acquire(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the function changed while the invocation waited; try again")
	}
	for len(p.idle) > 0 {
		in := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if in.alive() {
			p.mu.Unlock()
			in.cancelIdle()
			return in, nil
		}
		p.count--
	}
	if p.max <= 0 {
		p.mu.Unlock()
		return nil, errBusy
	}
	if p.count < p.max {
		p.count++
		p.mu.Unlock()
		in, err := p.start()
		if err != nil {
			p.mu.Lock()
			p.count--
			p.mu.Unlock()
			return nil, err
		}
		return in, nil
	}
	w := make(chan *instance, 1)
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	select {
	case in, ok := <-w:
		if !ok {
			return nil, errors.New("the function changed while the invocation waited; try again")
		}
		if in == nil { // a process died: start a new one in its place
			in, err := p.start()
			if err != nil {
				p.mu.Lock()
				p.count--
				p.mu.Unlock()
			}
			return in, err
		}
		return in, nil
	case <-ctx.Done():
		p.mu.Lock()
		for i, x := range p.waiters {
			if x == w {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		// A process may have been handed over meanwhile.
		select {
		case in, ok := <-w:
			if ok {
				p.release(in)
			}
		default:
		}
		return nil, errBusy
	}
}

// release returns a process to the pool (nil or dead: its slot is freed).
func (p *pool) release(in *instance) {
	p.mu.Lock()
	if in != nil && !in.alive() {
		in = nil
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w <- in // nil: the waiter starts a new process in this slot
		return
	}
	if in == nil {
		p.count--
		p.mu.Unlock()
		return
	}
	if p.closed {
		p.mu.Unlock()
		in.stop()
		return
	}
	p.idle = append(p.idle, in)
	p.mu.Unlock()
	in.idleAfter(p.r.s.rt().IdleTimeout, func() {
		p.mu.Lock()
		for i, x := range p.idle {
			if x == in {
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				p.count--
				p.mu.Unlock()
				in.stop()
				return
			}
		}
		p.mu.Unlock()
	})
}

// instance is one running bootstrap process.
type instance struct {
	pool     *pool
	cmd      *exec.Cmd
	ln       net.Listener
	srv      *http.Server
	stream   string
	next     chan *invocation
	exited   chan struct{}
	exitErr  error
	out      *output
	started  time.Time
	initDone time.Duration

	mu        sync.Mutex
	cur       *invocation
	initErr   []byte
	ready     bool
	idleTimer *time.Timer
	stopping  bool
}

func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	default:
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return !in.stopping
}

func (in *instance) idleAfter(d time.Duration, f func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.idleTimer != nil {
		in.idleTimer.Stop()
	}
	in.idleTimer = time.AfterFunc(d, f)
}

func (in *instance) cancelIdle() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.idleTimer != nil {
		in.idleTimer.Stop()
		in.idleTimer = nil
	}
}

// stop kills the process and its runtime API server.
func (in *instance) stop() {
	in.mu.Lock()
	in.stopping = true
	if in.idleTimer != nil {
		in.idleTimer.Stop()
	}
	in.mu.Unlock()
	if in.cmd.Process != nil {
		// The process group: bootstrap may have started children.
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-in.exited
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = in.srv.Shutdown(ctx)
	in.out.flush(in.pool.r.s, in.pool.cfg, in.stream)
}

// codeDir unpacks a function's zip into the code cache (one directory per
// CodeSha256) and returns the directory.
func (r *runner) codeDir(cd code) (string, error) {
	sum, err := base64.StdEncoding.DecodeString(cd.Sha256)
	if err != nil {
		return "", fmt.Errorf("bad CodeSha256 %q", cd.Sha256)
	}
	root := r.s.rt().CodeDir
	dir := filepath.Join(root, hex.EncodeToString(sum))
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, ".unpack-")
	if err != nil {
		return "", err
	}
	if err := r.unzip(cd.Blob, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	return dir, nil
}

func (r *runner) unzip(blob, dst string) error {
	f, err := r.s.env.State.OpenBlob(blob)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		name := filepath.FromSlash(zf.Name)
		if filepath.IsAbs(name) || !filepath.IsLocal(name) {
			return fmt.Errorf("zip entry %q leaves the package", zf.Name)
		}
		path := filepath.Join(dst, name)
		if zf.FileInfo().IsDir() {
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o755) // no Unix modes recorded: executable, as a packager would mean
		if zf.CreatorVersion>>8 == 3 /* Unix */ {
			mode = zf.Mode().Perm()
		}
		if zf.Mode()&os.ModeSymlink != 0 {
			continue // symlinks are not followed in the sandbox
		}
		rc, err := zf.Open()
		if err != nil {
			return err
		}
		w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(w, io.LimitReader(rc, maxUnzipped))
		rc.Close()
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// startError is a cold start that failed before the process ran: the
// invocation fails with the runtime's error document.
type startError struct {
	errType string
	msg     string
}

func (e *startError) Error() string { return e.errType + ": " + e.msg }

// start unpacks the code and starts a bootstrap process.
func (p *pool) start() (*instance, error) {
	s := p.r.s
	rt := s.rt()
	dir, err := p.r.codeDir(p.code)
	if err != nil {
		return nil, fmt.Errorf("unpack the function's code: %w", err)
	}
	boot := filepath.Join(dir, "bootstrap")
	st, err := os.Stat(boot)
	if err != nil || st.IsDir() {
		return nil, &startError{"Runtime.InvalidEntrypoint", "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"}
	}
	if st.Mode().Perm()&0o111 == 0 {
		return nil, &startError{"Runtime.InvalidEntrypoint", "fork/exec /var/task/bootstrap: permission denied"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var rb [16]byte
	_, _ = rand.Read(rb[:])
	in := &instance{
		pool: p, ln: ln, next: make(chan *invocation), exited: make(chan struct{}),
		stream:  now.Format("2006/01/02") + "/[" + p.cfg.Version + "]" + hex.EncodeToString(rb[:]),
		started: time.Now(),
	}
	in.out = &output{now: s.now}
	in.srv = &http.Server{Handler: in.runtimeAPI(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.logger().Handler(), slog.LevelDebug)}
	go func() { _ = in.srv.Serve(ln) }()

	cfg := p.cfg
	group := "/aws/lambda/" + cfg.FunctionName
	if cfg.LoggingConfig != nil && cfg.LoggingConfig.LogGroup != "" {
		group = cfg.LoggingConfig.LogGroup
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=en_US.UTF-8", "TZ=:UTC", "HOME=" + dir}
	if cfg.Environment != nil {
		for k, v := range cfg.Environment.Variables {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"_HANDLER="+cfg.Handler,
		"AWS_LAMBDA_FUNCTION_NAME="+cfg.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION="+cfg.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(cfg.MemorySize),
		"AWS_LAMBDA_LOG_GROUP_NAME="+group,
		"AWS_LAMBDA_LOG_STREAM_NAME="+in.stream,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION="+p.key.region,
		"AWS_DEFAULT_REGION="+p.key.region,
		"LAMBDA_TASK_ROOT="+dir,
		"LAMBDA_RUNTIME_DIR="+dir,
		"AWS_ACCESS_KEY_ID="+rt.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+rt.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	if rt.EndpointURL != "" {
		env = append(env, "AWS_ENDPOINT_URL="+rt.EndpointURL)
	}
	cmd := exec.Command(boot)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		_ = in.srv.Close()
		return nil, err
	}
	in.out.pipe = pr
	cmd.Stdout, cmd.Stderr = pw, pw
	in.cmd = cmd
	if err := cmd.Start(); err != nil {
		_ = in.srv.Close()
		_ = pr.Close()
		_ = pw.Close()
		return nil, &startError{"Runtime.InvalidEntrypoint", err.Error()}
	}
	_ = pw.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(in.out, pr)
	}()
	p.mu.Lock()
	p.all[in] = true
	p.mu.Unlock()
	go func() {
		defer func() {
			p.mu.Lock()
			delete(p.all, in)
			p.mu.Unlock()
		}()
		err := cmd.Wait()
		select {
		case <-copied:
		case <-time.After(time.Second):
			// Children still hold the pipe: stop the whole group.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = pr.Close()
			<-copied
		}
		_ = pr.Close()
		in.exitErr = err
		close(in.exited)
	}()
	return in, nil
}

// invoke runs one invocation on the process. The process is dead
// afterwards when the invocation timed out or the process exited.
func (in *instance) invoke(ctx context.Context, inv *invocation, timeout time.Duration) outcome {
	s := in.pool.r.s
	cfg := in.pool.cfg
	in.out.line(s.now(), fmt.Sprintf("START RequestId: %s Version: %s", inv.id, cfg.Version))
	cold := !in.isReady()
	initTimer := time.NewTimer(initTimeout)
	defer initTimer.Stop()
	// Hand the invocation to the process's next GET /next.
	handed := false
	var o outcome
	for !handed {
		inv.deadline = time.Now().Add(timeout)
		select {
		case in.next <- inv:
			handed = true
		case <-in.exited:
			o = outcome{FunctionError: "Unhandled", Payload: in.exitDocument(inv.id)}
			handed = true
		case <-initTimer.C:
			in.kill()
			o = outcome{FunctionError: "Unhandled", Payload: fnError("Runtime.InitTimeout", "RequestId: %s Error: the runtime did not ask for the invocation within %s", inv.id, initTimeout)}
			handed = true
		case <-ctx.Done():
			in.kill()
			o = outcome{FunctionError: "Unhandled", Payload: fnError("Sandbox.Cancelled", "RequestId: %s Error: the invocation was cancelled: %v", inv.id, ctx.Err())}
			handed = true
		}
	}
	var initDur time.Duration
	if cold {
		initDur = time.Since(in.started)
	}
	runStart := time.Now()
	if o.Payload == nil {
		t := time.NewTimer(timeout)
		select {
		case o = <-inv.done:
		case <-t.C:
			in.kill()
			in.out.line(s.now(), fmt.Sprintf("%s %s Task timed out after %.2f seconds", s.now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, timeout.Seconds()))
			o = outcome{FunctionError: "Unhandled", Payload: fnError("Sandbox.Timedout", "RequestId: %s Error: Task timed out after %.2f seconds", inv.id, timeout.Seconds())}
		case <-in.exited:
			// The response may have raced the exit.
			select {
			case o = <-inv.done:
			default:
				o = outcome{FunctionError: "Unhandled", Payload: in.exitDocument(inv.id)}
			}
		case <-ctx.Done():
			in.kill()
			o = outcome{FunctionError: "Unhandled", Payload: fnError("Sandbox.Cancelled", "RequestId: %s Error: the invocation was cancelled: %v", inv.id, ctx.Err())}
		}
		t.Stop()
	}
	dur := time.Since(runStart)
	mem := in.maxMemoryMB()
	in.out.drain()
	now := s.now()
	in.out.line(now, "END RequestId: "+inv.id)
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		inv.id, float64(dur.Microseconds())/1000, billed(dur), cfg.MemorySize, mem)
	if cold {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", float64(initDur.Microseconds())/1000)
	}
	if o.FunctionError != "" && !in.alive() {
		var doc struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(o.Payload, &doc)
		if doc.ErrorType != "" {
			report += "\tStatus: error\tError Type: " + doc.ErrorType
		}
	}
	in.out.line(now, report)
	o.Log = in.out.flush(s, cfg, in.stream)
	o.Executed = cfg.Version
	return o
}

// billed rounds a duration up to whole milliseconds, as Lambda bills.
func billed(d time.Duration) int64 {
	ms := d.Milliseconds()
	if time.Duration(ms)*time.Millisecond < d {
		ms++
	}
	return max(ms, 1)
}

func (in *instance) isReady() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ready
}

func (in *instance) kill() {
	in.mu.Lock()
	in.stopping = true
	in.mu.Unlock()
	if in.cmd.Process != nil {
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	}
	select {
	case <-in.exited:
	case <-time.After(5 * time.Second):
	}
}

// exitDocument is the error of an invocation whose process exited (or
// reported an initialisation error).
func (in *instance) exitDocument(id string) []byte {
	in.mu.Lock()
	initErr := in.initErr
	in.mu.Unlock()
	if initErr != nil {
		return initErr
	}
	msg := "Runtime exited without providing a reason"
	if in.exitErr != nil {
		msg = "Runtime exited with error: " + in.exitErr.Error()
	}
	return fnError("Runtime.ExitError", "RequestId: %s Error: %s", id, msg)
}

// maxMemoryMB is the process's peak resident memory (VmHWM), in MB.
func (in *instance) maxMemoryMB() int {
	if in.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", in.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return (kb + 1023) / 1024
		}
	}
	return 0
}

// runtimeAPI serves the Lambda Runtime API (2018-06-01) to one process.
func (in *instance) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.serveNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.serveResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.serveError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.serveInitError)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "InvalidRequest", "the vigil sandbox's Lambda Runtime API has no "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func apiError(w http.ResponseWriter, code int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": errType, "errorMessage": msg})
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (in *instance) serveNext(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	in.ready = true
	in.cur = nil
	in.mu.Unlock()
	select {
	case inv := <-in.next:
		in.mu.Lock()
		in.cur = inv
		in.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
		h.Set("Lambda-Runtime-Trace-Id", inv.trace)
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// current returns the invocation a response names, if it is the one in
// progress.
func (in *instance) current(w http.ResponseWriter, r *http.Request) *invocation {
	in.mu.Lock()
	inv := in.cur
	in.mu.Unlock()
	if inv == nil || inv.id != r.PathValue("id") {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress has request id "+r.PathValue("id"))
		return nil
	}
	return inv
}

func (in *instance) serveResponse(w http.ResponseWriter, r *http.Request) {
	inv := in.current(w, r)
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	in.mu.Lock()
	in.cur = nil
	in.mu.Unlock()
	if len(body) > maxResponse {
		inv.finish(outcome{FunctionError: "Unhandled", Payload: fnError("Function.ResponseSizeTooLarge",
			"Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponse)})
		apiError(w, http.StatusRequestEntityTooLarge, "Function.ResponseSizeTooLarge", "response too large")
		return
	}
	inv.finish(outcome{Payload: body})
	accepted(w)
}

func (in *instance) serveError(w http.ResponseWriter, r *http.Request) {
	inv := in.current(w, r)
	if inv == nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	in.mu.Lock()
	in.cur = nil
	in.mu.Unlock()
	if !json.Valid(body) || len(body) == 0 {
		t := r.Header.Get("Lambda-Runtime-Function-Error-Type")
		if t == "" {
			t = "Unhandled"
		}
		body = fnError(t, "%s", strings.TrimSpace(string(body)))
	}
	inv.finish(outcome{FunctionError: "Unhandled", Payload: body})
	accepted(w)
}

func (in *instance) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	if !json.Valid(body) || len(body) == 0 {
		body = fnError("Runtime.InitError", "%s", strings.TrimSpace(string(body)))
	}
	in.mu.Lock()
	in.initErr = body
	in.mu.Unlock()
	accepted(w)
	// AWS stops the execution environment after an init error.
	go func() {
		time.Sleep(50 * time.Millisecond)
		in.mu.Lock()
		in.stopping = true
		in.mu.Unlock()
		if in.cmd.Process != nil {
			_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
}
