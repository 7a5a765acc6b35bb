package cloudwatch

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Alarm states and types.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"

	typeMetric    = "MetricAlarm"
	typeComposite = "CompositeAlarm"
)

// alarmDoc is what the sandbox stores per alarm.
type alarmDoc struct {
	Type      string          `json:"type"`
	Metric    *MetricAlarm    `json:"metric,omitempty"`
	Composite *CompositeAlarm `json:"composite,omitempty"`
	Tags      []Tag           `json:"tags,omitempty"`
}

func (d *alarmDoc) name() string {
	if d.Metric != nil {
		return deref(d.Metric.AlarmName)
	}
	return deref(d.Composite.AlarmName)
}

func (d *alarmDoc) arn() string {
	if d.Metric != nil {
		return deref(d.Metric.AlarmArn)
	}
	return deref(d.Composite.AlarmArn)
}

func (d *alarmDoc) stateValue() string {
	if d.Metric != nil {
		return deref(d.Metric.StateValue)
	}
	return deref(d.Composite.StateValue)
}

func (d *alarmDoc) actions() (ok, alarm, insufficient []string) {
	if d.Metric != nil {
		return d.Metric.OKActions, d.Metric.AlarmActions, d.Metric.InsufficientDataActions
	}
	return d.Composite.OKActions, d.Composite.AlarmActions, d.Composite.InsufficientDataActions
}

func alarmKey(region, name string) string { return region + "/" + name }

// PutMetricAlarmInput is the input of PutMetricAlarm.
type PutMetricAlarmInput struct {
	AlarmName                        *string
	AlarmDescription                 *string
	ActionsEnabled                   *bool
	OKActions                        []string
	AlarmActions                     []string
	InsufficientDataActions          []string
	MetricName                       *string
	Namespace                        *string
	Statistic                        *string
	ExtendedStatistic                *string
	Dimensions                       []Dimension
	Period                           *int32
	Unit                             *string
	EvaluationPeriods                *int32
	DatapointsToAlarm                *int32
	Threshold                        *float64
	ComparisonOperator               *string
	TreatMissingData                 *string
	EvaluateLowSampleCountPercentile *string
	Metrics                          []MetricDataQuery
	Tags                             []Tag
	ThresholdMetricId                *string
}

var (
	comparisonOperators = set("GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
		"LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")
	anomalyOperators = set("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")
	statistics       = set("SampleCount", "Average", "Sum", "Minimum", "Maximum")
	missingData      = set("missing", "notBreaching", "breaching", "ignore")
	lowSampleModes   = set("evaluate", "ignore")
	standardUnits    = set("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
		"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
		"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
		"Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None")
	stateValues = set(StateOK, StateAlarm, StateInsufficientData)
	// Extended statistics an alarm accepts (the provider's own pattern).
	extendedStatRE = regexp.MustCompile(`^((p|tm|wm|tc|ts)((\d{1,2}(\.\d{1,2})?)|100)|IQM|((TM|WM|PR|TC|TS)\((\d+(\.\d+)?%?)?:(\d+(\.\d+)?%?)?\)))$`)
	percentileRE   = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)
	queryIDRE      = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
)

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func (s *Service) putMetricAlarm(ctx context.Context, r *service.Request, in *PutMetricAlarmInput) (*empty, error) {
	if err := validateMetricAlarm(in); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		return putMetricAlarmTx(tx, s.env, region, in, s.now())
	})
	return nil, err
}

// putMetricAlarmTx stores a validated metric alarm in tx (PutMetricAlarm,
// and alarms other sandbox services manage: PutManagedAlarm).
func putMetricAlarmTx(tx *state.Tx, env service.Env, region string, in *PutMetricAlarmInput, now time.Time) error {
	name := *in.AlarmName
	var doc alarmDoc
	err := tx.Get(nsAlarm, alarmKey(region, name), &doc)
	exists := err == nil
	if err != nil && !service.IsNotFound(err) {
		return err
	}
	if exists && doc.Type != typeMetric {
		return errInvalid("An alarm named %s already exists and is a composite alarm.", name)
	}
	a := &MetricAlarm{
		AlarmName:                          ptr(name),
		AlarmArn:                           ptr(env.ARN("cloudwatch", region, "alarm:"+name)),
		AlarmDescription:                   in.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: ptr(now),
		ActionsEnabled:                     ptr(in.ActionsEnabled == nil || *in.ActionsEnabled),
		OKActions:                          in.OKActions,
		AlarmActions:                       in.AlarmActions,
		InsufficientDataActions:            in.InsufficientDataActions,
		MetricName:                         in.MetricName,
		Namespace:                          in.Namespace,
		Statistic:                          in.Statistic,
		ExtendedStatistic:                  in.ExtendedStatistic,
		Dimensions:                         in.Dimensions,
		Period:                             in.Period,
		Unit:                               in.Unit,
		EvaluationPeriods:                  in.EvaluationPeriods,
		DatapointsToAlarm:                  in.DatapointsToAlarm,
		Threshold:                          in.Threshold,
		ComparisonOperator:                 in.ComparisonOperator,
		TreatMissingData:                   in.TreatMissingData,
		EvaluateLowSampleCountPercentile:   in.EvaluateLowSampleCountPercentile,
		Metrics:                            in.Metrics,
		ThresholdMetricId:                  in.ThresholdMetricId,
	}
	summary := fmt.Sprintf("Alarm %q updated", name)
	if exists {
		// An update keeps the state and ignores Tags (TagResource
		// changes them), as on AWS.
		old := doc.Metric
		a.StateValue, a.StateReason, a.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
		a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = old.StateUpdatedTimestamp, old.StateTransitionedTimestamp
	} else {
		summary = fmt.Sprintf("Alarm %q created", name)
		a.StateValue = ptr(StateInsufficientData)
		a.StateReason = ptr("Unchecked: Initial alarm creation")
		a.StateUpdatedTimestamp = ptr(now)
		a.StateTransitionedTimestamp = ptr(now)
		doc.Tags = in.Tags
	}
	doc.Type, doc.Metric = typeMetric, a
	if err := tx.Put(nsAlarm, alarmKey(region, name), doc); err != nil {
		return err
	}
	return putHistoryAt(tx, region, now, 0, AlarmHistoryItem{
		AlarmName: ptr(name), AlarmType: ptr(typeMetric), HistoryItemType: ptr("ConfigurationUpdate"),
		HistorySummary: ptr(summary), HistoryData: ptr(configHistoryData(exists, a)),
	})
}

func validateMetricAlarm(in *PutMetricAlarmInput) error {
	if deref(in.AlarmName) == "" {
		return errMissing("AlarmName")
	}
	if n := len(*in.AlarmName); n > 255 {
		return errInvalid("The value for parameter AlarmName must be at most 255 characters long (got %d).", n)
	}
	if in.EvaluationPeriods == nil {
		return errMissing("EvaluationPeriods")
	}
	if in.ComparisonOperator == nil {
		return errMissing("ComparisonOperator")
	}
	if !comparisonOperators[*in.ComparisonOperator] {
		return errInvalid("The value %s for parameter ComparisonOperator is invalid.", *in.ComparisonOperator)
	}
	if *in.EvaluationPeriods < 1 {
		return errInvalid("The value %d for parameter EvaluationPeriods must be at least 1.", *in.EvaluationPeriods)
	}
	if in.DatapointsToAlarm != nil && (*in.DatapointsToAlarm < 1 || *in.DatapointsToAlarm > *in.EvaluationPeriods) {
		return errValidation("DatapointsToAlarm (%d) must be between 1 and EvaluationPeriods (%d).", *in.DatapointsToAlarm, *in.EvaluationPeriods)
	}
	if in.TreatMissingData != nil && !missingData[*in.TreatMissingData] {
		return errValidation("Option %s for TreatMissingData is not supported. Supported options: missing, notBreaching, breaching, ignore.", *in.TreatMissingData)
	}
	if in.EvaluateLowSampleCountPercentile != nil && *in.EvaluateLowSampleCountPercentile != "" {
		if !lowSampleModes[*in.EvaluateLowSampleCountPercentile] {
			return errValidation("Option %s for EvaluateLowSampleCountPercentile is not supported. Supported options: evaluate, ignore.", *in.EvaluateLowSampleCountPercentile)
		}
		if in.ExtendedStatistic == nil || !percentileRE.MatchString(*in.ExtendedStatistic) {
			return errValidation("EvaluateLowSampleCountPercentile can only be used with a percentile ExtendedStatistic.")
		}
	}
	if in.Unit != nil && !standardUnits[*in.Unit] {
		return errInvalid("The value %s for parameter Unit is invalid.", *in.Unit)
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"OKActions", in.OKActions}, {"AlarmActions", in.AlarmActions}, {"InsufficientDataActions", in.InsufficientDataActions}} {
		if len(l.v) > 5 {
			return errValidation("The collection %s must not have a size greater than 5.", l.name)
		}
		for _, a := range l.v {
			if !strings.HasPrefix(a, "arn:") {
				return errValidation("Invalid %s: %s is not an ARN.", l.name, a)
			}
		}
	}
	if in.ThresholdMetricId != nil && in.Threshold != nil {
		return errCombination("Threshold and ThresholdMetricId are mutually exclusive.")
	}
	if in.ThresholdMetricId != nil && !anomalyOperators[*in.ComparisonOperator] {
		return errValidation("ThresholdMetricId requires an anomaly detection ComparisonOperator (LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold or GreaterThanUpperThreshold).")
	}
	if in.ThresholdMetricId == nil && in.Threshold == nil {
		return errMissing("Threshold")
	}
	if in.Threshold != nil && (math.IsNaN(*in.Threshold) || math.IsInf(*in.Threshold, 0)) {
		return errInvalid("The value for parameter Threshold must be a finite number.")
	}
	if len(in.Metrics) > 0 {
		if in.MetricName != nil || in.Namespace != nil || in.Statistic != nil || in.ExtendedStatistic != nil || len(in.Dimensions) > 0 || in.Period != nil || in.Unit != nil {
			return errCombination("Metrics cannot be combined with MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period or Unit.")
		}
		return validateAlarmMetrics(in)
	}
	if deref(in.MetricName) == "" {
		return errMissing("MetricName")
	}
	if deref(in.Namespace) == "" {
		return errMissing("Namespace")
	}
	if in.Statistic != nil && in.ExtendedStatistic != nil {
		return errCombination("Statistic and ExtendedStatistic are mutually exclusive.")
	}
	if in.Statistic == nil && in.ExtendedStatistic == nil {
		return errMissing("Statistic or ExtendedStatistic")
	}
	if in.Statistic != nil && !statistics[*in.Statistic] {
		return errInvalid("The value %s for parameter Statistic is invalid.", *in.Statistic)
	}
	if in.ExtendedStatistic != nil && !extendedStatRE.MatchString(*in.ExtendedStatistic) {
		return errInvalid("The value %s for parameter ExtendedStatistic is invalid.", *in.ExtendedStatistic)
	}
	if len(in.Dimensions) > 30 {
		return errInvalid("The collection Dimensions must not have a size greater than 30.")
	}
	if in.Period == nil {
		return errMissing("Period")
	}
	if err := validateAlarmPeriod(*in.Period, *in.EvaluationPeriods); err != nil {
		return err
	}
	return nil
}

// validateAlarmPeriod: 10, 20, 30 or a multiple of 60 seconds; the
// evaluation window may not exceed one day (periods under an hour) or seven.
func validateAlarmPeriod(period, evaluationPeriods int32) error {
	if !(period == 10 || period == 20 || period == 30 || (period > 0 && period%60 == 0)) {
		return errInvalid("The value %d for parameter Period is not a valid period: use 10, 20, 30 or a multiple of 60.", period)
	}
	limit := int64(86400)
	if period >= 3600 {
		limit = 604800
	}
	if int64(period)*int64(evaluationPeriods) > limit {
		return errValidation("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= %d)", limit)
	}
	return nil
}

func validateAlarmMetrics(in *PutMetricAlarmInput) error {
	if len(in.Metrics) > 10 {
		return errValidation("The collection Metrics must not have a size greater than 10.")
	}
	ids := map[string]bool{}
	returning := 0
	for i, q := range in.Metrics {
		id := deref(q.Id)
		if !queryIDRE.MatchString(id) {
			return errValidation("Invalid metrics list: the Id %q of member %d must start with a lower-case letter and contain only letters, numbers and underscores.", id, i+1)
		}
		if ids[id] {
			return errValidation("Invalid metrics list: the Id %q is used twice.", id)
		}
		ids[id] = true
		hasExpr, hasStat := q.Expression != nil && *q.Expression != "", q.MetricStat != nil
		if hasExpr == hasStat {
			return errValidation("Invalid metrics list: member %q must have exactly one of Expression and MetricStat.", id)
		}
		if hasStat {
			ms := q.MetricStat
			if ms.Metric == nil || deref(ms.Metric.MetricName) == "" {
				return errValidation("Invalid metrics list: member %q has no MetricStat.Metric.MetricName.", id)
			}
			if ms.Period == nil {
				return errValidation("Invalid metrics list: member %q has no MetricStat.Period.", id)
			}
			if err := validateAlarmPeriod(*ms.Period, *in.EvaluationPeriods); err != nil {
				return err
			}
			if st := deref(ms.Stat); !statistics[st] && !extendedStatRE.MatchString(st) {
				return errValidation("Invalid metrics list: member %q has an invalid Stat %q.", id, st)
			}
			if ms.Unit != nil && !standardUnits[*ms.Unit] {
				return errInvalid("The value %s for parameter Unit is invalid.", *ms.Unit)
			}
		}
		if hasExpr {
			if _, err := parseExpression(*q.Expression); err != nil {
				return errValidation("Invalid metrics list: the Expression of member %q is invalid: %v", id, err)
			}
		}
		if q.ReturnData == nil || *q.ReturnData {
			returning++
		}
	}
	if in.ThresholdMetricId != nil {
		if !ids[*in.ThresholdMetricId] {
			return errValidation("ThresholdMetricId %q is not the Id of a member of Metrics.", *in.ThresholdMetricId)
		}
		return nil
	}
	if returning != 1 {
		return errValidation("Invalid metrics list: exactly one element of the metrics list should return data (has %d).", returning)
	}
	return nil
}

// configHistoryData is the HistoryData of a ConfigurationUpdate item: the
// alarm's configuration as JSON, as AWS records it.
func configHistoryData(update bool, a any) string {
	kind := "Create"
	if update {
		kind = "Update"
	}
	b, _ := json.Marshal(map[string]any{"type": kind, "version": "1.0", "createdAlarm": a})
	if update {
		b, _ = json.Marshal(map[string]any{"type": kind, "version": "1.0", "updatedAlarm": a})
	}
	return string(b)
}

// PutCompositeAlarmInput is the input of PutCompositeAlarm.
type PutCompositeAlarmInput struct {
	AlarmName                        *string
	AlarmDescription                 *string
	AlarmRule                        *string
	ActionsEnabled                   *bool
	OKActions                        []string
	AlarmActions                     []string
	InsufficientDataActions          []string
	Tags                             []Tag
	ActionsSuppressor                *string
	ActionsSuppressorWaitPeriod      *int32
	ActionsSuppressorExtensionPeriod *int32
}

func (s *Service) putCompositeAlarm(ctx context.Context, r *service.Request, in *PutCompositeAlarmInput) (*empty, error) {
	if deref(in.AlarmName) == "" {
		return nil, errMissing("AlarmName")
	}
	if deref(in.AlarmRule) == "" {
		return nil, errMissing("AlarmRule")
	}
	if len(*in.AlarmRule) > 10240 {
		return nil, errInvalid("The value for parameter AlarmRule must be at most 10240 characters long.")
	}
	refs, err := parseAlarmRule(*in.AlarmRule)
	if err != nil {
		return nil, errValidation("Invalid AlarmRule: %v", err)
	}
	for _, l := range [][]string{in.OKActions, in.AlarmActions, in.InsufficientDataActions} {
		if len(l) > 5 {
			return nil, errValidation("An action list must not have more than 5 members.")
		}
	}
	if in.ActionsSuppressor != nil && (in.ActionsSuppressorWaitPeriod == nil || in.ActionsSuppressorExtensionPeriod == nil) {
		return nil, errValidation("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required with ActionsSuppressor.")
	}
	region := s.env.RegionOf(r)
	name := *in.AlarmName
	now := s.now()
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		var missing []string
		for _, ref := range refs {
			refName := ref
			if strings.HasPrefix(ref, "arn:") {
				i := strings.Index(ref, ":alarm:")
				if i < 0 {
					missing = append(missing, ref)
					continue
				}
				refName = ref[i+len(":alarm:"):]
			}
			if refName == name {
				return errValidation("Invalid AlarmRule: a composite alarm cannot reference itself.")
			}
			ok, err := tx.Exists(nsAlarm, alarmKey(region, refName))
			if err != nil {
				return err
			}
			if !ok {
				missing = append(missing, refName)
			}
		}
		if len(missing) > 0 {
			return errValidation("Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", strings.Join(missing, ", "))
		}
		var doc alarmDoc
		err := tx.Get(nsAlarm, alarmKey(region, name), &doc)
		exists := err == nil
		if err != nil && !service.IsNotFound(err) {
			return err
		}
		if exists && doc.Type != typeComposite {
			return errInvalid("An alarm named %s already exists and is a metric alarm.", name)
		}
		a := &CompositeAlarm{
			AlarmName:                          ptr(name),
			AlarmArn:                           ptr(s.env.ARN("cloudwatch", region, "alarm:"+name)),
			AlarmDescription:                   in.AlarmDescription,
			AlarmRule:                          in.AlarmRule,
			AlarmConfigurationUpdatedTimestamp: ptr(now),
			ActionsEnabled:                     ptr(in.ActionsEnabled == nil || *in.ActionsEnabled),
			OKActions:                          in.OKActions,
			AlarmActions:                       in.AlarmActions,
			InsufficientDataActions:            in.InsufficientDataActions,
			ActionsSuppressor:                  in.ActionsSuppressor,
			ActionsSuppressorWaitPeriod:        in.ActionsSuppressorWaitPeriod,
			ActionsSuppressorExtensionPeriod:   in.ActionsSuppressorExtensionPeriod,
			ActionsSuppressedBy:                ptr("None"),
		}
		summary := fmt.Sprintf("Alarm %q updated", name)
		if exists {
			old := doc.Composite
			a.StateValue, a.StateReason, a.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
			a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = old.StateUpdatedTimestamp, old.StateTransitionedTimestamp
		} else {
			summary = fmt.Sprintf("Alarm %q created", name)
			a.StateValue = ptr(StateInsufficientData)
			a.StateReason = ptr("Unchecked: Initial alarm creation")
			a.StateUpdatedTimestamp = ptr(now)
			a.StateTransitionedTimestamp = ptr(now)
			doc.Tags = in.Tags
		}
		doc.Type, doc.Composite = typeComposite, a
		if err := tx.Put(nsAlarm, alarmKey(region, name), doc); err != nil {
			return err
		}
		return s.putHistory(tx, region, now, AlarmHistoryItem{
			AlarmName: ptr(name), AlarmType: ptr(typeComposite), HistoryItemType: ptr("ConfigurationUpdate"),
			HistorySummary: ptr(summary), HistoryData: ptr(configHistoryData(exists, a)),
		})
	})
	return nil, err
}

// DescribeAlarmsInput is the input of DescribeAlarms.
type DescribeAlarmsInput struct {
	AlarmNames          []string
	AlarmNamePrefix     *string
	AlarmTypes          []string
	ChildrenOfAlarmName *string
	ParentsOfAlarmName  *string
	StateValue          *string
	ActionPrefix        *string
	MaxRecords          *int32
	NextToken           *string
}

// DescribeAlarmsOutput is the output of DescribeAlarms.
type DescribeAlarmsOutput struct {
	CompositeAlarms []CompositeAlarm `xml:"CompositeAlarms>member" json:",omitempty"`
	MetricAlarms    []MetricAlarm    `xml:"MetricAlarms>member" json:",omitempty"`
	NextToken       *string          `xml:",omitempty" json:",omitempty"`
}

func (s *Service) describeAlarms(ctx context.Context, r *service.Request, in *DescribeAlarmsInput) (*DescribeAlarmsOutput, error) {
	if len(in.AlarmNames) > 100 {
		return nil, errInvalid("The collection AlarmNames must not have a size greater than 100.")
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, errCombination("AlarmNames and AlarmNamePrefix are mutually exclusive.")
	}
	if in.ChildrenOfAlarmName != nil && in.ParentsOfAlarmName != nil {
		return nil, errCombination("ChildrenOfAlarmName and ParentsOfAlarmName are mutually exclusive.")
	}
	if (in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil) && (len(in.AlarmNames) > 0 || in.AlarmNamePrefix != nil || in.StateValue != nil || in.ActionPrefix != nil) {
		return nil, errCombination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other filters.")
	}
	if in.StateValue != nil && !stateValues[*in.StateValue] {
		return nil, errInvalid("The value %s for parameter StateValue is invalid.", *in.StateValue)
	}
	types := map[string]bool{}
	for _, t := range in.AlarmTypes {
		if t != typeMetric && t != typeComposite {
			return nil, errInvalid("The value %s for parameter AlarmTypes is invalid.", t)
		}
		types[t] = true
	}
	if len(types) == 0 {
		// AWS returns only metric alarms unless composite ones are asked for.
		types[typeMetric] = true
	}
	max := 50
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > 100 {
			return nil, errInvalid("The value %d for parameter MaxRecords is invalid: use 1 to 100.", *in.MaxRecords)
		}
		max = int(*in.MaxRecords)
	}
	after := ""
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, errBadToken(*in.NextToken)
		}
		after = string(b)
	}
	region := s.env.RegionOf(r)
	out := &DescribeAlarmsOutput{}
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		var docs []alarmDoc
		var err error
		switch {
		case in.ChildrenOfAlarmName != nil:
			docs, err = childrenOf(tx, region, *in.ChildrenOfAlarmName)
		case in.ParentsOfAlarmName != nil:
			docs, err = parentsOf(tx, region, *in.ParentsOfAlarmName)
		case len(in.AlarmNames) > 0:
			names := append([]string(nil), in.AlarmNames...)
			sort.Strings(names)
			for _, n := range names {
				var d alarmDoc
				if err := tx.Get(nsAlarm, alarmKey(region, n), &d); err == nil {
					docs = append(docs, d)
				} else if !service.IsNotFound(err) {
					return err
				}
			}
		default:
			docs, err = listAlarms(tx, region, deref(in.AlarmNamePrefix))
		}
		if err != nil {
			return err
		}
		count := 0
		for _, d := range docs {
			name := d.name()
			if after != "" && name <= after {
				continue
			}
			if !types[d.Type] {
				continue
			}
			if in.StateValue != nil && d.stateValue() != *in.StateValue {
				continue
			}
			if in.ActionPrefix != nil && !hasActionPrefix(&d, *in.ActionPrefix) {
				continue
			}
			if count == max {
				out.NextToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(after)))
				break
			}
			count++
			after = name
			if d.Metric != nil {
				out.MetricAlarms = append(out.MetricAlarms, *d.Metric)
			} else {
				out.CompositeAlarms = append(out.CompositeAlarms, *d.Composite)
			}
		}
		return nil
	})
	return out, err
}

func hasActionPrefix(d *alarmDoc, prefix string) bool {
	ok, alarm, insufficient := d.actions()
	for _, l := range [][]string{ok, alarm, insufficient} {
		for _, a := range l {
			if strings.HasPrefix(a, prefix) {
				return true
			}
		}
	}
	return false
}

func listAlarms(tx *state.Tx, region, prefix string) ([]alarmDoc, error) {
	entries, err := tx.List(state.ListParams{NS: nsAlarm, Prefix: region + "/" + prefix})
	if err != nil {
		return nil, err
	}
	docs := make([]alarmDoc, 0, len(entries))
	for _, e := range entries {
		var d alarmDoc
		if err := json.Unmarshal(e.Value, &d); err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// childrenOf returns the alarms a composite alarm's rule references.
func childrenOf(tx *state.Tx, region, name string) ([]alarmDoc, error) {
	var parent alarmDoc
	if err := tx.Get(nsAlarm, alarmKey(region, name), &parent); err != nil {
		if service.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if parent.Composite == nil {
		return nil, nil
	}
	refs, _ := parseAlarmRule(deref(parent.Composite.AlarmRule))
	var out []alarmDoc
	seen := map[string]bool{}
	for _, ref := range refs {
		if i := strings.Index(ref, ":alarm:"); strings.HasPrefix(ref, "arn:") && i >= 0 {
			ref = ref[i+len(":alarm:"):]
		}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		var d alarmDoc
		if err := tx.Get(nsAlarm, alarmKey(region, ref), &d); err == nil {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name() < out[j].name() })
	return out, nil
}

// parentsOf returns the composite alarms whose rule references name.
func parentsOf(tx *state.Tx, region, name string) ([]alarmDoc, error) {
	all, err := listAlarms(tx, region, "")
	if err != nil {
		return nil, err
	}
	var out []alarmDoc
	for _, d := range all {
		if d.Composite == nil {
			continue
		}
		refs, _ := parseAlarmRule(deref(d.Composite.AlarmRule))
		for _, ref := range refs {
			if ref == name || strings.HasSuffix(ref, ":alarm:"+name) {
				out = append(out, d)
				break
			}
		}
	}
	return out, nil
}

// DeleteAlarmsInput is the input of DeleteAlarms.
type DeleteAlarmsInput struct {
	AlarmNames []string
}

func (s *Service) deleteAlarms(ctx context.Context, r *service.Request, in *DeleteAlarmsInput) (*empty, error) {
	if len(in.AlarmNames) == 0 {
		return nil, errMissing("AlarmNames")
	}
	if len(in.AlarmNames) > 100 {
		return nil, errInvalid("The collection AlarmNames must not have a size greater than 100.")
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		// All or nothing: one unknown name fails the call and deletes none.
		var missing []string
		for _, n := range in.AlarmNames {
			ok, err := tx.Exists(nsAlarm, alarmKey(region, n))
			if err != nil {
				return err
			}
			if !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return errAlarmNotFound(strings.Join(missing, ", "))
		}
		for _, n := range in.AlarmNames {
			if err := tx.Delete(nsAlarm, alarmKey(region, n)); err != nil {
				return err
			}
		}
		return nil
	})
	return nil, err
}

// DescribeAlarmHistoryInput is the input of DescribeAlarmHistory.
type DescribeAlarmHistoryInput struct {
	AlarmName       *string
	AlarmTypes      []string
	HistoryItemType *string
	StartDate       *time.Time
	EndDate         *time.Time
	MaxRecords      *int32
	NextToken       *string
	ScanBy          *string
}

// DescribeAlarmHistoryOutput is the output of DescribeAlarmHistory.
type DescribeAlarmHistoryOutput struct {
	AlarmHistoryItems []AlarmHistoryItem `xml:"AlarmHistoryItems>member" json:",omitempty"`
	NextToken         *string            `xml:",omitempty" json:",omitempty"`
}

var historyTypes = set("ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate", "AlarmContributorAction")

func (s *Service) describeAlarmHistory(ctx context.Context, r *service.Request, in *DescribeAlarmHistoryInput) (*DescribeAlarmHistoryOutput, error) {
	if in.HistoryItemType != nil && !historyTypes[*in.HistoryItemType] {
		return nil, errInvalid("The value %s for parameter HistoryItemType is invalid.", *in.HistoryItemType)
	}
	scanDesc := true
	if in.ScanBy != nil {
		switch *in.ScanBy {
		case "TimestampDescending":
		case "TimestampAscending":
			scanDesc = false
		default:
			return nil, errInvalid("The value %s for parameter ScanBy is invalid.", *in.ScanBy)
		}
	}
	types := set(in.AlarmTypes...)
	for t := range types {
		if t != typeMetric && t != typeComposite {
			return nil, errInvalid("The value %s for parameter AlarmTypes is invalid.", t)
		}
	}
	max := 100
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > 100 {
			return nil, errInvalid("The value %d for parameter MaxRecords is invalid: use 1 to 100.", *in.MaxRecords)
		}
		max = int(*in.MaxRecords)
	}
	skip := 0
	if in.NextToken != nil {
		if _, err := fmt.Sscanf(*in.NextToken, "h%d", &skip); err != nil || skip < 0 {
			return nil, errBadToken(*in.NextToken)
		}
	}
	region := s.env.RegionOf(r)
	prefix := region + "/"
	if in.AlarmName != nil {
		prefix += url.PathEscape(*in.AlarmName) + "/"
	}
	entries, err := s.env.State.List(ctx, state.ListParams{NS: nsHistory, Prefix: prefix})
	if err != nil {
		return nil, err
	}
	type keyed struct {
		key string
		it  AlarmHistoryItem
	}
	var all []keyed
	for _, e := range entries {
		var it AlarmHistoryItem
		if err := json.Unmarshal(e.Value, &it); err != nil {
			return nil, err
		}
		if in.HistoryItemType != nil && deref(it.HistoryItemType) != *in.HistoryItemType {
			continue
		}
		if len(types) > 0 && !types[deref(it.AlarmType)] {
			continue
		}
		ts := deref(it.Timestamp)
		if in.StartDate != nil && ts.Before(*in.StartDate) {
			continue
		}
		if in.EndDate != nil && ts.After(*in.EndDate) {
			continue
		}
		all = append(all, keyed{historyOrder(e.Key), it})
	}
	// Keys end in /<unix nanos>/<random>: that orders items written in the
	// same millisecond.
	sort.SliceStable(all, func(i, j int) bool {
		if scanDesc {
			return all[i].key > all[j].key
		}
		return all[i].key < all[j].key
	})
	items := make([]AlarmHistoryItem, len(all))
	for i, k := range all {
		items[i] = k.it
	}
	out := &DescribeAlarmHistoryOutput{}
	if skip > len(items) {
		skip = len(items)
	}
	items = items[skip:]
	if len(items) > max {
		out.NextToken = ptr(fmt.Sprintf("h%d", skip+max))
		items = items[:max]
	}
	out.AlarmHistoryItems = items
	return out, nil
}

func (s *Service) putHistory(tx *state.Tx, region string, now time.Time, it AlarmHistoryItem) error {
	it.Timestamp = ptr(now)
	key := fmt.Sprintf("%s/%s/%019d/%s", region, url.PathEscape(deref(it.AlarmName)), s.env.Now().UnixNano(), randHex(4))
	return tx.Put(nsHistory, key, it)
}

// historyOrder is the part of a history key that orders items in time.
func historyOrder(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return key
	}
	j := strings.LastIndexByte(key[:i], '/')
	return key[j+1:]
}

// SetAlarmStateInput is the input of SetAlarmState.
type SetAlarmStateInput struct {
	AlarmName       *string
	StateValue      *string
	StateReason     *string
	StateReasonData *string
}

func (s *Service) setAlarmState(ctx context.Context, r *service.Request, in *SetAlarmStateInput) (*empty, error) {
	switch {
	case deref(in.AlarmName) == "":
		return nil, errMissing("AlarmName")
	case in.StateValue == nil:
		return nil, errMissing("StateValue")
	case in.StateReason == nil:
		return nil, errMissing("StateReason")
	}
	if !stateValues[*in.StateValue] {
		return nil, errInvalid("The value %s for parameter StateValue is invalid.", *in.StateValue)
	}
	if len(*in.StateReason) > 1023 {
		return nil, errInvalid("The value for parameter StateReason must be at most 1023 characters long.")
	}
	if in.StateReasonData != nil && *in.StateReasonData != "" && !json.Valid([]byte(*in.StateReasonData)) {
		return nil, protocol400(codeInvalidFormat, "StateReasonData is not valid JSON.")
	}
	ch, err := s.SetState(ctx, s.env.RegionOf(r), *in.AlarmName, *in.StateValue, *in.StateReason, deref(in.StateReasonData))
	if err == nil {
		s.afterSetAlarmState(ctx, s.env.RegionOf(r), ch)
	}
	return nil, err
}

// StateChange describes a transition SetState made.
type StateChange struct {
	AlarmName     string
	AlarmARN      string
	AlarmType     string
	OldState      string
	NewState      string
	Reason        string
	ActionsToFire []string // the actions of NewState, when actions are enabled
}

// SetState moves an alarm to a state (SetAlarmState, and later the alarm
// evaluator), records a StateUpdate history item and returns what changed.
// Firing the actions is the caller's business.
func (s *Service) SetState(ctx context.Context, region, name, value, reason, reasonData string) (*StateChange, error) {
	now := s.now()
	var change *StateChange
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		var doc alarmDoc
		if err := tx.Get(nsAlarm, alarmKey(region, name), &doc); err != nil {
			if service.IsNotFound(err) {
				return errAlarmNotFound(name)
			}
			return err
		}
		var old string
		var enabled bool
		if m := doc.Metric; m != nil {
			old, enabled = deref(m.StateValue), deref(m.ActionsEnabled)
			m.StateValue, m.StateReason, m.StateUpdatedTimestamp = ptr(value), ptr(reason), ptr(now)
			m.StateReasonData = optional(reasonData)
			if old != value {
				m.StateTransitionedTimestamp = ptr(now)
			}
		} else {
			c := doc.Composite
			old, enabled = deref(c.StateValue), deref(c.ActionsEnabled)
			c.StateValue, c.StateReason, c.StateUpdatedTimestamp = ptr(value), ptr(reason), ptr(now)
			c.StateReasonData = optional(reasonData)
			if old != value {
				c.StateTransitionedTimestamp = ptr(now)
			}
		}
		if err := tx.Put(nsAlarm, alarmKey(region, name), doc); err != nil {
			return err
		}
		change = &StateChange{AlarmName: name, AlarmARN: doc.arn(), AlarmType: doc.Type, OldState: old, NewState: value, Reason: reason}
		if enabled && old != value {
			ok, alarm, insufficient := doc.actions()
			switch value {
			case StateOK:
				change.ActionsToFire = ok
			case StateAlarm:
				change.ActionsToFire = alarm
			default:
				change.ActionsToFire = insufficient
			}
		}
		data, _ := json.Marshal(map[string]any{
			"version":     "1.0",
			"oldState":    map[string]any{"stateValue": old},
			"newState":    map[string]any{"stateValue": value, "stateReason": reason},
			"alarmName":   name,
			"stateChange": old != value,
		})
		return s.putHistory(tx, region, now, AlarmHistoryItem{
			AlarmName: ptr(name), AlarmType: ptr(doc.Type), HistoryItemType: ptr("StateUpdate"),
			HistorySummary: ptr(fmt.Sprintf("Alarm updated from %s to %s", old, value)), HistoryData: ptr(string(data)),
		})
	})
	return change, err
}

// AlarmNamesInput is the input of EnableAlarmActions and DisableAlarmActions.
type AlarmNamesInput struct {
	AlarmNames []string
}

func (s *Service) enableAlarmActions(ctx context.Context, r *service.Request, in *AlarmNamesInput) (*empty, error) {
	return nil, s.setActionsEnabled(ctx, r, in.AlarmNames, true)
}

func (s *Service) disableAlarmActions(ctx context.Context, r *service.Request, in *AlarmNamesInput) (*empty, error) {
	return nil, s.setActionsEnabled(ctx, r, in.AlarmNames, false)
}

func (s *Service) setActionsEnabled(ctx context.Context, r *service.Request, names []string, enabled bool) error {
	if len(names) == 0 {
		return errMissing("AlarmNames")
	}
	if len(names) > 100 {
		return errInvalid("The collection AlarmNames must not have a size greater than 100.")
	}
	region := s.env.RegionOf(r)
	return s.env.State.Update(ctx, func(tx *state.Tx) error {
		// Names that do not exist are ignored, as on AWS.
		for _, n := range names {
			var doc alarmDoc
			if err := tx.Get(nsAlarm, alarmKey(region, n), &doc); err != nil {
				if service.IsNotFound(err) {
					continue
				}
				return err
			}
			if doc.Metric != nil {
				doc.Metric.ActionsEnabled = ptr(enabled)
			} else {
				doc.Composite.ActionsEnabled = ptr(enabled)
			}
			if err := tx.Put(nsAlarm, alarmKey(region, n), doc); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) now() time.Time {
	return s.env.Now().UTC().Truncate(time.Millisecond)
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
