package sqlite

import (
	"context"
	"fmt"

	"github.com/vigil-sre/vigil/internal/store"
)

// Prune implements store.RetentionStore: each batch is one DELETE (its
// own transaction), so writers wait at most one batch.
func (s *Store) Prune(ctx context.Context, p *store.PruneParams) (*store.PruneResult, error) {
	var r store.PruneResult
	steps := []struct {
		name  string
		on    bool
		n     *int64
		query string
		arg   string
	}{
		{"canary results", !p.CanaryResultsBefore.IsZero(), &r.CanaryResults,
			`DELETE FROM canary_results WHERE id IN (SELECT id FROM canary_results WHERE at < ? ORDER BY at LIMIT ?)`,
			tsOrEmpty(p.CanaryResultsBefore)},
		// The newest report of each env/stack stays, however old: it is
		// the stack's last known drift status.
		{"drift reports", !p.DriftReportsBefore.IsZero(), &r.DriftReports,
			`DELETE FROM drift_reports WHERE id IN (SELECT d.id FROM drift_reports d WHERE d.checked_at < ? AND d.id <> (
				SELECT x.id FROM drift_reports x WHERE x.env = d.env AND x.stack = d.stack ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)
			ORDER BY d.checked_at LIMIT ?)`,
			tsOrEmpty(p.DriftReportsBefore)},
		{"alert deliveries", !p.AlertDeliveriesBefore.IsZero(), &r.AlertDeliveries,
			`DELETE FROM alert_deliveries WHERE id IN (SELECT id FROM alert_deliveries WHERE at < ? ORDER BY at LIMIT ?)`,
			tsOrEmpty(p.AlertDeliveriesBefore)},
	}
	for _, st := range steps {
		if !st.on {
			continue
		}
		err := store.PruneBatches(ctx, p.BatchSize, st.n, func(ctx context.Context, batch int) (int64, error) {
			res, err := s.db.ExecContext(ctx, st.query, st.arg, batch)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		})
		if err != nil {
			return &r, fmt.Errorf("store: prune %s: %w", st.name, err)
		}
	}
	return &r, nil
}
