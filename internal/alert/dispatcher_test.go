package alert_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
)

// fakeSink records what it is sent and fails as told.
type fakeSink struct {
	mu   sync.Mutex
	sent []alert.Alert
	fail func(n int) (bool, error) // n: 1-based call number; nil: succeed
	n    int
}

func (f *fakeSink) Send(_ context.Context, a alert.Alert) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.fail != nil {
		if retry, err := f.fail(f.n); err != nil {
			return retry, err
		}
	}
	f.sent = append(f.sent, a)
	return false, nil
}

func (f *fakeSink) alerts() []alert.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alert.Alert(nil), f.sent...)
}

func (f *fakeSink) setFail(fn func(n int) (bool, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail, f.n = fn, 0
}

func receivers(names ...string) []alert.Receiver {
	var out []alert.Receiver
	for _, n := range names {
		out = append(out, alert.Receiver{Name: n, Integration: "fake", Sink: &fakeSink{}})
	}
	return out
}

type harness struct {
	d      *alert.Dispatcher
	mem    *alert.Memory
	reg    *prometheus.Registry
	sinks  map[string]*fakeSink
	sleeps []time.Duration
	now    time.Time
	mu     sync.Mutex
}

func newHarness(t *testing.T, root *alert.Route, names ...string) *harness {
	t.Helper()
	h := &harness{mem: alert.NewMemory(), reg: prometheus.NewRegistry(), sinks: map[string]*fakeSink{},
		now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rs := receivers(names...)
	for _, r := range rs {
		h.sinks[r.Name] = r.Sink.(*fakeSink)
	}
	d, err := alert.NewDispatcher(root, rs, h.reg, alert.Options{
		Recorder: h.mem, States: h.mem,
		Retry: alert.RetryPolicy{Attempts: 4, Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond, Deadline: time.Minute},
		Now:   h.clock,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

func TestDispatchDedupeUpdateResolve(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"chat", "pager"}}, "chat", "pager")
	ctx := context.Background()
	a := alerttest.Alert()
	a.StartsAt = time.Time{}

	type step struct {
		name      string
		mutate    func(a *alert.Alert)
		wantSent  []string
		wantDedup []string
		wantRev   int
		wantTitle string
	}
	steps := []step{
		{name: "first firing triggers", wantSent: []string{"chat", "pager"}, wantTitle: "[FIRING] "},
		{name: "same again is deduped", wantDedup: []string{"chat", "pager"}},
		{name: "new start time is not a change", mutate: func(a *alert.Alert) { a.StartsAt = a.StartsAt.Add(time.Hour) }, wantDedup: []string{"chat", "pager"}},
		{name: "details change sends an update", mutate: func(a *alert.Alert) { a.Details = []alert.Detail{{Key: "threshold", Value: "25 → 75"}} },
			wantSent: []string{"chat", "pager"}, wantRev: 1, wantTitle: "[UPDATED] "},
		{name: "unchanged update deduped", mutate: func(a *alert.Alert) { a.Details = []alert.Detail{{Key: "threshold", Value: "25 → 75"}} },
			wantDedup: []string{"chat", "pager"}},
		{name: "resolve", mutate: func(a *alert.Alert) { a.Status = alert.StatusResolved }, wantSent: []string{"chat", "pager"}, wantRev: 1, wantTitle: "[RESOLVED] "},
		{name: "second resolve is silent", mutate: func(a *alert.Alert) { a.Status = alert.StatusResolved }},
		{name: "firing again triggers anew", wantSent: []string{"chat", "pager"}, wantTitle: "[FIRING] "},
	}
	for _, s := range steps {
		h.advance(time.Minute)
		b := a
		if s.mutate != nil {
			s.mutate(&b)
		}
		before := len(h.sinks["chat"].alerts())
		res, err := h.d.Dispatch(ctx, b)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if fmt.Sprint(res.Sent()) != fmt.Sprint(s.wantSent) || fmt.Sprint(res.Deduped) != fmt.Sprint(s.wantDedup) {
			t.Fatalf("%s: sent %v deduped %v, want %v / %v", s.name, res.Sent(), res.Deduped, s.wantSent, s.wantDedup)
		}
		got := h.sinks["chat"].alerts()
		if len(s.wantSent) == 0 {
			if len(got) != before {
				t.Fatalf("%s: chat got a notification", s.name)
			}
			continue
		}
		last := got[len(got)-1]
		if last.Revision != s.wantRev || !strings.HasPrefix(last.Title(), s.wantTitle) {
			t.Errorf("%s: revision %d title %q, want %d %q", s.name, last.Revision, last.Title(), s.wantRev, s.wantTitle)
		}
	}
	// The start of the episode is when it first fired, even when a later
	// call carries another start.
	chat := h.sinks["chat"].alerts()
	if !chat[1].StartsAt.Equal(chat[0].StartsAt) {
		t.Errorf("update StartsAt %v != trigger's %v", chat[1].StartsAt, chat[0].StartsAt)
	}
	if !chat[2].EndsAt.After(chat[2].StartsAt) {
		t.Errorf("resolve EndsAt %v not after StartsAt %v", chat[2].EndsAt, chat[2].StartsAt)
	}
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(`
# HELP alerts_firing Alert keys currently firing, by kind and environment.
# TYPE alerts_firing gauge
alerts_firing{env="dev",kind="drift"} 1
`), "alerts_firing"); err != nil {
		t.Error(err)
	}
}

func TestDispatchResolveGoesWhereTriggerWent(t *testing.T) {
	t.Parallel()
	root := &alert.Route{Receivers: []string{"chat"}, Routes: []alert.Route{
		{Name: "crit", Severity: []string{"critical"}, Receivers: []string{"pager"}},
	}}
	h := newHarness(t, root, "chat", "pager")
	ctx := context.Background()
	a := alerttest.Alert()
	a.Severity = alert.SeverityCritical
	if _, err := h.d.Dispatch(ctx, a); err != nil {
		t.Fatal(err)
	}
	// Severity drops: the tree now routes to chat, so chat is triggered,
	// and pager keeps its open notification until the resolve.
	a.Severity = alert.SeverityWarning
	res, err := h.d.Dispatch(ctx, a)
	if err != nil || fmt.Sprint(res.Sent()) != "[chat]" {
		t.Fatalf("sent %v, err %v", res.Sent(), err)
	}
	a.Status = alert.StatusResolved
	res, err = h.d.Dispatch(ctx, a)
	if err != nil || fmt.Sprint(res.Sent()) != "[chat pager]" {
		t.Fatalf("resolve sent %v, err %v", res.Sent(), err)
	}
	for _, d := range res.Deliveries {
		want := map[string]string{"chat": "root", "pager": "crit"}[d.Receiver]
		if d.Route != want || d.Action != alert.ActionResolve {
			t.Errorf("resolve to %s under route %s action %s", d.Receiver, d.Route, d.Action)
		}
	}
}

func TestDispatchRetries(t *testing.T) {
	t.Parallel()
	temp := func(string) error { return &alert.StatusError{Status: 503} }
	tests := []struct {
		name         string
		fail         func(n int) (bool, error)
		wantErr      string
		wantAttempts int
		wantSleeps   []time.Duration // upper bounds: backoff jitters down by ≤ 20%
		wantOutcomes []alert.Outcome
	}{
		{name: "ok first", wantAttempts: 1, wantOutcomes: []alert.Outcome{alert.OutcomeSuccess}},
		{name: "recovers on third", fail: func(n int) (bool, error) {
			if n < 3 {
				return true, temp("")
			}
			return false, nil
		}, wantAttempts: 3, wantSleeps: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
			wantOutcomes: []alert.Outcome{alert.OutcomeRetry, alert.OutcomeRetry, alert.OutcomeSuccess}},
		{name: "permanent stops at once", fail: func(int) (bool, error) { return false, &alert.StatusError{Status: 400} },
			wantErr: `notify receiver "chat" (fake): gave up after 1 attempt(s): unexpected status 400`, wantAttempts: 1,
			wantOutcomes: []alert.Outcome{alert.OutcomeFailed}},
		{name: "gives up after attempts", fail: func(int) (bool, error) { return true, temp("") },
			wantErr: "gave up after 4 attempt(s): unexpected status 503", wantAttempts: 4,
			wantSleeps:   []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond},
			wantOutcomes: []alert.Outcome{alert.OutcomeRetry, alert.OutcomeRetry, alert.OutcomeRetry, alert.OutcomeFailed}},
		{name: "retry-after honoured", fail: func(n int) (bool, error) {
			if n == 1 {
				return true, &alert.RetryAfterError{After: 5 * time.Second, Err: temp("")}
			}
			return false, nil
		}, wantAttempts: 2, wantSleeps: []time.Duration{5 * time.Second},
			wantOutcomes: []alert.Outcome{alert.OutcomeRetry, alert.OutcomeSuccess}},
		{name: "retry-after past the deadline gives up", fail: func(int) (bool, error) {
			return true, &alert.RetryAfterError{After: time.Hour, Err: temp("")}
		}, wantErr: "gave up after 1 attempt(s)", wantAttempts: 1, wantOutcomes: []alert.Outcome{alert.OutcomeFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, &alert.Route{Receivers: []string{"chat"}}, "chat")
			h.sinks["chat"].setFail(tt.fail)
			res, err := h.d.Dispatch(context.Background(), alerttest.Alert())
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			var de *alert.DeliveryError
			if tt.wantErr != "" && (!errors.As(err, &de) || de.Receiver != "chat" || de.Attempts != tt.wantAttempts) {
				t.Errorf("err = %#v, want a DeliveryError for chat with %d attempts", err, tt.wantAttempts)
			}
			if res.Deliveries[0].Attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", res.Deliveries[0].Attempts, tt.wantAttempts)
			}
			if len(h.sleeps) != len(tt.wantSleeps) {
				t.Fatalf("sleeps = %v, want %v", h.sleeps, tt.wantSleeps)
			}
			for i, s := range h.sleeps {
				if s > tt.wantSleeps[i] || s < tt.wantSleeps[i]*8/10 {
					t.Errorf("sleep %d = %v, want %v (-20%%)", i, s, tt.wantSleeps[i])
				}
			}
			var outcomes []alert.Outcome
			for _, at := range h.mem.Attempts() {
				outcomes = append(outcomes, at.Outcome)
				if at.Receiver != "chat" || at.Route != "root" || at.Action != alert.ActionTrigger || at.Key == "" {
					t.Errorf("attempt = %+v", at)
				}
			}
			if fmt.Sprint(outcomes) != fmt.Sprint(tt.wantOutcomes) {
				t.Errorf("outcomes = %v, want %v", outcomes, tt.wantOutcomes)
			}
		})
	}
}

func TestDispatchStopsOnContext(t *testing.T) {
	t.Parallel()
	rs := receivers("chat")
	rs[0].Sink.(*fakeSink).setFail(func(int) (bool, error) { return true, errors.New("down") })
	d, err := alert.NewDispatcher(&alert.Route{Receivers: []string{"chat"}}, rs, nil,
		alert.Options{Retry: alert.RetryPolicy{Attempts: 100, Initial: time.Millisecond, Max: 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = d.Dispatch(ctx, alerttest.Alert())
	if err == nil || !strings.Contains(err.Error(), "down") || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v after the context ended", time.Since(start))
	}
}

func TestDispatchFailedReceiverRetriedNextTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"chat", "pager"}}, "chat", "pager")
	h.sinks["pager"].setFail(func(int) (bool, error) { return false, errors.New("bad key") })
	ctx := context.Background()
	if _, err := h.d.Dispatch(ctx, alerttest.Alert()); err == nil {
		t.Fatal("no error for the failing pager")
	}
	h.sinks["pager"].setFail(nil)
	res, err := h.d.Dispatch(ctx, alerttest.Alert())
	if err != nil || fmt.Sprint(res.Sent()) != "[pager]" || fmt.Sprint(res.Deduped) != "[chat]" {
		t.Fatalf("sent %v deduped %v err %v", res.Sent(), res.Deduped, err)
	}
}

func TestSinkFailureAlert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"pager"}, Routes: []alert.Route{
		{Name: "sink-failures", Kind: []string{"sink-failure"}, Receivers: []string{"chat"}},
	}}, "chat", "pager")
	h.sinks["pager"].setFail(func(int) (bool, error) {
		return false, errors.New("403 from https://events.pagerduty.com token=deadbeefdeadbeef")
	})
	ctx := context.Background()
	for i := range 3 {
		a := alerttest.Alert()
		a.Resource = fmt.Sprintf("r%d", i)
		_, _ = h.d.Dispatch(ctx, a)
		if got := len(h.sinks["chat"].alerts()); (i < 2 && got != 0) || (i == 2 && got != 1) {
			t.Fatalf("after %d failures chat got %d alerts", i+1, got)
		}
	}
	sf := h.sinks["chat"].alerts()[0]
	if sf.Kind != alert.KindSinkFailure || sf.Status != alert.StatusFiring || sf.Resource != "pager" || !strings.Contains(sf.Summary, "pager") {
		t.Errorf("sink-failure alert = %+v", sf)
	}
	if strings.Contains(sf.Text(), "deadbeef") {
		t.Errorf("sink-failure alert leaks the error's token: %s", sf.Text())
	}
	// More failures do not repeat it.
	_, _ = h.d.Dispatch(ctx, alerttest.Alert())
	if got := len(h.sinks["chat"].alerts()); got != 1 {
		t.Fatalf("chat got %d alerts, want still 1", got)
	}
	// The pager recovers: the sink-failure alert resolves.
	h.sinks["pager"].setFail(nil)
	a := alerttest.Alert()
	a.Resource = "recovered"
	if _, err := h.d.Dispatch(ctx, a); err != nil {
		t.Fatal(err)
	}
	got := h.sinks["chat"].alerts()
	if len(got) != 2 || got[1].Status != alert.StatusResolved || got[1].Kind != alert.KindSinkFailure {
		t.Fatalf("chat got %+v, want the sink-failure resolve", got)
	}
}

func TestSinkFailureFallsBackToEveryOtherReceiver(t *testing.T) {
	t.Parallel()
	// Everything routes to the pager only: the sink-failure alert must
	// still reach somebody.
	h := newHarness(t, &alert.Route{Receivers: []string{"pager"}}, "chat", "pager", "mail")
	h.sinks["pager"].setFail(func(int) (bool, error) { return false, errors.New("down") })
	for range 3 {
		_, _ = h.d.Dispatch(context.Background(), alerttest.Alert())
	}
	for _, n := range []string{"chat", "mail"} {
		if got := h.sinks[n].alerts(); len(got) != 1 || got[0].Kind != alert.KindSinkFailure {
			t.Errorf("%s got %+v", n, got)
		}
	}
}

func TestDispatchScrubsAndRedacts(t *testing.T) {
	t.Parallel()
	rec := alerttest.NewRecorder(t, http.StatusBadRequest)
	rec.Answer(http.StatusBadRequest, "", nil)
	s := newSlack(t, rec.URL)
	mem := alert.NewMemory()
	d, err := alert.NewDispatcher(&alert.Route{Receivers: []string{"oncall"}},
		[]alert.Receiver{{Name: "oncall", Integration: "slack", Sink: alert.SinkFunc(func(ctx context.Context, a alert.Alert) (bool, error) {
			_, err := s.Send(ctx, a)
			// A careless sink quoting its URL:
			return false, fmt.Errorf("%w (url %s)", err, rec.URL+"/services/"+slackSecretPath)
		}), Secrets: s.Secrets()}}, nil, alert.Options{Recorder: mem})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Dispatch(context.Background(), alerttest.AlertWithSecrets())
	if err == nil {
		t.Fatal("want an error")
	}
	texts := []string{err.Error()}
	for _, at := range mem.Attempts() {
		texts = append(texts, at.Error, at.Summary)
	}
	for _, r := range rec.Requests() {
		texts = append(texts, r.Body)
	}
	for _, txt := range texts {
		for _, sec := range append(alerttest.DetailSecrets(), slackSecretPath) {
			if strings.Contains(txt, sec) {
				t.Errorf("leak of %q in %q", sec, txt)
			}
		}
	}
}

func TestDispatchConcurrentSameKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"chat"}}, "chat")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _, _ = h.d.Dispatch(context.Background(), alerttest.Alert()) })
	}
	wg.Wait()
	if got := len(h.sinks["chat"].alerts()); got != 1 {
		t.Errorf("chat got %d notifications for 20 concurrent identical alerts, want 1", got)
	}
}

func TestDispatchRejectsBadAlert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"chat"}}, "chat")
	tests := []struct {
		name    string
		mutate  func(*alert.Alert)
		wantErr string
	}{
		{"status", func(a *alert.Alert) { a.Status = "open" }, `status "open"`},
		{"kind", func(a *alert.Alert) { a.Kind = "x" }, `kind "x"`},
		{"severity", func(a *alert.Alert) { a.Severity = "high" }, `severity "high"`},
		{"summary", func(a *alert.Alert) { a.Summary = " " }, "summary is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := alerttest.Alert()
			tt.mutate(&a)
			if _, err := h.d.Dispatch(context.Background(), a); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"chat"}}, "chat")
	h.sinks["chat"].setFail(func(n int) (bool, error) {
		if n == 1 {
			return true, errors.New("flaky")
		}
		return false, nil
	})
	if _, err := h.d.Dispatch(context.Background(), alerttest.Alert()); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP alert_deliveries_total Alert delivery attempts by receiver (sink) and outcome (success, retry, failed).
# TYPE alert_deliveries_total counter
alert_deliveries_total{outcome="retry",sink="chat"} 1
alert_deliveries_total{outcome="success",sink="chat"} 1
# HELP alerts_firing Alert keys currently firing, by kind and environment.
# TYPE alerts_firing gauge
alerts_firing{env="dev",kind="drift"} 1
`
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(want), "alert_deliveries_total", "alerts_firing"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(h.reg, "alert_delivery_seconds"); n != 1 {
		t.Errorf("alert_delivery_seconds series = %d", n)
	}
	// A second dispatcher on the same registry is refused, not a panic.
	if _, err := alert.NewDispatcher(&alert.Route{Receivers: []string{"chat"}}, receivers("chat"), h.reg, alert.Options{}); err == nil {
		t.Error("double registration accepted")
	}
}

func TestLoadRestoresGauge(t *testing.T) {
	t.Parallel()
	mem := alert.NewMemory()
	rs := receivers("chat")
	d1, _ := alert.NewDispatcher(&alert.Route{Receivers: []string{"chat"}}, rs, nil, alert.Options{States: mem})
	if _, err := d1.Dispatch(context.Background(), alerttest.Alert()); err != nil {
		t.Fatal(err)
	}
	// A restarted dispatcher on the same state store: no repeat, gauge back.
	reg := prometheus.NewRegistry()
	d2, _ := alert.NewDispatcher(&alert.Route{Receivers: []string{"chat"}}, rs, reg, alert.Options{States: mem})
	if err := d2.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := d2.Dispatch(context.Background(), alerttest.Alert())
	if err != nil || len(res.Sent()) != 0 || len(res.Deduped) != 1 {
		t.Fatalf("after restart: sent %v deduped %v err %v", res.Sent(), res.Deduped, err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP alerts_firing Alert keys currently firing, by kind and environment.
# TYPE alerts_firing gauge
alerts_firing{env="dev",kind="drift"} 1
`), "alerts_firing"); err != nil {
		t.Error(err)
	}
}
