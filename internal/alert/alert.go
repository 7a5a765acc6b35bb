package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Status is whether an alert is firing or resolved.
type Status string

// The statuses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// Kind is what raised an alert.
type Kind string

// The kinds.
const (
	KindDrift       Kind = "drift"        // a stack's real state diverged from code (M11)
	KindCanary      Kind = "canary"       // a synthetic check is failing (M14)
	KindAlarm       Kind = "alarm"        // a CloudWatch alarm
	KindRemediation Kind = "remediation"  // remediation failed or repeats (M4)
	KindPipeline    Kind = "pipeline"     // a gated-flow run failed
	KindSinkFailure Kind = "sink-failure" // an alert sink keeps failing
)

// Kinds lists every kind, for validation and docs.
var Kinds = []Kind{KindDrift, KindCanary, KindAlarm, KindRemediation, KindPipeline, KindSinkFailure}

// Severity is how urgent an alert is. The values are PagerDuty's.
type Severity string

// The severities, most urgent first.
const (
	SeverityCritical Severity = "critical"
	SeverityError    Severity = "error"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
)

// Severities lists every severity, most urgent first.
var Severities = []Severity{SeverityCritical, SeverityError, SeverityWarning, SeverityInfo}

// Detail is one line of an alert's details: a drift attribute diff
// ("threshold", "25 → 50"), a failed canary condition, an error. Values
// must already be masked by the caller where sensitive; the dispatcher runs
// a last pass (Scrub) that masks whatever still looks like a secret.
type Detail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Alert is one notification-worthy condition, firing or resolved.
//
// Its identity is Key: Fingerprint when set, else a hash of kind,
// environment, layer, stack and resource. The Dispatcher sends one firing
// notification per key until a resolved alert with the same key arrives,
// and an update (not a repeat) when the content changes in between.
type Alert struct {
	// Fingerprint is the stable identity of the condition, e.g.
	// "drift/dev/observability/aws_cloudwatch_metric_alarm.alb_5xx". Optional:
	// Key derives one when empty.
	Fingerprint string            `json:"fingerprint,omitempty"`
	Status      Status            `json:"status"`
	Kind        Kind              `json:"kind"`
	Severity    Severity          `json:"severity"`
	Environment string            `json:"environment,omitempty"`
	Layer       string            `json:"layer,omitempty"`
	Stack       string            `json:"stack,omitempty"`    // e.g. "dev/observability"
	Resource    string            `json:"resource,omitempty"` // e.g. a Terraform address or a canary name
	Summary     string            `json:"summary"`
	Details     []Detail          `json:"details,omitempty"`
	RunbookURL  string            `json:"runbook_url,omitempty"`
	FirstStep   string            `json:"first_step,omitempty"` // what to do first (M15)
	URL         string            `json:"url,omitempty"`        // the thing in vigil's dashboard, optional
	Source      string            `json:"source,omitempty"`     // who noticed; PagerDuty's payload.source (default "vigil")
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      time.Time         `json:"ends_at,omitzero"`
	Labels      map[string]string `json:"labels,omitempty"`

	// Revision is set by the Dispatcher on what it hands a Sink: 0 for the
	// first firing notification, n for the nth update of a still-firing
	// alert whose content changed. Callers leave it zero.
	Revision int `json:"revision"`
}

// Key is the alert's stable identity: Fingerprint when set, else a
// hex SHA-256 (first 16 bytes) of kind, environment, layer, stack and
// resource.
func (a Alert) Key() string {
	if a.Fingerprint != "" {
		return a.Fingerprint
	}
	h := sha256.New()
	for _, s := range []string{string(a.Kind), a.Environment, a.Layer, a.Stack, a.Resource} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// DedupKey is a stable key derived from Key for systems that dedupe on
// their side (PagerDuty's dedup_key): "vigil-" and the hex SHA-256 of Key,
// 70 characters, well under PagerDuty's 255.
func (a Alert) DedupKey() string {
	sum := sha256.Sum256([]byte(a.Key()))
	return "vigil-" + hex.EncodeToString(sum[:])
}

// Validate reports a malformed alert: an unknown status, kind or
// severity, or no summary.
func (a Alert) Validate() error {
	var errs []string
	switch a.Status {
	case StatusFiring, StatusResolved:
	default:
		errs = append(errs, fmt.Sprintf("status %q is not firing or resolved", a.Status))
	}
	if !slices.Contains(Kinds, a.Kind) {
		errs = append(errs, fmt.Sprintf("kind %q is not one of %s", a.Kind, joinKinds()))
	}
	if !slices.Contains(Severities, a.Severity) {
		errs = append(errs, fmt.Sprintf("severity %q is not one of critical, error, warning, info", a.Severity))
	}
	if strings.TrimSpace(a.Summary) == "" {
		errs = append(errs, "summary is empty")
	}
	if len(errs) > 0 {
		return fmt.Errorf("alert %s: %s", a.Key(), strings.Join(errs, "; "))
	}
	return nil
}

// contentHash is a hash of what a person reads: status aside, a change of
// it is worth an update.
func (a Alert) contentHash() string {
	h := sha256.New()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	w(string(a.Severity))
	w(a.Summary)
	w(a.RunbookURL)
	w(a.FirstStep)
	w(a.URL)
	for _, d := range a.Details {
		w(d.Key)
		w(d.Value)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		w(k)
		w(a.Labels[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Title is a one-line headline: "[FIRING] dev/observability: summary".
func (a Alert) Title() string {
	var b strings.Builder
	switch {
	case a.Status == StatusResolved:
		b.WriteString("[RESOLVED] ")
	case a.Revision > 0:
		b.WriteString("[UPDATED] ")
	default:
		b.WriteString("[FIRING] ")
	}
	if where := a.Where(); where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	b.WriteString(a.Summary)
	return b.String()
}

// Where is "stack" or "environment/layer" (or the environment alone), for
// headlines.
func (a Alert) Where() string {
	switch {
	case a.Stack != "":
		return a.Stack
	case a.Environment != "" && a.Layer != "":
		return a.Environment + "/" + a.Layer
	default:
		return a.Environment
	}
}

// Text is the alert as plain text: headline, where, details, first step
// and runbook. SNS and Slack's fallback text use it.
func (a Alert) Text() string {
	var b strings.Builder
	b.WriteString(a.Title())
	b.WriteString("\n\n")
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	line("Kind", string(a.Kind))
	line("Severity", string(a.Severity))
	line("Environment", a.Environment)
	line("Layer", a.Layer)
	line("Stack", a.Stack)
	line("Resource", a.Resource)
	if !a.StartsAt.IsZero() {
		line("Since", a.StartsAt.UTC().Format(time.RFC3339))
	}
	if a.Status == StatusResolved && !a.EndsAt.IsZero() {
		line("Resolved", a.EndsAt.UTC().Format(time.RFC3339))
	}
	if len(a.Details) > 0 {
		b.WriteString("\nDetails:\n")
		for _, d := range a.Details {
			fmt.Fprintf(&b, "  %s: %s\n", d.Key, d.Value)
		}
	}
	if a.FirstStep != "" && a.Status == StatusFiring {
		fmt.Fprintf(&b, "\nWhat to do first: %s\n", a.FirstStep)
	}
	if a.RunbookURL != "" {
		fmt.Fprintf(&b, "Runbook: %s\n", a.RunbookURL)
	}
	if a.URL != "" {
		fmt.Fprintf(&b, "In vigil: %s\n", a.URL)
	}
	return b.String()
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
