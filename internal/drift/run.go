package drift

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// checker runs the stacks of one Check.
type checker struct {
	p    Params
	env  config.Environment
	tgt  *target.Target
	tmp  string
	pool *terraform.ProviderPool
}

// stack checks one stack. The managed set is nil when the stack failed.
func (c *checker) stack(ctx context.Context, s *stack.Stack) (*StackReport, *managed) {
	sr := &StackReport{Stack: s.ID(), Path: s.Path, Drift: []Finding{}, Pending: []Finding{}}
	fail := func(err error) (*StackReport, *managed) {
		sr.Status, sr.Error = StatusError, review.MaskText(err.Error())
		return sr, nil
	}
	r := c.p.Terraform.Runner(s.Dir).
		WithDataDir(filepath.Join(c.p.Config.StateDir(), DataDirName, filepath.FromSlash(s.Path))).
		WithEnv(c.tgt.Env).
		WithGCPercent(0) // a sweep is many plans: less GC, more memory
	// Like the pipeline's init: reused while nothing changed. (Not
	// LockfileReadonly when a lock file exists: the flag would change the
	// reuse stamp the first time init writes one.)
	opts := []terraform.InitOption{terraform.Reuse(true)}
	if c.p.InitOptions != nil {
		opts = append(opts, c.p.InitOptions(s)...)
	}
	if err := r.Init(ctx, opts...); err != nil {
		return fail(err)
	}
	planFile := filepath.Join(c.tmp, filepath.FromSlash(s.Path), "drift.tfplan")
	if err := os.MkdirAll(filepath.Dir(planFile), 0o700); err != nil {
		return fail(err)
	}
	defer os.Remove(planFile)
	changes, err := c.plan(ctx, r, s, planFile)
	if err != nil {
		return fail(err)
	}

	// The managed resources, for the unmanaged check: from the two states
	// inside the plan file when it can be read that way.
	m := newManaged()
	states, serr := readPlanStates(planFile)
	if serr == nil {
		if err := m.addState(states.prior); err != nil {
			serr = err
		} else if err := m.addState(states.prev); err != nil {
			serr = err
		}
		clear(states.prev)
		clear(states.prior)
	}
	sr.Status = StatusClean
	if !changes && serr == nil {
		return sr, m // no change planned: nothing drifted that the code manages
	}
	raw, err := r.ShowPlanJSON(ctx, planFile, c.pool)
	if err != nil {
		return fail(err)
	}
	masked, _, err := review.Mask(raw)
	clear(raw) // unmasked values (secrets) go no further
	if err != nil {
		return fail(fmt.Errorf("%s: %w", s.Path, err))
	}
	p, err := ParsePlan(masked)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", s.Path, err))
	}
	if serr != nil {
		m.addPlan(p)
	}
	drift, pending := Classify(p)
	rules := c.p.Config.Drift.For(s.Env, s.Layer).Ignore
	applyIgnores(drift, rules)
	applyIgnores(pending, rules)
	sr.Drift = finish(drift, s.Env, s.ID())
	sr.Pending = finish(pending, s.Env, s.ID())
	for _, f := range sr.Drift {
		if f.IsDrift() {
			sr.Status = StatusDrifted
		}
	}
	return sr, m
}

// plan runs `terraform plan -lock=false -detailed-exitcode -out=planFile`
// and reports whether the plan has changes. The plan attaches to provider
// plugins started for it alone (terraform would otherwise launch each one
// three times: for its schema, to validate, to plan), which serve this one
// plan and are stopped before plan returns.
func (c *checker) plan(ctx context.Context, r *terraform.Runner, s *stack.Stack, planFile string) (bool, error) {
	opts := []terraform.PlanOption{terraform.Lock(false)}
	declared := declaredVariables(s.Dir)
	var names []string
	for k := range c.p.Vars {
		if declared[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		opts = append(opts, terraform.Var(k, c.p.Vars[k]))
	}
	ps := r.StartProviders(ctx)
	defer ps.Close()
	if c.p.providersStarted != nil {
		c.p.providersStarted(s.ID(), ps.PIDs())
	}
	opts = append(opts, terraform.Attach(ps))
	return r.Plan(ctx, planFile, opts...)
}

// declaredVariables are the variable names a stack's root module declares
// (the pipeline has the same helper, unexported).
func declaredVariables(dir string) map[string]bool {
	out := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	p := hclparse.NewParser()
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".tf" {
			continue
		}
		f, diags := p.ParseHCLFile(filepath.Join(dir, e.Name()))
		if diags.HasErrors() || f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type == "variable" && len(b.Labels) == 1 {
				out[b.Labels[0]] = true
			}
		}
	}
	return out
}
