package serve

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigil-sre/vigil/internal/queue"
	"github.com/vigil-sre/vigil/internal/store"
)

// PruneEvery is how often serve prunes the store (serve.retention).
const PruneEvery = time.Hour

// PruneArgs is the retention job: prune the store by serve.retention.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return "vigil_store_prune" }

// pruneJob runs hourly, and once at start; unique per hour, so neither a
// restart nor a second serve on the same store prunes twice in an hour.
func pruneJob() *river.PeriodicJob {
	return queue.Periodic("store_prune", river.PeriodicInterval(PruneEvery), PruneArgs{}, &river.InsertOpts{Queue: river.QueueDefault})
}

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	s *Server
}

// Timeout: a first prune of a big store deletes many batches.
func (w *pruneWorker) Timeout(*river.Job[PruneArgs]) time.Duration { return 30 * time.Minute }

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	_, err := w.s.Prune(ctx)
	return err
}

// Prune removes what serve.retention no longer keeps (what the hourly
// job runs): canary results, drift reports (each stack's newest stays)
// and alert delivery attempts older than their retention. It logs and
// counts (vigil_store_pruned_rows_total{kind}) what it removed, also when
// it fails part-way.
func (s *Server) Prune(ctx context.Context) (*store.PruneResult, error) {
	ret := s.opts.Config.Serve.Retention
	now := s.now()
	cut := func(d time.Duration) time.Time {
		if d <= 0 {
			return time.Time{} // "off": keep forever
		}
		return now.Add(-d)
	}
	p := &store.PruneParams{
		CanaryResultsBefore:   cut(ret.CanaryResults),
		DriftReportsBefore:    cut(ret.DriftReports),
		AlertDeliveriesBefore: cut(ret.AlertDeliveries),
	}
	r, err := s.opts.Store.Prune(ctx, p)
	if r != nil {
		s.m.pruned.WithLabelValues(pruneCanaryResults).Add(float64(r.CanaryResults))
		s.m.pruned.WithLabelValues(pruneDriftReports).Add(float64(r.DriftReports))
		s.m.pruned.WithLabelValues(pruneAlertDeliveries).Add(float64(r.AlertDeliveries))
	}
	if err != nil {
		s.log.Error("store: prune failed", "err", err)
		return r, err
	}
	s.log.Info("store: pruned", "canary_results", r.CanaryResults, "drift_reports", r.DriftReports, "alert_deliveries", r.AlertDeliveries)
	return r, nil
}

// The kind label of vigil_store_pruned_rows_total.
const (
	pruneCanaryResults   = "canary_results"
	pruneDriftReports    = "drift_reports"
	pruneAlertDeliveries = "alert_deliveries"
)
