package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// EffectiveStatus is a run's status as it stands: a run recorded as
// running or applying whose environment nobody holds was cut short (its
// process died, even by kill -9) and is reported as interrupted. The next
// plan or apply of the environment records that.
func (p *Pipeline) EffectiveStatus(r *store.Run) string {
	if r.Status != store.RunRunning && r.Status != store.RunApplying {
		return r.Status
	}
	if held, _ := EnvLockState(p.cfg.StateDir(), r.Env); !held {
		return store.RunInterrupted
	}
	return r.Status
}

// Runs lists runs, newest first, with their effective status.
func (p *Pipeline) Runs(ctx context.Context, env string, limit int) ([]*store.Run, error) {
	runs, err := p.st.RunList(ctx, &store.RunListParams{Env: env, Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if s := p.EffectiveStatus(r); s != r.Status {
			r.Status = s
			if r.Message == "" {
				r.Message = "interrupted: its vigil process is gone"
			}
		}
	}
	return runs, nil
}

// ResolveRunID accepts a run id, or "latest" / "last" for the newest run
// (of env when env is set).
func (p *Pipeline) ResolveRunID(ctx context.Context, id, env string) (string, error) {
	if id != "latest" && id != "last" {
		return id, nil
	}
	runs, err := p.st.RunList(ctx, &store.RunListParams{Env: env, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(runs) == 0 {
		return "", errors.New("no runs yet: run vigil plan first")
	}
	return runs[0].ID, nil
}

// Report builds the review of a run from its records: the run, its stacks
// (summaries, statuses) and approvals. Everything in it is masked.
func (p *Pipeline) Report(ctx context.Context, runID string) (*review.Report, error) {
	r, err := p.st.RunGet(ctx, runID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no run %s: list runs with vigil runs", runID)
		}
		return nil, err
	}
	recs, err := p.st.RunStackList(ctx, runID)
	if err != nil {
		return nil, err
	}
	p.stackOrder(recs)
	var sum runSummary
	if len(r.Summary) > 0 {
		_ = json.Unmarshal(r.Summary, &sum)
	}
	status := p.EffectiveStatus(r)
	rep := &review.Report{RunID: r.ID, Env: r.Env, Status: status, Target: r.Target, Commit: r.Commit, Author: r.Author,
		Fingerprint: r.Fingerprint, Policy: sum.Policy, Message: r.Message, Stacks: []review.StackReport{}}
	if status == store.RunInterrupted && r.Status != status && rep.Message == "" {
		rep.Message = "interrupted: its vigil process is gone"
	}
	for _, rs := range recs {
		sr := review.StackReport{Stack: rs.Stack, Status: rs.Status, Note: rs.Message}
		if len(rs.Summary) > 0 {
			var ss review.StackSummary
			if err := json.Unmarshal(rs.Summary, &ss); err == nil {
				sr.Summary = &ss
			}
		}
		rep.Stacks = append(rep.Stacks, sr)
	}
	env, envErr := p.env(r.Env)
	approvals, err := p.st.ApprovalListByRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	approved := false
	for _, a := range approvals {
		if a.Binding == r.Binding {
			approved = true
			rep.Approval = "approved by " + a.By
		}
	}
	if envErr == nil {
		switch {
		case approved:
		case env.Approval:
			rep.Approval = "required"
		default:
			rep.Approval = "not required"
		}
		r.Status = status
		rep.Next = nextStep(r, env, approved)
	}
	return rep, nil
}

// VerifyAudit checks the audit chain (store.VerifyChain) and that every
// run's binding still matches its stack records, so an edited record is
// found and named.
func (p *Pipeline) VerifyAudit(ctx context.Context) (int, error) {
	n, err := store.VerifyChain(ctx, p.st)
	if err != nil {
		return n, err
	}
	runs, err := p.st.RunList(ctx, &store.RunListParams{})
	if err != nil {
		return n, err
	}
	for _, r := range runs {
		if r.Binding == "" {
			continue
		}
		recs, err := p.st.RunStackList(ctx, r.ID)
		if err != nil {
			return n, err
		}
		got, _, _, err := runBinding(r, recs)
		if err != nil {
			return n, err
		}
		if got != r.Binding {
			return n, &store.ChainError{Seq: lastEventOf(ctx, p.st, r.ID), Reason: fmt.Sprintf("the stack records of run %s were changed after it was planned (their binding no longer matches the audited one)", r.ID)}
		}
	}
	return n, nil
}

func lastEventOf(ctx context.Context, s store.Store, runID string) int64 {
	events, err := s.AuditList(ctx)
	if err != nil {
		return 0
	}
	var seq int64
	for _, e := range events {
		if e.RunID == runID {
			seq = e.Seq
		}
	}
	return seq
}
