package canary

import (
	"context"
	"slices"
	"sync"
)

// Sink receives every result (the store implements it later; CloudWatch
// does; Memory does for tests). Implementations must be safe for
// concurrent use; an error is logged and does not stop the runner.
type Sink interface {
	RecordResult(ctx context.Context, r Result) error
}

// Memory is a Sink keeping the last results of each canary.
type Memory struct {
	mu      sync.Mutex
	keep    int
	results map[string][]Result
	notify  chan Result
}

// NewMemory keeps the last keep results per canary (keep ≤ 0: 100).
func NewMemory(keep int) *Memory {
	if keep <= 0 {
		keep = 100
	}
	return &Memory{keep: keep, results: map[string][]Result{}}
}

// Notify returns a channel that gets every result as it is recorded
// (buffered; results beyond the buffer are dropped from the channel, not
// from Memory). Call before the runner starts.
func (m *Memory) Notify(buffer int) <-chan Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notify = make(chan Result, buffer)
	return m.notify
}

// RecordResult implements Sink.
func (m *Memory) RecordResult(_ context.Context, r Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := append(m.results[r.Canary], r)
	if len(rs) > m.keep {
		rs = rs[len(rs)-m.keep:]
	}
	m.results[r.Canary] = rs
	if m.notify != nil {
		select {
		case m.notify <- r:
		default:
		}
	}
	return nil
}

// Results returns a copy of a canary's kept results, oldest first.
func (m *Memory) Results(canary string) []Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.results[canary])
}

// Count returns how many results are kept over all canaries.
func (m *Memory) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, rs := range m.results {
		n += len(rs)
	}
	return n
}
