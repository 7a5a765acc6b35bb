package cloudwatch_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// TestTerraformObservability applies testdata/terraform (an SNS topic with
// policy and email, https and sqs subscriptions; a KMS-encrypted log group
// with metric filters; the blueprint's 5xx alarm, a p99 alarm, a
// metric-math alarm and a composite alarm) with the real AWS provider,
// checks that a second plan has no changes, changes what can change in
// place, and checks that destroy leaves nothing behind.
func TestTerraformObservability(t *testing.T) {
	bin, env := sandboxtest.Terraform(t)
	sb := sandboxtest.Start(t)
	env = append(env, sb.Env()...)
	if p := os.Getenv("VIGIL_TEST_TF_LOG"); p != "" {
		env = append(env, "TF_LOG=debug", "TF_LOG_PATH="+p)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "terraform", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(string(src))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tf := func(wantExit int, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("terraform %s: %v", args[0], err)
		}
		if code != wantExit {
			t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), code, wantExit, out.String())
		}
		return out.String()
	}

	tf(0, "init", "-input=false", "-no-color")
	tf(0, "apply", "-auto-approve", "-input=false", "-no-color")
	tf(0, "plan", "-detailed-exitcode", "-input=false", "-no-color")

	cfg := sb.AWSConfig()
	metrics, logs, topics := cw.NewFromConfig(cfg), cwl.NewFromConfig(cfg), awssns.NewFromConfig(cfg)
	topicARN := strings.TrimSpace(tf(0, "output", "-raw", "topic_arn"))
	if got := strings.TrimSpace(tf(0, "output", "-raw", "https_subscription_pending")); got != "true" {
		t.Errorf("https subscription pending_confirmation = %s", got)
	}

	// What Terraform made, as an SDK user sees it (over rpc-v2-cbor for
	// CloudWatch, while the provider spoke the query protocol).
	alarms, err := metrics.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNamePrefix: aws.String("vigil-sandbox-"),
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) != 3 || len(alarms.CompositeAlarms) != 1 {
		t.Fatalf("alarms = %d metric, %d composite", len(alarms.MetricAlarms), len(alarms.CompositeAlarms))
	}
	for _, a := range alarms.MetricAlarms {
		if a.StateValue != cwtypes.StateValueInsufficientData {
			t.Errorf("%s starts in %s", aws.ToString(a.AlarmName), a.StateValue)
		}
		if aws.ToString(a.AlarmName) == "vigil-sandbox-alb-target-5xx" && (aws.ToInt32(a.DatapointsToAlarm) != 2 ||
			aws.ToString(a.TreatMissingData) != "notBreaching" || len(a.OKActions) != 1 || a.OKActions[0] != topicARN) {
			t.Errorf("5xx alarm = %+v", a)
		}
	}
	attrs, err := topics.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["SubscriptionsPending"] != "2" || attrs.Attributes["SubscriptionsConfirmed"] != "1" ||
		!strings.Contains(attrs.Attributes["Policy"], "CloudWatchAlarmsPublish") || !strings.HasPrefix(attrs.Attributes["KmsMasterKeyId"], "arn:aws:kms:") {
		t.Errorf("topic attributes = %v", attrs.Attributes)
	}

	// The metric filter Terraform made turns log lines into a metric.
	group := aws.String("/vigil/sandbox/app")
	if _, err := logs.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: group, LogStreamName: aws.String("task-1")}); err != nil {
		t.Fatal(err)
	}
	minute := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
	if _, err := logs.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String("task-1"), LogEvents: []logtypes.InputLogEvent{
		{Timestamp: aws.Int64(minute.Add(time.Second).UnixMilli()), Message: aws.String("ERROR upstream timed out")},
		{Timestamp: aws.Int64(minute.Add(2 * time.Second).UnixMilli()), Message: aws.String(`{"route":"/checkout","latency_ms":420}`)},
		{Timestamp: aws.Int64(minute.Add(3 * time.Second).UnixMilli()), Message: aws.String("ERROR upstream timed out again")},
	}}); err != nil {
		t.Fatal(err)
	}
	st, err := metrics.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("Vigil/sandbox"), MetricName: aws.String("AppLogErrors"),
		StartTime: aws.Time(minute), EndTime: aws.Time(minute.Add(time.Minute)), Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
	if err != nil || len(st.Datapoints) != 1 || aws.ToFloat64(st.Datapoints[0].Sum) != 2 {
		t.Errorf("AppLogErrors = %+v, %v", st, err)
	}

	// In-place changes: retention, threshold, tags, the composite rule,
	// a topic attribute.
	changed := string(src)
	for _, r := range [][2]string{
		{"retention_in_days = 90", "retention_in_days = 30"},
		{"threshold           = 25", "threshold           = 30"},
		{`tags       = { Project = "vigil", Env = "sandbox" }`, `tags       = { Project = "vigil", Env = "sandbox", Stage = "two" }`},
		{`alarm_description = "Errors and latency together."`, `alarm_description = "Errors and latency, together."`},
		{`display_name      = "Vigil pager"`, `display_name      = "Vigil pager (two)"`},
		{`filter_policy        = jsonencode({ severity = ["critical", "high"] })`, `filter_policy        = jsonencode({ severity = ["critical"] })`},
	} {
		if !strings.Contains(changed, r[0]) {
			t.Fatalf("testdata/terraform/main.tf no longer contains %q", r[0])
		}
		changed = strings.Replace(changed, r[0], r[1], 1)
	}
	write(changed)
	tf(2, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	tf(0, "apply", "-auto-approve", "-input=false", "-no-color")
	tf(0, "plan", "-detailed-exitcode", "-input=false", "-no-color")

	lg, err := logs.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: group})
	if err != nil || len(lg.LogGroups) != 1 || aws.ToInt32(lg.LogGroups[0].RetentionInDays) != 30 {
		t.Errorf("log group after update = %+v, %v", lg, err)
	}
	tags, err := metrics.ListTagsForResource(ctx, &cw.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:" + sb.AccountID() + ":alarm:vigil-sandbox-alb-target-5xx")})
	if err != nil || len(tags.Tags) != 4 {
		t.Errorf("5xx alarm tags after update = %+v, %v", tags, err)
	}

	tf(0, "destroy", "-auto-approve", "-input=false", "-no-color")
	left, err := metrics.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}})
	if err != nil || len(left.MetricAlarms)+len(left.CompositeAlarms) != 0 {
		t.Errorf("alarms left after destroy: %+v, %v", left, err)
	}
	groups, err := logs.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("log groups left after destroy: %+v, %v", groups, err)
	}
	tl, err := topics.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(tl.Topics) != 0 {
		t.Errorf("topics left after destroy: %+v, %v", tl, err)
	}
	subs, err := topics.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(subs.Subscriptions) != 0 {
		t.Errorf("subscriptions left after destroy: %+v, %v", subs, err)
	}
}
