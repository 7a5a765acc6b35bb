package autoscaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/cwalarm"
	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Target tracking as AWS runs it: the policy owns two CloudWatch alarms on
// its metric, AlarmHigh (above the target for 3 one-minute datapoints) and
// AlarmLow (below 90% of the target for 15), whose alarm action is the
// policy. CloudWatch invokes the policy when an alarm goes to ALARM and
// again every period while it stays there; each invocation decides (Decide)
// from the metric's newest datapoint and the policy's cooldowns, sets the
// ECS service's desired count and records the scaling activity.

// Shape of the alarms AWS creates for a target tracking policy.
const (
	highPeriods = 3
	lowPeriods  = 15
	lowRatio    = 0.9
	alarmPeriod = 60
	// defaultCooldown is ScaleOutCooldown and ScaleInCooldown when the
	// policy sets none (ECS services: 300 s).
	defaultCooldown = 300 * time.Second
)

// ErrNotExecuted is the error of policy invocations the sandbox does not
// run (step scaling, predictive scaling).
var ErrNotExecuted = errors.New("the vigil sandbox executes target tracking scaling policies only")

// trackedMetric is the metric a target tracking policy follows.
type trackedMetric struct {
	Namespace, Name, Statistic, Unit string
	Dimensions                       []cloudwatch.Dimension
}

// metricOf resolves a policy's predefined or customized metric.
func metricOf(p *policyDoc) (trackedMetric, error) {
	c := p.TargetTracking
	if pm := c.PredefinedMetricSpecification; pm != nil {
		cluster, svc := ecsService(p.Resource)
		ecsDims := []cloudwatch.Dimension{{Name: "ClusterName", Value: cluster}, {Name: "ServiceName", Value: svc}}
		switch pm.PredefinedMetricType {
		case "ECSServiceAverageCPUUtilization":
			return trackedMetric{Namespace: "AWS/ECS", Name: "CPUUtilization", Statistic: "Average", Dimensions: ecsDims}, nil
		case "ECSServiceAverageMemoryUtilization":
			return trackedMetric{Namespace: "AWS/ECS", Name: "MemoryUtilization", Statistic: "Average", Dimensions: ecsDims}, nil
		case "ALBRequestCountPerTarget":
			// ResourceLabel: app/<lb>/<id>/targetgroup/<tg>/<id>.
			i := strings.Index(pm.ResourceLabel, "/targetgroup/")
			if i < 0 {
				return trackedMetric{}, errValidation("The resource label %q is not app/<load-balancer>/<id>/targetgroup/<target-group>/<id>", pm.ResourceLabel)
			}
			return trackedMetric{Namespace: "AWS/ApplicationELB", Name: "RequestCountPerTarget", Statistic: "Sum",
				Dimensions: []cloudwatch.Dimension{{Name: "TargetGroup", Value: pm.ResourceLabel[i+1:]}}}, nil
		}
		return trackedMetric{}, errValidation("Unsupported predefined metric type '%s'", pm.PredefinedMetricType)
	}
	var cm struct {
		MetricName string `json:"MetricName"`
		Namespace  string `json:"Namespace"`
		Statistic  string `json:"Statistic"`
		Unit       string `json:"Unit"`
		Dimensions []struct {
			Name  string `json:"Name"`
			Value string `json:"Value"`
		} `json:"Dimensions"`
		Metrics json.RawMessage `json:"Metrics"`
	}
	if err := json.Unmarshal(c.CustomizedMetricSpecification, &cm); err != nil {
		return trackedMetric{}, errValidation("cannot read CustomizedMetricSpecification: %v", err)
	}
	if len(cm.Metrics) > 0 && string(cm.Metrics) != "null" {
		return trackedMetric{}, errValidation("The vigil sandbox does not support metric math (Metrics) in a customized metric specification; name one metric with MetricName, Namespace and Statistic")
	}
	m := trackedMetric{Namespace: cm.Namespace, Name: cm.MetricName, Statistic: cm.Statistic, Unit: cm.Unit}
	for _, d := range cm.Dimensions {
		m.Dimensions = append(m.Dimensions, cloudwatch.Dimension{Name: d.Name, Value: d.Value})
	}
	return m, nil
}

// putPolicyAlarms creates (or updates, keeping their names) the two
// CloudWatch alarms of a target tracking policy, as AWS does:
// TargetTracking-<resource>-AlarmHigh-<uuid> (GreaterThanThreshold the
// target, 3 of 3 one-minute datapoints) and …-AlarmLow-<uuid>
// (LessThanThreshold 90% of the target, 15 of 15), each with the policy as
// its alarm action.
func (s *Service) putPolicyAlarms(_ context.Context, tx *state.Tx, region string, p *policyDoc) error {
	m, err := metricOf(p)
	if err != nil {
		return err
	}
	if len(p.Alarms) != 2 {
		id := newUUID()
		p.Alarms = nil
		for _, kind := range []string{"AlarmHigh", "AlarmLow"} {
			name := "TargetTracking-" + p.Resource + "-" + kind + "-" + id
			p.Alarms = append(p.Alarms, alarmRef{AlarmName: name,
				AlarmARN: "arn:aws:cloudwatch:" + region + ":" + s.env.AccountID + ":alarm:" + name})
		}
	}
	target := *p.TargetTracking.TargetValue
	for i, a := range p.Alarms {
		op, threshold, periods := "GreaterThanThreshold", target, int32(highPeriods)
		if i == 1 {
			op, threshold, periods = "LessThanThreshold", target*lowRatio, lowPeriods
		}
		in := &cloudwatch.PutMetricAlarmInput{
			AlarmName:          ptr(a.AlarmName),
			AlarmDescription:   ptr("DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + p.ARN + "."),
			ActionsEnabled:     ptr(true),
			AlarmActions:       []string{p.ARN},
			MetricName:         ptr(m.Name),
			Namespace:          ptr(m.Namespace),
			Statistic:          ptr(m.Statistic),
			Dimensions:         m.Dimensions,
			Period:             ptr(int32(alarmPeriod)),
			EvaluationPeriods:  ptr(periods),
			DatapointsToAlarm:  ptr(periods),
			Threshold:          ptr(threshold),
			ComparisonOperator: ptr(op),
		}
		if m.Unit != "" {
			in.Unit = ptr(m.Unit)
		}
		if err := cloudwatch.PutManagedAlarm(tx, s.env, region, in); err != nil {
			return fmt.Errorf("create the target tracking alarm %s: %w", a.AlarmName, err)
		}
	}
	return nil
}

// deletePolicyAlarms deletes the alarms AWS created for a policy.
func (s *Service) deletePolicyAlarms(_ context.Context, tx *state.Tx, region string, p *policyDoc) error {
	if p.Type != "TargetTrackingScaling" {
		return nil
	}
	names := make([]string, 0, len(p.Alarms))
	for _, a := range p.Alarms {
		names = append(names, a.AlarmName)
	}
	return cloudwatch.DeleteManagedAlarms(tx, region, names)
}

func ptr[T any](v T) *T { return &v }

// policyByARN finds a scaling policy by its ARN.
func policyByARN(tx *state.Tx, region, arn string) (*policyDoc, error) {
	all, err := listDocs[policyDoc](tx, nsPolicy, region+"|")
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ARN == arn {
			return &all[i], nil
		}
	}
	return nil, nil
}

// regionOfARN is the region field of an ARN.
func regionOfARN(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[3]
	}
	return ""
}

// Invoke runs a scaling policy for an alarm in ALARM, as CloudWatch does
// when the alarm changes to ALARM and every period while it stays there:
// the alarm action policyARN, invoked by alarmName, at the sandbox's now.
// A policy is invoked at most once per alarm and instant (a repeated call
// is a no-op). Target tracking policies decide with Decide and, when they
// scale, set the ECS service's desired count and record the scaling
// activity; other policy types fail with ErrNotExecuted.
func (s *Service) Invoke(ctx context.Context, policyARN, alarmName string) error {
	region := regionOfARN(policyARN)
	now := s.now()
	return s.update(ctx, func(tx *state.Tx) error {
		p, err := policyByARN(tx, region, policyARN)
		if err != nil {
			return err
		}
		if p == nil {
			return fmt.Errorf("no scaling policy %s", policyARN)
		}
		if p.Type != "TargetTrackingScaling" {
			return fmt.Errorf("%w: policy %s is %s", ErrNotExecuted, p.Name, p.Type)
		}
		dir := Direction(0)
		for i, a := range p.Alarms {
			if a.AlarmName == alarmName {
				dir = []Direction{ScaleOut, ScaleIn}[i]
			}
		}
		if dir == 0 {
			return fmt.Errorf("alarm %s is not one of target tracking policy %s's alarms", alarmName, p.Name)
		}
		if last, ok := p.LastRun[alarmName]; ok && last.Equal(now) {
			return nil
		}
		alarm, window, err := cloudwatch.AlarmWindow(tx, region, alarmName, now)
		if err != nil {
			return err
		}
		if alarm == nil {
			return fmt.Errorf("alarm %s does not exist", alarmName)
		}
		if state := deref(alarm.StateValue); state != cloudwatch.StateAlarm {
			return nil // the alarm left ALARM meanwhile: nothing to do
		}
		metric, ok := newest(window)
		if !ok {
			return nil // no datapoint to scale on
		}
		t, err := loadTarget(tx, region, p.targetID)
		if err != nil {
			return err
		}
		cluster, svc := ecsService(p.Resource)
		current, found, err := ecs.ServiceDesiredCount(tx, region, cluster, svc)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("ECS service doesn't exist: %s", p.Resource)
		}
		c := p.TargetTracking
		d := Decide(Invocation{
			Now: now, Direction: dir, Metric: metric, Target: *c.TargetValue,
			Current: current, Min: t.MinCapacity, Max: t.MaxCapacity,
			ScaleOutCooldown: cooldown(c.ScaleOutCooldown), ScaleInCooldown: cooldown(c.ScaleInCooldown),
			DisableScaleIn: c.DisableScaleIn != nil && *c.DisableScaleIn,
			OutSuspended:   t.Suspended.DynamicScalingOutSuspended, InSuspended: t.Suspended.DynamicScalingInSuspended,
			State: p.Cooldowns,
		})
		if p.LastRun == nil {
			p.LastRun = map[string]time.Time{}
		}
		p.LastRun[alarmName] = now
		p.Cooldowns = d.State
		if d.Scale {
			if err := ecs.SetServiceDesiredCount(tx, s.env, region, cluster, svc, d.Desired); err != nil {
				return err
			}
			cause := fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", alarmName, p.Name)
			if err := s.recordActivity(tx, region, p.targetID, d.Desired, cause); err != nil {
				return err
			}
		}
		return tx.Put(nsPolicy, p.key(region), p)
	})
}

// newest is the newest datapoint present in an alarm's window.
func newest(w []cwalarm.Point) (float64, bool) {
	for i := len(w) - 1; i >= 0; i-- {
		if w[i].Present {
			return w[i].Value, true
		}
	}
	return 0, false
}

func cooldown(sec *int) time.Duration {
	if sec == nil {
		return defaultCooldown
	}
	return time.Duration(*sec) * time.Second
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Repeat re-invokes the policies whose alarms are still in ALARM at now (an
// alarm evaluation instant), as CloudWatch repeats Auto Scaling actions
// every period: each target tracking alarm with its policy among its
// enabled ALARM actions and a period ending at now. Invocations already
// made at now (when the alarm just changed to ALARM) are not repeated.
// Errors are collected; one failing policy does not stop the others.
func (s *Service) Repeat(ctx context.Context, now time.Time) error {
	type call struct{ policy, alarm string }
	var calls []call
	err := s.view(ctx, func(tx *state.Tx) error {
		all, err := listDocs[policyDoc](tx, nsPolicy, "")
		if err != nil {
			return err
		}
		for _, p := range all {
			if p.Type != "TargetTrackingScaling" {
				continue
			}
			region := regionOfARN(p.ARN)
			for _, a := range p.Alarms {
				if last, ok := p.LastRun[a.AlarmName]; ok && last.Equal(now) {
					continue
				}
				alarm, err := cloudwatch.GetMetricAlarm(tx, region, a.AlarmName)
				if err != nil {
					return err
				}
				if alarm == nil || deref(alarm.StateValue) != cloudwatch.StateAlarm {
					continue
				}
				period := int64(deref(alarm.Period))
				if period <= 0 || now.Unix()%period != 0 || now.Nanosecond() != 0 {
					continue
				}
				for _, act := range cwalarm.Repeating(cwalarm.Alarm, deref(alarm.ActionsEnabled), cwalarm.Actions{Alarm: alarm.AlarmActions}) {
					if act == p.ARN {
						calls = append(calls, call{p.ARN, a.AlarmName})
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range calls {
		if err := s.Invoke(ctx, c.policy, c.alarm); err != nil {
			errs = append(errs, fmt.Errorf("invoke %s for %s: %w", c.policy, c.alarm, err))
		}
	}
	return errors.Join(errs...)
}
