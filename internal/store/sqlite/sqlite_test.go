package sqlite_test

import (
	"context"
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
