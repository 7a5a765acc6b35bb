package alert

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the dispatcher's Prometheus metrics.
type metrics struct {
	deliveries *prometheus.CounterVec   // alert_deliveries_total{sink,outcome}
	seconds    *prometheus.HistogramVec // alert_delivery_seconds{sink}
	firing     *prometheus.GaugeVec     // alerts_firing{kind,env}
}

// newMetrics makes the metrics and registers them with reg (nil: kept
// unregistered, still counted).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alert_deliveries_total",
			Help: "Alert delivery attempts by receiver (sink) and outcome (success, retry, failed).",
		}, []string{"sink", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "alert_delivery_seconds",
			Help:    "Duration of one alert delivery attempt, by receiver (sink).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"sink"}),
		firing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alerts_firing",
			Help: "Alert keys currently firing, by kind and environment.",
		}, []string{"kind", "env"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.seconds, m.firing} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register alert metrics: %w", err)
		}
	}
	return m, nil
}
