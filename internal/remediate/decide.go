package remediate

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The decisions in this file are pure: they take what the remediator read
// from AWS and say what to do. remediate.go does the I/O around them.

// Target health states (ELBv2 DescribeTargetHealth).
const (
	TargetInitial           = "initial"
	TargetHealthy           = "healthy"
	TargetUnhealthy         = "unhealthy"
	TargetUnhealthyDraining = "unhealthy.draining"
	TargetUnused            = "unused"
	TargetDraining          = "draining"
	TargetUnavailable       = "unavailable"
)

// Task is one of the service's tasks that ECS wants running, joined with
// its target in the target group.
type Task struct {
	ARN        string
	IP         string    // private IPv4 address of its network interface
	Started    time.Time // zero if not started
	LastStatus string    // PENDING, RUNNING…
	ECSHealth  string    // HEALTHY, UNHEALTHY or UNKNOWN (container health checks)
	// Target is "ip:port" when the task's address is registered in the
	// target group; TargetState and TargetReason are its health there.
	Target       string
	TargetState  string
	TargetReason string
	// App is what the task answered over the alarm's evaluation window,
	// from the app's per-task metrics (read only for a 5xx alarm when no
	// task is bad by its health); AppOutlier says why its 5xx share
	// stands out among the tasks (FindOutliers), empty when it does not.
	App        TaskLoad
	AppOutlier string
}

// Running reports whether ECS says the task runs.
func (t Task) Running() bool { return t.LastStatus == "RUNNING" }

// Bad says whether the task should be replaced, and why. A running task is
// bad when its target is unhealthy or draining (taken out of the load
// balancer while ECS still wants it running) or when ECS itself reports
// it UNHEALTHY.
func (t Task) Bad() (bool, string) {
	if !t.Running() {
		return false, ""
	}
	var why []string
	switch t.TargetState {
	case TargetUnhealthy, TargetUnhealthyDraining, TargetDraining:
		s := "target " + t.Target + " " + t.TargetState
		if t.TargetReason != "" {
			s += " (" + t.TargetReason + ")"
		}
		why = append(why, s)
	}
	if t.ECSHealth == "UNHEALTHY" {
		why = append(why, "ECS reports the task UNHEALTHY")
	}
	if t.AppOutlier != "" {
		why = append(why, t.AppOutlier)
	}
	return len(why) > 0, strings.Join(why, "; ")
}

// Healthy reports whether the task serves: running, its target healthy,
// ECS not reporting it unhealthy, and its 5xx share not standing out.
func (t Task) Healthy() bool {
	return t.Running() && t.TargetState == TargetHealthy && t.ECSHealth != "UNHEALTHY" && t.AppOutlier == ""
}

// severity orders bad tasks: failing health checks first, then targets
// taken out of service, then tasks bad only by their app metrics.
func (t Task) severity() int {
	switch {
	case t.TargetState == TargetUnhealthy || t.ECSHealth == "UNHEALTHY":
		return 0
	case t.TargetState == TargetUnhealthyDraining:
		return 1
	case t.TargetState == TargetDraining:
		return 2
	}
	return 3
}

// badByHealth reports whether a running task is bad by its target or ECS
// health, leaving its app metrics aside.
func (t Task) badByHealth() bool {
	t.AppOutlier = ""
	bad, _ := t.Bad()
	return bad
}

// Fleet is the service as observed: its desired count and the tasks ECS
// wants running.
type Fleet struct {
	Desired int
	Tasks   []Task
	// AppNote says what the per-task app metrics showed, or why they
	// could not be used ("" when they were not needed).
	AppNote string
}

// Counts summarises the fleet for people: running, healthy and bad tasks.
func (f Fleet) Counts() (running, healthy, bad int) {
	for _, t := range f.Tasks {
		if t.Running() {
			running++
		}
		if t.Healthy() {
			healthy++
		}
		if b, _ := t.Bad(); b {
			bad++
		}
	}
	return
}

// Pick is a task chosen (or held back) and why.
type Pick struct {
	Task Task
	Why  string
}

// StopPlan is what PlanStops chose.
type StopPlan struct {
	Stop    []Pick // to stop now
	Held    []Pick // bad, but kept by the rate limit
	Why     string // why nothing (more) is stopped; empty when all bad tasks are stopped
	Healthy int    // healthy tasks serving
	Floor   int    // healthy tasks required before stopping any
}

// PlanStops picks the bad tasks to stop now. The rate limit:
//
//   - at most budget tasks (MAX_STOPS per invocation, never more than the
//     episode's attempts left);
//   - only while at least floor = min(minHealthy, desired−1) tasks are
//     healthy. Stopping a bad task takes nothing from the healthy ones,
//     but when fewer than that serve the fault looks service-wide (a bad
//     deployment, a failed dependency): replacing tasks would not fix it
//     and, with an ALB failing open, would take capacity that still
//     serves. A one-task service (floor 0) is always remediated.
//
// Worst first: failing health checks before targets taken out of service,
// then the oldest task, then by ARN, so the plan is deterministic.
func PlanStops(f Fleet, budget, minHealthy int) StopPlan {
	var bad []Pick
	p := StopPlan{}
	for _, t := range f.Tasks {
		if b, why := t.Bad(); b {
			bad = append(bad, Pick{Task: t, Why: why})
		}
		if t.Healthy() {
			p.Healthy++
		}
	}
	p.Floor = min(minHealthy, f.Desired-1)
	if p.Floor < 0 {
		p.Floor = 0
	}
	sort.SliceStable(bad, func(i, j int) bool {
		a, b := bad[i].Task, bad[j].Task
		if a.severity() != b.severity() {
			return a.severity() < b.severity()
		}
		if !a.Started.Equal(b.Started) {
			return a.Started.Before(b.Started)
		}
		return a.ARN < b.ARN
	})
	running, _, _ := f.Counts()
	switch {
	case len(bad) == 0:
		p.Why = fmt.Sprintf("none of the %d running tasks has an unhealthy or draining target or is UNHEALTHY in ECS", running)
		if f.AppNote != "" {
			p.Why += "; " + f.AppNote
		}
	case p.Healthy < p.Floor:
		p.Held = bad
		p.Why = fmt.Sprintf("%d of %d running tasks are bad and only %d healthy, fewer than the %d required (MIN_HEALTHY, capped at desired−1): the fault looks service-wide, replacing tasks would not fix it",
			len(bad), running, p.Healthy, p.Floor)
	case budget <= 0:
		p.Held = bad
		p.Why = "no stops left for this episode"
	default:
		n := min(budget, len(bad))
		p.Stop, p.Held = bad[:n], bad[n:]
		if len(p.Held) > 0 {
			p.Why = fmt.Sprintf("rate limit: at most %d stop(s) per invocation; %d bad task(s) wait for the next round", budget, len(p.Held))
		}
	}
	return p
}

// StoppedTask is a stopped (or stopping) task of the service.
type StoppedTask struct {
	ARN       string
	StoppedAt time.Time
	Reason    string
}

// Attempts is what the remediator already did for an episode, as read
// back from ECS: the tasks it stopped (stopped reason carrying the
// episode's key), oldest first.
type Attempts struct {
	Tasks []StoppedTask
}

// Count is the number of stops in the episode.
func (a Attempts) Count() int { return len(a.Tasks) }

// Last is when the latest stop happened (zero if none).
func (a Attempts) Last() time.Time {
	var last time.Time
	for _, t := range a.Tasks {
		if t.StoppedAt.After(last) {
			last = t.StoppedAt
		}
	}
	return last
}

// AttemptsFor selects the stops of the alarm's episode among the
// service's stopped tasks. This is the idempotency record: it lives in
// ECS (stopped tasks stay describable for at least an hour), not in the
// function's memory.
func AttemptsFor(stopped []StoppedTask, alarm, episode string) Attempts {
	var a Attempts
	for _, t := range stopped {
		if IsStopFor(t.Reason, alarm, episode) {
			a.Tasks = append(a.Tasks, t)
		}
	}
	sort.SliceStable(a.Tasks, func(i, j int) bool { return a.Tasks[i].StoppedAt.Before(a.Tasks[j].StoppedAt) })
	return a
}

// Trigger is what invoked the remediator.
type Trigger string

// Triggers.
const (
	// TriggerEvent: the alarm's state change event (or a redelivery).
	TriggerEvent Trigger = "event"
	// TriggerSweep: a scheduled follow-up over the alarms still in ALARM.
	TriggerSweep Trigger = "sweep"
)

// Verdict is what to do about an episode.
type Verdict string

// Verdicts.
const (
	VerdictStop      Verdict = "stop"
	VerdictEscalate  Verdict = "escalate"
	VerdictWait      Verdict = "wait"
	VerdictDuplicate Verdict = "duplicate"
)

// Limits are the knobs of Decide (from Config).
type Limits struct {
	MaxAttempts   int
	MaxStops      int
	MinHealthy    int
	EscalateAfter time.Duration
	RetryAfter    time.Duration
}

// Limits returns the decision knobs of the configuration.
func (c Config) Limits() Limits {
	return Limits{MaxAttempts: c.MaxAttempts, MaxStops: c.MaxStops, MinHealthy: c.MinHealthy,
		EscalateAfter: c.EscalateAfter, RetryAfter: c.RetryAfter}
}

// Situation is an alarm episode still in ALARM, not yet escalated, with
// what was done about it and the fleet as it is now.
type Situation struct {
	Trigger      Trigger
	Now          time.Time
	EpisodeStart time.Time
	Attempts     Attempts
	Fleet        Fleet
	Limits       Limits
}

// Decision is Decide's answer.
type Decision struct {
	Verdict Verdict
	Why     string
	Plan    StopPlan // the stops for VerdictStop; for an escalation with nothing to stop, why not
}

// Decide says what to do about an episode that is still in ALARM and not
// yet escalated:
//
//  1. In ALARM for EscalateAfter or longer: escalate.
//  2. MaxAttempts stops spent: escalate once the last one has had
//     RetryAfter to work, else wait.
//  3. Whether this invocation may stop tasks: the event may for an episode
//     with no stops yet, never again (so a redelivered event stops
//     nothing); a sweep may when the last stop (or, with none, the start of
//     the episode, whose event goes first) is RetryAfter old.
//  4. PlanStops within this invocation's stops left; nothing it can stop:
//     escalate.
func Decide(s Situation) Decision {
	l := s.Limits
	elapsed := s.Now.Sub(s.EpisodeStart)
	n := s.Attempts.Count()
	sinceLast := s.Now.Sub(s.Attempts.Last())
	if elapsed >= l.EscalateAfter {
		return Decision{Verdict: VerdictEscalate, Why: fmt.Sprintf("the alarm is still in ALARM %s after it began, after %d stop(s) (ESCALATE_AFTER %s)", round(elapsed), n, l.EscalateAfter)}
	}
	if n >= l.MaxAttempts {
		if sinceLast >= l.RetryAfter {
			return Decision{Verdict: VerdictEscalate, Why: fmt.Sprintf("the alarm is still in ALARM %s after the last of %d stop(s) (MAX_ATTEMPTS %d)", round(sinceLast), n, l.MaxAttempts)}
		}
		return Decision{Verdict: VerdictWait, Why: fmt.Sprintf("all %d stops are spent; giving the last one %s to work before escalating", n, round(l.RetryAfter-sinceLast))}
	}
	switch {
	case s.Trigger == TriggerEvent && n > 0:
		return Decision{Verdict: VerdictDuplicate, Why: fmt.Sprintf("already acted on this episode (%d stop(s), the last %s ago): an event for it stops nothing more; follow-ups come from the sweep", n, round(sinceLast))}
	case s.Trigger == TriggerSweep && n == 0 && elapsed < l.RetryAfter:
		return Decision{Verdict: VerdictWait, Why: fmt.Sprintf("the episode began %s ago; its state change event acts first", round(elapsed))}
	case s.Trigger == TriggerSweep && n > 0 && sinceLast < l.RetryAfter:
		return Decision{Verdict: VerdictWait, Why: fmt.Sprintf("the last stop was %s ago; it gets %s to work", round(sinceLast), l.RetryAfter)}
	}
	if l.MaxStops <= 0 {
		return Decision{Verdict: VerdictWait, Why: "this invocation's stops (MAX_STOPS) went to other alarms; the next sweep comes back to this one"}
	}
	plan := PlanStops(s.Fleet, min(l.MaxStops, l.MaxAttempts-n), l.MinHealthy)
	if len(plan.Stop) == 0 {
		why := "nothing it can stop: " + plan.Why
		if n > 0 {
			why = fmt.Sprintf("the alarm is still in ALARM %s after %d stop(s) and there is nothing more it can stop: %s", round(sinceLast), n, plan.Why)
		}
		return Decision{Verdict: VerdictEscalate, Why: why, Plan: plan}
	}
	return Decision{Verdict: VerdictStop, Why: fmt.Sprintf("stopping %d bad task(s), attempt %d of %d", len(plan.Stop), n+1, l.MaxAttempts), Plan: plan}
}

func round(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d.Round(time.Second)
}
