package cwalarm

import "strings"

// Actions are an alarm's action lists, by the state they belong to.
type Actions struct {
	OK               []string
	Alarm            []string
	InsufficientData []string
}

// For returns the actions of a state.
func (a Actions) For(s State) []string {
	switch s {
	case OK:
		return a.OK
	case Alarm:
		return a.Alarm
	case InsufficientData:
		return a.InsufficientData
	}
	return nil
}

// ToFire returns the actions that run when an alarm goes from old to new:
// the new state's, and only on a change of state with actions enabled.
// Actions fire on state changes only; staying in a state fires nothing
// (but see Repeating).
func ToFire(old, new State, enabled bool, a Actions) []string {
	if !enabled || old == new {
		return nil
	}
	return a.For(new)
}

// Repeating returns the actions that run again at every evaluation period
// while the alarm stays in state: Auto Scaling policies (EC2 Auto Scaling
// and Application Auto Scaling policy ARNs, arn:aws:autoscaling:…). SNS
// notifications and every other action run once, on the change.
func Repeating(state State, enabled bool, a Actions) []string {
	if !enabled {
		return nil
	}
	var out []string
	for _, act := range a.For(state) {
		if IsAutoScaling(act) {
			out = append(out, act)
		}
	}
	return out
}

// IsAutoScaling reports whether an action ARN is an Auto Scaling policy.
func IsAutoScaling(action string) bool {
	return strings.HasPrefix(action, "arn:aws:autoscaling:") || strings.Contains(action, ":autoscaling:")
}
