package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// ECSAPI is the part of ECS the remediator uses.
type ECSAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, opts ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// ELBAPI is the part of ELBv2 the remediator uses.
type ELBAPI interface {
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, opts ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// CloudWatchAPI is the part of CloudWatch the remediator uses.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	ListTagsForResource(ctx context.Context, in *cloudwatch.ListTagsForResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// SNSAPI is the part of SNS the remediator uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Clients are the AWS APIs the remediator calls.
type Clients struct {
	ECS        ECSAPI
	ELB        ELBAPI
	CloudWatch CloudWatchAPI
	SNS        SNSAPI
	Logs       LogsAPI
}

// NewClients builds aws-sdk-go-v2 clients from cfg (config.LoadDefaultConfig
// in the function, which honours AWS_ENDPOINT_URL).
func NewClients(cfg aws.Config) Clients {
	return Clients{ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg),
		SNS: sns.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// Options are a Remediator's optional dependencies.
type Options struct {
	Logger *slog.Logger     // incident lines; default JSON to stderr
	Now    func() time.Time // default time.Now
}

// Remediator handles alarm state change and scheduled events.
type Remediator struct {
	cfg    Config
	c      Clients
	log    *slog.Logger
	now    func() time.Time
	ledger *Ledger
}

// New returns a Remediator.
func New(cfg Config, c Clients, o Options) *Remediator {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Remediator{cfg: cfg, c: c, log: o.Logger, now: o.Now, ledger: &Ledger{Logs: c.Logs, Group: cfg.LedgerLogGroup}}
}

// Handle is the Lambda handler: an alarm state change event remediates
// that alarm's episode, a scheduled event sweeps every alarm of this
// system still in ALARM. An error fails the invocation, so Lambda retries
// it and then hands it to the on-failure destination (the pager).
func (r *Remediator) Handle(ctx context.Context, payload json.RawMessage) error {
	ev, err := ParseEvent(payload)
	if err != nil {
		r.record(ctx, Incident{Action: ActionIgnore, Outcome: OutcomeFailed, Detail: err.Error()})
		return err
	}
	switch {
	case ev.DetailType == DetailTypeAlarmStateChange:
		return r.onAlarmEvent(ctx, ev)
	case ev.DetailType == DetailTypeScheduled:
		return r.Sweep(ctx)
	}
	r.record(ctx, Incident{Action: ActionIgnore, Outcome: OutcomeSkipped,
		Detail: fmt.Sprintf("event %s is a %q from %s, neither an alarm state change nor a scheduled sweep", ev.ID, ev.DetailType, ev.Source)})
	return nil
}

// record logs an incident line with the service filled in.
func (r *Remediator) record(ctx context.Context, in Incident) {
	in.Time = r.now()
	if in.Cluster == "" {
		in.Cluster, in.Service = r.cfg.Cluster, r.cfg.Service
	}
	LogIncident(ctx, r.log, in)
}

func (r *Remediator) onAlarmEvent(ctx context.Context, ev Event) error {
	d, err := ev.AlarmChange()
	if err != nil {
		r.record(ctx, Incident{Action: ActionIgnore, Outcome: OutcomeFailed, Trigger: string(TriggerEvent), Detail: err.Error()})
		return err
	}
	base := Incident{Alarm: d.AlarmName, Trigger: string(TriggerEvent)}
	ignore := func(format string, args ...any) error {
		in := base
		in.Action, in.Outcome, in.Detail = ActionIgnore, OutcomeSkipped, fmt.Sprintf(format, args...)
		r.record(ctx, in)
		return nil
	}
	if d.State.Value != StateAlarm {
		return ignore("the alarm went to %s, not ALARM: nothing to remediate", d.State.Value)
	}
	if !strings.HasPrefix(d.AlarmName, r.cfg.AlarmNamePrefix) {
		return ignore("the alarm is not this system's: its name does not start with ALARM_NAME_PREFIX %q", r.cfg.AlarmNamePrefix)
	}
	entered, err := ParseTimestamp(d.State.Timestamp)
	if err != nil {
		in := base
		in.Action, in.Outcome, in.Detail = ActionIgnore, OutcomeFailed, err.Error()
		r.record(ctx, in)
		return err
	}
	base.Episode = Episode(entered)
	info, found, err := r.describeAlarm(ctx, d.AlarmName)
	if err != nil {
		in := base
		in.Action, in.Outcome, in.Detail = ActionIgnore, OutcomeFailed, err.Error()
		r.record(ctx, in)
		return err
	}
	if !found {
		return ignore("the alarm no longer exists")
	}
	if info.StateValue != StateAlarm {
		return ignore("the alarm is %s now: the episode is over", info.StateValue)
	}
	if info.Entered.IsZero() {
		info.Entered = entered
	}
	if cur := Episode(info.Entered); cur != base.Episode && info.Entered.After(entered) {
		return ignore("stale event: the alarm entered ALARM again at %s (episode %s), which its own event handles", info.Entered.UTC().Format(time.RFC3339), cur)
	}
	if info.Description == "" {
		info.Description = d.Configuration.Description
	}
	_, err = r.handleEpisode(ctx, info, TriggerEvent, r.cfg.MaxStops)
	return err
}

// Sweep follows up every alarm of this system still in ALARM: the same
// decisions as for an event, with follow-up stops allowed (see Decide).
// The invocation's MAX_STOPS is shared by all of them.
func (r *Remediator) Sweep(ctx context.Context) error {
	alarms, err := r.alarmsInAlarm(ctx)
	if err != nil {
		r.record(ctx, Incident{Action: ActionIgnore, Outcome: OutcomeFailed, Trigger: string(TriggerSweep), Detail: err.Error()})
		return err
	}
	budget := r.cfg.MaxStops
	var errs []error
	for _, a := range alarms {
		if a.Entered.IsZero() {
			err := fmt.Errorf("DescribeAlarms gave alarm %s no StateTransitionedTimestamp: its episode is unknown", a.Name)
			r.record(ctx, Incident{Alarm: a.Name, Action: ActionIgnore, Outcome: OutcomeFailed, Trigger: string(TriggerSweep), Detail: err.Error()})
			errs = append(errs, err)
			continue
		}
		n, err := r.handleEpisode(ctx, a, TriggerSweep, budget)
		budget -= n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// handleEpisode decides and acts on one alarm episode in ALARM; it returns
// the number of tasks stopped.
func (r *Remediator) handleEpisode(ctx context.Context, a AlarmInfo, trig Trigger, maxStops int) (int, error) {
	ep := Episode(a.Entered)
	runbook := RunbookFromDescription(a.Description)
	base := Incident{Alarm: a.Name, Episode: ep, Trigger: string(trig), Runbook: runbook}
	fail := func(action Action, target string, err error) (int, error) {
		in := base
		in.Action, in.Outcome, in.Target, in.Detail = action, OutcomeFailed, target, err.Error()
		r.record(ctx, in)
		return 0, err
	}
	escalated, err := r.ledger.Escalated(ctx, a.Name, ep)
	if err != nil {
		return fail(ActionEscalate, r.cfg.PagerTopicARN, err)
	}
	if escalated {
		in := base
		in.Action, in.Outcome, in.Target = ActionEscalate, OutcomeDuplicate, r.cfg.PagerTopicARN
		in.Detail = "this episode was escalated before: a person owns it, the remediator does nothing more"
		r.record(ctx, in)
		return 0, nil
	}
	fleet, stopped, err := r.observe(ctx)
	if err != nil {
		return fail(ActionStopTask, "", err)
	}
	r.lookAtApp(ctx, a, trig, &fleet)
	att := AttemptsFor(stopped, a.Name, ep)
	limits := r.cfg.Limits()
	limits.MaxStops = maxStops
	now := r.now()
	dec := Decide(Situation{Trigger: trig, Now: now, EpisodeStart: a.Entered, Attempts: att, Fleet: fleet, Limits: limits})
	switch dec.Verdict {
	case VerdictDuplicate:
		in := base
		in.Action, in.Outcome, in.Detail, in.Attempt = ActionStopTask, OutcomeDuplicate, dec.Why, att.Count()
		if n := att.Count(); n > 0 {
			in.Target = att.Tasks[n-1].ARN
		}
		r.record(ctx, in)
		return 0, nil
	case VerdictWait:
		in := base
		in.Action, in.Outcome, in.Detail, in.Attempt = ActionWait, OutcomeSkipped, dec.Why, att.Count()
		r.record(ctx, in)
		return 0, nil
	case VerdictEscalate:
		return 0, r.escalate(ctx, base, Escalation{Alarm: a, Episode: ep, Why: dec.Why, Runbook: runbook, Cluster: r.cfg.Cluster,
			Service: r.cfg.Service, TargetGroup: r.cfg.TargetGroupARN, Attempts: att, Fleet: fleet, Plan: dec.Plan, Now: now})
	}
	stoppedNow := 0
	var errs []error
	for i, p := range dec.Plan.Stop {
		attempt := att.Count() + i + 1
		reason := StopReason(a.Name, ep, p.Why)
		_, err := r.c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(r.cfg.Cluster), Task: aws.String(p.Task.ARN), Reason: aws.String(reason)})
		in := base
		in.Action, in.Target, in.Attempt = ActionStopTask, p.Task.ARN, attempt
		if err != nil {
			in.Outcome, in.Detail = OutcomeFailed, fmt.Sprintf("StopTask %s in cluster %s: %v", p.Task.ARN, r.cfg.Cluster, err)
			errs = append(errs, errors.New(in.Detail))
		} else {
			stoppedNow++
			in.Outcome, in.Detail = OutcomeDone, fmt.Sprintf("replaced, not repaired: %s; ECS starts a fresh task (attempt %d of %d)", p.Why, attempt, limits.MaxAttempts)
		}
		r.record(ctx, in)
	}
	for _, p := range dec.Plan.Held {
		in := base
		in.Action, in.Outcome, in.Target, in.Detail = ActionStopTask, OutcomeHeld, p.Task.ARN, p.Why+"; held: "+dec.Plan.Why
		r.record(ctx, in)
	}
	return stoppedNow, errors.Join(errs...)
}

// escalate pages once: publish, then mark the episode in the ledger. A
// failure before the mark fails the invocation so a retry pages again:
// at least once, exactly once unless the mark itself fails.
func (r *Remediator) escalate(ctx context.Context, base Incident, e Escalation) error {
	if e.Runbook == "" {
		e.Runbook = r.runbookTag(ctx, e.Alarm.ARN)
		base.Runbook = e.Runbook
	}
	in := base
	in.Action, in.Target = ActionEscalate, r.cfg.PagerTopicARN
	out, err := r.c.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(r.cfg.PagerTopicARN), Subject: aws.String(e.Subject()), Message: aws.String(e.Message()),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"vigil.alarm":   {DataType: aws.String("String"), StringValue: aws.String(e.Alarm.Name)},
			"vigil.episode": {DataType: aws.String("String"), StringValue: aws.String(e.Episode)},
			"vigil.action":  {DataType: aws.String("String"), StringValue: aws.String(string(ActionEscalate))},
		}})
	if err != nil {
		in.Outcome, in.Detail = OutcomeFailed, fmt.Sprintf("publish to the pager %s: %v (%s)", r.cfg.PagerTopicARN, err, e.Why)
		r.record(ctx, in)
		return errors.New(in.Detail)
	}
	id := aws.ToString(out.MessageId)
	note, _ := json.Marshal(map[string]any{"alarm": e.Alarm.Name, "episode": e.Episode, "topic": r.cfg.PagerTopicARN, "message_id": id, "why": e.Why, "runbook": e.Runbook})
	if err := r.ledger.Mark(ctx, e.Alarm.Name, e.Episode, string(note), r.now()); err != nil {
		var ne *NoteError
		if !errors.As(err, &ne) {
			in.Outcome, in.Detail = OutcomeFailed, fmt.Sprintf("paged (message %s) but could not record it, so a retry may page again: %v", id, err)
			r.record(ctx, in)
			return errors.New(in.Detail)
		}
		r.log.WarnContext(ctx, "escalation mark made without its note", "err", err)
	}
	in.Outcome, in.Detail = OutcomeDone, fmt.Sprintf("paged (message %s): %s", id, e.Why)
	r.record(ctx, in)
	return nil
}

// runbookTag reads the alarm's vigil:runbook tag: the fallback when the
// description carries no "Runbook:" link. Failures only lose the link.
func (r *Remediator) runbookTag(ctx context.Context, arn string) string {
	if arn == "" {
		return ""
	}
	out, err := r.c.CloudWatch.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		r.log.WarnContext(ctx, "read the alarm's runbook tag", "alarm", arn, "err", err)
		return ""
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == RunbookTag {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

var alarmTypes = []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}

// describeAlarm reads one alarm.
func (r *Remediator) describeAlarm(ctx context.Context, name string) (AlarmInfo, bool, error) {
	out, err := r.c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}, AlarmTypes: alarmTypes})
	if err != nil {
		return AlarmInfo{}, false, fmt.Errorf("DescribeAlarms %s: %w", name, err)
	}
	as := alarmInfos(out)
	if len(as) == 0 {
		return AlarmInfo{}, false, nil
	}
	return as[0], true, nil
}

// alarmsInAlarm lists this system's alarms in ALARM.
func (r *Remediator) alarmsInAlarm(ctx context.Context) ([]AlarmInfo, error) {
	in := &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(r.cfg.AlarmNamePrefix), StateValue: cwtypes.StateValueAlarm, AlarmTypes: alarmTypes}
	var all []AlarmInfo
	for {
		out, err := r.c.CloudWatch.DescribeAlarms(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("DescribeAlarms with prefix %s in ALARM: %w", r.cfg.AlarmNamePrefix, err)
		}
		all = append(all, alarmInfos(out)...)
		if out.NextToken == nil {
			return all, nil
		}
		in.NextToken = out.NextToken
	}
}

func alarmInfos(out *cloudwatch.DescribeAlarmsOutput) []AlarmInfo {
	var as []AlarmInfo
	entered := func(transitioned, updated *time.Time) time.Time {
		if transitioned != nil {
			return *transitioned
		}
		if updated != nil {
			return *updated
		}
		return time.Time{}
	}
	for _, m := range out.MetricAlarms {
		a := AlarmInfo{Name: aws.ToString(m.AlarmName), ARN: aws.ToString(m.AlarmArn), Description: aws.ToString(m.AlarmDescription),
			StateValue: string(m.StateValue), StateReason: aws.ToString(m.StateReason), Entered: entered(m.StateTransitionedTimestamp, m.StateUpdatedTimestamp),
			Period: time.Duration(aws.ToInt32(m.Period)) * time.Second, EvaluationPeriods: int(aws.ToInt32(m.EvaluationPeriods))}
		if m.MetricName != nil {
			a.Metrics = append(a.Metrics, MetricInfo{Namespace: aws.ToString(m.Namespace), Name: aws.ToString(m.MetricName), Period: a.Period})
		}
		for _, q := range m.Metrics {
			if q.MetricStat != nil && q.MetricStat.Metric != nil {
				a.Metrics = append(a.Metrics, MetricInfo{Namespace: aws.ToString(q.MetricStat.Metric.Namespace), Name: aws.ToString(q.MetricStat.Metric.MetricName),
					Period: time.Duration(aws.ToInt32(q.MetricStat.Period)) * time.Second})
			}
		}
		as = append(as, a)
	}
	for _, c := range out.CompositeAlarms {
		as = append(as, AlarmInfo{Name: aws.ToString(c.AlarmName), ARN: aws.ToString(c.AlarmArn), Description: aws.ToString(c.AlarmDescription),
			StateValue: string(c.StateValue), StateReason: aws.ToString(c.StateReason), Entered: entered(c.StateTransitionedTimestamp, c.StateUpdatedTimestamp)})
	}
	return as
}

// observe reads the service: its desired count, the tasks ECS wants
// running joined with target health, and its stopped tasks.
func (r *Remediator) observe(ctx context.Context) (Fleet, []StoppedTask, error) {
	cluster := aws.String(r.cfg.Cluster)
	so, err := r.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: cluster, Services: []string{r.cfg.Service}})
	if err != nil {
		return Fleet{}, nil, fmt.Errorf("DescribeServices %s in cluster %s: %w", r.cfg.Service, r.cfg.Cluster, err)
	}
	if len(so.Services) == 0 {
		why := "not found"
		if len(so.Failures) > 0 {
			why = aws.ToString(so.Failures[0].Reason)
		}
		return Fleet{}, nil, fmt.Errorf("service %s in cluster %s: %s; check SERVICE and CLUSTER", r.cfg.Service, r.cfg.Cluster, why)
	}
	desired := int(so.Services[0].DesiredCount)
	running, err := r.tasks(ctx, ecstypes.DesiredStatusRunning)
	if err != nil {
		return Fleet{}, nil, err
	}
	th, err := r.c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(r.cfg.TargetGroupARN)})
	if err != nil {
		return Fleet{}, nil, fmt.Errorf("DescribeTargetHealth %s: %w", r.cfg.TargetGroupARN, err)
	}
	stopped, err := r.tasks(ctx, ecstypes.DesiredStatusStopped)
	if err != nil {
		return Fleet{}, nil, err
	}
	return JoinFleet(desired, running, th.TargetHealthDescriptions), Stopped(stopped), nil
}

// tasks lists and describes the service's tasks of a desired status.
func (r *Remediator) tasks(ctx context.Context, status ecstypes.DesiredStatus) ([]ecstypes.Task, error) {
	cluster := aws.String(r.cfg.Cluster)
	var arns []string
	in := &ecs.ListTasksInput{Cluster: cluster, ServiceName: aws.String(r.cfg.Service), DesiredStatus: status}
	for {
		out, err := r.c.ECS.ListTasks(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ListTasks %s %s in cluster %s: %w", r.cfg.Service, status, r.cfg.Cluster, err)
		}
		arns = append(arns, out.TaskArns...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	var tasks []ecstypes.Task
	for start := 0; start < len(arns); start += 100 {
		batch := arns[start:min(start+100, len(arns))]
		out, err := r.c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: cluster, Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("DescribeTasks in cluster %s: %w", r.cfg.Cluster, err)
		}
		tasks = append(tasks, out.Tasks...)
	}
	return tasks, nil
}

// lookAtApp reads the app's per-task metrics when target and ECS health
// cannot say which task is bad: the alarm is about 5xx, and no running
// task is bad by its health. Tasks whose 5xx share stands out over the
// alarm's evaluation window are marked (Task.AppOutlier), so PlanStops
// replaces them within the same rate limit; what the metrics showed, or
// why they could not be used, goes to Fleet.AppNote, so an escalation
// says it.
func (r *Remediator) lookAtApp(ctx context.Context, a AlarmInfo, trig Trigger, f *Fleet) {
	if !a.Watches5XX() {
		return
	}
	var running []int
	for i, t := range f.Tasks {
		if !t.Running() {
			continue
		}
		if t.badByHealth() {
			return // target or ECS health names the bad task
		}
		running = append(running, i)
	}
	if len(running) == 0 {
		return
	}
	ns := r.cfg.AppMetricsNamespace
	if ns == "" {
		f.AppNote = "the alarm is about 5xx but APP_METRICS_NAMESPACE is not set, so a task answering 5xx while it passes its health checks cannot be told from the others (set app_metrics_namespace in the remediation module)"
		return
	}
	w := EvaluationWindow(a, trig, r.now())
	arns := make([]string, len(running))
	for i, idx := range running {
		arns[i] = f.Tasks[idx].ARN
	}
	loads, err := r.appLoads(ctx, ns, arns, w)
	if err != nil {
		f.AppNote = fmt.Sprintf("could not read the per-task app metrics in %s: %v", ns, err)
		return
	}
	hasData := false
	byARN := map[string]TaskLoad{}
	for _, l := range loads {
		hasData = hasData || l.Data
		byARN[l.Task] = l
	}
	where := fmt.Sprintf("%s %s and %s by %s=%s, %s=%s, %s over %s", ns, AppMetricRequests, AppMetric5XX, AppDimCluster, r.cfg.Cluster,
		AppDimService, r.cfg.Service, AppDimTask, w)
	if !hasData {
		f.AppNote = fmt.Sprintf("per-task app metrics: none of the %d running tasks has data in %s: the app does not publish them (or under other names)", len(running), where)
		return
	}
	for _, idx := range running {
		f.Tasks[idx].App = byARN[f.Tasks[idx].ARN]
	}
	outliers, why := FindOutliers(loads, DefaultOutlierRule)
	if len(outliers) == 0 {
		f.AppNote = "per-task app metrics (" + where + "): " + why
		return
	}
	bad := map[string]string{}
	var names []string
	for _, o := range outliers {
		bad[o.Load.Task] = o.Why + " (" + ns + ", " + w.String() + ")"
		names = append(names, taskID(o.Load.Task))
	}
	for _, idx := range running {
		f.Tasks[idx].AppOutlier = bad[f.Tasks[idx].ARN]
	}
	f.AppNote = fmt.Sprintf("per-task app metrics (%s): task(s) %s stand out", where, strings.Join(names, ", "))
}

// maxMetricQueries is GetMetricData's limit of queries per call.
const maxMetricQueries = 500

// appLoads sums each task's RequestCount and HTTPCode_5XX_Count over the
// window with GetMetricData, one query per task and metric at the
// window's period.
func (r *Remediator) appLoads(ctx context.Context, ns string, arns []string, w Window) ([]TaskLoad, error) {
	loads := make([]TaskLoad, len(arns))
	for i, arn := range arns {
		loads[i].Task = arn
	}
	query := func(id, metric, task string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(true), MetricStat: &cwtypes.MetricStat{
			Stat: aws.String("Sum"), Period: aws.Int32(int32(w.Period / time.Second)),
			Metric: &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(metric), Dimensions: []cwtypes.Dimension{
				{Name: aws.String(AppDimCluster), Value: aws.String(r.cfg.Cluster)},
				{Name: aws.String(AppDimService), Value: aws.String(r.cfg.Service)},
				{Name: aws.String(AppDimTask), Value: aws.String(task)},
			}}}}
	}
	per := maxMetricQueries / 2
	for start := 0; start < len(arns); start += per {
		end := min(start+per, len(arns))
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(w.Start), EndTime: aws.Time(w.End), ScanBy: cwtypes.ScanByTimestampAscending}
		for i := start; i < end; i++ {
			id := taskID(arns[i])
			in.MetricDataQueries = append(in.MetricDataQueries, query(fmt.Sprintf("r%d", i), AppMetricRequests, id), query(fmt.Sprintf("e%d", i), AppMetric5XX, id))
		}
		for {
			out, err := r.c.CloudWatch.GetMetricData(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("GetMetricData %s–%s: %w", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339), err)
			}
			for _, res := range out.MetricDataResults {
				id := aws.ToString(res.Id)
				var i int
				if len(id) < 2 {
					continue
				}
				if _, err := fmt.Sscanf(id[1:], "%d", &i); err != nil || i < start || i >= end {
					continue
				}
				var sum float64
				for _, v := range res.Values {
					sum += v
				}
				if len(res.Values) > 0 {
					loads[i].Data = true
				}
				if id[0] == 'r' {
					loads[i].Requests += sum
				} else {
					loads[i].Errors += sum
				}
			}
			if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return loads, nil
}
