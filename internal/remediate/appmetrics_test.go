package remediate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func load(id string, requests, errs float64) TaskLoad {
	return TaskLoad{Task: "arn:aws:ecs:us-east-1:123456789012:task/main/" + id, Requests: requests, Errors: errs, Data: requests > 0}
}

func TestFindOutliers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		loads []TaskLoad
		want  []string // task IDs, worst first
		why   string   // part of why, when none
		says  string   // part of the first outlier's why
	}{
		{name: "one bad of three (the bad-task game day)", loads: []TaskLoad{load("1", 120, 0), load("2", 120, 120), load("3", 120, 0)},
			want: []string{"2"}, says: "120 of 120 requests answered 5xx (100%), the tasks' median 0%"},
		{name: "every task bad alike: service-wide", loads: []TaskLoad{load("1", 120, 120), load("2", 120, 120), load("3", 120, 120)},
			why: "service-wide"},
		{name: "an ALB-wide burst spread over the tasks", loads: []TaskLoad{load("1", 40, 13), load("2", 40, 14), load("3", 40, 13)},
			why: "service-wide"},
		{name: "two bad of three: the median is bad, nobody stands out", loads: []TaskLoad{load("1", 120, 0), load("2", 120, 120), load("3", 120, 120)},
			why: "service-wide"},
		{name: "two bad of five stand out, worst first", loads: []TaskLoad{load("1", 100, 1), load("2", 100, 60), load("3", 100, 0), load("4", 100, 90), load("5", 100, 2)},
			want: []string{"4", "2"}},
		{name: "low but clearly above the others", loads: []TaskLoad{load("1", 200, 30), load("2", 200, 1), load("3", 200, 0)},
			want: []string{"1"}},
		{name: "below the absolute floor: 8% is not replaced", loads: []TaskLoad{load("1", 200, 16), load("2", 200, 0), load("3", 200, 0)},
			why: "no task's 5xx share stands out"},
		{name: "high but not twice the median", loads: []TaskLoad{load("1", 100, 45), load("2", 100, 25), load("3", 100, 30)},
			why: "service-wide"},
		{name: "a task with too few requests is neither judged nor a baseline", loads: []TaskLoad{load("1", 120, 0), load("2", 120, 120), load("3", 5, 5)},
			want: []string{"2"}},
		{name: "two tasks, one bad", loads: []TaskLoad{load("1", 60, 60), load("2", 60, 0)},
			want: []string{"1"}},
		{name: "a single task has nothing to be compared with", loads: []TaskLoad{load("1", 120, 120)},
			why: "too few to compare"},
		{name: "replacements not warmed up: too few requests", loads: []TaskLoad{load("1", 120, 120), load("2", 3, 0), load("3", 0, 0)},
			why: "1 of 3 running task(s) answered at least 10 requests"},
		{name: "no traffic", loads: []TaskLoad{load("1", 0, 0), load("2", 0, 0)},
			why: "too few to compare"},
		{name: "errors above requests are capped at 100%", loads: []TaskLoad{load("1", 50, 80), load("2", 50, 0), load("3", 50, 0)},
			want: []string{"1"}, says: "(100%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, why := FindOutliers(tt.loads, DefaultOutlierRule)
			var got []string
			for _, o := range out {
				got = append(got, taskID(o.Load.Task))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("outliers = %v, want %v (why %q)", got, tt.want, why)
			}
			if len(tt.want) == 0 && (why == "" || !strings.Contains(why, tt.why)) {
				t.Errorf("why = %q, want it to say %q", why, tt.why)
			}
			if len(tt.want) > 0 && (why != "" || !strings.Contains(out[0].Why, tt.says)) {
				t.Errorf("why = %q, first outlier's why = %q, want it to say %q", why, out[0].Why, tt.says)
			}
		})
	}
}

func TestWatches5XX(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		metrics []MetricInfo
		want    bool
	}{
		{"target 5xx", []MetricInfo{{Namespace: "AWS/ApplicationELB", Name: "HTTPCode_Target_5XX_Count"}}, true},
		{"load balancer 5xx", []MetricInfo{{Namespace: "AWS/ApplicationELB", Name: "HTTPCode_ELB_5XX_Count"}}, true},
		{"metric math 5xx rate", []MetricInfo{{Name: "RequestCount"}, {Name: "HTTPCode_Target_5XX_Count"}}, true},
		{"the app's own", []MetricInfo{{Namespace: "Vigil/App", Name: "HTTPCode_5xx_Count"}}, true},
		{"latency", []MetricInfo{{Name: "TargetResponseTime"}}, false},
		{"unhealthy hosts", []MetricInfo{{Name: "UnHealthyHostCount"}}, false},
		{"composite", nil, false},
	}
	for _, tt := range tests {
		if got := (AlarmInfo{Metrics: tt.metrics}).Watches5XX(); got != tt.want {
			t.Errorf("%s: Watches5XX = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEvaluationWindow(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time { return t0.Add(must(time.ParseDuration(s))) }
	tests := []struct {
		name       string
		alarm      AlarmInfo
		trig       Trigger
		now        time.Time
		start, end time.Time
		period     time.Duration
	}{
		{name: "2 of 3 minutes, entered at the boundary", alarm: AlarmInfo{Entered: t0, Period: time.Minute, EvaluationPeriods: 3}, trig: TriggerEvent, now: at("7s"),
			start: at("-3m"), end: t0, period: time.Minute},
		{name: "entered late in a minute (AWS evaluates with a lag)", alarm: AlarmInfo{Entered: at("37s"), Period: time.Minute, EvaluationPeriods: 3}, trig: TriggerEvent, now: at("45s"),
			start: at("-3m"), end: t0, period: time.Minute},
		{name: "an event looks at the evaluation that raised the alarm, whatever the clock", alarm: AlarmInfo{Entered: t0, Period: time.Minute, EvaluationPeriods: 3}, trig: TriggerEvent, now: at("1h"),
			start: at("-3m"), end: t0, period: time.Minute},
		{name: "a sweep looks at the latest periods", alarm: AlarmInfo{Entered: t0, Period: time.Minute, EvaluationPeriods: 3}, trig: TriggerSweep, now: at("5m20s"),
			start: at("2m"), end: at("5m"), period: time.Minute},
		{name: "a sweep with a clock behind the alarm's", alarm: AlarmInfo{Entered: t0, Period: time.Minute, EvaluationPeriods: 3}, trig: TriggerSweep, now: at("-1h"),
			start: at("-3m"), end: t0, period: time.Minute},
		{name: "metric math: the queries' period", alarm: AlarmInfo{Entered: at("5m"), EvaluationPeriods: 2, Metrics: []MetricInfo{{Period: 5 * time.Minute}, {Period: 5 * time.Minute}}}, trig: TriggerEvent,
			start: at("-5m"), end: at("5m"), period: 5 * time.Minute},
		{name: "defaults: one minute, one period", alarm: AlarmInfo{Entered: at("1m30s")}, trig: TriggerEvent,
			start: t0, end: at("1m"), period: time.Minute},
	}
	for _, tt := range tests {
		w := EvaluationWindow(tt.alarm, tt.trig, tt.now)
		if !w.Start.Equal(tt.start) || !w.End.Equal(tt.end) || w.Period != tt.period {
			t.Errorf("%s: window %s–%s /%s, want %s–%s /%s", tt.name, w.Start, w.End, w.Period, tt.start, tt.end, tt.period)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// set5xx makes the harness's alarm the blueprint's 5xx alarm: Sum of
// HTTPCode_Target_5XX_Count per minute, 2 of 3.
func set5xx(f *fakeAWS) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := &f.alarms[0]
	a.Namespace, a.MetricName = aws.String("AWS/ApplicationELB"), aws.String("HTTPCode_Target_5XX_Count")
	a.Period, a.EvaluationPeriods, a.DatapointsToAlarm = aws.Int32(60), aws.Int32(3), aws.Int32(2)
	a.Dimensions = []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/web/0123")}}
}

// A gray failure: every target healthy, one task answering 500. The app's
// per-task metrics name it; the remediator replaces it, once.
func TestHandleGrayFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	withNS := func(c *Config) { c.AppMetricsNamespace = "Vigil/App" }
	oneBad := map[string][2]float64{"1": {120, 0}, "2": {120, 120}, "3": {120, 0}}

	t.Run("stops the task whose 5xx share stands out, once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withNS)
		set5xx(h.f)
		h.f.app = oneBad
		h.f.advance(5 * time.Second)
		if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
			t.Fatal(err)
		}
		if got := h.f.stopped(); !slices.Equal(got, []string{"2"}) {
			t.Fatalf("stopped = %v, want [2]\n%s", got, h.log)
		}
		in := h.f.metricIn
		if !in.StartTime.Equal(t0.Add(-3*time.Minute)) || !in.EndTime.Equal(t0) || len(in.MetricDataQueries) != 6 {
			t.Errorf("GetMetricData %s–%s with %d queries, want the 3 minutes before the alarm, 2 per running task", in.StartTime, in.EndTime, len(in.MetricDataQueries))
		}
		q := in.MetricDataQueries[0].MetricStat
		if aws.ToString(q.Stat) != "Sum" || aws.ToInt32(q.Period) != 60 || aws.ToString(q.Metric.Namespace) != "Vigil/App" || len(q.Metric.Dimensions) != 3 ||
			aws.ToString(q.Metric.Dimensions[0].Value) != "main" || aws.ToString(q.Metric.Dimensions[1].Value) != "app" {
			t.Errorf("query = %+v", q)
		}
		last := h.last()
		if last.Action != ActionStopTask || last.Outcome != OutcomeDone || !strings.HasSuffix(last.Target, "/2") ||
			!strings.Contains(last.Detail, "app metrics: 120 of 120 requests answered 5xx (100%)") {
			t.Errorf("incident = %+v", last)
		}
		// The stopped reason names why, for whoever reads DescribeTasks.
		for _, task := range h.f.tasks {
			if strings.HasSuffix(aws.ToString(task.TaskArn), "/2") && !strings.Contains(aws.ToString(task.StoppedReason), "why=app metrics") {
				t.Errorf("stopped reason = %q", aws.ToString(task.StoppedReason))
			}
		}
		// Redelivered while the alarm is still in ALARM: nothing more.
		h.f.advance(30 * time.Second)
		if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
			t.Fatal(err)
		}
		if got := h.f.stopped(); len(got) != 1 || h.last().Outcome != OutcomeDuplicate {
			t.Errorf("after redelivery: stopped %v, last incident %+v", got, h.last())
		}
		if len(h.f.published) != 0 {
			t.Errorf("paged %d time(s)", len(h.f.published))
		}
	})

	tests := []struct {
		name  string
		mod   func(*Config)
		setup func(*fakeAWS)
		says  []string // in the page
		query bool     // GetMetricData called
	}{
		{name: "no namespace configured", setup: func(f *fakeAWS) { f.app = oneBad },
			says: []string{"APP_METRICS_NAMESPACE is not set", "app_metrics_namespace"}},
		{name: "the app publishes nothing", mod: withNS, setup: func(f *fakeAWS) { f.app = nil }, query: true,
			says: []string{"none of the 3 running tasks has data in Vigil/App RequestCount and HTTPCode_5XX_Count", "TaskId"}},
		{name: "every task fails alike", mod: withNS, setup: func(f *fakeAWS) { f.app = map[string][2]float64{"1": {120, 120}, "2": {120, 120}, "3": {120, 120}} }, query: true,
			says: []string{"no task's 5xx share stands out", "service-wide", "app 5xx 120 of 120 requests"}},
		{name: "GetMetricData fails", mod: withNS, setup: func(f *fakeAWS) { f.app, f.metricErr = oneBad, errors.New("AccessDenied: cloudwatch:GetMetricData") }, query: true,
			says: []string{"could not read the per-task app metrics in Vigil/App", "AccessDenied"}},
		{name: "two of five stand out, but fewer than MIN_HEALTHY would serve", mod: func(c *Config) { withNS(c); c.MinHealthy = 4 }, query: true,
			setup: func(f *fakeAWS) {
				f.addTask("4", elbtypes.TargetHealthStateEnumHealthy)
				f.addTask("5", elbtypes.TargetHealthStateEnumHealthy)
				f.desired = 5
				f.app = map[string][2]float64{"1": {120, 0}, "2": {120, 120}, "3": {120, 0}, "4": {120, 108}, "5": {120, 0}}
			},
			says: []string{"held back task arn:aws:ecs:us-east-1:123456789012:task/main/2: app metrics", "held back task arn:aws:ecs:us-east-1:123456789012:task/main/4", "only 3 healthy", "(stands out)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.mod)
			set5xx(h.f)
			tt.setup(h.f)
			if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
				t.Fatal(err)
			}
			if got := h.f.stopped(); len(got) != 0 {
				t.Errorf("stopped %v, want nothing", got)
			}
			if len(h.f.published) != 1 {
				t.Fatalf("published %d, want 1 escalation\n%s", len(h.f.published), h.log)
			}
			msg := aws.ToString(h.f.published[0].Message)
			for _, want := range tt.says {
				if !strings.Contains(msg, want) {
					t.Errorf("page lacks %q:\n%s", want, msg)
				}
			}
			if called := slices.Contains(h.f.calls, "GetMetricData"); called != tt.query {
				t.Errorf("GetMetricData called %v, want %v", called, tt.query)
			}
		})
	}

	t.Run("health first: an unhealthy target needs no app metrics", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withNS)
		set5xx(h.f)
		h.f.app = oneBad
		h.f.targets["10.0.0.3"] = elbtypes.TargetHealthStateEnumUnhealthy
		if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
			t.Fatal(err)
		}
		if got := h.f.stopped(); !slices.Equal(got, []string{"3"}) || slices.Contains(h.f.calls, "GetMetricData") {
			t.Errorf("stopped %v, calls %v", got, h.f.calls)
		}
	})

	t.Run("not a 5xx alarm: no app metrics, escalate", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withNS)
		h.f.app = oneBad
		h.f.alarms[0].MetricName = aws.String("TargetResponseTime")
		if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
			t.Fatal(err)
		}
		if len(h.f.stopped()) != 0 || len(h.f.published) != 1 || slices.Contains(h.f.calls, "GetMetricData") {
			t.Errorf("stopped %v, published %d, calls %v", h.f.stopped(), len(h.f.published), h.f.calls)
		}
	})
}
