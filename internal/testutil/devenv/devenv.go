// Package devenv gives end-to-end tests the blueprint's dev environment
// applied to a sandbox, without paying for the apply in every test.
//
// The first caller in a `go test` run builds a snapshot the way a team
// starts: the vigil binary and the real remediator zip are built from this
// checkout, `vigil init --project vigil` writes a new repository from the
// embedded blueprint (with --project vigil it is blueprint/ file for file,
// so resource names match the blueprint's), and `vigil up --env dev
// --once` applies it — state backend and all four layers, with the real
// terraform and AWS provider — to a sandbox in its own data directory,
// which is then stopped. Every caller gets a
// private copy of that repository and data directory and a sandbox started
// on the copy, so tests may change, break and delete resources freely.
//
// The snapshot lives under the system temporary directory, keyed by a hash
// of blueprint/, go.mod, go.sum, and the remediator's and vigil init's
// sources (what the applied resources are made of), and guarded by a file lock, so test
// binaries of several packages running at once build it once and the
// others wait. A failed build is remembered for the same key, so the other
// packages fail at once with the same output instead of retrying a long
// apply. The key leaves the sandbox's own code out on purpose: a developer
// changing it keeps the snapshot (the sandbox reopens older data
// directories; set VIGIL_DEVENV_REBUILD=1 to build a fresh one). CI builds
// on a fresh machine, so there the snapshot is always this checkout's. The
// vigil binary callers run (Env.Vigil, Env.Command) is always built from
// the checkout, once per test binary.
//
// Without terraform or the provider mirror the caller is skipped (failed
// under CI=true), like every terraform test.
package devenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vigil-sre/vigil/internal/remediate/build"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// EnvName is the environment the snapshot applies.
const EnvName = "dev"

// Env is one test's private copy of the applied dev environment.
type Env struct {
	// Repo is a copy of the repository vigil init wrote, with vigil's state
	// (.vigil: store, terraform data dirs) after the apply.
	Repo string
	// Sandbox runs on a copy of the snapshot's data directory; it stops
	// when the test ends.
	Sandbox *sandboxtest.Sandbox
	// Vigil is the vigil binary built from this checkout (once per test
	// binary).
	Vigil string
	// RemediatorZip is the real remediator Lambda zip the remediation
	// layer was applied with. It stays in the snapshot, not in Repo: the
	// Lambda function's filename is its path, so every copy must pass the
	// same one for a plan to find nothing to change.
	RemediatorZip string
	// UpOutput is what `vigil up --env dev --once` printed (stdout and
	// stderr) when it built the snapshot from a fresh copy of blueprint/.
	UpOutput string
}

// Applied returns a private copy of the applied dev environment with a
// running sandbox. It sets VIGIL_SANDBOX_DATA_DIR (so vigil, in-process or
// not, finds that sandbox), VIGIL_REMEDIATOR_ZIP and clears
// TF_CLI_CONFIG_FILE for the test.
func Applied(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("applies the blueprint's dev environment to a sandbox")
	}
	testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	snap, err := snapshot()
	if err != nil {
		t.Fatalf("devenv: %v", err)
	}
	dir := t.TempDir()
	for _, name := range []string{"repo", "sandbox"} {
		if err := copyTree(filepath.Join(snap, name), filepath.Join(dir, name)); err != nil {
			t.Fatalf("devenv: copy the snapshot: %v", err)
		}
	}
	vigil, err := vigilBinary()
	if err != nil {
		t.Fatalf("devenv: %v", err)
	}
	e := &Env{
		Repo:          filepath.Join(dir, "repo"),
		Vigil:         vigil,
		RemediatorZip: filepath.Join(snap, "build", "remediator.zip"),
	}
	up, err := os.ReadFile(filepath.Join(snap, "up.out"))
	if err != nil {
		t.Fatalf("devenv: %v", err)
	}
	e.UpOutput = string(up)
	_ = os.Remove(filepath.Join(dir, "sandbox", "server.json"))
	e.Sandbox = sandboxtest.StartIn(t, filepath.Join(dir, "sandbox"))
	t.Setenv(target.DataDirEnv, e.Sandbox.Dir)
	t.Setenv("VIGIL_REMEDIATOR_ZIP", e.RemediatorZip)
	t.Setenv("TF_CLI_CONFIG_FILE", "")
	return e
}

// AWSConfig is an aws-sdk-go-v2 config for the environment's sandbox.
func (e *Env) AWSConfig() aws.Config { return e.Sandbox.AWSConfig() }

// Command runs the vigil binary in the repository (-C Repo) with the
// sandbox's data directory in its environment.
func (e *Env) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.Vigil, append([]string{"-C", e.Repo}, args...)...)
	cmd.Env = append(os.Environ(),
		target.DataDirEnv+"="+e.Sandbox.Dir,
		"VIGIL_REMEDIATOR_ZIP="+e.RemediatorZip,
		"TF_CLI_CONFIG_FILE=")
	return cmd
}

// snapshot returns the directory of a complete snapshot for this
// checkout, building it when missing.
func snapshot() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	key, err := sourceKey(root)
	if err != nil {
		return "", err
	}
	base := filepath.Join(os.TempDir(), "vigil-devenv")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	dir := filepath.Join(base, key)
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if os.Getenv("VIGIL_DEVENV_REBUILD") == "1" {
		rebuildOnce.Do(func() {
			_ = os.RemoveAll(dir)
			_ = os.Remove(dir + ".failed")
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir, nil
	}
	if b, err := os.ReadFile(dir + ".failed"); err == nil {
		return "", fmt.Errorf("an earlier build of this snapshot failed (remove %s to retry):\n%s", dir+".failed", b)
	}
	_ = os.RemoveAll(dir)
	if err := build1(root, dir); err != nil {
		_ = os.WriteFile(dir+".failed", []byte(err.Error()), 0o644)
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "complete"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

// build1 builds one snapshot into dir.
func build1(root, dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	repo := filepath.Join(dir, "repo")
	sbDir := filepath.Join(dir, "sandbox")
	if err := os.MkdirAll(sbDir, 0o755); err != nil {
		return err
	}
	bin, err := vigilBinary()
	if err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, bin, "init", repo, "--project", "vigil").CombinedOutput(); err != nil {
		return fmt.Errorf("vigil init %s --project vigil: %w\n%s", repo, err, out)
	}
	zip := filepath.Join(dir, "build", "remediator.zip")
	if err := build.Build(ctx, root, zip); err != nil {
		return err
	}
	var out bytes.Buffer
	up := exec.CommandContext(ctx, bin, "-C", repo, "up", "--env", EnvName, "--once")
	up.Env = append(os.Environ(),
		target.DataDirEnv+"="+sbDir,
		"VIGIL_REMEDIATOR_ZIP="+zip,
		"TF_CLI_CONFIG_FILE=")
	up.Stdout, up.Stderr = &out, &out
	start := time.Now()
	if err := up.Run(); err != nil {
		return fmt.Errorf("vigil up --env %s --once (%s): %w\n%s", EnvName, time.Since(start).Round(time.Second), err, tail(out.String(), 8000))
	}
	if !strings.Contains(out.String(), "applied") {
		return fmt.Errorf("vigil up --env %s --once applied nothing:\n%s", EnvName, tail(out.String(), 8000))
	}
	return os.WriteFile(filepath.Join(dir, "up.out"), out.Bytes(), 0o644)
}

var (
	rebuildOnce sync.Once
	vigilOnce   sync.Once
	vigilPath   string
	vigilErr    error
)

// vigilBinary builds cmd/vigil from the checkout once per test binary.
func vigilBinary() (string, error) {
	vigilOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			vigilErr = err
			return
		}
		dir, err := os.MkdirTemp("", "vigil-devenv-bin-")
		if err != nil {
			vigilErr = err
			return
		}
		vigilPath = filepath.Join(dir, "vigil")
		gb := exec.Command("go", "build", "-o", vigilPath, "./cmd/vigil")
		gb.Dir = root
		if out, err := gb.CombinedOutput(); err != nil {
			vigilErr = fmt.Errorf("go build ./cmd/vigil: %w\n%s", err, out)
		}
	})
	return vigilPath, vigilErr
}

// moduleRoot finds the checkout: the directory holding go.mod above the
// working directory (a test runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// snapshotVersion changes when the snapshot's layout does.
const snapshotVersion = "4"

// sourceKey hashes what the applied resources are made of: blueprint/
// (outside .vigil and .terraform), go.mod, go.sum and the non-test
// sources of the remediator and of vigil init (internal/scaffold).
func sourceKey(root string) (string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".vigil", ".terraform", "node_modules", "testdata":
				if rel != "." {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		slash := filepath.ToSlash(rel)
		inBlueprint := strings.HasPrefix(slash, "blueprint/")
		remediator := (strings.HasPrefix(slash, "internal/remediate/") || strings.HasPrefix(slash, "cmd/vigil-remediator/") ||
			strings.HasPrefix(slash, "internal/scaffold/")) &&
			strings.HasSuffix(slash, ".go") && !strings.HasSuffix(slash, "_test.go")
		if inBlueprint || remediator || rel == "go.mod" || rel == "go.sum" {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintf(h, "devenv %s\x00", snapshotVersion)
	for _, rel := range files {
		f, err := os.Open(filepath.Join(root, rel))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// copyTree copies src to dst (which must not exist) preserving symbolic
// links and modes: terraform's data directories link to the provider
// mirror.
func copyTree(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := exec.Command("cp", "-a", src, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp -a %s %s: %w: %s", src, dst, err, out)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
