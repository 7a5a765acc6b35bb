// Package cloudwatch is the sandbox's Amazon CloudWatch (SigV4 signing name
// "monitoring"): metric and composite alarms with their state and history,
// tags, and metric data with real aggregation.
//
// # Two wire protocols
//
// The Terraform provider (5.100, aws-sdk-go-v2 service/cloudwatch v1.45)
// speaks the query protocol (form Action=…, XML responses in the
// http://monitoring.amazonaws.com/doc/2010-08-01/ namespace); current
// aws-sdk-go-v2 speaks Smithy RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/<Op>, Smithy-Protocol:
// rpc-v2-cbor). Both decode into the same Go input structs (field names are
// the API's member names) and call the same handler; errors carry the
// query code (InvalidParameterValue, ResourceNotFound, …), which the CBOR
// path also sends in X-Amzn-Query-Error beside the error shape, so SDK
// users see the same typed error and ErrorCode() either way. CloudWatch's
// third protocol, awsJson1_1 (chosen by some non-Go SDKs), is answered with
// an error naming the two supported ones.
//
// # Alarms
//
// PutMetricAlarm validates what CloudWatch validates (statistic xor
// extended statistic xor metric math, periods, DatapointsToAlarm <=
// EvaluationPeriods, TreatMissingData, actions) and stores the alarm; a new
// alarm is INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"), an
// update keeps the state and ignores Tags, as on AWS. Composite rules are
// parsed (ALARM/OK/INSUFFICIENT_DATA, AND, OR, NOT, TRUE, FALSE) and every
// alarm they name must exist. SetAlarmState and configuration changes
// write DescribeAlarmHistory items.
//
// # Evaluation
//
// An Evaluator (NewEvaluator, started by the sandbox server on its virtual
// clock) evaluates every metric alarm at the end of each of its periods
// over the datapoints stored here, with internal/cwalarm (AWS's algorithm:
// M out of N, the evaluation range, every TreatMissingData, statistics and
// extended statistics, the reason texts); metric math alarms with this
// package's math (what it cannot compute, and anomaly bands, leave the
// alarm INSUFFICIENT_DATA with a reason saying so); composite alarms follow
// their rule over their children. A new or updated alarm is first
// evaluated a period after the change. Each change of state commits with
// its StateUpdate history item and a pending hand-off, then goes to the
// ActionSink (SetActionSink), which runs the actions of the new state and
// sends the EventBridge event; its results become Action history items.
// SetAlarmState hands its changes to the sink too, and lasts until the
// next evaluation. Instants already evaluated are not evaluated again
// after a restart, and hand-offs a crash left pending run on Start.
//
// # Metrics
//
// PutMetricData stores every datum durably (Value, Values/Counts,
// StatisticValues, Unit, Timestamp) and GetMetricStatistics /
// GetMetricData aggregate them per epoch-aligned period: SampleCount, Sum,
// Average, Minimum, Maximum and nearest-rank percentiles pNN (see
// stats.go). Metric math evaluates arithmetic, ABS, FILL and
// SUM/AVG/MIN/MAX/COUNT; other functions and the trimmed/winsorized
// statistics are refused with InvalidParameterValue. PutSamples lets other
// sandbox services (CloudWatch Logs metric filters) publish datapoints in
// their own transaction.
//
// # Gaps
//
// Dashboards, anomaly detectors, insight rules, metric streams and the
// other operations answer InvalidAction naming the operation. GetMetricData
// returns all results in one page (no NextToken).
//
// # Example
//
//	svc := cloudwatch.New(env) // registered in sandbox.newServices
//	err := env.State.Update(ctx, func(tx *state.Tx) error {
//		return cloudwatch.PutSamples(tx, "us-east-1", []cloudwatch.Sample{{
//			Namespace: "App", MetricName: "Errors", Timestamp: now, Value: 1, Unit: "Count"}})
//	})
package cloudwatch
