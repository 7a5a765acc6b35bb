package events_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

const alarmPattern = `{"source":["aws.cloudwatch"],"detail-type":["CloudWatch Alarm State Change"],"detail":{"state":{"value":["ALARM"]},"alarmName":[{"prefix":"vigil-dev-"}]}}`

func newClient(t *testing.T) (*eventbridge.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return eventbridge.NewFromConfig(sb.AWSConfig()), sb
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

func wantAPICode(t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
}

// openState opens the sandbox's state beside the running server.
func openState(t *testing.T, sb *sandboxtest.Sandbox) *state.Store {
	t.Helper()
	st, err := state.Open(sb.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestRules(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	out, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("alarm-state"), EventPattern: aws.String(alarmPattern),
		Description: aws.String("alarms"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.RuleArn) != "arn:aws:events:us-east-1:123456789012:rule/alarm-state" {
		t.Errorf("RuleArn = %s", aws.ToString(out.RuleArn))
	}
	d, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("alarm-state")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.EventPattern) != alarmPattern || d.State != types.RuleStateEnabled || aws.ToString(d.EventBusName) != "default" ||
		aws.ToString(d.Description) != "alarms" || aws.ToString(d.CreatedBy) != "123456789012" {
		t.Errorf("DescribeRule = %+v", d)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 3 * * ? *)"),
		State: types.RuleStateDisabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("every-5"), ScheduleExpression: aws.String("rate(5 minutes)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("nightly")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("alarm-state")}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("alarm-state")})
	if d.State != types.RuleStateDisabled {
		t.Errorf("state after DisableRule = %s", d.State)
	}
	l, err := c.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("n")})
	if err != nil || len(l.Rules) != 1 || aws.ToString(l.Rules[0].ScheduleExpression) != "cron(0 3 * * ? *)" || l.Rules[0].State != types.RuleStateEnabled {
		t.Fatalf("ListRules n* = %+v, %v", l, err)
	}
	page, err := c.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(2)})
	if err != nil || len(page.Rules) != 2 || page.NextToken == nil {
		t.Fatalf("ListRules page 1 = %+v, %v", page, err)
	}
	page2, err := c.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(2), NextToken: page.NextToken})
	if err != nil || len(page2.Rules) != 1 || page2.NextToken != nil {
		t.Fatalf("ListRules page 2 = %+v, %v", page2, err)
	}
	tags, err := c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: out.RuleArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "sre" {
		t.Fatalf("ListTagsForResource = %+v, %v", tags, err)
	}
	if _, err := c.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: out.RuleArn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &eventbridge.UntagResourceInput{ResourceARN: out.RuleArn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, _ = c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: out.RuleArn})
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags after tag/untag = %+v", tags.Tags)
	}
	// PutRule on an existing rule replaces its definition and keeps tags.
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("alarm-state"), EventPattern: aws.String(`{"source":["x"]}`)}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("alarm-state")})
	tags, _ = c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: out.RuleArn})
	if aws.ToString(d.EventPattern) != `{"source":["x"]}` || d.State != types.RuleStateEnabled || d.Description != nil || len(tags.Tags) != 1 {
		t.Errorf("after replace: %+v tags %v", d, tags.Tags)
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("alarm-state")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("alarm-state")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("alarm-state")}); err != nil {
		t.Errorf("DeleteRule of a missing rule = %v, want success", err)
	}
}

func TestPutRuleErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	tests := []struct {
		name string
		in   eventbridge.PutRuleInput
		code string
	}{
		{"no pattern or schedule", eventbridge.PutRuleInput{}, "ValidationException"},
		{"bad pattern json", eventbridge.PutRuleInput{EventPattern: aws.String(`{"source":`)}, "InvalidEventPatternException"},
		{"bad pattern operator", eventbridge.PutRuleInput{EventPattern: aws.String(`{"a":[{"contains":"x"}]}`)}, "InvalidEventPatternException"},
		{"scalar pattern value", eventbridge.PutRuleInput{EventPattern: aws.String(`{"source":"aws.ec2"}`)}, "InvalidEventPatternException"},
		{"bad rate", eventbridge.PutRuleInput{ScheduleExpression: aws.String("rate(1 minutes)")}, "ValidationException"},
		{"bad rate unit", eventbridge.PutRuleInput{ScheduleExpression: aws.String("rate(5 weeks)")}, "ValidationException"},
		{"bad cron fields", eventbridge.PutRuleInput{ScheduleExpression: aws.String("cron(0 3 * * *)")}, "ValidationException"},
		{"cron both days", eventbridge.PutRuleInput{ScheduleExpression: aws.String("cron(0 3 1 * MON *)")}, "ValidationException"},
		{"cron out of range", eventbridge.PutRuleInput{ScheduleExpression: aws.String("cron(61 3 * * ? *)")}, "ValidationException"},
		{"schedule on custom bus", eventbridge.PutRuleInput{ScheduleExpression: aws.String("rate(1 hour)"), EventBusName: aws.String("custom")}, "ValidationException"},
		{"missing bus", eventbridge.PutRuleInput{EventPattern: aws.String(`{"a":["b"]}`), EventBusName: aws.String("ghost")}, "ResourceNotFoundException"},
		{"bad state", eventbridge.PutRuleInput{EventPattern: aws.String(`{"a":["b"]}`), State: "PAUSED"}, "ValidationException"},
		{"bad role", eventbridge.PutRuleInput{EventPattern: aws.String(`{"a":["b"]}`), RoleArn: aws.String("role")}, "ValidationException"},
	}
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("custom")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Name = aws.String("r")
			_, err := c.PutRule(ctx, &in)
			wantAPICode(t, err, tt.code)
		})
	}
	_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{}`)})
	wantCode[*types.InvalidEventPatternException](t, err, "InvalidEventPatternException")
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad name!"), EventPattern: aws.String(`{"a":["b"]}`)})
	wantAPICode(t, err, "ValidationException")
	_, err = c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("ghost")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestTargets(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("alarm-state"), EventPattern: aws.String(alarmPattern)}); err != nil {
		t.Fatal(err)
	}
	fn := "arn:aws:lambda:us-east-1:123456789012:function:remediator"
	topic := "arn:aws:sns:us-east-1:123456789012:pager"
	out, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("alarm-state"), Targets: []types.Target{
		{Id: aws.String("remediator"), Arn: aws.String(fn), RetryPolicy: &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(8)}},
		{Id: aws.String("pager"), Arn: aws.String(topic), InputTransformer: &types.InputTransformer{
			InputPathsMap: map[string]string{"alarm": "$.detail.alarmName"}, InputTemplate: aws.String(`"<alarm> is in ALARM"`)}},
		{Id: aws.String("both"), Arn: aws.String(topic), Input: aws.String(`{}`), InputPath: aws.String("$.detail")},
		{Id: aws.String("stream"), Arn: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 2 || len(out.FailedEntries) != 2 || aws.ToString(out.FailedEntries[0].TargetId) != "both" ||
		aws.ToString(out.FailedEntries[1].TargetId) != "stream" {
		t.Fatalf("PutTargets failures = %d %+v", out.FailedEntryCount, out.FailedEntries)
	}
	l, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("alarm-state")})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Targets) != 2 || aws.ToInt32(l.Targets[0].RetryPolicy.MaximumRetryAttempts) != 8 ||
		l.Targets[1].InputTransformer.InputPathsMap["alarm"] != "$.detail.alarmName" {
		t.Fatalf("ListTargetsByRule = %+v", l.Targets)
	}
	// Replacing a target by id keeps one entry.
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("alarm-state"), Targets: []types.Target{
		{Id: aws.String("pager"), Arn: aws.String(topic), Input: aws.String(`{"page":true}`)}}}); err != nil {
		t.Fatal(err)
	}
	l, _ = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("alarm-state")})
	if len(l.Targets) != 2 || aws.ToString(l.Targets[1].Input) != `{"page":true}` || l.Targets[1].InputTransformer != nil {
		t.Fatalf("after replace = %+v", l.Targets)
	}
	names, err := c.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(fn)})
	if err != nil || len(names.RuleNames) != 1 || names.RuleNames[0] != "alarm-state" {
		t.Fatalf("ListRuleNamesByTarget = %+v, %v", names, err)
	}
	_, err = c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("alarm-state")})
	wantCode[*smithy.GenericAPIError](t, err, "ValidationException")
	if !strings.Contains(err.Error(), "Rule can't be deleted since it has targets.") {
		t.Errorf("DeleteRule with targets = %v", err)
	}
	var many []types.Target
	for _, id := range []string{"a", "b", "c", "d"} {
		many = append(many, types.Target{Id: aws.String(id), Arn: aws.String(topic)})
	}
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("alarm-state"), Targets: many})
	wantCode[*types.LimitExceededException](t, err, "LimitExceededException")
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("ghost"), Targets: many[:1]})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("alarm-state"), Targets: []types.Target{{Id: aws.String("x"), Arn: aws.String("nope")}}})
	wantAPICode(t, err, "ValidationException")
	_, err = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("ghost")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")

	rm, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("alarm-state"), Ids: []string{"remediator", "pager", "unknown"}})
	if err != nil || rm.FailedEntryCount != 0 {
		t.Fatalf("RemoveTargets = %+v, %v", rm, err)
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("alarm-state")}); err != nil {
		t.Fatalf("DeleteRule after RemoveTargets: %v", err)
	}
}

func TestEventBuses(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	def, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil || aws.ToString(def.Name) != "default" || aws.ToString(def.Arn) != "arn:aws:events:us-east-1:123456789012:event-bus/default" {
		t.Fatalf("DescribeEventBus default = %+v, %v", def, err)
	}
	cr, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders"), Description: aws.String("order events"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cr.EventBusArn) != "arn:aws:events:us-east-1:123456789012:event-bus/orders" {
		t.Errorf("EventBusArn = %s", aws.ToString(cr.EventBusArn))
	}
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")})
	wantCode[*types.ResourceAlreadyExistsException](t, err, "ResourceAlreadyExistsException")
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("default")})
	wantCode[*types.ResourceAlreadyExistsException](t, err, "ResourceAlreadyExistsException")
	d, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: cr.EventBusArn})
	if err != nil || aws.ToString(d.Description) != "order events" || d.CreationTime == nil || time.Since(*d.CreationTime) > time.Minute {
		t.Fatalf("DescribeEventBus = %+v, %v", d, err)
	}
	if _, err := c.UpdateEventBus(ctx, &eventbridge.UpdateEventBusInput{Name: aws.String("orders"), Description: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("orders")})
	if d.Description != nil {
		t.Errorf("description after clearing = %q", aws.ToString(d.Description))
	}
	tags, err := c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: cr.EventBusArn})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("bus tags = %+v, %v", tags, err)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("new-order"), EventBusName: aws.String("orders"),
		EventPattern: aws.String(`{"source":["shop"]}`)}); err != nil {
		t.Fatal(err)
	}
	rule, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("new-order"), EventBusName: aws.String("orders")})
	if err != nil || aws.ToString(rule.Arn) != "arn:aws:events:us-east-1:123456789012:rule/orders/new-order" {
		t.Fatalf("rule on custom bus = %+v, %v", rule, err)
	}
	_, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("new-order")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	l, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil || len(l.EventBuses) != 2 {
		t.Fatalf("ListEventBuses = %+v, %v", l, err)
	}
	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
	wantAPICode(t, err, "ValidationException")
	if _, err := c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("orders")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestPutEventsRecordsMatches(t *testing.T) {
	ctx := context.Background()
	c, sb := newClient(t)
	for name, p := range map[string]string{
		"orders":       `{"source":["shop"],"detail-type":["Order Placed"]}`,
		"big-orders":   `{"source":["shop"],"detail":{"total":[{"numeric":[">=",100]}]}}`,
		"other-source": `{"source":["billing"]}`,
	} {
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("disabled"), EventPattern: aws.String(`{"source":["shop"]}`), State: types.RuleStateDisabled}); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order Placed"), Detail: aws.String(`{"total": 250}`), Time: &when},
		{Source: aws.String("shop"), DetailType: aws.String("Order Placed"), Detail: aws.String(`not json`)},
		{Source: aws.String("aws.cloudwatch"), DetailType: aws.String("x"), Detail: aws.String(`{}`)},
		{DetailType: aws.String("x"), Detail: aws.String(`{}`)},
		{Source: aws.String("shop"), DetailType: aws.String("x"), Detail: aws.String(`{}`), EventBusName: aws.String("ghost")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 4 || aws.ToString(out.Entries[0].EventId) == "" || aws.ToString(out.Entries[1].ErrorCode) != "MalformedDetail" ||
		aws.ToString(out.Entries[2].ErrorCode) != "NotAuthorizedForSourceException" || aws.ToString(out.Entries[3].ErrorCode) != "InvalidArgument" ||
		aws.ToString(out.Entries[4].ErrorCode) != "ResourceNotFoundException" {
		t.Fatalf("PutEvents = %d %+v", out.FailedEntryCount, out.Entries)
	}
	recs, err := events.Events(ctx, openState(t, sb), "us-east-1", "default")
	if err != nil || len(recs) != 1 {
		t.Fatalf("Events = %+v, %v", recs, err)
	}
	got := strings.Join(recs[0].MatchedRules, ",")
	want := "arn:aws:events:us-east-1:123456789012:rule/big-orders,arn:aws:events:us-east-1:123456789012:rule/orders"
	if got != want {
		t.Errorf("matched rules = %s, want %s", got, want)
	}
	if !strings.Contains(string(recs[0].Event), `"time":"2024-05-01T12:00:00Z"`) || !strings.Contains(string(recs[0].Event), `"detail":{"total":250}`) ||
		recs[0].ID != aws.ToString(out.Entries[0].EventId) {
		t.Errorf("recorded event = %s", recs[0].Event)
	}
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, 11)})
	wantAPICode(t, err, "ValidationException")
}

func TestEmitAllowsAWSSources(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := service.Env{State: st, AccountID: "123456789012", Region: "us-east-1", Logger: slog.New(slog.DiscardHandler), Now: time.Now}
	// With no rules, Emit still records the event.
	rec, err := events.Emit(ctx, env, "us-east-1", events.Entry{Source: "aws.cloudwatch", DetailType: "CloudWatch Alarm State Change",
		Detail: `{"alarmName":"vigil-dev-api-5xx","state":{"value":"ALARM"}}`})
	if err != nil || rec.ID == "" || len(rec.MatchedRules) != 0 {
		t.Fatalf("Emit = %+v, %v", rec, err)
	}
	if _, err := events.Emit(ctx, env, "us-east-1", events.Entry{Source: "aws.cloudwatch", DetailType: "x", Detail: "[]"}); err == nil {
		t.Error("Emit accepted a detail that is not a JSON object")
	}
}

func TestEmitMatchesBlueprintRule(t *testing.T) {
	ctx := context.Background()
	c, sb := newClient(t)
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("alarm-state"), EventPattern: aws.String(alarmPattern)}); err != nil {
		t.Fatal(err)
	}
	env := service.Env{State: openState(t, sb), AccountID: "123456789012", Region: "us-east-1", Now: time.Now}
	hit, err := events.Emit(ctx, env, "us-east-1", events.Entry{Source: "aws.cloudwatch", DetailType: "CloudWatch Alarm State Change",
		Detail: `{"alarmName":"vigil-dev-api-5xx","state":{"value":"ALARM"}}`})
	if err != nil || len(hit.MatchedRules) != 1 {
		t.Fatalf("Emit ALARM = %+v, %v", hit, err)
	}
	miss, err := events.Emit(ctx, env, "us-east-1", events.Entry{Source: "aws.cloudwatch", DetailType: "CloudWatch Alarm State Change",
		Detail: `{"alarmName":"vigil-dev-api-5xx","state":{"value":"OK"}}`})
	if err != nil || len(miss.MatchedRules) != 0 {
		t.Fatalf("Emit OK = %+v, %v", miss, err)
	}
}

func TestTestEventPattern(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	ev := `{"id":"1","account":"123456789012","source":"aws.cloudwatch","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail-type":"CloudWatch Alarm State Change","detail":{"alarmName":"vigil-dev-x","state":{"value":"ALARM"}}}`
	out, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(alarmPattern), Event: aws.String(ev)})
	if err != nil || !out.Result {
		t.Fatalf("TestEventPattern = %+v, %v", out, err)
	}
	out, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":["aws.ec2"]}`), Event: aws.String(ev)})
	if err != nil || out.Result {
		t.Fatalf("TestEventPattern mismatch = %+v, %v", out, err)
	}
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`[]`), Event: aws.String(ev)})
	wantCode[*types.InvalidEventPatternException](t, err, "InvalidEventPatternException")
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(alarmPattern), Event: aws.String(`{"source":"x"}`)})
	wantAPICode(t, err, "ValidationException")
}

func TestUnimplementedIsHonest(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	_, err := c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("a"), EventSourceArn: aws.String("arn:aws:events:us-east-1:123456789012:event-bus/default")})
	wantAPICode(t, err, "NotImplemented")
}

// TestDurable checks that rules, targets, buses and recorded events
// survive a restart on the same data directory.
func TestDurable(t *testing.T) {
	ctx := context.Background()
	c, sb := newClient(t)
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("orders"), EventPattern: aws.String(`{"source":["shop"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), EventBusName: aws.String("orders"),
		Targets: []types.Target{{Id: aws.String("t"), Arn: aws.String("arn:aws:sns:us-east-1:123456789012:pager")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{Source: aws.String("shop"),
		DetailType: aws.String("x"), Detail: aws.String(`{}`), EventBusName: aws.String("orders")}}}); err != nil {
		t.Fatal(err)
	}
	dir := sb.Dir
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sb2 := sandboxtest.StartIn(t, dir)
	c2 := eventbridge.NewFromConfig(sb2.AWSConfig())
	l, err := c2.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r"), EventBusName: aws.String("orders")})
	if err != nil || len(l.Targets) != 1 {
		t.Fatalf("targets after restart = %+v, %v", l, err)
	}
	recs, err := events.Events(ctx, openState(t, sb2), "us-east-1", "orders")
	if err != nil || len(recs) != 1 || len(recs[0].MatchedRules) != 1 {
		t.Fatalf("events after restart = %+v, %v", recs, err)
	}
}
