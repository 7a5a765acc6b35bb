package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sre/vigil/internal/store"
)

// This file implements what vigil serve records (store/serve.go): alert
// state and deliveries, drift reports, canary results and state,
// incidents, and stack status.

func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// stateArg is a NOT NULL JSON state column's argument: "null" when empty.
func stateArg(b json.RawMessage) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}

// collect reads every row with scan.
func collect[T any](rows pgx.Rows, scan func(pgx.Rows) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const alertStateCols = `key, kind, env, firing, state::text, updated_at`

func scanAlertState(row pgx.Row) (*store.AlertState, error) {
	var a store.AlertState
	var state string
	if err := row.Scan(&a.Key, &a.Kind, &a.Env, &a.Firing, &state, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.State, a.UpdatedAt = json.RawMessage(state), utc(a.UpdatedAt)
	return &a, nil
}

// AlertStateGet implements store.AlertStore.
func (s *Store) AlertStateGet(ctx context.Context, key string) (*store.AlertState, error) {
	a, err := scanAlertState(s.pool.QueryRow(ctx, `SELECT `+alertStateCols+` FROM alert_states WHERE key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("alert state %s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get alert state: %w", err)
	}
	return a, nil
}

// AlertStatePut implements store.AlertStore.
func (s *Store) AlertStatePut(ctx context.Context, p *store.AlertStatePutParams) (*store.AlertState, error) {
	a := p.State
	if a.Key == "" {
		return nil, errors.New("store: an alert state needs a key")
	}
	a.UpdatedAt = s.stamp(time.Time{})
	_, err := s.pool.Exec(ctx, `INSERT INTO alert_states (key, kind, env, firing, state, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, env = excluded.env, firing = excluded.firing, state = excluded.state, updated_at = excluded.updated_at`,
		a.Key, a.Kind, a.Env, a.Firing, stateArg(a.State), a.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("store: put alert state: %w", err)
	}
	return &a, nil
}

// AlertStateDelete implements store.AlertStore.
func (s *Store) AlertStateDelete(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM alert_states WHERE key = $1`, key); err != nil {
		return fmt.Errorf("store: delete alert state: %w", err)
	}
	return nil
}

// AlertStateList implements store.AlertStore.
func (s *Store) AlertStateList(ctx context.Context) ([]*store.AlertState, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertStateCols+` FROM alert_states ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("store: list alert states: %w", err)
	}
	out, err := collect(rows, func(r pgx.Rows) (*store.AlertState, error) { return scanAlertState(r) })
	if err != nil {
		return nil, fmt.Errorf("store: list alert states: %w", err)
	}
	return out, nil
}

const deliveryCols = `id, at, key, kind, severity, env, layer, stack, summary, status, action, revision, firing_since, route, receiver, integration, attempt, outcome, error, duration_ns`

// AlertDeliveryInsert implements store.AlertStore.
func (s *Store) AlertDeliveryInsert(ctx context.Context, p *store.AlertDeliveryInsertParams) (*store.AlertDelivery, error) {
	d := p.Delivery
	if d.Key == "" {
		return nil, errors.New("store: a delivery needs an alert key")
	}
	d.At = s.stamp(d.At)
	var since *time.Time
	if !d.FiringSince.IsZero() {
		d.FiringSince = d.FiringSince.UTC().Truncate(time.Microsecond)
		since = &d.FiringSince
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO alert_deliveries (at, key, kind, severity, env, layer, stack, summary, status, action, revision, firing_since, route, receiver, integration, attempt, outcome, error, duration_ns)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
		d.At, d.Key, d.Kind, d.Severity, d.Env, d.Layer, d.Stack, d.Summary, d.Status, d.Action, d.Revision, since,
		d.Route, d.Receiver, d.Integration, d.Attempt, d.Outcome, d.Error, int64(d.Duration)).Scan(&d.ID)
	if err != nil {
		return nil, fmt.Errorf("store: insert delivery: %w", err)
	}
	return &d, nil
}

// AlertDeliveryList implements store.AlertStore.
func (s *Store) AlertDeliveryList(ctx context.Context, p *store.AlertDeliveryListParams) ([]*store.AlertDelivery, error) {
	q := newQuery(`SELECT ` + deliveryCols + ` FROM alert_deliveries`)
	q.eq("key", p.Key)
	q.eq("env", p.Env)
	q.since("at", p.Since)
	if p.Oldest {
		q.order("at, id", p.Limit)
	} else {
		q.order("at DESC, id DESC", p.Limit)
	}
	rows, err := s.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	out, err := collect(rows, func(r pgx.Rows) (*store.AlertDelivery, error) {
		var d store.AlertDelivery
		var since *time.Time
		var dur int64
		if err := r.Scan(&d.ID, &d.At, &d.Key, &d.Kind, &d.Severity, &d.Env, &d.Layer, &d.Stack, &d.Summary, &d.Status, &d.Action, &d.Revision, &since,
			&d.Route, &d.Receiver, &d.Integration, &d.Attempt, &d.Outcome, &d.Error, &dur); err != nil {
			return nil, err
		}
		d.At, d.Duration = utc(d.At), time.Duration(dur)
		if since != nil {
			d.FiringSince = utc(*since)
		}
		return &d, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	return out, nil
}

const driftCols = `id, env, stack, status, checked_at, duration_ns, findings, report::text, error`

func scanDrift(row pgx.Row) (*store.DriftReport, error) {
	var r store.DriftReport
	var dur int64
	var report *string
	if err := row.Scan(&r.ID, &r.Env, &r.Stack, &r.Status, &r.CheckedAt, &dur, &r.Findings, &report, &r.Error); err != nil {
		return nil, err
	}
	r.CheckedAt, r.Duration, r.Report = utc(r.CheckedAt), time.Duration(dur), jsonVal(report)
	return &r, nil
}

// DriftReportInsert implements store.DriftStore.
func (s *Store) DriftReportInsert(ctx context.Context, p *store.DriftReportInsertParams) (*store.DriftReport, error) {
	r := p.Report
	if r.Env == "" {
		return nil, errors.New("store: a drift report needs an environment")
	}
	switch r.Status {
	case store.DriftClean, store.DriftDrifted, store.DriftError:
	default:
		return nil, fmt.Errorf("store: drift report status %q: want clean, drifted or error", r.Status)
	}
	r.CheckedAt = s.stamp(r.CheckedAt)
	err := s.pool.QueryRow(ctx, `INSERT INTO drift_reports (env, stack, status, checked_at, duration_ns, findings, report, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.Env, r.Stack, r.Status, r.CheckedAt, int64(r.Duration), r.Findings, jsonArg(r.Report), r.Error).Scan(&r.ID)
	if err != nil {
		return nil, fmt.Errorf("store: insert drift report: %w", err)
	}
	return &r, nil
}

// DriftReportList implements store.DriftStore.
func (s *Store) DriftReportList(ctx context.Context, p *store.DriftReportListParams) ([]*store.DriftReport, error) {
	q := newQuery(`SELECT ` + driftCols + ` FROM drift_reports`)
	q.eq("env", p.Env)
	q.eq("stack", p.Stack)
	q.eq("status", p.Status)
	q.order("checked_at DESC, id DESC", p.Limit)
	return s.queryDrift(ctx, q.sql(), q.args...)
}

// DriftReportLatest implements store.DriftStore.
func (s *Store) DriftReportLatest(ctx context.Context, env string) ([]*store.DriftReport, error) {
	q := newQuery(`SELECT DISTINCT ON (env, stack) ` + driftCols + ` FROM drift_reports`)
	q.eq("env", env)
	q.order("env, stack, checked_at DESC, id DESC", 0)
	return s.queryDrift(ctx, q.sql(), q.args...)
}

func (s *Store) queryDrift(ctx context.Context, sql string, args ...any) ([]*store.DriftReport, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list drift reports: %w", err)
	}
	out, err := collect(rows, func(r pgx.Rows) (*store.DriftReport, error) { return scanDrift(r) })
	if err != nil {
		return nil, fmt.Errorf("store: list drift reports: %w", err)
	}
	return out, nil
}

// CanaryResultInsert implements store.CanaryStore.
func (s *Store) CanaryResultInsert(ctx context.Context, p *store.CanaryResultInsertParams) (*store.CanaryResult, error) {
	r := p.Result
	if r.Canary == "" {
		return nil, errors.New("store: a canary result needs a canary")
	}
	r.At = s.stamp(r.At)
	err := s.pool.QueryRow(ctx, `INSERT INTO canary_results (canary, env, at, ok, latency_ns, status, error) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.Canary, r.Env, r.At, r.OK, int64(r.Latency), r.Status, r.Error).Scan(&r.ID)
	if err != nil {
		return nil, fmt.Errorf("store: insert canary result: %w", err)
	}
	return &r, nil
}

// CanaryResultList implements store.CanaryStore.
func (s *Store) CanaryResultList(ctx context.Context, p *store.CanaryResultListParams) ([]*store.CanaryResult, error) {
	q := newQuery(`SELECT id, canary, env, at, ok, latency_ns, status, error FROM canary_results`)
	q.eq("canary", p.Canary)
	q.since("at", p.Since)
	q.order("at DESC, id DESC", p.Limit)
	rows, err := s.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("store: list canary results: %w", err)
	}
	out, err := collect(rows, func(row pgx.Rows) (*store.CanaryResult, error) {
		var r store.CanaryResult
		var lat int64
		if err := row.Scan(&r.ID, &r.Canary, &r.Env, &r.At, &r.OK, &lat, &r.Status, &r.Error); err != nil {
			return nil, err
		}
		r.At, r.Latency = utc(r.At), time.Duration(lat)
		return &r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list canary results: %w", err)
	}
	return out, nil
}

const canaryStateCols = `canary, alerting, state::text, updated_at`

func scanCanaryState(row pgx.Row) (*store.CanaryState, error) {
	var c store.CanaryState
	var state string
	if err := row.Scan(&c.Canary, &c.Alerting, &state, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.State, c.UpdatedAt = json.RawMessage(state), utc(c.UpdatedAt)
	return &c, nil
}

// CanaryStateGet implements store.CanaryStore.
func (s *Store) CanaryStateGet(ctx context.Context, canary string) (*store.CanaryState, error) {
	c, err := scanCanaryState(s.pool.QueryRow(ctx, `SELECT `+canaryStateCols+` FROM canary_states WHERE canary = $1`, canary))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("canary state %s: %w", canary, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get canary state: %w", err)
	}
	return c, nil
}

// CanaryStatePut implements store.CanaryStore.
func (s *Store) CanaryStatePut(ctx context.Context, p *store.CanaryStatePutParams) (*store.CanaryState, error) {
	c := p.State
	if c.Canary == "" {
		return nil, errors.New("store: a canary state needs a canary")
	}
	c.UpdatedAt = s.stamp(time.Time{})
	_, err := s.pool.Exec(ctx, `INSERT INTO canary_states (canary, alerting, state, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (canary) DO UPDATE SET alerting = excluded.alerting, state = excluded.state, updated_at = excluded.updated_at`,
		c.Canary, c.Alerting, stateArg(c.State), c.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("store: put canary state: %w", err)
	}
	return &c, nil
}

// CanaryStateList implements store.CanaryStore.
func (s *Store) CanaryStateList(ctx context.Context) ([]*store.CanaryState, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+canaryStateCols+` FROM canary_states ORDER BY canary`)
	if err != nil {
		return nil, fmt.Errorf("store: list canary states: %w", err)
	}
	out, err := collect(rows, func(r pgx.Rows) (*store.CanaryState, error) { return scanCanaryState(r) })
	if err != nil {
		return nil, fmt.Errorf("store: list canary states: %w", err)
	}
	return out, nil
}

// IncidentInsert implements store.IncidentStore.
func (s *Store) IncidentInsert(ctx context.Context, p *store.IncidentInsertParams) (*store.Incident, error) {
	in := p.Incident
	if in.Kind == "" || in.Title == "" {
		return nil, errors.New("store: an incident needs a kind and a title")
	}
	in.At = s.stamp(in.At)
	err := s.pool.QueryRow(ctx, `INSERT INTO incidents (kind, env, stack, title, detail, at, source) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		in.Kind, in.Env, in.Stack, in.Title, jsonArg(in.Detail), in.At, in.Source).Scan(&in.ID)
	if err != nil {
		return nil, fmt.Errorf("store: insert incident: %w", err)
	}
	return &in, nil
}

// IncidentList implements store.IncidentStore.
func (s *Store) IncidentList(ctx context.Context, p *store.IncidentListParams) ([]*store.Incident, error) {
	q := newQuery(`SELECT id, kind, env, stack, title, detail::text, at, source FROM incidents`)
	q.eq("env", p.Env)
	q.eq("stack", p.Stack)
	q.eq("kind", p.Kind)
	q.since("at", p.Since)
	q.order("at DESC, id DESC", p.Limit)
	rows, err := s.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	out, err := collect(rows, func(r pgx.Rows) (*store.Incident, error) {
		var in store.Incident
		var detail *string
		if err := r.Scan(&in.ID, &in.Kind, &in.Env, &in.Stack, &in.Title, &detail, &in.At, &in.Source); err != nil {
			return nil, err
		}
		in.Detail, in.At = jsonVal(detail), utc(in.At)
		return &in, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	return out, nil
}

// StackStatusList implements store.StatusStore: per stack, the newest run
// (by creation, then run id) that planned it, the newest that applied it
// (its stack "applied", or "failed" in an apply run that reached its
// apply), and its newest drift report.
func (s *Store) StackStatusList(ctx context.Context, p *store.StackStatusListParams) ([]*store.StackStatus, error) {
	q := newQuery(`SELECT rs.stack, r.env, rs.run_id, r.kind, r.status, rs.status, rs.message, rs.updated_at, r.created_at
		FROM run_stacks rs JOIN runs r ON r.id = rs.run_id`)
	q.eq("r.env", p.Env)
	rows, err := s.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("store: stack status: %w", err)
	}
	defer rows.Close()
	byStack := map[string]*store.StackStatus{}
	get := func(stack, env string) *store.StackStatus {
		st, ok := byStack[stack]
		if !ok {
			st = &store.StackStatus{Stack: stack, Env: env}
			byStack[stack] = st
		}
		return st
	}
	type seen struct{ plan, apply time.Time }
	newest := map[string]*seen{}
	for rows.Next() {
		var stack, env, runStatus string
		var at time.Time
		var ref store.StackRef
		if err := rows.Scan(&stack, &env, &ref.RunID, &ref.RunKind, &runStatus, &ref.Status, &ref.Message, &ref.UpdatedAt, &at); err != nil {
			return nil, fmt.Errorf("store: stack status: %w", err)
		}
		ref.UpdatedAt = utc(ref.UpdatedAt)
		st := get(stack, env)
		n := newest[stack]
		if n == nil {
			n = &seen{}
			newest[stack] = n
		}
		later := func(prev time.Time, prevRef *store.StackRef) bool {
			return prevRef == nil || at.After(prev) || (at.Equal(prev) && ref.RunID > prevRef.RunID)
		}
		if later(n.plan, st.LastPlan) {
			r := ref
			st.LastPlan, n.plan = &r, at
		}
		applied := ref.Status == "applied" ||
			(ref.Status == "failed" && slices.Contains([]string{store.RunApplying, store.RunApplied, store.RunFailed}, runStatus) && strings.Contains(ref.RunKind, "apply"))
		if applied && later(n.apply, st.LastApply) {
			r := ref
			st.LastApply, n.apply = &r, at
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stack status: %w", err)
	}
	rows.Close()
	latest, err := s.DriftReportLatest(ctx, p.Env)
	if err != nil {
		return nil, err
	}
	for _, d := range latest {
		if d.Stack == "" {
			continue
		}
		get(d.Stack, d.Env).LastDrift = d
	}
	out := make([]*store.StackStatus, 0, len(byStack))
	for _, st := range byStack {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *store.StackStatus) int { return cmp.Compare(a.Stack, b.Stack) })
	return out, nil
}
