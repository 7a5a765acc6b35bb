package backlog

import (
	"fmt"
	"strings"
)

// Markdown renders an item as an issue body: what happened, the suggested
// encoding and where the records are.
func Markdown(it Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- vigil-backlog %s -->\n", it.Key)
	fmt.Fprintf(&b, "## %s\n\n", it.Title)
	fmt.Fprintf(&b, "**Kind:** %s · **Environment:** %s", it.Kind, it.Env)
	if it.Stack != "" {
		fmt.Fprintf(&b, " · **Stack:** `%s`", it.Stack)
	}
	fmt.Fprintf(&b, " · **When:** %s\n\n", it.At.UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString("### What happened\n\n```text\n")
	for _, l := range it.What {
		b.WriteString(l + "\n")
	}
	b.WriteString("```\n\n")
	fmt.Fprintf(&b, "### Encode the fix: %s\n\n%s\n\n", it.Suggest.As, it.Suggest.Text)
	b.WriteString("- [ ] the fix is code (merged through a pull request)\n- [ ] a test or rule proves it\n\n")
	fmt.Fprintf(&b, "_Records: %s. Every incident a person fixed by hand becomes a backlog item (M17)._\n", it.Source)
	return b.String()
}
