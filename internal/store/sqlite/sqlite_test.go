package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/store/storetest"
)

type tamper struct{ s *sqlite.Store }

func (t tamper) Exec(ctx context.Context, q string, args ...any) error {
	_, err := t.s.DB().ExecContext(ctx, q, args...)
	return err
}

func TestConformance(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) (store.Store, storetest.Tamper) {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "vigil.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s, tamper{s}
	})
}

// TestOpenMigratesOldDatabase: a database made before runs had binding,
// parent and wave columns opens, keeps its runs and gains the columns.
func TestOpenMigratesOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, env TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
		target TEXT NOT NULL DEFAULT '', commit_sha TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '',
		pid INTEGER NOT NULL DEFAULT 0, fingerprint TEXT NOT NULL DEFAULT '', summary TEXT, message TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
		INSERT INTO runs (id, env, kind, status, created_at, updated_at) VALUES ('old', 'dev', 'plan', 'planned', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	r, err := s.RunGet(ctx, "old")
	if err != nil || r.Status != "planned" || r.Binding != "" {
		t.Fatalf("old run: %+v, %v", r, err)
	}
	b := "sha256:x"
	if _, err := s.RunUpdate(ctx, &store.RunUpdateParams{ID: "old", Binding: &b}); err != nil {
		t.Fatal(err)
	}
}
