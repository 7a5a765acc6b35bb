// Package sqlite is the embedded store.Store: one SQLite file (by default
// .vigil/vigil.db in the repository), WAL mode, synchronous=FULL, so a
// record that was written survives a crash of vigil.
package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/vigil-sre/vigil/internal/store"
)

//go:embed schema.sql
var schema string

// Store is the SQLite implementation of store.Store.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(15000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w (is the file a vigil database?)", path, err)
	}
	if err := migrate(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: insert run: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (id, env, kind, status, target, commit_sha, author, host, pid, fingerprint, binding, parent, wave, summary, message, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Env, r.Kind, r.Status, r.Target, r.Commit, r.Author, r.Host, r.PID, r.Fingerprint, r.Binding, r.Parent, r.Wave, nullJSON(r.Summary), r.Message,
		r.CreatedAt.Format(time.RFC3339Nano), r.UpdatedAt.Format(time.RFC3339Nano))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, fmt.Errorf("run %s: %w", r.ID, store.ErrConflict)
		}
		return nil, fmt.Errorf("store: insert run: %w", err)
	}
	if p.Audit != nil {
		e := *p.Audit
		e.RunID, e.SubjectHash = r.ID, store.HashRun(&r)
		if _, err := s.appendAudit(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: insert run: %w", err)
	}
	return &r, nil
}

const runCols = `id, env, kind, status, target, commit_sha, author, host, pid, fingerprint, binding, parent, wave, summary, message, created_at, updated_at`

func scanRun(row interface{ Scan(...any) error }) (*store.Run, error) {
	var r store.Run
	var summary sql.NullString
	var created, updated string
	if err := row.Scan(&r.ID, &r.Env, &r.Kind, &r.Status, &r.Target, &r.Commit, &r.Author, &r.Host, &r.PID, &r.Fingerprint, &r.Binding, &r.Parent, &r.Wave, &summary, &r.Message, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	if summary.Valid && summary.String != "" {
		r.Summary = json.RawMessage(summary.String)
	}
	r.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	r.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	return &r, nil
}

// RunGet implements store.Store.
func (s *Store) RunGet(ctx context.Context, id string) (*store.Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = ?`, id))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
		}
		return nil, fmt.Errorf("store: get run %s: %w", id, err)
	}
	return r, nil
}

// RunUpdate implements store.Store.
func (s *Store) RunUpdate(ctx context.Context, p *store.RunUpdateParams) (*store.Run, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: update run: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = ?`, p.ID))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("run %s: %w", p.ID, store.ErrNotFound)
		}
		return nil, fmt.Errorf("store: update run: %w", err)
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
	_, err = tx.ExecContext(ctx, `UPDATE runs SET status = ?, fingerprint = ?, binding = ?, summary = ?, message = ?, updated_at = ? WHERE id = ?`,
		r.Status, r.Fingerprint, r.Binding, nullJSON(r.Summary), r.Message, r.UpdatedAt.Format(time.RFC3339Nano), r.ID)
	if err != nil {
		return nil, fmt.Errorf("store: update run: %w", err)
	}
	if p.Audit != nil {
		e := *p.Audit
		e.RunID, e.SubjectHash = r.ID, store.HashRun(r)
		if _, err := s.appendAudit(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: update run: %w", err)
	}
	return r, nil
}

// RunList implements store.Store.
func (s *Store) RunList(ctx context.Context, p *store.RunListParams) ([]*store.Run, error) {
	q := `SELECT ` + runCols + ` FROM runs WHERE 1=1`
	var args []any
	if p.Env != "" {
		q += ` AND env = ?`
		args = append(args, p.Env)
	}
	if p.Status != "" {
		q += ` AND status = ?`
		args = append(args, p.Status)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
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
	return out, rows.Err()
}

// ApprovalInsert implements store.Store.
func (s *Store) ApprovalInsert(ctx context.Context, p *store.ApprovalInsertParams) (*store.Approval, error) {
	a := p.Approval
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: insert approval: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT INTO approvals (run_id, approver, comment, binding, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.RunID, a.By, a.Comment, a.Binding, a.CreatedAt.Format(time.RFC3339Nano))
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return nil, fmt.Errorf("run %s: %w", a.RunID, store.ErrNotFound)
		}
		return nil, fmt.Errorf("store: insert approval: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	if p.Audit != nil {
		e := *p.Audit
		e.Action, e.RunID, e.SubjectHash = "approve", a.RunID, store.HashApproval(&a)
		if _, err := s.appendAudit(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: insert approval: %w", err)
	}
	return &a, nil
}

// RunStackUpsert implements store.Store.
func (s *Store) RunStackUpsert(ctx context.Context, p *store.RunStackUpsertParams) (*store.RunStack, error) {
	rs := p.Stack
	if rs.RunID == "" || rs.Stack == "" {
		return nil, errors.New("store: a run stack needs a run id and a stack")
	}
	rs.UpdatedAt = s.now().Truncate(time.Microsecond)
	_, err := s.db.ExecContext(ctx, `INSERT INTO run_stacks (run_id, stack, status, plan_sha256, binding, summary, message, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, stack) DO UPDATE SET status = excluded.status, plan_sha256 = excluded.plan_sha256,
			binding = excluded.binding, summary = excluded.summary, message = excluded.message, updated_at = excluded.updated_at`,
		rs.RunID, rs.Stack, rs.Status, rs.PlanSHA256, nullJSON(rs.Binding), nullJSON(rs.Summary), rs.Message, rs.UpdatedAt.Format(time.RFC3339Nano))
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return nil, fmt.Errorf("run %s: %w", rs.RunID, store.ErrNotFound)
		}
		return nil, fmt.Errorf("store: upsert run stack: %w", err)
	}
	return &rs, nil
}

// RunStackList implements store.Store.
func (s *Store) RunStackList(ctx context.Context, runID string) ([]*store.RunStack, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, stack, status, plan_sha256, binding, summary, message, updated_at FROM run_stacks WHERE run_id = ? ORDER BY stack`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: list run stacks: %w", err)
	}
	defer rows.Close()
	var out []*store.RunStack
	for rows.Next() {
		var rs store.RunStack
		var binding, summary sql.NullString
		var updated string
		if err := rows.Scan(&rs.RunID, &rs.Stack, &rs.Status, &rs.PlanSHA256, &binding, &summary, &rs.Message, &updated); err != nil {
			return nil, fmt.Errorf("store: list run stacks: %w", err)
		}
		if binding.Valid && binding.String != "" {
			rs.Binding = json.RawMessage(binding.String)
		}
		if summary.Valid && summary.String != "" {
			rs.Summary = json.RawMessage(summary.String)
		}
		rs.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, &rs)
	}
	return out, rows.Err()
}

// ApprovalListByRun implements store.Store.
func (s *Store) ApprovalListByRun(ctx context.Context, runID string) ([]*store.Approval, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, run_id, approver, comment, binding, created_at FROM approvals WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: list approvals: %w", err)
	}
	defer rows.Close()
	var out []*store.Approval
	for rows.Next() {
		var a store.Approval
		var created string
		if err := rows.Scan(&a.ID, &a.RunID, &a.By, &a.Comment, &a.Binding, &created); err != nil {
			return nil, fmt.Errorf("store: list approvals: %w", err)
		}
		a.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// AuditAppend implements store.Store. The read of the chain's head and the
// insert happen in one immediate transaction, so concurrent appenders
// (several vigil processes) still form one chain.
func (s *Store) AuditAppend(ctx context.Context, p *store.AuditAppendParams) (*store.AuditEvent, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: append audit: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	e, err := s.appendAudit(ctx, tx, p.Event)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: append audit: %w", err)
	}
	return e, nil
}

// appendAudit links e to the chain's head and inserts it, inside tx.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e store.AuditEvent) (*store.AuditEvent, error) {
	var lastSeq sql.NullInt64
	var lastHash sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: append audit: %w", err)
	}
	e.Seq = lastSeq.Int64 + 1
	e.PrevHash = lastHash.String
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = store.ChainHash(&e)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor, action, run_id, outcome, detail, subject_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.At.Format(time.RFC3339Nano), e.Actor, e.Action, e.RunID, e.Outcome, nullJSON(e.Detail), e.SubjectHash, e.PrevHash, e.Hash)
	if err != nil {
		return nil, fmt.Errorf("store: append audit: %w", err)
	}
	return &e, nil
}

// AuditList implements store.Store.
func (s *Store) AuditList(ctx context.Context) ([]*store.AuditEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, actor, action, run_id, outcome, detail, subject_hash, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []*store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var at string
		var detail sql.NullString
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.RunID, &e.Outcome, &detail, &e.SubjectHash, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		if detail.Valid && detail.String != "" {
			e.Detail = json.RawMessage(detail.String)
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

// migrate adds the columns later releases introduced to a database made by
// an earlier one (CREATE TABLE IF NOT EXISTS leaves existing tables alone).
func migrate(db *sql.DB) error {
	for _, stmt := range []string{
		`ALTER TABLE runs ADD COLUMN binding TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE runs ADD COLUMN parent TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE runs ADD COLUMN wave INTEGER NOT NULL DEFAULT 0`,
	} {
		if _, err := db.Exec(stmt); err != nil && !strings.Contains(err.Error(), "duplicate column") {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// DB exposes the database for tests that tamper with records on purpose.
func (s *Store) DB() *sql.DB { return s.db }

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
