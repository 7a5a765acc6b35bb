package remediate

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// task builds a running task with a target in the given state.
func task(id, state string) Task {
	t := Task{ARN: "arn:aws:ecs:us-east-1:123456789012:task/main/" + id, IP: "10.0.0." + id, LastStatus: "RUNNING",
		ECSHealth: "UNKNOWN", Started: t0.Add(-time.Hour)}
	if state != "" {
		t.Target, t.TargetState = t.IP+":8080", state
	}
	return t
}

func withECS(t Task, health string) Task { t.ECSHealth = health; return t }

func startedAt(t Task, at time.Time) Task { t.Started = at; return t }

func arns(ps []Pick) []string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.TrimPrefix(p.Task.ARN, "arn:aws:ecs:us-east-1:123456789012:task/main/"))
	}
	return out
}

func TestTaskBad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		task    Task
		bad     bool
		healthy bool
		why     string
	}{
		{"healthy", task("1", TargetHealthy), false, true, ""},
		{"initial", task("1", TargetInitial), false, false, ""},
		{"unused", task("1", TargetUnused), false, false, ""},
		{"unavailable", task("1", TargetUnavailable), false, false, ""},
		{"not registered", task("1", ""), false, false, ""},
		{"unhealthy", task("1", TargetUnhealthy), true, false, "target 10.0.0.1:8080 unhealthy"},
		{"unhealthy draining", task("1", TargetUnhealthyDraining), true, false, "unhealthy.draining"},
		{"draining", task("1", TargetDraining), true, false, "draining"},
		{"ECS unhealthy", withECS(task("1", TargetHealthy), "UNHEALTHY"), true, false, "ECS reports the task UNHEALTHY"},
		{"both", withECS(task("1", TargetUnhealthy), "UNHEALTHY"), true, false, "unhealthy; ECS reports"},
		{"pending task with a bad target is left to ECS", func() Task { x := task("1", TargetUnhealthy); x.LastStatus = "PENDING"; return x }(), false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, why := tt.task.Bad()
			if bad != tt.bad || !strings.Contains(why, tt.why) || tt.task.Healthy() != tt.healthy {
				t.Errorf("Bad() = %v %q, Healthy() = %v; want %v %q, %v", bad, why, tt.task.Healthy(), tt.bad, tt.why, tt.healthy)
			}
		})
	}
}

func TestPlanStops(t *testing.T) {
	t.Parallel()
	h := func(id string) Task { return task(id, TargetHealthy) }
	tests := []struct {
		name       string
		fleet      Fleet
		budget     int
		minHealthy int
		stop, held []string
		why        string
	}{
		{name: "one bad of three", fleet: Fleet{Desired: 3, Tasks: []Task{h("1"), task("2", TargetUnhealthy), h("3")}}, budget: 1, minHealthy: 2,
			stop: []string{"2"}},
		{name: "nothing bad", fleet: Fleet{Desired: 3, Tasks: []Task{h("1"), h("2"), task("3", TargetInitial)}}, budget: 1, minHealthy: 2,
			why: "none of the 3 running tasks"},
		{name: "rate limit: one per invocation", fleet: Fleet{Desired: 5, Tasks: []Task{h("1"), h("2"), h("3"), task("4", TargetUnhealthy), task("5", TargetDraining)}}, budget: 1, minHealthy: 2,
			stop: []string{"4"}, held: []string{"5"}, why: "rate limit"},
		{name: "budget two", fleet: Fleet{Desired: 5, Tasks: []Task{h("1"), h("2"), h("3"), task("4", TargetUnhealthy), task("5", TargetDraining)}}, budget: 2, minHealthy: 2,
			stop: []string{"4", "5"}},
		{name: "every task bad: held, service-wide", fleet: Fleet{Desired: 3, Tasks: []Task{task("1", TargetUnhealthy), task("2", TargetUnhealthy), task("3", TargetDraining)}}, budget: 1, minHealthy: 2,
			held: []string{"1", "2", "3"}, why: "service-wide"},
		{name: "two bad of three: one healthy is below the floor", fleet: Fleet{Desired: 3, Tasks: []Task{h("1"), task("2", TargetUnhealthy), task("3", TargetUnhealthy)}}, budget: 1, minHealthy: 2,
			held: []string{"2", "3"}, why: "only 1 healthy"},
		{name: "floor capped at desired-1: two-task service", fleet: Fleet{Desired: 2, Tasks: []Task{h("1"), task("2", TargetUnhealthy)}}, budget: 1, minHealthy: 2,
			stop: []string{"2"}},
		{name: "one-task service is always remediated", fleet: Fleet{Desired: 1, Tasks: []Task{task("1", TargetUnhealthy)}}, budget: 1, minHealthy: 2,
			stop: []string{"1"}},
		{name: "MIN_HEALTHY 0 stops even when all are bad", fleet: Fleet{Desired: 3, Tasks: []Task{task("1", TargetUnhealthy), task("2", TargetUnhealthy), task("3", TargetUnhealthy)}}, budget: 1, minHealthy: 0,
			stop: []string{"1"}, held: []string{"2", "3"}, why: "rate limit"},
		{name: "initial replacements do not count as healthy", fleet: Fleet{Desired: 3, Tasks: []Task{h("1"), task("2", TargetInitial), task("3", TargetUnhealthy)}}, budget: 1, minHealthy: 2,
			held: []string{"3"}, why: "only 1 healthy"},
		{name: "worst first: unhealthy before draining, then oldest", fleet: Fleet{Desired: 6, Tasks: []Task{h("1"), h("2"), task("3", TargetDraining),
			startedAt(task("4", TargetUnhealthy), t0), startedAt(task("5", TargetUnhealthy), t0.Add(-2*time.Hour)), withECS(task("6", TargetHealthy), "UNHEALTHY")}},
			budget: 4, minHealthy: 2, stop: []string{"5", "6", "4", "3"}},
		{name: "no budget", fleet: Fleet{Desired: 3, Tasks: []Task{h("1"), h("2"), task("3", TargetUnhealthy)}}, budget: 0, minHealthy: 2,
			held: []string{"3"}, why: "no stops left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := PlanStops(tt.fleet, tt.budget, tt.minHealthy)
			if got := arns(p.Stop); !reflect.DeepEqual(got, tt.stop) {
				t.Errorf("stop = %v, want %v", got, tt.stop)
			}
			if got := arns(p.Held); !reflect.DeepEqual(got, tt.held) {
				t.Errorf("held = %v, want %v", got, tt.held)
			}
			if !strings.Contains(p.Why, tt.why) || (tt.why == "" && p.Why != "") {
				t.Errorf("why = %q, want it to contain %q", p.Why, tt.why)
			}
		})
	}
}

func TestAttemptsFor(t *testing.T) {
	t.Parallel()
	alarm, ep := "vigil-prod-app-5xx", "20260501T100000Z"
	stopped := []StoppedTask{
		{ARN: "b", StoppedAt: t0.Add(2 * time.Minute), Reason: StopReason(alarm, ep, "target 10.0.0.2:8080 unhealthy")},
		{ARN: "a", StoppedAt: t0.Add(time.Minute), Reason: StopReason(alarm, ep, "target 10.0.0.1:8080 unhealthy")},
		{ARN: "other-episode", StoppedAt: t0, Reason: StopReason(alarm, "20260501T090000Z", "x")},
		{ARN: "other-alarm", StoppedAt: t0, Reason: StopReason("vigil-prod-app-latency", ep, "x")},
		{ARN: "by-ecs", StoppedAt: t0, Reason: "Scaling activity initiated by (deployment ecs-svc/123)"},
		{ARN: "by-hand", StoppedAt: t0, Reason: "episode=" + ep + " key=" + EpisodeKey(alarm, ep) + " but not ours"},
		{ARN: "no-reason", StoppedAt: t0},
	}
	a := AttemptsFor(stopped, alarm, ep)
	if a.Count() != 2 || a.Tasks[0].ARN != "a" || a.Tasks[1].ARN != "b" || !a.Last().Equal(t0.Add(2*time.Minute)) {
		t.Errorf("AttemptsFor = %+v", a)
	}
	if a := AttemptsFor(nil, alarm, ep); a.Count() != 0 || !a.Last().IsZero() {
		t.Errorf("AttemptsFor(nil) = %+v", a)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	limits := Limits{MaxAttempts: 3, MaxStops: 1, MinHealthy: 2, EscalateAfter: 10 * time.Minute, RetryAfter: 3 * time.Minute}
	oneBad := Fleet{Desired: 3, Tasks: []Task{task("1", TargetHealthy), task("2", TargetUnhealthy), task("3", TargetHealthy)}}
	allBad := Fleet{Desired: 3, Tasks: []Task{task("1", TargetUnhealthy), task("2", TargetUnhealthy), task("3", TargetUnhealthy)}}
	allGood := Fleet{Desired: 3, Tasks: []Task{task("1", TargetHealthy), task("2", TargetHealthy), task("3", TargetHealthy)}}
	stops := func(ago ...time.Duration) Attempts {
		var a Attempts
		for i, d := range ago {
			a.Tasks = append(a.Tasks, StoppedTask{ARN: string(rune('a' + i)), StoppedAt: t0.Add(5*time.Minute - d)})
		}
		return a
	}
	now := t0.Add(5 * time.Minute) // five minutes into the episode
	tests := []struct {
		name     string
		trigger  Trigger
		now      time.Time
		attempts Attempts
		fleet    Fleet
		limits   Limits
		want     Verdict
		stop     []string
		why      string
	}{
		{name: "event: first stop", trigger: TriggerEvent, now: t0.Add(10 * time.Second), fleet: oneBad, want: VerdictStop, stop: []string{"2"}, why: "attempt 1 of 3"},
		{name: "event redelivered: no second stop", trigger: TriggerEvent, now: t0.Add(20 * time.Second), attempts: Attempts{Tasks: []StoppedTask{{ARN: "x", StoppedAt: t0.Add(10 * time.Second)}}},
			fleet: oneBad, want: VerdictDuplicate, why: "already acted"},
		{name: "event redelivered late: still no stop", trigger: TriggerEvent, now: now, attempts: stops(4 * time.Minute), fleet: oneBad, want: VerdictDuplicate},
		{name: "event: every task bad escalates at once", trigger: TriggerEvent, now: t0.Add(10 * time.Second), fleet: allBad, want: VerdictEscalate, why: "nothing it can stop: 3 of 3 running tasks are bad"},
		{name: "event: nothing bad escalates at once", trigger: TriggerEvent, now: t0.Add(10 * time.Second), fleet: allGood, want: VerdictEscalate, why: "nothing it can stop: none of the 3"},
		{name: "event after ESCALATE_AFTER escalates", trigger: TriggerEvent, now: t0.Add(11 * time.Minute), fleet: oneBad, want: VerdictEscalate, why: "ESCALATE_AFTER 10m0s"},
		{name: "sweep: episode too young, event goes first", trigger: TriggerSweep, now: t0.Add(time.Minute), fleet: oneBad, want: VerdictWait, why: "its state change event acts first"},
		{name: "sweep: missed event, acts", trigger: TriggerSweep, now: now, fleet: oneBad, want: VerdictStop, stop: []string{"2"}},
		{name: "sweep: last stop too recent", trigger: TriggerSweep, now: now, attempts: stops(time.Minute), fleet: oneBad, want: VerdictWait, why: "the last stop was 1m0s ago"},
		{name: "sweep: follow-up stop", trigger: TriggerSweep, now: now, attempts: stops(4 * time.Minute), fleet: oneBad, want: VerdictStop, stop: []string{"2"}, why: "attempt 2 of 3"},
		{name: "sweep: follow-up, nothing left to stop", trigger: TriggerSweep, now: now, attempts: stops(4 * time.Minute), fleet: allGood, want: VerdictEscalate, why: "after 1 stop(s) and there is nothing more"},
		{name: "sweep: attempts spent, last one still working", trigger: TriggerSweep, now: now, attempts: stops(4*time.Minute, 3*time.Minute, time.Minute), fleet: oneBad, want: VerdictWait, why: "all 3 stops are spent"},
		{name: "sweep: attempts spent and given time: escalate", trigger: TriggerSweep, now: now, attempts: stops(4*time.Minute, 3*time.Minute+30*time.Second, 3*time.Minute), fleet: oneBad, want: VerdictEscalate, why: "MAX_ATTEMPTS 3"},
		{name: "event: attempts spent escalates on redelivery", trigger: TriggerEvent, now: now, attempts: stops(4*time.Minute, 3*time.Minute+30*time.Second, 3*time.Minute), fleet: oneBad, want: VerdictEscalate},
		{name: "sweep: stops of this invocation spent on other alarms", trigger: TriggerSweep, now: now, attempts: stops(4 * time.Minute), fleet: oneBad,
			limits: Limits{MaxAttempts: 3, MaxStops: 0, MinHealthy: 2, EscalateAfter: 10 * time.Minute, RetryAfter: 3 * time.Minute}, want: VerdictWait, why: "other alarms"},
		{name: "budget never exceeds attempts left", trigger: TriggerSweep, now: now, attempts: stops(4*time.Minute, 4*time.Minute),
			fleet:  Fleet{Desired: 6, Tasks: []Task{task("1", TargetHealthy), task("2", TargetHealthy), task("3", TargetHealthy), task("4", TargetUnhealthy), task("5", TargetUnhealthy), task("6", TargetUnhealthy)}},
			limits: Limits{MaxAttempts: 3, MaxStops: 5, MinHealthy: 2, EscalateAfter: 10 * time.Minute, RetryAfter: 3 * time.Minute}, want: VerdictStop, stop: []string{"4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := limits
			if tt.limits != (Limits{}) {
				l = tt.limits
			}
			d := Decide(Situation{Trigger: tt.trigger, Now: tt.now, EpisodeStart: t0, Attempts: tt.attempts, Fleet: tt.fleet, Limits: l})
			if d.Verdict != tt.want {
				t.Fatalf("verdict = %s (%s), want %s", d.Verdict, d.Why, tt.want)
			}
			if got := arns(d.Plan.Stop); tt.want == VerdictStop && !reflect.DeepEqual(got, tt.stop) {
				t.Errorf("stop = %v, want %v", got, tt.stop)
			}
			if !strings.Contains(d.Why, tt.why) {
				t.Errorf("why = %q, want it to contain %q", d.Why, tt.why)
			}
		})
	}
}
