// Package logs is the sandbox's Amazon CloudWatch Logs (JSON 1.1,
// X-Amz-Target prefix Logs_20140328, signing name "logs").
//
// It serves what the Terraform provider calls for aws_cloudwatch_log_group,
// aws_cloudwatch_log_metric_filter and aws_cloudwatch_log_subscription_filter
// (log groups with retention, KMS key and class; tags through both the
// TagResource and the legacy TagLogGroup families; metric and subscription
// filters) and what SDK users call to write and read logs (log streams,
// PutLogEvents, GetLogEvents, FilterLogEvents).
//
// # Events
//
// PutLogEvents checks a batch as AWS does (chronological order, at most
// 10,000 events and 1 MiB, a span of at most 24 hours; sequence tokens are
// accepted and ignored) and reports events older than 14 days or the
// retention, or more than 2 hours in the future, in rejectedLogEventsInfo
// instead of storing them. Events are stored one document each, keyed by
// (timestamp, sequence), so reads page through them in order.
// GetLogEvents tokens are f/<position> and b/<position>; at the end of a
// stream the token comes back unchanged, as on AWS.
//
// # Filter patterns
//
// pattern.go documents the supported language: terms, quoted phrases,
// ?OR and -NOT terms, JSON patterns ({ $.level = "ERROR" } with && || and
// comparisons) and space-delimited patterns ([ip, ..., status = 5*]).
// Anything else, including %regex% patterns, is an
// InvalidParameterException, never a pattern that silently matches.
//
// # Metric filters
//
// When PutLogEvents ingests events, every metric filter of the group is
// applied in the same transaction and its values are published with
// cloudwatch.PutSamples, so GetMetricStatistics and alarms see them.
//
// # Gaps
//
// Subscription filters are stored and validated but events are not yet
// delivered to their destinations (a later issue). KMS keys are checked to
// be key ARNs but not looked up in the sandbox's KMS. Insights queries,
// destinations, exports, resource policies and data protection answer
// NotImplemented naming the operation.
package logs
