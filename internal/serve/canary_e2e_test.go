package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/serve"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
)

// hookMessages decodes the webhook receiver's requests.
func hookMessages(t *testing.T, rec *alerttest.Recorder) []alert.WebhookMessage {
	t.Helper()
	var out []alert.WebhookMessage
	for _, r := range rec.Requests() {
		var m alert.WebhookMessage
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("webhook body %q: %v", r.Body, err)
		}
		out = append(out, m)
	}
	return out
}

func count(ms []alert.WebhookMessage, key string, action alert.Action) int {
	n := 0
	for _, m := range ms {
		if m.Alert.Key() == key && m.Action == action {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, deadline time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > deadline {
			t.Fatalf("gave up after %s waiting for %s", deadline, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

type running struct {
	srv    *serve.Server
	st     store.Store
	url    string
	cancel context.CancelFunc
	done   chan error
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
	r.st.Close()
}

func startServe(t *testing.T, repo string, env map[string]string) *running {
	t.Helper()
	cfg, err := config.Load(filepath.Join(repo, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	st, qdb, err := serve.OpenStore(ctx, cfg, lookup)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(ctx, serve.Options{Config: cfg, Graph: g, Store: st, QueueDB: qdb, Listener: ln, LookupEnv: lookup,
		FetchPollInterval: 100 * time.Millisecond, SoftStopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &running{srv: srv, st: st, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Run(rctx) }()
	return r
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCanaryAlertsAndResolves: a canary against a local server that
// starts answering 500 alerts once, with its runbook, after its failure
// threshold, survives a restart of serve without a second alert, and
// resolves once when the server recovers. No terraform involved.
func TestCanaryAlertsAndResolves(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	defer app.Close()
	hook := alerttest.NewRecorder(t, http.StatusOK)

	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "live", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	hcl := fmt.Sprintf(`project = "canaries"
environment "dev" {}
serve {
  token "reader" {
    role      = "reader"
    value_env = "READER_TOKEN"
  }
}
alerts {
  webhook "ops" { url_env = "OPS_HOOK" }
  route { receivers = ["ops"] }
}
canaries { jitter = "0s" }
canary "app" {
  url               = "%s/health"
  env               = "dev"
  every             = "1s"
  timeout           = "900ms"
  expect            = ["status == 200", "json.status == \"ok\""]
  failure_threshold = 3
  success_threshold = 2
  runbook           = "https://runbooks.example/app-down.md"
  first_step        = "Open the app's logs."
}
`, app.URL)
	if err := os.WriteFile(filepath.Join(repo, config.FileName), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPS_HOOK": hook.URL, "READER_TOKEN": "reader-secret-token"}
	const key = "canary/dev/app"

	s := startServe(t, repo, env)
	// Healthy: results are stored, nothing alerts.
	waitUntil(t, time.Minute, "three stored results", func() bool {
		rs, _ := s.st.CanaryResultList(context.Background(), &store.CanaryResultListParams{Canary: key})
		return len(rs) >= 3
	})
	if n := len(hook.Requests()); n != 0 {
		t.Fatalf("a healthy canary sent %d notifications", n)
	}

	failing.Store(true)
	took := waitUntil(t, time.Minute, "the canary's alert", func() bool { return count(hookMessages(t, hook), key, alert.ActionTrigger) == 1 })
	t.Logf("alert %s after the server started failing (threshold 3 × 1s)", took.Round(100*time.Millisecond))
	var trig alert.WebhookMessage
	for _, m := range hookMessages(t, hook) {
		if m.Action == alert.ActionTrigger {
			trig = m
		}
	}
	if a := trig.Alert; a.RunbookURL != "https://runbooks.example/app-down.md" || a.FirstStep != "Open the app's logs." || a.Environment != "dev" || !strings.Contains(a.Summary, "status == 200") {
		t.Fatalf("trigger = %+v", a)
	}
	fails, _ := s.st.CanaryResultList(context.Background(), &store.CanaryResultListParams{Canary: key, Limit: 1})
	if len(fails) != 1 || fails[0].OK || fails[0].Status != 500 {
		t.Fatalf("newest stored result: %+v", fails)
	}

	// The API and /metrics of the running serve.
	if code, body := get(t, s.url+"/metrics"); code != 200 || !strings.Contains(body, `canary_up{canary="app",env="dev"} 0`) || !strings.Contains(body, `alert_deliveries_total{outcome="success",sink="ops"} 1`) {
		t.Fatalf("/metrics = %d:\n%s", code, body)
	}
	if code, _ := get(t, s.url+"/api/v1/canaries"); code != http.StatusUnauthorized {
		t.Fatalf("/api/v1/canaries without a token = %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/canaries", nil)
	req.Header.Set("Authorization", "Bearer reader-secret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(strings.ReplaceAll(string(b), " ", ""), `"alerting":true`) {
		t.Fatalf("/api/v1/canaries = %d: %s", resp.StatusCode, b)
	}

	// Restart while alerting: no second trigger.
	s.stop(t)
	s = startServe(t, repo, env)
	defer s.stop(t)
	waitUntil(t, time.Minute, "results after the restart", func() bool {
		rs, _ := s.st.CanaryResultList(context.Background(), &store.CanaryResultListParams{Canary: key, Since: time.Now().Add(-2 * time.Second)})
		return len(rs) >= 3
	})
	if n := count(hookMessages(t, hook), key, alert.ActionTrigger); n != 1 {
		t.Fatalf("after a restart: %d triggers, want 1", n)
	}

	failing.Store(false)
	waitUntil(t, time.Minute, "the resolve", func() bool { return count(hookMessages(t, hook), key, alert.ActionResolve) == 1 })
	time.Sleep(3 * time.Second) // room for a wrong second resolve or trigger
	ms := hookMessages(t, hook)
	if count(ms, key, alert.ActionTrigger) != 1 || count(ms, key, alert.ActionResolve) != 1 {
		var acts []string
		for _, m := range ms {
			acts = append(acts, string(m.Action))
		}
		t.Fatalf("notifications = %v, want one trigger and one resolve", acts)
	}
	ds, _ := s.st.AlertDeliveryList(context.Background(), &store.AlertDeliveryListParams{Key: key, Oldest: true})
	if len(ds) != 2 || ds[0].Action != "trigger" || ds[1].Action != "resolve" || ds[1].Outcome != "success" {
		t.Fatalf("recorded deliveries: %+v", ds)
	}
}
