package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// UnlockParams configure Unlock.
type UnlockParams struct {
	// Stack is "<env>/<layer>".
	Stack string
	// Force unlocks even while another vigil process holds the environment
	// (the Terraform lock may then be that live run's).
	Force bool
	// DryRun only reports the holder.
	DryRun bool
}

// UnlockResult says what Unlock found and did.
type UnlockResult struct {
	Stack string
	// Holder is who held the state lock; nil when it was free.
	Holder   *terraform.StateLockedError
	Released bool
}

// Unlock releases a stale Terraform state lock of a stack (left by a run
// that was killed): it reads who holds the lock (ID, who, operation,
// since), then force-unlocks it, and records both in the audit log. It
// takes the environment lock first, so it never pulls the lock from under
// a live vigil run, unless Force.
func (p *Pipeline) Unlock(ctx context.Context, prm UnlockParams) (*UnlockResult, error) {
	s, ok := p.graph.Stack(prm.Stack)
	if !ok {
		var ids []string
		for _, x := range p.graph.Stacks() {
			ids = append(ids, x.ID())
		}
		return nil, fmt.Errorf("no stack %q (stacks: %s)", prm.Stack, strings.Join(ids, ", "))
	}
	env, err := p.env(s.Env)
	if err != nil {
		return nil, err
	}
	release, err := p.lockEnv(ctx, s.Env, "", "vigil unlock "+s.ID())
	if err != nil {
		var le *EnvLockedError
		if !errors.As(err, &le) || !prm.Force {
			if errors.As(err, &le) {
				return nil, fmt.Errorf("%w; a live run holds it, so the state lock is probably its own: unlocking it now could corrupt the state (use --force only if that process is gone)", err)
			}
			return nil, err
		}
		release = func() {}
	}
	defer release()
	tgt, err := p.Target(ctx, s.Env)
	if err != nil {
		return nil, err
	}
	r := p.runner(tgt, s)
	if err := p.initStack(ctx, r, s, env); err != nil {
		return nil, err
	}
	holder, err := r.LockHolder(ctx)
	if err != nil {
		return nil, err
	}
	res := &UnlockResult{Stack: s.ID(), Holder: holder}
	detail := map[string]any{"stack": s.ID()}
	if holder != nil {
		detail["lock_id"], detail["who"], detail["operation"], detail["created"] = holder.ID, holder.Who, holder.Operation, holder.Created
	}
	if holder == nil || prm.DryRun {
		outcome := "not-locked"
		if holder != nil {
			outcome = "dry-run"
		}
		_, _ = p.st.AuditAppend(ctx, &store.AuditAppendParams{Event: *p.event(ActionUnlock, outcome, detail)})
		return res, nil
	}
	if holder.ID == "" {
		return res, fmt.Errorf("the state of %s is locked but Terraform did not say the lock ID; release it by hand with terraform force-unlock", s.ID())
	}
	if err := r.ForceUnlock(ctx, holder.ID); err != nil {
		_, _ = p.st.AuditAppend(ctx, &store.AuditAppendParams{Event: *p.event(ActionUnlock, "failed", detail)})
		return res, err
	}
	res.Released = true
	_, err = p.st.AuditAppend(ctx, &store.AuditAppendParams{Event: *p.event(ActionUnlock, "released", detail)})
	return res, err
}
