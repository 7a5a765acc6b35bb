// Package postgres is the PostgreSQL store.Store, for teams that run
// several vigil processes (many stacks, many workers) against one
// database: `store = "postgres://…"` in vigil.hcl.
//
// Open applies the embedded migrations (migrations/*.sql, in name order,
// each once, recorded in vigil_schema_migrations) under an advisory lock,
// so several processes may start at once. Records and their audit events
// are written in one transaction, and audit appends are serialised with a
// transaction-scoped advisory lock, so the hash-chained log stays one chain
// whichever process appends. The pool (Pool) is also what River's
// riverpgxv5 driver runs on.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-sre/vigil/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock keys (one bigint space per database; River uses hashes of
// its own names).
const (
	lockMigrate int64 = 0x76696769_6c000001 // "vigil" + 1
	lockAudit   int64 = 0x76696769_6c000002
)

// defaultMaxConns is the pool size when the DSN sets no pool_max_conns.
const defaultMaxConns = 10

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string), checks that it answers and applies the migrations it
// lacks. pgxpool's parameters apply (pool_max_conns and others); the pool
// holds at most 10 connections unless pool_max_conns says otherwise.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx masks the password in its message.
		return nil, fmt.Errorf("open store: bad PostgreSQL connection string: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgxpool's default (4 on a small machine) is tight for a serve
		// process whose job queue holds one connection to listen.
		cfg.MaxConns = max(cfg.MaxConns, defaultMaxConns)
	}
	where := describe(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	return &Store{pool: pool, now: func() time.Time { return time.Now().UTC() }}, nil
}

// describe names a database for messages, without its password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Pool is the connection pool (River's riverpgxv5 driver runs on it).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Migration is one embedded schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", e.Name())
		}
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && out[len(out)-1].Version == v {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[len(out)-1].Name, e.Name(), v)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// migrate applies the migrations the database lacks, in one transaction
// under an advisory lock: a second process starting at the same time waits,
// then finds them applied.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockMigrate); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS vigil_schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.Query(ctx, `SELECT version FROM vigil_schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	newest := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
		newest = max(newest, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if known := ms[len(ms)-1].Version; newest > known {
		return fmt.Errorf("the database has schema version %d, newer than this vigil knows (%d): upgrade vigil", newest, known)
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO vigil_schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// jsonArg is a JSON column's argument: NULL when empty, else the text as
// given (pgx sends a string to a json parameter unchanged).
func jsonArg(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func jsonVal(s *string) json.RawMessage {
	if s == nil || *s == "" {
		return nil
	}
	return json.RawMessage(*s)
}

// utc makes a stored time look the way the other stores return it.
func utc(t time.Time) time.Time { return t.UTC() }

// RunInsert implements store.Store.
func (s *Store) RunInsert(ctx context.Context, p *store.RunInsertParams) (*store.Run, error) {
	r := p.Run
	if r.ID == "" || r.Env == "" {
		return nil, errors.New("store: a run needs an id and an environment")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Microsecond)
	r.UpdatedAt = r.CreatedAt
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO runs (`+runCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			r.ID, r.Env, r.Kind, r.Status, r.Target, r.Commit, r.Author, r.Host, r.PID, r.Fingerprint, r.Binding, r.Parent, r.Wave,
			jsonArg(r.Summary), r.Message, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			if pgCode(err) == codeUniqueViolation {
				return fmt.Errorf("run %s: %w", r.ID, store.ErrConflict)
			}
			return fmt.Errorf("store: insert run: %w", err)
		}
		if p.Audit != nil {
			e := *p.Audit
			e.RunID, e.SubjectHash = r.ID, store.HashRun(&r)
			if _, err := s.appendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

const runCols = `id, env, kind, status, target, commit_sha, author, host, pid, fingerprint, binding, parent, wave, summary, message, created_at, updated_at`
const runSelect = `id, env, kind, status, target, commit_sha, author, host, pid, fingerprint, binding, parent, wave, summary::text, message, created_at, updated_at`

func scanRun(row pgx.Row) (*store.Run, error) {
	var r store.Run
	var summary *string
	if err := row.Scan(&r.ID, &r.Env, &r.Kind, &r.Status, &r.Target, &r.Commit, &r.Author, &r.Host, &r.PID, &r.Fingerprint,
		&r.Binding, &r.Parent, &r.Wave, &summary, &r.Message, &r.CreatedAt, &r.UpdatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	r.Summary = jsonVal(summary)
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	return &r, nil
}

// RunGet implements store.Store.
func (s *Store) RunGet(ctx context.Context, id string) (*store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runSelect+` FROM runs WHERE id = $1`, id))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
		}
		return nil, fmt.Errorf("store: get run %s: %w", id, err)
	}
	return r, nil
}

// RunUpdate implements store.Store. The run's row is locked for the
// update, so concurrent updates of one run apply one after the other.
func (s *Store) RunUpdate(ctx context.Context, p *store.RunUpdateParams) (*store.Run, error) {
	var out *store.Run
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanRun(tx.QueryRow(ctx, `SELECT `+runSelect+` FROM runs WHERE id = $1 FOR NO KEY UPDATE`, p.ID))
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("run %s: %w", p.ID, store.ErrNotFound)
			}
			return fmt.Errorf("store: update run: %w", err)
		}
		if p.Status != "" {
			r.Status = p.Status
		}
		if p.Fingerprint != nil {
			r.Fingerprint = *p.Fingerprint
		}
		if p.Summary != nil {
			r.Summary = p.Summary
		}
		if p.Message != nil {
			r.Message = *p.Message
		}
		if p.Binding != nil {
			r.Binding = *p.Binding
		}
		r.UpdatedAt = s.now().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `UPDATE runs SET status = $1, fingerprint = $2, binding = $3, summary = $4, message = $5, updated_at = $6 WHERE id = $7`,
			r.Status, r.Fingerprint, r.Binding, jsonArg(r.Summary), r.Message, r.UpdatedAt, r.ID); err != nil {
			return fmt.Errorf("store: update run: %w", err)
		}
		if p.Audit != nil {
			e := *p.Audit
			e.RunID, e.SubjectHash = r.ID, store.HashRun(r)
			if _, err := s.appendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RunList implements store.Store.
func (s *Store) RunList(ctx context.Context, p *store.RunListParams) ([]*store.Run, error) {
	q := newQuery(`SELECT ` + runSelect + ` FROM runs`)
	q.eq("env", p.Env)
	q.eq("status", p.Status)
	q.order(`created_at DESC, id DESC`, p.Limit)
	rows, err := s.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	defer rows.Close()
	var out []*store.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	return out, nil
}

// ApprovalInsert implements store.Store.
func (s *Store) ApprovalInsert(ctx context.Context, p *store.ApprovalInsertParams) (*store.Approval, error) {
	a := p.Approval
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO approvals (run_id, approver, comment, binding, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			a.RunID, a.By, a.Comment, a.Binding, a.CreatedAt).Scan(&a.ID)
		if err != nil {
			if pgCode(err) == codeForeignKeyViolation {
				return fmt.Errorf("run %s: %w", a.RunID, store.ErrNotFound)
			}
			return fmt.Errorf("store: insert approval: %w", err)
		}
		if p.Audit != nil {
			e := *p.Audit
			e.Action, e.RunID, e.SubjectHash = "approve", a.RunID, store.HashApproval(&a)
			if _, err := s.appendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ApprovalListByRun implements store.Store.
func (s *Store) ApprovalListByRun(ctx context.Context, runID string) ([]*store.Approval, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, run_id, approver, comment, binding, created_at FROM approvals WHERE run_id = $1 ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: list approvals: %w", err)
	}
	defer rows.Close()
	var out []*store.Approval
	for rows.Next() {
		var a store.Approval
		if err := rows.Scan(&a.ID, &a.RunID, &a.By, &a.Comment, &a.Binding, &a.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: list approvals: %w", err)
		}
		a.CreatedAt = utc(a.CreatedAt)
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list approvals: %w", err)
	}
	return out, nil
}

// RunStackUpsert implements store.Store.
func (s *Store) RunStackUpsert(ctx context.Context, p *store.RunStackUpsertParams) (*store.RunStack, error) {
	rs := p.Stack
	if rs.RunID == "" || rs.Stack == "" {
		return nil, errors.New("store: a run stack needs a run id and a stack")
	}
	rs.UpdatedAt = s.now().Truncate(time.Microsecond)
	_, err := s.pool.Exec(ctx, `INSERT INTO run_stacks (run_id, stack, status, plan_sha256, binding, summary, message, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (run_id, stack) DO UPDATE SET status = excluded.status, plan_sha256 = excluded.plan_sha256,
			binding = excluded.binding, summary = excluded.summary, message = excluded.message, updated_at = excluded.updated_at`,
		rs.RunID, rs.Stack, rs.Status, rs.PlanSHA256, jsonArg(rs.Binding), jsonArg(rs.Summary), rs.Message, rs.UpdatedAt)
	if err != nil {
		if pgCode(err) == codeForeignKeyViolation {
			return nil, fmt.Errorf("run %s: %w", rs.RunID, store.ErrNotFound)
		}
		return nil, fmt.Errorf("store: upsert run stack: %w", err)
	}
	return &rs, nil
}

// RunStackList implements store.Store.
func (s *Store) RunStackList(ctx context.Context, runID string) ([]*store.RunStack, error) {
	rows, err := s.pool.Query(ctx, `SELECT run_id, stack, status, plan_sha256, binding::text, summary::text, message, updated_at
		FROM run_stacks WHERE run_id = $1 ORDER BY stack`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: list run stacks: %w", err)
	}
	defer rows.Close()
	var out []*store.RunStack
	for rows.Next() {
		var rs store.RunStack
		var binding, summary *string
		if err := rows.Scan(&rs.RunID, &rs.Stack, &rs.Status, &rs.PlanSHA256, &binding, &summary, &rs.Message, &rs.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store: list run stacks: %w", err)
		}
		rs.Binding, rs.Summary, rs.UpdatedAt = jsonVal(binding), jsonVal(summary), utc(rs.UpdatedAt)
		out = append(out, &rs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list run stacks: %w", err)
	}
	return out, nil
}

// AuditAppend implements store.Store.
func (s *Store) AuditAppend(ctx context.Context, p *store.AuditAppendParams) (*store.AuditEvent, error) {
	var out *store.AuditEvent
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		e, err := s.appendAudit(ctx, tx, p.Event)
		out = e
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendAudit links e to the chain's head and inserts it, inside tx. The
// advisory lock, held until tx ends, makes appenders in every process take
// turns. The head is read by a second statement, whose snapshot (READ
// COMMITTED) is taken once the lock is granted, so it sees the previous
// appender's committed record; the two go in one round trip (a pipeline
// runs its statements in order, each with its own snapshot).
func (s *Store) appendAudit(ctx context.Context, tx pgx.Tx, e store.AuditEvent) (*store.AuditEvent, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, lockAudit)
	b.Queue(`SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`)
	br := tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, fmt.Errorf("store: append audit: lock: %w", err)
	}
	var lastSeq int64
	var lastHash string
	err := br.QueryRow().Scan(&lastSeq, &lastHash)
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil // the first record
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("store: append audit: %w", err)
	}
	e.Seq = lastSeq + 1
	e.PrevHash = lastHash
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = store.ChainHash(&e)
	_, err = tx.Exec(ctx, `INSERT INTO audit (seq, at, actor, action, run_id, outcome, detail, subject_hash, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.Seq, e.At, e.Actor, e.Action, e.RunID, e.Outcome, jsonArg(e.Detail), e.SubjectHash, e.PrevHash, e.Hash)
	if err != nil {
		return nil, fmt.Errorf("store: append audit: %w", err)
	}
	return &e, nil
}

// AuditList implements store.Store.
func (s *Store) AuditList(ctx context.Context) ([]*store.AuditEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, at, actor, action, run_id, outcome, detail::text, subject_hash, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []*store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var detail *string
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.RunID, &e.Outcome, &detail, &e.SubjectHash, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		e.At, e.Detail = utc(e.At), jsonVal(detail)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	return out, nil
}

// query builds a SELECT with numbered parameters.
type query struct {
	base  string
	where []string
	args  []any
	tail  string
}

func newQuery(base string) *query { return &query{base: base} }

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

// eq adds "col = v" unless v is empty.
func (q *query) eq(col, v string) {
	if v != "" {
		q.where = append(q.where, col+" = "+q.arg(v))
	}
}

// since adds "col >= t" unless t is zero.
func (q *query) since(col string, t time.Time) {
	if !t.IsZero() {
		q.where = append(q.where, col+" >= "+q.arg(t.UTC()))
	}
}

func (q *query) order(by string, limit int) {
	q.tail = " ORDER BY " + by
	if limit > 0 {
		q.tail += " LIMIT " + q.arg(limit)
	}
}

func (q *query) sql() string {
	s := q.base
	if len(q.where) > 0 {
		s += " WHERE " + strings.Join(q.where, " AND ")
	}
	return s + q.tail
}
