package autoscaling

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type alarmRef struct {
	AlarmName string `json:"AlarmName"`
	AlarmARN  string `json:"AlarmARN"`
}

type stepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"MetricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `json:"MetricIntervalUpperBound,omitempty"`
	ScalingAdjustment        *int     `json:"ScalingAdjustment"`
}

type stepConfig struct {
	AdjustmentType         string           `json:"AdjustmentType,omitempty"`
	StepAdjustments        []stepAdjustment `json:"StepAdjustments,omitempty"`
	MinAdjustmentMagnitude *int             `json:"MinAdjustmentMagnitude,omitempty"`
	Cooldown               *int             `json:"Cooldown,omitempty"`
	MetricAggregationType  string           `json:"MetricAggregationType,omitempty"`
}

type predefinedMetric struct {
	PredefinedMetricType string `json:"PredefinedMetricType"`
	ResourceLabel        string `json:"ResourceLabel,omitempty"`
}

type targetTrackingConfig struct {
	TargetValue                   *float64          `json:"TargetValue"`
	PredefinedMetricSpecification *predefinedMetric `json:"PredefinedMetricSpecification,omitempty"`
	CustomizedMetricSpecification json.RawMessage   `json:"CustomizedMetricSpecification,omitempty"`
	ScaleOutCooldown              *int              `json:"ScaleOutCooldown,omitempty"`
	ScaleInCooldown               *int              `json:"ScaleInCooldown,omitempty"`
	DisableScaleIn                *bool             `json:"DisableScaleIn,omitempty"`
}

type policyDoc struct {
	targetID
	Name           string                `json:"PolicyName"`
	ARN            string                `json:"PolicyARN"`
	Type           string                `json:"PolicyType"`
	Step           *stepConfig           `json:"StepScalingPolicyConfiguration,omitempty"`
	TargetTracking *targetTrackingConfig `json:"TargetTrackingScalingPolicyConfiguration,omitempty"`
	Predictive     json.RawMessage       `json:"PredictiveScalingPolicyConfiguration,omitempty"`
	Alarms         []alarmRef            `json:"Alarms"`
	Created        time.Time             `json:"created"`
	// Cooldowns and LastRun are target tracking's memory between
	// invocations (tracking.go).
	Cooldowns Cooldowns            `json:"cooldowns"`
	LastRun   map[string]time.Time `json:"last_run,omitempty"`
}

func (p *policyDoc) key(region string) string { return p.targetID.key(region) + "|" + p.Name }

type policyOut struct {
	PolicyARN                                string                `json:"PolicyARN"`
	PolicyName                               string                `json:"PolicyName"`
	ServiceNamespace                         string                `json:"ServiceNamespace"`
	ResourceID                               string                `json:"ResourceId"`
	ScalableDimension                        string                `json:"ScalableDimension"`
	PolicyType                               string                `json:"PolicyType"`
	StepScalingPolicyConfiguration           *stepConfig           `json:"StepScalingPolicyConfiguration,omitempty"`
	TargetTrackingScalingPolicyConfiguration *targetTrackingConfig `json:"TargetTrackingScalingPolicyConfiguration,omitempty"`
	PredictiveScalingPolicyConfiguration     json.RawMessage       `json:"PredictiveScalingPolicyConfiguration,omitempty"`
	Alarms                                   []alarmRef            `json:"Alarms"`
	CreationTime                             *epoch                `json:"CreationTime"`
}

func (p *policyDoc) out() policyOut {
	o := policyOut{PolicyARN: p.ARN, PolicyName: p.Name, ServiceNamespace: p.Namespace, ResourceID: p.Resource,
		ScalableDimension: p.Dimension, PolicyType: p.Type, StepScalingPolicyConfiguration: p.Step,
		TargetTrackingScalingPolicyConfiguration: p.TargetTracking, PredictiveScalingPolicyConfiguration: p.Predictive,
		Alarms: p.Alarms, CreationTime: ts(p.Created)}
	if o.Alarms == nil {
		o.Alarms = []alarmRef{}
	}
	return o
}

// predefinedMetrics are the predefined metric types per namespace.
var predefinedMetrics = map[string][]string{
	"ecs":      {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"},
	"dynamodb": {"DynamoDBReadCapacityUtilization", "DynamoDBWriteCapacityUtilization"},
	"lambda":   {"LambdaProvisionedConcurrencyUtilization"},
}

var policyNameRE = regexp.MustCompile(`^[\p{L}\p{N}\p{P}\p{S} ]{1,256}$`)

func checkStep(c *stepConfig) error {
	switch c.AdjustmentType {
	case "ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity":
	case "":
		return errValidation("StepScalingPolicyConfiguration.AdjustmentType must be specified")
	default:
		return errValidation("Invalid adjustment type '%s'", c.AdjustmentType)
	}
	switch c.MetricAggregationType {
	case "", "Average", "Minimum", "Maximum":
	default:
		return errValidation("Invalid metric aggregation type '%s'", c.MetricAggregationType)
	}
	if c.MinAdjustmentMagnitude != nil && c.AdjustmentType != "PercentChangeInCapacity" {
		return errValidation("MinAdjustmentMagnitude is only supported with the PercentChangeInCapacity adjustment type")
	}
	if len(c.StepAdjustments) == 0 {
		return errValidation("StepScalingPolicyConfiguration must have at least one step adjustment")
	}
	nullLower, nullUpper := 0, 0
	for _, a := range c.StepAdjustments {
		if a.ScalingAdjustment == nil {
			return errValidation("Each step adjustment must specify a ScalingAdjustment")
		}
		if a.MetricIntervalLowerBound == nil {
			nullLower++
		}
		if a.MetricIntervalUpperBound == nil {
			nullUpper++
		}
		if a.MetricIntervalLowerBound != nil && a.MetricIntervalUpperBound != nil && *a.MetricIntervalLowerBound >= *a.MetricIntervalUpperBound {
			return errValidation("A step adjustment's lower bound must be less than its upper bound")
		}
	}
	if nullLower > 1 || nullUpper > 1 {
		return errValidation("Only one step adjustment can have a null lower bound, and only one a null upper bound")
	}
	return nil
}

func checkTargetTracking(namespace string, c *targetTrackingConfig) error {
	if c.TargetValue == nil {
		return errValidation("TargetTrackingScalingPolicyConfiguration.TargetValue must be specified")
	}
	if *c.TargetValue <= 0 || *c.TargetValue > 1e9 {
		return errValidation("The target value must be greater than 0")
	}
	hasCustom := len(c.CustomizedMetricSpecification) > 0 && string(c.CustomizedMetricSpecification) != "null"
	if (c.PredefinedMetricSpecification != nil) == hasCustom {
		return errValidation("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified")
	}
	if pm := c.PredefinedMetricSpecification; pm != nil {
		ok := false
		for _, t := range predefinedMetrics[namespace] {
			if t == pm.PredefinedMetricType {
				ok = true
			}
		}
		if !ok {
			return errValidation("Unsupported predefined metric type '%s' for service namespace %s", pm.PredefinedMetricType, namespace)
		}
		if pm.PredefinedMetricType == "ALBRequestCountPerTarget" && pm.ResourceLabel == "" {
			return errValidation("A resource label must be specified for the ALBRequestCountPerTarget metric")
		}
		if pm.PredefinedMetricType != "ALBRequestCountPerTarget" && pm.ResourceLabel != "" {
			return errValidation("A resource label can be specified only for the ALBRequestCountPerTarget metric")
		}
	}
	if hasCustom {
		var cm struct {
			MetricName string          `json:"MetricName"`
			Namespace  string          `json:"Namespace"`
			Statistic  string          `json:"Statistic"`
			Metrics    json.RawMessage `json:"Metrics"`
		}
		if err := json.Unmarshal(c.CustomizedMetricSpecification, &cm); err != nil {
			return protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse CustomizedMetricSpecification: %v", err)
		}
		if len(cm.Metrics) == 0 && (cm.MetricName == "" || cm.Namespace == "" || cm.Statistic == "") {
			return errValidation("A customized metric specification needs MetricName, Namespace and Statistic, or Metrics")
		}
	}
	for _, v := range []*int{c.ScaleInCooldown, c.ScaleOutCooldown} {
		if v != nil && (*v < 0 || *v > 31536000) {
			return errValidation("Cooldowns must be between 0 and 31536000 seconds")
		}
	}
	return nil
}

func (s *Service) putScalingPolicy(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		targetID
		PolicyName                               string                `json:"PolicyName"`
		PolicyType                               string                `json:"PolicyType"`
		StepScalingPolicyConfiguration           *stepConfig           `json:"StepScalingPolicyConfiguration"`
		TargetTrackingScalingPolicyConfiguration *targetTrackingConfig `json:"TargetTrackingScalingPolicyConfiguration"`
		PredictiveScalingPolicyConfiguration     json.RawMessage       `json:"PredictiveScalingPolicyConfiguration"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if !policyNameRE.MatchString(req.PolicyName) || strings.ContainsAny(req.PolicyName, ":") {
		return nil, errValidation("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must have length between 1 and 256 and must not contain ':'", req.PolicyName)
	}
	if err := checkTargetID(req.targetID); err != nil {
		return nil, err
	}
	if req.PolicyType == "" {
		req.PolicyType = "StepScaling"
	}
	p := &policyDoc{targetID: req.targetID, Name: req.PolicyName, Type: req.PolicyType}
	switch req.PolicyType {
	case "StepScaling":
		if req.StepScalingPolicyConfiguration == nil {
			return nil, errValidation("StepScalingPolicyConfiguration must be specified for a StepScaling policy")
		}
		if req.TargetTrackingScalingPolicyConfiguration != nil {
			return nil, errValidation("TargetTrackingScalingPolicyConfiguration is not valid for a StepScaling policy")
		}
		if err := checkStep(req.StepScalingPolicyConfiguration); err != nil {
			return nil, err
		}
		p.Step = req.StepScalingPolicyConfiguration
	case "TargetTrackingScaling":
		if req.TargetTrackingScalingPolicyConfiguration == nil {
			return nil, errValidation("TargetTrackingScalingPolicyConfiguration must be specified for a TargetTrackingScaling policy")
		}
		if req.StepScalingPolicyConfiguration != nil {
			return nil, errValidation("StepScalingPolicyConfiguration is not valid for a TargetTrackingScaling policy")
		}
		if err := checkTargetTracking(req.Namespace, req.TargetTrackingScalingPolicyConfiguration); err != nil {
			return nil, err
		}
		p.TargetTracking = req.TargetTrackingScalingPolicyConfiguration
	case "PredictiveScaling":
		if len(req.PredictiveScalingPolicyConfiguration) == 0 || string(req.PredictiveScalingPolicyConfiguration) == "null" {
			return nil, errValidation("PredictiveScalingPolicyConfiguration must be specified for a PredictiveScaling policy")
		}
		if req.Namespace != "ecs" {
			return nil, errValidation("Predictive scaling is supported for ECS services only")
		}
		p.Predictive = req.PredictiveScalingPolicyConfiguration
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'policyType' failed to satisfy constraint: Member must satisfy enum value set: [PredictiveScaling, StepScaling, TargetTrackingScaling]", req.PolicyType)
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		if _, err := loadTarget(tx, region, req.targetID); err != nil {
			return err
		}
		existing, err := getDoc[policyDoc](tx, nsPolicy, p.key(region))
		switch {
		case err == nil:
			p.ARN, p.Created, p.Alarms = existing.ARN, existing.Created, existing.Alarms
			p.Cooldowns, p.LastRun = existing.Cooldowns, existing.LastRun
			if existing.Type != p.Type {
				if err := s.deletePolicyAlarms(ctx, tx, region, existing); err != nil {
					return err
				}
				p.Alarms = nil
			}
		case isNotFound(err):
			n, err := tx.List(state.ListParams{NS: nsPolicy, Prefix: req.key(region) + "|"})
			if err != nil {
				return err
			}
			if len(n) >= 50 {
				return errLimitExceeded("A scalable target can have at most 50 scaling policies")
			}
			p.ARN = "arn:aws:autoscaling:" + region + ":" + s.env.AccountID + ":scalingPolicy:" + newUUID() +
				":resource/" + p.Namespace + "/" + p.Resource + ":policyName/" + p.Name
			p.Created = s.now()
		default:
			return err
		}
		if p.Type == "TargetTrackingScaling" {
			if err := s.putPolicyAlarms(ctx, tx, region, p); err != nil {
				return err
			}
		}
		return tx.Put(nsPolicy, p.key(region), p)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"PolicyARN": p.ARN, "Alarms": p.out().Alarms}, nil
}

func (s *Service) describeScalingPolicies(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ServiceNamespace  string   `json:"ServiceNamespace"`
		PolicyNames       []string `json:"PolicyNames"`
		ResourceID        string   `json:"ResourceId"`
		ScalableDimension string   `json:"ScalableDimension"`
		MaxResults        *int     `json:"MaxResults"`
		NextToken         string   `json:"NextToken"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, ok := dimensions[req.ServiceNamespace]; !ok {
		return nil, errValidation("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", req.ServiceNamespace)
	}
	region := s.env.RegionOf(r)
	names := map[string]bool{}
	for _, n := range req.PolicyNames {
		names[n] = true
	}
	var policies []policyDoc
	err := s.view(ctx, func(tx *state.Tx) error {
		all, err := listDocs[policyDoc](tx, nsPolicy, region+"|"+req.ServiceNamespace+"|")
		if err != nil {
			return err
		}
		for _, p := range all {
			if len(names) > 0 && !names[p.Name] {
				continue
			}
			if req.ResourceID != "" && p.Resource != req.ResourceID {
				continue
			}
			if req.ScalableDimension != "" && p.Dimension != req.ScalableDimension {
				continue
			}
			policies = append(policies, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := pageOf(policies, func(p policyDoc) string { return p.key(region) }, req.NextToken, req.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	out := []policyOut{}
	for i := range pg {
		out = append(out, pg[i].out())
	}
	res := map[string]any{"ScalingPolicies": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

func (s *Service) deleteScalingPolicy(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		targetID
		PolicyName string `json:"PolicyName"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.PolicyName == "" {
		return nil, errValidation("PolicyName must be specified")
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		k := req.key(region) + "|" + req.PolicyName
		p, err := getDoc[policyDoc](tx, nsPolicy, k)
		if isNotFound(err) {
			return errObjectNotFound("No scaling policy found for %s, policy name: %s", req.describe(), req.PolicyName)
		}
		if err != nil {
			return err
		}
		if err := s.deletePolicyAlarms(ctx, tx, region, p); err != nil {
			return err
		}
		return tx.Delete(nsPolicy, k)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
