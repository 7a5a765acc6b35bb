package review

import (
	"fmt"
	"io"
	"strings"
)

// maxValue is how much of one value the text and Markdown views show.
const maxValue = 240

func clip(s string) string {
	if len(s) <= maxValue {
		return s
	}
	return s[:maxValue] + fmt.Sprintf("… (%d more characters)", len(s)-maxValue)
}

var actionSigil = map[string]string{
	ActionCreate:  "+",
	ActionUpdate:  "~",
	ActionDelete:  "-",
	ActionReplace: "-/+",
	ActionForget:  ".",
	ActionImport:  "<=",
	ActionMove:    "->",
}

func changeLine(c Change) string {
	return actionSigil[c.Action] + " " + describe(c)
}

// describe is "<action> <address> (notes)".
func describe(c Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Action, c.Address)
	var notes []string
	if c.Stateful && c.Destructive() {
		notes = append(notes, "STATEFUL: its data is lost")
	}
	if c.PreviousAddress != "" {
		notes = append(notes, "moved from "+c.PreviousAddress)
	}
	if c.Import {
		notes = append(notes, "imported")
	}
	if c.Reason != "" {
		notes = append(notes, strings.ReplaceAll(c.Reason, "_", " "))
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, "; ") + ")")
	}
	return b.String()
}

func attrLine(a Attr) string {
	var s string
	switch {
	case a.Before == "":
		s = fmt.Sprintf("%s = %s", a.Path, clip(a.After))
	case a.After == "":
		s = fmt.Sprintf("%s = %s → null", a.Path, clip(a.Before))
	default:
		s = fmt.Sprintf("%s: %s → %s", a.Path, clip(a.Before), clip(a.After))
	}
	if a.ForcesReplacement {
		s += "  # forces replacement"
	}
	return s
}

// TextOptions tune WriteText.
type TextOptions struct {
	// Attrs shows attribute-level differences (vigil show); without it only
	// the changes are listed (vigil plan's summary).
	Attrs bool
}

// WriteText writes the report for a terminal or a log: destroys and
// replacements first and loud, then each stack.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s · env %s", r.RunID, r.Env)
	if r.Target != "" {
		fmt.Fprintf(&b, " · target %s", r.Target)
	}
	fmt.Fprintf(&b, " · %s\n", r.Status)
	var meta []string
	if r.Commit != "" {
		meta = append(meta, "commit "+r.Commit)
	}
	if r.Author != "" {
		meta = append(meta, "by "+r.Author)
	}
	if r.Approval != "" {
		meta = append(meta, "approval "+r.Approval)
	}
	if len(meta) > 0 {
		b.WriteString(strings.Join(meta, " · ") + "\n")
	}
	if r.Fingerprint != "" {
		fmt.Fprintf(&b, "fingerprint %s\n", r.Fingerprint)
	}
	var destructive []string
	for _, s := range r.Stacks {
		if s.Summary == nil {
			continue
		}
		for _, c := range s.Summary.Destructive() {
			destructive = append(destructive, s.Stack+": "+changeLine(c))
		}
	}
	if len(destructive) > 0 {
		fmt.Fprintf(&b, "\n!! %d destroy(s)/replacement(s):\n", len(destructive))
		for _, d := range destructive {
			fmt.Fprintf(&b, "!!   %s\n", d)
		}
	}
	b.WriteString("\n")
	for _, s := range r.Stacks {
		line := fmt.Sprintf("%-28s %s", s.Stack, s.Status)
		if s.Summary != nil && s.Summary.HasChanges() {
			line += "  " + s.Summary.Counts.String()
		}
		if s.Note != "" {
			line += "  — " + s.Note
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		if s.Summary == nil {
			continue
		}
		for _, c := range s.Summary.Changes {
			fmt.Fprintf(&b, "    %s\n", changeLine(c))
			if opts.Attrs {
				for _, a := range c.Attrs {
					fmt.Fprintf(&b, "        %s\n", attrLine(a))
				}
			}
		}
		for _, o := range s.Summary.Outputs {
			fmt.Fprintf(&b, "    %s output %s\n", actionSigil[o.Action], o.Name)
			if opts.Attrs {
				fmt.Fprintf(&b, "        %s\n", attrLine(Attr{Path: "value", Before: o.Before, After: o.After}))
			}
		}
		if len(s.Summary.Drift) > 0 {
			fmt.Fprintf(&b, "    changed outside Terraform: %s\n", strings.Join(s.Summary.Drift, ", "))
		}
	}
	if r.Policy != nil {
		b.WriteString("\npolicy: " + r.Policy.Summary + "\n")
		for _, f := range r.Policy.Failing {
			b.WriteString("    " + f + "\n")
		}
	}
	if r.Message != "" {
		b.WriteString("\n" + r.Message + "\n")
	}
	if r.Next != "" {
		b.WriteString("\nNext: " + r.Next + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
