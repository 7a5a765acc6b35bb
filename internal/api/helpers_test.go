package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// Token values of the tests.
const (
	readerValue   = "reader-0123456789abcdef"
	approverValue = "approver-0123456789abcdef"
	secretValue   = "Tr0ub4dor-and-3-horses-prod" // the fixture stack's sensitive default
)

var testTokens = []Token{
	{Name: "viewer", Role: RoleReader, Value: readerValue},
	{Name: "alice", Role: RoleApprover, Value: approverValue},
}

var testLayout = Layout{
	Layers: []string{"base", "app"},
	Environments: []Environment{
		{Name: "dev", Target: "sandbox", Layers: []string{"base"}},
		{Name: "prod", Target: "sandbox", Approval: true, Layers: []string{"base", "app"}},
	},
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRuns records, through the store API: an applied dev run, a
// failed prod/app plan, and a planned prod/base run with a masked change
// (waiting for approval). It returns the planned run.
func fixtureRuns(t *testing.T, st store.Store) *store.Run {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	insert := func(r store.Run, stacks ...store.RunStack) *store.Run {
		t.Helper()
		got, err := st.RunInsert(ctx, &store.RunInsertParams{Run: r, Audit: &store.AuditEvent{Actor: r.Author, Action: "plan", Outcome: "started"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stacks {
			s.RunID = r.ID
			if _, err := st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: s}); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}
	insert(store.Run{ID: "20260102-150000-aaaaaa", Env: "dev", Kind: "plan", Status: store.RunApplied, Author: "ana", CreatedAt: t0},
		store.RunStack{Stack: "dev/base", Status: review.StatusApplied, Summary: mustJSON(t, review.StackSummary{Stack: "dev/base", Counts: review.Counts{Add: 1}, Changes: []review.Change{{Address: "terraform_data.config", Type: "terraform_data", Action: "create"}}})})
	insert(store.Run{ID: "20260102-151000-bbbbbb", Env: "prod", Kind: "plan", Status: store.RunFailed, Author: "ana", Message: "plan of prod/app failed", CreatedAt: t0.Add(10 * time.Minute)},
		store.RunStack{Stack: "prod/app", Status: review.StatusFailed, Message: "Error: Invalid reference"})
	sum := review.StackSummary{Stack: "prod/base", Counts: review.Counts{Change: 1}, Changes: []review.Change{{
		Address: "terraform_data.db", Type: "terraform_data", Action: "update",
		Attrs: []review.Attr{{Path: "input", Before: "(sensitive)", After: "(sensitive)"}, {Path: "alarm_threshold", Before: "25", After: "50"}},
	}}}
	return insert(store.Run{ID: "20260102-152000-cccccc", Env: "prod", Kind: "plan", Status: store.RunPlanned, Author: "ana", Binding: "sha256:feedbeef", Fingerprint: "sha256:f00d", CreatedAt: t0.Add(20 * time.Minute)},
		store.RunStack{Stack: "prod/base", Status: review.StatusChanges, Summary: mustJSON(t, sum)})
}

// Fixture sources for what the store does not hold yet: real drift
// reports, canary results and delivery attempts, as vigil serve records
// them.

type driftFixture struct{ reports []*drift.Report }

func (d *driftFixture) DriftReports(_ context.Context, env string, limit int) ([]*drift.Report, error) {
	var out []*drift.Report
	for _, r := range d.reports {
		if env == "" || r.Env == env {
			out = append(out, r)
		}
	}
	return out, nil
}

func fixtureDrift() *driftFixture {
	now := time.Date(2026, 1, 2, 16, 0, 0, 0, time.UTC)
	changed := drift.Finding{Fingerprint: drift.Fingerprint("prod", "prod/base", "terraform_data.config", drift.KindChanged, "input.alarm_threshold"),
		Kind: drift.KindChanged, Env: "prod", Stack: "prod/base", Address: "terraform_data.config", Type: "terraform_data", Attribute: "input.alarm_threshold", Before: "25", After: "50"}
	secret := drift.Finding{Fingerprint: "f2", Kind: drift.KindChanged, Env: "prod", Stack: "prod/base", Address: "terraform_data.db", Type: "terraform_data", Attribute: "input", Before: "(sensitive)", After: "(sensitive)"}
	deleted := drift.Finding{Fingerprint: "f3", Kind: drift.KindDeleted, Env: "prod", Stack: "prod/app", Address: "terraform_data.app", Type: "terraform_data"}
	unmanaged := drift.Finding{Fingerprint: "f4", Kind: drift.KindUnmanaged, Env: "prod", Address: "arn:aws:sns:us-east-1:000000000000:stray", Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:000000000000:stray"}
	return &driftFixture{reports: []*drift.Report{
		{Env: "prod", StartedAt: now, Stacks: []*drift.StackReport{
			{Stack: "prod/base", Status: drift.StatusDrifted, Drift: []drift.Finding{changed, secret}, Pending: []drift.Finding{}},
			{Stack: "prod/app", Status: drift.StatusDrifted, Drift: []drift.Finding{deleted}, Pending: []drift.Finding{}},
		}, Unmanaged: drift.Unmanaged{Checked: true, Findings: []drift.Finding{unmanaged}}},
		// An older check of prod/base, which the newer one hides.
		{Env: "prod", StartedAt: now.Add(-time.Hour), Stacks: []*drift.StackReport{{Stack: "prod/base", Status: drift.StatusClean}}},
		{Env: "dev", StartedAt: now, Stacks: []*drift.StackReport{{Stack: "dev/base", Status: drift.StatusClean}}},
	}}
}

type canaryFixture struct {
	canaries []Canary
	results  map[string][]canary.Result
}

func (c *canaryFixture) Canaries(context.Context) ([]Canary, error) { return c.canaries, nil }
func (c *canaryFixture) CanaryResults(_ context.Context, key string, limit int) ([]canary.Result, error) {
	rs := c.results[key]
	if limit > 0 && len(rs) > limit {
		rs = rs[len(rs)-limit:]
	}
	return rs, nil
}

func fixtureCanaries() *canaryFixture {
	t0 := time.Date(2026, 1, 2, 16, 0, 0, 0, time.UTC)
	var rs []canary.Result
	for i := range 10 {
		r := canary.Result{Canary: "checkout", Environment: "prod", Time: t0.Add(time.Duration(i) * time.Minute), Latency: time.Duration(100+10*i) * time.Millisecond, Status: 200, OK: true}
		if i >= 7 {
			r.Status, r.OK, r.Failed, r.Reason = 500, false, []string{"status == 200 (status = 500)"}, "status == 200"
		}
		rs = append(rs, r)
	}
	return &canaryFixture{
		canaries: []Canary{{Key: "canary/prod/checkout", Name: "checkout", Env: "prod", Layer: "app", URL: "http://127.0.0.1:9/health", Interval: time.Minute,
			Conditions: []string{"status == 200"}, FailureThreshold: 3, SuccessThreshold: 2,
			State: canary.State{Alerting: true, Failures: 3, FailingSince: t0.Add(7 * time.Minute), Reason: "status == 200"}}},
		results: map[string][]canary.Result{"canary/prod/checkout": rs},
	}
}

func fixtureAlerts(now time.Time) *alert.Memory {
	m := alert.NewMemory()
	ctx := context.Background()
	since := now.Add(-2 * time.Hour)
	att := func(at time.Time, action alert.Action, since time.Time) {
		_ = m.RecordAttempt(ctx, alert.Attempt{At: at, Key: "canary/prod/checkout", Kind: alert.KindCanary, Severity: alert.SeverityCritical,
			Environment: "prod", Stack: "prod/app", Summary: "canary checkout fails: status == 200", Status: alert.StatusFiring, Action: action,
			FiringSince: since, Route: "pager", Receiver: "oncall", Integration: "webhook", Attempt: 1, Outcome: alert.OutcomeSuccess})
	}
	// An episode resolved after 10 minutes, then a flap that still fires.
	att(since, alert.ActionTrigger, since)
	att(since.Add(10*time.Minute), alert.ActionResolve, since)
	again := since.Add(20 * time.Minute)
	att(again, alert.ActionTrigger, again)
	_ = m.SaveState(ctx, alert.State{Key: "canary/prod/checkout", Kind: alert.KindCanary, Environment: "prod", Firing: true, Since: again,
		Receivers: map[string]alert.ReceiverState{"oncall": {Firing: true, Route: "pager"}}})
	return m
}

// alertMemory adapts alert.Memory to AlertSource.
type alertMemory struct{ *alert.Memory }

func (a alertMemory) AlertAttempts(_ context.Context, since time.Time) ([]alert.Attempt, error) {
	var out []alert.Attempt
	for _, x := range a.Attempts() {
		if !x.At.Before(since) {
			out = append(out, x)
		}
	}
	return out, nil
}

// server starts the API over st on loopback.
func server(t *testing.T, opts Options) *httptest.Server {
	t.Helper()
	if opts.Runs == nil {
		t.Fatal("no Runs")
	}
	if opts.Tokens == nil {
		opts.Tokens = testTokens
	}
	if opts.Layout.Environments == nil {
		opts.Layout = testLayout
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// call makes a request with an optional bearer token and returns the
// status and body.
func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// plannedWorld is a real planned run: the fixture repository planned by
// the pipeline with terraform (prod needs approval), its store, and the
// pipeline as the Approver.
type plannedWorld struct {
	pl     *pipeline.Pipeline
	st     *sqlite.Store
	run    *store.Run
	layout Layout
}

var tfMu sync.Mutex

// newPlannedWorld plans the fixture repository's prod environment. It
// skips without terraform (fails under CI=true).
func newPlannedWorld(t *testing.T) *plannedWorld {
	t.Helper()
	testutil.Terraform(t)
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join("testdata", "repo"), root)
	st, err := sqlite.Open(filepath.Join(root, ".vigil", "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	tc, err := terraform.New(ctx, terraform.Params{Root: root, Environ: testutil.Environ(map[string]string{"TF_CLI_CONFIG_FILE": "", "TF_PLUGIN_CACHE_DIR": ""})})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(root, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := pipeline.New(pipeline.Params{Config: cfg, Graph: g, Terraform: tc, Store: st,
		Identity: pipeline.Identity{User: "ana", Host: "test", PID: 1},
		Resolve: func(_ context.Context, _ *config.Config, e config.Environment, _ target.Options) (*target.Target, error) {
			return &target.Target{Kind: config.TargetSandbox, Region: e.Region, Env: map[string]string{}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pl.Close(context.Background()) })
	tfMu.Lock()
	pr, err := pl.Plan(ctx, pipeline.PlanParams{Env: "prod"})
	tfMu.Unlock()
	if err != nil {
		t.Fatalf("plan prod: %v", err)
	}
	if pr.Run.Status != store.RunPlanned || pr.Report.Approval != "required" {
		t.Fatalf("fixture plan: status %s, approval %q", pr.Run.Status, pr.Report.Approval)
	}
	return &plannedWorld{pl: pl, st: st, run: pr.Run, layout: LayoutFrom(cfg, g)}
}

// options are the API options over the world.
func (w *plannedWorld) options() Options {
	return Options{Layout: w.layout, Runs: w.st, Status: w.pl.EffectiveStatus, Approver: w.pl}
}
