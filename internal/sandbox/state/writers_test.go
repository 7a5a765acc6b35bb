package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TestConcurrentWritersDoNotSleep checks that contending Updates queue in
// the process instead of sleeping in SQLite's busy handler (seconds for a
// few dozen writers), and that every read-modify-write counts.
func TestConcurrentWritersDoNotSleep(t *testing.T) {
	st := open(t, t.TempDir())
	ctx := context.Background()
	const writers = 32
	start := time.Now()
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Update(ctx, func(tx *state.Tx) error {
				var d doc
				if err := tx.Get("test", "counter", &d); err != nil && !errors.Is(err, state.ErrNotFound) {
					return err
				}
				d.Count++
				return tx.Put("test", "counter", d)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var d doc
	if err := st.Get(ctx, "test", "counter", &d); err != nil || d.Count != writers {
		t.Fatalf("counter = %d, %v; want %d", d.Count, err, writers)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("%d contending writers took %s", writers, el)
	}
}

// TestUpdateHonoursContext checks that a writer waiting for another gives
// up when its context ends.
func TestUpdateHonoursContext(t *testing.T) {
	st := open(t, t.TempDir())
	hold := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = st.Update(context.Background(), func(tx *state.Tx) error {
			close(held)
			<-hold
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := st.Update(ctx, func(tx *state.Tx) error { return nil })
	close(hold)
	if err == nil {
		t.Fatal("an Update waiting past its context's end succeeded")
	}
}
