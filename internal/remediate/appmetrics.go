package remediate

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Gray failures: a task that answers 5xx to traffic while it passes the
// load balancer's shallow health check is invisible to target health. The
// load balancer's metrics say how many 5xx the service answered, not
// which task did; the application's own metrics, per task, do. This file
// holds the pure part: which alarms ask for that look, over which window,
// and which tasks stand out. remediate.go reads the metrics
// (GetMetricData).

// The application metrics the remediator reads, per task, in the
// namespace APP_METRICS_NAMESPACE names: what an app instrumented with
// CloudWatch embedded metric format publishes (the sandbox's workload
// plays such an app).
const (
	AppMetricRequests = "RequestCount"       // requests the task answered (Sum)
	AppMetric5XX      = "HTTPCode_5XX_Count" // of those, answered with a 5xx (Sum)

	AppDimCluster = "ClusterName"
	AppDimService = "ServiceName"
	AppDimTask    = "TaskId" // the task ARN's last part
)

// MetricInfo is one metric an alarm watches (directly or in its metric
// math).
type MetricInfo struct {
	Namespace string
	Name      string
	Period    time.Duration
}

// Watches5XX reports whether the alarm is about 5xx responses: it watches
// a metric whose name has "5XX" in it (HTTPCode_Target_5XX_Count,
// HTTPCode_ELB_5XX_Count, an app's HTTPCode_5XX_Count), alone or in
// metric math. Only such alarms send the remediator to the per-task
// application metrics.
func (a AlarmInfo) Watches5XX() bool {
	for _, m := range a.Metrics {
		if strings.Contains(strings.ToUpper(m.Name), "5XX") {
			return true
		}
	}
	return false
}

// Window is a span of whole periods of metrics.
type Window struct {
	Start, End time.Time
	Period     time.Duration
}

func (w Window) String() string {
	return fmt.Sprintf("%s–%s", w.Start.UTC().Format("15:04:05"), w.End.UTC().Format("15:04:05Z"))
}

// EvaluationWindow is the span of the alarm's evaluation: its evaluation
// periods (at least one) of its period (default one minute), ending at
// the period boundary at or before the evaluation that put it in ALARM
// (Entered) — for a sweep, the later of that and now, so a follow-up
// looks at the latest periods.
func EvaluationWindow(a AlarmInfo, trig Trigger, now time.Time) Window {
	period := a.Period
	for _, m := range a.Metrics {
		if period <= 0 || (m.Period > 0 && m.Period < period) {
			period = m.Period
		}
	}
	if period <= 0 {
		period = time.Minute
	}
	n := max(a.EvaluationPeriods, 1)
	end := a.Entered
	if trig == TriggerSweep && now.After(end) {
		end = now
	}
	end = end.UTC().Truncate(period)
	return Window{Start: end.Add(-time.Duration(n) * period), End: end, Period: period}
}

// TaskLoad is what one task answered over a window, from the app's
// metrics.
type TaskLoad struct {
	Task     string // task ARN
	Requests float64
	Errors   float64 // 5xx
	// Data says the app published anything for the task in the window.
	Data bool
}

// Share is the task's 5xx share of its requests (0 without requests).
func (l TaskLoad) Share() float64 {
	if l.Requests <= 0 {
		return 0
	}
	return math.Min(1, l.Errors/l.Requests)
}

// OutlierRule says when a task's 5xx share stands out.
type OutlierRule struct {
	// MinRequests: a task that answered fewer requests in the window is
	// neither judged nor part of the baseline (too few to say).
	MinRequests float64
	// MinShare: a bad task's 5xx share is at least this, in absolute
	// terms (a task failing 2% of its requests is not replaced).
	MinShare float64
	// MinGap and Ratio: "clearly above the others": its share is at least
	// MinGap above the fleet's median share, and at least Ratio times it.
	MinGap float64
	Ratio  float64
}

// DefaultOutlierRule: at least 10 requests, at least 10% of them 5xx, at
// least 10 points and twice above the median task.
var DefaultOutlierRule = OutlierRule{MinRequests: 10, MinShare: 0.10, MinGap: 0.10, Ratio: 2}

// Outlier is a task whose 5xx share stands out, and why, for a person.
type Outlier struct {
	Load     TaskLoad
	Baseline float64 // the median share it was compared with
	Why      string
}

// FindOutliers picks the tasks whose 5xx share is high in absolute terms
// and clearly above the others': MinShare or more, and at least MinGap
// above and Ratio times the median share of the tasks with MinRequests
// requests. The median makes the comparison hold while fewer than half
// the tasks fail: when half or more fail alike, no task stands out and
// the fault looks service-wide. A single judged task has nothing to be
// compared with. Worst first. When none stands out, why says so.
func FindOutliers(loads []TaskLoad, rule OutlierRule) (out []Outlier, why string) {
	var judged []TaskLoad
	for _, l := range loads {
		if l.Requests >= rule.MinRequests && l.Requests > 0 {
			judged = append(judged, l)
		}
	}
	if len(judged) < 2 {
		return nil, fmt.Sprintf("%d of %d running task(s) answered at least %.0f requests: too few to compare tasks", len(judged), len(loads), rule.MinRequests)
	}
	shares := make([]float64, len(judged))
	for i, l := range judged {
		shares[i] = l.Share()
	}
	sort.Float64s(shares)
	median := shares[len(shares)/2]
	if len(shares)%2 == 0 {
		median = (shares[len(shares)/2-1] + shares[len(shares)/2]) / 2
	}
	for _, l := range judged {
		s := l.Share()
		if s >= rule.MinShare && s-median >= rule.MinGap && s >= rule.Ratio*median {
			out = append(out, Outlier{Load: l, Baseline: median,
				Why: fmt.Sprintf("app metrics: %.0f of %.0f requests answered 5xx (%s), the tasks' median %s", l.Errors, l.Requests, pct(s), pct(median))})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Load.Share(), out[j].Load.Share()
		if a != b {
			return a > b
		}
		return out[i].Load.Task < out[j].Load.Task
	})
	if len(out) > 0 {
		return out, ""
	}
	list := make([]string, len(shares))
	for i, s := range shares {
		list[i] = pct(s)
	}
	why = fmt.Sprintf("no task's 5xx share stands out (shares %s, median %s; a bad task has at least %s and %s above and %.0f× the median)",
		strings.Join(list, ", "), pct(median), pct(rule.MinShare), pct(rule.MinGap), rule.Ratio)
	if median >= rule.MinShare {
		why += ": the errors are service-wide, replacing tasks would not fix them"
	}
	return nil, why
}

func pct(f float64) string {
	return fmt.Sprintf("%.0f%%", f*100)
}

// taskID is the last part of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }
