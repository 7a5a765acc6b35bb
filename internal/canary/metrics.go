package canary

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the runner's Prometheus metrics.
type metrics struct {
	up       *prometheus.GaugeVec     // canary_up{canary,env}
	alerting *prometheus.GaugeVec     // canary_alerting{canary,env}
	latency  *prometheus.HistogramVec // canary_latency_seconds{canary,env}
	checks   *prometheus.CounterVec   // canary_checks_total{canary,env,result}
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	labels := []string{"canary", "env"}
	m := &metrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "canary_up", Help: "1 if the canary's last check passed, else 0.",
		}, labels),
		alerting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "canary_alerting", Help: "1 while the canary is past its failure threshold (alerting), else 0.",
		}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "canary_latency_seconds",
			Help:    "Canary request latency, request to last body byte.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "canary_checks_total", Help: "Canary checks by result: success, failure (a condition failed) or error (no response).",
		}, []string{"canary", "env", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.up, m.alerting, m.latency, m.checks} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register canary metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(r Result, alerting bool) {
	up, result := 0.0, "failure"
	switch {
	case r.OK:
		up, result = 1, "success"
	case r.Status == 0:
		result = "error"
	}
	m.up.WithLabelValues(r.Canary, r.Environment).Set(up)
	m.latency.WithLabelValues(r.Canary, r.Environment).Observe(r.Latency.Seconds())
	m.checks.WithLabelValues(r.Canary, r.Environment, result).Inc()
	a := 0.0
	if alerting {
		a = 1
	}
	m.alerting.WithLabelValues(r.Canary, r.Environment).Set(a)
}
