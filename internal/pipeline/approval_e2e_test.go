package pipeline

import (
	"errors"
	"testing"

	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// TestApprovalFlow: prod needs approval. Apply without one is refused; the
// author cannot approve; someone else can, and then it applies. The next
// wave is planned and waits for its own approval.
func TestApprovalFlow(t *testing.T) {
	w := newE2E(t, "basic")
	w.bootstrap("prod")
	pr := w.plan("ana", "prod")
	if pr.Run.Status != store.RunPlanned || pr.Report.Approval != "required" {
		t.Fatalf("plan: %s, approval %q", pr.Run.Status, pr.Report.Approval)
	}

	_, err := w.pipeline("ana").Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID})
	var aerr *ApprovalError
	if !errors.As(err, &aerr) {
		t.Fatalf("apply without approval: err = %v, want *ApprovalError", err)
	}
	if r, _ := w.st.RunGet(w.ctx(), pr.Run.ID); r.Status != store.RunPlanned {
		t.Fatalf("a refusal for a missing approval must leave the run approvable, status %s", r.Status)
	}

	_, err = w.pipeline("ana").Approve(w.ctx(), ApproveParams{RunID: pr.Run.ID, By: "ana"})
	var serr *SelfApprovalError
	if !errors.As(err, &serr) {
		t.Fatalf("self-approval: err = %v, want *SelfApprovalError", err)
	}
	a, err := w.pipeline("bob").Approve(w.ctx(), ApproveParams{RunID: pr.Run.ID, By: "bob", Comment: "looks right"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Binding != pr.Run.Binding || a.Binding == "" {
		t.Fatalf("approval binds %q, the run %q", a.Binding, pr.Run.Binding)
	}

	res, err := w.pipeline("ana").Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID})
	if err != nil {
		t.Fatalf("approved apply: %v", err)
	}
	if len(res.Runs) != 1 || res.Runs[0].Status != store.RunApplied {
		t.Fatalf("applied runs: %+v", res.Runs)
	}
	next := res.Pending
	if next == nil || next.Run.Status != store.RunPlanned || next.Run.Parent != pr.Run.ID {
		t.Fatalf("the next wave was not planned for approval: %+v", next)
	}
	if got := stackStatuses(next.Report); got["prod/app"] != review.StatusChanges {
		t.Fatalf("next wave: %v", got)
	}
	if _, err := w.pipeline("ana").Apply(w.ctx(), ApplyParams{RunID: next.Run.ID}); !errors.As(err, &aerr) {
		t.Fatalf("next wave without its own approval: %v", err)
	}
	if _, err := w.pipeline("bob").Approve(w.ctx(), ApproveParams{RunID: next.Run.ID, By: "bob"}); err != nil {
		t.Fatal(err)
	}
	if res, err := w.pipeline("ana").Apply(w.ctx(), ApplyParams{RunID: next.Run.ID}); err != nil || res.Pending != nil {
		t.Fatalf("second wave: %v, pending %+v", err, res.Pending)
	}
	if _, err := w.pipeline("ana").Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID}); err == nil {
		t.Fatal("an applied run was applied again")
	}
	if n, err := w.pipeline("ana").VerifyAudit(w.ctx()); err != nil || n == 0 {
		t.Fatalf("audit: %d, %v", n, err)
	}
}
