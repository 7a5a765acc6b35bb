package alert

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// Action is what a notification does at its receiver.
type Action string

// The actions.
const (
	ActionTrigger Action = "trigger" // the first firing notification
	ActionUpdate  Action = "update"  // the content of a firing alert changed
	ActionResolve Action = "resolve" // the alert resolved
)

func actionOf(a Alert) Action {
	switch {
	case a.Status == StatusResolved:
		return ActionResolve
	case a.Revision > 0:
		return ActionUpdate
	default:
		return ActionTrigger
	}
}

// Outcome is how one delivery attempt ended.
type Outcome string

// The outcomes (the outcome label of alert_deliveries_total).
const (
	OutcomeSuccess Outcome = "success" // the receiver took it
	OutcomeRetry   Outcome = "retry"   // failed; another attempt follows
	OutcomeFailed  Outcome = "failed"  // failed; no attempt follows (permanent, or out of attempts or time)
)

// Attempt is one try to deliver one notification to one receiver: what
// the Recorder stores, and what Noise reads.
type Attempt struct {
	At          time.Time     `json:"at"`
	Key         string        `json:"key"` // Alert.Key
	Kind        Kind          `json:"kind"`
	Severity    Severity      `json:"severity"`
	Environment string        `json:"environment,omitempty"`
	Layer       string        `json:"layer,omitempty"`
	Stack       string        `json:"stack,omitempty"`
	Summary     string        `json:"summary"`
	Status      Status        `json:"status"`
	Action      Action        `json:"action"`
	Revision    int           `json:"revision"`
	FiringSince time.Time     `json:"firing_since"` // identifies the episode: when the key started firing
	Route       string        `json:"route"`        // the first route that chose the receiver
	Receiver    string        `json:"receiver"`
	Integration string        `json:"integration"`
	Attempt     int           `json:"attempt"` // 1 for the first try
	Outcome     Outcome       `json:"outcome"`
	Error       string        `json:"error,omitempty"` // secrets redacted
	Duration    time.Duration `json:"duration"`
}

// Recorder stores delivery attempts, one call per attempt, in order.
// The store implements it later; Memory does for tests. A Recorder error
// is logged and does not fail the delivery. Implementations must be safe
// for concurrent use.
type Recorder interface {
	RecordAttempt(ctx context.Context, a Attempt) error
}

// ReceiverState is what one receiver was last told about a key.
type ReceiverState struct {
	Firing   bool   `json:"firing"`   // it holds an open (triggered, unresolved) notification
	Hash     string `json:"hash"`     // content hash of what it was sent last
	Revision int    `json:"revision"` // revision it was sent last
	Route    string `json:"route"`    // route that chose it (resolves are recorded under it)
}

// State is the dispatcher's memory of one alert key: whether it fires,
// since when, and what each receiver holds. It is what makes "one firing
// notification until it resolves" hold across restarts when the
// StateStore is durable.
type State struct {
	Key         string                   `json:"key"`
	Kind        Kind                     `json:"kind"`
	Environment string                   `json:"environment,omitempty"`
	Firing      bool                     `json:"firing"`
	Since       time.Time                `json:"since"`
	Receivers   map[string]ReceiverState `json:"receivers"`
}

// open reports whether any receiver still holds a firing notification.
func (s State) open() bool {
	for _, r := range s.Receivers {
		if r.Firing {
			return true
		}
	}
	return false
}

// StateStore keeps States by key. SaveState of a state that is neither
// Firing nor open may delete it. Implementations must be safe for
// concurrent use; the dispatcher serialises calls per key.
type StateStore interface {
	LoadState(ctx context.Context, key string) (State, bool, error)
	SaveState(ctx context.Context, s State) error
	// ListStates returns every stored state (for gauges after a restart).
	ListStates(ctx context.Context) ([]State, error)
}

// Memory is an in-memory Recorder and StateStore, for tests and for a
// process without a store.
type Memory struct {
	mu       sync.Mutex
	attempts []Attempt
	states   map[string]State
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{states: map[string]State{}} }

// RecordAttempt implements Recorder.
func (m *Memory) RecordAttempt(_ context.Context, a Attempt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.attempts = append(m.attempts, a)
	return nil
}

// Attempts returns a copy of the recorded attempts, in order.
func (m *Memory) Attempts() []Attempt {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.attempts)
}

// LoadState implements StateStore.
func (m *Memory) LoadState(_ context.Context, key string) (State, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.states[key]
	if ok {
		s.Receivers = maps.Clone(s.Receivers)
	}
	return s, ok, nil
}

// SaveState implements StateStore.
func (m *Memory) SaveState(_ context.Context, s State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !s.Firing && !s.open() {
		delete(m.states, s.Key)
		return nil
	}
	s.Receivers = maps.Clone(s.Receivers)
	m.states[s.Key] = s
	return nil
}

// ListStates implements StateStore.
func (m *Memory) ListStates(context.Context) ([]State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]State, 0, len(m.states))
	for _, k := range slices.Sorted(maps.Keys(m.states)) {
		s := m.states[k]
		s.Receivers = maps.Clone(s.Receivers)
		out = append(out, s)
	}
	return out, nil
}
