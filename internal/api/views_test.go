package api

import (
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	planned := &StackRun{RunID: "r1", RunStatus: store.RunPlanned, Status: review.StatusChanges, Approval: "required"}
	tests := []struct {
		name  string
		stack Stack
		want  string
	}{
		{"nothing known", Stack{}, StateUnknown},
		{"applied", Stack{LastRun: &StackRun{RunStatus: store.RunApplied, Status: review.StatusApplied}}, StateGreen},
		{"no changes", Stack{LastRun: &StackRun{RunStatus: store.RunNoChanges, Status: review.StatusNoChanges}}, StateGreen},
		{"waiting for approval", Stack{LastRun: planned}, StateWaiting},
		{"planned, approved", Stack{LastRun: &StackRun{RunStatus: store.RunPlanned, Status: review.StatusChanges, Approval: "approved by bob"}}, StateWaiting},
		{"waits for upstream", Stack{LastRun: &StackRun{RunStatus: store.RunPlanned, Status: review.StatusWaiting}}, StateWaiting},
		{"plan failed", Stack{LastRun: &StackRun{RunStatus: store.RunFailed, Status: review.StatusFailed}}, StateFailing},
		{"interrupted", Stack{LastRun: &StackRun{RunStatus: store.RunInterrupted, Status: review.StatusChanges}}, StateFailing},
		{"drifted beats waiting", Stack{LastRun: planned, Drift: &StackDrift{Status: "drifted"}}, StateDrifted},
		{"clean drift only", Stack{Drift: &StackDrift{Status: "clean"}}, StateGreen},
		{"drift check error", Stack{Drift: &StackDrift{Status: "error", Error: "boom"}}, StateFailing},
		{"canary alerting beats drift", Stack{Drift: &StackDrift{Status: "drifted"}, Canaries: StackCanaries{Total: 1, Alerting: []string{"web"}}}, StateFailing},
		{"canaries fine", Stack{Canaries: StackCanaries{Total: 2}}, StateGreen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reasons := classify(&tt.stack)
			if got != tt.want {
				t.Fatalf("state %s (%v), want %s", got, reasons, tt.want)
			}
			if got != StateGreen && got != StateUnknown && len(reasons) == 0 {
				t.Fatalf("state %s without a reason", got)
			}
		})
	}
}

func TestCanaryView(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	rs := []canary.Result{
		{Status: 200, OK: true, Latency: ms(100)},
		{Status: 200, OK: true, Latency: ms(300)},
		{Status: 500, OK: false, Latency: ms(200)},
		{Status: 0, OK: false, Error: "timeout"}, // no response: no latency
	}
	v := canaryView(Canary{Key: "k"}, rs)
	if v.SuccessRate != 0.5 || v.LatencyP50 != ms(200) || v.LatencyP95 != ms(300) || v.Last == nil || v.Last.Error != "timeout" {
		t.Fatalf("%+v", v)
	}
	if e := canaryView(Canary{}, nil); e.Last != nil || e.Results == nil || e.SuccessRate != 0 {
		t.Fatalf("empty: %+v", e)
	}
}

func TestAlertsView(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	attempts := []alert.Attempt{
		{At: t0, Key: "a", Summary: "old", Route: "r", Action: alert.ActionTrigger, FiringSince: t0, Outcome: alert.OutcomeSuccess},
		{At: t0.Add(time.Minute), Key: "a", Summary: "new", Stack: "dev/app", Route: "r", Action: alert.ActionUpdate, Revision: 1, FiringSince: t0, Outcome: alert.OutcomeSuccess},
		{At: t0.Add(2 * time.Minute), Key: "b", Summary: "b", Route: "r", Action: alert.ActionResolve, FiringSince: t0, Outcome: alert.OutcomeSuccess},
	}
	states := []alert.State{
		{Key: "a", Kind: alert.KindDrift, Firing: true, Since: t0, Receivers: map[string]alert.ReceiverState{"y": {Firing: true}, "x": {Firing: true}}},
		{Key: "b", Kind: alert.KindCanary, Firing: false, Since: t0}, // resolved everywhere: not listed
	}
	v := alertsView(states, attempts, t0, alert.NoiseOptions{})
	if len(v.Firing) != 1 || v.Firing[0].Summary != "new" || v.Firing[0].Stack != "dev/app" || v.Firing[0].Receivers[0] != "x" {
		t.Fatalf("firing: %+v", v.Firing)
	}
	if len(v.Recent) != 3 || v.Recent[0].Key != "b" {
		t.Fatalf("recent, newest first: %+v", v.Recent)
	}
	if v.Noise.Total.Updates != 1 {
		t.Fatalf("noise: %+v", v.Noise.Total)
	}
}

func TestLocalNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/runs/x":            "/runs/x",
		"":                   "/",
		"https://evil.test/": "/",
		"//evil.test/":       "/",
		"/\\evil.test":       "/",
		"/a\r\nSet-Cookie:x": "/",
	} {
		if got := localNext(in); got != want {
			t.Errorf("localNext(%q) = %q, want %q", in, got, want)
		}
	}
}
