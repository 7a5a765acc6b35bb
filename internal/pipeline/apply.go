package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// ApplyParams configure Apply.
type ApplyParams struct {
	RunID string
	// NoContinue stops after this run's stacks; waiting stacks are left for
	// a later plan. By default Apply plans the next wave and, where the
	// environment needs no approval, applies it, until every stack is done.
	NoContinue bool
	// Command is recorded as the environment lock's holder.
	Command string
}

// ApplyResult is what an apply did.
type ApplyResult struct {
	// Runs are the applied runs: the one asked for, then each next wave.
	Runs []*store.Run
	// Reports are their reviews, in the same order.
	Reports []*review.Report
	// Pending is a next wave's run that was planned but needs an approval
	// (or failed to plan); nil when everything was applied.
	Pending *PlanResult
}

// Apply applies exactly the plans of a run (M10, B6). It refuses, naming
// what broke, when the environment needs an approval the run lacks, or
// when anything the run bound changed since the plan: a plan file's hash,
// a stack's state lineage or serial (including "no state yet" then a state
// now, terraform issue 27721), the commit or the stacks' sources, a lock
// file, the policy verdict, the stored records, or the live resources (a
// fresh plan of each stack with changes must have the same fingerprint,
// which catches changes made out of band). Then it applies the stacks with
// changes wave by wave, independent ones in parallel, each with
// `terraform apply <planfile>` under Terraform's state lock.
func (p *Pipeline) Apply(ctx context.Context, prm ApplyParams) (*ApplyResult, error) {
	if prm.Command == "" {
		prm.Command = "vigil apply"
	}
	r, err := p.st.RunGet(ctx, prm.RunID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no run %s: list runs with vigil runs", prm.RunID)
		}
		return nil, err
	}
	release, err := p.lockEnv(ctx, r.Env, r.ID, prm.Command)
	if err != nil {
		return nil, err
	}
	defer release()
	return p.applyChain(ctx, r.ID, prm, applyMode{})
}

type applyMode struct {
	// fresh: planned by this process moments ago; the live-resources
	// re-check is skipped.
	fresh bool
	// approvedVia names an approved run with the same fingerprint (the
	// --replan --expect path), standing in for this run's own approval.
	approvedVia string
}

// applyChain applies a run and then the next waves.
func (p *Pipeline) applyChain(ctx context.Context, runID string, prm ApplyParams, mode applyMode) (*ApplyResult, error) {
	res := &ApplyResult{}
	for {
		r, err := p.applyOne(ctx, runID, mode)
		if r != nil {
			res.Runs = append(res.Runs, r)
			if rep, rerr := p.Report(ctx, r.ID); rerr == nil {
				res.Reports = append(res.Reports, rep)
			}
		}
		if err != nil {
			return res, err
		}
		if prm.NoContinue {
			return res, nil
		}
		waiting, err := p.waitingStacks(ctx, r.ID)
		if err != nil || len(waiting) == 0 {
			return res, err
		}
		next, err := p.Plan(ctx, PlanParams{Env: r.Env, Stacks: waiting, Command: prm.Command, kind: KindPlan, parent: r})
		if err != nil {
			return res, err
		}
		env, _ := p.env(r.Env)
		switch {
		case next.Run.Status == store.RunNoChanges:
			res.Runs = append(res.Runs, next.Run)
			res.Reports = append(res.Reports, next.Report)
			return res, nil
		case next.Run.Status != store.RunPlanned || env.Approval:
			res.Pending = next
			return res, nil
		}
		runID, mode = next.Run.ID, applyMode{fresh: true}
	}
}

func (p *Pipeline) waitingStacks(ctx context.Context, runID string) ([]string, error) {
	recs, err := p.st.RunStackList(ctx, runID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rs := range recs {
		if rs.Status == review.StatusWaiting {
			out = append(out, rs.Stack)
		}
	}
	return out, nil
}

// applyOne checks and applies one run; the environment lock is held.
func (p *Pipeline) applyOne(ctx context.Context, runID string, mode applyMode) (*store.Run, error) {
	r, err := p.st.RunGet(ctx, runID) // again: it may have changed while we waited for the lock
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case store.RunPlanned:
	case store.RunNoChanges:
		return r, nil // nothing to apply
	case store.RunApplied:
		return r, &RefusedError{RunID: r.ID, Reason: "it was already applied; plan again for new changes"}
	default:
		reason := fmt.Sprintf("it is %s", r.Status)
		if r.Message != "" {
			reason += " (" + r.Message + ")"
		}
		return r, &RefusedError{RunID: r.ID, Reason: reason + "; only a planned run can be applied: plan again"}
	}
	env, err := p.env(r.Env)
	if err != nil {
		return r, err
	}
	recs, err := p.st.RunStackList(ctx, r.ID)
	if err != nil {
		return r, err
	}
	p.stackOrder(recs)

	// The approval, bound to this exact run.
	if env.Approval && mode.approvedVia == "" {
		approvals, err := p.st.ApprovalListByRun(ctx, r.ID)
		if err != nil {
			return r, err
		}
		ok := slices.ContainsFunc(approvals, func(a *store.Approval) bool { return a.Binding == r.Binding && r.Binding != "" })
		if !ok {
			aerr := &ApprovalError{RunID: r.ID, Env: r.Env, Stale: len(approvals) > 0}
			_, _ = p.st.AuditAppend(ctx, &store.AuditAppendParams{Event: *p.withRun(p.event(ActionRefuse, "approval missing", map[string]any{"reason": aerr.Error()}), r.ID)})
			return r, aerr
		}
	}

	tgt, err := p.Target(ctx, r.Env)
	if err != nil {
		return r, err
	}
	broken, secrets, err := p.checkBinding(ctx, r, recs, env, tgt, mode)
	if err != nil {
		return r, err
	}
	if len(broken) > 0 {
		berr := &BindingError{RunID: r.ID, Broken: broken}
		msg := berr.Error()
		updated, uerr := p.st.RunUpdate(ctx, &store.RunUpdateParams{ID: r.ID, Status: store.RunRefused, Message: &msg,
			Audit: p.event(ActionRefuse, "binding broken", map[string]any{"broken": broken})})
		if uerr == nil {
			r = updated
		}
		return r, berr
	}

	detail := map[string]any{"binding": r.Binding}
	if mode.approvedVia != "" {
		detail["approved_via"] = mode.approvedVia
	}
	r, err = p.st.RunUpdate(ctx, &store.RunUpdateParams{ID: r.ID, Status: store.RunApplying, Audit: p.event(ActionApply, "started", detail)})
	if err != nil {
		return r, err
	}
	failed, err := p.applyStacks(ctx, r, recs, env, tgt, secrets)
	status, msg := store.RunApplied, ""
	if err != nil || failed > 0 {
		status = store.RunFailed
		msg = fmt.Sprintf("%d stack(s) failed to apply; see vigil show %s", failed, r.ID)
		if err != nil {
			msg = review.MaskText(err.Error())
		}
	}
	updated, uerr := p.st.RunUpdate(context.WithoutCancel(ctx), &store.RunUpdateParams{ID: r.ID, Status: status, Message: &msg,
		Audit: p.event(ActionApply, status, nil)})
	if uerr != nil {
		return r, uerr
	}
	if err != nil {
		return updated, err
	}
	if failed > 0 {
		return updated, fmt.Errorf("apply of run %s: %s", r.ID, msg)
	}
	return updated, nil
}

func (p *Pipeline) withRun(e *store.AuditEvent, runID string) *store.AuditEvent {
	e.RunID = runID
	return e
}

// checkBinding re-checks every element the run bound and returns what
// broke; it also returns the secrets of the re-check plans, to scrub the
// apply's output with.
func (p *Pipeline) checkBinding(ctx context.Context, r *store.Run, recs []*store.RunStack, env config.Environment, tgt *target.Target, mode applyMode) ([]Broken, map[string]*review.Secrets, error) {
	var broken []Broken
	add := func(stack, element, format string, args ...any) {
		broken = append(broken, Broken{Stack: stack, Element: element, Detail: fmt.Sprintf(format, args...)})
	}
	secrets := map[string]*review.Secrets{}

	// The records themselves: the stored binding must still describe them.
	want, bindings, src, err := runBinding(r, recs)
	if err != nil {
		return nil, nil, err
	}
	if want != r.Binding {
		add("", ElementRecords, "the run's stored stack records no longer match the binding recorded when it was planned (they were edited); vigil audit verify names the record")
	}
	var sum runSummary
	_ = json.Unmarshal(r.Summary, &sum)
	if sum.Policy != nil && !sum.Policy.Passed {
		add("", ElementPolicy, "the policy gate failed at plan time: %s", sum.Policy.Summary)
	}

	var stacks, all []*stack.Stack // planned stacks; every stack of the run
	for _, rs := range recs {
		s, ok := p.graph.Stack(rs.Stack)
		if !ok {
			add(rs.Stack, ElementSources, "the stack no longer exists in the repository")
			continue
		}
		all = append(all, s)
		if _, ok := bindings[rs.Stack]; ok {
			stacks = append(stacks, s)
		}
	}
	// The code.
	now, err := readSource(ctx, p.cfg.Root, all)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case now.Commit != src.Commit:
		add("", ElementCommit, "planned at commit %s, the repository is now at %s", orNone(src.Commit), orNone(now.Commit))
	case now.Sources != src.Sources:
		add("", ElementSources, "the stacks' files (or the modules they call) changed since the plan")
	}

	// Per stack: plan file, lock file, state.
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.p.Parallelism)
	for _, s := range stacks {
		b := bindings[s.ID()]
		g.Go(func() error {
			dir := p.stackDir(r.ID, s)
			planPath := filepath.Join(dir, PlanFileName)
			local := []Broken{}
			h, err := fileSHA256(planPath)
			switch {
			case err != nil:
				return err
			case h == "":
				local = append(local, Broken{s.ID(), ElementPlanFile, "the plan file " + p.tc.Rel(planPath) + " is missing"})
			case h != b.PlanSHA256:
				local = append(local, Broken{s.ID(), ElementPlanFile, fmt.Sprintf("the plan file changed since it was planned (SHA-256 was %s, is %s)", short(b.PlanSHA256), short(h))})
			}
			lh, err := lockFileHash(s.Dir)
			if err != nil {
				return err
			}
			if lh != b.LockFile {
				local = append(local, Broken{s.ID(), ElementLockFile, fmt.Sprintf("%s changed since the plan (%s, now %s)", terraform.LockFileName, short(b.LockFile), short(lh))})
			}
			rn := p.runner(tgt, s)
			start := time.Now()
			p.emit(Event{RunID: r.ID, Stack: s.ID(), Phase: "check"})
			if err := p.initStack(gctx, rn, s, env); err != nil {
				return err
			}
			meta, err := rn.StatePull(gctx)
			if err != nil {
				return err
			}
			if meta != b.State {
				d := fmt.Sprintf("the state moved since the plan: planned against %s, now %s", b.State, meta)
				if !b.State.Exists && meta.Exists {
					d += " (the plan was made before any state existed and another run has created it since: terraform issue 27721)"
				}
				local = append(local, Broken{s.ID(), ElementState, d})
			}
			// The live resources: a fresh plan must bring the same changes.
			if len(local) == 0 && b.Changes && !mode.fresh {
				fp, sec, err := p.recheck(gctx, rn, s, dir)
				if err != nil {
					local = append(local, Broken{s.ID(), ElementResources, "could not re-plan to compare: " + review.MaskText(err.Error())})
				} else {
					mu.Lock()
					secrets[s.ID()] = sec
					mu.Unlock()
					if fp != b.Fingerprint {
						local = append(local, Broken{s.ID(), ElementResources, "a fresh plan brings different changes than the reviewed one (resources changed out of band since the plan?): vigil plan again to see them"})
					}
				}
			}
			p.emit(Event{RunID: r.ID, Stack: s.ID(), Phase: "check", Done: true, Status: map[bool]string{true: "ok", false: "broken"}[len(local) == 0], Duration: time.Since(start)})
			mu.Lock()
			broken = append(broken, local...)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	slices.SortStableFunc(broken, func(a, b Broken) int { return strings.Compare(a.Stack, b.Stack) })
	return broken, secrets, nil
}

// recheck plans a stack again into a scratch file and returns its
// fingerprint and secrets; the scratch files are removed.
func (p *Pipeline) recheck(ctx context.Context, r *terraform.Runner, s *stack.Stack, dir string) (string, *review.Secrets, error) {
	path := filepath.Join(dir, "recheck.tfplan")
	defer os.Remove(path)
	providers := r.StartProviders(ctx)
	opts := append([]terraform.PlanOption{terraform.LockTimeout(0), terraform.Attach(providers)}, p.planVars(s)...)
	changes, err := r.Plan(ctx, path, opts...)
	providers.Close()
	if err != nil {
		return "", nil, err
	}
	summary := &review.StackSummary{Stack: s.ID(), Changes: []review.Change{}}
	sec := &review.Secrets{}
	if changes {
		raw, err := r.ShowPlanJSON(ctx, path, nil)
		if err != nil {
			return "", nil, err
		}
		masked, found, err := review.Mask(raw)
		clear(raw)
		if err != nil {
			return "", nil, err
		}
		sec = found
		if summary, err = review.Summarize(s.ID(), masked); err != nil {
			return "", nil, err
		}
	}
	return review.Fingerprint([]*review.StackSummary{summary}), sec, nil
}

// applyStacks applies the stacks with changes, wave by wave. It returns
// how many failed.
func (p *Pipeline) applyStacks(ctx context.Context, r *store.Run, recs []*store.RunStack, env config.Environment, tgt *target.Target, secrets map[string]*review.Secrets) (int, error) {
	byID := map[string]*store.RunStack{}
	var todo []*stack.Stack
	for _, rs := range recs {
		byID[rs.Stack] = rs
		if rs.Status != review.StatusChanges {
			continue
		}
		if s, ok := p.graph.Stack(rs.Stack); ok {
			todo = append(todo, s)
		}
	}
	failed := 0
	for _, wave := range p.graph.Waves(todo) {
		if failed > 0 {
			for _, s := range wave {
				rs := *byID[s.ID()]
				rs.Status, rs.Message = review.StatusSkipped, "not applied: an earlier stack failed"
				if _, err := p.st.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: rs}); err != nil {
					return failed, err
				}
			}
			continue
		}
		var mu sync.Mutex
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(p.p.Parallelism)
		for _, s := range wave {
			g.Go(func() error {
				start := time.Now()
				p.emit(Event{RunID: r.ID, Stack: s.ID(), Phase: "apply"})
				sec := &review.Secrets{}
				sec.Merge(p.secretsFor(r.ID, s.ID()))
				sec.Merge(secrets[s.ID()])
				err := p.applyStack(gctx, r.ID, tgt, env, s, sec)
				rs := *byID[s.ID()]
				rs.Status, rs.Message = review.StatusApplied, ""
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return err
					}
					rs.Status, rs.Message = review.StatusFailed, sec.Scrub(err.Error())
					mu.Lock()
					failed++
					mu.Unlock()
				}
				if _, uerr := p.st.RunStackUpsert(context.WithoutCancel(ctx), &store.RunStackUpsertParams{Stack: rs}); uerr != nil {
					return uerr
				}
				p.emit(Event{RunID: r.ID, Stack: s.ID(), Phase: "apply", Done: true, Status: rs.Status, Note: rs.Message, Duration: time.Since(start)})
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

func (p *Pipeline) applyStack(ctx context.Context, runID string, tgt *target.Target, env config.Environment, s *stack.Stack, sec *review.Secrets) error {
	dir := p.stackDir(runID, s)
	r := p.runner(tgt, s)
	if err := p.initStack(ctx, r, s, env); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(dir, ApplyLogName), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	w := newScrubWriter(logf, sec)
	err = r.Apply(ctx, filepath.Join(dir, PlanFileName), terraform.LockTimeout(0), terraform.Log(w))
	_ = w.Flush()
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(not a git repository)"
	}
	return s
}

func short(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
