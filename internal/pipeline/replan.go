package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// ReplanParams configure ReplanApply.
type ReplanParams struct {
	Env string
	// Expect is the fingerprint of the reviewed plan (vigil show prints it).
	Expect     string
	NoContinue bool
	Command    string
}

// FingerprintError: a fresh plan does not bring the reviewed changes.
type FingerprintError struct {
	RunID, Expected, Got string
}

func (e *FingerprintError) Error() string {
	return fmt.Sprintf("apply refused: the fresh plan (run %s) has fingerprint %s, not the reviewed %s: the changes differ from what was reviewed; review the new plan with vigil show %s", e.RunID, e.Got, e.Expected, e.RunID)
}

// ReplanApply is the after-merge path (M10, B6): plan the environment
// again and apply the new plans only when their fingerprint equals the
// reviewed one. In an environment that needs approval, some run with that
// fingerprint must carry a valid approval. The fresh run is recorded like
// any other, kind replan-apply.
func (p *Pipeline) ReplanApply(ctx context.Context, prm ReplanParams) (*ApplyResult, error) {
	if prm.Command == "" {
		prm.Command = "vigil apply --replan"
	}
	env, err := p.env(prm.Env)
	if err != nil {
		return nil, err
	}
	release, err := p.lockEnv(ctx, env.Name, "", prm.Command)
	if err != nil {
		return nil, err
	}
	defer release()
	approvedVia := ""
	if env.Approval {
		if approvedVia, err = p.approvedRunWithFingerprint(ctx, env.Name, prm.Expect); err != nil {
			return nil, err
		}
	}
	pr, err := p.Plan(ctx, PlanParams{Env: env.Name, Command: prm.Command, kind: KindReplanApply})
	if err != nil {
		return nil, err
	}
	if pr.Run.Status == store.RunFailed {
		return &ApplyResult{Runs: []*store.Run{pr.Run}, Reports: []*review.Report{pr.Report}}, &RefusedError{RunID: pr.Run.ID, Reason: "the fresh plan failed: " + pr.Run.Message}
	}
	if pr.Run.Fingerprint != prm.Expect {
		ferr := &FingerprintError{RunID: pr.Run.ID, Expected: prm.Expect, Got: pr.Run.Fingerprint}
		msg := ferr.Error()
		r, _ := p.st.RunUpdate(ctx, &store.RunUpdateParams{ID: pr.Run.ID, Status: store.RunRefused, Message: &msg,
			Audit: p.event(ActionRefuse, "fingerprint differs", map[string]any{"expected": prm.Expect, "got": pr.Run.Fingerprint})})
		if r == nil {
			r = pr.Run
		}
		rep, _ := p.Report(ctx, r.ID)
		return &ApplyResult{Runs: []*store.Run{r}, Reports: []*review.Report{rep}}, ferr
	}
	return p.applyChain(ctx, pr.Run.ID, ApplyParams{NoContinue: prm.NoContinue, Command: prm.Command}, applyMode{fresh: true, approvedVia: approvedVia})
}

// approvedRunWithFingerprint finds a run of env with fingerprint fp that
// carries an approval bound to it.
func (p *Pipeline) approvedRunWithFingerprint(ctx context.Context, env, fp string) (string, error) {
	runs, err := p.st.RunList(ctx, &store.RunListParams{Env: env})
	if err != nil {
		return "", err
	}
	for _, r := range runs {
		if r.Fingerprint != fp || r.Binding == "" {
			continue
		}
		as, err := p.st.ApprovalListByRun(ctx, r.ID)
		if err != nil {
			return "", err
		}
		if slices.ContainsFunc(as, func(a *store.Approval) bool { return a.Binding == r.Binding }) {
			return r.ID, nil
		}
	}
	return "", fmt.Errorf("apply refused: environment %s requires an approval and no approved run has fingerprint %s; approve the reviewed run first (vigil approve RUN --by NAME)", env, fp)
}
