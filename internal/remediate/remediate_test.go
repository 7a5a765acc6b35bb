package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// fakeAWS is an in-memory ECS service, target group, alarms, pager and log
// group: enough AWS for the handler's paths the sandbox cannot drive
// (unhealthy targets, failures, time).
type fakeAWS struct {
	mu         sync.Mutex
	now        time.Time
	desired    int32
	tasks      []ecstypes.Task
	targets    map[string]elbtypes.TargetHealthStateEnum // by IP
	alarms     []cwtypes.MetricAlarm
	tags       map[string][]cwtypes.Tag
	published  []*sns.PublishInput
	streams    map[string]string // name → note
	publishErr error
	createErr  error
	stopErr    error
	calls      []string
	// app is the per-task app metrics over any window: task ID →
	// {requests, 5xx}; metricErr fails GetMetricData; metricIn is the last
	// GetMetricData request.
	app       map[string][2]float64
	metricErr error
	metricIn  *cloudwatch.GetMetricDataInput
}

func newFake(now time.Time) *fakeAWS {
	f := &fakeAWS{now: now, desired: 3, targets: map[string]elbtypes.TargetHealthStateEnum{}, tags: map[string][]cwtypes.Tag{}, streams: map[string]string{}}
	for _, id := range []string{"1", "2", "3"} {
		f.addTask(id, elbtypes.TargetHealthStateEnumHealthy)
	}
	return f
}

func (f *fakeAWS) addTask(id string, state elbtypes.TargetHealthStateEnum) {
	t := eniTask("arn:aws:ecs:us-east-1:123456789012:task/main/"+id, "10.0.0."+id)
	started := f.now.Add(-time.Hour)
	t.StartedAt = &started
	f.tasks = append(f.tasks, t)
	f.targets["10.0.0."+id] = state
}

func (f *fakeAWS) setAlarm(name, desc string, entered time.Time) {
	a := cwtypes.MetricAlarm{AlarmName: aws.String(name), AlarmArn: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name),
		AlarmDescription: aws.String(desc), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed"), StateTransitionedTimestamp: &entered}
	for i := range f.alarms {
		if aws.ToString(f.alarms[i].AlarmName) == name {
			f.alarms[i] = a
			return
		}
	}
	f.alarms = append(f.alarms, a)
}

func (f *fakeAWS) call(name string) { f.calls = append(f.calls, name) }

func (f *fakeAWS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("DescribeServices")
	if in.Services[0] != "app" {
		return &ecs.DescribeServicesOutput{Failures: []ecstypes.Failure{{Reason: aws.String("MISSING")}}}, nil
	}
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{{ServiceName: aws.String("app"), DesiredCount: f.desired}}}, nil
}

func (f *fakeAWS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ListTasks")
	var arns []string
	for _, t := range f.tasks {
		if aws.ToString(t.DesiredStatus) == string(in.DesiredStatus) {
			arns = append(arns, aws.ToString(t.TaskArn))
		}
	}
	return &ecs.ListTasksOutput{TaskArns: arns}, nil
}

func (f *fakeAWS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("DescribeTasks")
	out := &ecs.DescribeTasksOutput{}
	for _, t := range f.tasks {
		if slices.Contains(in.Tasks, aws.ToString(t.TaskArn)) {
			out.Tasks = append(out.Tasks, t)
		}
	}
	return out, nil
}

func (f *fakeAWS) StopTask(_ context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("StopTask")
	if f.stopErr != nil {
		return nil, f.stopErr
	}
	for i, t := range f.tasks {
		if aws.ToString(t.TaskArn) == aws.ToString(in.Task) {
			now := f.now
			f.tasks[i].DesiredStatus, f.tasks[i].StoppedReason, f.tasks[i].StoppingAt = aws.String("STOPPED"), in.Reason, &now
			return &ecs.StopTaskOutput{Task: &f.tasks[i]}, nil
		}
	}
	return nil, errors.New("InvalidParameterException: The referenced task was not found.")
}

func (f *fakeAWS) DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("DescribeTargetHealth")
	out := &elb.DescribeTargetHealthOutput{}
	for ip, s := range f.targets {
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, target(ip, 8080, s, ""))
	}
	return out, nil
}

func (f *fakeAWS) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("DescribeAlarms")
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, a := range f.alarms {
		name := aws.ToString(a.AlarmName)
		if (len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, name)) || !strings.HasPrefix(name, aws.ToString(in.AlarmNamePrefix)) ||
			(in.StateValue != "" && a.StateValue != in.StateValue) {
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, a)
	}
	return out, nil
}

func (f *fakeAWS) ListTagsForResource(_ context.Context, in *cloudwatch.ListTagsForResourceInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ListTagsForResource")
	return &cloudwatch.ListTagsForResourceOutput{Tags: f.tags[aws.ToString(in.ResourceARN)]}, nil
}

func (f *fakeAWS) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("GetMetricData")
	f.metricIn = in
	if f.metricErr != nil {
		return nil, f.metricErr
	}
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		res := cwtypes.MetricDataResult{Id: q.Id, StatusCode: cwtypes.StatusCodeComplete}
		m := q.MetricStat.Metric
		var task string
		for _, d := range m.Dimensions {
			if aws.ToString(d.Name) == AppDimTask {
				task = aws.ToString(d.Value)
			}
		}
		if v, ok := f.app[task]; ok && aws.ToString(m.Namespace) == "Vigil/App" {
			// Spread over the window's periods, as the app publishes each minute.
			n := float64(in.EndTime.Sub(*in.StartTime) / (time.Duration(aws.ToInt32(q.MetricStat.Period)) * time.Second))
			val := v[0]
			if aws.ToString(m.MetricName) == AppMetric5XX {
				val = v[1]
			}
			for range int(n) {
				res.Values = append(res.Values, val/n)
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	return out, nil
}

func (f *fakeAWS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Publish")
	if f.publishErr != nil {
		return nil, f.publishErr
	}
	f.published = append(f.published, in)
	return &sns.PublishOutput{MessageId: aws.String("msg-1")}, nil
}

func (f *fakeAWS) DescribeLogStreams(_ context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("DescribeLogStreams")
	out := &cloudwatchlogs.DescribeLogStreamsOutput{}
	for name := range f.streams {
		if strings.HasPrefix(name, aws.ToString(in.LogStreamNamePrefix)) {
			out.LogStreams = append(out.LogStreams, logtypes.LogStream{LogStreamName: aws.String(name)})
		}
	}
	return out, nil
}

func (f *fakeAWS) CreateLogStream(_ context.Context, in *cloudwatchlogs.CreateLogStreamInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CreateLogStream")
	if f.createErr != nil {
		return nil, f.createErr
	}
	name := aws.ToString(in.LogStreamName)
	if _, ok := f.streams[name]; ok {
		return nil, &smithy.GenericAPIError{Code: "ResourceAlreadyExistsException", Message: "The specified log stream already exists"}
	}
	f.streams[name] = ""
	return &cloudwatchlogs.CreateLogStreamOutput{}, nil
}

func (f *fakeAWS) PutLogEvents(_ context.Context, in *cloudwatchlogs.PutLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PutLogEvents")
	f.streams[aws.ToString(in.LogStreamName)] = aws.ToString(in.LogEvents[0].Message)
	return &cloudwatchlogs.PutLogEventsOutput{}, nil
}

func (f *fakeAWS) stopped() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, t := range f.tasks {
		if aws.ToString(t.DesiredStatus) == "STOPPED" {
			out = append(out, strings.TrimPrefix(aws.ToString(t.TaskArn), "arn:aws:ecs:us-east-1:123456789012:task/main/"))
		}
	}
	return out
}

func (f *fakeAWS) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *fakeAWS) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

// harness is a Remediator over a fakeAWS with its incident log.
type harness struct {
	f   *fakeAWS
	r   *Remediator
	log *bytes.Buffer
}

const (
	alarm5xx = "vigil-prod-app-5xx"
	runbook  = "https://example.com/runbooks/5xx.md"
)

func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	cfg, err := ConfigFromEnv(envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&cfg)
	}
	f := newFake(t0)
	f.setAlarm(alarm5xx, "5xx. Runbook: "+runbook, t0)
	var buf bytes.Buffer
	r := New(cfg, Clients{ECS: f, ELB: f, CloudWatch: f, SNS: f, Logs: f}, Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Now: f.clock})
	return &harness{f: f, r: r, log: &buf}
}

func (h *harness) incidents() []Incident {
	var out []Incident
	for _, l := range bytes.Split(h.log.Bytes(), []byte("\n")) {
		if in, ok := ParseIncident(l); ok {
			out = append(out, in)
		}
	}
	return out
}

func (h *harness) last() Incident {
	ins := h.incidents()
	if len(ins) == 0 {
		return Incident{}
	}
	return ins[len(ins)-1]
}

// event is an alarm state change event for name entering value at entered.
func event(name, value string, entered time.Time) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"version": "0", "id": "e1", "detail-type": DetailTypeAlarmStateChange, "source": SourceCloudWatch,
		"account": "123456789012", "time": entered.Format(time.RFC3339), "region": "us-east-1",
		"detail": map[string]any{"alarmName": name, "state": map[string]any{"value": value, "reason": "r", "timestamp": entered.Format("2006-01-02T15:04:05.000-0700")},
			"previousState": map[string]any{"value": "OK"}, "configuration": map[string]any{"description": "5xx. Runbook: " + runbook}}})
	return b
}

var sweepEvent = json.RawMessage(`{"version":"0","id":"s","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-05-01T10:05:00Z","region":"us-east-1","resources":[],"detail":{}}`)

func TestHandleIgnores(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload json.RawMessage
		setup   func(*fakeAWS)
		why     string
		wantErr bool
	}{
		{name: "OK state", payload: event(alarm5xx, StateOK, t0), why: "went to OK, not ALARM"},
		{name: "another system's alarm", payload: event("billing-high", StateAlarm, t0), why: "not this system's"},
		{name: "alarm deleted", payload: event("vigil-prod-app-gone", StateAlarm, t0), why: "no longer exists"},
		{name: "recovered since", payload: event(alarm5xx, StateAlarm, t0), setup: func(f *fakeAWS) { f.alarms[0].StateValue = cwtypes.StateValueOk }, why: "is OK now"},
		{name: "stale event", payload: event(alarm5xx, StateAlarm, t0.Add(-time.Hour)), why: "stale event"},
		{name: "other event", payload: json.RawMessage(`{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","id":"x","detail":{}}`), why: "neither an alarm state change"},
		{name: "garbage", payload: json.RawMessage(`[1,2]`), wantErr: true},
		{name: "bad timestamp", payload: json.RawMessage(`{"detail-type":"CloudWatch Alarm State Change","id":"x","detail":{"alarmName":"vigil-prod-app-5xx","state":{"value":"ALARM","timestamp":"soon"}}}`), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			h.f.targets["10.0.0.2"] = elbtypes.TargetHealthStateEnumUnhealthy
			if tt.setup != nil {
				tt.setup(h.f)
			}
			err := h.r.Handle(context.Background(), tt.payload)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle = %v, wantErr %v", err, tt.wantErr)
			}
			if len(h.f.stopped()) != 0 || len(h.f.published) != 0 {
				t.Errorf("stopped %v, published %d: want nothing done", h.f.stopped(), len(h.f.published))
			}
			in := h.last()
			want := OutcomeSkipped
			if tt.wantErr {
				want = OutcomeFailed
			}
			if in.Action != ActionIgnore || in.Outcome != want || !strings.Contains(in.Detail, tt.why) {
				t.Errorf("incident = %+v, want ignore/%s with %q", in, want, tt.why)
			}
		})
	}
}

func TestHandleStopsUnhealthyTarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.f.targets["10.0.0.3"] = elbtypes.TargetHealthStateEnumUnhealthy
	h.f.advance(10 * time.Second)
	ctx := context.Background()
	if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
		t.Fatal(err)
	}
	if got := h.f.stopped(); !slices.Equal(got, []string{"3"}) {
		t.Fatalf("stopped = %v, want [3]", got)
	}
	in := h.last()
	if in.Action != ActionStopTask || in.Outcome != OutcomeDone || in.Attempt != 1 || in.Trigger != "event" || in.Runbook != runbook ||
		in.Episode != "20260501T100000Z" || !strings.Contains(in.Detail, "target 10.0.0.3:8080 unhealthy") || in.Cluster != "main" || in.Service != "app" {
		t.Errorf("incident = %+v", in)
	}
	// Redelivered: nothing more, whatever the fleet shows now.
	h.f.targets["10.0.0.1"] = elbtypes.TargetHealthStateEnumUnhealthy
	h.f.advance(time.Minute)
	if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
		t.Fatal(err)
	}
	if got := h.f.stopped(); len(got) != 1 || h.last().Outcome != OutcomeDuplicate {
		t.Errorf("after redelivery: stopped %v, last incident %+v", got, h.last())
	}
}

func TestSweepFollowsUpThenEscalates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.MaxAttempts = 2 })
	ctx := context.Background()
	h.f.targets["10.0.0.3"] = elbtypes.TargetHealthStateEnumUnhealthy
	h.f.advance(5 * time.Second)
	if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
		t.Fatal(err)
	}
	// The replacement comes up; another task goes bad; the alarm stays.
	h.f.addTask("4", elbtypes.TargetHealthStateEnumHealthy)
	h.f.targets["10.0.0.1"] = elbtypes.TargetHealthStateEnumUnhealthy
	h.f.advance(time.Minute)
	if err := h.r.Handle(ctx, sweepEvent); err != nil {
		t.Fatal(err)
	}
	if in := h.last(); in.Action != ActionWait || len(h.f.stopped()) != 1 {
		t.Fatalf("sweep a minute after the stop: %+v, stopped %v", in, h.f.stopped())
	}
	h.f.advance(3 * time.Minute)
	if err := h.r.Handle(ctx, sweepEvent); err != nil {
		t.Fatal(err)
	}
	if got := h.f.stopped(); !slices.Equal(got, []string{"1", "3"}) || h.last().Attempt != 2 || h.last().Trigger != "sweep" {
		t.Fatalf("follow-up: stopped %v, incident %+v", got, h.last())
	}
	h.f.addTask("5", elbtypes.TargetHealthStateEnumHealthy)
	h.f.advance(time.Minute)
	if err := h.r.Handle(ctx, sweepEvent); err != nil {
		t.Fatal(err)
	}
	if h.last().Action != ActionWait || len(h.f.published) != 0 {
		t.Fatalf("attempts spent, last one still working: %+v", h.last())
	}
	h.f.advance(3 * time.Minute)
	if err := h.r.Handle(ctx, sweepEvent); err != nil {
		t.Fatal(err)
	}
	if len(h.f.published) != 1 {
		t.Fatalf("published %d, want 1 escalation\n%s", len(h.f.published), h.log)
	}
	p := h.f.published[0]
	msg := aws.ToString(p.Message)
	for _, want := range []string{"still in ALARM", "MAX_ATTEMPTS 2", "Runbook: " + runbook, "task/main/3", "task/main/1", "because target 10.0.0.3:8080 unhealthy"} {
		if !strings.Contains(msg, want) {
			t.Errorf("page lacks %q:\n%s", want, msg)
		}
	}
	if in := h.last(); in.Action != ActionEscalate || in.Outcome != OutcomeDone || in.Target != h.r.cfg.PagerTopicARN {
		t.Errorf("incident = %+v", in)
	}
	note := h.f.streams[LedgerStream(alarm5xx, "20260501T100000Z")]
	if !strings.Contains(note, `"message_id":"msg-1"`) {
		t.Errorf("ledger note = %q", note)
	}
	// Later sweeps and events leave it to the person.
	h.f.advance(10 * time.Minute)
	for _, p := range []json.RawMessage{sweepEvent, event(alarm5xx, StateAlarm, t0)} {
		if err := h.r.Handle(ctx, p); err != nil {
			t.Fatal(err)
		}
		if in := h.last(); in.Action != ActionEscalate || in.Outcome != OutcomeDuplicate {
			t.Errorf("after escalation: %+v", in)
		}
	}
	if len(h.f.published) != 1 || len(h.f.stopped()) != 2 {
		t.Errorf("after escalation: published %d, stopped %v", len(h.f.published), h.f.stopped())
	}
}

func TestEscalateAfterTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.f.advance(11 * time.Minute)
	if err := h.r.Handle(context.Background(), sweepEvent); err != nil {
		t.Fatal(err)
	}
	if len(h.f.published) != 1 || !strings.Contains(aws.ToString(h.f.published[0].Message), "ESCALATE_AFTER 10m0s") {
		t.Errorf("published = %d\n%s", len(h.f.published), h.log)
	}
}

func TestSweepSharesMaxStops(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.f.setAlarm("vigil-prod-app-unhealthy-hosts", "Runbook: https://x/hosts.md", t0)
	h.f.setAlarm("other-system-alarm", "", t0)
	h.f.addTask("4", elbtypes.TargetHealthStateEnumHealthy)
	h.f.addTask("5", elbtypes.TargetHealthStateEnumHealthy)
	h.f.targets["10.0.0.1"] = elbtypes.TargetHealthStateEnumUnhealthy
	h.f.targets["10.0.0.2"] = elbtypes.TargetHealthStateEnumUnhealthy
	h.f.desired = 5
	h.f.advance(4 * time.Minute) // events missed: the sweep starts the episodes
	if err := h.r.Handle(context.Background(), sweepEvent); err != nil {
		t.Fatal(err)
	}
	if got := h.f.stopped(); len(got) != 1 {
		t.Errorf("stopped = %v, want 1 (MAX_STOPS per invocation across alarms)\n%s", got, h.log)
	}
	var waits int
	for _, in := range h.incidents() {
		if in.Alarm == "other-system-alarm" {
			t.Errorf("acted on another system's alarm: %+v", in)
		}
		if in.Action == ActionWait && strings.Contains(in.Detail, "other alarms") {
			waits++
		}
	}
	if waits != 1 || len(h.f.published) != 0 {
		t.Errorf("waits %d, published %d\n%s", waits, len(h.f.published), h.log)
	}
}

func TestEscalationFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	allBad := func(f *fakeAWS) {
		for ip := range f.targets {
			f.targets[ip] = elbtypes.TargetHealthStateEnumUnhealthy
		}
	}

	t.Run("publish fails: the invocation fails, the retry pages", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		allBad(h.f)
		h.f.publishErr = errors.New("AuthorizationError")
		err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0))
		if err == nil || !strings.Contains(err.Error(), "publish to the pager") {
			t.Fatalf("Handle = %v", err)
		}
		if len(h.f.streams) != 0 || h.last().Outcome != OutcomeFailed || h.last().Action != ActionEscalate {
			t.Fatalf("marked although nothing was published: %v, %+v", h.f.streams, h.last())
		}
		h.f.publishErr = nil
		if err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0)); err != nil {
			t.Fatal(err)
		}
		if len(h.f.published) != 1 || len(h.f.streams) != 1 {
			t.Errorf("retry: published %d, marks %d", len(h.f.published), len(h.f.streams))
		}
	})

	t.Run("mark fails after the page: the invocation fails", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		allBad(h.f)
		h.f.createErr = errors.New("AccessDeniedException")
		err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0))
		if err == nil || !strings.Contains(err.Error(), "could not record it") || len(h.f.published) != 1 {
			t.Fatalf("Handle = %v, published %d", err, len(h.f.published))
		}
	})

	t.Run("runbook from the tag when the description has none", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		allBad(h.f)
		h.f.setAlarm(alarm5xx, "no link", t0)
		h.f.tags[aws.ToString(h.f.alarms[0].AlarmArn)] = []cwtypes.Tag{{Key: aws.String(RunbookTag), Value: aws.String("https://x/tag.md")}}
		b, _ := json.Marshal(map[string]any{"detail-type": DetailTypeAlarmStateChange, "id": "x",
			"detail": map[string]any{"alarmName": alarm5xx, "state": map[string]any{"value": "ALARM", "timestamp": t0.Format(time.RFC3339)}}})
		if err := h.r.Handle(ctx, b); err != nil {
			t.Fatal(err)
		}
		if len(h.f.published) != 1 || !strings.Contains(aws.ToString(h.f.published[0].Message), "Runbook: https://x/tag.md") || h.last().Runbook != "https://x/tag.md" {
			t.Errorf("published %d, incident %+v", len(h.f.published), h.last())
		}
	})

	t.Run("StopTask fails", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.f.targets["10.0.0.1"] = elbtypes.TargetHealthStateEnumUnhealthy
		h.f.stopErr = errors.New("ThrottlingException")
		err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0))
		if err == nil || !strings.Contains(err.Error(), "StopTask") {
			t.Fatalf("Handle = %v", err)
		}
		if in := h.last(); in.Action != ActionStopTask || in.Outcome != OutcomeFailed || !strings.HasSuffix(in.Target, "/1") {
			t.Errorf("incident = %+v", in)
		}
	})

	t.Run("wrong service", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.Service = "nope" })
		err := h.r.Handle(ctx, event(alarm5xx, StateAlarm, t0))
		if err == nil || !strings.Contains(err.Error(), "check SERVICE and CLUSTER") {
			t.Fatalf("Handle = %v", err)
		}
	})
}

func TestLedgerStream(t *testing.T) {
	t.Parallel()
	if got := LedgerStream("a:b*c", "20260501T100000Z"); got != "vigil-escalated/20260501T100000Z/a_b_c" {
		t.Errorf("LedgerStream = %q", got)
	}
	// A longer alarm name sharing the prefix is not this alarm's mark.
	f := newFake(t0)
	f.streams[LedgerStream("vigil-prod-app-5xx-slow", "20260501T100000Z")] = ""
	l := &Ledger{Logs: f, Group: "/g"}
	if ok, err := l.Escalated(context.Background(), "vigil-prod-app-5xx", "20260501T100000Z"); ok || err != nil {
		t.Errorf("Escalated = %v, %v", ok, err)
	}
}
