package alert_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
)

func TestNoise(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	ok := func(route, key string, since, when int, action alert.Action, rev int) alert.Attempt {
		return alert.Attempt{At: at(when), Key: key, FiringSince: at(since), Route: route, Receiver: "r",
			Action: action, Revision: rev, Outcome: alert.OutcomeSuccess}
	}
	tests := []struct {
		name     string
		attempts []alert.Attempt
		opts     alert.NoiseOptions
		want     map[string]alert.RouteNoise
	}{
		{
			name: "empty",
			want: map[string]alert.RouteNoise{"*": {Route: "*"}},
		},
		{
			name: "one episode, two receivers, an update, resolved after 30m",
			attempts: []alert.Attempt{
				ok("pages", "k1", 0, 0, alert.ActionTrigger, 0),
				ok("pages", "k1", 0, 0, alert.ActionTrigger, 0),
				ok("pages", "k1", 0, 10, alert.ActionUpdate, 1),
				ok("pages", "k1", 0, 10, alert.ActionUpdate, 1),
				ok("pages", "k1", 0, 30, alert.ActionResolve, 1),
			},
			want: map[string]alert.RouteNoise{
				"pages": {Route: "pages", Alerts: 1, PerDay: []alert.DayCount{{Day: "2026-03-01", Alerts: 1}}, Updates: 1, Resolved: 1,
					MedianTimeToResolve: 30 * time.Minute, P90TimeToResolve: 30 * time.Minute, MaxTimeToResolve: 30 * time.Minute},
			},
		},
		{
			name: "flap within the window, then one outside it; days split at midnight",
			attempts: []alert.Attempt{
				ok("chat", "k", 0, 0, alert.ActionTrigger, 0),
				ok("chat", "k", 0, 5, alert.ActionResolve, 0),
				ok("chat", "k", 20, 20, alert.ActionTrigger, 0), // 15m after resolve: flap
				ok("chat", "k", 20, 30, alert.ActionResolve, 0),
				ok("chat", "k", 200, 200, alert.ActionTrigger, 0), // 170m after: not a flap; next day
			},
			want: map[string]alert.RouteNoise{
				"chat": {Route: "chat", Alerts: 3, PerDay: []alert.DayCount{{Day: "2026-03-01", Alerts: 2}, {Day: "2026-03-02", Alerts: 1}},
					Flaps: 1, Resolved: 2, Open: 1,
					MedianTimeToResolve: 5 * time.Minute, P90TimeToResolve: 10 * time.Minute, MaxTimeToResolve: 10 * time.Minute},
			},
		},
		{
			name: "failed deliveries count, never-delivered episodes do not",
			attempts: []alert.Attempt{
				{At: at(0), Key: "x", FiringSince: at(0), Route: "r", Action: alert.ActionTrigger, Outcome: alert.OutcomeRetry},
				{At: at(1), Key: "x", FiringSince: at(0), Route: "r", Action: alert.ActionTrigger, Outcome: alert.OutcomeFailed},
			},
			want: map[string]alert.RouteNoise{"r": {Route: "r", FailedDeliveries: 1}},
		},
		{
			name: "wider flap window",
			opts: alert.NoiseOptions{FlapWindow: 4 * time.Hour},
			attempts: []alert.Attempt{
				ok("chat", "k", 0, 0, alert.ActionTrigger, 0),
				ok("chat", "k", 0, 5, alert.ActionResolve, 0),
				ok("chat", "k", 200, 200, alert.ActionTrigger, 0),
			},
			want: map[string]alert.RouteNoise{
				"chat": {Route: "chat", Alerts: 2, PerDay: []alert.DayCount{{Day: "2026-03-01", Alerts: 1}, {Day: "2026-03-02", Alerts: 1}},
					Flaps: 1, Resolved: 1, Open: 1,
					MedianTimeToResolve: 5 * time.Minute, P90TimeToResolve: 5 * time.Minute, MaxTimeToResolve: 5 * time.Minute},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := alert.Noise(tt.attempts, tt.opts)
			for _, r := range rep.Routes {
				want, ok := tt.want[r.Route]
				if !ok {
					t.Errorf("unexpected route %q", r.Route)
					continue
				}
				if !reflect.DeepEqual(r, want) {
					t.Errorf("route %s:\n got %+v\nwant %+v", r.Route, r, want)
				}
			}
			if want, ok := tt.want["*"]; ok && !reflect.DeepEqual(rep.Total, want) {
				t.Errorf("total:\n got %+v\nwant %+v", rep.Total, want)
			}
			if len(rep.Routes) != len(tt.want)-boolInt(tt.want["*"].Route == "*") {
				t.Errorf("routes = %+v", rep.Routes)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestNoiseFromDispatcher checks Noise over what a Dispatcher records.
func TestNoiseFromDispatcher(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &alert.Route{Receivers: []string{"chat", "pager"}}, "chat", "pager")
	ctx := context.Background()
	a := alerttest.Alert()
	a.StartsAt = time.Time{}
	r := a
	r.Status = alert.StatusResolved
	for _, step := range []struct {
		x    alert.Alert
		wait time.Duration
	}{{a, 0}, {r, 10 * time.Minute}, {a, 5 * time.Minute}, {r, 20 * time.Minute}} {
		h.advance(step.wait)
		if _, err := h.d.Dispatch(ctx, step.x); err != nil {
			t.Fatal(err)
		}
	}
	rep := alert.Noise(h.mem.Attempts(), alert.NoiseOptions{})
	tot := rep.Total
	if tot.Alerts != 2 || tot.Flaps != 1 || tot.Resolved != 2 || tot.MaxTimeToResolve != 20*time.Minute || len(rep.Routes) != 1 || rep.Routes[0].Route != "root" {
		t.Errorf("noise = %+v", rep)
	}
}
