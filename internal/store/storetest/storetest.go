// Package storetest is the conformance suite every store.Store
// implementation runs: Exercise(t, newStore).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
)

// Tamper lets the suite edit stored records behind the store's back, the
// way an attacker with database access would. Implementations provide it.
type Tamper interface {
	// Exec runs a statement against the implementation's database.
	Exec(ctx context.Context, query string, args ...any) error
}

// Factory returns a fresh, empty store and a way to tamper with it.
type Factory func(t *testing.T) (store.Store, Tamper)

// Exercise runs the conformance suite.
func Exercise(t *testing.T, newStore Factory) {
	exerciseServe(t, newStore)
	exercisePrune(t, newStore)
	t.Run("RunLifecycle", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		r, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunRunning, Author: "ana"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.CreatedAt.IsZero() || r.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt = %v, want a UTC time", r.CreatedAt)
		}
		if _, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev"}}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate insert err = %v, want ErrConflict", err)
		}
		fp := "sha256:abc"
		sum := json.RawMessage(`{"stacks":1}`)
		got, err := s.RunUpdate(ctx, &store.RunUpdateParams{ID: "r1", Status: store.RunPlanned, Fingerprint: &fp, Summary: sum})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.RunPlanned || got.Fingerprint != fp || string(got.Summary) != string(sum) {
			t.Fatalf("after update: %+v", got)
		}
		again, err := s.RunGet(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if store.HashRun(again) != store.HashRun(got) {
			t.Fatalf("RunGet differs from what RunUpdate returned:\n%+v\n%+v", again, got)
		}
		if _, err := s.RunGet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RunGet missing: %v", err)
		}
		if _, err := s.RunUpdate(ctx, &store.RunUpdateParams{ID: "nope", Status: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RunUpdate missing: %v", err)
		}
	})

	t.Run("RunListNewestFirst", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, env := range []string{"dev", "prod", "dev"} {
			if _, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: fmt.Sprintf("r%d", i), Env: env, Kind: "plan", Status: store.RunPlanned, CreatedAt: base.Add(time.Duration(i) * time.Minute)}}); err != nil {
				t.Fatal(err)
			}
		}
		runs, err := s.RunList(ctx, &store.RunListParams{Env: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].ID != "r2" || runs[1].ID != "r0" {
			t.Fatalf("RunList(dev) = %v", ids(runs))
		}
		runs, _ = s.RunList(ctx, &store.RunListParams{Limit: 1})
		if len(runs) != 1 || runs[0].ID != "r2" {
			t.Fatalf("RunList(limit 1) = %v", ids(runs))
		}
	})

	t.Run("Approvals", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.ApprovalInsert(ctx, &store.ApprovalInsertParams{Approval: store.Approval{RunID: "ghost", By: "bo", Binding: "b"}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("approval of a missing run: err = %v, want ErrNotFound", err)
		}
		if _, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "prod", Kind: "plan", Status: store.RunPlanned}}); err != nil {
			t.Fatal(err)
		}
		a, err := s.ApprovalInsert(ctx, &store.ApprovalInsertParams{Approval: store.Approval{RunID: "r1", By: "bo", Comment: "lgtm", Binding: "sha256:1"}})
		if err != nil {
			t.Fatal(err)
		}
		as, err := s.ApprovalListByRun(ctx, "r1")
		if err != nil || len(as) != 1 || as[0].ID != a.ID || as[0].By != "bo" || store.HashApproval(as[0]) != store.HashApproval(a) {
			t.Fatalf("ApprovalListByRun = %+v, %v", as, err)
		}
	})

	t.Run("AuditChainDetectsTampering", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, tamper := newStore(t)
		r, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunPlanned}})
		if err != nil {
			t.Fatal(err)
		}
		for _, action := range []string{"plan", "apply", "refuse"} {
			if _, err := s.AuditAppend(ctx, &store.AuditAppendParams{Event: store.AuditEvent{Actor: "ana", Action: action, RunID: "r1", SubjectHash: store.HashRun(r)}}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := store.VerifyChain(ctx, s)
		if err != nil || n != 3 {
			t.Fatalf("VerifyChain on an intact log = %d, %v", n, err)
		}
		if err := tamper.Exec(ctx, `UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		_, err = store.VerifyChain(ctx, s)
		var ce *store.ChainError
		if !errors.As(err, &ce) || ce.Seq != 2 {
			t.Fatalf("VerifyChain after editing record 2: %v", err)
		}
	})

	t.Run("AuditChainDetectsEditedRun", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, tamper := newStore(t)
		r, _ := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunPlanned}})
		if _, err := s.AuditAppend(ctx, &store.AuditAppendParams{Event: store.AuditEvent{Actor: "ana", Action: "plan", RunID: "r1", SubjectHash: store.HashRun(r)}}); err != nil {
			t.Fatal(err)
		}
		if err := tamper.Exec(ctx, `UPDATE runs SET status = 'applied' WHERE id = 'r1'`); err != nil {
			t.Fatal(err)
		}
		if _, err := store.VerifyChain(ctx, s); err == nil {
			t.Fatal("VerifyChain accepted a run edited behind the audit log")
		}
	})

	t.Run("AuditChainDetectsDeletedRecord", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, tamper := newStore(t)
		for i := 0; i < 3; i++ {
			if _, err := s.AuditAppend(ctx, &store.AuditAppendParams{Event: store.AuditEvent{Actor: "ana", Action: "unlock"}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tamper.Exec(ctx, `DELETE FROM audit WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		var ce *store.ChainError
		if _, err := store.VerifyChain(ctx, s); !errors.As(err, &ce) || ce.Seq != 2 {
			t.Fatalf("VerifyChain after deleting record 2: %v", err)
		}
	})

	t.Run("RunStacks", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: store.RunStack{RunID: "ghost", Stack: "dev/a", Status: "planned"}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stack of a missing run: err = %v, want ErrNotFound", err)
		}
		if _, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunPlanned}}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"dev/b", "dev/a"} {
			if _, err := s.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: store.RunStack{RunID: "r1", Stack: id, Status: "planned", PlanSHA256: "aa", Binding: json.RawMessage(`{"state":"x"}`), Summary: json.RawMessage(`{"counts":{}}`)}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: store.RunStack{RunID: "r1", Stack: "dev/a", Status: "applied", PlanSHA256: "bb", Message: "done"}})
		if err != nil || got.UpdatedAt.IsZero() {
			t.Fatalf("upsert: %+v, %v", got, err)
		}
		list, err := s.RunStackList(ctx, "r1")
		if err != nil || len(list) != 2 {
			t.Fatalf("RunStackList = %+v, %v", list, err)
		}
		if a := list[0]; a.Stack != "dev/a" || a.Status != "applied" || a.PlanSHA256 != "bb" || a.Message != "done" || a.Binding != nil {
			t.Errorf("dev/a after the second upsert: %+v", a)
		}
		if b := list[1]; b.Stack != "dev/b" || string(b.Binding) != `{"state":"x"}` || string(b.Summary) != `{"counts":{}}` {
			t.Errorf("dev/b: %+v", b)
		}
		if list, _ := s.RunStackList(ctx, "nope"); len(list) != 0 {
			t.Errorf("stacks of an unknown run: %+v", list)
		}
	})

	t.Run("AuditInSameTransaction", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		r, err := s.RunInsert(ctx, &store.RunInsertParams{
			Run:   store.Run{ID: "r1", Env: "prod", Kind: "plan", Status: store.RunRunning, Parent: "r0", Wave: 2},
			Audit: &store.AuditEvent{Actor: "ana", Action: "plan", Outcome: "started"},
		})
		if err != nil {
			t.Fatal(err)
		}
		b := "sha256:bind"
		r, err = s.RunUpdate(ctx, &store.RunUpdateParams{ID: "r1", Status: store.RunPlanned, Binding: &b,
			Audit: &store.AuditEvent{Actor: "ana", Action: "plan", Outcome: store.RunPlanned}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Binding != b || r.Parent != "r0" || r.Wave != 2 {
			t.Fatalf("run after update: %+v", r)
		}
		a, err := s.ApprovalInsert(ctx, &store.ApprovalInsertParams{
			Approval: store.Approval{RunID: "r1", By: "bo", Binding: b},
			Audit:    &store.AuditEvent{Actor: "bo", Outcome: "approved"},
		})
		if err != nil {
			t.Fatal(err)
		}
		events, err := s.AuditList(ctx)
		if err != nil || len(events) != 3 {
			t.Fatalf("AuditList = %d events, %v", len(events), err)
		}
		if e := events[1]; e.RunID != "r1" || e.SubjectHash != store.HashRun(r) {
			t.Errorf("update event: %+v, want subject %s", e, store.HashRun(r))
		}
		if e := events[2]; e.Action != "approve" || e.SubjectHash != store.HashApproval(a) {
			t.Errorf("approval event: %+v", e)
		}
		if n, err := store.VerifyChain(ctx, s); err != nil || n != 3 {
			t.Fatalf("VerifyChain = %d, %v", n, err)
		}
		again, _ := s.RunGet(ctx, "r1")
		if store.HashRun(again) != store.HashRun(r) {
			t.Errorf("RunGet differs from RunUpdate's result:\n%+v\n%+v", again, r)
		}
	})

	t.Run("ConcurrentAppendsFormOneChain", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := s.AuditAppend(ctx, &store.AuditAppendParams{Event: store.AuditEvent{Actor: fmt.Sprint(i), Action: "plan"}})
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := store.VerifyChain(ctx, s); err != nil || n != 40 {
			t.Fatalf("VerifyChain = %d, %v", n, err)
		}
	})
}

func ids(runs []*store.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}
