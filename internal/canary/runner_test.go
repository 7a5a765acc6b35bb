package canary_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
)

// target is a local service whose status the test flips.
func target(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &status
}

// webhookReceiver collects the alert webhook messages it gets.
type webhookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []alert.WebhookMessage
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	w := &webhookReceiver{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m alert.WebhookMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.msgs = append(w.msgs, m)
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookReceiver) messages() []alert.WebhookMessage {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]alert.WebhookMessage(nil), w.msgs...)
}

// stepper drives a runner on a fake clock one result at a time.
type stepper struct {
	t       *testing.T
	clock   *fakeClock
	results <-chan canary.Result
	step    time.Duration
}

// next advances the clock in small steps until the next result arrives.
func (s *stepper) next() canary.Result {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case r := <-s.results:
			return r
		case <-time.After(5 * time.Millisecond):
			s.clock.Advance(s.step)
		}
	}
	s.t.Fatal("no result within 10s")
	return canary.Result{}
}

func startRunner(t *testing.T, checks []*canary.Check, opts canary.RunnerOptions) (*canary.Runner, context.CancelFunc, <-chan error) {
	t.Helper()
	r, err := canary.NewRunner(checks, opts.Clock.(*fakeClock).registry(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("runner did not stop")
		}
	})
	return r, cancel, done
}

// registry gives each fake clock (each test) its own registry.
func (f *fakeClock) registry() prometheus.Registerer { return prometheus.NewRegistry() }

// TestRunnerAlertsAndResolves is the acceptance path: a canary against a
// local server that starts returning 500 alerts (with its runbook link)
// after its failure threshold, through the real alert dispatcher to a
// webhook, and resolves after its success threshold.
func TestRunnerAlertsAndResolves(t *testing.T) {
	t.Parallel()
	srv, status := target(t)
	hook := newWebhookReceiver(t)
	wh, err := alert.NewWebhook(alert.WebhookConfig{Name: "ops", URL: alert.Secret(hook.URL)}, alert.SinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	disp, err := alert.NewDispatcher(&alert.Route{Receivers: []string{"ops"}},
		[]alert.Receiver{{Name: "ops", Integration: "webhook", Sink: wh}}, nil, alert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const runbook = "https://github.com/acme/infra/blob/main/runbooks/checkout.md"
	c, err := canary.Build(canary.Config{Name: "checkout", URL: srv.URL + "/health", Env: "dev", Layer: "workload",
		Expect: []string{"status == 200", `json.status == "ok"`}, Runbook: runbook}, canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	mem := canary.NewMemory(0)
	results := mem.Notify(100)
	r, _, _ := startRunner(t, []*canary.Check{c}, canary.RunnerOptions{Clock: clock, Sinks: []canary.Sink{mem}, Notifier: disp, Jitter: -1})
	s := &stepper{t: t, clock: clock, results: results, step: 6 * time.Second}

	type want struct {
		ok       bool
		messages int
	}
	steps := []struct {
		status int
		want   want
	}{
		{200, want{true, 0}},
		{500, want{false, 0}},
		{500, want{false, 0}},
		{500, want{false, 1}}, // third failure in a row: alert
		{500, want{false, 1}}, // still failing: no repeat
		{200, want{true, 1}},  // one success: not yet resolved
		{200, want{true, 2}},  // second success: resolve
		{200, want{true, 2}},
	}
	var prev time.Time
	for i, st := range steps {
		status.Store(int32(st.status))
		res := s.next()
		if res.OK != st.want.ok {
			t.Fatalf("step %d: ok = %v, want %v (%+v)", i, res.OK, st.want.ok, res)
		}
		if i > 0 && res.Time.Sub(prev) < time.Minute-s.step {
			t.Errorf("step %d: ran %v after the previous run, want 1m", i, res.Time.Sub(prev))
		}
		prev = res.Time
		// The notification follows the result; give it a moment.
		waitFor(t, func() bool { return len(hook.messages()) == st.want.messages }, fmt.Sprintf("step %d: %d webhook messages", i, st.want.messages))
	}
	msgs := hook.messages()
	fire, resolve := msgs[0], msgs[1]
	if fire.Action != alert.ActionTrigger || fire.Alert.Status != alert.StatusFiring || fire.Alert.Kind != alert.KindCanary ||
		fire.Alert.RunbookURL != runbook || fire.Alert.FirstStep == "" || fire.Alert.Environment != "dev" ||
		!strings.Contains(fire.Alert.Summary, "status == 200") {
		t.Errorf("fire = %+v", fire)
	}
	if !containsDetail(fire.Alert.Details, "failed", "status == 200 (status = 500)") {
		t.Errorf("fire details = %+v", fire.Alert.Details)
	}
	if resolve.Action != alert.ActionResolve || resolve.Alert.Status != alert.StatusResolved || resolve.Alert.Fingerprint != "canary/dev/checkout" {
		t.Errorf("resolve = %+v", resolve)
	}
	if st := r.States()["canary/dev/checkout"]; st.State.Alerting || !st.Last.OK {
		t.Errorf("state = %+v", st)
	}
}

func containsDetail(ds []alert.Detail, key, value string) bool {
	for _, d := range ds {
		if d.Key == key && d.Value == value {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// flakyNotifier fails its first n calls.
type flakyNotifier struct {
	mu     sync.Mutex
	fail   int
	calls  []alert.Alert
	failed int
}

func (f *flakyNotifier) Notify(_ context.Context, a alert.Alert) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, a)
	if f.failed < f.fail {
		f.failed++
		return errors.New("queue unavailable")
	}
	return nil
}

func (f *flakyNotifier) statuses() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for _, a := range f.calls {
		s = append(s, string(a.Status))
	}
	return strings.Join(s, ",")
}

func TestRunnerOffersFailedNotificationAgain(t *testing.T) {
	t.Parallel()
	srv, status := target(t)
	status.Store(http.StatusServiceUnavailable)
	c, err := canary.Build(canary.Config{Name: "api", URL: srv.URL, FailureThreshold: ptrInt(1), SuccessThreshold: ptrInt(1)}, canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	mem := canary.NewMemory(0)
	n := &flakyNotifier{fail: 1}
	startRunner(t, []*canary.Check{c}, canary.RunnerOptions{Clock: clock, Sinks: []canary.Sink{mem}, Notifier: n, Jitter: -1})
	s := &stepper{t: t, clock: clock, results: mem.Notify(100), step: 6 * time.Second}
	s.next() // fires; the notification fails
	s.next() // still failing: offered again
	s.next() // delivered before: nothing
	status.Store(http.StatusOK)
	s.next() // resolves
	waitFor(t, func() bool { return n.statuses() == "firing,firing,resolved" }, "firing (failed), firing (again), resolved; got "+n.statuses())
}

func ptrInt(n int) *int { return &n }

func TestRunnerRestoreResolves(t *testing.T) {
	t.Parallel()
	srv, _ := target(t)
	c, err := canary.Build(canary.Config{Name: "api", URL: srv.URL, Env: "dev"}, canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	mem := canary.NewMemory(0)
	n := &flakyNotifier{}
	restore := map[string]canary.State{c.Key(): {Alerting: true, Failures: 3, Reason: "status == 200"}}
	startRunner(t, []*canary.Check{c}, canary.RunnerOptions{Clock: clock, Sinks: []canary.Sink{mem}, Notifier: n, Jitter: -1, Restore: restore})
	s := &stepper{t: t, clock: clock, results: mem.Notify(100), step: 6 * time.Second}
	s.next()
	s.next()
	waitFor(t, func() bool { return n.statuses() == "resolved" }, "a resolve after a restart; got "+n.statuses())
}

func TestRunnerBoundsConcurrency(t *testing.T) {
	t.Parallel()
	var inFlight, maxInFlight atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
		case <-time.After(20 * time.Millisecond):
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	var checks []*canary.Check
	for i := range 40 {
		c, err := canary.Build(canary.Config{Name: fmt.Sprintf("c%02d", i), URL: srv.URL}, canary.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, c)
	}
	clock := newFakeClock()
	mem := canary.NewMemory(0)
	startRunner(t, checks, canary.RunnerOptions{Clock: clock, Sinks: []canary.Sink{mem}, Concurrency: 4, Jitter: -1})
	clock.awaitWaiter()
	clock.Advance(time.Minute) // every canary is due
	waitFor(t, func() bool { return mem.Count() == 40 }, "40 results")
	if m := maxInFlight.Load(); m > 4 || m < 2 {
		t.Errorf("max in flight = %d, want 2..4", m)
	}
	for _, c := range checks {
		if rs := mem.Results(c.Name); len(rs) != 1 {
			t.Fatalf("%s: %d results", c.Name, len(rs))
		}
	}
	// The next minute in small steps: each runs once more, in its own slot
	// (spread over the minute by its name), not all at once.
	for range 12 {
		clock.Advance(5 * time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, func() bool { return mem.Count() == 80 }, "80 results")
	seen := map[time.Time]bool{}
	for _, c := range checks {
		rs := mem.Results(c.Name)
		if len(rs) != 2 {
			t.Fatalf("%s: %d results", c.Name, len(rs))
		}
		seen[rs[1].Time] = true
	}
	if len(seen) < 6 {
		t.Errorf("second runs at only %d instants: no splay", len(seen))
	}
}

func TestRunnerStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hang until the client gives up
	}))
	t.Cleanup(srv.Close)
	c, err := canary.Build(canary.Config{Name: "hang", URL: srv.URL, Timeout: "50s"}, canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	mem := canary.NewMemory(0)
	r, err := canary.NewRunner([]*canary.Check{c}, nil, canary.RunnerOptions{Clock: clock, Sinks: []canary.Sink{mem}, Jitter: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	clock.awaitWaiter()
	clock.Advance(time.Minute)
	time.Sleep(50 * time.Millisecond) // the check is in flight
	if err := r.Run(ctx); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run: %v", err)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if time.Since(start) > time.Second {
		t.Errorf("stop took %v", time.Since(start))
	}
	if mem.Count() != 0 {
		t.Errorf("a cancelled check was recorded: %+v", mem.Results("hang"))
	}
}

func TestRunnerMetrics(t *testing.T) {
	t.Parallel()
	srv, status := target(t)
	c, err := canary.Build(canary.Config{Name: "api", URL: srv.URL, Env: "dev"}, canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	r, err := canary.NewRunner([]*canary.Check{c}, reg, canary.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, code := range []int32{200, 500} {
		status.Store(code)
		if _, err := r.RunOnce(ctx, c.Key()); err != nil {
			t.Fatal(err)
		}
	}
	want := `
# HELP canary_checks_total Canary checks by result: success, failure (a condition failed) or error (no response).
# TYPE canary_checks_total counter
canary_checks_total{canary="api",env="dev",result="failure"} 1
canary_checks_total{canary="api",env="dev",result="success"} 1
# HELP canary_up 1 if the canary's last check passed, else 0.
# TYPE canary_up gauge
canary_up{canary="api",env="dev"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "canary_checks_total", "canary_up"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "canary_latency_seconds"); n != 1 {
		t.Errorf("canary_latency_seconds series = %d", n)
	}
	if _, err := canary.NewRunner([]*canary.Check{c}, reg, canary.RunnerOptions{}); err == nil {
		t.Error("double registration accepted")
	}
	if _, err := canary.NewRunner([]*canary.Check{c, c}, nil, canary.RunnerOptions{}); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("duplicate canary: %v", err)
	}
}
