package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/vigil-sre/vigil/internal/policy/external"
	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/model"
	"github.com/vigil-sre/vigil/internal/policy/rego"
	"github.com/vigil-sre/vigil/internal/policy/rules"
)

// ScanParams says what to scan and how to judge it.
type ScanParams struct {
	// Paths are directories or files; empty means ".".
	Paths []string
	// PlanFile is plan JSON (terraform show -json PLANFILE), optional.
	PlanFile string
	// Plan is an already decoded plan (vigil plan has one); it takes
	// precedence over reading PlanFile, which then only names it.
	Plan *tfjson.Plan
	// Env picks Config.FailOnEnv.
	Env    string
	Config Config
	// FailOn, when set (--fail-on), overrides the configured threshold.
	FailOn *Severity
	// BaseDir is what config path globs and SARIF URIs are relative to
	// (default: the working directory).
	BaseDir string
	// NoRego skips user policies even when a policy directory exists.
	NoRego bool
}

// Scanner runs scans. The zero value is not usable; call New.
type Scanner struct {
	run      external.Runner
	loadOpts model.LoadOptions
}

// Option configures a Scanner.
type Option func(*Scanner)

// WithRunner replaces how external scanners are run (tests).
func WithRunner(r external.Runner) Option { return func(s *Scanner) { s.run = r } }

// New returns a Scanner.
func New(opts ...Option) *Scanner {
	s := &Scanner{run: external.ExecRunner}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Scan loads the paths (and plan), runs every rule, the user policies and
// the enabled external scanners, applies suppressions and returns the
// report. Its error is for bad parameters only; unreadable inputs are in
// Report.Errors and in Report.Err.
func (s *Scanner) Scan(ctx context.Context, p *ScanParams) (*Report, error) {
	start := time.Now()
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	paths := p.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	base := p.BaseDir
	if base == "" {
		base, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	rep := &Report{Env: p.Env, BaseDir: base, Rules: map[string]Rule{}, Threshold: p.Config.Threshold(p.Env)}
	if p.FailOn != nil {
		rep.Threshold = *p.FailOn
	}

	proj := model.Load(paths, s.loadOpts)
	for _, d := range proj.Diagnostics {
		rep.Errors = append(rep.Errors, d)
	}
	views := []*model.View{proj.View()}
	var planInput any
	plan := p.Plan
	if plan == nil && p.PlanFile != "" {
		var err error
		if plan, err = model.LoadPlan(p.PlanFile); err != nil {
			rep.Errors = append(rep.Errors, err)
		}
	}
	if plan != nil {
		name := p.PlanFile
		if name == "" {
			name = "plan.json"
		}
		pv := proj.PlanView(plan, name)
		views = append(views, pv)
		rep.Stats.PlanResources = len(pv.Resources)
		if raw, err := json.Marshal(plan); err == nil {
			_ = json.Unmarshal(raw, &planInput)
		}
	}

	disabled := map[string]bool{}
	for _, id := range p.Config.Disable {
		disabled[id] = true
	}
	var fs []Finding
	for _, r := range rules.All() {
		rep.Rules[r.ID] = r.Rule
		if r.Check == nil || disabled[r.ID] {
			continue
		}
		for _, v := range views {
			results, err := runCheck(r, v)
			if err != nil {
				rep.Errors = append(rep.Errors, err)
			}
			for _, res := range results {
				sev := r.Severity
				if res.Severity != SeverityNone {
					sev = res.Severity
				}
				src := v.Source
				if ext := filepath.Ext(res.Range.Filename); ext == ".yml" || ext == ".yaml" {
					src = "workflow"
				}
				fs = append(fs, Finding{RuleID: r.ID, Severity: sev, Title: r.Title, Message: res.Message, Range: res.Range, Resource: res.Resource, Source: src})
			}
		}
	}

	if !p.NoRego {
		rf, n, err := s.regoFindings(ctx, p, proj, views, planInput, rep)
		if err != nil {
			rep.Errors = append(rep.Errors, err)
		}
		rep.Stats.RegoRules = n
		fs = append(fs, rf...)
	}

	fs = dedupe(fs)
	fs = append(fs, s.externalFindings(ctx, p.Config.External, paths, fs, rep)...)

	known := func(id string) bool {
		if _, ok := rep.Rules[id]; ok {
			return true
		}
		return strings.HasPrefix(id, "rego:") || strings.HasPrefix(id, "trivy:") || strings.HasPrefix(id, "tflint:") || strings.HasSuffix(id, "*")
	}
	hyg := applySuppressions(fs, proj, p.Config, base, known)
	fs = append(fs, hyg...)
	// Findings name files relative to the base directory when inside it.
	for i := range fs {
		fs[i].Range.Filename = relToBase(base, fs[i].Range.Filename)
	}
	sortFindings(fs)
	rep.Findings = fs

	rep.Stats.Files = len(proj.Files)
	rep.Stats.Modules = len(proj.Modules)
	rep.Stats.Workflows = len(proj.Workflows)
	seen := map[string]bool{}
	for _, r := range views[0].Resources {
		seen[r.DefRange.String()] = true
	}
	rep.Stats.Resources = len(seen)
	rep.Stats.Duration = time.Since(start)
	return rep, nil
}

// runCheck runs one rule, turning a panic (a value shape the rule did not
// expect) into an error instead of losing the whole scan.
func runCheck(r rules.Rule, v *model.View) (res []rules.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("rule %s failed on the %s view (please report this): %v", r.ID, v.Source, p)
		}
	}()
	return r.Check(v), nil
}

// dedupe keeps one finding per rule and line (the most severe), so a module
// instantiated twice, or a resource seen in both HCL and plan, reports once.
func dedupe(fs []Finding) []Finding {
	type key struct {
		rule, file string
		line       int
		msg        string
	}
	idx := map[key]int{}
	var out []Finding
	for _, f := range fs {
		k := key{f.RuleID, f.Range.Filename, f.Range.Start.Line, ""}
		if f.Range.Start.Line == 0 {
			k.msg = f.Message
		}
		if i, ok := idx[k]; ok {
			if f.Severity > out[i].Severity {
				out[i].Severity = f.Severity
				out[i].Message = f.Message
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, f)
	}
	return out
}

// policyDirs returns the Rego directories in force.
func policyDirs(p *ScanParams) []string {
	if len(p.Config.PolicyDirs) > 0 {
		return p.Config.PolicyDirs
	}
	if info, err := os.Stat("policy"); err == nil && info.IsDir() {
		return []string{"policy"}
	}
	return nil
}

func (s *Scanner) regoFindings(ctx context.Context, p *ScanParams, proj *model.Project, views []*model.View, planInput any, rep *Report) ([]Finding, int, error) {
	dirs := policyDirs(p)
	if len(dirs) == 0 {
		return nil, 0, nil
	}
	eng, err := rego.Load(ctx, dirs)
	if err != nil {
		return nil, 0, err
	}
	if eng.Rules() == 0 {
		return nil, 0, nil
	}
	var out []Finding
	// Source: one evaluation per .tf file, conftest style.
	byFile := map[string][]*model.Resource{}
	for _, r := range views[0].Resources {
		byFile[r.DefRange.Filename] = append(byFile[r.DefRange.Filename], r)
	}
	var errs []error
	for _, f := range proj.TFFiles() {
		input := proj.ConfigInput(f.Path)
		if input == nil {
			continue
		}
		res, err := eng.Eval(ctx, input)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Path, err))
			continue
		}
		for _, r := range res {
			loc, addr := locate(r, byFile[f.Path], model.Range{Filename: f.Path})
			out = append(out, regoFinding(r, loc, addr, rep))
		}
	}
	if planInput != nil && len(views) > 1 {
		res, err := eng.Eval(ctx, planInput)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.PlanFile, err))
		}
		for _, r := range res {
			loc, addr := locate(r, views[1].Resources, model.Range{Filename: p.PlanFile})
			out = append(out, regoFinding(r, loc, addr, rep))
		}
	}
	return out, eng.Rules(), errors.Join(errs...)
}

// locate finds the resource a Rego message is about: its "resource" field,
// or the longest address (or type.name) mentioned in the message.
func locate(r rego.Result, rs []*model.Resource, fallback model.Range) (model.Range, string) {
	var best *model.Resource
	bestLen := 0
	for _, res := range rs {
		for _, a := range []string{res.Address(), res.ConfigAddress(), res.LocalAddress()} {
			if (r.Resource != "" && r.Resource == a) || (r.Resource == "" && strings.Contains(r.Message, a)) {
				if len(a) > bestLen {
					best, bestLen = res, len(a)
				}
			}
		}
		if r.Resource == "" && res.Mode == model.Managed && bestLen == 0 && strings.Contains(r.Message, "`"+res.Name+"`") {
			best = res
		}
	}
	if best == nil {
		return fallback, r.Resource
	}
	return best.DefRange, best.Address()
}

// regoFinding turns a Rego result into a finding: deny and violation are
// high, warn is low, unless the policy says otherwise.
func regoFinding(r rego.Result, loc model.Range, addr string, rep *Report) Finding {
	id := r.ID
	if id == "" {
		id = "rego:" + r.Package + "." + r.Rule
	}
	sev := SeverityHigh
	if r.Kind == rego.Warn {
		sev = SeverityLow
	}
	if r.Severity != "" {
		if s, err := ParseSeverity(r.Severity); err == nil && s != SeverityNone {
			sev = s
		}
	}
	title := fmt.Sprintf("Policy %s.%s", r.Package, r.Rule)
	if _, ok := rep.Rules[id]; !ok {
		rep.Rules[id] = Rule{ID: id, Severity: sev, Group: finding.GroupUser, Title: title,
			Why: fmt.Sprintf("A %s rule of your Rego policy package %s.", r.Kind, r.Package)}
	}
	return Finding{RuleID: id, Severity: sev, Title: title, Message: r.Message, Range: loc, Resource: addr, Source: "rego"}
}

func (s *Scanner) externalFindings(ctx context.Context, tools []string, paths []string, builtin []Finding, rep *Report) []Finding {
	var out []Finding
	for _, tool := range tools {
		var (
			fs  []Finding
			rs  []Rule
			err error
		)
		switch tool {
		case "trivy":
			fs, rs, err = external.Trivy(ctx, s.run, paths)
		case "tflint":
			fs, rs, err = external.TFLint(ctx, s.run, paths)
		}
		if errors.Is(err, external.ErrNotInstalled) {
			rep.Notes = append(rep.Notes, tool+" is enabled but not on PATH; skipped")
			continue
		}
		if err != nil {
			rep.Errors = append(rep.Errors, err)
		}
		for _, r := range rs {
			if _, ok := rep.Rules[r.ID]; !ok {
				rep.Rules[r.ID] = r
			}
		}
		kept, dropped := dedupeExternal(fs, builtin)
		if dropped > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %d finding(s) already reported by vigil's own rules", tool, dropped))
		}
		out = append(out, kept...)
	}
	return dedupe(out)
}

// dedupeExternal drops external findings that a built-in rule already
// reports in the same file within the same lines.
func dedupeExternal(ext, builtin []Finding) (kept []Finding, dropped int) {
	for _, f := range ext {
		eq := external.VigilEquivalent(f.RuleID)
		dup := false
		if eq != "" {
			for _, b := range builtin {
				if b.RuleID != eq || !sameFile(b.Range.Filename, f.Range.Filename) {
					continue
				}
				end := f.Range.End.Line
				if end < f.Range.Start.Line {
					end = f.Range.Start.Line
				}
				if b.Range.Start.Line >= f.Range.Start.Line && b.Range.Start.Line <= end || f.Range.Start.Line == b.Range.Start.Line {
					dup = true
					break
				}
			}
		}
		if dup {
			dropped++
			continue
		}
		if eq != "" {
			f.Message += " (vigil rule " + eq + " covers this concern)"
		}
		kept = append(kept, f)
	}
	return kept, dropped
}

func relToBase(base, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return file
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return file
	}
	return rel
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
