package autoscaling

import (
	"fmt"
	"math"
	"time"
)

// Direction is which of a target tracking policy's alarms invoked it.
type Direction int

// Directions.
const (
	ScaleOut Direction = iota + 1 // AlarmHigh: the metric is above the target
	ScaleIn                       // AlarmLow: the metric is well below the target
)

func (d Direction) String() string {
	switch d {
	case ScaleOut:
		return "scale-out"
	case ScaleIn:
		return "scale-in"
	}
	return "unknown"
}

// Cooldowns is what a target tracking policy remembers between
// invocations.
type Cooldowns struct {
	// OutUntil ends the scale-out cooldown; OutBase is the capacity before
	// the scale-out that started it (the capacity that scale-out added
	// counts toward the next one while the cooldown lasts).
	OutUntil time.Time `json:"out_until,omitzero"`
	OutBase  int       `json:"out_base,omitempty"`
	// InUntil ends the scale-in cooldown.
	InUntil time.Time `json:"in_until,omitzero"`
}

// Invocation is one invocation of a target tracking policy by one of its
// alarms.
type Invocation struct {
	Now       time.Time
	Direction Direction
	// Metric is the newest datapoint of the policy's metric; Target the
	// policy's target value.
	Metric, Target float64
	// Current is the scalable target's capacity (the ECS service's desired
	// count); Min and Max its registered range.
	Current, Min, Max int
	// Cooldowns of the policy (ScaleOutCooldown, ScaleInCooldown).
	ScaleOutCooldown, ScaleInCooldown time.Duration
	DisableScaleIn                    bool
	// Suspended dynamic scaling of the scalable target.
	OutSuspended, InSuspended bool
	State                     Cooldowns
}

// Decision is what an invocation does.
type Decision struct {
	// Desired is the new capacity; Scale says whether it differs from
	// Current (a scaling activity).
	Desired int
	Scale   bool
	// Why explains a decision not to scale.
	Why string
	// State is the policy's cooldown state after the invocation.
	State Cooldowns
}

// MaxScaleInFraction bounds one scale-in activity: at most this share of
// the current capacity (and at least one unit) is removed at a time.
const MaxScaleInFraction = 0.10

// Decide is target tracking's decision for one invocation.
//
// Scale-out is proportional: desired = ceil(current × metric / target),
// clamped to [min, max]. During the scale-out cooldown the capacity the
// last scale-out added counts toward the next one — the proposal is
// computed from the capacity before that scale-out — so only a larger
// scale-out goes ahead. A scale-out ends any scale-in cooldown.
//
// Scale-in is conservative: the same proportional proposal (rounded up,
// keeping capacity), but removing at most MaxScaleInFraction of the current
// capacity (at least one unit) per activity; never during the scale-out or
// scale-in cooldown, never with DisableScaleIn.
//
// The capacity never leaves [min, max].
func Decide(in Invocation) Decision {
	d := Decision{Desired: in.Current, State: in.State}
	if in.Target <= 0 || math.IsNaN(in.Metric) {
		d.Why = "no usable metric value"
		return d
	}
	ratio := in.Metric / in.Target
	switch in.Direction {
	case ScaleOut:
		if in.OutSuspended {
			d.Why = "dynamic scale-out is suspended"
			return d
		}
		base := in.Current
		inCooldown := in.Now.Before(in.State.OutUntil)
		if inCooldown {
			base = in.State.OutBase
		}
		want := clamp(ceil(float64(base)*ratio), in.Min, in.Max)
		if want <= in.Current {
			switch {
			case in.Current >= in.Max:
				d.Why = fmt.Sprintf("already at the maximum capacity %d", in.Max)
			case inCooldown:
				d.Why = fmt.Sprintf("in the scale-out cooldown until %s and the proposed capacity %d is not larger", in.State.OutUntil.UTC().Format(time.RFC3339), want)
			default:
				d.Why = fmt.Sprintf("the proposed capacity %d is not larger than the current %d", want, in.Current)
			}
			return d
		}
		d.Desired, d.Scale = want, true
		if !inCooldown {
			d.State.OutBase = in.Current
		}
		d.State.OutUntil = in.Now.Add(in.ScaleOutCooldown)
		d.State.InUntil = time.Time{} // a scale-out ends the scale-in cooldown
		return d
	case ScaleIn:
		switch {
		case in.DisableScaleIn:
			d.Why = "scale-in is disabled for this policy"
			return d
		case in.InSuspended:
			d.Why = "dynamic scale-in is suspended"
			return d
		case in.Now.Before(in.State.OutUntil):
			d.Why = fmt.Sprintf("in the scale-out cooldown until %s", in.State.OutUntil.UTC().Format(time.RFC3339))
			return d
		case in.Now.Before(in.State.InUntil):
			d.Why = fmt.Sprintf("in the scale-in cooldown until %s", in.State.InUntil.UTC().Format(time.RFC3339))
			return d
		}
		step := max(1, int(math.Floor(float64(in.Current)*MaxScaleInFraction)))
		want := max(ceil(float64(in.Current)*ratio), in.Current-step)
		want = clamp(want, in.Min, in.Max)
		if want >= in.Current {
			if in.Current <= in.Min {
				d.Why = fmt.Sprintf("already at the minimum capacity %d", in.Min)
			} else {
				d.Why = fmt.Sprintf("the proposed capacity %d is not smaller than the current %d", want, in.Current)
			}
			return d
		}
		d.Desired, d.Scale = want, true
		d.State.InUntil = in.Now.Add(in.ScaleInCooldown)
		return d
	}
	d.Why = "unknown direction"
	return d
}

// ceil rounds up, ignoring floating-point dust (3 × 60/60 is 3, not 4).
func ceil(x float64) int { return int(math.Ceil(x - 1e-9)) }

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
