package remediate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	sandboxsns "github.com/vigil-sre/vigil/internal/sandbox/sns"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// clock is the sandbox's and the remediator's time, advanced by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true, so this is a failure, not a skip", why)
	}
	t.Skip(why)
}

// world is a sandbox holding the blueprint's workload in small: a VPC in
// three zones, an ALB forwarding to an ip target group, a Fargate service
// of three tasks registered in it, a pager topic, an alarm and the
// remediator's log group.
type world struct {
	sb      *sandboxtest.Sandbox
	clk     *clock
	ecs     *ecs.Client
	elb     *elb.Client
	cw      *cloudwatch.Client
	sns     *sns.Client
	cluster string
	service string
	tg      string
	topic   string
	alarm   string
	group   string
	logs    bytes.Buffer
	r       *remediate.Remediator
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	dir := t.TempDir()
	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	// The test moves time; nothing fires behind its back as real time
	// passes (the workload simulation catches up on each request).
	srv.Clock().Close()
	w := &world{sb: &sandboxtest.Sandbox{Server: srv, Dir: dir}, clk: clk, alarm: "vigil-test-app-5xx", group: "/aws/lambda/vigil-test-remediator"}

	// The test needs EC2 for the service's network; skip while the sandbox
	// does not serve it.
	resp, err := http.Get(srv.URL() + "/_vigil/health")
	if err != nil {
		t.Fatal(err)
	}
	var health struct{ Services []string }
	_ = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if !slices.Contains(health.Services, "ec2") {
		skipOrFail(t, fmt.Sprintf("the sandbox does not serve EC2 yet (services %v), which the service's network needs", health.Services))
	}

	cfg := w.sb.AWSConfig()
	ec := ec2.NewFromConfig(cfg)
	w.ecs, w.elb, w.cw, w.sns = ecs.NewFromConfig(cfg), elb.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg), sns.NewFromConfig(cfg)

	vpc := must(ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")}))(t)
	azs := must(ec.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))(t)
	if len(azs.AvailabilityZones) < 3 {
		t.Fatalf("the sandbox has %d availability zones, want 3", len(azs.AvailabilityZones))
	}
	var subnets []string
	for i := range 3 {
		sn := must(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.40.%d.0/24", i)), AvailabilityZone: azs.AvailabilityZones[i].ZoneName}))(t)
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	sg := must(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("tasks"), Description: aws.String("tasks"), VpcId: vpc.Vpc.VpcId}))(t)

	lb := must(w.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("app"), Subnets: subnets}))(t).LoadBalancers[0]
	tg := must(w.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("app"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/health")}))(t).TargetGroups[0]
	w.tg = aws.ToString(tg.TargetGroupArn)
	must(w.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))(t)

	c := must(w.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("main")}))(t)
	w.cluster, w.service = aws.ToString(c.Cluster.ClusterName), "app"
	td := must(w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("app"), NetworkMode: ecstypes.NetworkModeAwsvpc, RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("public.ecr.aws/nginx/nginx:1"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}}},
	}))(t)
	must(w.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(w.cluster), ServiceName: aws.String(w.service),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(3), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: subnets, SecurityGroups: []string{aws.ToString(sg.GroupId)}}},
		LoadBalancers:        []ecstypes.LoadBalancer{{TargetGroupArn: tg.TargetGroupArn, ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}}))(t)

	w.topic = aws.ToString(must(w.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vigil-test-pager")}))(t).TopicArn)
	must(w.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:        aws.String(w.alarm),
		AlarmDescription: aws.String("ALB target 5xx above 25/min in 2 of 3 minutes. Runbook: https://example.com/runbooks/alb-5xx.md"),
		Namespace:        aws.String("AWS/ApplicationELB"), MetricName: aws.String("HTTPCode_Target_5XX_Count"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/app/1")}},
		Statistic:  cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2),
		Threshold: aws.Float64(25), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("notBreaching"),
		AlarmActions: []string{w.topic}, OKActions: []string{w.topic},
		Tags: []cwtypes.Tag{{Key: aws.String("vigil:runbook"), Value: aws.String("https://example.com/runbooks/alb-5xx.md")}},
	}))(t)
	logs := cloudwatchlogs.NewFromConfig(cfg)
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(w.group)}))(t)

	env := map[string]string{"CLUSTER": w.cluster, "SERVICE": w.service, "TARGET_GROUP_ARN": w.tg, "PAGER_TOPIC_ARN": w.topic,
		"MAX_ATTEMPTS": "3", "ALARM_NAME_PREFIX": "vigil-test-app-", "AWS_LAMBDA_LOG_GROUP_NAME": w.group}
	rc, err := remediate.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	w.r = remediate.New(rc, remediate.NewClients(cfg), remediate.Options{Logger: slogJSON(&w.logs), Now: clk.Now})

	// Past the health check's healthy threshold: every target healthy.
	w.advance(t, 5*time.Minute)
	for _, task := range w.tasks(t, ecstypes.DesiredStatusRunning) {
		if s := w.targetState(t, remediate.TaskIP(task)); s != "healthy" {
			t.Fatalf("target of task %s is %q after the healthy threshold, want healthy", aws.ToString(task.TaskArn), s)
		}
	}
	return w
}

// advance moves the test's clock. The sandbox's clock has no real-time
// waker (newWorld closes it): its alarm evaluations never land between
// the test's calls; the alarm's state is what the test sets.
func (w *world) advance(t *testing.T, d time.Duration) {
	t.Helper()
	w.clk.Advance(d)
}

func (w *world) tasks(t *testing.T, status ecstypes.DesiredStatus) []ecstypes.Task {
	t.Helper()
	ctx := context.Background()
	arns := must(w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(w.cluster), ServiceName: aws.String(w.service), DesiredStatus: status}))(t).TaskArns
	if len(arns) == 0 {
		return nil
	}
	return must(w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(w.cluster), Tasks: arns}))(t).Tasks
}

func (w *world) targetState(t *testing.T, ip string) string {
	t.Helper()
	out := must(w.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.tg)}))(t)
	for _, d := range out.TargetHealthDescriptions {
		if aws.ToString(d.Target.Id) == ip {
			return string(d.TargetHealth.State)
		}
	}
	return ""
}

// takeOut makes a task's target bad the one way the sandbox offers today:
// deregistering it, so it drains while ECS still runs the task.
func (w *world) takeOut(t *testing.T, task ecstypes.Task) {
	t.Helper()
	must(w.elb.DeregisterTargets(context.Background(), &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(w.tg),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(remediate.TaskIP(task)), Port: aws.Int32(8080)}}}))(t)
}

// alarmNow puts the alarm in ALARM and returns the EventBridge event
// CloudWatch emits for it, timestamped from the alarm's record.
func (w *world) alarmNow(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	must(w.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(w.alarm), StateValue: cwtypes.StateValueAlarm,
		StateReason: aws.String("Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (25.0).")}))(t)
	a := must(w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{w.alarm}}))(t).MetricAlarms[0]
	at := aws.ToTime(a.StateTransitionedTimestamp)
	if at.IsZero() {
		at = aws.ToTime(a.StateUpdatedTimestamp)
	}
	ev := map[string]any{
		"version": "0", "id": fmt.Sprintf("ev-%d", at.UnixNano()), "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
		"account": "123456789012", "time": at.UTC().Format(time.RFC3339), "region": "us-east-1", "resources": []string{aws.ToString(a.AlarmArn)},
		"detail": map[string]any{
			"alarmName":     w.alarm,
			"state":         map[string]any{"value": "ALARM", "reason": aws.ToString(a.StateReason), "timestamp": at.UTC().Format("2006-01-02T15:04:05.000-0700")},
			"previousState": map[string]any{"value": "OK", "reason": "", "timestamp": at.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000-0700")},
			"configuration": map[string]any{"description": aws.ToString(a.AlarmDescription)},
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pages are the remediator's escalations published to the pager topic.
func (w *world) pages(t *testing.T) []sandboxsns.Message {
	t.Helper()
	st, err := state.Open(w.sb.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := sandboxsns.Messages(context.Background(), st, w.topic)
	if err != nil {
		t.Fatal(err)
	}
	// Only the remediator's pages: the alarm's own notifications may land
	// on the same topic once the sandbox fires alarm actions.
	var out []sandboxsns.Message
	for _, m := range msgs {
		if m.MessageAttributes["vigil.action"].StringValue == "escalate" {
			out = append(out, m)
		}
	}
	return out
}

func slogJSON(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func (w *world) incidents(t *testing.T) []remediate.Incident {
	t.Helper()
	var out []remediate.Incident
	for _, l := range bytes.Split(w.logs.Bytes(), []byte("\n")) {
		if in, ok := remediate.ParseIncident(l); ok {
			out = append(out, in)
		}
	}
	return out
}

func TestSandboxReplacesTheBadTaskOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	running := w.tasks(t, ecstypes.DesiredStatusRunning)
	if len(running) != 3 {
		t.Fatalf("running tasks = %d, want 3", len(running))
	}
	bad := running[1]
	w.takeOut(t, bad)
	if s := w.targetState(t, remediate.TaskIP(bad)); s != "draining" {
		t.Fatalf("deregistered target is %q, want draining", s)
	}
	ev := w.alarmNow(t)
	w.advance(t, 5*time.Second)

	if err := w.r.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle: %v\n%s", err, w.logs.String())
	}
	stopped := w.tasks(t, ecstypes.DesiredStatusStopped)
	if len(stopped) != 1 || aws.ToString(stopped[0].TaskArn) != aws.ToString(bad.TaskArn) {
		t.Fatalf("stopped = %v, want exactly the bad task %s\n%s", taskARNs(stopped), aws.ToString(bad.TaskArn), w.logs.String())
	}
	reason := aws.ToString(stopped[0].StoppedReason)
	if !strings.HasPrefix(reason, "vigil-remediator: episode=") || !strings.Contains(reason, "alarm="+w.alarm) || !strings.Contains(reason, "draining") {
		t.Errorf("stopped reason = %q", reason)
	}
	now := w.tasks(t, ecstypes.DesiredStatusRunning)
	if len(now) != 3 || slices.Contains(taskARNs(now), aws.ToString(bad.TaskArn)) {
		t.Errorf("running after the stop = %v: want 3 with a replacement", taskARNs(now))
	}
	if len(w.pages(t)) != 0 {
		t.Errorf("pages = %+v, want none: remediation worked", w.pages(t))
	}

	// EventBridge delivers the same event again: nothing more is stopped.
	w.advance(t, 30*time.Second)
	if err := w.r.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle (redelivered): %v", err)
	}
	if got := w.tasks(t, ecstypes.DesiredStatusStopped); len(got) != 1 {
		t.Errorf("stopped after a redelivered event = %v, want still one", taskARNs(got))
	}
	ins := w.incidents(t)
	if len(ins) != 2 || ins[0].Action != remediate.ActionStopTask || ins[0].Outcome != remediate.OutcomeDone || ins[0].Target != aws.ToString(bad.TaskArn) ||
		ins[0].Attempt != 1 || ins[0].Runbook != "https://example.com/runbooks/alb-5xx.md" || ins[0].Alarm != w.alarm || ins[0].Episode == "" ||
		ins[1].Outcome != remediate.OutcomeDuplicate || ins[1].Episode != ins[0].Episode {
		t.Errorf("incidents = %+v", ins)
	}
}

func TestSandboxEscalatesOnceWhenEveryTaskIsBad(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	running := w.tasks(t, ecstypes.DesiredStatusRunning)
	for _, task := range running {
		w.takeOut(t, task)
	}
	ev := w.alarmNow(t)
	w.advance(t, 5*time.Second)
	if err := w.r.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle: %v\n%s", err, w.logs.String())
	}
	// Replacing every task would not help: nothing stopped, one page.
	if got := w.tasks(t, ecstypes.DesiredStatusStopped); len(got) != 0 {
		t.Errorf("stopped = %v, want none", taskARNs(got))
	}
	pages := w.pages(t)
	if len(pages) != 1 {
		t.Fatalf("pages = %d, want 1\n%s", len(pages), w.logs.String())
	}
	p := pages[0]
	for _, want := range []string{"Runbook: https://example.com/runbooks/alb-5xx.md", "nothing it can stop", "3 of 3 running tasks are bad", w.alarm, "stopped no task"} {
		if !strings.Contains(p.Message, want) {
			t.Errorf("page lacks %q:\n%s", want, p.Message)
		}
	}
	if !strings.Contains(p.Subject, w.alarm) || p.MessageAttributes["vigil.alarm"].StringValue != w.alarm {
		t.Errorf("page subject/attributes = %q %+v", p.Subject, p.MessageAttributes)
	}

	// The same event again, and a sweep while the alarm stays in ALARM:
	// no second page, still nothing stopped.
	w.advance(t, time.Minute)
	if err := w.r.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle (redelivered): %v", err)
	}
	w.advance(t, 15*time.Minute)
	sweep := []byte(`{"version":"0","id":"s1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-05-01T10:00:00Z","region":"us-east-1","resources":[],"detail":{}}`)
	if err := w.r.Handle(ctx, sweep); err != nil {
		t.Fatalf("Handle (sweep): %v", err)
	}
	if got := len(w.pages(t)); got != 1 {
		t.Errorf("pages after redelivery and sweep = %d, want 1", got)
	}
	if got := w.tasks(t, ecstypes.DesiredStatusStopped); len(got) != 0 {
		t.Errorf("stopped = %v, want none", taskARNs(got))
	}
	var escalations, duplicates int
	for _, in := range w.incidents(t) {
		if in.Action == remediate.ActionEscalate && in.Outcome == remediate.OutcomeDone {
			escalations++
		}
		if in.Action == remediate.ActionEscalate && in.Outcome == remediate.OutcomeDuplicate {
			duplicates++
		}
	}
	if escalations != 1 || duplicates != 2 {
		t.Errorf("escalations %d, duplicates %d; want 1 and 2\n%s", escalations, duplicates, w.logs.String())
	}

	// A new episode (the alarm recovered and fired again) is escalated anew.
	must(w.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(w.alarm), StateValue: cwtypes.StateValueOk, StateReason: aws.String("recovered")}))(t)
	w.advance(t, 2*time.Minute)
	ev2 := w.alarmNow(t)
	if err := w.r.Handle(ctx, ev); err != nil { // the old episode's event is stale now
		t.Fatal(err)
	}
	if got := len(w.pages(t)); got != 1 {
		t.Errorf("a stale event paged: %d pages", got)
	}
	if err := w.r.Handle(ctx, ev2); err != nil {
		t.Fatal(err)
	}
	if got := len(w.pages(t)); got != 2 {
		t.Errorf("pages after a new episode = %d, want 2\n%s", got, w.logs.String())
	}
}

func taskARNs(ts []ecstypes.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, aws.ToString(t.TaskArn))
	}
	return out
}
