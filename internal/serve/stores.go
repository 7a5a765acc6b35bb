package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/queue"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/postgres"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
)

// StoreFileName is the embedded store under .vigil/ (the pipeline's).
const StoreFileName = "vigil.db"

// OpenStore opens the store vigil.hcl's serve block names — a PostgreSQL
// database for store (or store_env) = "postgres://…", else the
// repository's SQLite file — and says where the job queue lives with it.
func OpenStore(ctx context.Context, cfg *config.Config, lookupEnv func(string) (string, bool)) (store.Store, queue.DB, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	dsn := cfg.Serve.Store
	if cfg.Serve.StoreEnv != "" {
		v, ok := lookupEnv(cfg.Serve.StoreEnv)
		if !ok || v == "" {
			return nil, queue.DB{}, fmt.Errorf("serve: store_env names %s, which is not set", cfg.Serve.StoreEnv)
		}
		dsn = v
	}
	if dsn != "" {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, queue.DB{}, err
		}
		return st, queue.DB{Pool: st.Pool()}, nil
	}
	st, err := sqlite.Open(filepath.Join(cfg.StateDir(), StoreFileName))
	if err != nil {
		return nil, queue.DB{}, err
	}
	return st, queue.DB{SQLitePath: filepath.Join(cfg.StateDir(), queue.FileName)}, nil
}

// alertStore is alert.StateStore and alert.Recorder over the store, so
// dedupe state and delivery attempts survive a restart: a restarted serve
// never sends a firing alert twice.
type alertStore struct{ st store.Store }

func (a alertStore) LoadState(ctx context.Context, key string) (alert.State, bool, error) {
	rec, err := a.st.AlertStateGet(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return alert.State{}, false, nil
	}
	if err != nil {
		return alert.State{}, false, err
	}
	var s alert.State
	if err := json.Unmarshal(rec.State, &s); err != nil {
		return alert.State{}, false, fmt.Errorf("alert state %s: %w", key, err)
	}
	return s, true, nil
}

func (a alertStore) SaveState(ctx context.Context, s alert.State) error {
	open := false
	for _, r := range s.Receivers {
		open = open || r.Firing
	}
	if !s.Firing && !open {
		return a.st.AlertStateDelete(ctx, s.Key)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = a.st.AlertStatePut(ctx, &store.AlertStatePutParams{State: store.AlertState{Key: s.Key, Kind: string(s.Kind), Env: s.Environment, Firing: s.Firing, State: b}})
	return err
}

func (a alertStore) ListStates(ctx context.Context) ([]alert.State, error) {
	recs, err := a.st.AlertStateList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]alert.State, 0, len(recs))
	for _, r := range recs {
		var s alert.State
		if err := json.Unmarshal(r.State, &s); err != nil {
			return nil, fmt.Errorf("alert state %s: %w", r.Key, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (a alertStore) RecordAttempt(ctx context.Context, at alert.Attempt) error {
	_, err := a.st.AlertDeliveryInsert(ctx, &store.AlertDeliveryInsertParams{Delivery: store.AlertDelivery{
		At: at.At, Key: at.Key, Kind: string(at.Kind), Severity: string(at.Severity), Env: at.Environment,
		Layer: at.Layer, Stack: at.Stack, Summary: at.Summary, Status: string(at.Status), Action: string(at.Action),
		Revision: at.Revision, FiringSince: at.FiringSince, Route: at.Route, Receiver: at.Receiver,
		Integration: at.Integration, Attempt: at.Attempt, Outcome: string(at.Outcome), Error: at.Error, Duration: at.Duration,
	}})
	return err
}

// AlertAttempts implements api.AlertSource.
func (a alertStore) AlertAttempts(ctx context.Context, since time.Time) ([]alert.Attempt, error) {
	ds, err := a.st.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{Since: since, Oldest: true})
	if err != nil {
		return nil, err
	}
	out := make([]alert.Attempt, 0, len(ds))
	for _, d := range ds {
		out = append(out, alert.Attempt{
			At: d.At, Key: d.Key, Kind: alert.Kind(d.Kind), Severity: alert.Severity(d.Severity), Environment: d.Env,
			Layer: d.Layer, Stack: d.Stack, Summary: d.Summary, Status: alert.Status(d.Status), Action: alert.Action(d.Action),
			Revision: d.Revision, FiringSince: d.FiringSince, Route: d.Route, Receiver: d.Receiver,
			Integration: d.Integration, Attempt: d.Attempt, Outcome: alert.Outcome(d.Outcome), Error: d.Error, Duration: d.Duration,
		})
	}
	return out, nil
}

// driftSource is api.DriftSource over the stored reports: each stored
// stack report (and unmanaged check) reads as a drift.Report of its own.
type driftSource struct{ st store.Store }

func (d driftSource) DriftReports(ctx context.Context, env string, limit int) ([]*drift.Report, error) {
	if limit <= 0 {
		limit = 200
	}
	recs, err := d.st.DriftReportList(ctx, &store.DriftReportListParams{Env: env, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]*drift.Report, 0, len(recs))
	for _, r := range recs {
		rep := &drift.Report{Env: r.Env, StartedAt: r.CheckedAt, Duration: r.Duration, Stacks: []*drift.StackReport{}}
		if r.Stack == "" {
			if len(r.Report) > 0 {
				if err := json.Unmarshal(r.Report, &rep.Unmanaged); err != nil {
					return nil, fmt.Errorf("drift report %d: %w", r.ID, err)
				}
			}
		} else {
			sr := &drift.StackReport{Stack: r.Stack, Status: r.Status, Error: r.Error}
			if len(r.Report) > 0 {
				if err := json.Unmarshal(r.Report, sr); err != nil {
					return nil, fmt.Errorf("drift report %d: %w", r.ID, err)
				}
			}
			rep.Stacks = append(rep.Stacks, sr)
		}
		out = append(out, rep)
	}
	return out, nil
}

// canaryStore records every canary result in the store and keeps each
// canary's threshold state there (Step folded over the results, the same
// pure function the runner uses), so a restarted serve resumes counting
// and resolves what was alerting before.
type canaryStore struct {
	st     store.Store
	checks map[string]*canary.Check // by result key: canary/<env>/<name>

	mu     sync.Mutex
	states map[string]canary.State
}

func resultKey(r canary.Result) string { return "canary/" + r.Environment + "/" + r.Canary }

// restore reads the stored states of the configured canaries.
func (c *canaryStore) restore(ctx context.Context) (map[string]canary.State, error) {
	recs, err := c.st.CanaryStateList(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states = map[string]canary.State{}
	for _, r := range recs {
		if _, ok := c.checks[r.Canary]; !ok {
			continue
		}
		var s canary.State
		if err := json.Unmarshal(r.State, &s); err != nil {
			return nil, fmt.Errorf("canary state %s: %w", r.Canary, err)
		}
		c.states[r.Canary] = s
	}
	out := make(map[string]canary.State, len(c.states))
	for k, v := range c.states {
		out[k] = v
	}
	return out, nil
}

// RecordResult implements canary.Sink.
func (c *canaryStore) RecordResult(ctx context.Context, r canary.Result) error {
	key := resultKey(r)
	msg := r.Error
	if msg == "" && len(r.Failed) > 0 {
		msg = strings.Join(r.Failed, "; ")
	}
	if _, err := c.st.CanaryResultInsert(ctx, &store.CanaryResultInsertParams{Result: store.CanaryResult{
		Canary: key, Env: r.Environment, At: r.Time, OK: r.OK, Latency: r.Latency, Status: r.Status, Error: msg,
	}}); err != nil {
		return err
	}
	ch := c.checks[key]
	if ch == nil {
		return nil
	}
	c.mu.Lock()
	st, _ := canary.Step(c.states[key], canary.Thresholds{Failure: ch.FailureThreshold, Success: ch.SuccessThreshold}, r.OK, r.Time, r.Reason)
	c.states[key] = st
	c.mu.Unlock()
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = c.st.CanaryStatePut(ctx, &store.CanaryStatePutParams{State: store.CanaryState{Canary: key, Alerting: st.Alerting, State: b}})
	return err
}

func (c *canaryStore) state(key string) canary.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.states[key]
}
