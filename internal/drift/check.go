package drift

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// Params configure Check.
type Params struct {
	Config *config.Config
	Graph  *stack.Graph
	// Env is the environment to check.
	Env string
	// Stacks limits the check to some stacks of Env: ids ("dev/workload")
	// or layer names ("workload"). Empty: every stack. With a limit the
	// unmanaged check is skipped: it needs every stack's state.
	Stacks    []string
	Terraform *terraform.Toolchain
	// Target is where Env lives, already resolved (vigil serve keeps one).
	// Nil: Check resolves it with target.Resolve and closes it when done.
	Target *target.Target
	// TargetOverride is --target, used when Check resolves the target.
	TargetOverride string
	// Inventory lists the account's tagged resources for the unmanaged
	// check. Nil: an AWSInventory for the target.
	Inventory Inventory
	// InitOptions are extra `terraform init` options for a stack (the
	// pipeline's settings for a partial backend block). Nil: none.
	InitOptions func(s *stack.Stack) []terraform.InitOption
	// Vars are passed as -var NAME=VALUE to the stacks that declare NAME
	// (the same as the pipeline's, so the plan sees the same inputs).
	Vars map[string]string
	// Parallelism bounds the stacks checked at once (default: the number
	// of CPUs, at least 2).
	Parallelism int
	// Progress receives a start and an end event per stack; calls may
	// come from several goroutines, one at a time.
	Progress func(Event)
	// Now is the clock (default time.Now).
	Now func() time.Time

	// providersStarted, when set (tests, export_test.go), is called with
	// the pids of the provider plugins started for a stack's plan, before
	// the plan runs.
	providersStarted func(stack string, pids []int)
}

// Event is a stack starting (Done false) or finished (Done true, with its
// report).
type Event struct {
	Stack  string
	Done   bool
	Result *StackReport
}

// DataDirName is the folder under the repository's state dir (.vigil)
// that holds drift's own terraform data dirs, apart from the pipeline's
// and vigil check's, so a drift check never shares an init with a run.
const DataDirName = "tfdata-drift"

// Check runs one drift check of an environment (or some of its stacks).
//
// For each stack, in parallel: `terraform init` with the backend (reused
// when nothing changed), then one `terraform plan -lock=false
// -detailed-exitcode -out=…`, a normal plan (refresh on) that takes no
// state lock and so never waits for, nor blocks, a pipeline run. A plan
// without changes is a clean stack (its managed resources are read from
// the states inside the saved plan); a plan with changes is read with
// `terraform show -json`, masked (review.Mask) and classified (Classify).
// Meanwhile the account is listed for resources carrying the
// environment's tags; those no stack's state holds are unmanaged.
//
// Check fails only when it cannot run at all (unknown environment, no
// stacks, no target, providers unavailable). A stack that fails has its
// error in its StackReport; the other stacks' results stand.
func Check(ctx context.Context, p Params) (*Report, error) {
	if p.Config == nil || p.Graph == nil || p.Terraform == nil {
		return nil, errors.New("drift: Config, Graph and Terraform are required")
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	env, ok := p.Config.Environment(p.Env)
	if !ok {
		return nil, fmt.Errorf("unknown environment %q (declared: %s)", p.Env, strings.Join(p.Config.EnvironmentNames(), ", "))
	}
	stacks, err := selectStacks(p.Graph, p.Env, p.Stacks)
	if err != nil {
		return nil, err
	}
	start := now()
	tgt := p.Target
	if tgt == nil {
		if tgt, err = target.Resolve(ctx, p.Config, env, target.Options{Override: p.TargetOverride}); err != nil {
			return nil, err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_ = tgt.Close(cctx)
		}()
	}
	dirs := make([]string, len(stacks))
	for i, s := range stacks {
		dirs[i] = s.Dir
	}
	if err := p.Terraform.Prepare(ctx, dirs); err != nil {
		return nil, err
	}
	tmp := filepath.Join(p.Config.StateDir(), "drift")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	tmp, err = os.MkdirTemp(tmp, "check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	rep := &Report{Env: p.Env, StartedAt: start.UTC(), Stacks: make([]*StackReport, len(stacks))}
	envSettings := p.Config.Drift.For(p.Env, "")
	rep.Unmanaged.Tags = envSettings.Tags

	// The unmanaged check lists the account while the stacks plan.
	type listing struct {
		found []Resource
		err   error
	}
	var inv Inventory
	var listed chan listing
	switch {
	case !envSettings.Unmanaged:
		rep.Unmanaged.Skipped = "turned off in vigil.hcl (drift { unmanaged = false })"
	case len(p.Stacks) > 0:
		rep.Unmanaged.Skipped = "only some stacks were checked; listing unmanaged resources needs the state of every stack of the environment"
	default:
		inv = p.Inventory
		if inv == nil {
			cfg, err := AWSConfig(ctx, tgt)
			if err != nil {
				rep.Unmanaged.Errors = append(rep.Unmanaged.Errors, err.Error())
				break
			}
			inv = NewAWSInventory(cfg)
		}
		listed = make(chan listing, 1)
		go func() {
			found, err := inv.Tagged(ctx, envSettings.Tags)
			listed <- listing{found, err}
		}()
	}

	c := &checker{p: p, env: env, tgt: tgt, tmp: tmp, pool: p.Terraform.NewProviderPool()}
	defer c.pool.Close()
	par := p.Parallelism
	if par <= 0 {
		par = max(runtime.NumCPU(), 2)
	}
	owned := make([]*managed, len(stacks))
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	progress := func(ev Event) {
		if p.Progress != nil {
			progressMu.Lock()
			defer progressMu.Unlock()
			p.Progress(ev)
		}
	}
	sem := make(chan struct{}, par)
	for i, s := range stacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				rep.Stacks[i] = &StackReport{Stack: s.ID(), Path: s.Path, Status: StatusError, Error: ctx.Err().Error(), Drift: []Finding{}, Pending: []Finding{}}
				return
			}
			defer func() { <-sem }()
			progress(Event{Stack: s.ID()})
			t0 := now()
			sr, m := c.stack(ctx, s)
			sr.Duration = now().Sub(t0)
			rep.Stacks[i], owned[i] = sr, m
			progress(Event{Stack: s.ID(), Done: true, Result: sr})
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	if listed != nil {
		l := <-listed
		rep.Unmanaged.Kinds = inv.Kinds()
		var failed []string
		all := newManaged()
		for i, m := range owned {
			if m == nil {
				failed = append(failed, rep.Stacks[i].Stack)
				continue
			}
			all.merge(m)
		}
		switch {
		case len(failed) > 0:
			rep.Unmanaged.Skipped = fmt.Sprintf("stack %s could not be checked; listing unmanaged resources needs the state of every stack of the environment", strings.Join(failed, ", "))
		default:
			rep.Unmanaged.Checked = true
			if l.err != nil {
				for _, e := range strings.Split(l.err.Error(), "\n") {
					rep.Unmanaged.Errors = append(rep.Unmanaged.Errors, e)
				}
			}
			fs := unmanagedFindings(l.found, all)
			applyIgnores(fs, envSettings.Ignore)
			rep.Unmanaged.Findings = finish(fs, p.Env, "")
		}
	}
	if rep.Unmanaged.Findings == nil {
		rep.Unmanaged.Findings = []Finding{}
	}
	rep.Duration = now().Sub(start)
	return rep, nil
}

// selectStacks returns the stacks of env named by sel (ids or layers), in
// graph order; every stack of env when sel is empty.
func selectStacks(g *stack.Graph, env string, sel []string) ([]*stack.Stack, error) {
	all := g.Env(env)
	if len(all) == 0 {
		return nil, fmt.Errorf("environment %s has no stacks", env)
	}
	if len(sel) == 0 {
		return all, nil
	}
	var out []*stack.Stack
	for _, name := range sel {
		id := name
		if !strings.Contains(name, "/") {
			id = env + "/" + name
		}
		i := slices.IndexFunc(all, func(s *stack.Stack) bool { return s.ID() == id })
		if i < 0 {
			var ids []string
			for _, s := range all {
				ids = append(ids, s.ID())
			}
			return nil, fmt.Errorf("no stack %q in environment %s (stacks: %s)", name, env, strings.Join(ids, ", "))
		}
		if !slices.Contains(out, all[i]) {
			out = append(out, all[i])
		}
	}
	slices.SortStableFunc(out, func(a, b *stack.Stack) int {
		return slices.Index(all, a) - slices.Index(all, b)
	})
	return out, nil
}
