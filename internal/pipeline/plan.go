package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hashicorp/hcl/v2"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// Artefact names in .vigil/runs/<run-id>/<env>/<layer>/.
const (
	PlanFileName    = "plan.tfplan"  // Terraform's binary plan (holds secrets; mode 0600)
	PlanJSONName    = "plan.json"    // the plan JSON, masked (stacks with changes)
	SummaryFileName = "summary.json" // the masked review summary
	PlanLogName     = "plan.log"     // terraform plan's output, masked
	ApplyLogName    = "apply.log"    // terraform apply's output, masked
)

// PlanParams configure Plan.
type PlanParams struct {
	Env string
	// Stacks limits the plan to these stacks ("dev/workload" or "workload");
	// empty plans every stack of Env.
	Stacks []string
	// Command is recorded as the environment lock's holder ("vigil plan").
	Command string

	kind   string
	parent *store.Run
}

// PlanResult is a planned run.
type PlanResult struct {
	Run    *store.Run
	Report *review.Report
}

// runSummary is the run-level part of what a run records (Run.Summary).
type runSummary struct {
	Source Source             `json:"source"`
	Policy *review.PolicyNote `json:"policy,omitempty"`
	Totals review.Counts      `json:"totals"`
}

// stackPlan is one stack's outcome inside Plan.
type stackPlan struct {
	s       *stack.Stack
	status  string
	note    string
	changes bool
	binding StackBinding
	summary *review.StackSummary
	planned bool // a plan file exists
}

// Plan runs the gates and plans the environment's stacks (M8): fmt first,
// then every stack in parallel (bounded by Parallelism), each under its
// Terraform state lock, then the policy gate on the code and the masked
// plans. A stack whose upstream (in this plan) has pending changes, waits
// or failed is reported as waiting: its plan is discarded, never made
// against stale outputs; `Apply` plans it in the next wave. The run is
// recorded in the store with each stack's binding, under the environment
// lock.
func (p *Pipeline) Plan(ctx context.Context, prm PlanParams) (*PlanResult, error) {
	if prm.kind == "" {
		prm.kind = KindPlan
	}
	if prm.Command == "" {
		prm.Command = "vigil plan"
	}
	env, err := p.env(prm.Env)
	if err != nil {
		return nil, err
	}
	stacks, err := p.selectStacks(env.Name, prm.Stacks)
	if err != nil {
		return nil, err
	}
	runID := NewRunID(p.p.Now())
	release, err := p.lockEnv(ctx, env.Name, runID, prm.Command)
	if err != nil {
		return nil, err
	}
	defer release()
	tgt, err := p.Target(ctx, env.Name)
	if err != nil {
		return nil, err
	}
	src, err := readSource(ctx, p.cfg.Root, stacks)
	if err != nil {
		return nil, err
	}
	run := store.Run{ID: runID, Env: env.Name, Kind: prm.kind, Status: store.RunRunning, Target: tgt.Kind,
		Commit: src.String(), Author: p.p.Identity.User, Host: p.p.Identity.Host, PID: p.p.Identity.PID, Wave: 1}
	if prm.parent != nil {
		run.Parent, run.Wave = prm.parent.ID, prm.parent.Wave+1
	}
	ids := make([]string, len(stacks))
	for i, s := range stacks {
		ids[i] = s.ID()
	}
	if _, err := p.st.RunInsert(ctx, &store.RunInsertParams{Run: run,
		Audit: p.event(ActionPlan, "started", map[string]any{"stacks": ids, "kind": prm.kind, "parent": run.Parent})}); err != nil {
		return nil, err
	}
	res, err := p.planRun(ctx, &run, env, tgt, src, stacks)
	if err != nil {
		// The run could not finish: record why (masked) and pass it on.
		msg := review.MaskText(err.Error())
		if errors.Is(err, context.Canceled) {
			msg = "cancelled"
		}
		_, _ = p.st.RunUpdate(context.WithoutCancel(ctx), &store.RunUpdateParams{ID: run.ID, Status: store.RunFailed, Message: &msg,
			Audit: p.event(ActionPlan, store.RunFailed, map[string]any{"error": msg})})
		return nil, err
	}
	return res, nil
}

// selectStacks returns env's stacks in graph order, limited to names.
func (p *Pipeline) selectStacks(env string, names []string) ([]*stack.Stack, error) {
	all := p.graph.Env(env)
	if len(all) == 0 {
		return nil, fmt.Errorf("environment %s has no stacks under %s/%s/", env, p.cfg.StacksRoot, env)
	}
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		id := n
		if !strings.Contains(n, "/") {
			id = env + "/" + n
		}
		if _, ok := p.graph.Stack(id); !ok || !strings.HasPrefix(id, env+"/") {
			var known []string
			for _, s := range all {
				known = append(known, s.ID())
			}
			return nil, fmt.Errorf("--stack %q: no such stack in environment %s (stacks: %s)", n, env, strings.Join(known, ", "))
		}
		want[id] = true
	}
	var out []*stack.Stack
	for _, s := range all {
		if want[s.ID()] {
			out = append(out, s)
		}
	}
	return out, nil
}

func (p *Pipeline) planRun(ctx context.Context, run *store.Run, env config.Environment, tgt *target.Target, src Source, stacks []*stack.Stack) (*PlanResult, error) {
	if p.tc == nil {
		return nil, errors.New("pipeline: no terraform toolchain")
	}
	// Gate 1: syntax and formatting fail fast, before any plan.
	if err := p.fmtGate(ctx, stacks); err != nil {
		return p.finishFailed(ctx, run, src, stacks, err.Error())
	}
	dirs := make([]string, len(stacks))
	for i, s := range stacks {
		dirs[i] = s.Dir
	}
	if err := p.tc.Prepare(ctx, dirs); err != nil {
		return nil, err
	}
	pool := p.tc.NewProviderPool() // for show -json, which only reads schemas
	defer pool.Close()

	// Every stack is planned at once (bounded), dependents speculatively
	// against their upstream's current state; the outcome of a dependent is
	// only known once its upstreams' are, so its progress event waits.
	selected := map[string]bool{}
	for _, s := range stacks {
		selected[s.ID()] = true
	}
	dependent := func(s *stack.Stack) bool {
		return slices.ContainsFunc(s.DependsOn, func(d string) bool { return selected[d] })
	}
	results := make([]*stackPlan, len(stacks))
	took := make([]time.Duration, len(stacks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.p.Parallelism)
	for i, s := range stacks {
		g.Go(func() error {
			start := time.Now()
			p.emit(Event{RunID: run.ID, Stack: s.ID(), Phase: "plan"})
			sp := p.planStack(gctx, run.ID, tgt, env, s, pool)
			results[i], took[i] = sp, time.Since(start)
			if !dependent(s) {
				p.emit(Event{RunID: run.ID, Stack: s.ID(), Phase: "plan", Done: true, Status: sp.status, Note: sp.note, Duration: took[i]})
			}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Waves: a stack waits while anything it depends on (in this plan) has
	// changes, waits, or failed.
	byID := map[string]*stackPlan{}
	for _, sp := range results {
		byID[sp.s.ID()] = sp
	}
	for _, sp := range results { // graph order
		var on []string
		for _, d := range sp.s.DependsOn {
			dp, ok := byID[d]
			if !ok {
				continue
			}
			switch dp.status {
			case review.StatusChanges:
				on = append(on, d)
			case review.StatusWaiting:
				on = append(on, d+" (itself waiting)")
			case review.StatusFailed:
				on = append(on, d+" (its plan failed)")
			}
		}
		if len(on) == 0 {
			continue
		}
		sp.status, sp.note, sp.summary, sp.changes = review.StatusWaiting, "waits on "+strings.Join(on, ", "), nil, false
		// A speculative plan made against the upstream's current state: not
		// what will be applied, so nothing of it is kept.
		_ = os.RemoveAll(p.stackDir(run.ID, sp.s))
		sp.planned = false
	}

	for i, sp := range results {
		if dependent(sp.s) {
			p.emit(Event{RunID: run.ID, Stack: sp.s.ID(), Phase: "plan", Done: true, Status: sp.status, Note: sp.note, Duration: took[i]})
		}
	}

	// Gate 2: policy, on the code and the masked plans.
	var policyNote *review.PolicyNote
	if p.p.Policy != nil {
		plans := map[string]string{}
		for _, sp := range results {
			if sp.status == review.StatusChanges {
				plans[sp.s.ID()] = filepath.Join(p.stackDir(run.ID, sp.s), PlanJSONName)
			}
		}
		pr, err := p.p.Policy.Scan(ctx, PolicyInput{Env: env.Name, Root: p.cfg.Root, Stacks: stacks, Plans: plans})
		if err != nil {
			return nil, err
		}
		policyNote = pr.Note()
	}
	return p.finishPlan(ctx, run, env, src, results, policyNote)
}

// fmtGate fails on files that do not parse or are not formatted. One
// `terraform fmt -check` process covers every stack and local module.
func (p *Pipeline) fmtGate(ctx context.Context, stacks []*stack.Stack) error {
	var problems, dirs []string
	seen := map[string]bool{}
	for _, s := range stacks {
		for _, dir := range append([]string{s.Dir}, moduleDirs(s)...) {
			if !seen[dir] {
				seen[dir] = true
				dirs = append(dirs, dir)
			}
		}
		for _, d := range s.Module.Diags {
			if d.Severity == hcl.DiagError {
				pos := ""
				if d.Subject != nil {
					pos = fmt.Sprintf("%s:%d: ", p.tc.Rel(d.Subject.Filename), d.Subject.Start.Line)
				}
				problems = append(problems, pos+d.Summary)
			}
		}
	}
	if len(problems) == 0 && len(dirs) > 0 {
		files, err := p.tc.Runner(dirs[0]).FmtCheck(ctx, dirs[1:]...)
		if err != nil {
			return err
		}
		for _, f := range files {
			problems = append(problems, p.tc.Rel(f)+": not formatted (run terraform fmt)")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the fmt/validate gate failed (run vigil check for detail):\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func moduleDirs(s *stack.Stack) []string {
	var out []string
	for _, m := range s.LocalModules {
		out = append(out, m.Dir)
	}
	return out
}

// planStack inits and plans one stack and saves its artefacts.
func (p *Pipeline) planStack(ctx context.Context, runID string, tgt *target.Target, env config.Environment, s *stack.Stack, pool *terraform.ProviderPool) *stackPlan {
	sp := &stackPlan{s: s}
	fail := func(err error, sec *review.Secrets) *stackPlan {
		sp.status, sp.note = review.StatusFailed, sec.Scrub(err.Error())
		var locked *terraform.StateLockedError
		if errors.As(err, &locked) {
			sp.note += fmt.Sprintf(" (vigil: when no run is active, release it with: vigil unlock %s)", s.ID())
		}
		if s.Layer == "remediation" || declaredVariables(s.Dir)["lambda_zip_path"] {
			if _, ok := p.p.Vars["lambda_zip_path"]; !ok && strings.Contains(err.Error(), "zip") {
				sp.note += " (vigil passes lambda_zip_path from $VIGIL_REMEDIATOR_ZIP or .vigil/build/remediator.zip; neither is set)"
			}
		}
		return sp
	}
	dir := p.stackDir(runID, s)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err, nil)
	}
	r := p.runner(tgt, s)
	if err := p.initStack(ctx, r, s, env); err != nil {
		if msg := err.Error(); strings.Contains(msg, "NoSuchBucket") || strings.Contains(msg, "bucket does not exist") {
			err = fmt.Errorf("%w (has the environment been bootstrapped? vigil bootstrap --env %s)", err, s.Env)
		}
		return fail(err, nil)
	}
	planPath := filepath.Join(dir, PlanFileName)
	var out bytes.Buffer
	providers := r.StartProviders(ctx) // launched once, not once per plan phase
	opts := append([]terraform.PlanOption{terraform.LockTimeout(0), terraform.Log(&out), terraform.Attach(providers)}, p.planVars(s)...)
	changes, err := r.Plan(ctx, planPath, opts...)
	providers.Close()
	if err != nil {
		_ = writeLog(filepath.Join(dir, PlanLogName), out.Bytes(), nil)
		_ = os.Remove(planPath)
		return fail(err, nil)
	}
	_ = os.Chmod(planPath, 0o600)
	sp.planned = true
	sec := &review.Secrets{}
	summary := &review.StackSummary{Stack: s.ID(), Changes: []review.Change{}}
	if changes {
		raw, err := r.ShowPlanJSON(ctx, planPath, pool)
		if err != nil {
			return fail(err, nil)
		}
		masked, found, err := review.Mask(raw)
		clear(raw)
		if err != nil {
			return fail(err, nil)
		}
		sec = found
		if err := writeFile(filepath.Join(dir, PlanJSONName), masked, 0o600); err != nil {
			return fail(err, sec)
		}
		if summary, err = review.Summarize(s.ID(), masked); err != nil {
			return fail(err, sec)
		}
	}
	p.rememberSecrets(runID, s.ID(), sec)
	_ = writeLog(filepath.Join(dir, PlanLogName), out.Bytes(), sec)
	sb, _ := json.MarshalIndent(summary, "", "  ")
	if err := writeFile(filepath.Join(dir, SummaryFileName), sb, 0o600); err != nil {
		return fail(err, sec)
	}
	sp.summary = summary
	sp.changes = summary.HasChanges()
	sp.status = review.StatusNoChanges
	if sp.changes {
		sp.status = review.StatusChanges
	}

	// What the approval binds for this stack.
	if sp.binding.PlanSHA256, err = fileSHA256(planPath); err != nil {
		return fail(err, sec)
	}
	meta, err := terraform.PlanStateMeta(planPath)
	if err != nil {
		if meta, err = r.StatePull(ctx); err != nil {
			return fail(err, sec)
		}
	}
	sp.binding.State = meta
	if sp.binding.LockFile, err = lockFileHash(s.Dir); err != nil {
		return fail(err, sec)
	}
	sp.binding.Changes = sp.changes
	sp.binding.Fingerprint = review.Fingerprint([]*review.StackSummary{summary})
	return sp
}

// finishFailed records a run that failed before planning.
func (p *Pipeline) finishFailed(ctx context.Context, run *store.Run, src Source, stacks []*stack.Stack, msg string) (*PlanResult, error) {
	results := make([]*stackPlan, len(stacks))
	for i, s := range stacks {
		results[i] = &stackPlan{s: s, status: review.StatusFailed, note: "not planned: a gate failed"}
	}
	e, _ := p.env(run.Env)
	run.Message = msg
	return p.finishPlan(ctx, run, e, src, results, nil)
}

// finishPlan records the stacks and the run's outcome.
func (p *Pipeline) finishPlan(ctx context.Context, run *store.Run, env config.Environment, src Source, results []*stackPlan, policy *review.PolicyNote) (*PlanResult, error) {
	bindings := map[string]StackBinding{}
	var summaries []*review.StackSummary
	var totals review.Counts
	failed, changes := 0, false
	for _, sp := range results {
		rs := store.RunStack{RunID: run.ID, Stack: sp.s.ID(), Status: sp.status, Message: sp.note}
		if sp.summary != nil {
			rs.Summary, _ = json.Marshal(sp.summary)
		}
		if sp.status == review.StatusChanges || sp.status == review.StatusNoChanges {
			bindings[sp.s.ID()] = sp.binding
			rs.PlanSHA256 = sp.binding.PlanSHA256
			rs.Binding, _ = json.Marshal(sp.binding)
			summaries = append(summaries, sp.summary)
			c := sp.summary.Counts
			totals.Add += c.Add
			totals.Change += c.Change
			totals.Destroy += c.Destroy
			totals.Replace += c.Replace
		}
		if sp.status == review.StatusFailed {
			failed++
		}
		if sp.changes {
			changes = true
		}
		if _, err := p.st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: rs}); err != nil {
			return nil, err
		}
	}
	sum := runSummary{Source: src, Policy: policy, Totals: totals}
	sb, _ := json.Marshal(sum)
	fp := review.Fingerprint(summaries)
	binding := bindingHash(run.Env, src, policyDigest(policy), bindings)
	status := store.RunNoChanges
	msg := run.Message
	switch {
	case failed > 0:
		status = store.RunFailed
		if msg == "" {
			msg = fmt.Sprintf("%d stack(s) failed to plan", failed)
		}
	case policy != nil && !policy.Passed:
		status = store.RunFailed
		msg = "the policy gate failed: " + policy.Summary
	case changes:
		status = store.RunPlanned
	}
	updated, err := p.st.RunUpdate(ctx, &store.RunUpdateParams{ID: run.ID, Status: status, Fingerprint: &fp, Binding: &binding, Summary: sb, Message: &msg,
		Audit: p.event(ActionPlan, status, map[string]any{"fingerprint": fp, "binding": binding, "totals": totals})})
	if err != nil {
		return nil, err
	}
	rep, err := p.Report(ctx, updated.ID)
	if err != nil {
		return nil, err
	}
	return &PlanResult{Run: updated, Report: rep}, nil
}

// nextStep says what to do after a run, as a command line.
func nextStep(r *store.Run, env config.Environment, approved bool) string {
	switch r.Status {
	case store.RunPlanned:
		if env.Approval && !approved {
			return fmt.Sprintf("vigil approve %s --by NAME, then vigil apply %s", r.ID, r.ID)
		}
		return "vigil apply " + r.ID
	case store.RunFailed:
		return fmt.Sprintf("fix what failed, then vigil plan --env %s", r.Env)
	case store.RunRefused, store.RunInterrupted:
		return fmt.Sprintf("vigil plan --env %s (a new plan)", r.Env)
	}
	return ""
}

// stackOrder sorts stack records in the graph's order.
func (p *Pipeline) stackOrder(recs []*store.RunStack) {
	pos := map[string]int{}
	for i, s := range p.graph.Stacks() {
		pos[s.ID()] = i
	}
	slices.SortStableFunc(recs, func(a, b *store.RunStack) int { return pos[a.Stack] - pos[b.Stack] })
}
