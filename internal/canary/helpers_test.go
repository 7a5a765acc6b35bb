package canary_test

import (
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/canary"
)

// fakeClock is a manual Clock: time moves only in Advance, which fires
// every After and ticker that comes due.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at     time.Time
	ch     chan time.Time
	period time.Duration // > 0: a ticker
	stop   *bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, fakeWaiter{at: f.now.Add(d), ch: ch})
	return ch
}

type fakeTicker struct {
	ch      chan time.Time
	stopped *bool
	clock   *fakeClock
}

func (t fakeTicker) C() <-chan time.Time { return t.ch }
func (t fakeTicker) Stop() {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	*t.stopped = true
}

func (f *fakeClock) NewTicker(d time.Duration) canary.Ticker {
	f.mu.Lock()
	defer f.mu.Unlock()
	stopped := false
	ch := make(chan time.Time, 1)
	f.waiters = append(f.waiters, fakeWaiter{at: f.now.Add(d), ch: ch, period: d, stop: &stopped})
	return fakeTicker{ch: ch, stopped: &stopped, clock: f}
}

// Advance moves time forward by d, firing what comes due.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if w.stop != nil && *w.stop {
			continue
		}
		if w.at.After(f.now) {
			kept = append(kept, w)
			continue
		}
		select {
		case w.ch <- f.now:
		default:
		}
		if w.period > 0 {
			for !w.at.After(f.now) {
				w.at = w.at.Add(w.period)
			}
			kept = append(kept, w)
		}
	}
	f.waiters = kept
}

// awaitWaiter blocks until something waits on the clock (a runner that
// has scheduled its first runs, a ticker), so an Advance is not lost.
func (f *fakeClock) awaitWaiter() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		n := len(f.waiters)
		f.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	panic("nothing waits on the fake clock")
}
