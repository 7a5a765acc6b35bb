// Package alert delivers vigil's alerts (drift, canary, alarm,
// remediation, pipeline, sink-failure) to people: it routes them, sends
// them through sinks, retries, dedupes, updates and resolves, records
// every delivery attempt and measures alert noise (M15, M19).
//
// It owns the Alert type, the sinks (Slack, PagerDuty Events API v2,
// generic signed webhook, Amazon SNS), the routing tree, the Dispatcher
// and the noise account. It does not own scheduling (who decides that
// something is wrong: drift sweeps, canaries, alarms), persistence (the
// store implements Recorder and StateStore later) or the job queue.
//
// # Alerts
//
// An Alert has a stable identity (Key: its Fingerprint, or a hash of kind,
// environment, layer, stack and resource), a status (firing or resolved),
// a kind, a severity (critical, error, warning, info), where it is
// (environment, layer, stack, resource), a summary, details (attribute
// diffs, failed conditions — masked by callers), a runbook link and what
// to do first (M15), times and labels.
//
// # Sinks
//
// A Sink tries once: Send(ctx, alert) (retry bool, err error), the bool
// saying whether the failure is worth another try (as Alertmanager's
// Notifier). Each sink file holds its config (a gohcl-tagged struct with
// Validate), constructor and Send:
//
//   - slack.go: incoming webhook; text fallback and blocks with a Runbook
//     button; 429 Retry-After is honoured.
//   - pagerduty.go: Events API v2 trigger/resolve with dedup_key =
//     Alert.DedupKey (a SHA-256 of the key), summary ≤ 1024, custom
//     details and the runbook link; 202 is success, 429 and 5xx retry.
//   - webhook.go: JSON (WebhookMessage) with X-Vigil-Signature:
//     sha256=<hex HMAC-SHA256 of the body> and X-Vigil-Timestamp.
//   - sns.go: aws-sdk-go-v2 Publish with subject, text (or JSON) and
//     message attributes; the endpoint comes from the aws.Config, so the
//     sandbox's pager topic works.
//
// Secrets (URLs, routing keys, HMAC keys) are given as a value, a file or
// an environment variable (url / url_file / url_env); the Secret type
// prints as <redacted>, and errors never quote them (URLs are shown as
// scheme://host/<redacted>).
//
// # Dispatcher
//
// Dispatch routes an alert through a tree of Routes (first match, with
// continue, as Alertmanager), then per receiver: a trigger for a new key,
// an update when a firing key's content changed, nothing when it did not,
// and a resolve to every receiver that holds a firing notification when
// the key resolves. Deliveries retry with exponential backoff (checking
// ctx before each try, within a deadline) and end in a *DeliveryError
// naming receiver, integration and attempts. Every attempt goes to a
// Recorder; dedupe state lives in a StateStore (Memory implements both
// for tests). A receiver that fails SinkFailureAfter notifications in a
// row raises a sink-failure alert to the other receivers, resolved when
// it delivers again. Before sending, Scrub masks whatever still looks
// like a secret in the alert.
//
// Metrics (registered on the prometheus.Registerer given to
// NewDispatcher, never a global one): alert_deliveries_total{sink,outcome},
// alert_delivery_seconds{sink}, alerts_firing{kind,env}.
//
// Noise(attempts) is a pure function over recorded attempts: alerts per
// day per route, flaps, updates and time to resolve.
//
// # Example
//
//	d, err := alert.Build(ctx, cfg.Alerts, registry, alert.BuildOptions{Recorder: st})
//	...
//	err = d.Notify(ctx, alert.Alert{
//		Status: alert.StatusFiring, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
//		Environment: "dev", Layer: "observability", Stack: "dev/observability",
//		Resource: "aws_cloudwatch_metric_alarm.alb_5xx",
//		Summary:  "changed out of band: threshold 25 → 50",
//		RunbookURL: "https://github.com/acme/infra/blob/main/runbooks/drift.md",
//		FirstStep:  "Run `vigil drift --stack dev/observability` and decide: revert or codify.",
//	})
//
// The package alerttest holds the shared sink tests: the retry table
// (status → retry?) and AssertNotifyLeaksNoSecret.
package alert
