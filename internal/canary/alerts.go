package canary

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
)

// Alert is the alert for a canary in state s after result r: firing
// (with the failed conditions as last observed, the runbook link and what
// to do first) while s is alerting, resolved otherwise. The Runner sends
// it on transitions only (Fire, Update, Resolve), so observed values that
// change every run do not make every run an update.
func (c *Check) Alert(s State, r Result) alert.Alert {
	a := alert.Alert{
		Fingerprint: c.Key(),
		Kind:        alert.KindCanary,
		Severity:    c.Severity,
		Environment: c.Environment,
		Layer:       c.Layer,
		Resource:    "canary " + c.Name,
		RunbookURL:  c.RunbookURL,
		Source:      "vigil canary",
		StartsAt:    s.FailingSince,
		Labels:      c.Labels,
	}
	if c.Environment != "" && c.Layer != "" {
		a.Stack = c.Environment + "/" + c.Layer
	}
	target := c.Method + " " + redactURL(c.URL)
	if !s.Alerting {
		a.Status = alert.StatusResolved
		a.EndsAt = r.Time
		a.Summary = fmt.Sprintf("canary %s recovered: %d checks in a row passed", c.Name, c.SuccessThreshold)
		a.Details = []alert.Detail{{Key: "target", Value: target}}
		return a
	}
	a.Status = alert.StatusFiring
	what := s.Reason
	if strings.HasPrefix(what, "error: ") {
		what = strings.TrimPrefix(what, "error: ")
	}
	a.Summary = fmt.Sprintf("canary %s failing: %s", c.Name, what)
	a.Details = []alert.Detail{
		{Key: "target", Value: target},
		{Key: "threshold", Value: fmt.Sprintf("%d failed checks in a row (every %s)", c.FailureThreshold, c.Interval)},
	}
	if r.Error != "" {
		a.Details = append(a.Details, alert.Detail{Key: "error", Value: strings.TrimPrefix(s.Reason, "error: ")})
	} else {
		for _, f := range r.Failed {
			a.Details = append(a.Details, alert.Detail{Key: "failed", Value: f})
		}
	}
	a.FirstStep = c.FirstStep
	if a.FirstStep == "" {
		a.FirstStep = fmt.Sprintf("Request %s yourself to confirm users are affected, then check the service's last deploy and its ALB/ECS health.", target)
		if c.RunbookURL != "" {
			a.FirstStep += " The runbook has the rest."
		}
	}
	if !s.FailingSince.IsZero() && !r.Time.IsZero() {
		a.Details = append(a.Details, alert.Detail{Key: "failing since", Value: s.FailingSince.UTC().Format(time.RFC3339)})
	}
	return a
}
