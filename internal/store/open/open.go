// Package storeopen opens the store a `store` setting names: the embedded
// SQLite store for a file path (or sqlite://path), the PostgreSQL store for
// a postgres:// or postgresql:// URL.
package storeopen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/postgres"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
)

// Kinds of store.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// Parse says which store dsn names and, for SQLite, the file path:
// "postgres://…" and "postgresql://…" are PostgreSQL; "sqlite://PATH" and
// a plain path are SQLite ("sqlite:///var/lib/vigil.db" is the absolute
// path /var/lib/vigil.db). Any other scheme is an error.
func Parse(dsn string) (kind, path string, err error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return "", "", errors.New("store: empty store setting (want a file path, sqlite://PATH or postgres://…)")
	}
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return KindSQLite, dsn, nil
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return KindPostgres, "", nil
	case "sqlite", "sqlite3":
		if rest == "" {
			return "", "", fmt.Errorf("store: %s:// names no file (want sqlite://PATH)", scheme)
		}
		return KindSQLite, rest, nil
	default:
		return "", "", fmt.Errorf("store: unsupported store %q: want a file path, sqlite://PATH or postgres://…", scheme+"://…")
	}
}

// OpenDSN opens the store dsn names. Callers that need the PostgreSQL pool
// (River's riverpgxv5 driver) type-assert the result to *postgres.Store;
// the SQLite store is *sqlite.Store.
func OpenDSN(ctx context.Context, dsn string) (store.Store, error) {
	kind, path, err := Parse(dsn)
	if err != nil {
		return nil, err
	}
	if kind == KindPostgres {
		return postgres.Open(ctx, strings.TrimSpace(dsn))
	}
	return sqlite.Open(path)
}
