package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/policy/finding"
)

// ErrFindings is matched (errors.Is) by a *FindingsError.
var ErrFindings = errors.New("policy findings at or above the failing severity")

// ErrIncomplete is matched (errors.Is) by an *IncompleteError.
var ErrIncomplete = errors.New("scan incomplete")

// FindingsError says the scan found unsuppressed findings at or above the
// threshold. The CLI maps it to exit code 1 after printing the report.
type FindingsError struct {
	Count     int
	Threshold Severity
}

func (e *FindingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above %s: fix them, or suppress with a reason (# vigil:ignore ID reason)", e.Count, e.Threshold)
}

// Is makes errors.Is(err, ErrFindings) true.
func (e *FindingsError) Is(target error) bool { return target == ErrFindings }

// IncompleteError says some inputs could not be scanned (a file that does not
// parse, a corrupt plan, broken Rego). The rest was scanned and reported.
type IncompleteError struct {
	Errors []error
}

func (e *IncompleteError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, err := range e.Errors {
		msgs = append(msgs, err.Error())
	}
	return fmt.Sprintf("%d input(s) could not be scanned:\n  %s", len(e.Errors), strings.Join(msgs, "\n  "))
}

// Is makes errors.Is(err, ErrIncomplete) true.
func (e *IncompleteError) Is(target error) bool { return target == ErrIncomplete }

// Unwrap exposes the individual errors.
func (e *IncompleteError) Unwrap() []error { return e.Errors }

// Report is the outcome of a scan.
type Report struct {
	// Findings, sorted by file, line, column and rule; suppressed ones
	// included (Finding.Suppressed).
	Findings []Finding
	// Errors are inputs that could not be scanned, each with file:line
	// where known.
	Errors []error
	// Notes are informational ("trivy not on PATH, skipped").
	Notes []string
	// Rules holds the metadata of every built-in rule and of every other
	// rule a finding refers to, by id.
	Rules map[string]Rule
	// Threshold is the failing severity in force; SeverityNone never fails.
	Threshold Severity
	Env       string
	// BaseDir is what paths in SARIF are relative to.
	BaseDir string
	Stats   Stats
}

// Stats counts what was scanned.
type Stats struct {
	Files         int           `json:"files"`
	Modules       int           `json:"modules"`
	Resources     int           `json:"resources"`
	PlanResources int           `json:"plan_resources,omitempty"`
	Workflows     int           `json:"workflows"`
	RegoRules     int           `json:"rego_rules,omitempty"`
	Duration      time.Duration `json:"duration_ns"`
}

// Failing returns the unsuppressed findings at or above the threshold.
func (r *Report) Failing() []Finding {
	if r.Threshold == SeverityNone {
		return nil
	}
	var out []Finding
	for _, f := range r.Findings {
		if !f.Suppressed && f.Severity >= r.Threshold {
			out = append(out, f)
		}
	}
	return out
}

// Err returns nil when the gate passes; otherwise a *FindingsError, an
// *IncompleteError, or both joined.
func (r *Report) Err() error {
	var errs []error
	if n := len(r.Failing()); n > 0 {
		errs = append(errs, &FindingsError{Count: n, Threshold: r.Threshold})
	}
	if len(r.Errors) > 0 {
		errs = append(errs, &IncompleteError{Errors: r.Errors})
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// Counts returns unsuppressed findings per severity and the suppressed total.
func (r *Report) Counts() (bySeverity map[Severity]int, suppressed int) {
	bySeverity = map[Severity]int{}
	for _, f := range r.Findings {
		if f.Suppressed {
			suppressed++
			continue
		}
		bySeverity[f.Severity]++
	}
	return bySeverity, suppressed
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Range.Filename != b.Range.Filename {
			return a.Range.Filename < b.Range.Filename
		}
		if a.Range.Start.Line != b.Range.Start.Line {
			return a.Range.Start.Line < b.Range.Start.Line
		}
		if a.Range.Start.Column != b.Range.Start.Column {
			return a.Range.Start.Column < b.Range.Start.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Message < b.Message
	})
}

func posOf(line, col int) (p finding.Pos) {
	p.Line, p.Column = line, col
	return p
}
