package testutil

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ActionlintVersion is the actionlint Actionlint installs when none is found.
const ActionlintVersion = "v1.7.7"

// Actionlint returns an actionlint binary for linting GitHub workflows: on
// PATH, in GOPATH/bin, or installed with go install (through the Go module
// proxy) into the user cache, where later runs find it. Without one it skips
// (-short never installs), except under CI=true where it fails.
func Actionlint(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("actionlint"); err == nil {
		return p
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "actionlint"); isFile(p) {
			return p
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	gobin := filepath.Join(cache, "vigil-test-tools", "actionlint-"+ActionlintVersion)
	bin := filepath.Join(gobin, "actionlint")
	if isFile(bin) {
		return bin
	}
	if testing.Short() {
		t.Skip("no actionlint on PATH; -short does not install it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/rhysd/actionlint/cmd/actionlint@"+ActionlintVersion)
	cmd.Env = Environ(map[string]string{"GOBIN": gobin, "GOFLAGS": ""})
	if out, err := cmd.CombinedOutput(); err != nil {
		Need(t, "no actionlint, and go install github.com/rhysd/actionlint/cmd/actionlint@"+ActionlintVersion+" failed: "+err.Error()+"\n"+string(out))
	}
	return bin
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
