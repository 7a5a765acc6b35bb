package canary

import "time"

// Transition is what one result did to a canary's alert state.
type Transition int

// The transitions.
const (
	None    Transition = iota // nothing to tell
	Fire                      // FailureThreshold failures in a row: alert
	Update                    // still failing, for another reason
	Resolve                   // SuccessThreshold successes in a row after alerting
)

func (t Transition) String() string {
	return [...]string{"none", "fire", "update", "resolve"}[t]
}

// Thresholds are how many results in a row change the state.
type Thresholds struct {
	Failure int // failures in a row before alerting (default 3)
	Success int // successes in a row before resolving (default 2)
}

// State is a canary's alert state: a pure value Step moves along.
type State struct {
	Alerting bool `json:"alerting"`
	// Failures and Successes count the current run of equal results.
	Failures  int `json:"failures"`
	Successes int `json:"successes"`
	// FailingSince is when the current run of failures began.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// Reason is the failure reason last alerted on (stable text: the
	// failed conditions or the error class).
	Reason string `json:"reason,omitempty"`
}

// Step folds one result into the state: ok says whether the check passed,
// reason (for failures) why not.
//
//   - not alerting: a failure counts; the Failure-th in a row fires. A
//     success resets the count.
//   - alerting: a success counts; the Success-th in a row resolves. A
//     failure resets the count, and fires an Update when its reason
//     differs from the one alerted on.
func Step(s State, th Thresholds, ok bool, at time.Time, reason string) (State, Transition) {
	if th.Failure < 1 {
		th.Failure = DefaultFailureThreshold
	}
	if th.Success < 1 {
		th.Success = DefaultSuccessThreshold
	}
	if ok {
		s.Failures = 0
		if !s.Alerting {
			s.Successes, s.FailingSince = s.Successes+1, time.Time{}
			return s, None
		}
		s.Successes++
		if s.Successes >= th.Success {
			return State{Successes: s.Successes}, Resolve
		}
		return s, None
	}
	s.Successes = 0
	if s.Failures == 0 && s.FailingSince.IsZero() {
		s.FailingSince = at
	}
	s.Failures++
	if !s.Alerting {
		if s.Failures >= th.Failure {
			s.Alerting, s.Reason = true, reason
			return s, Fire
		}
		return s, None
	}
	if reason != s.Reason {
		s.Reason = reason
		return s, Update
	}
	return s, None
}
