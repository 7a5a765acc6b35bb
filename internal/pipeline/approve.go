package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// ApproveParams configure Approve.
type ApproveParams struct {
	RunID   string
	By      string
	Comment string
}

// SelfApprovalError: the author of a run tried to approve it in an
// environment that does not allow that.
type SelfApprovalError struct {
	RunID, By, Env string
}

func (e *SelfApprovalError) Error() string {
	return fmt.Sprintf("%s authored run %s and cannot approve it: environment %s needs someone else's approval (set allow_self_approval = true in its environment block of vigil.hcl to allow it)", e.By, e.RunID, e.Env)
}

// Approve records an approval of a run, bound to its exact plans (M9): the
// run's binding (every plan file's SHA-256, each stack's state lineage and
// serial or "no state yet", the lock files, the commit and sources, the
// policy verdict). The author of the run cannot approve it unless the
// environment allows self-approval. Only a planned run can be approved.
func (p *Pipeline) Approve(ctx context.Context, prm ApproveParams) (*store.Approval, error) {
	by := strings.TrimSpace(prm.By)
	if by == "" {
		return nil, errors.New("an approval needs the approver's name (--by NAME)")
	}
	r, err := p.st.RunGet(ctx, prm.RunID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no run %s: list runs with vigil runs", prm.RunID)
		}
		return nil, err
	}
	if status := p.EffectiveStatus(r); status != store.RunPlanned {
		return nil, fmt.Errorf("run %s is %s; only a planned run with changes can be approved", r.ID, status)
	}
	env, err := p.env(r.Env)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(by, r.Author) && !env.AllowSelfApproval {
		serr := &SelfApprovalError{RunID: r.ID, By: by, Env: r.Env}
		_, _ = p.st.AuditAppend(ctx, &store.AuditAppendParams{Event: *p.withRun(p.event(ActionRefuse, "self-approval", map[string]any{"by": by}), r.ID)})
		return nil, serr
	}
	recs, err := p.st.RunStackList(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if got, _, _, err := runBinding(r, recs); err != nil {
		return nil, err
	} else if got != r.Binding {
		return nil, fmt.Errorf("run %s cannot be approved: its stored records no longer match its binding (they were edited); run vigil audit verify, then plan again", r.ID)
	}
	return p.st.ApprovalInsert(ctx, &store.ApprovalInsertParams{
		Approval: store.Approval{RunID: r.ID, By: by, Comment: review.MaskText(prm.Comment), Binding: r.Binding},
		Audit:    p.event(ActionApprove, "approved", map[string]any{"by": by, "binding": r.Binding, "fingerprint": r.Fingerprint}),
	})
}
