package review

import (
	"fmt"
	"strings"
)

// CommentLimit is GitHub's limit on the body of one pull-request comment
// (65,536 characters); Markdown stays under it with room to spare.
const CommentLimit = 65536

// markdownBudget leaves room for a bot's header and footer.
const markdownBudget = CommentLimit - 2048

// Markdown renders the report as one pull-request comment: a headline,
// destroys and replacements first (stateful ones flagged), a table of the
// stacks, then each stack's changes in a collapsed block. When the whole
// does not fit in one comment, detail is collapsed step by step (attribute
// values, then the change lists) and the comment says where the rest is;
// it is never split into several comments.
func Markdown(r *Report) string {
	for level := 2; level >= 0; level-- {
		if md := markdown(r, level, -1); len(md) <= markdownBudget {
			return md
		}
	}
	// Even the table and the destroys alone are too long: cut the destroys.
	for n := 200; n >= 0; n /= 2 {
		if md := markdown(r, 0, n); len(md) <= markdownBudget || n == 0 {
			if len(md) > markdownBudget {
				md = md[:markdownBudget-200] + "\n\n… (cut to fit one comment; run `vigil show " + r.RunID + "` for the rest)\n"
			}
			return md
		}
	}
	return ""
}

// markdown renders at a detail level: 2 attribute values, 1 change lists,
// 0 table and destroys only. maxDestroys < 0 lists every destroy.
func markdown(r *Report, level, maxDestroys int) string {
	var b strings.Builder
	t := r.Totals()
	fmt.Fprintf(&b, "### vigil · `%s` · run `%s` · %s\n\n", r.Env, r.RunID, r.Status)
	fmt.Fprintf(&b, "**%d to add, %d to change, %d to destroy, %d to replace**", t.Add, t.Change, t.Destroy, t.Replace)
	var meta []string
	if r.Target != "" {
		meta = append(meta, "target `"+r.Target+"`")
	}
	if r.Commit != "" {
		meta = append(meta, "commit `"+r.Commit+"`")
	}
	if r.Author != "" {
		meta = append(meta, "by "+mdEscape(r.Author))
	}
	if len(meta) > 0 {
		b.WriteString(" · " + strings.Join(meta, " · "))
	}
	b.WriteString("\n\n")

	var destructive []string
	for _, s := range r.Stacks {
		if s.Summary == nil {
			continue
		}
		for _, c := range s.Summary.Destructive() {
			line := fmt.Sprintf("- **%s** `%s` in `%s`", c.Action, c.Address, s.Stack)
			if c.Stateful {
				line += " — :warning: **stateful: its data is lost**"
			}
			if c.Reason != "" {
				line += " (" + strings.ReplaceAll(c.Reason, "_", " ") + ")"
			}
			destructive = append(destructive, line)
		}
	}
	if len(destructive) > 0 {
		b.WriteString("> [!CAUTION]\n")
		fmt.Fprintf(&b, "> **%d destroy(s) and replacement(s)**\n>\n", len(destructive))
		shown := destructive
		if maxDestroys >= 0 && len(shown) > maxDestroys {
			shown = shown[:maxDestroys]
		}
		for _, d := range shown {
			b.WriteString("> " + d + "\n")
		}
		if len(shown) < len(destructive) {
			fmt.Fprintf(&b, "> - … and %d more\n", len(destructive)-len(shown))
		}
		b.WriteString("\n")
	}

	b.WriteString("| Stack | Status | Add | Change | Destroy | Replace |\n|---|---|--:|--:|--:|--:|\n")
	for _, s := range r.Stacks {
		status := s.Status
		if s.Note != "" {
			status += ": " + mdEscape(firstLine(s.Note))
		}
		var c Counts
		if s.Summary != nil {
			c = s.Summary.Counts
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %d | %d | %d |\n", s.Stack, status, c.Add, c.Change, c.Destroy, c.Replace)
	}
	b.WriteString("\n")

	if level > 0 {
		for _, s := range r.Stacks {
			if s.Summary == nil || !s.Summary.HasChanges() {
				continue
			}
			fmt.Fprintf(&b, "<details><summary><code>%s</code> — %s</summary>\n\n```diff\n", s.Stack, s.Summary.Counts.String())
			for _, c := range s.Summary.Changes {
				sig := map[string]string{ActionCreate: "+", ActionDelete: "-", ActionReplace: "!", ActionUpdate: "!"}[c.Action]
				if sig == "" {
					sig = " "
				}
				fmt.Fprintf(&b, "%s %s\n", sig, fenceSafe(describe(c)))
				if level > 1 {
					for _, a := range c.Attrs {
						fmt.Fprintf(&b, "%s     %s\n", sig, fenceSafe(attrLine(a)))
					}
				}
			}
			for _, o := range s.Summary.Outputs {
				fmt.Fprintf(&b, "  output %s: %s\n", o.Name, o.Action)
			}
			b.WriteString("```\n\n")
			if level == 1 {
				b.WriteString("_Attribute detail omitted to fit one comment._\n\n")
			}
			b.WriteString("</details>\n\n")
		}
	} else if t.Total() > 0 {
		b.WriteString("_Change lists omitted to fit one comment._\n\n")
	}

	if r.Policy != nil {
		icon := ":white_check_mark:"
		if !r.Policy.Passed {
			icon = ":x:"
		}
		fmt.Fprintf(&b, "%s Policy: %s\n", icon, mdEscape(r.Policy.Summary))
		if level > 0 {
			for _, f := range r.Policy.Failing {
				b.WriteString("- " + mdEscape(f) + "\n")
			}
		}
		b.WriteString("\n")
	}
	if r.Fingerprint != "" {
		fmt.Fprintf(&b, "Fingerprint: `%s`\n", r.Fingerprint)
	}
	if r.Next != "" {
		fmt.Fprintf(&b, "\nNext: `%s`\n", r.Next)
	}
	if level < 2 {
		fmt.Fprintf(&b, "\nFull detail: `vigil show %s`\n", r.RunID)
	}
	return b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var mdReplacer = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }

// fenceSafe keeps a line from closing the code fence it is in.
func fenceSafe(s string) string { return strings.ReplaceAll(s, "```", "`\u200b``") }
