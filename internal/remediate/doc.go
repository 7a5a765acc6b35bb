// Package remediate is the remediation layer's logic (M4): the Lambda
// function cmd/vigil-remediator runs it on CloudWatch alarm state changes
// to ALARM and on a scheduled sweep. It replaces rather than repairs:
// it stops the service's bad tasks and lets the ECS scheduler start fresh
// ones, within a rate limit, and hands the alarm to a person on the pager
// topic when that does not end the episode. docs/remediation.md is the
// operator's view.
//
// It owns the decisions and the AWS calls around them; it does not own
// the function's infrastructure (blueprint/modules/remediation) nor
// building its zip (package build below it).
//
// # Episodes
//
// An episode is one stay of an alarm in ALARM, named by the UTC second it
// entered the state (Episode, e.g. "20260501T100000Z"). Everything is per
// (alarm, episode), and everything the remediator knows about an episode
// it reads back from AWS, never from memory:
//
//   - its stops are the service's stopped tasks whose stoppedReason is
//     StopReason(alarm, episode, why): "vigil-remediator: episode=… key=…
//     alarm=… why=…" (AttemptsFor). A redelivered event finds them and
//     stops nothing.
//   - its escalation is a log stream vigil-escalated/<episode>/<alarm> in
//     the function's log group (Ledger), made after the page is published.
//
// # Decisions
//
// Pure, table-tested: Task.Bad (target unhealthy, unhealthy.draining or
// draining while ECS wants the task running, ECS reports it UNHEALTHY, or
// its 5xx share stands out in the app's metrics), PlanStops (the rate limit: MAX_STOPS per invocation, and
// only while min(MIN_HEALTHY, desired−1) healthy tasks serve), Decide
// (stop, wait, duplicate or escalate: after ESCALATE_AFTER in ALARM, after
// MAX_ATTEMPTS stops have had RETRY_AFTER to work, or when there is
// nothing it can stop).
//
// # Gray failures
//
// A task that answers 5xx while it passes its health checks is invisible
// to target health. For an alarm about 5xx (Watches5XX) with no task bad
// by its health, the remediator reads the app's per-task metrics in
// APP_METRICS_NAMESPACE — RequestCount and HTTPCode_5XX_Count (Sum) by
// ClusterName, ServiceName and TaskId, as embedded metric format
// publishes them — over the alarm's evaluation window (EvaluationWindow,
// GetMetricData) and marks the tasks FindOutliers picks: a 5xx share of
// at least 10%, and at least 10 points above and twice the median task's
// (DefaultOutlierRule). They are stopped like any bad task, within the
// same rate limit and idempotency. With no namespace configured, no data,
// a failed read or no task standing out (the errors are service-wide),
// Fleet.AppNote says why and the episode is escalated with it.
//
// # Incident records
//
// Every action is one JSON log line (slog) with message "incident" and an
// Incident under the key "incident": schema, time, alarm, episode, action,
// target, outcome, detail, attempt, cluster, service, runbook, trigger.
// ParseIncident reads one back; escalated episodes are the backlog items
// of M17.
//
// # Example
//
//	cfg, err := remediate.ConfigFromEnv(os.Getenv)
//	if err != nil { … }
//	awsCfg, _ := config.LoadDefaultConfig(ctx)
//	r := remediate.New(cfg, remediate.NewClients(awsCfg), remediate.Options{Logger: log})
//	lambda.Start(r.Handle)
package remediate
