package finding

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The zero value is SeverityNone, below every real
// severity; it is used as "no threshold" and never appears on a finding.
type Severity int

// Severities, lowest first.
const (
	SeverityNone Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

// Severities lists the real severities, lowest first.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// String returns the lower-case name ("high"), or "none".
func (s Severity) String() string {
	switch s {
	case SeverityLow:
		return "low"
	case SeverityMedium:
		return "medium"
	case SeverityHigh:
		return "high"
	case SeverityCritical:
		return "critical"
	}
	return "none"
}

// ParseSeverity reads a severity name, case-insensitively. "none" and "never"
// parse to SeverityNone, which as a failing threshold means nothing fails.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low", "info", "note":
		return SeverityLow, nil
	case "medium", "moderate", "warning":
		return SeverityMedium, nil
	case "high", "error":
		return SeverityHigh, nil
	case "critical":
		return SeverityCritical, nil
	case "none", "never":
		return SeverityNone, nil
	}
	return SeverityNone, fmt.Errorf("unknown severity %q: use low, medium, high, critical or none", s)
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Pos is a 1-based line and column (columns count bytes, like HCL's).
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Range is a span of a source file. A zero Start.Line means the whole file.
type Range struct {
	Filename string `json:"file"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// String renders file:line:col (or just the file name).
func (r Range) String() string {
	if r.Start.Line == 0 {
		return r.Filename
	}
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// ContainsLine reports whether the line lies inside r (same file assumed).
func (r Range) ContainsLine(line int) bool {
	end := r.End.Line
	if end < r.Start.Line {
		end = r.Start.Line
	}
	return line >= r.Start.Line && line <= end
}

// Group says what a rule protects.
type Group string

// Rule groups.
const (
	GroupSecurity    Group = "security"
	GroupReliability Group = "reliability"
	GroupHygiene     Group = "hygiene"
	GroupUser        Group = "user"     // Rego policies
	GroupExternal    Group = "external" // trivy, tflint
)

// Rule is the metadata of a check: what it looks for, why it matters and how
// to fix what it finds.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Group    Group    `json:"group"`
	Title    string   `json:"title"`
	Why      string   `json:"why,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	// Requirements lists the SPEC ids the rule enforces ("M12").
	Requirements []string `json:"requirements,omitempty"`
	// HelpURI points at the rule's section of docs/policy.md (or the
	// external scanner's page).
	HelpURI string `json:"help_uri,omitempty"`
}

// DocsBase is where rule documentation lives; each rule has an anchor there.
const DocsBase = "https://github.com/vigil-sre/vigil/blob/main/docs/policy.md"

// Anchor is the docs/policy.md anchor of a rule id ("vgl-s001").
func Anchor(id string) string { return strings.ToLower(id) }

// Finding is one problem at one place.
type Finding struct {
	RuleID   string   `json:"rule"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Range    Range    `json:"range"`
	// Resource is the Terraform address the finding is about, if any
	// ("module.net.aws_vpc.this").
	Resource string `json:"resource,omitempty"`
	// Source says which pass produced it: "hcl", "plan", "workflow",
	// "rego", "trivy", "tflint".
	Source string `json:"source"`

	Suppressed bool `json:"suppressed,omitempty"`
	// SuppressedBy says where the suppression is ("main.tf:12" or "vigil.hcl").
	SuppressedBy      string `json:"suppressed_by,omitempty"`
	SuppressionReason string `json:"suppression_reason,omitempty"`
}
