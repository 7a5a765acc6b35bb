package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
)

// tsLayout is the fixed-width time format of the tables vigil serve
// writes, so that text order is time order (RFC3339Nano drops trailing
// zeros and is not).
const tsLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(tsLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	if t.Year() <= 1 {
		return time.Time{}
	}
	return t.UTC()
}

func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func tsOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

func jsonOrEmpty(b json.RawMessage) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}

// AlertStateGet implements store.AlertStore.
func (s *Store) AlertStateGet(ctx context.Context, key string) (*store.AlertState, error) {
	var a store.AlertState
	var firing int
	var state, updated string
	err := s.db.QueryRowContext(ctx, `SELECT key, kind, env, firing, state, updated_at FROM alert_states WHERE key = ?`, key).
		Scan(&a.Key, &a.Kind, &a.Env, &firing, &state, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("alert state %s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get alert state: %w", err)
	}
	a.Firing, a.State, a.UpdatedAt = firing != 0, json.RawMessage(state), parseTS(updated)
	return &a, nil
}

// AlertStatePut implements store.AlertStore.
func (s *Store) AlertStatePut(ctx context.Context, p *store.AlertStatePutParams) (*store.AlertState, error) {
	a := p.State
	if a.Key == "" {
		return nil, errors.New("store: an alert state needs a key")
	}
	a.UpdatedAt = s.stamp(time.Time{})
	_, err := s.db.ExecContext(ctx, `INSERT INTO alert_states (key, kind, env, firing, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, env = excluded.env, firing = excluded.firing, state = excluded.state, updated_at = excluded.updated_at`,
		a.Key, a.Kind, a.Env, boolInt(a.Firing), jsonOrEmpty(a.State), ts(a.UpdatedAt))
	if err != nil {
		return nil, fmt.Errorf("store: put alert state: %w", err)
	}
	return &a, nil
}

// AlertStateDelete implements store.AlertStore.
func (s *Store) AlertStateDelete(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM alert_states WHERE key = ?`, key); err != nil {
		return fmt.Errorf("store: delete alert state: %w", err)
	}
	return nil
}

// AlertStateList implements store.AlertStore.
func (s *Store) AlertStateList(ctx context.Context) ([]*store.AlertState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, kind, env, firing, state, updated_at FROM alert_states ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("store: list alert states: %w", err)
	}
	defer rows.Close()
	var out []*store.AlertState
	for rows.Next() {
		var a store.AlertState
		var firing int
		var state, updated string
		if err := rows.Scan(&a.Key, &a.Kind, &a.Env, &firing, &state, &updated); err != nil {
			return nil, fmt.Errorf("store: list alert states: %w", err)
		}
		a.Firing, a.State, a.UpdatedAt = firing != 0, json.RawMessage(state), parseTS(updated)
		out = append(out, &a)
	}
	return out, rows.Err()
}

const deliveryCols = `id, at, key, kind, severity, env, layer, stack, summary, status, action, revision, firing_since, route, receiver, integration, attempt, outcome, error, duration_ns`

// AlertDeliveryInsert implements store.AlertStore.
func (s *Store) AlertDeliveryInsert(ctx context.Context, p *store.AlertDeliveryInsertParams) (*store.AlertDelivery, error) {
	d := p.Delivery
	if d.Key == "" {
		return nil, errors.New("store: a delivery needs an alert key")
	}
	d.At = s.stamp(d.At)
	if !d.FiringSince.IsZero() {
		d.FiringSince = d.FiringSince.UTC().Truncate(time.Microsecond)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO alert_deliveries (at, key, kind, severity, env, layer, stack, summary, status, action, revision, firing_since, route, receiver, integration, attempt, outcome, error, duration_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ts(d.At), d.Key, d.Kind, d.Severity, d.Env, d.Layer, d.Stack, d.Summary, d.Status, d.Action, d.Revision, tsOrEmpty(d.FiringSince),
		d.Route, d.Receiver, d.Integration, d.Attempt, d.Outcome, d.Error, int64(d.Duration))
	if err != nil {
		return nil, fmt.Errorf("store: insert delivery: %w", err)
	}
	d.ID, _ = res.LastInsertId()
	return &d, nil
}

// AlertDeliveryList implements store.AlertStore.
func (s *Store) AlertDeliveryList(ctx context.Context, p *store.AlertDeliveryListParams) ([]*store.AlertDelivery, error) {
	q := `SELECT ` + deliveryCols + ` FROM alert_deliveries WHERE 1=1`
	var args []any
	if p.Key != "" {
		q += ` AND key = ?`
		args = append(args, p.Key)
	}
	if p.Env != "" {
		q += ` AND env = ?`
		args = append(args, p.Env)
	}
	if !p.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, ts(p.Since))
	}
	if p.Oldest {
		q += ` ORDER BY at, id`
	} else {
		q += ` ORDER BY at DESC, id DESC`
	}
	q, args = limit(q, args, p.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*store.AlertDelivery
	for rows.Next() {
		var d store.AlertDelivery
		var at, since string
		var dur int64
		if err := rows.Scan(&d.ID, &at, &d.Key, &d.Kind, &d.Severity, &d.Env, &d.Layer, &d.Stack, &d.Summary, &d.Status, &d.Action, &d.Revision, &since,
			&d.Route, &d.Receiver, &d.Integration, &d.Attempt, &d.Outcome, &d.Error, &dur); err != nil {
			return nil, fmt.Errorf("store: list deliveries: %w", err)
		}
		d.At, d.FiringSince, d.Duration = parseTS(at), parseTS(since), time.Duration(dur)
		out = append(out, &d)
	}
	return out, rows.Err()
}

const driftCols = `id, env, stack, status, checked_at, duration_ns, findings, report, error`

func scanDrift(row interface{ Scan(...any) error }) (*store.DriftReport, error) {
	var r store.DriftReport
	var checked string
	var dur int64
	var report sql.NullString
	if err := row.Scan(&r.ID, &r.Env, &r.Stack, &r.Status, &checked, &dur, &r.Findings, &report, &r.Error); err != nil {
		return nil, err
	}
	r.CheckedAt, r.Duration = parseTS(checked), time.Duration(dur)
	if report.Valid && report.String != "" {
		r.Report = json.RawMessage(report.String)
	}
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
	res, err := s.db.ExecContext(ctx, `INSERT INTO drift_reports (env, stack, status, checked_at, duration_ns, findings, report, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Env, r.Stack, r.Status, ts(r.CheckedAt), int64(r.Duration), r.Findings, nullJSON(r.Report), r.Error)
	if err != nil {
		return nil, fmt.Errorf("store: insert drift report: %w", err)
	}
	r.ID, _ = res.LastInsertId()
	return &r, nil
}

// DriftReportList implements store.DriftStore.
func (s *Store) DriftReportList(ctx context.Context, p *store.DriftReportListParams) ([]*store.DriftReport, error) {
	q := `SELECT ` + driftCols + ` FROM drift_reports WHERE 1=1`
	var args []any
	if p.Env != "" {
		q += ` AND env = ?`
		args = append(args, p.Env)
	}
	if p.Stack != "" {
		q += ` AND stack = ?`
		args = append(args, p.Stack)
	}
	if p.Status != "" {
		q += ` AND status = ?`
		args = append(args, p.Status)
	}
	q += ` ORDER BY checked_at DESC, id DESC`
	q, args = limit(q, args, p.Limit)
	return s.queryDrift(ctx, q, args...)
}

// DriftReportLatest implements store.DriftStore.
func (s *Store) DriftReportLatest(ctx context.Context, env string) ([]*store.DriftReport, error) {
	q := `SELECT ` + driftCols + ` FROM drift_reports d WHERE id = (
		SELECT id FROM drift_reports x WHERE x.env = d.env AND x.stack = d.stack ORDER BY checked_at DESC, id DESC LIMIT 1)`
	var args []any
	if env != "" {
		q += ` AND env = ?`
		args = append(args, env)
	}
	q += ` ORDER BY env, stack`
	return s.queryDrift(ctx, q, args...)
}

func (s *Store) queryDrift(ctx context.Context, q string, args ...any) ([]*store.DriftReport, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list drift reports: %w", err)
	}
	defer rows.Close()
	var out []*store.DriftReport
	for rows.Next() {
		r, err := scanDrift(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list drift reports: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CanaryResultInsert implements store.CanaryStore.
func (s *Store) CanaryResultInsert(ctx context.Context, p *store.CanaryResultInsertParams) (*store.CanaryResult, error) {
	r := p.Result
	if r.Canary == "" {
		return nil, errors.New("store: a canary result needs a canary")
	}
	r.At = s.stamp(r.At)
	res, err := s.db.ExecContext(ctx, `INSERT INTO canary_results (canary, env, at, ok, latency_ns, status, error) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.Canary, r.Env, ts(r.At), boolInt(r.OK), int64(r.Latency), r.Status, r.Error)
	if err != nil {
		return nil, fmt.Errorf("store: insert canary result: %w", err)
	}
	r.ID, _ = res.LastInsertId()
	return &r, nil
}

// CanaryResultList implements store.CanaryStore.
func (s *Store) CanaryResultList(ctx context.Context, p *store.CanaryResultListParams) ([]*store.CanaryResult, error) {
	q := `SELECT id, canary, env, at, ok, latency_ns, status, error FROM canary_results WHERE 1=1`
	var args []any
	if p.Canary != "" {
		q += ` AND canary = ?`
		args = append(args, p.Canary)
	}
	if !p.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, ts(p.Since))
	}
	q += ` ORDER BY at DESC, id DESC`
	q, args = limit(q, args, p.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list canary results: %w", err)
	}
	defer rows.Close()
	var out []*store.CanaryResult
	for rows.Next() {
		var r store.CanaryResult
		var at string
		var ok int
		var lat int64
		if err := rows.Scan(&r.ID, &r.Canary, &r.Env, &at, &ok, &lat, &r.Status, &r.Error); err != nil {
			return nil, fmt.Errorf("store: list canary results: %w", err)
		}
		r.At, r.OK, r.Latency = parseTS(at), ok != 0, time.Duration(lat)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// CanaryStateGet implements store.CanaryStore.
func (s *Store) CanaryStateGet(ctx context.Context, canary string) (*store.CanaryState, error) {
	var c store.CanaryState
	var alerting int
	var state, updated string
	err := s.db.QueryRowContext(ctx, `SELECT canary, alerting, state, updated_at FROM canary_states WHERE canary = ?`, canary).Scan(&c.Canary, &alerting, &state, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("canary state %s: %w", canary, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get canary state: %w", err)
	}
	c.Alerting, c.State, c.UpdatedAt = alerting != 0, json.RawMessage(state), parseTS(updated)
	return &c, nil
}

// CanaryStatePut implements store.CanaryStore.
func (s *Store) CanaryStatePut(ctx context.Context, p *store.CanaryStatePutParams) (*store.CanaryState, error) {
	c := p.State
	if c.Canary == "" {
		return nil, errors.New("store: a canary state needs a canary")
	}
	c.UpdatedAt = s.stamp(time.Time{})
	_, err := s.db.ExecContext(ctx, `INSERT INTO canary_states (canary, alerting, state, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (canary) DO UPDATE SET alerting = excluded.alerting, state = excluded.state, updated_at = excluded.updated_at`,
		c.Canary, boolInt(c.Alerting), jsonOrEmpty(c.State), ts(c.UpdatedAt))
	if err != nil {
		return nil, fmt.Errorf("store: put canary state: %w", err)
	}
	return &c, nil
}

// CanaryStateList implements store.CanaryStore.
func (s *Store) CanaryStateList(ctx context.Context) ([]*store.CanaryState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT canary, alerting, state, updated_at FROM canary_states ORDER BY canary`)
	if err != nil {
		return nil, fmt.Errorf("store: list canary states: %w", err)
	}
	defer rows.Close()
	var out []*store.CanaryState
	for rows.Next() {
		var c store.CanaryState
		var alerting int
		var state, updated string
		if err := rows.Scan(&c.Canary, &alerting, &state, &updated); err != nil {
			return nil, fmt.Errorf("store: list canary states: %w", err)
		}
		c.Alerting, c.State, c.UpdatedAt = alerting != 0, json.RawMessage(state), parseTS(updated)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// IncidentInsert implements store.IncidentStore.
func (s *Store) IncidentInsert(ctx context.Context, p *store.IncidentInsertParams) (*store.Incident, error) {
	in := p.Incident
	if in.Kind == "" || in.Title == "" {
		return nil, errors.New("store: an incident needs a kind and a title")
	}
	in.At = s.stamp(in.At)
	res, err := s.db.ExecContext(ctx, `INSERT INTO incidents (kind, env, stack, title, detail, at, source) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		in.Kind, in.Env, in.Stack, in.Title, nullJSON(in.Detail), ts(in.At), in.Source)
	if err != nil {
		return nil, fmt.Errorf("store: insert incident: %w", err)
	}
	in.ID, _ = res.LastInsertId()
	return &in, nil
}

// IncidentList implements store.IncidentStore.
func (s *Store) IncidentList(ctx context.Context, p *store.IncidentListParams) ([]*store.Incident, error) {
	q := `SELECT id, kind, env, stack, title, detail, at, source FROM incidents WHERE 1=1`
	var args []any
	for _, f := range []struct{ col, v string }{{"env", p.Env}, {"stack", p.Stack}, {"kind", p.Kind}} {
		if f.v != "" {
			q += ` AND ` + f.col + ` = ?`
			args = append(args, f.v)
		}
	}
	if !p.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, ts(p.Since))
	}
	q += ` ORDER BY at DESC, id DESC`
	q, args = limit(q, args, p.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	defer rows.Close()
	var out []*store.Incident
	for rows.Next() {
		var in store.Incident
		var detail sql.NullString
		var at string
		if err := rows.Scan(&in.ID, &in.Kind, &in.Env, &in.Stack, &in.Title, &detail, &at, &in.Source); err != nil {
			return nil, fmt.Errorf("store: list incidents: %w", err)
		}
		if detail.Valid && detail.String != "" {
			in.Detail = json.RawMessage(detail.String)
		}
		in.At = parseTS(at)
		out = append(out, &in)
	}
	return out, rows.Err()
}

// StackStatusList implements store.StatusStore. Runs' times are parsed and
// compared in Go (the runs table keeps RFC 3339 text of varying width).
func (s *Store) StackStatusList(ctx context.Context, p *store.StackStatusListParams) ([]*store.StackStatus, error) {
	q := `SELECT rs.stack, r.env, rs.run_id, r.kind, rs.plan_sha256, rs.status, rs.message, rs.updated_at, r.created_at
		FROM run_stacks rs JOIN runs r ON r.id = rs.run_id`
	var args []any
	if p.Env != "" {
		q += ` WHERE r.env = ?`
		args = append(args, p.Env)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
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
		var stack, env, planSHA, created, updated string
		var ref store.StackRef
		if err := rows.Scan(&stack, &env, &ref.RunID, &ref.RunKind, &planSHA, &ref.Status, &ref.Message, &updated, &created); err != nil {
			return nil, fmt.Errorf("store: stack status: %w", err)
		}
		ref.UpdatedAt = parseTS(updated)
		at := parseTS(created)
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
		// A stack whose apply failed keeps its plan's hash; one whose plan
		// failed has none.
		applied := ref.Status == "applied" || (ref.Status == "failed" && planSHA != "")
		if applied && later(n.apply, st.LastApply) {
			r := ref
			st.LastApply, n.apply = &r, at
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stack status: %w", err)
	}
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

func limit(q string, args []any, n int) (string, []any) {
	if n > 0 {
		q += ` LIMIT ?`
		args = append(args, n)
	}
	return q, args
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
