// Package queue is the sandbox's durable delivery queue: jobs (an SNS
// message to one subscriber, an EventBridge event to one target, an
// asynchronous Lambda invocation) are written into the sandbox's state in
// the same transaction as what caused them, and run by a few workers, with
// retries scheduled on the sandbox's virtual clock.
//
// Because a job commits with its cause, nothing acknowledged is lost when
// the sandbox stops mid-delivery: jobs still in the state when a Queue
// starts are run again (at least once, as AWS delivers). A job's handler
// runs in real time; only the wait before a retry (and a job's NotBefore)
// follows the virtual clock, so a stepped clock holds retries until it is
// advanced.
//
// # Example
//
//	q := queue.New(st, "sns/delivery", clock, 4, handle, logger)
//	_ = st.Update(ctx, func(tx *state.Tx) error { … ; return queue.Put(tx, "sns/delivery", job) })
//	q.Kick()
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// Job is one unit of delivery.
type Job struct {
	Key       string          `json:"key"`
	Kind      string          `json:"kind"`
	Payload   json.RawMessage `json:"payload"`
	Attempt   int             `json:"attempt"`    // attempts made so far
	NotBefore time.Time       `json:"not_before"` // virtual time; zero: at once
	Created   time.Time       `json:"created"`    // virtual time
	LastError string          `json:"last_error,omitempty"`
}

// Retry is returned by a handler to run the job again at a virtual time.
type Retry struct {
	At  time.Time
	Err error
}

func (r *Retry) Error() string {
	return fmt.Sprintf("retry at %s: %v", r.At.Format(time.RFC3339), r.Err)
}
func (r *Retry) Unwrap() error { return r.Err }

// Handler runs a job. nil: done, the job is removed. A *Retry: the job is
// kept and run again at Retry.At. Any other error: the job failed for good
// and is removed (the handler logs or records why).
type Handler func(ctx context.Context, j Job) error

// NewKey is a fresh job key that sorts after earlier keys of the same
// virtual time.
func NewKey(now time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%019d/%s", now.UnixNano(), hex.EncodeToString(b[:]))
}

// Put writes a job in tx (Key and Created filled when empty). Call Kick on
// the queue after the transaction commits.
func Put(tx *state.Tx, ns string, j Job, now time.Time) error {
	if j.Created.IsZero() {
		j.Created = now
	}
	if j.Key == "" {
		j.Key = NewKey(now)
	}
	return tx.Put(ns, j.Key, j)
}

// Queue runs the jobs of one state namespace.
type Queue struct {
	st      *state.Store
	ns      string
	clock   *simclock.Clock
	handle  Handler
	logger  *slog.Logger
	workers int

	mu        sync.Mutex
	inflight  map[string]bool
	scheduled map[int64]bool // virtual times a wake-up is set for
	kick      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	sem       chan struct{}
	started   bool
}

// New returns a queue over namespace ns running at most workers jobs at
// once. Nothing runs until Start.
func New(st *state.Store, ns string, clock *simclock.Clock, workers int, handle Handler, logger *slog.Logger) *Queue {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if workers < 1 {
		workers = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Queue{st: st, ns: ns, clock: clock, handle: handle, logger: logger, workers: workers,
		inflight: map[string]bool{}, scheduled: map[int64]bool{}, kick: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, workers)}
}

// NS is the queue's state namespace.
func (q *Queue) NS() string { return q.ns }

// Start runs the queue until Close: jobs left from before run first.
func (q *Queue) Start() {
	q.mu.Lock()
	if q.started {
		q.mu.Unlock()
		return
	}
	q.started = true
	q.mu.Unlock()
	q.wg.Add(1)
	go q.loop()
	q.Kick()
}

// Kick makes the queue look for due jobs (after a Put commits). It never
// blocks.
func (q *Queue) Kick() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Close stops the queue: running handlers see their context cancelled,
// and jobs not finished stay in the state for the next Start.
func (q *Queue) Close() {
	q.cancel()
	q.wg.Wait()
}

// safetyPoll is how often the queue looks for jobs nobody kicked it for
// (written by code without a handle on the queue).
const safetyPoll = time.Second

func (q *Queue) loop() {
	defer q.wg.Done()
	poll := time.NewTicker(safetyPoll)
	defer poll.Stop()
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-q.kick:
		case <-poll.C:
		}
		q.scan()
	}
}

func (q *Queue) scan() {
	ents, err := q.st.List(q.ctx, state.ListParams{NS: q.ns})
	if err != nil {
		if q.ctx.Err() == nil {
			q.logger.Warn("queue: list jobs", "ns", q.ns, "err", err)
		}
		return
	}
	now := q.clock.Now()
	for _, e := range ents {
		var j Job
		if err := json.Unmarshal(e.Value, &j); err != nil {
			q.logger.Error("queue: undecodable job dropped", "ns", q.ns, "key", e.Key, "err", err)
			_ = q.st.Delete(q.ctx, q.ns, e.Key)
			continue
		}
		j.Key = e.Key
		if j.NotBefore.After(now) {
			q.wakeAt(j.NotBefore)
			continue
		}
		if !q.claim(j.Key) {
			continue
		}
		// The list is a snapshot: the job may have run, and been retried
		// or removed, since. Read it again now that it is claimed (a run
		// records its outcome before it lets go of its claim), so a job
		// never runs twice for one due time.
		var cur Job
		if err := q.st.Get(q.ctx, q.ns, j.Key, &cur); err != nil {
			q.release(j.Key)
			if !errors.Is(err, state.ErrNotFound) && q.ctx.Err() == nil {
				q.logger.Warn("queue: read job", "ns", q.ns, "key", j.Key, "err", err)
			}
			continue
		}
		cur.Key = j.Key
		if cur.NotBefore.After(now) {
			q.release(j.Key)
			q.wakeAt(cur.NotBefore)
			continue
		}
		select {
		case q.sem <- struct{}{}:
		case <-q.ctx.Done():
			q.release(j.Key)
			return
		}
		q.wg.Add(1)
		go q.run(cur)
	}
}

// wakeAt sets a virtual-clock wake-up at t (once per distinct time).
// claim marks a job in flight; false when it already is.
func (q *Queue) claim(key string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inflight[key] {
		return false
	}
	q.inflight[key] = true
	return true
}

func (q *Queue) release(key string) {
	q.mu.Lock()
	delete(q.inflight, key)
	q.mu.Unlock()
}

func (q *Queue) wakeAt(t time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := t.UnixNano()
	if q.scheduled[k] {
		return
	}
	q.scheduled[k] = true
	q.clock.AfterFuncAt(t, func(time.Time) {
		q.mu.Lock()
		delete(q.scheduled, k)
		q.mu.Unlock()
		q.Kick()
	})
}

func (q *Queue) run(j Job) {
	defer q.wg.Done()
	defer func() {
		<-q.sem
		q.release(j.Key)
		q.Kick()
	}()
	err := q.safeHandle(j)
	if q.ctx.Err() != nil {
		return // closing: the job stays for the next start
	}
	ctx := context.WithoutCancel(q.ctx)
	var retry *Retry
	switch {
	case err == nil:
		err = q.st.Delete(ctx, q.ns, j.Key)
	case errors.As(err, &retry):
		j.Attempt++
		j.NotBefore = retry.At
		if retry.Err != nil {
			j.LastError = retry.Err.Error()
		}
		err = q.st.Put(ctx, q.ns, j.Key, j)
	default:
		q.logger.Debug("queue: job failed", "ns", q.ns, "kind", j.Kind, "key", j.Key, "err", err)
		err = q.st.Delete(ctx, q.ns, j.Key)
	}
	if err != nil {
		q.logger.Error("queue: record job outcome", "ns", q.ns, "key", j.Key, "err", err)
	}
}

func (q *Queue) safeHandle(j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			q.logger.Error("queue: job handler panicked", "ns", q.ns, "kind", j.Kind, "panic", p)
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return q.handle(q.ctx, j)
}

// Pending lists the jobs not finished yet, oldest first.
func Pending(ctx context.Context, st *state.Store, ns string) ([]Job, error) {
	ents, err := st.List(ctx, state.ListParams{NS: ns})
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(ents))
	for _, e := range ents {
		var j Job
		if err := json.Unmarshal(e.Value, &j); err != nil {
			return nil, err
		}
		j.Key = e.Key
		out = append(out, j)
	}
	return out, nil
}
