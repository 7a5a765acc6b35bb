package rules

import (
	"fmt"
	"sort"

	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/model"
)

// Result is one thing a Check found.
type Result struct {
	Range    finding.Range
	Resource string
	Message  string
	// Severity overrides the rule's severity when set (for example a
	// literal access key is worse than a reference to one).
	Severity finding.Severity
}

// Rule is a built-in rule: metadata and a pure check over a view.
type Rule struct {
	finding.Rule
	// Check is nil for rules produced elsewhere (suppression hygiene).
	Check func(v *model.View) []Result
}

// All returns the built-in rules, ordered by id.
func All() []Rule {
	out := append(append(append([]Rule{}, securityRules()...), reliabilityRules()...), hygieneRules()...)
	for i := range out {
		out[i].HelpURI = finding.DocsBase + "#" + finding.Anchor(out[i].ID)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ByID returns the built-in rule with the id.
func ByID(id string) (Rule, bool) {
	for _, r := range All() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Suppression hygiene ids, produced by package policy.
const (
	IDSuppressionNoReason    = "VGL-X001"
	IDSuppressionUnknownRule = "VGL-X002"
)

func hygieneRules() []Rule {
	return []Rule{
		{Rule: finding.Rule{
			ID: IDSuppressionNoReason, Severity: finding.SeverityMedium, Group: finding.GroupHygiene,
			Title: "Suppression without a reason",
			Why:   "A suppression hides a finding from everyone after you; without a reason nobody can tell whether it still holds. It does not take effect.",
			Fix:   "Write why on the same line: # vigil:ignore VGL-S031 logs bucket is fronted by CloudFront only.",
		}},
		{Rule: finding.Rule{
			ID: IDSuppressionUnknownRule, Severity: finding.SeverityLow, Group: finding.GroupHygiene,
			Title: "Suppression names an unknown rule",
			Why:   "A typo in the rule id suppresses nothing, and the finding it was meant for still fails the gate.",
			Fix:   "Use an id that vigil scan prints (VGL-S001…); docs/policy.md lists them all.",
		}},
	}
}

// at builds a result for a resource at a range.
func at(r *model.Resource, rng finding.Range, format string, args ...any) Result {
	return Result{Range: rng, Resource: r.Address(), Message: r.Address() + ": " + fmt.Sprintf(format, args...)}
}

// attrOrBlock is the range of the attribute when set, else the block header.
func attrOrBlock(b *model.Block, name string) finding.Range {
	if a := b.Attr(name); a != nil {
		return a.Range
	}
	return b.DefRange
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}
