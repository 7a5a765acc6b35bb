package chaos

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// Kinds of fault.
const (
	// KindUnhealthy makes tasks of a service bad: they answer every
	// request with 500 and, unless HealthCheck is "pass", fail their load
	// balancer (and container) health checks too.
	KindUnhealthy = "unhealthy"
	// Kind5xxBurst makes a share (Percent) of the requests a load
	// balancer or service answers fail with 500 from the targets.
	Kind5xxBurst = "5xx-burst"
	// KindLatency adds Latency to the target response time of a share
	// (Percent, default 100) of the requests.
	KindLatency = "latency"
	// KindLoad sets a service's CPU demand by steps over virtual time.
	KindLoad = "load"
	// KindAZOutage takes an Availability Zone out: its tasks die, no task
	// is placed in its subnets, the load balancer stops routing there.
	KindAZOutage = "az-outage"
	// KindStartFailure makes new tasks of a service (optionally only of
	// one task definition) fail to start (CannotPullContainerError): what
	// trips a deployment's circuit breaker.
	KindStartFailure = "start-failure"
)

// Kinds lists the fault kinds.
var Kinds = []string{KindUnhealthy, Kind5xxBurst, KindLatency, KindLoad, KindAZOutage, KindStartFailure}

// Duration is a time.Duration written as Go text ("90s", "20m") in JSON.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler: a string like "5m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string like \"90s\", \"5m\" or \"1h30m\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q is not like \"90s\", \"5m\" or \"1h30m\"", s)
	}
	*d = Duration(v)
	return nil
}

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Step is one step of a load profile: CPU percent (at the profile's
// reference task count) for a duration; the last step may leave For out
// to last until the fault ends.
type Step struct {
	CPU float64  `json:"cpu"`
	For Duration `json:"for,omitempty"`
}

// Fault is one injected fault. A request to add one sets Kind, the target
// fields its kind needs, and optionally Delay (start later) and Duration
// (end by itself; without it the fault lasts until cleared). The sandbox
// fills ID, Start, End, Created and, for unhealthy faults, Tasks.
type Fault struct {
	ID   string `json:"id,omitempty"`
	Kind string `json:"kind"`

	// Service faults (unhealthy, load, start-failure; 5xx-burst and
	// latency may name a service instead of a load balancer).
	Cluster string `json:"cluster,omitempty"`
	Service string `json:"service,omitempty"`
	// LoadBalancer (name or ARN) for 5xx-burst and latency.
	LoadBalancer string `json:"load_balancer,omitempty"`

	// Unhealthy: Count tasks of the service (default 1), or the one Task
	// (ID or ARN). Tasks are the IDs picked when the fault was added.
	Count       int      `json:"count,omitempty"`
	Task        string   `json:"task,omitempty"`
	Tasks       []string `json:"tasks,omitempty"`
	HealthCheck string   `json:"health_check,omitempty"` // fail (default) or pass

	// Percent of requests affected (5xx-burst: required; latency: default 100).
	Percent float64 `json:"percent,omitempty"`
	// Latency added to each affected request.
	Latency Duration `json:"latency,omitempty"`

	// Load profile: steps of CPU percent at ReferenceTasks tasks (default:
	// the service's running count when the fault is added), so a
	// scale-out spreads the same demand over more tasks.
	Steps          []Step `json:"steps,omitempty"`
	ReferenceTasks int    `json:"reference_tasks,omitempty"`

	// AZ for az-outage (e.g. us-east-1a).
	AZ string `json:"az,omitempty"`

	// TaskDefinition limits start-failure to tasks of one task
	// definition (ARN or family:revision).
	TaskDefinition string `json:"task_definition,omitempty"`

	Delay    Duration   `json:"delay,omitempty"`
	Duration Duration   `json:"duration,omitempty"`
	Start    time.Time  `json:"start,omitzero"`
	End      *time.Time `json:"end,omitempty"`
	Created  time.Time  `json:"created,omitzero"`
}

// MaxDuration bounds a fault's delay and duration.
const MaxDuration = 31 * 24 * time.Hour

var azRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d[a-z]$`)

// Validate checks a fault as a client sent it, saying what is wrong.
func (f *Fault) Validate() error {
	bad := func(format string, args ...any) error { return fmt.Errorf(format, args...) }
	if f.ID != "" || !f.Start.IsZero() || f.End != nil || !f.Created.IsZero() || len(f.Tasks) > 0 {
		return bad("id, start, end, created and tasks are set by the sandbox; leave them out (use delay and duration)")
	}
	if f.Delay < 0 || f.Duration < 0 || f.Delay.D() > MaxDuration || f.Duration.D() > MaxDuration {
		return bad("delay and duration must be between 0 and %s", MaxDuration)
	}
	needService := func() error {
		if f.Service == "" {
			return bad("a %s fault needs a service (and its cluster)", f.Kind)
		}
		return nil
	}
	percent := func(required bool) error {
		if math.IsNaN(f.Percent) || f.Percent < 0 || f.Percent > 100 || (required && f.Percent == 0) {
			return bad("percent must be between 0 and 100 (exclusive of 0)")
		}
		return nil
	}
	unused := func(fields map[string]bool) error {
		for name, set := range fields {
			if set {
				return bad("%s does not apply to a %s fault", name, f.Kind)
			}
		}
		return nil
	}
	switch f.Kind {
	case KindUnhealthy:
		if err := needService(); err != nil {
			return err
		}
		if f.Count < 0 || f.Count > 1000 {
			return bad("count must be between 1 and 1000")
		}
		if f.Count > 0 && f.Task != "" {
			return bad("give count or task, not both")
		}
		if f.HealthCheck != "" && f.HealthCheck != "fail" && f.HealthCheck != "pass" {
			return bad("health_check must be \"fail\" (the tasks fail their health checks) or \"pass\" (they only answer 500)")
		}
		return unused(map[string]bool{"load_balancer": f.LoadBalancer != "", "percent": f.Percent != 0, "latency": f.Latency != 0,
			"steps": len(f.Steps) > 0, "az": f.AZ != "", "task_definition": f.TaskDefinition != ""})
	case Kind5xxBurst, KindLatency:
		if (f.Service == "") == (f.LoadBalancer == "") {
			return bad("a %s fault needs a load_balancer or a service (one of them)", f.Kind)
		}
		if err := percent(f.Kind == Kind5xxBurst); err != nil {
			return err
		}
		if f.Kind == KindLatency && (f.Latency <= 0 || f.Latency.D() > 10*time.Minute) {
			return bad("a latency fault needs latency, a duration like \"2s\" up to 10m")
		}
		if f.Kind == Kind5xxBurst && f.Latency != 0 {
			return bad("latency does not apply to a 5xx-burst fault")
		}
		return unused(map[string]bool{"count": f.Count != 0, "task": f.Task != "", "health_check": f.HealthCheck != "",
			"steps": len(f.Steps) > 0, "az": f.AZ != "", "task_definition": f.TaskDefinition != ""})
	case KindLoad:
		if err := needService(); err != nil {
			return err
		}
		if len(f.Steps) == 0 || len(f.Steps) > 100 {
			return bad("a load fault needs 1 to 100 steps like {\"cpu\": 90, \"for\": \"20m\"}")
		}
		for i, s := range f.Steps {
			if math.IsNaN(s.CPU) || s.CPU < 0 || s.CPU > 1000 {
				return bad("step %d: cpu must be a percent between 0 and 1000 (above 100 means more demand than the tasks can serve)", i+1)
			}
			if s.For < 0 || (s.For == 0 && i != len(f.Steps)-1) {
				return bad("step %d: every step but the last needs a positive \"for\" duration", i+1)
			}
		}
		if f.ReferenceTasks < 0 || f.ReferenceTasks > 10000 {
			return bad("reference_tasks must be between 1 and 10000")
		}
		return unused(map[string]bool{"load_balancer": f.LoadBalancer != "", "count": f.Count != 0, "task": f.Task != "",
			"health_check": f.HealthCheck != "", "percent": f.Percent != 0, "latency": f.Latency != 0, "az": f.AZ != "",
			"task_definition": f.TaskDefinition != ""})
	case KindAZOutage:
		if !azRE.MatchString(f.AZ) {
			return bad("an az-outage fault needs az, an Availability Zone name like us-east-1a")
		}
		return unused(map[string]bool{"cluster": f.Cluster != "", "service": f.Service != "", "load_balancer": f.LoadBalancer != "",
			"count": f.Count != 0, "task": f.Task != "", "health_check": f.HealthCheck != "", "percent": f.Percent != 0,
			"latency": f.Latency != 0, "steps": len(f.Steps) > 0, "task_definition": f.TaskDefinition != ""})
	case KindStartFailure:
		if err := needService(); err != nil {
			return err
		}
		return unused(map[string]bool{"load_balancer": f.LoadBalancer != "", "count": f.Count != 0, "task": f.Task != "",
			"health_check": f.HealthCheck != "", "percent": f.Percent != 0, "latency": f.Latency != 0, "steps": len(f.Steps) > 0,
			"az": f.AZ != ""})
	case "":
		return bad("kind is required: one of %s", strings.Join(Kinds, ", "))
	default:
		return bad("unknown kind %q: use one of %s", f.Kind, strings.Join(Kinds, ", "))
	}
}

// Schedule fills Start and End from now, Delay and Duration (a load
// profile whose steps all have a duration ends after the last one).
func (f *Fault) Schedule(now time.Time) {
	f.Created = now.UTC()
	f.Start = now.Add(f.Delay.D()).UTC()
	d := f.Duration.D()
	if f.Kind == KindLoad && f.Steps[len(f.Steps)-1].For > 0 {
		var total time.Duration
		for _, s := range f.Steps {
			total += s.For.D()
		}
		if d == 0 || total < d {
			d = total
		}
	}
	if d > 0 {
		end := f.Start.Add(d)
		f.End = &end
	}
}

// ActiveAt reports whether the fault is in effect at t.
func (f *Fault) ActiveAt(t time.Time) bool {
	return !t.Before(f.Start) && (f.End == nil || t.Before(*f.End))
}

// Status is "scheduled", "active" or "ended" at t.
func (f *Fault) Status(t time.Time) string {
	switch {
	case t.Before(f.Start):
		return "scheduled"
	case f.End != nil && !t.Before(*f.End):
		return "ended"
	}
	return "active"
}

// CPUAt is a load fault's CPU percent (at its reference task count) at t;
// ok is false outside the profile.
func (f *Fault) CPUAt(t time.Time) (cpu float64, ok bool) {
	if f.Kind != KindLoad || !f.ActiveAt(t) {
		return 0, false
	}
	at := t.Sub(f.Start)
	for _, s := range f.Steps {
		if s.For == 0 || at < s.For.D() {
			return s.CPU, true
		}
		at -= s.For.D()
	}
	return 0, false
}

// HealthChecksFail says whether an unhealthy fault's tasks fail their
// health checks.
func (f *Fault) HealthChecksFail() bool { return f.Kind == KindUnhealthy && f.HealthCheck != "pass" }
