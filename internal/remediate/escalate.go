package remediate

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// AlarmInfo is an alarm as DescribeAlarms answers it.
type AlarmInfo struct {
	Name        string
	ARN         string
	Description string
	StateValue  string
	StateReason string
	// Entered is when the alarm entered its current state
	// (StateTransitionedTimestamp): the episode.
	Entered time.Time
	// Metrics are the metrics it watches (one, or those of its metric
	// math; none for a composite alarm), Period and EvaluationPeriods its
	// evaluation.
	Metrics           []MetricInfo
	Period            time.Duration
	EvaluationPeriods int
}

// runbookRe finds "Runbook: <url>" in an alarm description (M15).
var runbookRe = regexp.MustCompile(`(?i)\brunbook:\s*(\S+)`)

// RunbookFromDescription returns the URL after "Runbook:" in an alarm
// description, without trailing punctuation; empty if there is none.
func RunbookFromDescription(desc string) string {
	m := runbookRe.FindStringSubmatch(desc)
	if m == nil {
		return ""
	}
	return strings.TrimRight(m[1], ".,;:)]}>\"'")
}

// RunbookTag is the alarm tag that carries its runbook link.
const RunbookTag = "vigil:runbook"

// Escalation is the page sent when remediation did not (or could not) end
// an alarm episode.
type Escalation struct {
	Alarm       AlarmInfo
	Episode     string
	Why         string
	Runbook     string
	Cluster     string
	Service     string
	TargetGroup string
	Attempts    Attempts
	Fleet       Fleet
	Plan        StopPlan
	Now         time.Time
}

// maxSubject is SNS's limit on a subject (ASCII, no line breaks).
const maxSubject = 100

// Subject is the page's SNS subject: printable ASCII, at most 100
// characters, as SNS requires.
func (e Escalation) Subject() string {
	s := "vigil: remediation escalated, " + e.Alarm.Name + " still in ALARM"
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	s = string(b)
	if len(s) > maxSubject {
		s = s[:maxSubject-3] + "..."
	}
	return s
}

// Message is the page's text: the alarm, why it is escalated, what was
// tried, the state of the service and the runbook link.
func (e Escalation) Message() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("vigil-remediator is handing alarm %s to a person.", e.Alarm.Name)
	w("")
	w("Why: %s.", strings.TrimSuffix(e.Why, "."))
	runbook := e.Runbook
	if runbook == "" {
		runbook = "none found: add \"Runbook: <url>\" to the alarm description and a " + RunbookTag + " tag (M15)"
	}
	w("Runbook: %s", runbook)
	w("")
	w("Alarm: %s", e.Alarm.Name)
	if e.Alarm.ARN != "" {
		w("  ARN: %s", e.Alarm.ARN)
	}
	if !e.Alarm.Entered.IsZero() {
		w("  In ALARM since %s (%s ago), episode %s", e.Alarm.Entered.UTC().Format(time.RFC3339), round(e.Now.Sub(e.Alarm.Entered)), e.Episode)
	} else {
		w("  Episode %s", e.Episode)
	}
	if e.Alarm.StateReason != "" {
		w("  Reason: %s", e.Alarm.StateReason)
	}
	if e.Alarm.Description != "" {
		w("  Description: %s", e.Alarm.Description)
	}
	w("")
	w("What it tried in this episode:")
	if len(e.Attempts.Tasks) == 0 {
		w("  - stopped no task")
	}
	for _, t := range e.Attempts.Tasks {
		w("  - %s stopped task %s", t.StoppedAt.UTC().Format(time.RFC3339), t.ARN)
		if why := whyOf(t.Reason); why != "" {
			w("    because %s", why)
		}
	}
	for _, p := range e.Plan.Held {
		w("  - held back task %s: %s", p.Task.ARN, p.Why)
	}
	if e.Plan.Why != "" && len(e.Plan.Stop) == 0 && !strings.Contains(e.Why, e.Plan.Why) {
		w("  - not stopping more: %s", e.Plan.Why)
	}
	w("")
	running, healthy, bad := e.Fleet.Counts()
	w("Service %s in cluster %s: desired %d, running %d, healthy %d, bad %d (target group %s).", e.Service, e.Cluster, e.Fleet.Desired, running, healthy, bad, e.TargetGroup)
	for _, t := range e.Fleet.Tasks {
		state := t.TargetState
		if state == "" {
			state = "not registered"
		}
		line := fmt.Sprintf("  - %s %s %s target %s, ECS health %s", t.ARN, t.LastStatus, t.IP, state, orUnknown(t.ECSHealth))
		if t.App.Data {
			line += fmt.Sprintf(", app 5xx %.0f of %.0f requests", t.App.Errors, t.App.Requests)
		}
		if t.AppOutlier != "" {
			line += " (stands out)"
		}
		w("%s", line)
	}
	w("")
	w("The remediator will not act on this episode again: it is yours. Incident records: the remediator's log group, alarm %s, episode %s.", e.Alarm.Name, e.Episode)
	return b.String()
}

// whyOf is the why= part of a stopped reason the remediator wrote.
func whyOf(reason string) string {
	_, why, ok := strings.Cut(reason, " why=")
	if !ok {
		return ""
	}
	return why
}

func orUnknown(s string) string {
	if s == "" {
		return "UNKNOWN"
	}
	return s
}
