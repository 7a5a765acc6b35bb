package review

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strings"
)

// Stack statuses in a Report.
const (
	StatusChanges   = "changes"    // planned, with changes to apply
	StatusNoChanges = "no-changes" // planned, nothing to do
	StatusWaiting   = "waiting"    // an upstream stack has pending changes
	StatusFailed    = "failed"     // the plan (or apply) failed
	StatusApplied   = "applied"
	StatusSkipped   = "skipped" // not applied because another stack failed
)

// Report is the review of one run: what the CLI's show, plan and apply
// print, and what the pull-request comment says. Everything in it is
// masked.
type Report struct {
	RunID       string        `json:"run_id"`
	Env         string        `json:"env"`
	Status      string        `json:"status"`
	Target      string        `json:"target,omitempty"`
	Commit      string        `json:"commit,omitempty"`
	Author      string        `json:"author,omitempty"`
	Fingerprint string        `json:"fingerprint,omitempty"`
	Approval    string        `json:"approval,omitempty"` // "required", "approved by ana", "not required"
	Policy      *PolicyNote   `json:"policy,omitempty"`
	Stacks      []StackReport `json:"stacks"`
	Message     string        `json:"message,omitempty"`
	// Next says what to do next (a command line).
	Next string `json:"next,omitempty"`
}

// StackReport is one stack of a run.
type StackReport struct {
	Stack  string `json:"stack"`
	Status string `json:"status"`
	// Note says why a stack waits or failed.
	Note    string        `json:"note,omitempty"`
	Summary *StackSummary `json:"summary,omitempty"`
}

// PolicyNote is the policy gate's verdict on the run.
type PolicyNote struct {
	Passed   bool     `json:"passed"`
	Summary  string   `json:"summary"`
	Failing  []string `json:"failing,omitempty"` // "VGL-S001 aws_security_group.web (high)"
	Disabled bool     `json:"disabled,omitempty"`
}

// Totals sums the counts of the stacks.
func (r *Report) Totals() Counts {
	var t Counts
	for _, s := range r.Stacks {
		if s.Summary == nil {
			continue
		}
		c := s.Summary.Counts
		t.Add += c.Add
		t.Change += c.Change
		t.Destroy += c.Destroy
		t.Replace += c.Replace
		t.Import += c.Import
		t.Forget += c.Forget
		t.Move += c.Move
	}
	return t
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// fpChange is the normalised form of a change the fingerprint hashes.
type fpChange struct {
	Address string `json:"a"`
	Action  string `json:"x"`
	Import  bool   `json:"i,omitempty"`
	Prev    string `json:"p,omitempty"`
	Attrs   []Attr `json:"d,omitempty"`
}

type fpStack struct {
	Stack   string         `json:"s"`
	Changes []fpChange     `json:"c"`
	Outputs []OutputChange `json:"o,omitempty"`
}

// Fingerprint identifies a set of planned changes, independent of when and
// where they were planned: the stacks' resource changes (address, action,
// attribute differences with unknown values as Unknown and sensitive ones
// masked) and output changes, normalised and hashed. Two plans with the
// same changes have the same fingerprint; stacks without changes do not
// count. It is computed from masked summaries, so it reveals nothing.
func Fingerprint(stacks []*StackSummary) string {
	var fs []fpStack
	for _, s := range stacks {
		if !s.HasChanges() {
			continue
		}
		f := fpStack{Stack: s.Stack, Outputs: s.Outputs}
		for _, c := range s.Changes {
			attrs := slices.Clone(c.Attrs)
			slices.SortFunc(attrs, func(a, b Attr) int { return strings.Compare(a.Path, b.Path) })
			f.Changes = append(f.Changes, fpChange{Address: c.Address, Action: c.Action, Import: c.Import, Prev: c.PreviousAddress, Attrs: attrs})
		}
		slices.SortFunc(f.Changes, func(a, b fpChange) int { return strings.Compare(a.Address, b.Address) })
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b fpStack) int { return strings.Compare(a.Stack, b.Stack) })
	b, _ := json.Marshal(struct {
		V      int       `json:"v"`
		Stacks []fpStack `json:"stacks"`
	}{1, fs})
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
