package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
)

// Prune implements store.RetentionStore: each batch is one DELETE (its
// own transaction), so no lock is held longer than one batch.
func (s *Store) Prune(ctx context.Context, p *store.PruneParams) (*store.PruneResult, error) {
	var r store.PruneResult
	steps := []struct {
		name   string
		before time.Time
		n      *int64
		query  string
	}{
		{"canary results", p.CanaryResultsBefore, &r.CanaryResults,
			`DELETE FROM canary_results WHERE id IN (SELECT id FROM canary_results WHERE at < $1 ORDER BY at LIMIT $2)`},
		// The newest report of each env/stack stays, however old: it is
		// the stack's last known drift status.
		{"drift reports", p.DriftReportsBefore, &r.DriftReports,
			`DELETE FROM drift_reports WHERE id IN (SELECT d.id FROM drift_reports d WHERE d.checked_at < $1 AND d.id <> (
				SELECT x.id FROM drift_reports x WHERE x.env = d.env AND x.stack = d.stack ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)
			ORDER BY d.checked_at LIMIT $2)`},
		{"alert deliveries", p.AlertDeliveriesBefore, &r.AlertDeliveries,
			`DELETE FROM alert_deliveries WHERE id IN (SELECT id FROM alert_deliveries WHERE at < $1 ORDER BY at LIMIT $2)`},
	}
	for _, st := range steps {
		if st.before.IsZero() {
			continue
		}
		before := st.before.UTC().Truncate(time.Microsecond)
		err := store.PruneBatches(ctx, p.BatchSize, st.n, func(ctx context.Context, batch int) (int64, error) {
			tag, err := s.pool.Exec(ctx, st.query, before, batch)
			if err != nil {
				return 0, err
			}
			return tag.RowsAffected(), nil
		})
		if err != nil {
			return &r, fmt.Errorf("store: prune %s: %w", st.name, err)
		}
	}
	return &r, nil
}
