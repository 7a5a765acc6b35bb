package store

import (
	"context"
	"time"
)

// DefaultPruneBatch is how many rows one DELETE of Prune removes at most
// when PruneParams.BatchSize is 0: each batch is its own short
// transaction, so a big prune never holds a long lock.
const DefaultPruneBatch = 1000

// PruneParams are Prune's cut-offs, one per kind of row vigil serve
// accumulates. A zero time leaves that kind alone. Runs, run stacks,
// approvals, audit events, incidents, alert states and canary states are
// never pruned.
type PruneParams struct {
	// CanaryResultsBefore removes canary results with At before it.
	CanaryResultsBefore time.Time
	// DriftReportsBefore removes drift reports checked before it, except
	// the newest report of each env and stack (and of each env's
	// unmanaged check), which stack status and the dashboard show.
	DriftReportsBefore time.Time
	// AlertDeliveriesBefore removes delivery attempts made before it.
	AlertDeliveriesBefore time.Time
	// BatchSize bounds the rows one statement deletes (0:
	// DefaultPruneBatch).
	BatchSize int
}

// PruneResult counts the rows Prune removed, by kind.
type PruneResult struct {
	CanaryResults   int64 `json:"canary_results"`
	DriftReports    int64 `json:"drift_reports"`
	AlertDeliveries int64 `json:"alert_deliveries"`
}

// Total is the number of rows removed.
func (r *PruneResult) Total() int64 { return r.CanaryResults + r.DriftReports + r.AlertDeliveries }

// RetentionStore forgets what vigil serve no longer needs.
type RetentionStore interface {
	// Prune deletes, in batches, the rows older than p's cut-offs. When
	// it fails part-way the result counts what was already removed.
	Prune(ctx context.Context, p *PruneParams) (*PruneResult, error)
}

// PruneBatches runs del (one DELETE of at most batch rows, returning how
// many it removed) until a batch comes back short, adding to *n. Store
// implementations share it.
func PruneBatches(ctx context.Context, batch int, n *int64, del func(ctx context.Context, batch int) (int64, error)) error {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		got, err := del(ctx, batch)
		*n += got
		if err != nil {
			return err
		}
		if got < int64(batch) {
			return nil
		}
	}
}
