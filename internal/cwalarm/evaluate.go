package cwalarm

// Outcome says how an evaluation reached its state; Reason words it.
type Outcome uint8

// Outcomes.
const (
	// Evaluated: the range held at least N real datapoints and the newest N
	// of them decided (the missing-data setting is not used).
	Evaluated Outcome = iota + 1
	// Filled: fewer than N real datapoints; every real one counted and the
	// N-Real gaps were filled with the breaching or notBreaching treatment.
	Filled
	// Partial: fewer than N real datapoints under missing or ignore; the
	// real ones decided (ALARM with M breaching, OK with a non-breaching
	// one).
	Partial
	// Premature: fewer than M breaching, none non-breaching, and the oldest
	// breaching datapoint at least M periods old: ALARM under missing.
	Premature
	// NoData: every datapoint of the range is missing.
	NoData
	// Indeterminate: fewer than N real datapoints, all breaching but fewer
	// than M and too recent for the premature rule: INSUFFICIENT_DATA
	// under missing, the state kept under ignore.
	Indeterminate
	// LowSamples: an evaluated percentile datapoint had fewer samples than
	// the percentile needs and EvaluateLowSampleCountPercentile is ignore:
	// the state is kept.
	LowSamples
)

// Result is the outcome of one evaluation.
type Result struct {
	// State is the state the alarm should be in. When Kept it is the
	// current state.
	State State
	// Kept is true when the evaluation leaves the state as it is (ignore,
	// or too few samples for a percentile): no transition, whatever the
	// current state.
	Kept    bool
	Outcome Outcome
	// Real is the number of real datapoints in the range.
	Real int
	// Breaching and NotBreaching count the evaluated real datapoints.
	Breaching, NotBreaching int
	// Filled is the number of gaps filled with the missing-data treatment
	// (Filled and NoData outcomes under breaching or notBreaching).
	Filled int
}

// Changed reports whether the result moves an alarm out of current.
func (r Result) Changed(current State) bool { return !r.Kept && r.State != current }

// Evaluate decides an alarm's state from the datapoints of its evaluation
// range, oldest first: window holds one Point per period, the last one the
// most recent complete period; points older than the range (RangeSize) are
// not looked at, and a window shorter than the range is as if its older
// periods were missing. current is the alarm's state now (what ignore
// keeps).
//
// The algorithm is CloudWatch's (see the package documentation): with at
// least N real datapoints in the range the newest N decide; with fewer,
// every real one counts and the gaps are filled with the missing-data
// treatment as few times as possible; fewer than M breaching is OK, else
// ALARM. Under missing and ignore the gaps are not counted either way: M
// breaching real datapoints make ALARM, one non-breaching makes OK, and
// otherwise the premature-transition rule (missing only) may make ALARM;
// what remains is INSUFFICIENT_DATA (missing) or the current state
// (ignore). Evaluate does not allocate.
func Evaluate(cfg *Config, window []Point, current State) Result {
	n, m := cfg.N(), cfg.M()
	if r := RangeSize(n); len(window) > r {
		window = window[len(window)-r:]
	}
	band := cfg.Operator.Band()
	lowIgnore := cfg.EvaluateLowSampleCountPercentile == LowSampleIgnore && cfg.Stat.IsPercentile()

	real := 0
	for i := range window {
		if usable(band, &window[i]) {
			real++
		}
	}
	res := Result{Real: real}
	tr := cfg.Treatment()

	if real == 0 {
		res.Outcome = NoData
		switch tr {
		case Breaching:
			res.State, res.Filled = Alarm, n
		case NotBreaching:
			res.State, res.Filled = OK, n
		case Ignore:
			res.State, res.Kept = current, true
		default:
			res.State = InsufficientData
		}
		return res
	}

	// Count the evaluated real datapoints: the newest N when there are
	// enough, else all of them. oldestBreach is the age (0 = newest period)
	// of the oldest breaching one.
	limit := real
	if real >= n {
		limit = n
	}
	oldestBreach := -1
	low := false
	seen := 0
	for i := len(window) - 1; i >= 0 && seen < limit; i-- {
		p := &window[i]
		if !usable(band, p) {
			continue
		}
		seen++
		if breaches(cfg.Operator, cfg.Threshold, p) {
			res.Breaching++
			oldestBreach = len(window) - 1 - i
		} else {
			res.NotBreaching++
		}
		if lowIgnore && cfg.Stat.LowSample(p.SampleCount) {
			low = true
		}
	}
	if low {
		res.State, res.Kept, res.Outcome = current, true, LowSamples
		return res
	}

	if real >= n {
		res.Outcome = Evaluated
		res.State = decide(res.Breaching, m)
		return res
	}

	switch tr {
	case Breaching:
		res.Outcome, res.Filled = Filled, n-real
		res.State = decide(res.Breaching+res.Filled, m)
	case NotBreaching:
		res.Outcome, res.Filled = Filled, n-real
		res.State = decide(res.Breaching, m)
	default: // missing, ignore
		switch {
		case res.Breaching >= m:
			res.Outcome, res.State = Partial, Alarm
		case res.NotBreaching > 0:
			res.Outcome, res.State = Partial, OK
		case tr == Missing && oldestBreach+1 >= m:
			// Every real datapoint is breaching (none is not) and the
			// oldest is at least M periods old: AWS's "avoiding premature
			// transitions" rule sends the alarm to ALARM.
			res.Outcome, res.State = Premature, Alarm
		case tr == Ignore:
			res.Outcome, res.State, res.Kept = Indeterminate, current, true
		default:
			res.Outcome, res.State = Indeterminate, InsufficientData
		}
	}
	return res
}

func decide(breaching, m int) State {
	if breaching >= m {
		return Alarm
	}
	return OK
}

// evaluated lists, newest first, the window indices of the real datapoints
// the result counted.
func evaluated(cfg *Config, window []Point, r Result, buf []int) []int {
	band := cfg.Operator.Band()
	limit := min(r.Real, cfg.N())
	out := buf[:0]
	for i := len(window) - 1; i >= 0 && len(out) < limit; i-- {
		if usable(band, &window[i]) {
			out = append(out, i)
		}
	}
	return out
}

// fillSlots lists, newest first, the periods the result filled: the most
// recent missing ones of the range (as offsets from the newest period).
func fillSlots(cfg *Config, window []Point, r Result) []int {
	if r.Filled == 0 {
		return nil
	}
	band := cfg.Operator.Band()
	out := make([]int, 0, r.Filled)
	for i := len(window) - 1; i >= 0 && len(out) < r.Filled; i-- {
		if !usable(band, &window[i]) {
			out = append(out, len(window)-1-i)
		}
	}
	// A window shorter than the range: the older periods are missing too.
	for age := len(window); len(out) < r.Filled; age++ {
		out = append(out, age)
	}
	return out
}

// trimWindow applies the range size to a window.
func trimWindow(cfg *Config, window []Point) []Point {
	if r := RangeSize(cfg.N()); len(window) > r {
		return window[len(window)-r:]
	}
	return window
}
