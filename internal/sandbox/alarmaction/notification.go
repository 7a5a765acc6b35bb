package alarmaction

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/cwalarm"
	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
)

// regionNames are the long region names alarm notifications use.
var regionNames = map[string]string{
	"us-east-1":      "US East (N. Virginia)",
	"us-east-2":      "US East (Ohio)",
	"us-west-1":      "US West (N. California)",
	"us-west-2":      "US West (Oregon)",
	"af-south-1":     "Africa (Cape Town)",
	"ap-east-1":      "Asia Pacific (Hong Kong)",
	"ap-south-1":     "Asia Pacific (Mumbai)",
	"ap-south-2":     "Asia Pacific (Hyderabad)",
	"ap-northeast-1": "Asia Pacific (Tokyo)",
	"ap-northeast-2": "Asia Pacific (Seoul)",
	"ap-northeast-3": "Asia Pacific (Osaka)",
	"ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)",
	"ap-southeast-3": "Asia Pacific (Jakarta)",
	"ap-southeast-4": "Asia Pacific (Melbourne)",
	"ca-central-1":   "Canada (Central)",
	"ca-west-1":      "Canada West (Calgary)",
	"eu-central-1":   "EU (Frankfurt)",
	"eu-central-2":   "EU (Zurich)",
	"eu-west-1":      "EU (Ireland)",
	"eu-west-2":      "EU (London)",
	"eu-west-3":      "EU (Paris)",
	"eu-south-1":     "EU (Milan)",
	"eu-south-2":     "EU (Spain)",
	"eu-north-1":     "EU (Stockholm)",
	"il-central-1":   "Israel (Tel Aviv)",
	"me-south-1":     "Middle East (Bahrain)",
	"me-central-1":   "Middle East (UAE)",
	"sa-east-1":      "South America (Sao Paulo)",
}

// RegionName is a region's long name as alarm notifications write it
// ("US East (N. Virginia)"); unknown regions are their code.
func RegionName(region string) string {
	if n, ok := regionNames[region]; ok {
		return n
	}
	return region
}

// maxSubject is SNS's limit on a subject.
const maxSubject = 100

// Subject is the subject of an alarm notification:
// ALARM: "name" in US East (N. Virginia) (cut to SNS's 100 characters,
// printable ASCII only).
func Subject(c cloudwatch.AlarmChange) string {
	s := c.Current.Value + `: "` + c.AlarmName + `" in ` + RegionName(c.Region)
	b := []byte(s)
	for i, ch := range b {
		if ch < 0x20 || ch > 0x7e {
			b[i] = '?'
		}
	}
	if len(b) > maxSubject {
		b = b[:maxSubject]
	}
	return string(b)
}

// num is a number written as CloudWatch writes it (25.0, not 25).
type num float64

func (n num) MarshalJSON() ([]byte, error) { return []byte(cwalarm.FormatValue(float64(n))), nil }

type notifDimension struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

// metricTrigger is the Trigger of a single-metric alarm's notification.
type metricTrigger struct {
	MetricName                       string           `json:"MetricName"`
	Namespace                        string           `json:"Namespace"`
	StatisticType                    string           `json:"StatisticType"`
	Statistic                        string           `json:"Statistic,omitempty"`
	ExtendedStatistic                string           `json:"ExtendedStatistic,omitempty"`
	Unit                             *string          `json:"Unit"`
	Dimensions                       []notifDimension `json:"Dimensions"`
	Period                           int32            `json:"Period"`
	EvaluationPeriods                int32            `json:"EvaluationPeriods"`
	DatapointsToAlarm                *int32           `json:"DatapointsToAlarm,omitempty"`
	ComparisonOperator               string           `json:"ComparisonOperator"`
	Threshold                        *num             `json:"Threshold,omitempty"`
	ThresholdMetricID                *string          `json:"ThresholdMetricId,omitempty"`
	TreatMissingData                 string           `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string           `json:"EvaluateLowSampleCountPercentile"`
}

// mathTrigger is the Trigger of a metric math alarm's notification.
type mathTrigger struct {
	Period                           int32         `json:"Period"`
	EvaluationPeriods                int32         `json:"EvaluationPeriods"`
	DatapointsToAlarm                *int32        `json:"DatapointsToAlarm,omitempty"`
	ComparisonOperator               string        `json:"ComparisonOperator"`
	Threshold                        *num          `json:"Threshold,omitempty"`
	ThresholdMetricID                *string       `json:"ThresholdMetricId,omitempty"`
	TreatMissingData                 string        `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string        `json:"EvaluateLowSampleCountPercentile"`
	Metrics                          []notifMetric `json:"Metrics"`
}

type notifMetric struct {
	Expression *string          `json:"Expression,omitempty"`
	ID         string           `json:"Id"`
	Label      *string          `json:"Label,omitempty"`
	MetricStat *notifMetricStat `json:"MetricStat,omitempty"`
	ReturnData bool             `json:"ReturnData"`
}

type notifMetricStat struct {
	Metric struct {
		Dimensions []notifDimension `json:"Dimensions"`
		MetricName string           `json:"MetricName"`
		Namespace  string           `json:"Namespace"`
	} `json:"Metric"`
	Period int32   `json:"Period"`
	Stat   string  `json:"Stat"`
	Unit   *string `json:"Unit,omitempty"`
}

// notification is the Message of an alarm notification, fields in the
// order AWS writes them.
type notification struct {
	AlarmName                          string          `json:"AlarmName"`
	AlarmDescription                   *string         `json:"AlarmDescription"`
	AWSAccountID                       string          `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp string          `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      string          `json:"NewStateValue"`
	NewStateReason                     string          `json:"NewStateReason"`
	StateChangeTime                    string          `json:"StateChangeTime"`
	Region                             string          `json:"Region"`
	AlarmArn                           string          `json:"AlarmArn"`
	OldStateValue                      string          `json:"OldStateValue"`
	OKActions                          []string        `json:"OKActions"`
	AlarmActions                       []string        `json:"AlarmActions"`
	InsufficientDataActions            []string        `json:"InsufficientDataActions"`
	Trigger                            any             `json:"Trigger,omitempty"`
	AlarmRule                          *string         `json:"AlarmRule,omitempty"`
	TriggeringChildren                 []triggeringKid `json:"TriggeringChildren,omitempty"`
}

type triggeringKid struct {
	Arn   string `json:"Arn"`
	State struct {
		Value     string `json:"Value"`
		Timestamp string `json:"Timestamp"`
	} `json:"State"`
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func dimensions(ds []cloudwatch.Dimension) []notifDimension {
	out := make([]notifDimension, len(ds))
	for i, d := range ds {
		out[i] = notifDimension{Value: d.Value, Name: d.Name}
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Message is the JSON body of an alarm notification, as CloudWatch
// publishes it to SNS:
//
//	{"AlarmName":"…","AlarmDescription":null,"AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"…","NewStateValue":"ALARM",
//	 "NewStateReason":"Threshold Crossed: …","StateChangeTime":"2026-11-25T19:00:00.000+0000","Region":"US East (N. Virginia)",
//	 "AlarmArn":"arn:aws:cloudwatch:…","OldStateValue":"OK","OKActions":[…],"AlarmActions":[…],"InsufficientDataActions":[],
//	 "Trigger":{"MetricName":"…","Namespace":"…","StatisticType":"Statistic","Statistic":"SUM","Unit":null,"Dimensions":[{"value":"…","name":"…"}],
//	  "Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":2,"ComparisonOperator":"GreaterThanThreshold","Threshold":25.0,
//	  "TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}}
//
// Metric math alarms carry Trigger.Metrics instead of the metric; composite
// alarms AlarmRule and TriggeringChildren instead of a Trigger.
func Message(c cloudwatch.AlarmChange) string {
	n := notification{
		AlarmName:       c.AlarmName,
		AWSAccountID:    c.AccountID,
		NewStateValue:   c.Current.Value,
		NewStateReason:  c.Current.Reason,
		StateChangeTime: cwalarm.FormatTimestamp(c.Current.Timestamp),
		Region:          RegionName(c.Region),
		AlarmArn:        c.AlarmARN,
		OldStateValue:   c.Previous.Value,
	}
	switch {
	case c.Metric != nil:
		m := c.Metric
		n.AlarmDescription = m.AlarmDescription
		n.AlarmConfigurationUpdatedTimestamp = cwalarm.FormatTimestamp(deref(m.AlarmConfigurationUpdatedTimestamp))
		n.OKActions, n.AlarmActions, n.InsufficientDataActions = orEmpty(m.OKActions), orEmpty(m.AlarmActions), orEmpty(m.InsufficientDataActions)
		n.Trigger = trigger(m)
	case c.Composite != nil:
		a := c.Composite
		n.AlarmDescription = a.AlarmDescription
		n.AlarmConfigurationUpdatedTimestamp = cwalarm.FormatTimestamp(deref(a.AlarmConfigurationUpdatedTimestamp))
		n.OKActions, n.AlarmActions, n.InsufficientDataActions = orEmpty(a.OKActions), orEmpty(a.AlarmActions), orEmpty(a.InsufficientDataActions)
		n.AlarmRule = a.AlarmRule
		n.TriggeringChildren = triggeringChildren(c.Current.ReasonData)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(n)
	return strings.TrimSuffix(buf.String(), "\n")
}

func trigger(m *cloudwatch.MetricAlarm) any {
	treat := deref(m.TreatMissingData)
	if treat == "" {
		treat = "missing"
	}
	var threshold *num
	if m.Threshold != nil {
		t := num(*m.Threshold)
		threshold = &t
	}
	if len(m.Metrics) > 0 {
		t := mathTrigger{
			EvaluationPeriods: deref(m.EvaluationPeriods), DatapointsToAlarm: m.DatapointsToAlarm,
			ComparisonOperator: deref(m.ComparisonOperator), Threshold: threshold, ThresholdMetricID: m.ThresholdMetricId,
			TreatMissingData: treat, EvaluateLowSampleCountPercentile: deref(m.EvaluateLowSampleCountPercentile),
		}
		for _, q := range m.Metrics {
			nm := notifMetric{Expression: q.Expression, ID: deref(q.Id), Label: q.Label, ReturnData: q.ReturnData == nil || *q.ReturnData}
			if q.Period != nil && t.Period == 0 {
				t.Period = *q.Period
			}
			if ms := q.MetricStat; ms != nil {
				st := &notifMetricStat{Period: deref(ms.Period), Stat: deref(ms.Stat), Unit: ms.Unit}
				if ms.Metric != nil {
					st.Metric.Dimensions = dimensions(ms.Metric.Dimensions)
					st.Metric.MetricName, st.Metric.Namespace = deref(ms.Metric.MetricName), deref(ms.Metric.Namespace)
				}
				nm.MetricStat = st
				if t.Period == 0 {
					t.Period = st.Period
				}
			}
			t.Metrics = append(t.Metrics, nm)
		}
		return t
	}
	t := metricTrigger{
		MetricName: deref(m.MetricName), Namespace: deref(m.Namespace), StatisticType: "Statistic",
		Unit: m.Unit, Dimensions: dimensions(m.Dimensions), Period: deref(m.Period),
		EvaluationPeriods: deref(m.EvaluationPeriods), DatapointsToAlarm: m.DatapointsToAlarm,
		ComparisonOperator: deref(m.ComparisonOperator), Threshold: threshold, ThresholdMetricID: m.ThresholdMetricId,
		TreatMissingData: treat, EvaluateLowSampleCountPercentile: deref(m.EvaluateLowSampleCountPercentile),
	}
	if m.ExtendedStatistic != nil {
		t.StatisticType, t.ExtendedStatistic = "ExtendedStatistic", *m.ExtendedStatistic
	} else if st, err := cwalarm.ParseStat(deref(m.Statistic)); err == nil {
		t.Statistic = st.Upper()
	} else {
		t.Statistic = strings.ToUpper(deref(m.Statistic))
	}
	return t
}

// triggeringChildren reads a composite alarm's reason data.
func triggeringChildren(reasonData string) []triggeringKid {
	var rd struct {
		TriggeringAlarms []struct {
			ARN   string `json:"arn"`
			State struct {
				Value     string `json:"value"`
				Timestamp string `json:"timestamp"`
			} `json:"state"`
		} `json:"triggeringAlarms"`
	}
	if json.Unmarshal([]byte(reasonData), &rd) != nil {
		return nil
	}
	out := make([]triggeringKid, len(rd.TriggeringAlarms))
	for i, t := range rd.TriggeringAlarms {
		out[i].Arn, out[i].State.Value, out[i].State.Timestamp = t.ARN, t.State.Value, t.State.Timestamp
	}
	return out
}

// stamp formats a state timestamp; the zero time is left out.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return cwalarm.FormatTimestamp(t)
}
