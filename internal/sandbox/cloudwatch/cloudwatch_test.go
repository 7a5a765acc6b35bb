package cloudwatch_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func newClient(t *testing.T) (*cw.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return cw.NewFromConfig(sb.AWSConfig()), sb
}

// wantCode asserts an API error code (the query code, which rpc-v2-cbor
// carries in X-Amzn-Query-Error) and, when target is given, its type.
func wantCode[T error](t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got success", code)
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("want %T, got %T: %v", typed, err, err)
	}
}

func metricAlarm(name string) *cw.PutMetricAlarmInput {
	return &cw.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("5xx at the load balancer"),
		Namespace:          aws.String("AWS/ApplicationELB"),
		MetricName:         aws.String("HTTPCode_Target_5XX_Count"),
		Dimensions:         []types.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/web/123")}},
		Statistic:          types.StatisticSum,
		Period:             aws.Int32(60),
		Threshold:          aws.Float64(25),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		EvaluationPeriods:  aws.Int32(3),
		DatapointsToAlarm:  aws.Int32(2),
		TreatMissingData:   aws.String("notBreaching"),
		AlarmActions:       []string{"arn:aws:sns:us-east-1:123456789012:pager"},
		OKActions:          []string{"arn:aws:sns:us-east-1:123456789012:pager"},
		Tags:               []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}},
	}
}

func TestMetricAlarmLifecycle(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)

	if _, err := c.PutMetricAlarm(ctx, metricAlarm("web-5xx")); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"web-5xx"}, AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms = %+v", out)
	}
	a := out.MetricAlarms[0]
	if a.StateValue != types.StateValueInsufficientData || aws.ToString(a.StateReason) != "Unchecked: Initial alarm creation" {
		t.Errorf("new alarm state %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx" {
		t.Errorf("AlarmArn %s", aws.ToString(a.AlarmArn))
	}
	if a.Statistic != types.StatisticSum || aws.ToInt32(a.Period) != 60 || aws.ToFloat64(a.Threshold) != 25 ||
		aws.ToInt32(a.DatapointsToAlarm) != 2 || aws.ToString(a.TreatMissingData) != "notBreaching" ||
		!aws.ToBool(a.ActionsEnabled) || len(a.AlarmActions) != 1 || len(a.Dimensions) != 1 || a.StateUpdatedTimestamp == nil {
		t.Errorf("alarm not stored as put: %+v", a)
	}

	// SetAlarmState moves it and records history; an update keeps the state.
	if _, err := c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("web-5xx"), StateValue: types.StateValueAlarm, StateReason: aws.String("testing")}); err != nil {
		t.Fatal(err)
	}
	upd := metricAlarm("web-5xx")
	upd.Threshold = aws.Float64(50)
	upd.Tags = []types.Tag{{Key: aws.String("ignored"), Value: aws.String("on update")}}
	if _, err := c.PutMetricAlarm(ctx, upd); err != nil {
		t.Fatal(err)
	}
	out, _ = c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"web-5xx"}})
	if a := out.MetricAlarms[0]; a.StateValue != types.StateValueAlarm || aws.ToFloat64(a.Threshold) != 50 {
		t.Errorf("after update: state %s threshold %v", a.StateValue, aws.ToFloat64(a.Threshold))
	}
	tags, err := c.ListTagsForResource(ctx, &cw.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Errorf("tags after update = %+v (tags on update must be ignored)", tags.Tags)
	}
	hist, err := c.DescribeAlarmHistory(ctx, &cw.DescribeAlarmHistoryInput{AlarmName: aws.String("web-5xx")})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range hist.AlarmHistoryItems {
		kinds = append(kinds, string(h.HistoryItemType))
	}
	// SetAlarmState runs the ALARM actions: the Action item records the
	// publish to a topic that does not exist failing.
	if strings.Join(kinds, ",") != "ConfigurationUpdate,Action,StateUpdate,ConfigurationUpdate" {
		t.Errorf("history (newest first) = %v", kinds)
	}
	st, _ := c.DescribeAlarmHistory(ctx, &cw.DescribeAlarmHistoryInput{AlarmName: aws.String("web-5xx"), HistoryItemType: types.HistoryItemTypeStateUpdate})
	if len(st.AlarmHistoryItems) != 1 || aws.ToString(st.AlarmHistoryItems[0].HistorySummary) != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
		t.Errorf("state history = %+v", st.AlarmHistoryItems)
	}

	// Actions on and off.
	if _, err := c.DisableAlarmActions(ctx, &cw.DisableAlarmActionsInput{AlarmNames: []string{"web-5xx", "no-such"}}); err != nil {
		t.Fatal(err)
	}
	out, _ = c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"web-5xx"}})
	if aws.ToBool(out.MetricAlarms[0].ActionsEnabled) {
		t.Error("DisableAlarmActions left actions enabled")
	}
	if _, err := c.EnableAlarmActions(ctx, &cw.EnableAlarmActionsInput{AlarmNames: []string{"web-5xx"}}); err != nil {
		t.Fatal(err)
	}
	out, _ = c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{StateValue: types.StateValueAlarm})
	if len(out.MetricAlarms) != 1 || !aws.ToBool(out.MetricAlarms[0].ActionsEnabled) {
		t.Errorf("StateValue filter / EnableAlarmActions: %+v", out.MetricAlarms)
	}

	// Delete; a second delete is ResourceNotFound.
	if _, err := c.DeleteAlarms(ctx, &cw.DeleteAlarmsInput{AlarmNames: []string{"web-5xx"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAlarms(ctx, &cw.DeleteAlarmsInput{AlarmNames: []string{"web-5xx"}})
	wantCode[*types.ResourceNotFound](t, err, "ResourceNotFound")
	_, err = c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("web-5xx"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	wantCode[*types.ResourceNotFound](t, err, "ResourceNotFound")
	_, err = c.ListTagsForResource(ctx, &cw.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestPutMetricAlarmValidation(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	tests := []struct {
		name   string
		mutate func(*cw.PutMetricAlarmInput)
		code   string
	}{
		{"statistic and extended statistic", func(in *cw.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p99") }, "InvalidParameterCombination"},
		{"no statistic", func(in *cw.PutMetricAlarmInput) { in.Statistic = "" }, "MissingParameter"},
		{"bad period", func(in *cw.PutMetricAlarmInput) { in.Period = aws.Int32(45) }, "InvalidParameterValue"},
		{"datapoints above periods", func(in *cw.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(4) }, "ValidationError"},
		{"treat missing data", func(in *cw.PutMetricAlarmInput) { in.TreatMissingData = aws.String("sometimes") }, "ValidationError"},
		{"window over a day", func(in *cw.PutMetricAlarmInput) { in.Period = aws.Int32(3000); in.EvaluationPeriods = aws.Int32(30) }, "ValidationError"},
		{"metrics with metric name", func(in *cw.PutMetricAlarmInput) {
			in.Metrics = []types.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("1"), ReturnData: aws.Bool(true)}}
		}, "InvalidParameterCombination"},
		{"low sample count without percentile", func(in *cw.PutMetricAlarmInput) { in.EvaluateLowSampleCountPercentile = aws.String("ignore") }, "ValidationError"},
		{"too many actions", func(in *cw.PutMetricAlarmInput) {
			in.AlarmActions = []string{"arn:a:1", "arn:a:2", "arn:a:3", "arn:a:4", "arn:a:5", "arn:a:6"}
		}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := metricAlarm("bad-" + strings.ReplaceAll(tt.name, " ", "-"))
			tt.mutate(in)
			_, err := c.PutMetricAlarm(ctx, in)
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tt.code {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
		})
	}
	// InvalidParameterValue is the typed InvalidParameterValueException.
	in := metricAlarm("typed")
	in.Period = aws.Int32(7)
	_, err := c.PutMetricAlarm(ctx, in)
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValue")
	in = metricAlarm("typed")
	in.ExtendedStatistic = aws.String("p99")
	_, err = c.PutMetricAlarm(ctx, in)
	wantCode[*types.InvalidParameterCombinationException](t, err, "InvalidParameterCombination")
	in = metricAlarm("typed")
	in.Statistic = ""
	_, err = c.PutMetricAlarm(ctx, in)
	wantCode[*types.MissingRequiredParameterException](t, err, "MissingParameter")
}

func TestMetricMathAndCompositeAlarms(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	mathAlarm := &cw.PutMetricAlarmInput{
		AlarmName:          aws.String("error-rate"),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		EvaluationPeriods:  aws.Int32(2),
		Threshold:          aws.Float64(5),
		Metrics: []types.MetricDataQuery{
			{Id: aws.String("e1"), Expression: aws.String("100 * errors / requests"), Label: aws.String("Error rate"), ReturnData: aws.Bool(true)},
			{Id: aws.String("errors"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Errors")}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("requests"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Requests")}, Period: aws.Int32(60), Stat: aws.String("Sum"), Unit: types.StandardUnitCount}},
		},
	}
	if _, err := c.PutMetricAlarm(ctx, mathAlarm); err != nil {
		t.Fatal(err)
	}
	p99 := metricAlarm("latency-p99")
	p99.Statistic = ""
	p99.ExtendedStatistic = aws.String("p99")
	p99.EvaluateLowSampleCountPercentile = aws.String("ignore")
	if _, err := c.PutMetricAlarm(ctx, p99); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNamePrefix: aws.String("error")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 || len(out.MetricAlarms[0].Metrics) != 3 {
		t.Fatalf("math alarm = %+v", out.MetricAlarms)
	}
	m := out.MetricAlarms[0].Metrics
	if aws.ToString(m[0].Expression) != "100 * errors / requests" || !aws.ToBool(m[0].ReturnData) || aws.ToBool(m[1].ReturnData) ||
		m[2].MetricStat.Unit != types.StandardUnitCount || aws.ToString(m[1].MetricStat.Metric.MetricName) != "Errors" {
		t.Errorf("metrics not stored as put: %+v", m)
	}
	bad := *mathAlarm
	bad.AlarmName = aws.String("two-returns")
	bad.Metrics = append([]types.MetricDataQuery(nil), mathAlarm.Metrics...)
	bad.Metrics[1].ReturnData = aws.Bool(true)
	_, err = c.PutMetricAlarm(ctx, &bad)
	wantCode[*types.ValidationException](t, err, "ValidationError")

	// Composite alarms: every alarm of the rule must exist.
	_, err = c.PutCompositeAlarm(ctx, &cw.PutCompositeAlarmInput{AlarmName: aws.String("service-down"),
		AlarmRule: aws.String(`ALARM("error-rate") AND ALARM(no-such-alarm)`)})
	wantCode[*types.ValidationException](t, err, "ValidationError")
	_, err = c.PutCompositeAlarm(ctx, &cw.PutCompositeAlarmInput{AlarmName: aws.String("service-down"), AlarmRule: aws.String(`ALARM("error-rate" AND`)})
	wantCode[*types.ValidationException](t, err, "ValidationError")
	if _, err := c.PutCompositeAlarm(ctx, &cw.PutCompositeAlarmInput{
		AlarmName:    aws.String("service-down"),
		AlarmRule:    aws.String(`ALARM("error-rate") OR (ALARM(latency-p99) AND NOT OK("arn:aws:cloudwatch:us-east-1:123456789012:alarm:error-rate"))`),
		AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:pager"},
		Tags:         []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	}); err != nil {
		t.Fatal(err)
	}
	// Without AlarmTypes only metric alarms come back.
	all, _ := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if len(all.MetricAlarms) != 2 || len(all.CompositeAlarms) != 0 {
		t.Errorf("default DescribeAlarms = %d metric, %d composite", len(all.MetricAlarms), len(all.CompositeAlarms))
	}
	comp, _ := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"service-down"}, AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	if len(comp.CompositeAlarms) != 1 || comp.CompositeAlarms[0].StateValue != types.StateValueInsufficientData || !aws.ToBool(comp.CompositeAlarms[0].ActionsEnabled) {
		t.Fatalf("composite = %+v", comp.CompositeAlarms)
	}
	children, _ := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{ChildrenOfAlarmName: aws.String("service-down"),
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
	if len(children.MetricAlarms) != 2 {
		t.Errorf("children = %+v", children.MetricAlarms)
	}
	parents, _ := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{ParentsOfAlarmName: aws.String("latency-p99"),
		AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	if len(parents.CompositeAlarms) != 1 {
		t.Errorf("parents = %+v", parents.CompositeAlarms)
	}
	// A composite alarm name cannot become a metric alarm.
	_, err = c.PutMetricAlarm(ctx, metricAlarm("service-down"))
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValue")
}

func TestDescribeAlarmsPagination(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	for _, n := range []string{"a1", "a2", "a3", "a4", "a5"} {
		if _, err := c.PutMetricAlarm(ctx, metricAlarm(n)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := cw.NewDescribeAlarmsPaginator(c, &cw.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.MetricAlarms {
			names = append(names, aws.ToString(a.AlarmName))
		}
	}
	if strings.Join(names, ",") != "a1,a2,a3,a4,a5" || pages != 3 {
		t.Errorf("paged names %v in %d pages", names, pages)
	}
	_, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{NextToken: aws.String("%%%")})
	wantCode[*types.InvalidNextToken](t, err, "InvalidNextToken")
}

func TestTags(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	if _, err := c.PutMetricAlarm(ctx, metricAlarm("tagged")); err != nil {
		t.Fatal(err)
	}
	arn := aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:tagged")
	if _, err := c.TagResource(ctx, &cw.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("tier"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &cw.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"tier"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListTagsForResource(ctx, &cw.ListTagsForResourceInput{ResourceARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Value) != "platform" {
		t.Errorf("tags = %+v", out.Tags)
	}
	_, err = c.TagResource(ctx, &cw.TagResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:none"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

// TestAggregation checks GetMetricStatistics and GetMetricData against
// statistics computed by hand from the points put.
func TestAggregation(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	at := func(sec int) *time.Time { v := t0.Add(time.Duration(sec) * time.Second); return &v }
	seq := make([]float64, 100) // 1..100
	for i := range seq {
		seq[i] = float64(i + 1)
	}
	dims := []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}}
	datum := func(d types.MetricDatum) types.MetricDatum {
		d.MetricName, d.Dimensions, d.Unit = aws.String("Latency"), dims, types.StandardUnitMilliseconds
		return d
	}
	data := []types.MetricDatum{
		// Minute 0: the values 1..100.
		datum(types.MetricDatum{Timestamp: at(5), Values: seq}),
		// Minute 1: four single values.
		datum(types.MetricDatum{Timestamp: at(61), Value: aws.Float64(5)}),
		datum(types.MetricDatum{Timestamp: at(62), Value: aws.Float64(1)}),
		datum(types.MetricDatum{Timestamp: at(63), Value: aws.Float64(9)}),
		datum(types.MetricDatum{Timestamp: at(64), Value: aws.Float64(3)}),
		// Minute 2: 10 three times and 20 once.
		datum(types.MetricDatum{Timestamp: at(130), Values: []float64{10, 20}, Counts: []float64{3, 1}}),
		// Minute 3: a statistic set with Min != Max (no percentiles).
		datum(types.MetricDatum{Timestamp: at(190), StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(10), Sum: aws.Float64(100), Minimum: aws.Float64(2), Maximum: aws.Float64(30)}}),
		// Minute 4: a statistic set with Min == Max (percentiles available) and a 1.
		datum(types.MetricDatum{Timestamp: at(250), StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(28), Minimum: aws.Float64(7), Maximum: aws.Float64(7)}}),
		datum(types.MetricDatum{Timestamp: at(251), Value: aws.Float64(1)}),
		// Minute 5: a negative value (no percentiles).
		datum(types.MetricDatum{Timestamp: at(305), Values: []float64{-1, 5}}),
	}
	if _, err := c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("Vigil/Test"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	type want struct {
		count, sum, avg, min, max float64
		p99, p50                  float64 // NaN: no value
	}
	nan := math.NaN()
	tests := []struct {
		name   string
		period int32
		start  int // seconds after t0
		want   map[int]want
	}{
		{"60s periods", 60, 0, map[int]want{
			0:   {100, 5050, 50.5, 1, 100, 99, 50},
			60:  {4, 18, 4.5, 1, 9, 9, 3},
			120: {4, 50, 12.5, 10, 20, 20, 10},
			180: {10, 100, 10, 2, 30, nan, nan},
			240: {5, 29, 5.8, 1, 7, 7, 7},
			300: {2, 4, 2, -1, 5, nan, nan},
		}},
		// 1..100 and 5,1,9,3: 103 of the 104 values are <= 99, 102 <= 98.
		{"120s periods", 120, 0, map[int]want{
			0:   {104, 5068, 5068.0 / 104, 1, 100, 99, 48},
			120: {14, 150, 150.0 / 14, 2, 30, nan, nan},
			240: {7, 33, 33.0 / 7, -1, 7, nan, nan},
		}},
		{"start inside a period", 60, 62, map[int]want{
			60:  {3, 13, 13.0 / 3, 1, 9, 9, 3},
			120: {4, 50, 12.5, 10, 20, 20, 10},
			180: {10, 100, 10, 2, 30, nan, nan},
			240: {5, 29, 5.8, 1, 7, 7, 7},
			300: {2, 4, 2, -1, 5, nan, nan},
		}},
	}
	close := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{
				Namespace: aws.String("Vigil/Test"), MetricName: aws.String("Latency"), Dimensions: dims,
				StartTime: at(tt.start), EndTime: at(600), Period: aws.Int32(tt.period),
				Statistics:         []types.Statistic{types.StatisticSampleCount, types.StatisticSum, types.StatisticAverage, types.StatisticMinimum, types.StatisticMaximum},
				ExtendedStatistics: []string{"p99", "p50"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Datapoints) != len(tt.want) {
				t.Fatalf("%d datapoints, want %d: %+v", len(out.Datapoints), len(tt.want), out.Datapoints)
			}
			for _, dp := range out.Datapoints {
				off := int(dp.Timestamp.Sub(t0).Seconds())
				w, ok := tt.want[off]
				if !ok {
					t.Fatalf("unexpected datapoint at +%ds", off)
				}
				got := []float64{*dp.SampleCount, *dp.Sum, *dp.Average, *dp.Minimum, *dp.Maximum}
				exp := []float64{w.count, w.sum, w.avg, w.min, w.max}
				for i := range got {
					if !close(got[i], exp[i]) {
						t.Errorf("+%ds: stats %v, want %v", off, got, exp)
						break
					}
				}
				for _, p := range []struct {
					name string
					want float64
				}{{"p99", w.p99}, {"p50", w.p50}} {
					v, ok := dp.ExtendedStatistics[p.name]
					if math.IsNaN(p.want) != !ok || (ok && !close(v, p.want)) {
						t.Errorf("+%ds: %s = %v (present %v), want %v", off, p.name, v, ok, p.want)
					}
				}
				if dp.Unit != types.StandardUnitMilliseconds {
					t.Errorf("unit %s", dp.Unit)
				}
			}
			// GetMetricData gives the same numbers, newest first.
			for _, stat := range []string{"Sum", "SampleCount", "Average", "Minimum", "Maximum", "p99"} {
				gd, err := c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: at(tt.start), EndTime: at(600),
					MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("m1"), MetricStat: &types.MetricStat{
						Metric: &types.Metric{Namespace: aws.String("Vigil/Test"), MetricName: aws.String("Latency"), Dimensions: dims},
						Period: aws.Int32(tt.period), Stat: aws.String(stat)}}}})
				if err != nil {
					t.Fatal(err)
				}
				r := gd.MetricDataResults[0]
				if r.StatusCode != types.StatusCodeComplete || aws.ToString(r.Label) != "Latency" {
					t.Errorf("result %+v", r)
				}
				for i, ts := range r.Timestamps {
					if i > 0 && !ts.Before(r.Timestamps[i-1]) {
						t.Errorf("%s timestamps not newest first", stat)
					}
					w := tt.want[int(ts.Sub(t0).Seconds())]
					exp := map[string]float64{"Sum": w.sum, "SampleCount": w.count, "Average": w.avg, "Minimum": w.min, "Maximum": w.max, "p99": w.p99}[stat]
					if !close(r.Values[i], exp) {
						t.Errorf("GetMetricData %s at %s = %v, want %v", stat, ts, r.Values[i], exp)
					}
				}
				n := 0
				for _, w := range tt.want {
					if stat != "p99" || !math.IsNaN(w.p99) {
						n++
					}
				}
				if len(r.Values) != n {
					t.Errorf("GetMetricData %s: %d values, want %d", stat, len(r.Values), n)
				}
			}
		})
	}

	// Metric math over the stored points.
	gd, err := c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: at(0), EndTime: at(180), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("sum"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("Vigil/Test"), MetricName: aws.String("Latency"), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("n"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("Vigil/Test"), MetricName: aws.String("Latency"), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("SampleCount")}},
			{Id: aws.String("mean"), Expression: aws.String("sum / n"), Label: aws.String("mean")},
			{Id: aws.String("scaled"), Expression: aws.String("-(sum - 2 * n) ^ 1")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.MetricDataResults) != 2 {
		t.Fatalf("results %+v", gd.MetricDataResults)
	}
	if v := gd.MetricDataResults[0].Values; len(v) != 3 || !close(v[0], 50.5) || !close(v[1], 4.5) || !close(v[2], 12.5) {
		t.Errorf("sum / n = %v", v)
	}
	if v := gd.MetricDataResults[1].Values; len(v) != 3 || !close(v[0], -4850) || !close(v[1], -10) || !close(v[2], -42) {
		t.Errorf("-(sum - 2n) = %v", v)
	}
	_, err = c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: at(0), EndTime: at(180), MetricDataQueries: []types.MetricDataQuery{
		{Id: aws.String("x"), Expression: aws.String(`SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average', 300)`)}}})
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValue")
	_, err = c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("Vigil/Test"), MetricName: aws.String("Latency"),
		StartTime: at(0), EndTime: at(600), Period: aws.Int32(60)})
	wantCode[*types.InvalidParameterCombinationException](t, err, "InvalidParameterCombination")
	_, err = c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("Vigil/Test"), MetricName: aws.String("Latency"),
		StartTime: at(0), EndTime: at(86400 * 2), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
	wantCode[*types.InvalidParameterCombinationException](t, err, "InvalidParameterCombination")
}

func TestPutMetricDataAndListMetrics(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	put := func(ns, name string, dims ...string) error {
		var d []types.Dimension
		for i := 0; i+1 < len(dims); i += 2 {
			d = append(d, types.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
		}
		_, err := c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []types.MetricDatum{
			{MetricName: aws.String(name), Dimensions: d, Value: aws.Float64(1)}}})
		return err
	}
	for _, m := range [][]string{
		{"App", "Requests", "Service", "web"},
		{"App", "Requests", "Service", "api"},
		{"App", "Errors", "Service", "web", "Code", "500"},
		{"Other", "Requests"},
	} {
		if err := put(m[0], m[1], m[2:]...); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		in   cw.ListMetricsInput
		want int
	}{
		{"all", cw.ListMetricsInput{}, 4},
		{"namespace", cw.ListMetricsInput{Namespace: aws.String("App")}, 3},
		{"name", cw.ListMetricsInput{Namespace: aws.String("App"), MetricName: aws.String("Requests")}, 2},
		{"name across namespaces", cw.ListMetricsInput{MetricName: aws.String("Requests")}, 3},
		{"dimension name", cw.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Code")}}}, 1},
		{"dimension value", cw.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Service"), Value: aws.String("web")}}}, 2},
		{"recently active", cw.ListMetricsInput{RecentlyActive: types.RecentlyActivePt3h}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.ListMetrics(ctx, &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Metrics) != tt.want {
				t.Errorf("%d metrics, want %d: %+v", len(out.Metrics), tt.want, out.Metrics)
			}
		})
	}

	bad := []struct {
		name string
		in   cw.PutMetricDataInput
		code string
	}{
		{"AWS namespace", cw.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}}, "InvalidParameterValue"},
		{"too old", cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1), Timestamp: aws.Time(time.Now().Add(-15 * 24 * time.Hour))}}}, "InvalidParameterValue"},
		{"value and values", cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1), Values: []float64{1}}}}, "InvalidParameterCombination"},
		{"counts mismatch", cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Values: []float64{1, 2}, Counts: []float64{1}}}}, "InvalidParameterValue"},
		{"no value", cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("x")}}}, "MissingParameter"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutMetricData(ctx, &tt.in)
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tt.code {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
		})
	}
}

// TestSurvivesRestart: alarms and datapoints are durable.
func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := sandboxtest.StartIn(t, dir)
	c := cw.NewFromConfig(sb.AWSConfig())
	if _, err := c.PutMetricAlarm(ctx, metricAlarm("durable")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Minute)
	if _, err := c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Hits"), Value: aws.Float64(7), Timestamp: aws.Time(now.Add(-time.Minute))}}}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sb = sandboxtest.StartIn(t, dir)
	c = cw.NewFromConfig(sb.AWSConfig())
	out, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"durable"}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("alarm after restart: %v %+v", err, out)
	}
	st, err := c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Hits"),
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
	if err != nil || len(st.Datapoints) != 1 || *st.Datapoints[0].Sum != 7 {
		t.Fatalf("datapoints after restart: %v %+v", err, st)
	}
}
