package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/rules"
)

// Severity, Finding, Range and Rule are the shared vocabulary; see package
// finding.
type (
	Severity = finding.Severity
	Finding  = finding.Finding
	Range    = finding.Range
	Rule     = finding.Rule
)

// Severities.
const (
	SeverityNone     = finding.SeverityNone
	SeverityLow      = finding.SeverityLow
	SeverityMedium   = finding.SeverityMedium
	SeverityHigh     = finding.SeverityHigh
	SeverityCritical = finding.SeverityCritical
)

// ParseSeverity reads "low", "medium", "high", "critical" or "none".
func ParseSeverity(s string) (Severity, error) { return finding.ParseSeverity(s) }

// DefaultFailOn is the threshold when nothing sets one.
const DefaultFailOn = SeverityHigh

// Config is the policy block of vigil.hcl, as plain values.
type Config struct {
	// FailOn is the failing threshold (zero: DefaultFailOn).
	FailOn Severity
	// FailOnEnv overrides FailOn per environment ("prod": medium). Use
	// SeverityNone to never fail an environment.
	FailOnEnv map[string]Severity
	// Ignore suppresses findings by rule, path and resource.
	Ignore []Ignore
	// External names the optional scanners to run when on PATH: "trivy",
	// "tflint".
	External []string
	// PolicyDirs are the Rego policy directories (default: ./policy when it
	// exists).
	PolicyDirs []string
	// Disable turns built-in rules off entirely, by id.
	Disable []string
}

// Ignore is a suppression from configuration.
type Ignore struct {
	// Rule is a rule id ("VGL-R021"); a trailing * matches a prefix.
	Rule string
	// Paths are globs (** for any depth) matched against the finding's file,
	// relative to the scan's base directory; empty means everywhere.
	Paths []string
	// Resources are address globs ("module.network.*"); empty means any.
	Resources []string
	// Reason is required.
	Reason string
}

// Validate checks the configuration: every ignore has a rule and a reason,
// every external scanner is known.
func (c Config) Validate() error {
	var errs []error
	for i, ig := range c.Ignore {
		if strings.TrimSpace(ig.Rule) == "" {
			errs = append(errs, fmt.Errorf("policy ignore #%d: rule is required", i+1))
		}
		if strings.TrimSpace(ig.Reason) == "" {
			errs = append(errs, fmt.Errorf("policy ignore %q: reason is required: say why the finding does not apply", ig.Rule))
		}
	}
	for _, e := range c.External {
		if e != "trivy" && e != "tflint" {
			errs = append(errs, fmt.Errorf("policy external %q: unknown scanner (want trivy or tflint)", e))
		}
	}
	for _, id := range c.Disable {
		if _, ok := rules.ByID(id); !ok {
			errs = append(errs, fmt.Errorf("policy disable %q: no such rule", id))
		}
	}
	return errors.Join(errs...)
}

// Threshold returns the failing severity for an environment.
func (c Config) Threshold(env string) Severity {
	if s, ok := c.FailOnEnv[env]; ok && env != "" {
		return s
	}
	if c.FailOn != SeverityNone {
		return c.FailOn
	}
	return DefaultFailOn
}

// Rules returns the metadata of every built-in rule, ordered by id.
func Rules() []Rule {
	var out []Rule
	for _, r := range rules.All() {
		out = append(out, r.Rule)
	}
	return out
}
