package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/terraform"
)

func TestEnvLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	h := LockHolder{RunID: "r1", Command: "vigil apply", PID: 4242, Host: "ci-3", User: "ana"}
	l, err := AcquireEnvLock(ctx, dir, "dev", h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if held, who := EnvLockState(dir, "dev"); !held || who.RunID != "r1" {
		t.Fatalf("EnvLockState = %v %+v", held, who)
	}
	_, err = AcquireEnvLock(ctx, dir, "dev", LockHolder{Command: "vigil plan"}, 0)
	var le *EnvLockedError
	if !errors.As(err, &le) || le.Holder.PID != 4242 {
		t.Fatalf("second lock: %v", err)
	}
	for _, want := range []string{"environment dev is locked by vigil apply (run r1), pid 4242 on ci-3, user ana", "--lock-timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// Another environment is independent.
	other, err := AcquireEnvLock(ctx, dir, "prod", h, 0)
	if err != nil {
		t.Fatal(err)
	}
	other.Release()

	// A waiter gets the lock once it is released.
	done := make(chan error, 1)
	go func() {
		l2, err := AcquireEnvLock(ctx, dir, "dev", LockHolder{Command: "vigil plan", PID: 7}, 10*time.Second)
		if err == nil {
			l2.Release()
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if held, _ := EnvLockState(dir, "dev"); held {
		t.Fatal("lock still held after release")
	}
	// A short wait that runs out says how long it waited.
	l, _ = AcquireEnvLock(ctx, dir, "dev", h, 0)
	defer l.Release()
	_, err = AcquireEnvLock(ctx, dir, "dev", LockHolder{}, 300*time.Millisecond)
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "waited") {
		t.Fatalf("timed-out wait: %v", err)
	}
}

func TestBindingHash(t *testing.T) {
	t.Parallel()
	src := Source{Commit: "abc", Sources: "sha256:s"}
	stacks := map[string]StackBinding{
		"dev/a": {PlanSHA256: "sha256:p", State: terraform.StateMeta{}, LockFile: "none", Changes: true, Fingerprint: "sha256:f"},
		"dev/b": {PlanSHA256: "sha256:q", State: terraform.StateMeta{Exists: true, Lineage: "L", Serial: 3}, LockFile: "sha256:l"},
	}
	base := bindingHash("dev", src, "sha256:pol", stacks)
	if base != bindingHash("dev", src, "sha256:pol", stacks) {
		t.Fatal("not deterministic")
	}
	mutate := map[string]func() string{
		"env": func() string { return bindingHash("prod", src, "sha256:pol", stacks) },
		"commit": func() string {
			return bindingHash("dev", Source{Commit: "abd", Sources: "sha256:s"}, "sha256:pol", stacks)
		},
		"dirty": func() string {
			return bindingHash("dev", Source{Commit: "abc", Dirty: true, Sources: "sha256:s"}, "sha256:pol", stacks)
		},
		"policy": func() string { return bindingHash("dev", src, "sha256:other", stacks) },
		"plan": func() string {
			return bindingHash("dev", src, "sha256:pol", with(stacks, "dev/a", func(b *StackBinding) { b.PlanSHA256 = "x" }))
		},
		"nostate": func() string {
			return bindingHash("dev", src, "sha256:pol", with(stacks, "dev/a", func(b *StackBinding) { b.State.Exists = true }))
		},
		"serial": func() string {
			return bindingHash("dev", src, "sha256:pol", with(stacks, "dev/b", func(b *StackBinding) { b.State.Serial = 4 }))
		},
		"lock": func() string {
			return bindingHash("dev", src, "sha256:pol", with(stacks, "dev/b", func(b *StackBinding) { b.LockFile = "none" }))
		},
	}
	for name, f := range mutate {
		if f() == base {
			t.Errorf("changing the %s kept the binding", name)
		}
	}
}

func with(m map[string]StackBinding, id string, f func(*StackBinding)) map[string]StackBinding {
	out := map[string]StackBinding{}
	for k, v := range m {
		out[k] = v
	}
	b := out[id]
	f(&b)
	out[id] = b
	return out
}

func TestStateMetaString(t *testing.T) {
	t.Parallel()
	if got := (terraform.StateMeta{}).String(); got != "no state yet" {
		t.Errorf("%q", got)
	}
	if got := (terraform.StateMeta{Exists: true, Lineage: "l", Serial: 2}).String(); got != "lineage l serial 2" {
		t.Errorf("%q", got)
	}
}

func TestBackendConfig(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, s string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("vigil.hcl", `project = "p"
environment "dev" { region = "eu-west-1" }
`)
	write("live/dev/partial/main.tf", "terraform {\n  backend \"s3\" {\n    key = \"custom/key\"\n  }\n}\n")
	write("live/dev/full/main.tf", "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key = \"k\"\n    region = \"r\"\n    encrypt = true\n    use_lockfile = true\n  }\n}\nvariable \"lambda_zip_path\" {}\n")
	write("live/dev/local/main.tf", "resource \"terraform_data\" \"x\" {}\n")
	write(".vigil/bootstrap/dev/outputs.json", `{"bucket":"boot-bucket","lock_table":"boot-table"}`)
	cfg, err := config.Load(filepath.Join(root, "vigil.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(root, ".vigil", "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := New(Params{Config: cfg, Graph: g, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := cfg.Environment("dev")
	flags := func(layer string) []string {
		return p.backendConfig(filepath.Join(root, "live/dev", layer), "dev", layer, env)
	}
	// Without a toolchain the binary version is unknown: the table locks.
	want := "bucket=boot-bucket region=eu-west-1 encrypt=true dynamodb_table=boot-table"
	if got := strings.Join(flags("partial"), " "); got != want {
		t.Errorf("partial backend: %q, want %q", got, want)
	}
	if got := flags("full"); len(got) != 0 {
		t.Errorf("a complete backend block got %v", got)
	}
	if got := flags("local"); len(got) != 0 {
		t.Errorf("no backend block got %v", got)
	}
	if v := declaredVariables(filepath.Join(root, "live/dev/full")); !v["lambda_zip_path"] || len(v) != 1 {
		t.Errorf("declaredVariables = %v", v)
	}
}

func TestNextStep(t *testing.T) {
	t.Parallel()
	appr := config.Environment{Name: "prod", Approval: true}
	dev := config.Environment{Name: "dev"}
	tests := []struct {
		status   string
		env      config.Environment
		approved bool
		want     string
	}{
		{store.RunPlanned, appr, false, "vigil approve r --by NAME, then vigil apply r"},
		{store.RunPlanned, appr, true, "vigil apply r"},
		{store.RunPlanned, dev, false, "vigil apply r"},
		{store.RunFailed, dev, false, "fix what failed, then vigil plan --env dev"},
		{store.RunNoChanges, dev, false, ""},
	}
	for _, tt := range tests {
		r := &store.Run{ID: "r", Env: tt.env.Name, Status: tt.status}
		if got := nextStep(r, tt.env, tt.approved); got != tt.want {
			t.Errorf("%s approved=%v: %q, want %q", tt.status, tt.approved, got, tt.want)
		}
	}
}

func TestPolicyNote(t *testing.T) {
	t.Parallel()
	var none *PolicyResult
	if n := none.Note(); !n.Passed || !n.Disabled {
		t.Errorf("no gate: %+v", n)
	}
	a := policyDigest(&review.PolicyNote{Passed: true, Summary: "x"})
	b := policyDigest(&review.PolicyNote{Passed: false, Summary: "x"})
	if a == b || policyDigest(nil) != "none" {
		t.Errorf("digests %s %s", a, b)
	}
}
