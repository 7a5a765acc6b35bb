package drift

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds of finding. The first three are drift; pending is not.
const (
	// KindChanged: an attribute of a managed resource differs from what
	// the last apply left in state (changed out of band).
	KindChanged = "changed"
	// KindDeleted: a managed resource no longer exists (deleted out of
	// band).
	KindDeleted = "deleted"
	// KindUnmanaged: a resource carries the environment's tags but no
	// stack's state holds it.
	KindUnmanaged = "unmanaged"
	// KindPending: the code differs from the state in a way no apply has
	// carried out yet. Not drift: a normal plan/apply takes care of it.
	KindPending = "pending"
)

// Stack statuses.
const (
	StatusClean   = "clean"
	StatusDrifted = "drifted"
	StatusError   = "error"
)

// Finding is one difference between the code, the state and the account.
// Values are JSON texts (strings quoted); "" stands for absent. Values
// Terraform marks sensitive are masked (review.Masked).
type Finding struct {
	// Fingerprint identifies the finding across runs: a hash of
	// environment, stack, address, kind and attribute path, never of
	// values. An alert for a finding can be updated, not repeated, while
	// its fingerprint stays.
	Fingerprint string `json:"fingerprint"`
	Kind        string `json:"kind"`
	Env         string `json:"env"`
	// Stack is the stack id ("dev/observability"); "" for unmanaged
	// resources, which belong to no stack.
	Stack string `json:"stack,omitempty"`
	// Address is the resource address in the stack; for an unmanaged
	// resource its ARN (its id when it has none).
	Address string `json:"address"`
	Type    string `json:"type"`
	// Attribute is the attribute path of a changed finding
	// ("threshold", `tags["team"]`, "ingress[0].cidr_blocks[1]").
	Attribute string `json:"attribute,omitempty"`
	Before    string `json:"before,omitempty"`
	After     string `json:"after,omitempty"`
	// ID is an unmanaged resource's id as Terraform would import it.
	ID string `json:"id,omitempty"`
	// Action is a pending change's action: create, update, replace,
	// delete, forget.
	Action string `json:"action,omitempty"`
	// Attrs are a pending update's attribute changes.
	Attrs []Attr `json:"attrs,omitempty"`
	// Ignored is set when an ignore rule of vigil.hcl matches.
	Ignored *Ignored `json:"ignored,omitempty"`
}

// Attr is one attribute of a pending change.
type Attr struct {
	Path   string `json:"path"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// Ignored says which rule hid a finding, and why.
type Ignored struct {
	Reason string `json:"reason"`
	// Rule is the rule's address (and attribute) pattern.
	Rule string `json:"rule"`
	// Scope is where the rule is declared: "global", "<env>" or
	// "<env>/<layer>".
	Scope string `json:"scope"`
}

// IsDrift reports a drift kind (changed, deleted, unmanaged) that no rule
// ignores.
func (f *Finding) IsDrift() bool {
	return f.Ignored == nil && (f.Kind == KindChanged || f.Kind == KindDeleted || f.Kind == KindUnmanaged)
}

// Fingerprint is the stable id of a finding: the first 16 bytes of
// SHA-256 over environment, stack, address, kind and attribute path.
func Fingerprint(env, stack, address, kind, attribute string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{env, stack, address, kind, attribute}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// StackReport is the result of one stack.
type StackReport struct {
	Stack string `json:"stack"`
	Path  string `json:"path"`
	// Status is clean, drifted (a finding of a drift kind no rule
	// ignores) or error.
	Status string `json:"status"`
	// Drift holds the changed and deleted findings, ignored ones
	// included (marked).
	Drift []Finding `json:"drift"`
	// Pending holds the code changes not applied yet.
	Pending []Finding `json:"pending"`
	// Error says why the stack could not be checked.
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Unmanaged is the result of the unmanaged-resource check.
type Unmanaged struct {
	// Checked is false when the check did not run; Skipped says why.
	Checked bool   `json:"checked"`
	Skipped string `json:"skipped,omitempty"`
	// Tags are the tags that mark the environment's resources.
	Tags map[string]string `json:"tags,omitempty"`
	// Kinds are the resource types that were listed.
	Kinds    []string  `json:"kinds,omitempty"`
	Findings []Finding `json:"findings"`
	// Errors are the listings that failed (the others still count).
	Errors []string `json:"errors,omitempty"`
}

// Report is the result of one drift check of an environment.
type Report struct {
	Env       string         `json:"env"`
	StartedAt time.Time      `json:"started_at"`
	Duration  time.Duration  `json:"duration_ns"`
	Stacks    []*StackReport `json:"stacks"`
	Unmanaged Unmanaged      `json:"unmanaged"`
}

// Findings returns every finding of the report, stacks in order, then the
// unmanaged resources.
func (r *Report) Findings() []Finding {
	var out []Finding
	for _, s := range r.Stacks {
		out = append(out, s.Drift...)
		out = append(out, s.Pending...)
	}
	return append(out, r.Unmanaged.Findings...)
}

// Drifted reports a finding of a drift kind that no rule ignores.
func (r *Report) Drifted() bool {
	for _, f := range r.Findings() {
		if f.IsDrift() {
			return true
		}
	}
	return false
}

// Failed reports a stack that could not be checked, or a failed listing
// of the unmanaged check: the report is incomplete.
func (r *Report) Failed() bool {
	for _, s := range r.Stacks {
		if s.Error != "" {
			return true
		}
	}
	return len(r.Unmanaged.Errors) > 0
}

// Counts are a report's findings by kind (ignored ones apart).
type Counts struct {
	Changed   int `json:"changed"`
	Deleted   int `json:"deleted"`
	Unmanaged int `json:"unmanaged"`
	Pending   int `json:"pending"`
	Ignored   int `json:"ignored"`
	// Resources is the number of resources with a changed attribute.
	Resources int `json:"resources_changed"`
	Errors    int `json:"errors"`
}

// Counts counts the findings.
func (r *Report) Counts() Counts {
	var c Counts
	changed := map[string]bool{}
	for _, f := range r.Findings() {
		if f.Ignored != nil {
			c.Ignored++
			continue
		}
		switch f.Kind {
		case KindChanged:
			c.Changed++
			changed[f.Stack+" "+f.Address] = true
		case KindDeleted:
			c.Deleted++
		case KindUnmanaged:
			c.Unmanaged++
		case KindPending:
			c.Pending++
		}
	}
	c.Resources = len(changed)
	for _, s := range r.Stacks {
		if s.Error != "" {
			c.Errors++
		}
	}
	c.Errors += len(r.Unmanaged.Errors)
	return c
}

// finish stamps env, stack and fingerprint on findings and sorts them:
// by address, then kind, then attribute.
func finish(fs []Finding, env, stack string) []Finding {
	for i := range fs {
		fs[i].Env, fs[i].Stack = env, stack
		fs[i].Fingerprint = Fingerprint(env, stack, fs[i].Address, fs[i].Kind, fs[i].Attribute)
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Address, b.Address), strings.Compare(kindRank(a.Kind), kindRank(b.Kind)), strings.Compare(a.Attribute, b.Attribute))
	})
	if fs == nil {
		fs = []Finding{}
	}
	return fs
}

func kindRank(k string) string {
	switch k {
	case KindDeleted:
		return "0"
	case KindChanged:
		return "1"
	}
	return "2" + k
}

// String is a one-line description of the finding.
func (f *Finding) String() string {
	switch f.Kind {
	case KindChanged:
		return fmt.Sprintf("%s %s: %s changed out of band: %s → %s", f.Stack, f.Address, f.Attribute, Show(f.Before), Show(f.After))
	case KindDeleted:
		return fmt.Sprintf("%s %s: deleted out of band", f.Stack, f.Address)
	case KindUnmanaged:
		return fmt.Sprintf("%s %s: tagged for %s but in no stack's state", f.Type, f.Address, f.Env)
	}
	return fmt.Sprintf("%s %s: pending %s (not applied yet)", f.Stack, f.Address, f.Action)
}

// Show renders a finding value for people: "(absent)" for "".
func Show(v string) string {
	if v == "" {
		return "(absent)"
	}
	return v
}
