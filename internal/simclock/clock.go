package simclock

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// MaxSpeed is the fastest a clock may run (a year in about five minutes).
const MaxSpeed = 100_000

// Clock is a virtual clock. Its time runs at Speed times real time from
// where it was last set (speed 0 stops it), and Advance steps it forward.
// Timers and tickers fire in virtual time: as real time carries the clock
// past them, or inside Advance, in deadline order, each callback seeing
// Now equal to its deadline. A Clock is safe for concurrent use.
type Clock struct {
	real func() time.Time

	mu     sync.Mutex
	base   time.Time // virtual time at anchor
	anchor time.Time // real time when base was set
	speed  float64
	timers timerHeap
	seq    uint64
	wake   *time.Timer // real timer for the earliest deadline (speed > 0)
	closed bool

	// fire serialises firing (Advance and the real-time waker), so timers
	// fire one at a time, in order.
	fire sync.Mutex
}

// Option configures New.
type Option func(*Clock)

// WithReal sets the real-time source (default time.Now).
func WithReal(now func() time.Time) Option { return func(c *Clock) { c.real = now } }

// WithStart starts the clock at t instead of the real time.
func WithStart(t time.Time) Option { return func(c *Clock) { c.base = t } }

// WithSpeed starts the clock at a speed other than 1 (0 stops it: only
// Advance moves it).
func WithSpeed(s float64) Option { return func(c *Clock) { c.speed = s } }

// New returns a clock that tells real time at real speed, unless options
// say otherwise.
func New(opts ...Option) *Clock {
	c := &Clock{real: time.Now, speed: 1}
	for _, o := range opts {
		o(c)
	}
	c.anchor = c.real()
	if c.base.IsZero() {
		c.base = c.anchor
	}
	if c.speed < 0 || c.speed > MaxSpeed || math.IsNaN(c.speed) {
		c.speed = 1
	}
	return c
}

// Now is the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	elapsed := c.real().Sub(c.anchor)
	switch c.speed {
	case 0:
		return c.base
	case 1:
		return c.base.Add(elapsed)
	}
	return c.base.Add(time.Duration(float64(elapsed) * c.speed))
}

// Since is Now().Sub(t).
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Speed is how many virtual seconds pass per real second.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// ErrSpeed is returned for a speed out of range.
var ErrSpeed = fmt.Errorf("simclock: speed must be between 0 (stopped) and %d", MaxSpeed)

// SetSpeed changes how fast virtual time runs from now on: 1 is real
// time, 60 a minute per second, 0 stops the clock (only Advance moves it).
// The virtual time does not jump.
func (c *Clock) SetSpeed(s float64) error {
	if s < 0 || s > MaxSpeed || math.IsNaN(s) {
		return ErrSpeed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.nowLocked())
	c.speed = s
	c.rescheduleLocked()
	return nil
}

// setLocked re-anchors the clock at virtual time t (never backwards).
func (c *Clock) setLocked(t time.Time) {
	if now := c.nowLocked(); t.Before(now) {
		t = now
	}
	c.base, c.anchor = t, c.real()
}

// Advance moves virtual time forward by d, firing every timer that falls
// due on the way in deadline order (timers of equal deadline in the order
// they were set), with Now equal to each one's deadline while it runs;
// timers set by those callbacks fire too if due. It returns when all have
// run. A callback must not call Advance or SetSpeed itself.
func (c *Clock) Advance(d time.Duration) error {
	if d < 0 {
		return errors.New("simclock: cannot advance by a negative duration (virtual time never goes back)")
	}
	c.fire.Lock()
	defer c.fire.Unlock()
	c.mu.Lock()
	target := c.nowLocked().Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.peekLocked()
		if t == nil || t.when.After(target) {
			c.setLocked(target)
			c.rescheduleLocked()
			c.mu.Unlock()
			return nil
		}
		c.setLocked(t.when)
		when := c.popLocked(t)
		c.mu.Unlock()
		t.run(when)
	}
}

// AdvanceTo advances to t (a time not after Now is no move).
func (c *Clock) AdvanceTo(t time.Time) error {
	d := t.Sub(c.Now())
	if d < 0 {
		d = 0
	}
	return c.Advance(d)
}

// Close stops the clock's real-time waker: timers no longer fire as real
// time passes (Advance still fires them). Now keeps working.
func (c *Clock) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.wake != nil {
		c.wake.Stop()
	}
}

// Timer fires once, at a virtual time: its callback runs, or its time is
// sent on C.
type Timer struct {
	// C receives the deadline for timers made by NewTimer (nil for
	// AfterFunc timers).
	C <-chan time.Time

	c      *Clock
	ch     chan time.Time
	f      func(time.Time)
	when   time.Time
	period time.Duration // tickers
	seq    uint64
	index  int // in the heap; -1 when not scheduled
}

// Ticker fires every period of virtual time.
type Ticker struct {
	// C receives the tick times for tickers made by NewTicker (nil for
	// TickFunc tickers). Like time.Ticker's, it holds one tick: a reader
	// that falls behind misses ticks.
	C <-chan time.Time
	t *Timer
}

// AfterFunc calls f(deadline) once d of virtual time has passed, in the
// goroutine that moves the clock there (Advance's caller, or the clock's
// real-time waker).
func (c *Clock) AfterFunc(d time.Duration, f func(now time.Time)) *Timer {
	t := &Timer{c: c, f: f, index: -1}
	c.schedule(t, d)
	return t
}

// AfterFuncAt calls f(t) when the virtual time reaches t (at once, on the
// next Advance or waker run, if t is not after Now).
func (c *Clock) AfterFuncAt(t time.Time, f func(now time.Time)) *Timer {
	tm := &Timer{c: c, f: f, index: -1}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	tm.when, tm.seq = t, c.seq
	heap.Push(&c.timers, tm)
	c.rescheduleLocked()
	return tm
}

// NewTimer sends the deadline on its C once d of virtual time has passed.
func (c *Clock) NewTimer(d time.Duration) *Timer {
	ch := make(chan time.Time, 1)
	t := &Timer{c: c, ch: ch, C: ch, index: -1}
	c.schedule(t, d)
	return t
}

// After is NewTimer(d).C.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C }

// NewTicker sends the virtual time on C every period d.
func (c *Clock) NewTicker(d time.Duration) *Ticker {
	if d <= 0 {
		panic("simclock: non-positive interval for NewTicker")
	}
	ch := make(chan time.Time, 1)
	t := &Timer{c: c, ch: ch, period: d, index: -1}
	c.schedule(t, d)
	return &Ticker{C: ch, t: t}
}

// TickFunc calls f(tick) every period d of virtual time. Inside Advance it
// runs once per period passed; when real time carries the clock past
// several periods at once (a slow callback, a stalled process) it runs
// once and skips the missed ticks, like time.Ticker.
func (c *Clock) TickFunc(d time.Duration, f func(now time.Time)) *Ticker {
	if d <= 0 {
		panic("simclock: non-positive interval for TickFunc")
	}
	t := &Timer{c: c, f: f, period: d, index: -1}
	c.schedule(t, d)
	return &Ticker{t: t}
}

// Stop stops the ticker.
func (tk *Ticker) Stop() { tk.t.Stop() }

// Reset changes the period and restarts the ticker from now.
func (tk *Ticker) Reset(d time.Duration) {
	if d <= 0 {
		panic("simclock: non-positive interval for Ticker.Reset")
	}
	c := tk.t.c
	c.mu.Lock()
	tk.t.period = d
	c.mu.Unlock()
	tk.t.Reset(d)
}

// Sleep blocks until d of virtual time has passed (nil) or ctx ends (its
// error).
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop cancels the timer; it reports whether that stopped it from firing.
func (t *Timer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	c.rescheduleLocked()
	return true
}

// Reset makes the timer fire d from now (virtual); it reports whether it
// was still pending.
func (t *Timer) Reset(d time.Duration) bool {
	c := t.c
	c.mu.Lock()
	pending := t.index >= 0
	if pending {
		heap.Remove(&c.timers, t.index)
	}
	c.mu.Unlock()
	c.schedule(t, d)
	return pending
}

func (c *Clock) schedule(t *Timer, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		d = 0
	}
	c.seq++
	t.when, t.seq = c.nowLocked().Add(d), c.seq
	heap.Push(&c.timers, t)
	c.rescheduleLocked()
}

func (c *Clock) peekLocked() *Timer {
	if len(c.timers) == 0 {
		return nil
	}
	return c.timers[0]
}

// popLocked takes the earliest timer off the heap (rescheduling a ticker)
// and returns the deadline it fires for.
func (c *Clock) popLocked(t *Timer) time.Time {
	when := t.when
	if t.period <= 0 {
		heap.Pop(&c.timers)
		return when
	}
	next := when.Add(t.period)
	if now := c.nowLocked(); !next.After(now) {
		// Real time ran past several ticks: skip the missed ones.
		missed := now.Sub(when) / t.period
		next = when.Add((missed + 1) * t.period)
	}
	c.seq++
	t.when, t.seq = next, c.seq
	heap.Fix(&c.timers, t.index)
	return when
}

func (t *Timer) run(when time.Time) {
	if t.f != nil {
		t.f(when)
		return
	}
	select {
	case t.ch <- when:
	default: // the reader has not taken the last one: drop this one
	}
}

// rescheduleLocked arms the real-time waker for the earliest deadline.
func (c *Clock) rescheduleLocked() {
	t := c.peekLocked()
	if c.closed || c.speed == 0 || t == nil {
		if c.wake != nil {
			c.wake.Stop()
		}
		return
	}
	delay := time.Duration(float64(t.when.Sub(c.nowLocked())) / c.speed)
	if delay < 0 {
		delay = 0
	}
	if c.wake == nil {
		c.wake = time.AfterFunc(delay, c.fireDue)
		return
	}
	c.wake.Reset(delay)
}

// fireDue runs, in the waker's goroutine, every timer real time has
// carried the clock past.
func (c *Clock) fireDue() {
	c.fire.Lock()
	defer c.fire.Unlock()
	for {
		c.mu.Lock()
		t := c.peekLocked()
		if c.closed || t == nil || t.when.After(c.nowLocked()) {
			c.rescheduleLocked()
			c.mu.Unlock()
			return
		}
		when := c.popLocked(t)
		c.mu.Unlock()
		t.run(when)
	}
}

// timerHeap orders timers by deadline, then by the order they were set.
type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
