package alarmaction

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/sns"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

func ptr[T any](v T) *T { return &v }

var (
	changedAt = time.Date(2026, 11, 25, 19, 7, 0, 0, time.UTC)
	pager     = "arn:aws:sns:us-east-1:123456789012:pager"
	reason    = "Threshold Crossed: 2 out of the last 3 datapoints [40.0 (25/11/26 19:06:00), 40.0 (25/11/26 19:05:00)] were greater than the threshold (25.0) and 1 missing datapoint was treated as [NonBreaching] (minimum 2 datapoints for OK -> ALARM transition)."
)

func metricChange() cloudwatch.AlarmChange {
	return cloudwatch.AlarmChange{
		ID: "c1", Region: "us-east-1", AccountID: "123456789012", AlarmName: "web-5xx",
		AlarmARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx", AlarmType: "MetricAlarm",
		Metric: &cloudwatch.MetricAlarm{
			AlarmName: ptr("web-5xx"), AlarmArn: ptr("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"),
			AlarmConfigurationUpdatedTimestamp: ptr(time.Date(2026, 11, 25, 18, 55, 30, 0, time.UTC)),
			AlarmActions:                       []string{pager}, OKActions: []string{pager},
			Namespace: ptr("AWS/ApplicationELB"), MetricName: ptr("HTTPCode_Target_5XX_Count"),
			Dimensions: []cloudwatch.Dimension{{Name: "LoadBalancer", Value: "app/web/1"}},
			Statistic:  ptr("Sum"), Period: ptr(int32(60)), EvaluationPeriods: ptr(int32(3)), DatapointsToAlarm: ptr(int32(2)),
			Threshold: ptr(25.0), ComparisonOperator: ptr("GreaterThanThreshold"), TreatMissingData: ptr("notBreaching"),
		},
		Previous: cloudwatch.StateRecord{Value: "OK", Reason: "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].",
			Timestamp: time.Date(2026, 11, 25, 18, 57, 0, 0, time.UTC)},
		Current: cloudwatch.StateRecord{Value: "ALARM", Reason: reason, ReasonData: `{"version":"1.0"}`, Timestamp: changedAt},
		Actions: []string{pager},
	}
}

func TestSubject(t *testing.T) {
	c := metricChange()
	if got := Subject(c); got != `ALARM: "web-5xx" in US East (N. Virginia)` {
		t.Errorf("subject %q", got)
	}
	c.Region, c.Current.Value = "eu-west-1", "OK"
	if got := Subject(c); got != `OK: "web-5xx" in EU (Ireland)` {
		t.Errorf("subject %q", got)
	}
	c.AlarmName = strings.Repeat("x", 200) + "é"
	if got := Subject(c); len(got) != 100 || strings.ContainsFunc(got, func(r rune) bool { return r > 0x7e }) {
		t.Errorf("long subject %q (%d)", got, len(got))
	}
	if RegionName("xx-nowhere-9") != "xx-nowhere-9" {
		t.Error("unknown regions are their code")
	}
}

func TestMessageMetricAlarm(t *testing.T) {
	want := `{"AlarmName":"web-5xx","AlarmDescription":null,"AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"2026-11-25T18:55:30.000+0000",` +
		`"NewStateValue":"ALARM","NewStateReason":"` + reason + `","StateChangeTime":"2026-11-25T19:07:00.000+0000","Region":"US East (N. Virginia)",` +
		`"AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx","OldStateValue":"OK","OKActions":["` + pager + `"],"AlarmActions":["` + pager + `"],` +
		`"InsufficientDataActions":[],"Trigger":{"MetricName":"HTTPCode_Target_5XX_Count","Namespace":"AWS/ApplicationELB","StatisticType":"Statistic",` +
		`"Statistic":"SUM","Unit":null,"Dimensions":[{"value":"app/web/1","name":"LoadBalancer"}],"Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":2,` +
		`"ComparisonOperator":"GreaterThanThreshold","Threshold":25.0,"TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}}`
	if got := Message(metricChange()); got != want {
		t.Errorf("message\n got %s\nwant %s", got, want)
	}
}

func TestMessageVariants(t *testing.T) {
	tests := []struct {
		name   string
		change func() cloudwatch.AlarmChange
		want   []string
		absent []string
	}{
		{"extended statistic, unit, defaults", func() cloudwatch.AlarmChange {
			c := metricChange()
			m := c.Metric
			m.Statistic, m.ExtendedStatistic, m.Unit, m.TreatMissingData, m.DatapointsToAlarm = nil, ptr("p99"), ptr("Seconds"), nil, nil
			m.AlarmDescription = ptr("p99 latency <high>")
			m.EvaluateLowSampleCountPercentile = ptr("ignore")
			return c
		}, []string{`"StatisticType":"ExtendedStatistic","ExtendedStatistic":"p99","Unit":"Seconds"`, `"TreatMissingData":"missing"`,
			`"EvaluateLowSampleCountPercentile":"ignore"`, `"AlarmDescription":"p99 latency <high>"`}, []string{`"DatapointsToAlarm"`, `"Statistic":`}},
		{"sample count", func() cloudwatch.AlarmChange {
			c := metricChange()
			c.Metric.Statistic = ptr("SampleCount")
			return c
		}, []string{`"Statistic":"SAMPLE_COUNT"`}, nil},
		{"metric math", func() cloudwatch.AlarmChange {
			c := metricChange()
			m := c.Metric
			m.Namespace, m.MetricName, m.Dimensions, m.Statistic, m.Period = nil, nil, nil, nil, nil
			m.Metrics = []cloudwatch.MetricDataQuery{
				{Id: ptr("e1"), Expression: ptr("100*m1/m2"), Label: ptr("error rate"), ReturnData: ptr(true)},
				{Id: ptr("m1"), MetricStat: &cloudwatch.MetricStat{Metric: &cloudwatch.Metric{Namespace: ptr("App"), MetricName: ptr("Errors"),
					Dimensions: []cloudwatch.Dimension{{Name: "Service", Value: "web"}}}, Period: ptr(int32(300)), Stat: ptr("Sum")}, ReturnData: ptr(false)},
			}
			return c
		}, []string{`"Trigger":{"Period":300,"EvaluationPeriods":3`, `"Metrics":[{"Expression":"100*m1/m2","Id":"e1","Label":"error rate","ReturnData":true},` +
			`{"Id":"m1","MetricStat":{"Metric":{"Dimensions":[{"value":"web","name":"Service"}],"MetricName":"Errors","Namespace":"App"},"Period":300,"Stat":"Sum"},"ReturnData":false}]`},
			[]string{`"MetricName":"HTTPCode`}},
		{"composite", func() cloudwatch.AlarmChange {
			c := metricChange()
			c.Metric, c.AlarmType = nil, "CompositeAlarm"
			c.Composite = &cloudwatch.CompositeAlarm{AlarmName: ptr("web-5xx"), AlarmRule: ptr("ALARM(a) OR ALARM(b)"), AlarmActions: []string{pager}}
			c.Current.Reason = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a transitioned to ALARM at Wednesday 25 November, 2026 19:07:00 UTC"
			c.Current.ReasonData = `{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a","state":{"value":"ALARM","timestamp":"2026-11-25T19:07:00.000+0000"}}]}`
			return c
		}, []string{`"AlarmRule":"ALARM(a) OR ALARM(b)"`, `"TriggeringChildren":[{"Arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a","State":{"Value":"ALARM","Timestamp":"2026-11-25T19:07:00.000+0000"}}]`,
			`"OKActions":[]`}, []string{`"Trigger"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Message(tt.change())
			if !json.Valid([]byte(got)) {
				t.Fatalf("not JSON: %s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("message lacks %s\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("message has %s\n%s", a, got)
				}
			}
		})
	}
}

func TestStateChangeEvent(t *testing.T) {
	c := metricChange()
	c.Metric.AlarmDescription = ptr("5xx at the load balancer")
	e := StateChangeEvent(c)
	if e.Source != "aws.cloudwatch" || e.DetailType != "CloudWatch Alarm State Change" || !e.Time.Equal(changedAt) ||
		len(e.Resources) != 1 || e.Resources[0] != c.AlarmARN {
		t.Fatalf("event %+v", e)
	}
	wantDetail := `{"alarmName":"web-5xx","state":{"value":"ALARM","reason":"` + reason + `","reasonData":"{\"version\":\"1.0\"}","timestamp":"2026-11-25T19:07:00.000+0000"},` +
		`"previousState":{"value":"OK","reason":"Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].","timestamp":"2026-11-25T18:57:00.000+0000"},` +
		`"configuration":{"description":"5xx at the load balancer","metrics":[{"id":"` + metricID(c.AlarmARN) + `","metricStat":{"metric":{"namespace":"AWS/ApplicationELB",` +
		`"name":"HTTPCode_Target_5XX_Count","dimensions":{"LoadBalancer":"app/web/1"}},"period":60,"stat":"Sum"},"returnData":true}]}}`
	if e.Detail != wantDetail {
		t.Errorf("detail\n got %s\nwant %s", e.Detail, wantDetail)
	}
	env, err := e.Envelope("ev-1", "123456789012", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal(env, &got)
	if got["version"] != "0" || got["id"] != "ev-1" || got["detail-type"] != "CloudWatch Alarm State Change" || got["time"] != "2026-11-25T19:07:00Z" ||
		got["account"] != "123456789012" || got["region"] != "us-east-1" {
		t.Errorf("envelope %s", env)
	}
	// The metric id is a stable UUID.
	if id := metricID(c.AlarmARN); len(id) != 36 || id != metricID(c.AlarmARN) || id[8] != '-' {
		t.Errorf("metric id %q", id)
	}

	// Composite alarms carry their rule.
	c.Metric, c.AlarmType = nil, "CompositeAlarm"
	c.Composite = &cloudwatch.CompositeAlarm{AlarmRule: ptr("ALARM(a)"), ActionsSuppressor: ptr("maintenance"), ActionsSuppressorWaitPeriod: ptr(int32(60)), ActionsSuppressorExtensionPeriod: ptr(int32(60))}
	d := StateChangeEvent(c).Detail
	if !strings.Contains(d, `"configuration":{"alarmRule":"ALARM(a)","actionsSuppressor":"maintenance","actionsSuppressorWaitPeriod":60,"actionsSuppressorExtensionPeriod":60}`) {
		t.Errorf("composite detail %s", d)
	}
}

type fakePublisher struct {
	calls []string
	err   error
}

func (f *fakePublisher) Publish(_ context.Context, topic, subject, message string) (string, error) {
	f.calls = append(f.calls, topic+"|"+subject)
	return "m-1", f.err
}

type fakeBus struct {
	events []Event
	err    error
}

func (f *fakeBus) PutEvent(_ context.Context, region string, e Event) error {
	f.events = append(f.events, e)
	return f.err
}

func TestDispatcher(t *testing.T) {
	lambda := "arn:aws:lambda:us-east-1:123456789012:function:fix"
	scaling := "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/c/s:policyName/out"
	tests := []struct {
		name        string
		actions     []string
		pubErr      error
		busErr      error
		wantCalls   int
		wantFailed  []string
		wantEvents  int
		wantResults int
	}{
		{"an SNS action publishes", []string{pager}, nil, nil, 1, nil, 1, 1},
		{"no actions still sends the event", nil, nil, nil, 0, nil, 1, 0},
		{"unsupported actions fail", []string{lambda, scaling, pager}, nil, nil, 1, []string{lambda, scaling}, 1, 3},
		{"a publish error is the action's", []string{pager}, errors.New("NotFound: Topic does not exist"), nil, 1, []string{pager}, 1, 1},
		{"an event error does not stop the actions", []string{pager}, nil, errors.New("bus gone"), 1, nil, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, bus := &fakePublisher{err: tt.pubErr}, &fakeBus{err: tt.busErr}
			d := New(pub, bus, nil)
			c := metricChange()
			c.Actions = tt.actions
			res := d.AlarmStateChanged(context.Background(), c)
			if len(pub.calls) != tt.wantCalls || len(bus.events) != tt.wantEvents || len(res) != tt.wantResults {
				t.Fatalf("calls %v events %d results %+v", pub.calls, len(bus.events), res)
			}
			var failed []string
			for _, r := range res {
				if r.Err != nil {
					failed = append(failed, r.Action)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tt.wantFailed, ",") {
				t.Fatalf("failed %v, want %v", failed, tt.wantFailed)
			}
			for _, r := range res {
				if r.Action == lambda && !errors.Is(r.Err, ErrUnsupported) {
					t.Errorf("lambda action error %v", r.Err)
				}
			}
			if tt.wantCalls > 0 && pub.calls[0] != pager+`|ALARM: "web-5xx" in US East (N. Virginia)` {
				t.Errorf("publish %v", pub.calls)
			}
		})
	}
}

// TestServicePublisher publishes through the sandbox's real SNS service.
func TestServicePublisher(t *testing.T) {
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := service.Env{State: st, AccountID: "123456789012", Region: "us-east-1", Now: func() time.Time { return changedAt }}
	svc := sns.New(env)
	// Create the topic as a client would.
	form := url.Values{"Action": {"CreateTopic"}, "Name": {"pager"}}
	hr, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := &recorder{header: http.Header{}, status: 200}
	svc.Handle(rec, &service.Request{HTTP: hr, Service: "sns", Region: "us-east-1", RequestID: "r1"})
	if rec.status != 200 {
		t.Fatalf("CreateTopic: %d %s", rec.status, rec.body.String())
	}
	p := ServicePublisher{SNS: svc}
	id, err := p.Publish(context.Background(), pager, `ALARM: "web-5xx" in US East (N. Virginia)`, Message(metricChange()))
	if err != nil || id == "" {
		t.Fatalf("Publish = %q, %v", id, err)
	}
	msgs, err := sns.Messages(context.Background(), st, pager)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].MessageID != id || msgs[0].Subject != `ALARM: "web-5xx" in US East (N. Virginia)` || msgs[0].Message != Message(metricChange()) {
		t.Fatalf("topic log %+v", msgs)
	}
	if _, err := p.Publish(context.Background(), "arn:aws:sns:us-east-1:123456789012:nope", "s", "m"); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("publish to a missing topic: %v", err)
	}
}

type fakeInvoker struct {
	principal, source, fn string
	payload               []byte
}

func (f *fakeInvoker) InvokeAsyncFor(_ context.Context, principal, source, fn string, payload []byte) error {
	f.principal, f.source, f.fn, f.payload = principal, source, fn, payload
	return nil
}

// TestLambdaAction: with an invoker, a Lambda alarm action is invoked with
// the payload AWS documents for Lambda alarm actions.
func TestLambdaAction(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:123456789012:function:fix"
	inv := &fakeInvoker{}
	d := New(nil, nil, nil).WithLambda(inv)
	c := metricChange()
	c.Actions = []string{fn}
	res := d.AlarmStateChanged(context.Background(), c)
	if len(res) != 1 || res[0].Err != nil || inv.fn != fn || inv.principal != "lambda.alarms.cloudwatch.amazonaws.com" || inv.source != c.AlarmARN {
		t.Fatalf("results %+v, invoked %q", res, inv.fn)
	}
	var p struct {
		Source, AlarmArn, AccountId, Time, Region string
		AlarmData                                 struct {
			AlarmName string
			State     struct{ Value string }
		}
	}
	if err := json.Unmarshal(inv.payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Source != "aws.cloudwatch" || p.AlarmArn != c.AlarmARN || p.AccountId != "123456789012" || p.Region != "us-east-1" ||
		p.Time != "2026-11-25T19:07:00.000+0000" || p.AlarmData.AlarmName != "web-5xx" || p.AlarmData.State.Value != "ALARM" {
		t.Errorf("payload %s", inv.payload)
	}
}
