package e2e_test

import (
	"archive/zip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// repoRoot is the module root, found from this file's location.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// tf runs terraform in dir with the sandbox's environment.
type tf struct {
	t   *testing.T
	bin string
	env []string
}

func newTF(t *testing.T, sb *sandboxtest.Sandbox) *tf {
	bin, env := sandboxtest.Terraform(t)
	env = append(env, sb.Env()...)
	return &tf{t: t, bin: bin, env: env}
}

// run runs terraform and returns its exit code and combined output; it
// fails the test on anything but the allowed exit codes.
func (x *tf) run(dir string, allowed []int, args ...string) (int, string) {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, x.bin, append([]string{}, args...)...)
	cmd.Dir = dir
	cmd.Env = x.env
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			x.t.Fatalf("terraform %s in %s: %v", strings.Join(args, " "), dir, err)
		}
		code = ee.ExitCode()
	}
	for _, a := range allowed {
		if a == code {
			return code, string(out)
		}
	}
	x.t.Fatalf("terraform %s in %s exited %d:\n%s", strings.Join(args, " "), dir, code, out)
	return code, string(out)
}

func (x *tf) init(dir string) {
	x.run(dir, []int{0}, "init", "-input=false", "-no-color")
}

func (x *tf) apply(dir string, extra ...string) {
	x.run(dir, []int{0}, append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, extra...)...)
}

// planClean asserts that a plan right after apply has no changes.
func (x *tf) planClean(dir string, extra ...string) {
	x.t.Helper()
	code, out := x.run(dir, []int{0, 2}, append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, extra...)...)
	if code != 0 {
		x.t.Fatalf("plan right after apply in %s shows changes (a perpetual diff):\n%s", dir, out)
	}
}

func (x *tf) destroy(dir string, extra ...string) {
	x.run(dir, []int{0}, append([]string{"destroy", "-auto-approve", "-input=false", "-no-color"}, extra...)...)
}

// writeZip writes a zip holding one executable file named bootstrap.
func writeZip(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// needServices skips (or fails under CI) when the sandbox lacks a service.
func needServices(t *testing.T, sb *sandboxtest.Sandbox, names ...string) {
	t.Helper()
	have := sb.Services()
	for _, n := range names {
		if !have[n] {
			testutil.Need(t, "the sandbox does not serve "+n+" yet")
		}
	}
}
