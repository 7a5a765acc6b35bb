package policy

import (
	"fmt"
	"io"
	"strings"
)

// TextOptions tunes WriteText.
type TextOptions struct {
	// Fix prints each failing finding's fix line.
	Fix bool
	// Suppressed lists suppressed findings too (they are always counted).
	Suppressed bool
}

// WriteText writes the report for people: errors first, then findings
// grouped by file, then a summary line.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	ew := &errWriter{w: w}
	if len(r.Errors) > 0 {
		ew.printf("Could not scan:\n")
		for _, err := range r.Errors {
			ew.printf("  %s\n", err)
		}
		ew.printf("\n")
	}
	file := ""
	for _, f := range r.Findings {
		if f.Suppressed && !opts.Suppressed {
			continue
		}
		if f.Range.Filename != file {
			if file != "" {
				ew.printf("\n")
			}
			file = f.Range.Filename
			ew.printf("%s\n", file)
		}
		pos := "-"
		if f.Range.Start.Line > 0 {
			pos = fmt.Sprintf("%d:%d", f.Range.Start.Line, f.Range.Start.Column)
		}
		mark := ""
		if !f.Suppressed && r.Threshold != SeverityNone && f.Severity >= r.Threshold {
			mark = " ✗"
		}
		ew.printf("  %-8s %-8s %-9s %s%s\n", pos, f.Severity, f.RuleID, f.Title, mark)
		ew.printf("  %-8s %s\n", "", f.Message)
		if f.Suppressed {
			ew.printf("  %-8s suppressed (%s): %s\n", "", f.SuppressedBy, f.SuppressionReason)
		} else if opts.Fix && mark != "" {
			if rule, ok := r.Rules[f.RuleID]; ok && rule.Fix != "" {
				ew.printf("  %-8s fix: %s\n", "", rule.Fix)
			}
		}
	}
	if file != "" {
		ew.printf("\n")
	}
	for _, n := range r.Notes {
		ew.printf("note: %s\n", n)
	}
	ew.printf("%s\n", r.Summary())
	return ew.err
}

// Summary is a one-line account: counts by severity, suppressed, failing.
func (r *Report) Summary() string {
	by, suppressed := r.Counts()
	total := 0
	var parts []string
	for i := len(severityOrder) - 1; i >= 0; i-- {
		s := severityOrder[i]
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], s))
			total += by[s]
		}
	}
	var sb strings.Builder
	if total == 0 {
		sb.WriteString("no findings")
	} else {
		fmt.Fprintf(&sb, "%d finding(s): %s", total, strings.Join(parts, ", "))
	}
	if suppressed > 0 {
		fmt.Fprintf(&sb, "; %d suppressed", suppressed)
	}
	fmt.Fprintf(&sb, " (%d files, %d resources", r.Stats.Files, r.Stats.Resources)
	if r.Stats.PlanResources > 0 {
		fmt.Fprintf(&sb, ", %d in plan", r.Stats.PlanResources)
	}
	fmt.Fprintf(&sb, ", %s)", r.Stats.Duration.Round(1e6))
	if r.Threshold == SeverityNone {
		sb.WriteString("; nothing fails (--fail-on none)")
	} else if n := len(r.Failing()); n > 0 {
		fmt.Fprintf(&sb, "; %d at or above %s: FAIL", n, r.Threshold)
	} else {
		fmt.Fprintf(&sb, "; none at or above %s: pass", r.Threshold)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(&sb, "; %d input(s) not scanned", len(r.Errors))
	}
	return sb.String()
}

var severityOrder = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
