package canary

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/alert"
)

// Notifier takes the canary's alerts: the alert Dispatcher, or in `vigil
// serve` a job-queue producer in front of it. Notify should return
// quickly; an error is logged and the alert is offered again on the next
// run of the canary.
type Notifier interface {
	Notify(ctx context.Context, a alert.Alert) error
}

// RunnerOptions are the Runner's optional settings and dependencies.
type RunnerOptions struct {
	// Concurrency bounds the checks in flight; default 32.
	Concurrency int
	// Jitter is the most a run is delayed at random past its slot
	// (capped at a tenth of the canary's interval); default 1s, negative
	// for none. Runs are also spread over the interval by a hash of the
	// canary's name, so a thousand canaries do not start at once.
	Jitter time.Duration
	// Clock drives the schedule; default SystemClock.
	Clock    Clock
	Notifier Notifier
	Sinks    []Sink
	Logger   *slog.Logger
	// Seed seeds the jitter; 0 seeds from the clock.
	Seed uint64
	// Restore is the alert state per canary key (Check.Key) to start
	// from, so a restarted runner resolves what was alerting before.
	Restore map[string]State
}

// Runner runs canaries on their intervals with bounded concurrency,
// records results, keeps each canary's alert state and notifies on
// transitions.
type Runner struct {
	entries []*entry
	byName  map[string]*entry
	opts    RunnerOptions
	prober  *prober
	m       *metrics
	running atomic.Bool
}

type entry struct {
	check *Check
	// scheduler-owned:
	base  time.Time // the slot of the next run
	next  time.Time // base plus jitter
	index int

	mu      sync.Mutex // held for a whole run
	state   State
	last    Result
	pending *alert.Alert // a notification that failed, offered again
}

// NewRunner validates the checks (names unique per environment) and
// returns a runner; its metrics are registered with reg (nil: not
// registered).
func NewRunner(checks []*Check, reg prometheus.Registerer, opts RunnerOptions) (*Runner, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.Jitter == 0 {
		opts.Jitter = time.Second
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{byName: map[string]*entry{}, opts: opts, prober: newProber(opts.Concurrency)}
	for _, c := range checks {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if _, dup := r.byName[c.Key()]; dup {
			return nil, fmt.Errorf("canary %q is defined twice in environment %q", c.Name, c.Environment)
		}
		e := &entry{check: c, state: opts.Restore[c.Key()]}
		r.entries = append(r.entries, e)
		r.byName[c.Key()] = e
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	r.m = m
	return r, nil
}

// maxJitter is the jitter bound of one canary.
func (r *Runner) maxJitter(c *Check) time.Duration {
	if r.opts.Jitter < 0 {
		return 0
	}
	return min(r.opts.Jitter, c.Interval/10)
}

// splay spreads first runs over the interval (less the jitter bound, so
// a run never slips into the next slot) by a hash of the key: stable
// across restarts.
func (r *Runner) splay(c *Check) time.Duration {
	span := c.Interval - r.maxJitter(c)
	if span <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(c.Key()))
	return time.Duration(h.Sum64() % uint64(span))
}

// Run schedules every canary until ctx ends, then waits for the checks in
// flight (their requests are cancelled) and returns nil. A Runner runs
// once at a time.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("canary runner is already running")
	}
	defer r.running.Store(false)
	clock := r.opts.Clock
	seed := r.opts.Seed
	if seed == 0 {
		seed = uint64(clock.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	jitter := func(e *entry) time.Duration {
		if j := r.maxJitter(e.check); j > 0 {
			return time.Duration(rng.Int64N(int64(j)))
		}
		return 0
	}

	now := clock.Now()
	h := &schedule{}
	for _, e := range r.entries {
		e.base = now.Add(r.splay(e.check))
		e.next = e.base.Add(jitter(e))
		heap.Push(h, e)
	}
	// Each entry is in exactly one place (heap, work, a worker, done), so
	// channels of len(entries) never block.
	work := make(chan *entry, len(r.entries))
	done := make(chan *entry, len(r.entries))
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, max(1, len(r.entries))) {
		wg.Go(func() {
			for e := range work {
				r.run(ctx, e)
				done <- e
			}
		})
	}
	defer func() {
		close(work)
		wg.Wait()
		r.prober.close()
	}()
	for {
		now = clock.Now()
		for h.Len() > 0 && !(*h)[0].next.After(now) {
			work <- heap.Pop(h).(*entry)
		}
		var wake <-chan time.Time
		if h.Len() > 0 {
			wake = clock.After((*h)[0].next.Sub(now))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case e := <-done:
			// The next slot after the one that ran; slots missed (a slow
			// check, a clock jump) are skipped, not run in a burst.
			iv := e.check.Interval
			e.base = e.base.Add(iv)
			if now := clock.Now(); !e.base.After(now) {
				e.base = e.base.Add(iv * (now.Sub(e.base)/iv + 1))
			}
			e.next = e.base.Add(jitter(e))
			heap.Push(h, e)
		}
	}
}

// RunOnce runs one canary now (by key, Check.Key), as a scheduled run
// would: state, metrics, sinks and notifications included.
func (r *Runner) RunOnce(ctx context.Context, key string) (Result, error) {
	e := r.byName[key]
	if e == nil {
		return Result{}, fmt.Errorf("no canary %q", key)
	}
	return r.run(ctx, e), nil
}

// States returns each canary's alert state and last result, by key.
func (r *Runner) States() map[string]Status {
	out := make(map[string]Status, len(r.entries))
	for _, e := range r.entries {
		e.mu.Lock()
		out[e.check.Key()] = Status{State: e.state, Last: e.last}
		e.mu.Unlock()
	}
	return out
}

// Status is a canary's alert state and last result.
type Status struct {
	State State  `json:"state"`
	Last  Result `json:"last"`
}

// Keys lists the canary keys, sorted.
func (r *Runner) Keys() []string { return slices.Sorted(maps.Keys(r.byName)) }

func (r *Runner) run(ctx context.Context, e *entry) Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.check
	res := r.prober.probe(ctx, c, r.opts.Clock.Now())
	if ctx.Err() != nil {
		// Shutting down: a cancelled request says nothing about the target.
		return res
	}
	st, tr := Step(e.state, Thresholds{Failure: c.FailureThreshold, Success: c.SuccessThreshold}, res.OK, res.Time, res.Reason)
	e.state, e.last = st, res
	r.m.observe(res, st.Alerting)
	for _, s := range r.opts.Sinks {
		if err := s.RecordResult(ctx, res); err != nil {
			r.opts.Logger.Warn("canary: result not recorded", "canary", c.Name, "env", c.Environment, "err", err)
		}
	}
	var a *alert.Alert
	switch {
	case tr != None:
		x := c.Alert(st, res)
		a = &x
	case e.pending != nil && e.pending.Status == alert.StatusFiring && st.Alerting:
		x := c.Alert(st, res)
		a = &x
	case e.pending != nil && e.pending.Status == alert.StatusResolved && !st.Alerting:
		a = e.pending
	default:
		e.pending = nil
	}
	if tr != None {
		r.opts.Logger.Info("canary: "+tr.String(), "canary", c.Name, "env", c.Environment, "reason", st.Reason)
	}
	if a != nil && r.opts.Notifier != nil {
		if err := r.opts.Notifier.Notify(ctx, *a); err != nil {
			r.opts.Logger.Error("canary: alert not delivered; offered again next run", "canary", c.Name, "env", c.Environment, "status", a.Status, "err", err)
			e.pending = a
		} else {
			e.pending = nil
		}
	}
	return res
}

// schedule is a min-heap of entries by next run.
type schedule []*entry

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].next.Before(s[j].next) }
func (s schedule) Swap(i, j int) {
	s[i], s[j] = s[j], s[i]
	s[i].index, s[j].index = i, j
}
func (s *schedule) Push(x any) {
	e := x.(*entry)
	e.index = len(*s)
	*s = append(*s, e)
}
func (s *schedule) Pop() any {
	old := *s
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*s = old[:n-1]
	return e
}
