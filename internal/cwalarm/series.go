package cwalarm

import "time"

// Series is a metric's datapoints pre-bucketed one per period, oldest
// first: Points[i] covers [Start+i*Period, Start+(i+1)*Period). It is the
// form evaluation reads; build it once (Aggregate) and evaluate any number
// of alarms and instants over it without copying.
type Series struct {
	Start  time.Time
	Period time.Duration
	Points []Point
}

// Index is the index of the period holding t (may be out of range).
func (s *Series) Index(t time.Time) int {
	d := t.Sub(s.Start)
	i := int(d / s.Period)
	if d < 0 && d%s.Period != 0 {
		i--
	}
	return i
}

// Window is the evaluation range of an alarm of n evaluation periods whose
// most recent complete period is Points[end]: the RangeSize(n) points
// ending there, fewer at the start of the series (Evaluate treats the
// periods before it as missing). It shares the series' memory.
func (s *Series) Window(end, n int) []Point {
	if end < 0 {
		return nil
	}
	if end >= len(s.Points) {
		end = len(s.Points) - 1
	}
	from := max(end+1-RangeSize(n), 0)
	return s.Points[from : end+1]
}

// Tracker follows one alarm through successive evaluations: it remembers
// the state and reports transitions.
type Tracker struct {
	Config *Config
	State  State // INSUFFICIENT_DATA for a new alarm
}

// Step evaluates the alarm over window, moves it to the resulting state
// and reports whether that was a change (and so whether actions fire).
func (t *Tracker) Step(window []Point) (Result, bool) {
	if t.State == "" {
		t.State = InsufficientData
	}
	r := Evaluate(t.Config, window, t.State)
	if !r.Changed(t.State) {
		return r, false
	}
	t.State = r.State
	return r, true
}
