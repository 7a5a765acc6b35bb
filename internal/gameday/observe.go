package gameday

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/vigil-sre/vigil/internal/remediate"
)

// Transition is an alarm's change of state (a StateUpdate history item).
type Transition struct {
	At    time.Time `json:"at"`
	Alarm string    `json:"alarm"`
	From  string    `json:"from"`
	To    string    `json:"to"`
}

// TaskEvent is an ECS task starting or stopping.
type TaskEvent struct {
	At     time.Time `json:"at"`
	Task   string    `json:"task"`
	Event  string    `json:"event"` // started, stopped
	Reason string    `json:"reason,omitempty"`
}

// Scaling is a scaling activity of the service.
type Scaling struct {
	At          time.Time `json:"at"`
	Description string    `json:"description"`
	Cause       string    `json:"cause"`
}

// Remediation is one incident record of the remediator, at the time its
// log line was written.
type Remediation struct {
	At       time.Time          `json:"at"`
	Incident remediate.Incident `json:"incident"`
}

// observer reads what happened from the sandbox's AWS APIs.
type observer struct {
	t      Target
	cw     *cloudwatch.Client
	logs   *cloudwatchlogs.Client
	ecs    *ecs.Client
	elb    *elbv2.Client
	aas    *aas.Client
	lambda *lambda.Client
}

func newObserver(cfg aws.Config, t Target) *observer {
	return &observer{t: t, cw: cloudwatch.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg),
		ecs: ecs.NewFromConfig(cfg), elb: elbv2.NewFromConfig(cfg), aas: aas.NewFromConfig(cfg),
		lambda: lambda.NewFromConfig(cfg)}
}

// alarms returns every metric alarm, by name.
func (o *observer) alarms(ctx context.Context) ([]cwtypes.MetricAlarm, error) {
	var out []cwtypes.MetricAlarm
	var token *string
	for {
		res, err := o.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("describe alarms: %w", err)
		}
		out = append(out, res.MetricAlarms...)
		if res.NextToken == nil {
			return out, nil
		}
		token = res.NextToken
	}
}

// alarmState is the state of the alarm whose name ends in suffix.
func (o *observer) alarmState(ctx context.Context, suffix string) (string, error) {
	all, err := o.alarms(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range all {
		if alarmMatches(aws.ToString(a.AlarmName), suffix) {
			return string(a.StateValue), nil
		}
	}
	return "", fmt.Errorf("no alarm named like *%s in the sandbox", suffix)
}

// alarmMatches: target tracking alarm names end in a UUID, so a suffix
// like "AlarmHigh" matches the part before it.
func alarmMatches(name, suffix string) bool {
	if strings.HasSuffix(name, suffix) {
		return true
	}
	return strings.HasPrefix(name, "TargetTracking-") && strings.Contains(name, "-"+suffix+"-")
}

// healthy reports whether the service runs its desired count with nothing
// pending and every target healthy.
func (o *observer) healthy(ctx context.Context) (bool, error) {
	d, err := o.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(o.t.Cluster), Services: []string{o.t.Service}})
	if err != nil {
		return false, fmt.Errorf("describe service %s: %w", o.t.Service, err)
	}
	if len(d.Services) != 1 {
		return false, fmt.Errorf("service %s not found", o.t.Service)
	}
	s := d.Services[0]
	if s.RunningCount != s.DesiredCount || s.PendingCount != 0 {
		return false, nil
	}
	th, err := o.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(o.t.TargetGroupARN)})
	if err != nil {
		return false, fmt.Errorf("describe target health: %w", err)
	}
	n := 0
	for _, d := range th.TargetHealthDescriptions {
		if d.TargetHealth == nil || d.TargetHealth.State != "healthy" {
			return false, nil
		}
		n++
	}
	return n == int(s.DesiredCount), nil
}

// transitions reads the alarms' state changes from since.
func (o *observer) transitions(ctx context.Context, since time.Time) ([]Transition, error) {
	all, err := o.alarms(ctx)
	if err != nil {
		return nil, err
	}
	var out []Transition
	for _, a := range all {
		name := aws.ToString(a.AlarmName)
		var token *string
		for {
			h, err := o.cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(name),
				HistoryItemType: cwtypes.HistoryItemTypeStateUpdate, StartDate: aws.Time(since), NextToken: token})
			if err != nil {
				return nil, fmt.Errorf("alarm history of %s: %w", name, err)
			}
			for _, it := range h.AlarmHistoryItems {
				var data struct {
					Old struct {
						V string `json:"stateValue"`
					} `json:"oldState"`
					New struct {
						V string `json:"stateValue"`
					} `json:"newState"`
				}
				if json.Unmarshal([]byte(aws.ToString(it.HistoryData)), &data) != nil || data.Old.V == data.New.V {
					continue
				}
				out = append(out, Transition{At: aws.ToTime(it.Timestamp).UTC(), Alarm: name, From: data.Old.V, To: data.New.V})
			}
			if h.NextToken == nil {
				break
			}
			token = h.NextToken
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// tasks reads the service's task starts and stops in [since, until].
func (o *observer) tasks(ctx context.Context, since, until time.Time) ([]TaskEvent, error) {
	var arns []string
	for _, st := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		var token *string
		for {
			l, err := o.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(o.t.Cluster), ServiceName: aws.String(o.t.Service),
				DesiredStatus: st, NextToken: token})
			if err != nil {
				return nil, fmt.Errorf("list tasks: %w", err)
			}
			arns = append(arns, l.TaskArns...)
			if l.NextToken == nil {
				break
			}
			token = l.NextToken
		}
	}
	var out []TaskEvent
	in := func(t *time.Time) bool { return t != nil && !t.Before(since) && !t.After(until) }
	for len(arns) > 0 {
		n := min(100, len(arns))
		d, err := o.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(o.t.Cluster), Tasks: arns[:n]})
		if err != nil {
			return nil, fmt.Errorf("describe tasks: %w", err)
		}
		arns = arns[n:]
		for _, t := range d.Tasks {
			id := lastPart(aws.ToString(t.TaskArn))
			if in(t.StartedAt) {
				out = append(out, TaskEvent{At: t.StartedAt.UTC(), Task: id, Event: "started"})
			}
			if in(t.StoppedAt) {
				out = append(out, TaskEvent{At: t.StoppedAt.UTC(), Task: id, Event: "stopped", Reason: aws.ToString(t.StoppedReason)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// scaling reads the service's scaling activities from since.
func (o *observer) scaling(ctx context.Context, since time.Time) ([]Scaling, error) {
	var out []Scaling
	var token *string
	for {
		res, err := o.aas.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
			ResourceId: aws.String("service/" + o.t.Cluster + "/" + o.t.Service), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("scaling activities: %w", err)
		}
		for _, a := range res.ScalingActivities {
			if at := aws.ToTime(a.StartTime); !at.Before(since) {
				out = append(out, Scaling{At: at.UTC(), Description: aws.ToString(a.Description), Cause: aws.ToString(a.Cause)})
			}
		}
		if res.NextToken == nil {
			break
		}
		token = res.NextToken
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// remediations reads the remediator's incident records from since.
func (o *observer) remediations(ctx context.Context, since time.Time) ([]Remediation, error) {
	if o.t.Remediator == "" {
		return nil, nil
	}
	group := "/aws/lambda/" + o.t.Remediator
	var out []Remediation
	var token *string
	for {
		res, err := o.logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group),
			StartTime: aws.Int64(since.UnixMilli()), NextToken: token})
		if err != nil {
			if strings.Contains(err.Error(), "ResourceNotFound") {
				return nil, nil // the function has not run yet
			}
			return nil, fmt.Errorf("remediator logs %s: %w", group, err)
		}
		for _, e := range res.Events {
			if inc, ok := remediate.ParseIncident([]byte(aws.ToString(e.Message))); ok {
				out = append(out, Remediation{At: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Incident: inc})
			}
		}
		if res.NextToken == nil {
			break
		}
		token = res.NextToken
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// stoppedByRemediator counts the service's tasks stopped since since
// whose stopped reason says the remediator stopped them.
func (o *observer) stoppedByRemediator(ctx context.Context, since time.Time) (int, error) {
	events, err := o.tasks(ctx, since, time.Now().AddDate(100, 0, 0))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range events {
		if e.Event == "stopped" && strings.HasPrefix(e.Reason, remediatorReason) {
			n++
		}
	}
	return n, nil
}

// remediatorReason starts the stopped reason of a task the remediator
// stopped (remediate.StopReason).
const remediatorReason = "vigil-remediator:"

// Redelivery is an alarm state change event sent to the remediator again.
type Redelivery struct {
	At      time.Time `json:"at"`
	Alarm   string    `json:"alarm"`
	State   string    `json:"state"`   // the alarm's state, whose event was sent
	Episode string    `json:"episode"` // remediate.Episode of its state change
	// FunctionError is the invocation's error payload ("" when the
	// function succeeded).
	FunctionError string `json:"function_error,omitempty"`
}

// redeliver sends the alarm's "CloudWatch Alarm State Change" event for
// its current state to the remediator, as EventBridge delivers it
// (at-least-once: the same event may come twice), and waits for the
// invocation to end.
func (o *observer) redeliver(ctx context.Context, suffix string, now time.Time) (Redelivery, error) {
	if o.t.Remediator == "" {
		return Redelivery{}, fmt.Errorf("no remediator function in the sandbox to send the event to")
	}
	all, err := o.alarms(ctx)
	if err != nil {
		return Redelivery{}, err
	}
	var a *cwtypes.MetricAlarm
	for i := range all {
		if alarmMatches(aws.ToString(all[i].AlarmName), suffix) {
			a = &all[i]
		}
	}
	if a == nil {
		return Redelivery{}, fmt.Errorf("no alarm named like *%s in the sandbox", suffix)
	}
	entered := aws.ToTime(a.StateTransitionedTimestamp)
	if entered.IsZero() {
		entered = aws.ToTime(a.StateUpdatedTimestamp)
	}
	payload, err := alarmEvent(*a, entered)
	if err != nil {
		return Redelivery{}, err
	}
	out, err := o.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(o.t.Remediator), Payload: payload})
	if err != nil {
		return Redelivery{}, fmt.Errorf("invoke %s: %w", o.t.Remediator, err)
	}
	rd := Redelivery{At: now, Alarm: aws.ToString(a.AlarmName), State: string(a.StateValue), Episode: remediate.Episode(entered)}
	if out.FunctionError != nil {
		rd.FunctionError = aws.ToString(out.FunctionError) + ": " + string(out.Payload)
	}
	return rd, nil
}

// alarmEvent is the EventBridge "CloudWatch Alarm State Change" event of
// an alarm's change into its current state at entered.
func alarmEvent(a cwtypes.MetricAlarm, entered time.Time) ([]byte, error) {
	stamp := entered.UTC().Format("2006-01-02T15:04:05.000-0700")
	region := "us-east-1"
	account := "123456789012"
	if parts := strings.Split(aws.ToString(a.AlarmArn), ":"); len(parts) >= 5 {
		region, account = parts[3], parts[4]
	}
	ev := map[string]any{
		"version": "0", "id": "vigil-gameday-redelivery-" + remediate.Episode(entered), "detail-type": remediate.DetailTypeAlarmStateChange,
		"source": remediate.SourceCloudWatch, "account": account, "time": entered.UTC().Format(time.RFC3339), "region": region,
		"resources": []string{aws.ToString(a.AlarmArn)},
		"detail": map[string]any{
			"alarmName":     aws.ToString(a.AlarmName),
			"state":         map[string]any{"value": string(a.StateValue), "reason": aws.ToString(a.StateReason), "timestamp": stamp},
			"previousState": map[string]any{"value": "OK", "reason": "", "timestamp": stamp},
			"configuration": map[string]any{"description": aws.ToString(a.AlarmDescription)},
		},
	}
	return json.Marshal(ev)
}
