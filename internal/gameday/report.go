package gameday

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Report is what a game day saw, in virtual time.
type Report struct {
	Scenario    string    `json:"scenario"`
	Description string    `json:"description"`
	Target      Target    `json:"target"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	// FaultAt is when the (first) fault started; zero without one.
	FaultAt     time.Time     `json:"fault_at,omitzero"`
	Faults      []string      `json:"faults,omitempty"`
	Transitions []Transition  `json:"alarm_transitions"`
	Pages       []Page        `json:"pages"`
	Remediation []Remediation `json:"remediation"`
	Tasks       []TaskEvent   `json:"tasks"`
	Scaling     []Scaling     `json:"scaling"`
	// Redeliveries are the alarm events the game day sent the remediator
	// again (Step.Redeliver).
	Redeliveries []Redelivery `json:"redeliveries,omitempty"`
	// Detected is the Detect alarm's first change to ALARM after the
	// fault; Recovered its first change back to OK after that.
	Detected  time.Time `json:"detected,omitzero"`
	Recovered time.Time `json:"recovered,omitzero"`
	// Failed says which step did not happen in time ("" when all did).
	Failed string `json:"failed,omitempty"`
}

// TimeToDetect is Detected − FaultAt (ok false without a detection).
func (r *Report) TimeToDetect() (time.Duration, bool) {
	if r.Detected.IsZero() || r.FaultAt.IsZero() {
		return 0, false
	}
	return r.Detected.Sub(r.FaultAt), true
}

// TimeToRecover is Recovered − FaultAt (ok false without a recovery).
func (r *Report) TimeToRecover() (time.Duration, bool) {
	if r.Recovered.IsZero() || r.FaultAt.IsZero() {
		return 0, false
	}
	return r.Recovered.Sub(r.FaultAt), true
}

// detection fills Detected and Recovered from the transitions.
func (r *Report) detection(detect string) {
	if r.FaultAt.IsZero() || detect == "" {
		return
	}
	for _, t := range r.Transitions {
		if !alarmMatches(t.Alarm, detect) || t.At.Before(r.FaultAt) {
			continue
		}
		if r.Detected.IsZero() && t.To == "ALARM" {
			r.Detected = t.At
		} else if !r.Detected.IsZero() && t.To == "OK" {
			r.Recovered = t.At
			return
		}
	}
}

// Event is one line of the timeline.
type Event struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // fault, alarm, page, remediation, task, scaling
	Text string    `json:"text"`
}

// Timeline merges everything the report saw, oldest first.
func (r *Report) Timeline() []Event {
	var ev []Event
	if !r.FaultAt.IsZero() {
		ev = append(ev, Event{At: r.FaultAt, Kind: "fault", Text: strings.Join(r.Faults, "; ")})
	}
	for _, t := range r.Transitions {
		ev = append(ev, Event{At: t.At, Kind: "alarm", Text: fmt.Sprintf("%s %s → %s", t.Alarm, t.From, t.To)})
	}
	for _, p := range r.Pages {
		ev = append(ev, Event{At: p.Timestamp.UTC(), Kind: "page", Text: p.Subject})
	}
	for _, m := range r.Remediation {
		in := m.Incident
		text := fmt.Sprintf("%s %s (%s)", in.Action, lastPart(in.Target), in.Outcome)
		if in.Detail != "" {
			text += ": " + in.Detail
		}
		ev = append(ev, Event{At: m.At, Kind: "remediation", Text: text})
	}
	for _, t := range r.Tasks {
		text := t.Event + " " + t.Task
		if t.Reason != "" {
			text += ": " + t.Reason
		}
		ev = append(ev, Event{At: t.At, Kind: "task", Text: text})
	}
	for _, s := range r.Scaling {
		ev = append(ev, Event{At: s.At, Kind: "scaling", Text: s.Description + " (" + s.Cause + ")"})
	}
	for _, d := range r.Redeliveries {
		text := fmt.Sprintf("redelivered %s's %s event (episode %s) to the remediator", d.Alarm, d.State, d.Episode)
		if d.FunctionError != "" {
			text += ": function error " + d.FunctionError
		}
		ev = append(ev, Event{At: d.At, Kind: "redelivery", Text: text})
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}

// offset formats t relative to the fault (or the start): +2m00s, -1m00s.
func (r *Report) offset(t time.Time) string {
	ref := r.FaultAt
	if ref.IsZero() {
		ref = r.Start
	}
	d := t.Sub(ref).Round(time.Second)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%dm%02ds", sign, int(d/time.Minute), int(d%time.Minute/time.Second))
}

// Text is the readable report: the timeline (times relative to the fault)
// and the time to detect and to recover.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Game day %q against %s/%s, %s to %s (virtual time)\n", r.Scenario, r.Target.Cluster, r.Target.Service,
		r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339))
	if r.Description != "" {
		fmt.Fprintf(&b, "  %s\n", r.Description)
	}
	b.WriteString("\n")
	for _, e := range r.Timeline() {
		fmt.Fprintf(&b, "  %8s  %-11s  %s\n", r.offset(e.At), e.Kind, e.Text)
	}
	b.WriteString("\n")
	if d, ok := r.TimeToDetect(); ok {
		fmt.Fprintf(&b, "Time to detect:  %s\n", d)
	} else {
		b.WriteString("Time to detect:  not detected\n")
	}
	if d, ok := r.TimeToRecover(); ok {
		fmt.Fprintf(&b, "Time to recover: %s\n", d)
	} else {
		b.WriteString("Time to recover: not recovered\n")
	}
	if r.Failed != "" {
		fmt.Fprintf(&b, "FAILED: %s\n", r.Failed)
	}
	return b.String()
}

// MarshalJSON implements json.Marshaler.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	out := struct {
		*plain
		Timeline             []Event  `json:"timeline"`
		TimeToDetectSeconds  *float64 `json:"time_to_detect_seconds"`
		TimeToRecoverSeconds *float64 `json:"time_to_recover_seconds"`
	}{plain: (*plain)(r), Timeline: r.Timeline()}
	if d, ok := r.TimeToDetect(); ok {
		s := d.Seconds()
		out.TimeToDetectSeconds = &s
	}
	if d, ok := r.TimeToRecover(); ok {
		s := d.Seconds()
		out.TimeToRecoverSeconds = &s
	}
	return json.Marshal(out)
}
