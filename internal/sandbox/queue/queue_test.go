package queue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRetriesFollowTheVirtualClock: a job that asks for a retry runs again
// only when the clock reaches the retry time; one that fails for good is
// dropped; one that succeeds is removed.
func TestRetriesFollowTheVirtualClock(t *testing.T) {
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := simclock.New(simclock.WithStart(start), simclock.WithSpeed(0))
	var mu sync.Mutex
	runs := map[string][]time.Time{}
	q := queue.New(st, "test/jobs", clock, 2, func(ctx context.Context, j queue.Job) error {
		mu.Lock()
		runs[j.Kind] = append(runs[j.Kind], clock.Now())
		mu.Unlock()
		switch j.Kind {
		case "flaky":
			if j.Attempt < 2 {
				return &queue.Retry{At: clock.Now().Add(time.Minute), Err: errors.New("not yet")}
			}
		case "broken":
			return errors.New("never")
		}
		return nil
	}, nil)
	ctx := context.Background()
	err = st.Update(ctx, func(tx *state.Tx) error {
		for _, k := range []string{"flaky", "broken", "fine"} {
			if err := queue.Put(tx, "test/jobs", queue.Job{Kind: k}, clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q.Start()
	defer q.Close()
	count := func(k string) int { mu.Lock(); defer mu.Unlock(); return len(runs[k]) }
	pending := func() int {
		js, err := queue.Pending(ctx, st, "test/jobs")
		if err != nil {
			t.Fatal(err)
		}
		return len(js)
	}
	waitFor(t, "the first runs", func() bool {
		return count("flaky") == 1 && count("broken") == 1 && count("fine") == 1 && pending() == 1
	})
	// The stopped clock holds the retry back.
	time.Sleep(50 * time.Millisecond)
	if count("flaky") != 1 {
		t.Fatal("retried before the clock moved")
	}
	for i := 2; i <= 3; i++ {
		if err := clock.Advance(time.Minute); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a retry", func() bool { return count("flaky") == i })
	}
	waitFor(t, "the queue to empty", func() bool { return pending() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if got := runs["flaky"]; !got[1].Equal(start.Add(time.Minute)) || !got[2].Equal(start.Add(2*time.Minute)) {
		t.Errorf("retries at %v", got)
	}
}

// TestUnfinishedJobsRunAfterRestart: a job whose handler is cut short by
// Close stays, and a new queue on the same state runs it.
func TestUnfinishedJobsRunAfterRestart(t *testing.T) {
	dir := t.TempDir()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := simclock.New()
	started := make(chan struct{})
	q := queue.New(st, "test/jobs", clock, 1, func(ctx context.Context, j queue.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}, nil)
	ctx := context.Background()
	if err := st.Update(ctx, func(tx *state.Tx) error {
		return queue.Put(tx, "test/jobs", queue.Job{Kind: "k", Payload: []byte(`{"n":1}`)}, clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	q.Start()
	<-started
	q.Close()
	done := make(chan queue.Job, 1)
	q2 := queue.New(st, "test/jobs", clock, 1, func(ctx context.Context, j queue.Job) error { done <- j; return nil }, nil)
	q2.Start()
	defer q2.Close()
	select {
	case j := <-done:
		if string(j.Payload) != `{"n":1}` {
			t.Errorf("payload %s", j.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the unfinished job did not run after the restart")
	}
}
