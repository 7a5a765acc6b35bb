package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
)

// PolicyGate is the policy and security scan (M7) the plan runs as a gate,
// after planning, on the stacks' code and their masked plan JSON. nil
// means no gate.
type PolicyGate interface {
	Scan(ctx context.Context, in PolicyInput) (*PolicyResult, error)
}

// PolicyInput is what the gate scans.
type PolicyInput struct {
	Env string
	// Root is the repository root (what finding paths are relative to).
	Root   string
	Stacks []*stack.Stack
	// Plans maps stack ids to their masked plan JSON files (stacks that
	// were planned).
	Plans map[string]string
}

// PolicyResult is the gate's verdict; it is part of what an approval binds.
type PolicyResult struct {
	Passed  bool   `json:"passed"`
	Summary string `json:"summary"`
	// Failing lists the findings that fail the gate: "RULE resource
	// (severity) file:line". Nothing secret: rule ids, addresses, places.
	Failing []string `json:"failing,omitempty"`
}

// Note converts the result for a review.Report.
func (r *PolicyResult) Note() *review.PolicyNote {
	if r == nil {
		return &review.PolicyNote{Passed: true, Summary: "no policy gate configured", Disabled: true}
	}
	return &review.PolicyNote{Passed: r.Passed, Summary: r.Summary, Failing: r.Failing}
}

// policyDigest is what the binding records of a policy verdict.
func policyDigest(n *review.PolicyNote) string {
	if n == nil {
		return "none"
	}
	b, _ := json.Marshal(n)
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// ScannerGate is the PolicyGate of package policy: built-in rules, the
// repository's Rego policies and suppressions, each stack scanned with its
// plan.
type ScannerGate struct {
	Scanner *policy.Scanner
	Config  policy.Config
}

// NewPolicyGate returns the gate of package policy with cfg (the policy
// settings of vigil.hcl; the zero value applies the defaults: fail on high,
// policies from policy/ when that folder exists).
func NewPolicyGate(cfg policy.Config) *ScannerGate {
	return &ScannerGate{Scanner: policy.New(), Config: cfg}
}

// Scan implements PolicyGate.
func (g *ScannerGate) Scan(ctx context.Context, in PolicyInput) (*PolicyResult, error) {
	cfg := g.Config
	if len(cfg.PolicyDirs) == 0 {
		if d := filepath.Join(in.Root, "policy"); isDir(d) {
			cfg.PolicyDirs = []string{d}
		}
	}
	res := &PolicyResult{Passed: true}
	seen := map[string]bool{}
	var total, suppressed, incomplete int
	for _, s := range in.Stacks {
		p := &policy.ScanParams{Paths: []string{s.Dir}, Env: in.Env, Config: cfg, BaseDir: in.Root, PlanFile: in.Plans[s.ID()]}
		rep, err := g.Scanner.Scan(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("policy scan of %s: %w", s.ID(), err)
		}
		for _, f := range rep.Findings {
			key := strings.Join([]string{f.RuleID, f.Range.Filename, fmt.Sprint(f.Range.Start.Line), f.Resource}, "\x00")
			if seen[key] {
				continue
			}
			seen[key] = true
			if f.Suppressed {
				suppressed++
				continue
			}
			total++
		}
		for _, f := range rep.Failing() {
			line := fmt.Sprintf("%s %s (%s)", f.RuleID, f.Resource, f.Severity)
			if f.Range.Filename != "" {
				line += fmt.Sprintf(" %s:%d", f.Range.Filename, f.Range.Start.Line)
			}
			line = strings.Replace(line, "  (", " (", 1)
			if !slices.Contains(res.Failing, line) {
				res.Failing = append(res.Failing, line)
			}
		}
		for _, e := range rep.Errors {
			incomplete++
			res.Failing = append(res.Failing, "could not scan: "+review.MaskText(e.Error()))
		}
	}
	slices.Sort(res.Failing)
	res.Passed = len(res.Failing) == 0
	res.Summary = fmt.Sprintf("%d finding(s), %d failing the gate", total, len(res.Failing)-incomplete)
	if suppressed > 0 {
		res.Summary += fmt.Sprintf(", %d suppressed", suppressed)
	}
	if incomplete > 0 {
		res.Summary += fmt.Sprintf(", %d input(s) could not be scanned", incomplete)
	}
	return res, nil
}
