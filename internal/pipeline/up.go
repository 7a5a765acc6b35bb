package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/target"
)

// UpParams configure Up.
type UpParams struct {
	Env string
	// Yes is passed to Bootstrap (environments that need approval).
	Yes bool
	// SkipCheck skips the fmt/validate gate (Check); plan still fails on
	// files that do not parse or are not formatted.
	SkipCheck bool
}

// UpResult says what Up did.
type UpResult struct {
	Target    *target.Target
	Bootstrap *BootstrapResult
	Check     *CheckReport
	// Plan is the first plan; Apply what applying it (wave by wave) did.
	Plan  *PlanResult
	Apply *ApplyResult
	// NoChanges: every stack was already up to date.
	NoChanges bool
	// Pending is a run that awaits an approval (or failed to plan).
	Pending *PlanResult
}

// ErrGate is wrapped when a gate stops Up.
var ErrGate = errors.New("gate failed")

// Up brings an environment up from nothing, in one step: resolve its
// target (starting the sandbox in this process when it is the target and
// none runs), bootstrap its remote state, run the fmt/validate gate, plan,
// then (where the environment needs no approval) apply every wave until
// all stacks are applied. On an environment that needs approval it stops
// after the plan, with the run to approve in Pending. A second Up finds no
// changes and says so. The environment lock is held throughout.
func (p *Pipeline) Up(ctx context.Context, prm UpParams) (*UpResult, error) {
	env, err := p.env(prm.Env)
	if err != nil {
		return nil, err
	}
	release, err := p.lockEnv(ctx, env.Name, "", "vigil up")
	if err != nil {
		return nil, err
	}
	defer release()
	res := &UpResult{}
	if res.Target, err = p.Target(ctx, env.Name); err != nil {
		return res, err
	}
	if res.Bootstrap, err = p.Bootstrap(ctx, BootstrapParams{Env: env.Name, Yes: prm.Yes, Command: "vigil up"}); err != nil {
		return res, fmt.Errorf("bootstrap %s: %w", env.Name, err)
	}
	if res.Bootstrap.NeedsConfirmation {
		return res, fmt.Errorf("bootstrap of %s has changes and %s needs approval: review them (vigil show %s), then run vigil up --yes", env.Name, env.Name, res.Bootstrap.Run.ID)
	}
	stacks, err := p.selectStacks(env.Name, nil)
	if err != nil {
		return res, err
	}
	if !prm.SkipCheck {
		rep, err := Check(ctx, CheckParams{Root: p.cfg.Root, Stacks: stacks, Terraform: p.tc, Parallelism: p.p.Parallelism,
			Progress: func(ev CheckEvent) {
				if ev.Done {
					p.emit(Event{Stack: ev.Stack.ID(), Phase: "check", Done: true, Status: map[bool]string{true: "ok", false: "findings"}[ev.Result.OK()], Duration: ev.Result.Duration})
				}
			}})
		if err != nil {
			return res, err
		}
		res.Check = rep
		if !rep.OK() {
			return res, fmt.Errorf("%w: %d stack(s) have fmt/validate findings (vigil check shows them)", ErrGate, rep.Failed())
		}
	}
	if res.Plan, err = p.Plan(ctx, PlanParams{Env: env.Name, Command: "vigil up"}); err != nil {
		return res, err
	}
	switch res.Plan.Run.Status {
	case store.RunNoChanges:
		res.NoChanges = true
		return res, nil
	case store.RunPlanned:
	default:
		res.Pending = res.Plan
		return res, fmt.Errorf("%w: the plan of %s %s: %s (vigil show %s)", ErrGate, env.Name, res.Plan.Run.Status, res.Plan.Run.Message, res.Plan.Run.ID)
	}
	if env.Approval {
		res.Pending = res.Plan
		return res, nil
	}
	res.Apply, err = p.applyChain(ctx, res.Plan.Run.ID, ApplyParams{Command: "vigil up"}, applyMode{fresh: true})
	if err != nil {
		return res, err
	}
	res.Pending = res.Apply.Pending
	if res.Pending != nil && res.Pending.Run.Status == store.RunFailed {
		return res, fmt.Errorf("the next wave of %s failed to plan: %s (vigil show %s)", env.Name, res.Pending.Run.Message, res.Pending.Run.ID)
	}
	return res, nil
}

// Reports are every review Up produced, in order.
func (r *UpResult) Reports() []*review.Report {
	var out []*review.Report
	if r.Bootstrap != nil && r.Bootstrap.Report != nil {
		out = append(out, r.Bootstrap.Report)
	}
	if r.Apply != nil {
		out = append(out, r.Apply.Reports...)
	} else if r.Plan != nil {
		out = append(out, r.Plan.Report)
	}
	if r.Pending != nil && (r.Plan == nil || r.Pending.Run.ID != r.Plan.Run.ID) {
		out = append(out, r.Pending.Report)
	}
	return out
}
