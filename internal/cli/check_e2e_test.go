package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/testutil"
)

// e2eEnv makes the real Factory hermetic: a private cache, and an HTTPS
// proxy that refuses connections standing in for a machine without network.
func e2eEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("https_proxy", "http://127.0.0.1:1")
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
}

// runVigil runs a command line through the root command, as main does.
func runVigil(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	f, ios := testFactory()
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	code = Exit(ios, cmd.ExecuteContext(context.Background()))
	return code, ios.Out.(fmt.Stringer).String(), ios.ErrOut.(fmt.Stringer).String()
}

func blueprintCopy(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "blueprint")
	if _, err := os.Stat(filepath.Join(src, "vigil.hcl")); err != nil {
		t.Fatalf("no blueprint at %s: %v", src, err)
	}
	dst := t.TempDir()
	testutil.CopyTree(t, src, dst)
	return dst
}

// TestCheckBlueprint: vigil check passes on the blueprint and changes no file.
func TestCheckBlueprint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform on eight stacks")
	}
	testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	e2eEnv(t)
	repo := blueprintCopy(t)
	before := testutil.Snapshot(t, repo)
	code, out, errOut := runVigil(t, "-C", repo, "check")
	if code != 0 {
		t.Fatalf("vigil check = %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "8 stacks checked: 8 ok, 0 with findings.") {
		t.Errorf("stdout:\n%s", out)
	}
	testutil.SameSnapshot(t, before, testutil.Snapshot(t, repo))

	// A second run reuses every init and still passes.
	if code, out, errOut := runVigil(t, "-C", repo, "check", "--env", "prod", "--json"); code != 0 || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("second vigil check = %d\n%s\n%s", code, out, errOut)
	}
	testutil.SameSnapshot(t, before, testutil.Snapshot(t, repo))
}

// TestCheckFindings: one badly formatted file and one reference to an
// undeclared resource make check exit 1, naming the file and the
// reference's file:line, and change no file.
func TestCheckFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform")
	}
	testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	e2eEnv(t)
	repo := blueprintCopy(t)

	// Badly formatted: a module file the dev stacks use.
	vars := filepath.Join(repo, "modules", "network", "variables.tf")
	src, err := os.ReadFile(vars)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vars, append(src, []byte("\nvariable   \"badly_formatted\"   {\n    type = string\n  default=\"x\"\n}\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	// An undeclared resource, correctly formatted.
	main := filepath.Join(repo, "live", "dev", "workload", "main.tf")
	src, err = os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Count(string(src), "\n") + 3
	if err := os.WriteFile(main, append(src, []byte("\noutput \"broken\" {\n  value = aws_s3_bucket.nope.id\n}\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	before := testutil.Snapshot(t, repo)

	code, out, errOut := runVigil(t, "-C", repo, "check", "--env", "dev")
	if code != 1 {
		t.Fatalf("vigil check = %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"FAIL  dev/foundation\n      modules/network/variables.tf: not formatted",
		fmt.Sprintf("FAIL  dev/workload\n      live/dev/workload/main.tf:%d:11: error: Reference to undeclared resource", line),
		"4 stacks checked: 2 ok, 2 with findings.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout:\n%s\nwant it to contain:\n%s", out, want)
		}
	}
	testutil.SameSnapshot(t, before, testutil.Snapshot(t, repo))
}

// TestCheckNoMirror: a provider that no mirror has, without network, stops
// check fast with one sentence saying how to point vigil at a mirror.
func TestCheckNoMirror(t *testing.T) {
	testutil.Terraform(t)
	e2eEnv(t)
	repo := t.TempDir()
	files := map[string]string{
		"vigil.hcl":                     "project = \"p\"\n\nenvironment \"dev\" {}\n",
		"live/dev/foundation/main.tf":   "terraform {\n  required_providers {\n    random = {\n      source = \"hashicorp/random\"\n    }\n  }\n}\n",
		"live/dev/workload/main.tf":     "resource \"random_id\" \"x\" {\n  byte_length = 4\n}\n",
		"live/dev/observability/README": "not a stack",
	}
	for name, content := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	code, out, errOut := runVigil(t, "-C", repo, "check")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("check took %s; it must fail fast", d)
	}
	if code != 1 || out != "" {
		t.Fatalf("vigil check = %d, stdout %q", code, out)
	}
	want := "Error: provider registry.terraform.io/hashicorp/random required by live/dev/foundation, live/dev/workload is not in any local provider mirror"
	if !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "set VIGIL_PROVIDER_MIRROR to a folder laid out as <host>/<namespace>/<type>/<version>/<os>_<arch>/") {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", errOut, want)
	}
	if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
		t.Errorf("stderr has %d lines, want one:\n%s", n+1, errOut)
	}
}
