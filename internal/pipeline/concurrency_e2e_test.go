package pipeline

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
)

// TestConcurrentApplies: two applies of one environment at once (as two
// vigil processes would: separate pipelines). One proceeds; the other
// fails at once naming the holder; a third that may wait does, then finds
// the run applied. The states are intact: a new plan has no changes.
func TestConcurrentApplies(t *testing.T) {
	w := newE2E(t, "basic")
	w.bootstrap("dev")
	pr := w.plan("ana", "dev")
	first := w.pipeline("ana")
	second := w.pipeline("bob")
	waiter := w.pipeline("cy", func(p *Params) { p.LockTimeout = 5 * time.Minute })

	var wg sync.WaitGroup
	errs := make([]error, 3)
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		first.p.Progress = func(ev Event) {
			if ev.Phase == "check" && !ev.Done {
				select {
				case <-started:
				default:
					close(started)
				}
			}
		}
		_, errs[0] = first.Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID})
	}()
	<-started // the first holds the environment lock
	wg.Add(2)
	go func() { defer wg.Done(); _, errs[1] = second.Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID}) }()
	go func() { defer wg.Done(); _, errs[2] = waiter.Apply(w.ctx(), ApplyParams{RunID: pr.Run.ID}) }()
	wg.Wait()

	if errs[0] != nil {
		t.Fatalf("the first apply: %v", errs[0])
	}
	var le *EnvLockedError
	if !errors.As(errs[1], &le) || le.Holder.RunID != pr.Run.ID || le.Holder.User != "ana" || !strings.Contains(errs[1].Error(), "vigil apply") {
		t.Fatalf("the second apply: %v, want *EnvLockedError naming ana's apply of %s", errs[1], pr.Run.ID)
	}
	var re *RefusedError
	if !errors.As(errs[2], &re) || !strings.Contains(errs[2].Error(), "already applied") {
		t.Fatalf("the waiting apply: %v, want a refusal: already applied", errs[2])
	}
	again := w.plan("ana", "dev")
	if again.Run.Status != store.RunNoChanges {
		t.Fatalf("after the concurrent applies a plan has changes: %+v", again.Report)
	}
}
