package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/store"
)

// metrics are serve's own: drift checks and findings, and runs (read
// from the store at scrape time). Canary and alert-delivery metrics come
// from packages canary and alert, on the same registry.
type metrics struct {
	driftChecks   *prometheus.CounterVec   // vigil_drift_checks_total{env,result}
	driftSeconds  *prometheus.HistogramVec // vigil_drift_check_seconds{env}
	driftStatus   *prometheus.GaugeVec     // vigil_drift_stack_status{env,stack,status}
	driftFindings *prometheus.GaugeVec     // vigil_drift_findings{env,stack}
	pruned        *prometheus.CounterVec   // vigil_store_pruned_rows_total{kind}
}

func newMetrics(reg prometheus.Registerer, st store.Store) (*metrics, error) {
	m := &metrics{
		driftChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_drift_checks_total", Help: "Drift checks by environment and result (clean, drifted, error).",
		}, []string{"env", "result"}),
		driftSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_drift_check_seconds", Help: "Duration of a drift check of an environment.",
			Buckets: []float64{1, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"env"}),
		driftStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_drift_stack_status", Help: "1 for the status of each stack's last drift check (clean, drifted, error), else 0.",
		}, []string{"env", "stack", "status"}),
		driftFindings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_drift_findings", Help: "Drift findings (not ignored) of each stack's last check; stack \"\" is the unmanaged check.",
		}, []string{"env", "stack"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_store_pruned_rows_total", Help: "Rows the retention prune removed from the store, by kind (canary_results, drift_reports, alert_deliveries).",
		}, []string{"kind"}),
	}
	for _, k := range []string{pruneCanaryResults, pruneDriftReports, pruneAlertDeliveries} {
		m.pruned.WithLabelValues(k)
	}
	for _, c := range []prometheus.Collector{m.driftChecks, m.driftSeconds, m.driftStatus, m.driftFindings, m.pruned, runCollector{st}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register serve metrics: %w", err)
		}
	}
	return m, nil
}

// runCollector exports the pipeline's runs from the store at scrape time:
// vigil_runs{env,status} and vigil_run_last_timestamp_seconds{env}.
type runCollector struct{ st store.Store }

var (
	runsDesc = prometheus.NewDesc("vigil_runs", "Pipeline runs recorded in the store, by environment and status.", []string{"env", "status"}, nil)
	lastDesc = prometheus.NewDesc("vigil_run_last_timestamp_seconds", "When the newest run of the environment started.", []string{"env"}, nil)
)

func (runCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- runsDesc
	ch <- lastDesc
}

func (c runCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	runs, err := c.st.RunList(ctx, &store.RunListParams{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(runsDesc, err)
		return
	}
	type k struct{ env, status string }
	counts := map[k]int{}
	last := map[string]time.Time{}
	for _, r := range runs {
		counts[k{r.Env, r.Status}]++
		if r.CreatedAt.After(last[r.Env]) {
			last[r.Env] = r.CreatedAt
		}
	}
	for key, n := range counts {
		ch <- prometheus.MustNewConstMetric(runsDesc, prometheus.GaugeValue, float64(n), key.env, key.status)
	}
	for env, t := range last {
		ch <- prometheus.MustNewConstMetric(lastDesc, prometheus.GaugeValue, float64(t.Unix()), env)
	}
}
