package simclock

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

var start = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

// fakeReal is a settable real-time source.
type fakeReal struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeReal) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeReal) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func TestNowAndSpeed(t *testing.T) {
	tests := []struct {
		name      string
		speed     float64
		realPass  time.Duration
		wantSince time.Duration
	}{
		{"real time", 1, 10 * time.Second, 10 * time.Second},
		{"a minute per second", 60, 10 * time.Second, 10 * time.Minute},
		{"half speed", 0.5, 10 * time.Second, 5 * time.Second},
		{"stopped", 0, time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			real := &fakeReal{t: start}
			c := New(WithReal(real.now), WithSpeed(tt.speed))
			defer c.Close()
			if !c.Now().Equal(start) {
				t.Fatalf("a new clock starts at real time: %v", c.Now())
			}
			real.add(tt.realPass)
			if got := c.Since(start); got != tt.wantSince {
				t.Fatalf("after %s real: %s virtual, want %s", tt.realPass, got, tt.wantSince)
			}
			if c.Speed() != tt.speed {
				t.Fatalf("Speed = %v", c.Speed())
			}
		})
	}
}

func TestSetSpeedKeepsTime(t *testing.T) {
	real := &fakeReal{t: start}
	c := New(WithReal(real.now))
	real.add(10 * time.Second)
	if err := c.SetSpeed(60); err != nil {
		t.Fatal(err)
	}
	if got := c.Since(start); got != 10*time.Second {
		t.Fatalf("SetSpeed moved the time: %s", got)
	}
	real.add(2 * time.Second)
	if got := c.Since(start); got != 130*time.Second {
		t.Fatalf("at 60x, 2 s later: %s, want 2m10s", got)
	}
	if err := c.SetSpeed(0); err != nil {
		t.Fatal(err)
	}
	real.add(time.Hour)
	if got := c.Since(start); got != 130*time.Second {
		t.Fatalf("stopped clock moved: %s", got)
	}
	for _, bad := range []float64{-1, MaxSpeed + 1} {
		if err := c.SetSpeed(bad); err == nil {
			t.Errorf("SetSpeed(%v) accepted", bad)
		}
	}
}

func TestStartAt(t *testing.T) {
	real := &fakeReal{t: start}
	at := start.Add(-72 * time.Hour)
	c := New(WithReal(real.now), WithStart(at), WithSpeed(2))
	real.add(time.Second)
	if got := c.Now(); !got.Equal(at.Add(2 * time.Second)) {
		t.Fatalf("Now = %v", got)
	}
}

// TestAdvanceFiresInOrder: Advance fires every due timer in deadline
// order (ties in creation order), each seeing Now at its deadline, and
// leaves later timers alone.
func TestAdvanceFiresInOrder(t *testing.T) {
	tests := []struct {
		name    string
		timers  []time.Duration
		advance []time.Duration
		want    []time.Duration // deadlines fired, in order
	}{
		{"in deadline order", []time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute}, []time.Duration{5 * time.Minute},
			[]time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}},
		{"only those due", []time.Duration{time.Minute, 10 * time.Minute}, []time.Duration{5 * time.Minute},
			[]time.Duration{time.Minute}},
		{"exactly at the deadline fires", []time.Duration{5 * time.Minute}, []time.Duration{5 * time.Minute},
			[]time.Duration{5 * time.Minute}},
		{"over several advances", []time.Duration{time.Minute, 10 * time.Minute}, []time.Duration{5 * time.Minute, 5 * time.Minute},
			[]time.Duration{time.Minute, 10 * time.Minute}},
		{"ties fire in creation order", []time.Duration{time.Minute, time.Minute, time.Minute}, []time.Duration{time.Minute},
			[]time.Duration{time.Minute, time.Minute, time.Minute}},
		{"zero advance fires what is due now", []time.Duration{0}, []time.Duration{0}, []time.Duration{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New(WithStart(start), WithSpeed(0))
			var got []time.Duration
			var ids []int
			for i, d := range tt.timers {
				c.AfterFunc(d, func(now time.Time) {
					if !c.Now().Equal(now) {
						t.Errorf("timer %d: Now %v inside the callback, deadline %v", i, c.Now(), now)
					}
					got = append(got, now.Sub(start))
					ids = append(ids, i)
				})
			}
			var total time.Duration
			for _, d := range tt.advance {
				if err := c.Advance(d); err != nil {
					t.Fatal(err)
				}
				total += d
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("fired %v, want %v", got, tt.want)
			}
			for k := 1; k < len(ids); k++ {
				if got[k] == got[k-1] && ids[k] < ids[k-1] {
					t.Fatalf("ties fired out of creation order: %v", ids)
				}
			}
			if !c.Now().Equal(start.Add(total)) {
				t.Fatalf("Now after advancing %s: %v", total, c.Now())
			}
		})
	}
}

func TestTickFuncDuringAdvance(t *testing.T) {
	c := New(WithStart(start), WithSpeed(0))
	var ticks []time.Duration
	tk := c.TickFunc(time.Minute, func(now time.Time) { ticks = append(ticks, now.Sub(start)) })
	if err := c.Advance(5*time.Minute + 30*time.Second); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{1 * time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute}
	if !reflect.DeepEqual(ticks, want) {
		t.Fatalf("ticks %v, want %v", ticks, want)
	}
	tk.Stop()
	_ = c.Advance(time.Hour)
	if len(ticks) != 5 {
		t.Fatalf("a stopped ticker ticked: %v", ticks)
	}
}

// A callback that sets a new timer already due within the advance sees it
// fire in the same Advance (a self-rescheduling evaluator).
func TestTimersSetByCallbacksFire(t *testing.T) {
	c := New(WithStart(start), WithSpeed(0))
	var fired []time.Duration
	var next func(now time.Time)
	next = func(now time.Time) {
		fired = append(fired, now.Sub(start))
		c.AfterFunc(10*time.Second, next)
	}
	c.AfterFunc(10*time.Second, next)
	_ = c.Advance(time.Minute)
	if len(fired) != 6 || fired[5] != time.Minute {
		t.Fatalf("fired %v", fired)
	}
}

func TestTimerStopAndReset(t *testing.T) {
	c := New(WithStart(start), WithSpeed(0))
	n := 0
	tm := c.AfterFunc(time.Minute, func(time.Time) { n++ })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	if tm.Stop() {
		t.Fatal("second Stop reported true")
	}
	_ = c.Advance(time.Hour)
	if n != 0 {
		t.Fatal("a stopped timer fired")
	}
	if tm.Reset(time.Minute) {
		t.Fatal("Reset of a stopped timer reported pending")
	}
	_ = c.Advance(time.Minute)
	if n != 1 {
		t.Fatalf("reset timer fired %d times", n)
	}
}

func TestChannelTimersAndTickers(t *testing.T) {
	c := New(WithStart(start), WithSpeed(0))
	tm := c.NewTimer(time.Minute)
	tk := c.NewTicker(time.Minute)
	defer tk.Stop()
	_ = c.Advance(30 * time.Second)
	select {
	case <-tm.C:
		t.Fatal("timer fired early")
	default:
	}
	_ = c.Advance(3 * time.Minute)
	if got := <-tm.C; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("timer sent %v", got)
	}
	// The ticker's channel holds one tick; the others were dropped.
	if got := <-tk.C; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("ticker sent %v", got)
	}
	select {
	case got := <-tk.C:
		t.Fatalf("ticker buffered a second tick %v", got)
	default:
	}
	if err := c.Advance(-time.Second); err == nil {
		t.Fatal("a negative advance was accepted")
	}
}

// TestRealTimeFiring: with speed > 0, timers fire as real time passes.
func TestRealTimeFiring(t *testing.T) {
	c := New(WithSpeed(1000)) // a virtual minute every 60 ms
	defer c.Close()
	begin := c.Now()
	ch := c.After(time.Minute)
	select {
	case got := <-ch:
		if d := got.Sub(begin); d < time.Minute || d > time.Minute+10*time.Second {
			t.Fatalf("fired for %v", d)
		}
		if c.Now().Before(got) {
			t.Fatalf("fired before its time: now %v, deadline %v", c.Now(), got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a timer did not fire in real time at speed 1000")
	}
	// Speeding up a slow clock brings a far timer in.
	if err := c.SetSpeed(1); err != nil {
		t.Fatal(err)
	}
	far := c.After(time.Hour)
	if err := c.SetSpeed(MaxSpeed); err != nil {
		t.Fatal(err)
	}
	select {
	case <-far:
	case <-time.After(10 * time.Second):
		t.Fatal("SetSpeed did not re-arm the waker")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour*24*365); err == nil {
		t.Fatal("Sleep ignored a done context")
	}
	if err := c.Sleep(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentUse exercises the clock from many goroutines (run with
// -race): readers, timer setters, advancers and speed changes.
func TestConcurrentUse(t *testing.T) {
	c := New(WithStart(start), WithSpeed(0))
	defer c.Close()
	var mu sync.Mutex
	fired := 0
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(4)
		go func() {
			defer wg.Done()
			last := c.Now()
			for i := 0; i < 200; i++ {
				now := c.Now()
				if now.Before(last) {
					t.Errorf("time went backwards: %v after %v", now, last)
				}
				last = now
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				tm := c.AfterFunc(time.Duration(i)*time.Second, func(time.Time) { mu.Lock(); fired++; mu.Unlock() })
				if i%10 == 0 {
					tm.Stop()
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				_ = c.Advance(time.Second)
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_ = c.SetSpeed(float64(i % 3 * 100))
			}
			_ = c.SetSpeed(0)
		}()
	}
	wg.Wait()
	_ = c.Advance(time.Hour)
	mu.Lock()
	defer mu.Unlock()
	if fired == 0 {
		t.Fatal("no timer fired")
	}
}

func TestAfterFuncAt(t *testing.T) {
	c := New(WithStart(start), WithSpeed(0))
	var got []time.Time
	c.AfterFuncAt(start.Add(90*time.Second), func(now time.Time) { got = append(got, now) })
	c.AfterFuncAt(start.Add(-time.Minute), func(now time.Time) { got = append(got, now) }) // already due
	_ = c.Advance(0)
	if len(got) != 1 || !got[0].Equal(start.Add(-time.Minute)) {
		t.Fatalf("a past deadline fires on the next advance: %v", got)
	}
	_ = c.AdvanceTo(start.Add(2 * time.Minute))
	if len(got) != 2 || !got[1].Equal(start.Add(90*time.Second)) {
		t.Fatalf("fired %v", got)
	}
	if !c.Now().Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("Now = %v", c.Now())
	}
}
