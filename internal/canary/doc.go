// Package canary runs synthetic HTTP(S) checks on a schedule (M14):
// requests with assertions on status, latency, body, JSON fields, headers
// and certificate expiry; failure and success thresholds before alerting
// and resolving; results to sinks, Prometheus and CloudWatch.
//
// It owns the condition language, the per-canary alert state machine,
// the probe, the Runner and the CloudWatch publisher. It does not own
// persistence (a store implements Sink later), alert delivery (a
// Notifier, normally internal/alert's Dispatcher, takes the alerts) or
// reading vigil.hcl (internal/config decodes Config and Settings, which
// carry gohcl tags, and calls Build).
//
// # Conditions
//
// A small language, parsed once (ParseCondition, errors with a column)
// and evaluated per result:
//
//	status == 200                      status in [200, 204]
//	latency < 300ms                    body contains "ok"
//	body matches "^\\{"                json.status == "ok"
//	json.items.length > 0              len(json.items) > 0
//	header.Content-Type contains "json"
//	cert.expires_in > 48h              status == 200 && (latency < 1s || json.degraded)
//
// A failed condition is reported with what was observed:
// `status == 200 (status = 500)`.
//
// # Alerting
//
// Step is a pure state machine: FailureThreshold failures in a row (default
// 3) fire, SuccessThreshold successes in a row (default 2) resolve, and a
// failure for another reason while alerting is an Update. Check.Alert
// makes the alert.Alert (kind canary, fingerprint canary/<env>/<name>,
// the runbook link and what to do first).
//
// # Runner
//
// NewRunner(checks, registerer, options) and Run(ctx): every canary runs
// on its interval, first runs spread over the interval by a hash of the
// name, plus random jitter; at most Concurrency checks in flight; time
// from an injected Clock (SystemClock for real). Each result goes to the
// Sinks and the metrics canary_up, canary_alerting,
// canary_latency_seconds and canary_checks_total{result}; transitions go
// to the Notifier, and a notification that failed is offered again on
// the next run. Run returns when ctx ends, after cancelling the checks in
// flight.
//
// CloudWatch is a Sink that publishes SuccessPercent, Duration and Failed
// with dimension CanaryName in namespace vigil/Canary (as CloudWatch
// Synthetics does), at once or batched, so CloudWatch alarms can fire on
// canaries.
//
// # Example
//
//	c, err := canary.Build(canary.Config{
//		Name: "checkout", URL: "https://shop.example.com/health", Env: "prod",
//		Expect:  []string{"status == 200", "latency < 300ms", `json.status == "ok"`},
//		Runbook: "https://github.com/acme/infra/blob/main/runbooks/checkout.md",
//	}, canary.BuildOptions{})
//	r, err := canary.NewRunner([]*canary.Check{c}, registry, canary.RunnerOptions{
//		Notifier: dispatcher, Sinks: []canary.Sink{store, cw},
//	})
//	go r.Run(ctx)
package canary
