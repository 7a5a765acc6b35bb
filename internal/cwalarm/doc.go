// Package cwalarm is CloudWatch metric alarm evaluation as pure functions:
// no I/O, no clock. Given an alarm's configuration and the datapoints of
// its evaluation range it says which state the alarm is in, why (the state
// reason and reason data, in CloudWatch's words and format), and which
// actions a transition fires. The sandbox's CloudWatch evaluates its alarms
// with it; vigil's own alerting can use it to predict what an alarm does.
//
// It does not store alarms, fetch metrics, schedule evaluations or run
// actions: callers do (internal/sandbox/cloudwatch).
//
// # The algorithm
//
// Source: the CloudWatch User Guide, "Evaluating an alarm" and "How alarm
// state is evaluated when data is missing".
//
//   - A datapoint is the alarm's statistic (Stat: SampleCount, Average,
//     Sum, Minimum, Maximum, or an extended statistic pNN, tmNN, wmNN, tcNN,
//     tsNN, IQM, TM/WM/TC/TS/PR(a:b)) over the raw samples of one period
//     (Bucket, Aggregate). A period with no samples is missing.
//   - Each evaluation looks at the evaluation range: RangeSize(N) periods
//     ending with the most recent complete one. AWS does not publish that
//     size; vigil uses N + max(floor(N/3), 2), which gives AWS's documented
//     5 for N = 3 (LocalStack's approximation).
//   - At least N real datapoints in the range: the newest N decide, the
//     missing-data setting is not used.
//   - Fewer than N: every real datapoint in the range counts, and the N-Real
//     gaps are filled with the missing-data treatment (as few fills as
//     possible). breaching fills breach, notBreaching fills do not.
//   - Then fewer than M (DatapointsToAlarm) breaching is OK, else ALARM.
//   - missing and ignore do not fill: M breaching real datapoints make
//     ALARM and one non-breaching makes OK. Otherwise (all breaching, fewer
//     than M) the premature-transition rule applies under missing: ALARM
//     when the oldest breaching datapoint is at least M periods old, else
//     INSUFFICIENT_DATA; ignore keeps the current state.
//   - No real datapoint at all: INSUFFICIENT_DATA (missing), the current
//     state (ignore), ALARM (breaching), OK (notBreaching).
//   - Alarms on AWS/DynamoDB metrics always ignore missing data.
//   - EvaluateLowSampleCountPercentile ignore: for a pNN statistic, an
//     evaluation whose datapoints include one with fewer samples than
//     10/(1-p) (p >= 0.5) or 10/p (p < 0.5) keeps the current state.
//   - Operators: the four threshold comparisons, and the three anomaly
//     band ones, which compare with Point.Lower and Point.Upper.
//
// These rules reproduce every example table of the AWS documentation
// (evaluate_test.go lists them).
//
// # Actions
//
// Actions fire on a change of state only (ToFire); Auto Scaling actions
// then repeat every period while the alarm stays in the state (Repeating).
//
// # Example
//
//	cfg := &cwalarm.Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2,
//		Threshold: 25, Operator: cwalarm.GreaterThanThreshold, TreatMissingData: cwalarm.NotBreaching,
//		Stat: cwalarm.MustParseStat("Sum")}
//	points := cwalarm.Aggregate(samples, start, time.Minute, 60, cfg.Stat, nil)
//	series := cwalarm.Series{Start: start, Period: time.Minute, Points: points}
//	window := series.Window(series.Index(now)-1, cfg.N())
//	res := cwalarm.Evaluate(cfg, window, current)
//	if res.Changed(current) {
//		reason := cwalarm.Reason(cfg, window, res)
//		data := cwalarm.ReasonData(cfg, window, res, now)
//		fire := cwalarm.ToFire(current, res.State, true, actions)
//		…
//	}
//
// # Performance
//
// Evaluate and Series.Window do not allocate: evaluating 1,000 alarms at
// every minute of a week of one-minute datapoints (10 M datapoints) takes
// well under a second (BenchmarkWeekOfAlarms). Reason and ReasonData
// allocate, and are only needed on a change.
package cwalarm
