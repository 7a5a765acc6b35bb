package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// ErrNotFound is returned by Get when no document has the key.
var ErrNotFound = errors.New("state: not found")

// Store is the sandbox's durable state in one data directory.
type Store struct {
	dir string
	db  *sql.DB
	// writer serialises this process's write transactions before they
	// reach SQLite: contending writers would otherwise wait in SQLite's
	// busy handler, which sleeps in steps of up to 100 ms. It is a
	// semaphore rather than a mutex so that a wait is bounded like SQLite's
	// own (an Update nested in another, a bug, then fails as it did before
	// instead of deadlocking).
	writer chan struct{}
}

// writerWait bounds how long Update waits for the process's other writers,
// like busy_timeout bounds SQLite's wait.
const writerWait = 10 * time.Second

const schema = `
CREATE TABLE IF NOT EXISTS kv (
	ns    TEXT NOT NULL,
	key   TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (ns, key)
) WITHOUT ROWID;
`

// Open opens (creating if needed) the state in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("open sandbox state in %s: %w", dir, err)
	}
	// Leftovers from a crash mid-upload were never acknowledged.
	tmp := filepath.Join(dir, "blobs", "tmp")
	if ents, err := os.ReadDir(tmp); err == nil {
		for _, e := range ents {
			_ = os.Remove(filepath.Join(tmp, e.Name()))
		}
	}
	dsn := "file:" + filepath.Join(dir, "state.db") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sandbox state in %s: %w", dir, err)
	}
	// One writer at a time is SQLite's model; a small pool lets readers run
	// beside it under WAL.
	db.SetMaxOpenConns(4)
	if _, err := db.Exec(schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sandbox state in %s: %w (is another process holding it, or is the file corrupt?)", dir, err)
	}
	return &Store{dir: dir, db: db, writer: make(chan struct{}, 1)}, nil
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Tx is one atomic read-modify-write transaction.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
}

// Update runs fn in a write transaction: every Put and Delete in fn commits
// together, durably, or not at all (when fn returns an error).
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	t := time.NewTimer(writerWait)
	select {
	case s.writer <- struct{}{}:
		t.Stop()
		defer func() { <-s.writer }()
	case <-t.C:
		// Fall through to SQLite's own locking.
	case <-ctx.Done():
		t.Stop()
		return fmt.Errorf("state: begin: %w", ctx.Err())
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state: begin: %w", err)
	}
	if err := fn(&Tx{ctx: ctx, tx: sqlTx}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	return nil
}

// View runs fn in a read transaction with a consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("state: begin: %w", err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	return fn(&Tx{ctx: ctx, tx: sqlTx})
}

// Get reads the document at (ns, key) into v, or returns ErrNotFound.
func (s *Store) Get(ctx context.Context, ns, key string, v any) error {
	return s.View(ctx, func(tx *Tx) error { return tx.Get(ns, key, v) })
}

// Put writes v at (ns, key).
func (s *Store) Put(ctx context.Context, ns, key string, v any) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Put(ns, key, v) })
}

// Delete removes (ns, key); deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, ns, key string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Delete(ns, key) })
}

// Get reads the document at (ns, key) into v, or returns ErrNotFound.
func (t *Tx) Get(ns, key string, v any) error {
	var raw []byte
	err := t.tx.QueryRowContext(t.ctx, `SELECT value FROM kv WHERE ns = ? AND key = ?`, ns, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("state: get %s/%s: %w", ns, key, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("state: decode %s/%s: %w", ns, key, err)
	}
	return nil
}

// Exists reports whether (ns, key) holds a document.
func (t *Tx) Exists(ns, key string) (bool, error) {
	var one int
	err := t.tx.QueryRowContext(t.ctx, `SELECT 1 FROM kv WHERE ns = ? AND key = ?`, ns, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state: exists %s/%s: %w", ns, key, err)
	}
	return true, nil
}

// Put writes v at (ns, key), replacing what was there.
func (t *Tx) Put(ns, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state: encode %s/%s: %w", ns, key, err)
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO kv (ns, key, value) VALUES (?, ?, ?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`, ns, key, raw)
	if err != nil {
		return fmt.Errorf("state: put %s/%s: %w", ns, key, err)
	}
	return nil
}

// Delete removes (ns, key).
func (t *Tx) Delete(ns, key string) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM kv WHERE ns = ? AND key = ?`, ns, key); err != nil {
		return fmt.Errorf("state: delete %s/%s: %w", ns, key, err)
	}
	return nil
}

// Entry is one document returned by List.
type Entry struct {
	Key   string
	Value json.RawMessage
}

// ListParams selects documents of one namespace.
type ListParams struct {
	NS     string
	Prefix string // only keys starting with Prefix
	After  string // only keys sorting after After (for pagination)
	Limit  int    // 0 means no limit
}

// List returns documents of a namespace in key order.
func (t *Tx) List(p ListParams) ([]Entry, error) {
	q := `SELECT key, value FROM kv WHERE ns = ? AND key >= ? AND key > ?`
	args := []any{p.NS, p.Prefix, p.After}
	if p.Prefix != "" {
		// Compare bytes, not characters: substr on TEXT counts UTF-8
		// characters (and stops at NUL), which breaks non-ASCII prefixes.
		q += ` AND substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB)`
		args = append(args, len(p.Prefix), p.Prefix)
		// An upper bound keeps the scan inside the prefix's key range.
		if end, ok := prefixEnd(p.Prefix); ok {
			q += ` AND key < ?`
			args = append(args, end)
		}
	}
	q += ` ORDER BY key`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("state: list %s: %w", p.NS, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var raw []byte
		if err := rows.Scan(&e.Key, &raw); err != nil {
			return nil, fmt.Errorf("state: list %s: %w", p.NS, err)
		}
		e.Value = raw
		out = append(out, e)
	}
	return out, rows.Err()
}

// prefixEnd is the smallest string greater than every string starting
// with prefix (false when there is none: prefix is all 0xff bytes).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// DeletePrefix removes every key of ns starting with prefix.
func (t *Tx) DeletePrefix(ns, prefix string) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM kv WHERE ns = ? AND substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB)`, ns, len(prefix), prefix)
	if err != nil {
		return fmt.Errorf("state: delete %s/%s*: %w", ns, prefix, err)
	}
	return nil
}

// List is Tx.List in its own read transaction.
func (s *Store) List(ctx context.Context, p ListParams) ([]Entry, error) {
	var out []Entry
	err := s.View(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.List(p)
		return err
	})
	return out, err
}
