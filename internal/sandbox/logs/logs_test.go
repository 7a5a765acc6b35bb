package logs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func newClient(t *testing.T) (*cwl.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return cwl.NewFromConfig(sb.AWSConfig()), sb
}

func wantCode[T error](t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("want %T, got %T: %v", typed, err, err)
	}
}

const kmsKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func TestLogGroups(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app/web"), KmsKeyId: aws.String(kmsKey),
		Tags: map[string]string{"team": "sre"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app/web")})
	wantCode[*types.ResourceAlreadyExistsException](t, err, "ResourceAlreadyExistsException")
	_, err = c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	_, err = c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app/kms"), KmsKeyId: aws.String("alias/mine")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	for _, n := range []string{"/app/api", "/other"} {
		if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(n), LogGroupClass: types.LogGroupClassInfrequentAccess}); err != nil {
			t.Fatal(err)
		}
	}

	// Retention: valid values only.
	if _, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/app/web"), RetentionInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	for _, days := range []int32{0, 2, 91, 4000} {
		_, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/app/web"), RetentionInDays: aws.Int32(days)})
		wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	}
	_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/none"), RetentionInDays: aws.Int32(7)})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")

	out, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.LogGroups) != 2 || aws.ToString(out.LogGroups[1].LogGroupName) != "/app/web" {
		t.Fatalf("groups = %+v", out.LogGroups)
	}
	g := out.LogGroups[1]
	if aws.ToInt32(g.RetentionInDays) != 90 || aws.ToString(g.KmsKeyId) != kmsKey || g.LogGroupClass != types.LogGroupClassStandard ||
		aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*" ||
		aws.ToString(g.LogGroupArn) != "arn:aws:logs:us-east-1:123456789012:log-group:/app/web" || aws.ToInt64(g.CreationTime) == 0 {
		t.Errorf("group = %+v", g)
	}
	if out.LogGroups[0].LogGroupClass != types.LogGroupClassInfrequentAccess {
		t.Errorf("class = %s", out.LogGroups[0].LogGroupClass)
	}

	// Pagination.
	var names []string
	p := cwl.NewDescribeLogGroupsPaginator(c, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	if strings.Join(names, ",") != "/app/api,/app/web,/other" {
		t.Errorf("paged = %v", names)
	}
	pat, _ := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("WEB")})
	if len(pat.LogGroups) != 1 {
		t.Errorf("pattern = %+v", pat.LogGroups)
	}

	// KMS and retention removal.
	if _, err := c.DisassociateKmsKey(ctx, &cwl.DisassociateKmsKeyInput{LogGroupName: aws.String("/app/web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String("/app/web")}); err != nil {
		t.Fatal(err)
	}
	out, _ = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/web")})
	if g := out.LogGroups[0]; g.KmsKeyId != nil || g.RetentionInDays != nil {
		t.Errorf("after disassociate / delete retention: %+v", g)
	}
	if _, err := c.AssociateKmsKey(ctx, &cwl.AssociateKmsKeyInput{LogGroupName: aws.String("/app/web"), KmsKeyId: aws.String(kmsKey)}); err != nil {
		t.Fatal(err)
	}

	// Tags, both API families.
	arn := aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/app/web")
	if _, err := c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &cwl.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
		t.Errorf("tags = %v, %v", tags, err)
	}
	//nolint:staticcheck // the legacy API is what older clients call
	if _, err := c.TagLogGroup(ctx, &cwl.TagLogGroupInput{LogGroupName: aws.String("/app/web"), Tags: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	//nolint:staticcheck
	legacy, err := c.ListTagsLogGroup(ctx, &cwl.ListTagsLogGroupInput{LogGroupName: aws.String("/app/web")})
	if err != nil || len(legacy.Tags) != 2 {
		t.Errorf("legacy tags = %v, %v", legacy, err)
	}
	_, err = c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/none")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	many := map[string]string{}
	for i := 0; i < 51; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: arn, Tags: many})
	wantCode[*types.TooManyTagsException](t, err, "TooManyTagsException")

	// Delete.
	if _, err := c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/app/web")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/app/web")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestStreamsAndEvents(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	group, stream := aws.String("/app/events"), aws.String("web-1")
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: group}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/none"), LogStreamName: stream})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	for _, s := range []string{"web-1", "web-2", "api-1"} {
		if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: group, LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: group, LogStreamName: stream})
	wantCode[*types.ResourceAlreadyExistsException](t, err, "ResourceAlreadyExistsException")
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: group, LogStreamName: aws.String("a:b")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")

	now := time.Now().UnixMilli()
	ev := func(offset int64, msg string) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(now + offset), Message: aws.String(msg)}
	}
	var events []types.InputLogEvent
	for i := 0; i < 5; i++ {
		events = append(events, ev(int64(i*1000)-10000, fmt.Sprintf("INFO request %d", i)))
	}
	events = append(events, ev(-4000, `{"level":"ERROR","latency":250,"user":{"id":7}}`))
	put, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: events})
	if err != nil {
		t.Fatal(err)
	}
	if put.RejectedLogEventsInfo != nil || aws.ToString(put.NextSequenceToken) == "" {
		t.Errorf("put = %+v", put)
	}
	if _, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String("web-2"),
		LogEvents: []types.InputLogEvent{ev(-3000, "ERROR disk full on web-2"), ev(-2000, "WARN slow")}}); err != nil {
		t.Fatal(err)
	}

	// Batch rules.
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{ev(0, "b"), ev(-1, "a")}})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{ev(-25*3600*1000, "a"), ev(0, "b")}})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String("none"), LogEvents: []types.InputLogEvent{ev(0, "a")}})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	const hour, day = int64(3600 * 1000), int64(24 * 3600 * 1000)
	rej, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String("api-1"), LogEvents: []types.InputLogEvent{
		ev(-14*day-hour, "too old"), ev(-14*day-hour+1, "too old too"), ev(-14*day+hour, "fine")}})
	if err != nil {
		t.Fatal(err)
	}
	if ri := rej.RejectedLogEventsInfo; ri == nil || aws.ToInt32(ri.TooOldLogEventEndIndex) != 1 || ri.TooNewLogEventStartIndex != nil {
		t.Errorf("rejected old = %+v", rej.RejectedLogEventsInfo)
	}
	rej, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String("api-1"), LogEvents: []types.InputLogEvent{
		ev(-1000, "fine"), ev(3*hour, "too new")}})
	if err != nil {
		t.Fatal(err)
	}
	if ri := rej.RejectedLogEventsInfo; ri == nil || aws.ToInt32(ri.TooNewLogEventStartIndex) != 1 || ri.TooOldLogEventEndIndex != nil {
		t.Errorf("rejected new = %+v", rej.RejectedLogEventsInfo)
	}

	// GetLogEvents: newest by default, tokens that page and then repeat.
	got, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || aws.ToString(got.Events[0].Message) != "INFO request 4" || !strings.Contains(aws.ToString(got.Events[1].Message), "ERROR") {
		t.Errorf("tail = %+v", got.Events)
	}
	back, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, Limit: aws.Int32(10), NextToken: got.NextBackwardToken})
	if err != nil || len(back.Events) != 4 || aws.ToString(back.Events[0].Message) != "INFO request 0" {
		t.Errorf("backward = %+v, %v", back, err)
	}
	fwd, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: got.NextForwardToken})
	if err != nil || len(fwd.Events) != 0 || aws.ToString(fwd.NextForwardToken) != aws.ToString(got.NextForwardToken) {
		t.Errorf("forward at the end: %+v, %v", fwd, err)
	}
	var all []string
	tok := (*string)(nil)
	for i := 0; i < 10; i++ {
		page, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, StartFromHead: aws.Bool(true), Limit: aws.Int32(4), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			all = append(all, aws.ToString(e.Message))
		}
		if tok != nil && aws.ToString(page.NextForwardToken) == aws.ToString(tok) {
			break
		}
		tok = page.NextForwardToken
	}
	if len(all) != 6 || all[0] != "INFO request 0" {
		t.Errorf("from head = %v", all)
	}
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: aws.String("x/123")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")

	streams, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: group, OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(streams.LogStreams) != 3 || aws.ToString(streams.LogStreams[0].LogStreamName) != "api-1" || aws.ToString(streams.LogStreams[1].LogStreamName) != "web-2" || streams.LogStreams[0].LastEventTimestamp == nil {
		t.Errorf("streams = %+v", streams.LogStreams)
	}
	pref, _ := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: group, LogStreamNamePrefix: aws.String("web")})
	if len(pref.LogStreams) != 2 {
		t.Errorf("prefix = %+v", pref.LogStreams)
	}
	_, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: group, LogStreamNamePrefix: aws.String("web"), OrderBy: types.OrderByLastEventTime})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")

	// FilterLogEvents: the supported pattern kinds.
	tests := []struct {
		pattern string
		want    []string
	}{
		{"", []string{"fine", "INFO request 0", "INFO request 1", "INFO request 2", "INFO request 3", "INFO request 4", `{"level":"ERROR","latency":250,"user":{"id":7}}`, "ERROR disk full on web-2", "WARN slow", "fine"}},
		{"ERROR", []string{`{"level":"ERROR","latency":250,"user":{"id":7}}`, "ERROR disk full on web-2"}},
		{`"disk full"`, []string{"ERROR disk full on web-2"}},
		{"?WARN ?disk", []string{"ERROR disk full on web-2", "WARN slow"}},
		{"INFO -request", nil},
		{`{ $.level = "ERROR" }`, []string{`{"level":"ERROR","latency":250,"user":{"id":7}}`}},
		{`{ ($.latency > 100) && ($.user.id = 7) }`, []string{`{"level":"ERROR","latency":250,"user":{"id":7}}`}},
		{`{ $.latency < 100 || $.level = "WARN*" }`, nil},
		{`[level, word, n = 3]`, []string{"INFO request 3"}},
		{`[level = ERROR, ...]`, []string{"ERROR disk full on web-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			out, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: group, FilterPattern: aws.String(tt.pattern)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range out.Events {
				got = append(got, aws.ToString(e.Message))
				if len(aws.ToString(e.EventId)) != 56 {
					t.Errorf("eventId %q", aws.ToString(e.EventId))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`%ERROR%`, `{ $.level = }`, `ERROR:`, `[a, b`, `{ level = "x" }`} {
		_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: group, FilterPattern: aws.String(bad)})
		wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	}
	// Paging through FilterLogEvents.
	var paged []string
	fp := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: group, Limit: aws.Int32(3)})
	for fp.HasMorePages() {
		page, err := fp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			paged = append(paged, aws.ToString(e.Message))
		}
	}
	if len(paged) != 10 {
		t.Errorf("paged filter = %v", paged)
	}
	one, _ := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: group, LogStreamNames: []string{"web-2"}})
	if len(one.Events) != 2 {
		t.Errorf("one stream = %+v", one.Events)
	}

	if _, err := c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: group, LogStreamName: stream}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: group, LogStreamName: stream})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestMetricFiltersPublishMetrics(t *testing.T) {
	ctx := context.Background()
	c, sb := newClient(t)
	metrics := cw.NewFromConfig(sb.AWSConfig())
	group := aws.String("/app/metrics")
	_, err := c.PutMetricFilter(ctx, &cwl.PutMetricFilterInput{LogGroupName: group, FilterName: aws.String("x"), FilterPattern: aws.String("ERROR"),
		MetricTransformations: []types.MetricTransformation{{MetricName: aws.String("Errors"), MetricNamespace: aws.String("App"), MetricValue: aws.String("1")}}})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: group}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: group, LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	filters := []cwl.PutMetricFilterInput{
		{FilterName: aws.String("errors"), FilterPattern: aws.String(`"ERROR"`), MetricTransformations: []types.MetricTransformation{{
			MetricName: aws.String("Errors"), MetricNamespace: aws.String("Vigil/App"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0), Unit: types.StandardUnitCount}}},
		{FilterName: aws.String("latency"), FilterPattern: aws.String(`{ $.latency > 0 }`), MetricTransformations: []types.MetricTransformation{{
			MetricName: aws.String("Latency"), MetricNamespace: aws.String("Vigil/App"), MetricValue: aws.String("$.latency"),
			Dimensions: map[string]string{"Route": "$.route"}, Unit: types.StandardUnitMilliseconds}}},
	}
	for _, f := range filters {
		f.LogGroupName = group
		if _, err := c.PutMetricFilter(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}
	bad := []cwl.PutMetricFilterInput{
		{FilterName: aws.String("b1"), FilterPattern: aws.String("%regex%"), MetricTransformations: filters[0].MetricTransformations},
		{FilterName: aws.String("b2"), FilterPattern: aws.String("x"), MetricTransformations: []types.MetricTransformation{{MetricName: aws.String("M"), MetricNamespace: aws.String("N"),
			MetricValue: aws.String("1"), DefaultValue: aws.Float64(0), Dimensions: map[string]string{"a": "$.a"}}}},
		{FilterName: aws.String("b3"), FilterPattern: aws.String("x"), MetricTransformations: []types.MetricTransformation{{MetricName: aws.String("M"), MetricNamespace: aws.String("N"), MetricValue: aws.String("$.v")}}},
	}
	for _, f := range bad {
		f.LogGroupName = group
		_, err := c.PutMetricFilter(ctx, &f)
		wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	}
	desc, err := c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: group, FilterNamePrefix: aws.String("err")})
	if err != nil || len(desc.MetricFilters) != 1 || aws.ToFloat64(desc.MetricFilters[0].MetricTransformations[0].DefaultValue) != 0 ||
		desc.MetricFilters[0].MetricTransformations[0].DefaultValue == nil {
		t.Fatalf("describe = %+v, %v", desc, err)
	}
	byMetric, _ := c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{MetricName: aws.String("Latency"), MetricNamespace: aws.String("Vigil/App")})
	if len(byMetric.MetricFilters) != 1 {
		t.Errorf("by metric = %+v", byMetric.MetricFilters)
	}
	groups, _ := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: group})
	if aws.ToInt32(groups.LogGroups[0].MetricFilterCount) != 2 {
		t.Errorf("metricFilterCount = %d", aws.ToInt32(groups.LogGroups[0].MetricFilterCount))
	}

	// Two minutes of logs: three errors in the first, none in the second.
	base := time.Now().UTC().Truncate(time.Minute).Add(-5 * time.Minute)
	ms := func(sec int) *int64 { return aws.Int64(base.Add(time.Duration(sec) * time.Second).UnixMilli()) }
	if _, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		{Timestamp: ms(1), Message: aws.String("ERROR one")},
		{Timestamp: ms(2), Message: aws.String(`{"latency": 120, "route": "/a"}`)},
		{Timestamp: ms(3), Message: aws.String("ERROR two")},
		{Timestamp: ms(4), Message: aws.String(`{"latency": 80, "route": "/a"}`)},
		{Timestamp: ms(5), Message: aws.String("ERROR three")},
		{Timestamp: ms(61), Message: aws.String("all good")},
		{Timestamp: ms(62), Message: aws.String(`{"latency": "fast", "route": "/a"}`)},
	}}); err != nil {
		t.Fatal(err)
	}
	stats, err := metrics.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("Vigil/App"), MetricName: aws.String("Errors"),
		StartTime: aws.Time(base), EndTime: aws.Time(base.Add(2 * time.Minute)), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Datapoints) != 2 {
		t.Fatalf("Errors datapoints = %+v", stats.Datapoints)
	}
	for _, dp := range stats.Datapoints {
		want := 3.0
		if dp.Timestamp.After(base) {
			want = 0 // the default value, once, in the minute with no match
		}
		if *dp.Sum != want || dp.Unit != cwtypes.StandardUnitCount {
			t.Errorf("Errors at %s: sum %v unit %s, want %v", dp.Timestamp, *dp.Sum, dp.Unit, want)
		}
	}
	lat, err := metrics.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("Vigil/App"), MetricName: aws.String("Latency"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("Route"), Value: aws.String("/a")}},
		StartTime:  aws.Time(base), EndTime: aws.Time(base.Add(2 * time.Minute)), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticMaximum}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lat.Datapoints) != 1 || *lat.Datapoints[0].Sum != 200 || *lat.Datapoints[0].Maximum != 120 {
		t.Errorf("Latency datapoints = %+v", lat.Datapoints)
	}

	test, err := c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{FilterPattern: aws.String("[ip, user, status = 5*]"),
		LogEventMessages: []string{"1.2.3.4 bob 503", "1.2.3.4 bob 200"}})
	if err != nil || len(test.Matches) != 1 || test.Matches[0].ExtractedValues["$status"] != "503" {
		t.Errorf("TestMetricFilter = %+v, %v", test, err)
	}

	if _, err := c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: group, FilterName: aws.String("errors")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: group, FilterName: aws.String("errors")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestSubscriptionFilters(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	group := aws.String("/app/subs")
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: group}); err != nil {
		t.Fatal(err)
	}
	lambda := "arn:aws:lambda:us-east-1:123456789012:function:shipper"
	for _, n := range []string{"one", "two"} {
		if _, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: group, FilterName: aws.String(n),
			FilterPattern: aws.String("ERROR"), DestinationArn: aws.String(lambda)}); err != nil {
			t.Fatal(err)
		}
	}
	// Updating one is fine; a third is over the limit of two.
	if _, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: group, FilterName: aws.String("two"),
		FilterPattern: aws.String(""), DestinationArn: aws.String(lambda), Distribution: types.DistributionRandom}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: group, FilterName: aws.String("three"),
		FilterPattern: aws.String(""), DestinationArn: aws.String(lambda)})
	wantCode[*types.LimitExceededException](t, err, "LimitExceededException")
	_, err = c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: group, FilterName: aws.String("one"),
		FilterPattern: aws.String(""), DestinationArn: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s")})
	wantCode[*types.InvalidParameterException](t, err, "InvalidParameterException")
	out, err := c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: group})
	if err != nil || len(out.SubscriptionFilters) != 2 {
		t.Fatalf("describe = %+v, %v", out, err)
	}
	if f := out.SubscriptionFilters[1]; f.Distribution != types.DistributionRandom || aws.ToString(f.FilterPattern) != "" || aws.ToString(f.DestinationArn) != lambda {
		t.Errorf("two = %+v", f)
	}
	if f := out.SubscriptionFilters[0]; f.Distribution != types.DistributionByLogStream {
		t.Errorf("default distribution = %s", f.Distribution)
	}
	if _, err := c.DeleteSubscriptionFilter(ctx, &cwl.DeleteSubscriptionFilterInput{LogGroupName: group, FilterName: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSubscriptionFilter(ctx, &cwl.DeleteSubscriptionFilterInput{LogGroupName: group, FilterName: aws.String("one")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

// FuzzLogsJSON: junk JSON bodies for every operation get a 4xx (or the
// 501 of an unimplemented operation), never a panic or a 500.
func FuzzLogsJSON(f *testing.F) {
	for _, seed := range []struct{ op, body string }{
		{"CreateLogGroup", `{"logGroupName":"/a"}`},
		{"PutLogEvents", `{"logGroupName":"/a","logStreamName":"s","logEvents":[{"timestamp":1,"message":"x"},{"timestamp":0}]}`},
		{"FilterLogEvents", `{"logGroupName":"/a","filterPattern":"{ ($.a = 1 && ($.b > 2) || $.c[0].d NOT EXISTS }"}`},
		{"FilterLogEvents", `{"logGroupName":"/a","filterPattern":"[a, ..., b = 1* || b != \"x\", ...]"}`},
		{"GetLogEvents", `{"logGroupName":"/a","logStreamName":"s","nextToken":"f/99999999999999999999999999999999999999999"}`},
		{"PutMetricFilter", `{"logGroupName":"/a","filterName":"f","filterPattern":"?\"x","metricTransformations":[]}`},
		{"DescribeLogGroups", `{"limit":-1,"nextToken":"!!"}`},
		{"TestMetricFilter", `{"filterPattern":"[...,...,...,...,...,...,...]","logEventMessages":["a b c d e f g h i j k l m n o p"]}`},
		{"PutRetentionPolicy", `[`},
	} {
		f.Add(seed.op, seed.body)
	}
	sb := sandboxtest.Start(f)
	f.Fuzz(func(t *testing.T, op, body string) {
		for _, c := range []byte(op) {
			if c < 0x20 || c == 0x7f {
				return // not a valid header value: the client refuses it
			}
		}
		req, _ := http.NewRequest(http.MethodPost, sb.URL()+"/", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			t.Fatalf("%s %q: status %d %s", op, body, resp.StatusCode, out)
		}
	})
}
