package gameday

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
)

// Scenario is a named game day: steps run in order against the
// environment's workload.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Detect is the alarm (a suffix of its name, e.g. "alb-target-5xx" or
	// "AlarmHigh") whose first ALARM after the fault is the detection and
	// whose return to OK after that is the recovery.
	Detect string `json:"detect"`
	Steps  []Step `json:"steps"`
}

// Step is one step of a scenario: exactly one of Inject, Clear, Run,
// Until and Redeliver.
type Step struct {
	// Inject adds a fault. Empty target fields are filled with the
	// environment's workload (its cluster and service, or its load
	// balancer for 5xx bursts and latency). It starts at the next minute
	// boundary, so its minutes are whole alarm periods.
	Inject *chaos.Fault `json:"inject,omitempty"`
	// Clear ends every fault.
	Clear bool `json:"clear,omitempty"`
	// Run moves the clock this long.
	Run time.Duration `json:"run,omitempty"`
	// Until moves the clock until the condition holds, failing the game
	// day after Within.
	Until  *Condition    `json:"until,omitempty"`
	Within time.Duration `json:"within,omitempty"`
	// Redeliver sends the alarm's (a name suffix) "CloudWatch Alarm State
	// Change" event for its current state to the remediator again,
	// synchronously, as EventBridge's at-least-once delivery may
	// (Report.Redeliveries).
	Redeliver string `json:"redeliver,omitempty"`
}

// Condition is something the observer can see.
type Condition struct {
	// Alarm (a name suffix) is in State.
	Alarm string `json:"alarm,omitempty"`
	State string `json:"state,omitempty"`
	// Pages: at least this many pager messages whose subject contains
	// PageSubject.
	Pages       int    `json:"pages,omitempty"`
	PageSubject string `json:"page_subject,omitempty"`
	// Healthy: the service runs its desired count, nothing pending, and
	// every target of its target group is healthy.
	Healthy bool `json:"healthy,omitempty"`
	// Stopped: at least this many of the service's tasks stopped by the
	// remediator (stopped reason "vigil-remediator: …") since the game
	// day began.
	Stopped int `json:"stopped,omitempty"`
}

func (c Condition) String() string {
	switch {
	case c.Alarm != "":
		return fmt.Sprintf("alarm %s in %s", c.Alarm, c.State)
	case c.Pages > 0:
		return fmt.Sprintf("%d page(s) with %q in the subject", c.Pages, c.PageSubject)
	case c.Healthy:
		return "the service healthy at its desired count"
	case c.Stopped > 0:
		return fmt.Sprintf("%d task(s) stopped by the remediator", c.Stopped)
	}
	return "nothing"
}

// Validate checks a scenario's shape.
func (s *Scenario) Validate() error {
	if s.Name == "" || len(s.Steps) == 0 {
		return fmt.Errorf("a scenario needs a name and steps")
	}
	for i, st := range s.Steps {
		n := 0
		if st.Inject != nil {
			n++
		}
		if st.Clear {
			n++
		}
		if st.Run > 0 {
			n++
		}
		if st.Until != nil {
			n++
			if st.Within <= 0 {
				return fmt.Errorf("scenario %s step %d: until needs within", s.Name, i+1)
			}
		}
		if st.Redeliver != "" {
			n++
		}
		if n != 1 {
			return fmt.Errorf("scenario %s step %d: give exactly one of inject, clear, run, until and redeliver", s.Name, i+1)
		}
	}
	return nil
}

// The named scenarios.
var scenarios = []Scenario{
	{
		Name: "bad-task",
		Description: "One of three tasks answers 500 but passes its health checks (a gray failure; 5xx ≈ 40/min): the 5xx alarm pages " +
			"at the end of the second bad minute, EventBridge invokes the remediator, which finds the task in the app's per-task metrics " +
			"and stops it; the alarm event redelivered stops nothing more; a healthy task replaces it, the alarm returns to OK and pages again.",
		Detect: "alb-target-5xx",
		Steps: []Step{
			{Run: 3 * time.Minute},
			// With failing health checks the load balancer takes the task out and ECS
			// replaces it by itself within a minute, before the 5xx alarm's two minutes.
			{Inject: &chaos.Fault{Kind: chaos.KindUnhealthy, Count: 1, HealthCheck: "pass"}},
			{Until: &Condition{Alarm: "alb-target-5xx", State: "ALARM"}, Within: 6 * time.Minute},
			{Until: &Condition{Stopped: 1}, Within: 5 * time.Minute},
			{Redeliver: "alb-target-5xx"},
			{Until: &Condition{Alarm: "alb-target-5xx", State: "OK"}, Within: 20 * time.Minute},
			{Until: &Condition{Healthy: true}, Within: 5 * time.Minute},
			{Run: 2 * time.Minute},
			{Clear: true},
		},
	},
	{
		Name:        "blip",
		Description: "A one-minute burst of 5xx the size of a bad task's (≈ 40 in the minute): the 5xx alarm (2 of 3 minutes) does not fire.",
		Detect:      "alb-target-5xx",
		Steps: []Step{
			{Run: 3 * time.Minute},
			{Inject: &chaos.Fault{Kind: chaos.Kind5xxBurst, Percent: 100.0 / 3, Duration: chaos.Duration(time.Minute)}},
			{Run: 6 * time.Minute},
			{Clear: true},
		},
	},
	{
		Name: "load-step",
		Description: "CPU demand 40% → 90% → 30% of three tasks: target tracking scales out after its high alarm's 3 minutes (60 s cooldown), " +
			"and back in only after 15 low minutes, 300 s apart, within [3, 20].",
		Detect: "AlarmHigh",
		Steps: []Step{
			{Run: 2 * time.Minute},
			{Inject: &chaos.Fault{Kind: chaos.KindLoad, ReferenceTasks: 3, Steps: []chaos.Step{
				{CPU: 40, For: chaos.Duration(5 * time.Minute)}, {CPU: 90, For: chaos.Duration(15 * time.Minute)}, {CPU: 30}}}},
			{Run: 50 * time.Minute},
			{Clear: true},
		},
	},
	{
		Name: "remediation-fails",
		Description: "Every task answers 500 but passes its health checks: no task stands out in the per-task metrics (the errors " +
			"are service-wide), so the remediator stops nothing and escalates once to the pager topic with the runbook link.",
		Detect: "alb-target-5xx",
		Steps: []Step{
			{Run: 3 * time.Minute},
			{Inject: &chaos.Fault{Kind: chaos.KindUnhealthy, Count: 3, HealthCheck: "pass"}},
			{Until: &Condition{Alarm: "alb-target-5xx", State: "ALARM"}, Within: 6 * time.Minute},
			{Until: &Condition{Pages: 1, PageSubject: "escalat"}, Within: 30 * time.Minute},
			{Run: 10 * time.Minute},
			{Clear: true},
			{Until: &Condition{Alarm: "alb-target-5xx", State: "OK"}, Within: 10 * time.Minute},
		},
	},
}

// Scenarios lists the named scenarios, by name.
func Scenarios() []Scenario {
	out := append([]Scenario(nil), scenarios...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a named scenario.
func Lookup(name string) (Scenario, error) {
	var names []string
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("no game day scenario %q; the scenarios are %s (vigil gameday --list)", name, strings.Join(names, ", "))
}
