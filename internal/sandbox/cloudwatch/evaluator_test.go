package cloudwatch_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	sandboxsns "github.com/vigil-sre/vigil/internal/sandbox/sns"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TestBlueprint5xxAlarmOverTheWire drives the blueprint's ALB 5xx alarm
// (Sum over 60 s > 25, 2 out of 3, missing data not breaching) with
// aws-sdk-go-v2 against a sandbox on a stepped clock: a one-minute blip of
// 40 errors raises nothing; two such minutes go to ALARM at the end of the
// second, with AWS's reason in the alarm, its history, the SNS
// notification and the EventBridge event; when the errors stop the alarm
// returns to OK and the pager hears that too.
func TestBlueprint5xxAlarmOverTheWire(t *testing.T) {
	start := time.Date(2026, 11, 25, 18, 55, 30, 0, time.UTC)
	sb := sandboxtest.StartStepped(t, start)
	ctx := context.Background()
	cfg := sb.AWSConfig()
	c, topics := cw.NewFromConfig(cfg), awssns.NewFromConfig(cfg)
	at := func(hhmmss string) time.Time {
		tm, err := time.Parse(time.TimeOnly, hhmmss)
		if err != nil {
			t.Fatal(err)
		}
		return time.Date(2026, 11, 25, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
	}
	advanceTo := func(hhmmss string) {
		t.Helper()
		if err := sb.Clock().AdvanceTo(at(hhmmss)); err != nil {
			t.Fatal(err)
		}
	}
	state := func() (string, string) {
		t.Helper()
		out, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"vigil-dev-alb-5xx"}})
		if err != nil {
			t.Fatal(err)
		}
		a := out.MetricAlarms[0]
		return string(a.StateValue), aws.ToString(a.StateReason)
	}
	errorsThisMinute := func(n float64) {
		t.Helper()
		_, err := c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("Vigil/ALB"), MetricData: []types.MetricDatum{{
			MetricName: aws.String("HTTPCode_Target_5XX_Count"),
			Dimensions: []types.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/vigil-dev/0123")}},
			Values:     []float64{1}, Counts: []float64{n}, Unit: types.StandardUnitCount}}})
		if err != nil {
			t.Fatal(err)
		}
	}

	topic, err := topics.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("vigil-dev-pager")})
	if err != nil {
		t.Fatal(err)
	}
	pager := aws.ToString(topic.TopicArn)
	_, err = c.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{
		AlarmName:          aws.String("vigil-dev-alb-5xx"),
		AlarmDescription:   aws.String("ALB target 5xx above 25/min in 2 of 3 minutes. Runbook: runbooks/alb-5xx.md"),
		Namespace:          aws.String("Vigil/ALB"),
		MetricName:         aws.String("HTTPCode_Target_5XX_Count"),
		Dimensions:         []types.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/vigil-dev/0123")}},
		Statistic:          types.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(3),
		DatapointsToAlarm:  aws.Int32(2),
		Threshold:          aws.Float64(25),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData:   aws.String("notBreaching"),
		AlarmActions:       []string{pager},
		OKActions:          []string{pager},
	})
	if err != nil {
		t.Fatal(err)
	}

	advanceTo("18:57:10")
	if s, _ := state(); s != "OK" {
		t.Fatalf("first evaluation without data: %s, want OK", s)
	}
	errorsThisMinute(40) // a blip in minute 18:57
	advanceTo("19:05:10")
	if s, r := state(); s != "OK" {
		t.Fatalf("after a one-minute blip: %s (%s)", s, r)
	}
	errorsThisMinute(40) // minute 19:05
	advanceTo("19:06:10")
	if s, r := state(); s != "OK" {
		t.Fatalf("after the first breaching minute: %s (%s), want OK", s, r)
	}
	errorsThisMinute(40) // minute 19:06
	advanceTo("19:07:00")
	wantReason := "Threshold Crossed: 2 out of the last 3 datapoints [40.0 (25/11/26 19:06:00), 40.0 (25/11/26 19:05:00)] were greater than the threshold (25.0) and 1 missing datapoint was treated as [NonBreaching] (minimum 2 datapoints for OK -> ALARM transition)."
	if s, r := state(); s != "ALARM" || r != wantReason {
		t.Fatalf("end of the second breaching minute: %s\n got %s\nwant %s", s, r, wantReason)
	}

	// DescribeAlarmHistory shows the transition with AWS's reason text.
	hist, err := c.DescribeAlarmHistory(ctx, &cw.DescribeAlarmHistoryInput{AlarmName: aws.String("vigil-dev-alb-5xx"), HistoryItemType: types.HistoryItemTypeStateUpdate})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.AlarmHistoryItems) != 2 || aws.ToString(hist.AlarmHistoryItems[0].HistorySummary) != "Alarm updated from OK to ALARM" {
		t.Fatalf("state history %+v", hist.AlarmHistoryItems)
	}
	var hd struct {
		NewState struct {
			StateValue      string         `json:"stateValue"`
			StateReason     string         `json:"stateReason"`
			StateReasonData map[string]any `json:"stateReasonData"`
		} `json:"newState"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(hist.AlarmHistoryItems[0].HistoryData)), &hd); err != nil {
		t.Fatal(err)
	}
	if hd.NewState.StateValue != "ALARM" || hd.NewState.StateReason != wantReason || hd.NewState.StateReasonData["period"] != 60.0 {
		t.Fatalf("history data %s", aws.ToString(hist.AlarmHistoryItems[0].HistoryData))
	}
	if !hist.AlarmHistoryItems[0].Timestamp.Equal(at("19:07:00")) {
		t.Errorf("transition at %v", hist.AlarmHistoryItems[0].Timestamp)
	}
	acts, err := c.DescribeAlarmHistory(ctx, &cw.DescribeAlarmHistoryInput{AlarmName: aws.String("vigil-dev-alb-5xx"), HistoryItemType: types.HistoryItemTypeAction})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts.AlarmHistoryItems) != 2 || aws.ToString(acts.AlarmHistoryItems[0].HistorySummary) != "Successfully executed action "+pager {
		t.Fatalf("action history %+v", acts.AlarmHistoryItems)
	}

	// The pager topic's log holds the OK (first evaluation) and ALARM
	// notifications, in AWS's format.
	msgs := topicLog(t, sb.Dir, pager)
	if len(msgs) != 2 {
		t.Fatalf("pager got %d messages, want 2 (OK, ALARM)", len(msgs))
	}
	if msgs[1].Subject != `ALARM: "vigil-dev-alb-5xx" in US East (N. Virginia)` {
		t.Errorf("subject %q", msgs[1].Subject)
	}
	wantMessage := `{"AlarmName":"vigil-dev-alb-5xx","AlarmDescription":"ALB target 5xx above 25/min in 2 of 3 minutes. Runbook: runbooks/alb-5xx.md",` +
		`"AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"2026-11-25T18:55:30.000+0000","NewStateValue":"ALARM",` +
		`"NewStateReason":"` + wantReason + `","StateChangeTime":"2026-11-25T19:07:00.000+0000","Region":"US East (N. Virginia)",` +
		`"AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:vigil-dev-alb-5xx","OldStateValue":"OK",` +
		`"OKActions":["` + pager + `"],"AlarmActions":["` + pager + `"],"InsufficientDataActions":[],` +
		`"Trigger":{"MetricName":"HTTPCode_Target_5XX_Count","Namespace":"Vigil/ALB","StatisticType":"Statistic","Statistic":"SUM","Unit":null,` +
		`"Dimensions":[{"value":"app/vigil-dev/0123","name":"LoadBalancer"}],"Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":2,` +
		`"ComparisonOperator":"GreaterThanThreshold","Threshold":25.0,"TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}}`
	if msgs[1].Message != wantMessage {
		t.Errorf("ALARM notification\n got %s\nwant %s", msgs[1].Message, wantMessage)
	}
	if msgs[0].Subject != `OK: "vigil-dev-alb-5xx" in US East (N. Virginia)` || !strings.Contains(msgs[0].Message, `"OldStateValue":"INSUFFICIENT_DATA"`) {
		t.Errorf("first notification %q %s", msgs[0].Subject, msgs[0].Message)
	}

	// The EventBridge event, on the default bus.
	ev := alarmEvent(t, sb.Dir, "ALARM")
	if ev.Source != "aws.cloudwatch" || ev.DetailType != "CloudWatch Alarm State Change" || ev.Account != "123456789012" || ev.Region != "us-east-1" ||
		ev.Time != "2026-11-25T19:07:00Z" || len(ev.Resources) != 1 || ev.Resources[0] != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:vigil-dev-alb-5xx" {
		t.Errorf("event envelope %+v", ev)
	}
	d := ev.Detail
	if d.AlarmName != "vigil-dev-alb-5xx" || d.State.Reason != wantReason || d.State.Timestamp != "2026-11-25T19:07:00.000+0000" ||
		d.PreviousState.Value != "OK" || !json.Valid([]byte(d.State.ReasonData)) {
		t.Errorf("event detail state %+v previous %+v", d.State, d.PreviousState)
	}
	if len(d.Configuration.Metrics) != 1 || d.Configuration.Metrics[0].MetricStat.Metric.Name != "HTTPCode_Target_5XX_Count" ||
		d.Configuration.Metrics[0].MetricStat.Metric.Dimensions["LoadBalancer"] != "app/vigil-dev/0123" || d.Configuration.Metrics[0].MetricStat.Period != 60 ||
		d.Configuration.Metrics[0].MetricStat.Stat != "Sum" || !d.Configuration.Metrics[0].ReturnData || !strings.HasPrefix(d.Configuration.Description, "ALB target 5xx") {
		t.Errorf("event configuration %+v", d.Configuration)
	}

	// The errors stop: with missing data not breaching, the alarm returns
	// to OK once the breaching minutes leave the evaluation range.
	advanceTo("19:10:00")
	if s, _ := state(); s != "ALARM" {
		t.Fatalf("19:10: %s, want ALARM still (both breaching minutes are in the range)", s)
	}
	advanceTo("19:11:00")
	if s, r := state(); s != "OK" || r != "Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [NonBreaching]." {
		t.Fatalf("19:11: %s %q, want OK", s, r)
	}
	msgs = topicLog(t, sb.Dir, pager)
	if len(msgs) != 3 || msgs[2].Subject != `OK: "vigil-dev-alb-5xx" in US East (N. Virginia)` ||
		!strings.Contains(msgs[2].Message, `"NewStateValue":"OK"`) || !strings.Contains(msgs[2].Message, `"OldStateValue":"ALARM"`) {
		t.Fatalf("after recovery the pager has %d messages; last %+v", len(msgs), msgs[len(msgs)-1])
	}
	if ev := alarmEvent(t, sb.Dir, "OK"); ev.Detail.PreviousState.Value != "ALARM" {
		t.Errorf("OK event previous state %+v", ev.Detail.PreviousState)
	}
}

// topicLog reads a topic's published messages from the sandbox's state.
func topicLog(t *testing.T, dir, topic string) []sandboxsns.Message {
	t.Helper()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := sandboxsns.Messages(context.Background(), st, topic)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

type alarmEventJSON struct {
	Source     string   `json:"source"`
	DetailType string   `json:"detail-type"`
	Account    string   `json:"account"`
	Region     string   `json:"region"`
	Time       string   `json:"time"`
	Resources  []string `json:"resources"`
	Detail     struct {
		AlarmName string `json:"alarmName"`
		State     struct {
			Value, Reason, ReasonData, Timestamp string
		} `json:"state"`
		PreviousState struct {
			Value, Reason, ReasonData, Timestamp string
		} `json:"previousState"`
		Configuration struct {
			Description string `json:"description"`
			Metrics     []struct {
				ID         string `json:"id"`
				MetricStat struct {
					Metric struct {
						Namespace  string            `json:"namespace"`
						Name       string            `json:"name"`
						Dimensions map[string]string `json:"dimensions"`
					} `json:"metric"`
					Period int    `json:"period"`
					Stat   string `json:"stat"`
				} `json:"metricStat"`
				ReturnData bool `json:"returnData"`
			} `json:"metrics"`
		} `json:"configuration"`
	} `json:"detail"`
}

// alarmEvent returns the last alarm state change event to value on the
// default bus.
func alarmEvent(t *testing.T, dir, value string) alarmEventJSON {
	t.Helper()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := events.Events(context.Background(), st, "us-east-1", "default")
	if err != nil {
		t.Fatal(err)
	}
	for i := len(recs) - 1; i >= 0; i-- {
		var ev alarmEventJSON
		if err := json.Unmarshal(recs[i].Event, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DetailType == "CloudWatch Alarm State Change" && ev.Detail.State.Value == value {
			return ev
		}
	}
	t.Fatalf("no alarm state change event to %s among %d events", value, len(recs))
	return alarmEventJSON{}
}
