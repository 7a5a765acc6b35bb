package storeopen_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/store"
	storeopen "github.com/vigil-sre/vigil/internal/store/open"
	"github.com/vigil-sre/vigil/internal/store/postgres"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestParse(t *testing.T) {
	for _, tc := range []struct{ dsn, kind, path, err string }{
		{dsn: ".vigil/vigil.db", kind: "sqlite", path: ".vigil/vigil.db"},
		{dsn: "/var/lib/vigil/vigil.db", kind: "sqlite", path: "/var/lib/vigil/vigil.db"},
		{dsn: "sqlite://.vigil/vigil.db", kind: "sqlite", path: ".vigil/vigil.db"},
		{dsn: "sqlite:///var/lib/vigil.db", kind: "sqlite", path: "/var/lib/vigil.db"},
		{dsn: "postgres://vigil@db:5432/vigil", kind: "postgres"},
		{dsn: "PostgreSQL://vigil@db/vigil?sslmode=require", kind: "postgres"},
		{dsn: "", err: "empty store setting"},
		{dsn: "sqlite://", err: "names no file"},
		{dsn: "mysql://root@db/vigil", err: `unsupported store "mysql://…"`},
	} {
		kind, path, err := storeopen.Parse(tc.dsn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) err = %v, want %q", tc.dsn, err, tc.err)
			}
			continue
		}
		if err != nil || kind != tc.kind || path != tc.path {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q", tc.dsn, kind, path, err, tc.kind, tc.path)
		}
	}
}

// TestOpenDSN: each kind of setting opens a working store of that kind.
func TestOpenDSN(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, dsn string
		check     func(store.Store) bool
	}{
		{"path", filepath.Join(t.TempDir(), "a", "vigil.db"), func(s store.Store) bool { _, ok := s.(*sqlite.Store); return ok }},
		{"sqlite-url", "sqlite://" + filepath.Join(t.TempDir(), "vigil.db"), func(s store.Store) bool { _, ok := s.(*sqlite.Store); return ok }},
		{"postgres", pgtest.Start(t), func(s store.Store) bool { p, ok := s.(*postgres.Store); return ok && p.Pool() != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := storeopen.OpenDSN(ctx, tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !tc.check(s) {
				t.Fatalf("OpenDSN(%q) = %T", tc.dsn, s)
			}
			if _, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunPlanned}}); err != nil {
				t.Fatal(err)
			}
			if r, err := s.RunGet(ctx, "r1"); err != nil || r.Env != "dev" {
				t.Fatalf("RunGet = %+v, %v", r, err)
			}
		})
	}
	if _, err := storeopen.OpenDSN(ctx, "redis://localhost"); err == nil {
		t.Fatal("OpenDSN accepted redis://")
	}
}
