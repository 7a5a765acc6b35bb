package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sink delivers one notification. It tries once: the Dispatcher owns
// retries, dedupe and resolves. retry says whether a failure is worth
// another try (timeouts, 429, 5xx) or permanent (bad credentials, 400).
// A sink wraps a wait its receiver asked for in a *RetryAfterError.
// Errors must not contain secrets.
type Sink interface {
	Send(ctx context.Context, a Alert) (retry bool, err error)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, a Alert) (bool, error)

// Send implements Sink.
func (f SinkFunc) Send(ctx context.Context, a Alert) (bool, error) { return f(ctx, a) }

// Receiver is a named sink; routes name receivers.
type Receiver struct {
	Name        string
	Integration string // "slack", "pagerduty", "webhook", "sns", or a custom name
	Sink        Sink
	// Secrets are values the dispatcher redacts from errors and alerts
	// (the sink's URL, key or HMAC secret), besides what the sink does.
	Secrets []string
}

// RetryPolicy bounds the tries of one delivery: at most Attempts tries,
// waiting Initial, 2×Initial, … (at most Max, jittered down by up to a
// fifth, at least a receiver's Retry-After) in between, all within
// Deadline.
type RetryPolicy struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
	Deadline time.Duration
}

// The default retry policy: 5 tries, 1 s doubling to 30 s, within 2
// minutes.
const (
	DefaultAttempts      = 5
	DefaultRetryInitial  = time.Second
	DefaultRetryMax      = 30 * time.Second
	DefaultRetryDeadline = 2 * time.Minute
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Initial <= 0 {
		p.Initial = DefaultRetryInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultRetryMax
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Deadline <= 0 {
		p.Deadline = DefaultRetryDeadline
	}
	return p
}

// backoff is the wait after try n (1-based).
func (p RetryPolicy) backoff(n int, jitter float64) time.Duration {
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d - time.Duration(float64(d)*0.2*jitter)
}

// Options are the Dispatcher's optional dependencies and settings.
type Options struct {
	Retry RetryPolicy
	// SinkFailureAfter is how many notifications in a row a receiver must
	// fail (after retries) before a sink-failure alert goes to the other
	// receivers; default 3.
	SinkFailureAfter int
	// Recorder gets every delivery attempt; nil records nothing.
	Recorder Recorder
	// States keeps dedupe state; default an in-memory store (dedupe then
	// does not survive a restart).
	States StateStore
	Logger *slog.Logger
	Now    func() time.Time
	// Sleep waits between tries; default a timer that ctx cancels.
	Sleep func(ctx context.Context, d time.Duration) error
	// Secrets are more values to redact everywhere.
	Secrets []string
}

// Dispatcher routes alerts to receivers, dedupes, updates and resolves,
// retries with backoff, records every attempt and reports receivers that
// keep failing. It is safe for concurrent use; calls for one alert key are
// serialised.
type Dispatcher struct {
	root      *Route
	receivers map[string]Receiver
	names     []string
	opts      Options
	m         *metrics
	red       redactor
	locks     keyLocks

	mu       sync.Mutex
	failures map[string]int // consecutive failed deliveries, by receiver
	lastErr  map[string]string
	raised   map[string]bool // a sink-failure alert fires for the receiver
}

// NewDispatcher validates the routing tree against the receivers and
// returns a dispatcher. Metrics are registered with reg (nil: not
// registered).
func NewDispatcher(root *Route, receivers []Receiver, reg prometheus.Registerer, opts Options) (*Dispatcher, error) {
	d := &Dispatcher{
		root: root, receivers: map[string]Receiver{}, opts: opts,
		failures: map[string]int{}, lastErr: map[string]string{}, raised: map[string]bool{},
	}
	for _, r := range receivers {
		if err := checkName(r.Name); err != nil {
			return nil, fmt.Errorf("receiver %q: %w", r.Name, err)
		}
		if r.Sink == nil {
			return nil, fmt.Errorf("receiver %q: no sink", r.Name)
		}
		if _, dup := d.receivers[r.Name]; dup {
			return nil, fmt.Errorf("receiver %q is defined twice", r.Name)
		}
		d.receivers[r.Name] = r
		d.names = append(d.names, r.Name)
		for _, s := range r.Secrets {
			d.red.add(s)
		}
	}
	for _, s := range opts.Secrets {
		d.red.add(s)
	}
	tree, err := root.normalized(d.names)
	if err != nil {
		return nil, err
	}
	d.root = tree
	d.opts.Retry = opts.Retry.withDefaults()
	if d.opts.SinkFailureAfter <= 0 {
		d.opts.SinkFailureAfter = 3
	}
	if d.opts.States == nil {
		d.opts.States = NewMemory()
	}
	if d.opts.Logger == nil {
		d.opts.Logger = slog.New(slog.DiscardHandler)
	}
	if d.opts.Now == nil {
		d.opts.Now = time.Now
	}
	if d.opts.Sleep == nil {
		d.opts.Sleep = sleep
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	d.m = m
	return d, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Load sets the alerts_firing gauge from the state store: call it once
// after a restart with a durable store.
func (d *Dispatcher) Load(ctx context.Context) error {
	states, err := d.opts.States.ListStates(ctx)
	if err != nil {
		return fmt.Errorf("load alert states: %w", err)
	}
	for _, s := range states {
		if s.Firing {
			d.m.firing.WithLabelValues(string(s.Kind), s.Environment).Inc()
		}
	}
	return nil
}

// Delivery is the outcome of notifying one receiver.
type Delivery struct {
	Receiver    string
	Integration string
	Route       string
	Action      Action
	Revision    int
	Attempts    int
	Err         error // a *DeliveryError, or nil
}

// Result says what Dispatch did with an alert.
type Result struct {
	Key        string
	Deliveries []Delivery
	// Deduped lists receivers that already hold this alert with this
	// content: nothing was sent to them.
	Deduped []string
}

// Sent lists the receivers that took a notification.
func (r Result) Sent() []string {
	var out []string
	for _, d := range r.Deliveries {
		if d.Err == nil {
			out = append(out, d.Receiver)
		}
	}
	return out
}

// DeliveryError is a delivery that failed after its tries.
type DeliveryError struct {
	Receiver    string
	Integration string
	Attempts    int
	Err         error // the last try's error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify receiver %q (%s): gave up after %d attempt(s): %v", e.Receiver, e.Integration, e.Attempts, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Notify is Dispatch without the result.
func (d *Dispatcher) Notify(ctx context.Context, a Alert) error {
	_, err := d.Dispatch(ctx, a)
	return err
}

// Dispatch routes a firing or resolved alert and delivers it:
//
//   - firing: receivers chosen by the routing tree get a trigger, unless
//     they already hold this key; if they do and the content (summary,
//     severity, details, links, labels) changed they get an update, else
//     nothing (Result.Deduped);
//   - resolved: every receiver that holds a firing notification for the
//     key gets a resolve, wherever the tree routes now; a key nobody was
//     told about resolves silently.
//
// The alert goes through Scrub first. The error joins the
// *DeliveryErrors of receivers that did not take it; they are tried
// again on the next Dispatch of the key.
func (d *Dispatcher) Dispatch(ctx context.Context, a Alert) (Result, error) {
	res, err := d.dispatch(ctx, a, "")
	d.accountSinkFailures(ctx, res)
	return res, err
}

type job struct {
	receiver Receiver
	route    string
	action   Action
	revision int
}

func (d *Dispatcher) dispatch(ctx context.Context, a Alert, exclude string) (Result, error) {
	if err := a.Validate(); err != nil {
		return Result{}, err
	}
	now := d.opts.Now()
	if a.StartsAt.IsZero() {
		a.StartsAt = now
	}
	if a.Status == StatusResolved && a.EndsAt.IsZero() {
		a.EndsAt = now
	}
	a.Revision = 0
	a = d.scrub(a)
	key := a.Key()
	res := Result{Key: key}

	unlock := d.locks.lock(key)
	defer unlock()
	st, found, err := d.opts.States.LoadState(ctx, key)
	if err != nil {
		return res, fmt.Errorf("alert %s: load state: %w", key, err)
	}
	if !found {
		st = State{Key: key, Kind: a.Kind, Environment: a.Environment}
	}
	if st.Receivers == nil {
		st.Receivers = map[string]ReceiverState{}
	}
	hash := a.contentHash()

	var jobs []job
	becameFiring, stoppedFiring := false, false
	switch a.Status {
	case StatusFiring:
		if !st.Firing {
			st.Firing, st.Since, becameFiring = true, a.StartsAt, true
		}
		for _, j := range d.targets(a, exclude) {
			rs := st.Receivers[j.receiver.Name]
			switch {
			case rs.Firing && rs.Hash == hash:
				res.Deduped = append(res.Deduped, j.receiver.Name)
				continue
			case rs.Firing:
				j.action, j.revision = ActionUpdate, rs.Revision+1
			default:
				j.action, j.revision = ActionTrigger, 0
			}
			jobs = append(jobs, j)
		}
	case StatusResolved:
		for _, name := range slices.Sorted(maps.Keys(st.Receivers)) {
			rs := st.Receivers[name]
			rcv, ok := d.receivers[name]
			if !ok {
				// The receiver left the configuration: nobody to resolve.
				delete(st.Receivers, name)
				continue
			}
			if rs.Firing {
				jobs = append(jobs, job{receiver: rcv, route: rs.Route, action: ActionResolve, revision: rs.Revision})
			}
		}
		if st.Firing {
			st.Firing, stoppedFiring = false, true
		}
		if !found {
			return res, nil
		}
	}

	since := st.Since
	res.Deliveries = make([]Delivery, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			b := a
			b.Revision = j.revision
			b.StartsAt = since
			n, err := d.deliver(ctx, j, b, since)
			res.Deliveries[i] = Delivery{Receiver: j.receiver.Name, Integration: j.receiver.Integration,
				Route: j.route, Action: j.action, Revision: j.revision, Attempts: n, Err: err}
		})
	}
	wg.Wait()

	var errs []error
	for i, dl := range res.Deliveries {
		if dl.Err != nil {
			errs = append(errs, dl.Err)
			continue
		}
		switch jobs[i].action {
		case ActionResolve:
			delete(st.Receivers, dl.Receiver)
		default:
			st.Receivers[dl.Receiver] = ReceiverState{Firing: true, Hash: hash, Revision: dl.Revision, Route: dl.Route}
		}
	}
	if err := d.opts.States.SaveState(ctx, st); err != nil {
		errs = append(errs, fmt.Errorf("alert %s: save state: %w", key, err))
	}
	if becameFiring {
		d.m.firing.WithLabelValues(string(st.Kind), st.Environment).Inc()
	}
	if stoppedFiring {
		d.m.firing.WithLabelValues(string(st.Kind), st.Environment).Dec()
	}
	return res, errors.Join(errs...)
}

// targets are the receivers the tree routes a to, each once (under the
// first route naming it), without exclude. With exclude set (a
// sink-failure alert) and nobody left, every other receiver is a target.
func (d *Dispatcher) targets(a Alert, exclude string) []job {
	seen := map[string]bool{exclude: true}
	var out []job
	for _, m := range d.root.Match(a) {
		for _, name := range m.Receivers {
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, job{receiver: d.receivers[name], route: m.Route})
		}
	}
	if len(out) == 0 && exclude != "" {
		for _, name := range d.names {
			if name != exclude {
				out = append(out, job{receiver: d.receivers[name], route: "sink-failure-fallback"})
			}
		}
	}
	return out
}

// deliver tries one notification until it is taken, fails permanently, or
// runs out of attempts or time.
func (d *Dispatcher) deliver(ctx context.Context, j job, a Alert, since time.Time) (int, error) {
	pol := d.opts.Retry
	ctx, cancel := context.WithTimeout(ctx, pol.Deadline)
	defer cancel()
	rcv := j.receiver
	fail := func(n int, err error) error {
		return &DeliveryError{Receiver: rcv.Name, Integration: rcv.Integration, Attempts: n, Err: err}
	}
	var last error
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			if last == nil {
				return n - 1, fail(n-1, err)
			}
			return n - 1, fail(n-1, fmt.Errorf("%w (stopped: %v)", last, err))
		}
		t0 := time.Now()
		retry, err := rcv.Sink.Send(ctx, a)
		dur := time.Since(t0)
		outcome, wait, noTime := OutcomeSuccess, time.Duration(0), false
		if err != nil {
			outcome = OutcomeFailed
			if retry && n < pol.Attempts {
				wait = pol.backoff(n, rand.Float64())
				var ra *RetryAfterError
				if errors.As(err, &ra) && ra.After > wait {
					wait = ra.After
				}
				if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > wait {
					outcome = OutcomeRetry
				} else {
					noTime = true
				}
			}
			err = d.redactErr(err)
		}
		d.record(ctx, j, a, since, n, outcome, err, dur)
		if err == nil {
			return n, nil
		}
		last = err
		if noTime {
			return n, fail(n, fmt.Errorf("%w (the next try, in %s, would pass the delivery deadline)", last, wait.Round(time.Millisecond)))
		}
		if outcome == OutcomeFailed {
			return n, fail(n, last)
		}
		if serr := d.opts.Sleep(ctx, wait); serr != nil {
			return n, fail(n, fmt.Errorf("%w (stopped: %v)", last, serr))
		}
	}
}

func (d *Dispatcher) record(ctx context.Context, j job, a Alert, since time.Time, n int, outcome Outcome, err error, dur time.Duration) {
	d.m.deliveries.WithLabelValues(j.receiver.Name, string(outcome)).Inc()
	d.m.seconds.WithLabelValues(j.receiver.Name).Observe(dur.Seconds())
	if d.opts.Recorder == nil {
		return
	}
	at := Attempt{
		At: d.opts.Now(), Key: a.Key(), Kind: a.Kind, Severity: a.Severity,
		Environment: a.Environment, Layer: a.Layer, Stack: a.Stack, Summary: a.Summary,
		Status: a.Status, Action: j.action, Revision: j.revision, FiringSince: since,
		Route: j.route, Receiver: j.receiver.Name, Integration: j.receiver.Integration,
		Attempt: n, Outcome: outcome, Duration: dur,
	}
	if err != nil {
		at.Error = err.Error()
	}
	if rerr := d.opts.Recorder.RecordAttempt(ctx, at); rerr != nil {
		d.opts.Logger.Warn("alert: delivery attempt not recorded", "key", at.Key, "receiver", at.Receiver, "err", rerr)
	}
}

// redactErr hides configured secrets in an error's text. An error whose
// text changed is replaced by a plain one, so no wrapped error can show
// the secret either.
func (d *Dispatcher) redactErr(err error) error {
	msg := err.Error()
	red := ScrubText(d.red.redact(msg))
	if red == msg {
		return err
	}
	return errors.New(red)
}

func (d *Dispatcher) scrub(a Alert) Alert {
	a = Scrub(a)
	a.Summary = d.red.redact(a.Summary)
	a.FirstStep = d.red.redact(a.FirstStep)
	a.Resource = d.red.redact(a.Resource)
	for i := range a.Details {
		a.Details[i].Value = d.red.redact(a.Details[i].Value)
	}
	for k, v := range a.Labels {
		a.Labels[k] = d.red.redact(v)
	}
	return a
}

// accountSinkFailures counts failed deliveries per receiver; the
// SinkFailureAfter-th in a row fires a sink-failure alert to the other
// receivers, and the next success resolves it.
func (d *Dispatcher) accountSinkFailures(ctx context.Context, res Result) {
	type change struct {
		receiver, integration, lastErr string
		n                              int
		fire                           bool
	}
	var changes []change
	d.mu.Lock()
	for _, dl := range res.Deliveries {
		name := dl.Receiver
		if dl.Err != nil {
			d.failures[name]++
			d.lastErr[name] = dl.Err.Error()
			if d.failures[name] >= d.opts.SinkFailureAfter && !d.raised[name] {
				d.raised[name] = true
				changes = append(changes, change{name, dl.Integration, d.lastErr[name], d.failures[name], true})
			}
			continue
		}
		d.failures[name] = 0
		if d.raised[name] {
			d.raised[name] = false
			changes = append(changes, change{receiver: name, integration: dl.Integration})
		}
	}
	d.mu.Unlock()
	for _, c := range changes {
		a := Alert{
			Fingerprint: "sink-failure/" + c.receiver,
			Status:      StatusResolved,
			Kind:        KindSinkFailure,
			Severity:    SeverityError,
			Resource:    c.receiver,
			Summary:     fmt.Sprintf("alert receiver %s (%s) is failing: alerts routed only to it reach nobody", c.receiver, c.integration),
			FirstStep:   "Check the receiver's endpoint and credentials (URL, routing key, topic permissions); vigil keeps retrying and resends what it missed on the next notification of each alert.",
			Labels:      map[string]string{"receiver": c.receiver, "integration": c.integration},
		}
		if c.fire {
			a.Status = StatusFiring
			a.Details = []Detail{
				{Key: "failed notifications in a row", Value: fmt.Sprint(c.n)},
				{Key: "last error", Value: c.lastErr},
			}
		}
		if _, err := d.dispatch(ctx, a, c.receiver); err != nil {
			d.opts.Logger.Error("alert: sink-failure alert not delivered", "receiver", c.receiver, "err", err)
		}
	}
}

// keyLocks serialises work per alert key.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
