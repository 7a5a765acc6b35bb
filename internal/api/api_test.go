package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fixtureServer serves the fixture runs, drift, canaries and alerts.
func fixtureServer(t *testing.T, public bool) (string, *fixtureTimes) {
	t.Helper()
	st := openStore(t)
	fixtureRuns(t, st)
	now := time.Date(2026, 1, 2, 18, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_test_total", Help: "A counter the test registers."})
	reg.MustRegister(c)
	c.Inc()
	srv := server(t, Options{Runs: st, Drift: fixtureDrift(), Canaries: fixtureCanaries(), Alerts: alertMemory{fixtureAlerts(now)},
		PublicRead: public, Gatherer: reg, Now: func() time.Time { return now }})
	return srv.URL, &fixtureTimes{now: now}
}

type fixtureTimes struct{ now time.Time }

// TestAuthMatrix: who may read and approve, with public_read off and on.
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	private, _ := fixtureServer(t, false)
	public, _ := fixtureServer(t, true)
	const run = "/api/v1/runs/20260102-152000-cccccc"
	tests := []struct {
		name, base, method, path, token string
		want                            int
	}{
		{"read, no token", private, "GET", "/api/v1/runs", "", 401},
		{"read, bad token", private, "GET", "/api/v1/runs", "wrong-token-0123456789", 401},
		{"read, reader", private, "GET", "/api/v1/runs", readerValue, 200},
		{"read, approver", private, "GET", "/api/v1/runs", approverValue, 200},
		{"public read, no token", public, "GET", "/api/v1/runs", "", 200},
		{"public read, bad token", public, "GET", "/api/v1/runs", "wrong-token-0123456789", 401},
		{"approve, no token", private, "POST", run + "/approve", "", 401},
		{"approve, reader", private, "POST", run + "/approve", readerValue, 403},
		{"public approve, no token", public, "POST", run + "/approve", "", 401},
		{"public approve, reader", public, "POST", run + "/approve", readerValue, 403},
		// No Approver configured: an approver is let through and told so.
		{"approve, approver, no pipeline", private, "POST", run + "/approve", approverValue, 501},
		{"healthz, no token", private, "GET", "/healthz", "", 200},
		{"metrics, no token", private, "GET", "/metrics", "", 200},
		{"dashboard, no session", private, "GET", "/runs", "", 303},
		{"dashboard, bearer", private, "GET", "/runs", readerValue, 200},
		{"public dashboard", public, "GET", "/runs", "", 200},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.base+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
			if tt.want == 401 && strings.HasPrefix(tt.path, "/api/") && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestBadInput: junk gets a 400 (or 404/405) with a JSON reason.
func TestBadInput(t *testing.T) {
	t.Parallel()
	base, _ := fixtureServer(t, false)
	tests := []struct {
		name, method, path string
		want               int
		msg                string
	}{
		{"limit not a number", "GET", "/api/v1/runs?limit=ten", 400, "whole number"},
		{"limit too big", "GET", "/api/v1/runs?limit=100000", 400, "from 1 to 1000"},
		{"unknown status", "GET", "/api/v1/runs?status=done", 400, "want one of"},
		{"unknown env", "GET", "/api/v1/runs?env=staging", 400, "no such environment"},
		{"bad run id", "GET", "/api/v1/runs/..%2f..%2fetc", 400, "only letters"},
		{"missing run", "GET", "/api/v1/runs/20990101-000000-000000", 404, "no run"},
		{"bad drift kind", "GET", "/api/v1/drift?kind=weird", 400, "want one of"},
		{"bad drift stack", "GET", "/api/v1/drift?stack=prod", 400, "ENV/LAYER"},
		{"bad drifted", "GET", "/api/v1/drift?drifted=maybe", 400, "true or false"},
		{"bad days", "GET", "/api/v1/alerts?days=-1", 400, "from 1 to 90"},
		{"bad results", "GET", "/api/v1/canaries?results=x", 400, "whole number"},
		{"bad state", "GET", "/api/v1/stacks?state=red", 400, "want one of"},
		{"unknown stack", "GET", "/api/v1/stacks/prod/nope", 404, "no stack"},
		{"unknown endpoint", "GET", "/api/v1/nope", 404, "no API endpoint"},
		{"wrong method", "DELETE", "/api/v1/runs", 405, "use GET"},
		{"approve with GET", "GET", "/api/v1/runs/x/approve", 405, "use POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, tt.method, base+tt.path, approverValue, "")
			var e Error
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("not a JSON error: %s", body)
			}
			if code != tt.want || e.Status != tt.want || !strings.Contains(e.Error, tt.msg) {
				t.Fatalf("%d %q, want %d with %q", code, e.Error, tt.want, tt.msg)
			}
		})
	}
}

// TestReadEndpoints: what each endpoint tells about the fixture.
func TestReadEndpoints(t *testing.T) {
	t.Parallel()
	base, _ := fixtureServer(t, false)
	get := func(path string, v any) string {
		t.Helper()
		code, body := call(t, "GET", base+path, readerValue, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return body
	}

	var envs struct {
		Layers       []string      `json:"layers"`
		Environments []Environment `json:"environments"`
	}
	get("/api/v1/environments", &envs)
	if len(envs.Environments) != 2 || !envs.Environments[1].Approval || strings.Join(envs.Layers, ",") != "base,app" {
		t.Fatalf("environments: %+v", envs)
	}

	var stacks struct{ Stacks []Stack }
	get("/api/v1/stacks", &stacks)
	states := map[string]string{}
	for _, s := range stacks.Stacks {
		states[s.Stack] = s.State
	}
	// dev/base: applied, drift clean. prod/base: planned, waiting for
	// approval, and drifted. prod/app: failed plan, canary alerting.
	want := map[string]string{"dev/base": StateGreen, "prod/base": StateDrifted, "prod/app": StateFailing}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("stack %s: %s, want %s (all: %v)", k, states[k], v, states)
		}
	}
	var one Stack
	get("/api/v1/stacks/prod/base", &one)
	if one.LastRun == nil || one.LastRun.Approval != "required" || one.Drift == nil || one.Drift.Changed != 2 ||
		!strings.Contains(strings.Join(one.Reasons, "|"), "waits for approval") {
		t.Fatalf("prod/base: %+v", one)
	}

	var runs struct{ Runs []map[string]any }
	get("/api/v1/runs?env=prod", &runs)
	if len(runs.Runs) != 2 || runs.Runs[0]["id"] != "20260102-152000-cccccc" {
		t.Fatalf("runs: %v", runs)
	}
	get("/api/v1/runs?status=failed", &runs)
	if len(runs.Runs) != 1 || runs.Runs[0]["status"] != "failed" {
		t.Fatalf("failed runs: %v", runs)
	}

	var d RunDetail
	body := get("/api/v1/runs/20260102-152000-cccccc", &d)
	if !d.Approvable || d.Review.Approval != "required" || len(d.Review.Stacks) != 1 || d.Review.Stacks[0].Summary.Changes[0].Attrs[0].Before != "(sensitive)" {
		t.Fatalf("run: %s", body)
	}

	var ap Approvals
	get("/api/v1/approvals", &ap)
	if len(ap.Waiting) != 1 || ap.Waiting[0].ID != "20260102-152000-cccccc" || len(ap.Approvals) != 0 {
		t.Fatalf("approvals: %+v", ap)
	}

	var dv DriftView
	get("/api/v1/drift", &dv)
	if len(dv.Stacks) != 3 || len(dv.Unmanaged) != 1 || dv.Unmanaged[0].Findings[0].Type != "aws_sns_topic" {
		t.Fatalf("drift: %+v", dv)
	}
	get("/api/v1/drift?env=prod&kind=deleted", &dv)
	n := 0
	for _, s := range dv.Stacks {
		n += len(s.Drift)
		for _, f := range s.Drift {
			if f.Kind != "deleted" {
				t.Fatalf("kind filter let %s through", f.Kind)
			}
		}
	}
	if n != 1 || len(dv.Unmanaged) != 1 || len(dv.Unmanaged[0].Findings) != 0 {
		t.Fatalf("deleted findings: %+v", dv)
	}
	get("/api/v1/drift?drifted=true", &dv)
	if len(dv.Stacks) != 2 {
		t.Fatalf("drifted stacks: %+v", dv.Stacks)
	}

	var cs struct{ Canaries []CanaryView }
	get("/api/v1/canaries?results=5", &cs)
	if len(cs.Canaries) != 1 || len(cs.Canaries[0].Results) != 5 || cs.Canaries[0].SuccessRate != 0.4 || !cs.Canaries[0].State.Alerting {
		t.Fatalf("canaries: %+v", cs)
	}

	var av AlertsView
	get("/api/v1/alerts?days=1", &av)
	if len(av.Firing) != 1 || av.Firing[0].Summary == "" || len(av.Noise.Routes) != 1 {
		t.Fatalf("alerts: %+v", av)
	}
	rn := av.Noise.Routes[0]
	if rn.Route != "pager" || rn.Alerts != 2 || rn.Flaps != 1 || rn.MedianTimeToResolve != 10*time.Minute || rn.Open != 1 {
		t.Fatalf("noise: %+v", rn)
	}

	code, metrics := call(t, "GET", base+"/metrics", "", "")
	if code != 200 || !strings.Contains(metrics, "vigil_test_total 1") {
		t.Fatalf("metrics: %d %s", code, metrics)
	}
}

// TestUnavailableSources: without drift, canary, alert sources or a
// pipeline, their endpoints say so with 501, never an empty success.
func TestUnavailableSources(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	srv := server(t, Options{Runs: st})
	for _, p := range []string{"/api/v1/drift", "/api/v1/canaries", "/api/v1/alerts"} {
		code, body := call(t, "GET", srv.URL+p, readerValue, "")
		if code != 501 || !strings.Contains(body, "not available") {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	code, body := call(t, "GET", srv.URL+"/drift", readerValue, "")
	if code != 200 || !strings.Contains(body, "drift results are not available") {
		t.Errorf("drift page: %d %s", code, body)
	}
}

// TestNewRefusesBadTokens: New validates the tokens.
func TestNewRefusesBadTokens(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	tests := []struct {
		name    string
		tokens  []Token
		public  bool
		wantErr string
	}{
		{"no tokens, private", nil, false, "nobody could read"},
		{"short value", []Token{{Name: "a", Role: RoleReader, Value: "short"}}, false, "at least 16"},
		{"bad role", []Token{{Name: "a", Role: "admin", Value: readerValue}}, false, "not one of reader, approver"},
		{"duplicate name", []Token{{Name: "a", Role: RoleReader, Value: readerValue}, {Name: "a", Role: RoleReader, Value: approverValue}}, false, "declared twice"},
		{"shared value", []Token{{Name: "a", Role: RoleReader, Value: readerValue}, {Name: "b", Role: RoleApprover, Value: readerValue}}, false, "same value"},
		{"no name", []Token{{Role: RoleReader, Value: readerValue}}, false, "no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{Runs: st, Tokens: tt.tokens, PublicRead: tt.public})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), readerValue) {
				t.Fatal("the error shows a token value")
			}
		})
	}
	if _, err := New(Options{Runs: st, PublicRead: true}); err != nil {
		t.Fatalf("public read without tokens: %v", err)
	}
}
