package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// e2e is one end-to-end test's world: a copy of a fixture repository, a
// sandbox of its own, one store.
type e2e struct {
	t    *testing.T
	root string
	sb   *sandboxtest.Sandbox
	st   *sqlite.Store
	tc   *terraform.Toolchain
}

// newE2E copies testdata/repos/<name> and starts a sandbox. It skips
// without terraform or the provider mirror (fails under CI=true).
func newE2E(t *testing.T, name string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("runs terraform against the sandbox")
	}
	testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join("testdata", "repos", name), root)
	sb := sandboxtest.Start(t)
	st, err := sqlite.Open(filepath.Join(root, ".vigil", "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tc, err := terraform.New(context.Background(), terraform.Params{Root: root, Environ: testutil.Environ(map[string]string{"TF_CLI_CONFIG_FILE": "", "TF_PLUGIN_CACHE_DIR": ""})})
	if err != nil {
		t.Fatal(err)
	}
	return &e2e{t: t, root: root, sb: sb, st: st, tc: tc}
}

// targetEnv points terraform at the test's sandbox.
func (w *e2e) targetEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range w.sb.Env() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				env[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	return env
}

// pipeline builds a Pipeline as a new vigil process would: config and
// stacks read afresh. user is the identity.
func (w *e2e) pipeline(user string, opts ...func(*Params)) *Pipeline {
	w.t.Helper()
	cfg, err := config.Load(filepath.Join(w.root, config.FileName))
	if err != nil {
		w.t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	p := Params{Config: cfg, Graph: g, Terraform: w.tc, Store: w.st,
		Identity: Identity{User: user, Host: "test", PID: 1},
		Resolve: func(_ context.Context, _ *config.Config, e config.Environment, _ target.Options) (*target.Target, error) {
			return &target.Target{Kind: config.TargetSandbox, Region: e.Region, Env: w.targetEnv()}, nil
		},
	}
	for _, o := range opts {
		o(&p)
	}
	pl, err := New(p)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = pl.Close(context.Background()) })
	return pl
}

func (w *e2e) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	w.t.Cleanup(cancel)
	return ctx
}

// bootstrap runs Bootstrap for env and fails the test on error.
func (w *e2e) bootstrap(env string) *BootstrapResult {
	w.t.Helper()
	res, err := w.pipeline("ana").Bootstrap(w.ctx(), BootstrapParams{Env: env, Yes: true})
	if err != nil {
		w.t.Fatalf("bootstrap %s: %v", env, err)
	}
	return res
}

// plan runs Plan and fails the test on error.
func (w *e2e) plan(user, env string, stacks ...string) *PlanResult {
	w.t.Helper()
	res, err := w.pipeline(user).Plan(w.ctx(), PlanParams{Env: env, Stacks: stacks})
	if err != nil {
		w.t.Fatalf("plan %s: %v", env, err)
	}
	return res
}

// stackStatuses maps a report's stacks to their statuses.
func stackStatuses(rep *review.Report) map[string]string {
	out := map[string]string{}
	for _, s := range rep.Stacks {
		out[s.Stack] = s.Status
	}
	return out
}
