package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// StackBinding is what a run binds for one planned stack (stored as
// store.RunStack.Binding).
type StackBinding struct {
	// PlanSHA256 is the SHA-256 of the saved plan file.
	PlanSHA256 string `json:"plan_sha256"`
	// State is the stack's state as the plan saw it: lineage and serial,
	// or "no state yet" (Exists false), which is a value of its own.
	State terraform.StateMeta `json:"state"`
	// LockFile is the SHA-256 of the stack's .terraform.lock.hcl ("none").
	LockFile string `json:"lock_file"`
	// Changes says whether the plan changes anything.
	Changes bool `json:"changes"`
	// Fingerprint is the stack's own changes' fingerprint.
	Fingerprint string `json:"fingerprint"`
}

// Binding elements, as named in refusals.
const (
	ElementPlanFile  = "plan file"
	ElementState     = "state"
	ElementCommit    = "commit"
	ElementSources   = "sources"
	ElementLockFile  = "lock file"
	ElementPolicy    = "policy"
	ElementResources = "resources"
	ElementRecords   = "records"
	ElementApproval  = "approval"
)

// Broken is one binding element that no longer holds.
type Broken struct {
	Stack   string `json:"stack,omitempty"`
	Element string `json:"element"`
	Detail  string `json:"detail"`
}

func (b Broken) String() string {
	if b.Stack == "" {
		return b.Element + ": " + b.Detail
	}
	return b.Stack + ": " + b.Element + ": " + b.Detail
}

// BindingError: apply refused because what was approved no longer holds.
type BindingError struct {
	RunID  string
	Broken []Broken
}

func (e *BindingError) Error() string {
	var lines []string
	for _, b := range e.Broken {
		lines = append(lines, "  - "+b.String())
	}
	return fmt.Sprintf("apply of run %s refused: what was planned no longer holds:\n%s\nPlan again (vigil plan --env ENV) and review the new plan", e.RunID, strings.Join(lines, "\n"))
}

// Elements names the broken elements ("plan file", "state", ...).
func (e *BindingError) Elements() []string {
	var out []string
	for _, b := range e.Broken {
		if !slices.Contains(out, b.Element) {
			out = append(out, b.Element)
		}
	}
	return out
}

// ApprovalError: the environment needs an approval the run does not have.
type ApprovalError struct {
	RunID string
	Env   string
	// Stale is set when approvals exist but bind something else.
	Stale bool
}

func (e *ApprovalError) Error() string {
	if e.Stale {
		return fmt.Sprintf("apply of run %s refused: its approvals were given for a different plan (the run's records changed); plan again and have the new run approved", e.RunID)
	}
	return fmt.Sprintf("apply of run %s refused: environment %s requires an approval; review it (vigil show %s), then have someone other than its author run: vigil approve %s --by NAME", e.RunID, e.Env, e.RunID, e.RunID)
}

// RefusedError: the run cannot be applied in its current status.
type RefusedError struct {
	RunID  string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("apply of run %s refused: %s", e.RunID, e.Reason)
}

// bindingHash is the run's binding: SHA-256 over the environment, the
// source (commit, dirty, sources digest), the policy verdict and every
// planned stack's binding.
func bindingHash(env string, src Source, policy string, stacks map[string]StackBinding) string {
	ids := make([]string, 0, len(stacks))
	for id := range stacks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	type entry struct {
		Stack   string       `json:"stack"`
		Binding StackBinding `json:"binding"`
	}
	var es []entry
	for _, id := range ids {
		es = append(es, entry{id, stacks[id]})
	}
	b, _ := json.Marshal(struct {
		V      int     `json:"v"`
		Env    string  `json:"env"`
		Source Source  `json:"source"`
		Policy string  `json:"policy"`
		Stacks []entry `json:"stacks"`
	}{1, env, src, policy, es})
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// runBinding recomputes a run's binding from its stored records.
func runBinding(r *store.Run, stacks []*store.RunStack) (string, map[string]StackBinding, Source, error) {
	var sum runSummary
	if len(r.Summary) > 0 {
		if err := json.Unmarshal(r.Summary, &sum); err != nil {
			return "", nil, Source{}, fmt.Errorf("run %s: read its summary: %w", r.ID, err)
		}
	}
	bs := map[string]StackBinding{}
	for _, s := range stacks {
		if len(s.Binding) == 0 {
			continue
		}
		var b StackBinding
		if err := json.Unmarshal(s.Binding, &b); err != nil {
			return "", nil, Source{}, fmt.Errorf("run %s: read the binding of %s: %w", r.ID, s.Stack, err)
		}
		if s.PlanSHA256 != b.PlanSHA256 {
			// The record's two copies disagree: one was edited.
			b.PlanSHA256 = "inconsistent:" + s.PlanSHA256 + "/" + b.PlanSHA256
		}
		bs[s.Stack] = b
	}
	return bindingHash(r.Env, sum.Source, policyDigest(sum.Policy), bs), bs, sum.Source, nil
}
