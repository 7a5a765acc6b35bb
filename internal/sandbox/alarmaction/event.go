package alarmaction

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
)

// Event constants of alarm state changes.
const (
	EventSource     = "aws.cloudwatch"
	EventDetailType = "CloudWatch Alarm State Change"
)

// Event is an event for EventBridge: the fields of a PutEvents entry.
type Event struct {
	Source     string
	DetailType string
	Detail     string // a JSON object
	Resources  []string
	Time       time.Time
}

type eventState struct {
	Value      string `json:"value"`
	Reason     string `json:"reason,omitempty"`
	ReasonData string `json:"reasonData,omitempty"`
	Timestamp  string `json:"timestamp,omitempty"`
}

type eventMetric struct {
	ID         string           `json:"id"`
	Expression *string          `json:"expression,omitempty"`
	Label      *string          `json:"label,omitempty"`
	MetricStat *eventMetricStat `json:"metricStat,omitempty"`
	Period     *int32           `json:"period,omitempty"`
	ReturnData bool             `json:"returnData"`
}

type eventMetricStat struct {
	Metric struct {
		Namespace  string            `json:"namespace"`
		Name       string            `json:"name"`
		Dimensions map[string]string `json:"dimensions"`
	} `json:"metric"`
	Period int32   `json:"period"`
	Stat   string  `json:"stat"`
	Unit   *string `json:"unit,omitempty"`
}

type eventConfiguration struct {
	Description                      *string       `json:"description,omitempty"`
	Metrics                          []eventMetric `json:"metrics,omitempty"`
	AlarmRule                        *string       `json:"alarmRule,omitempty"`
	ActionsSuppressor                *string       `json:"actionsSuppressor,omitempty"`
	ActionsSuppressorWaitPeriod      *int32        `json:"actionsSuppressorWaitPeriod,omitempty"`
	ActionsSuppressorExtensionPeriod *int32        `json:"actionsSuppressorExtensionPeriod,omitempty"`
}

type eventDetail struct {
	AlarmName     string             `json:"alarmName"`
	State         eventState         `json:"state"`
	PreviousState eventState         `json:"previousState"`
	Configuration eventConfiguration `json:"configuration"`
}

// StateChangeEvent is the "CloudWatch Alarm State Change" event of a
// change, as CloudWatch sends it to the default bus: source aws.cloudwatch,
// the alarm's ARN as the resource, and the detail
//
//	{"alarmName":"…","state":{"value":"ALARM","reason":"…","reasonData":"{…}","timestamp":"…"},
//	 "previousState":{…},"configuration":{"description":"…","metrics":[{"id":"…","metricStat":{"metric":
//	 {"namespace":"…","name":"…","dimensions":{"Name":"value"}},"period":60,"stat":"Sum"},"returnData":true}]}}
//
// (composite alarms: configuration.alarmRule and the suppressor settings).
func StateChangeEvent(c cloudwatch.AlarmChange) Event {
	d := eventDetail{
		AlarmName:     c.AlarmName,
		State:         eventState{Value: c.Current.Value, Reason: c.Current.Reason, ReasonData: c.Current.ReasonData, Timestamp: stamp(c.Current.Timestamp)},
		PreviousState: eventState{Value: c.Previous.Value, Reason: c.Previous.Reason, ReasonData: c.Previous.ReasonData, Timestamp: stamp(c.Previous.Timestamp)},
	}
	switch {
	case c.Metric != nil:
		m := c.Metric
		d.Configuration.Description = m.AlarmDescription
		if len(m.Metrics) == 0 {
			st := &eventMetricStat{Period: deref(m.Period), Stat: deref(m.Statistic), Unit: m.Unit}
			if st.Stat == "" {
				st.Stat = deref(m.ExtendedStatistic)
			}
			st.Metric.Namespace, st.Metric.Name = deref(m.Namespace), deref(m.MetricName)
			st.Metric.Dimensions = dimensionMap(m.Dimensions)
			d.Configuration.Metrics = []eventMetric{{ID: metricID(c.AlarmARN), MetricStat: st, ReturnData: true}}
		}
		for _, q := range m.Metrics {
			em := eventMetric{ID: deref(q.Id), Expression: q.Expression, Label: q.Label, Period: q.Period, ReturnData: q.ReturnData == nil || *q.ReturnData}
			if ms := q.MetricStat; ms != nil {
				st := &eventMetricStat{Period: deref(ms.Period), Stat: deref(ms.Stat), Unit: ms.Unit}
				if ms.Metric != nil {
					st.Metric.Namespace, st.Metric.Name = deref(ms.Metric.Namespace), deref(ms.Metric.MetricName)
					st.Metric.Dimensions = dimensionMap(ms.Metric.Dimensions)
				}
				em.MetricStat = st
			}
			d.Configuration.Metrics = append(d.Configuration.Metrics, em)
		}
	case c.Composite != nil:
		a := c.Composite
		d.Configuration.Description = a.AlarmDescription
		d.Configuration.AlarmRule = a.AlarmRule
		d.Configuration.ActionsSuppressor = a.ActionsSuppressor
		d.Configuration.ActionsSuppressorWaitPeriod = a.ActionsSuppressorWaitPeriod
		d.Configuration.ActionsSuppressorExtensionPeriod = a.ActionsSuppressorExtensionPeriod
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d)
	return Event{
		Source:     EventSource,
		DetailType: EventDetailType,
		Detail:     strings.TrimSuffix(buf.String(), "\n"),
		Resources:  []string{c.AlarmARN},
		Time:       c.Current.Timestamp,
	}
}

// Envelope is the event as EventBridge delivers it to targets, with id.
func (e Event) Envelope(id, account, region string) ([]byte, error) {
	return json.Marshal(struct {
		Version    string          `json:"version"`
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Time       string          `json:"time"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}{"0", id, e.DetailType, e.Source, account, e.Time.UTC().Format("2006-01-02T15:04:05Z"), region, e.Resources, json.RawMessage(e.Detail)})
}

func dimensionMap(ds []cloudwatch.Dimension) map[string]string {
	m := make(map[string]string, len(ds))
	for _, d := range ds {
		m[d.Name] = d.Value
	}
	return m
}

// metricID is the id a single-metric alarm's metric has in events: AWS
// shows a UUID; the sandbox derives a stable one from the alarm ARN.
func metricID(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// LambdaPayload is the event a Lambda alarm action receives:
//
//	{"source":"aws.cloudwatch","alarmArn":"…","accountId":"…","time":"…","region":"…",
//	 "alarmData":{"alarmName":"…","state":{…},"previousState":{…},"configuration":{…}}}
//
// where alarmData is the detail of the state change event.
func LambdaPayload(c cloudwatch.AlarmChange) []byte {
	b, _ := json.Marshal(struct {
		Source    string          `json:"source"`
		AlarmArn  string          `json:"alarmArn"`
		AccountID string          `json:"accountId"`
		Time      string          `json:"time"`
		Region    string          `json:"region"`
		AlarmData json.RawMessage `json:"alarmData"`
	}{EventSource, c.AlarmARN, c.AccountID, stamp(c.Current.Timestamp), c.Region, json.RawMessage(StateChangeEvent(c).Detail)})
	return b
}
