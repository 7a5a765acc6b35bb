package cloudwatch

import (
	"encoding/xml"
	"sort"
	"strconv"
	"time"
)

// The shapes of the CloudWatch API. Field names are the member names: the
// query decoder and the CBOR codec use them as they are; `xml` tags give the
// query protocol's list wrapping (Name>member); `json` tags only add
// omitempty, so an absent member is absent in CBOR and in stored documents.

// Dimension is a name/value pair of a metric's identity.
type Dimension struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

// DimensionFilter selects metrics by dimension in ListMetrics.
type DimensionFilter struct {
	Name  string
	Value *string `xml:",omitempty" json:",omitempty"`
}

// Metric identifies a metric.
type Metric struct {
	Namespace  *string     `xml:",omitempty" json:",omitempty"`
	MetricName *string     `xml:",omitempty" json:",omitempty"`
	Dimensions []Dimension `xml:"Dimensions>member" json:",omitempty"`
}

// MetricStat is a metric, a period and a statistic.
type MetricStat struct {
	Metric *Metric `xml:",omitempty" json:",omitempty"`
	Period *int32  `xml:",omitempty" json:",omitempty"`
	Stat   *string `xml:",omitempty" json:",omitempty"`
	Unit   *string `xml:",omitempty" json:",omitempty"`
}

// MetricDataQuery is one metric or metric-math expression of an alarm or a
// GetMetricData call.
type MetricDataQuery struct {
	Id         *string     `xml:",omitempty" json:",omitempty"`
	MetricStat *MetricStat `xml:",omitempty" json:",omitempty"`
	Expression *string     `xml:",omitempty" json:",omitempty"`
	Label      *string     `xml:",omitempty" json:",omitempty"`
	ReturnData *bool       `xml:",omitempty" json:",omitempty"`
	Period     *int32      `xml:",omitempty" json:",omitempty"`
	AccountId  *string     `xml:",omitempty" json:",omitempty"`
}

// Tag is a key/value tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// MetricAlarm is a metric alarm as DescribeAlarms returns it.
type MetricAlarm struct {
	AlarmName                          *string           `xml:",omitempty" json:",omitempty"`
	AlarmArn                           *string           `xml:",omitempty" json:",omitempty"`
	AlarmDescription                   *string           `xml:",omitempty" json:",omitempty"`
	AlarmConfigurationUpdatedTimestamp *time.Time        `xml:",omitempty" json:",omitempty"`
	ActionsEnabled                     *bool             `xml:",omitempty" json:",omitempty"`
	OKActions                          []string          `xml:"OKActions>member" json:",omitempty"`
	AlarmActions                       []string          `xml:"AlarmActions>member" json:",omitempty"`
	InsufficientDataActions            []string          `xml:"InsufficientDataActions>member" json:",omitempty"`
	StateValue                         *string           `xml:",omitempty" json:",omitempty"`
	StateReason                        *string           `xml:",omitempty" json:",omitempty"`
	StateReasonData                    *string           `xml:",omitempty" json:",omitempty"`
	StateUpdatedTimestamp              *time.Time        `xml:",omitempty" json:",omitempty"`
	StateTransitionedTimestamp         *time.Time        `xml:",omitempty" json:",omitempty"`
	MetricName                         *string           `xml:",omitempty" json:",omitempty"`
	Namespace                          *string           `xml:",omitempty" json:",omitempty"`
	Statistic                          *string           `xml:",omitempty" json:",omitempty"`
	ExtendedStatistic                  *string           `xml:",omitempty" json:",omitempty"`
	Dimensions                         []Dimension       `xml:"Dimensions>member" json:",omitempty"`
	Period                             *int32            `xml:",omitempty" json:",omitempty"`
	Unit                               *string           `xml:",omitempty" json:",omitempty"`
	EvaluationPeriods                  *int32            `xml:",omitempty" json:",omitempty"`
	DatapointsToAlarm                  *int32            `xml:",omitempty" json:",omitempty"`
	Threshold                          *float64          `xml:",omitempty" json:",omitempty"`
	ComparisonOperator                 *string           `xml:",omitempty" json:",omitempty"`
	TreatMissingData                   *string           `xml:",omitempty" json:",omitempty"`
	EvaluateLowSampleCountPercentile   *string           `xml:",omitempty" json:",omitempty"`
	Metrics                            []MetricDataQuery `xml:"Metrics>member" json:",omitempty"`
	ThresholdMetricId                  *string           `xml:",omitempty" json:",omitempty"`
}

// CompositeAlarm is a composite alarm as DescribeAlarms returns it.
type CompositeAlarm struct {
	AlarmName                          *string    `xml:",omitempty" json:",omitempty"`
	AlarmArn                           *string    `xml:",omitempty" json:",omitempty"`
	AlarmDescription                   *string    `xml:",omitempty" json:",omitempty"`
	AlarmRule                          *string    `xml:",omitempty" json:",omitempty"`
	AlarmConfigurationUpdatedTimestamp *time.Time `xml:",omitempty" json:",omitempty"`
	ActionsEnabled                     *bool      `xml:",omitempty" json:",omitempty"`
	OKActions                          []string   `xml:"OKActions>member" json:",omitempty"`
	AlarmActions                       []string   `xml:"AlarmActions>member" json:",omitempty"`
	InsufficientDataActions            []string   `xml:"InsufficientDataActions>member" json:",omitempty"`
	StateValue                         *string    `xml:",omitempty" json:",omitempty"`
	StateReason                        *string    `xml:",omitempty" json:",omitempty"`
	StateReasonData                    *string    `xml:",omitempty" json:",omitempty"`
	StateUpdatedTimestamp              *time.Time `xml:",omitempty" json:",omitempty"`
	StateTransitionedTimestamp         *time.Time `xml:",omitempty" json:",omitempty"`
	ActionsSuppressedBy                *string    `xml:",omitempty" json:",omitempty"`
	ActionsSuppressedReason            *string    `xml:",omitempty" json:",omitempty"`
	ActionsSuppressor                  *string    `xml:",omitempty" json:",omitempty"`
	ActionsSuppressorWaitPeriod        *int32     `xml:",omitempty" json:",omitempty"`
	ActionsSuppressorExtensionPeriod   *int32     `xml:",omitempty" json:",omitempty"`
}

// AlarmHistoryItem is one entry of DescribeAlarmHistory.
type AlarmHistoryItem struct {
	AlarmName       *string    `xml:",omitempty" json:",omitempty"`
	AlarmType       *string    `xml:",omitempty" json:",omitempty"`
	Timestamp       *time.Time `xml:",omitempty" json:",omitempty"`
	HistoryItemType *string    `xml:",omitempty" json:",omitempty"`
	HistorySummary  *string    `xml:",omitempty" json:",omitempty"`
	HistoryData     *string    `xml:",omitempty" json:",omitempty"`
}

// StatisticSet is a pre-aggregated set of values.
type StatisticSet struct {
	SampleCount float64
	Sum         float64
	Minimum     float64
	Maximum     float64
}

// MetricDatum is one element of PutMetricData.
type MetricDatum struct {
	MetricName        *string
	Dimensions        []Dimension
	Timestamp         *time.Time
	Value             *float64
	StatisticValues   *StatisticSet
	Values            []float64
	Counts            []float64
	Unit              *string
	StorageResolution *int32
}

// Datapoint is one period of GetMetricStatistics.
type Datapoint struct {
	Timestamp          *time.Time `xml:",omitempty" json:",omitempty"`
	SampleCount        *float64   `xml:",omitempty" json:",omitempty"`
	Average            *float64   `xml:",omitempty" json:",omitempty"`
	Sum                *float64   `xml:",omitempty" json:",omitempty"`
	Minimum            *float64   `xml:",omitempty" json:",omitempty"`
	Maximum            *float64   `xml:",omitempty" json:",omitempty"`
	Unit               *string    `xml:",omitempty" json:",omitempty"`
	ExtendedStatistics statMap    `xml:",omitempty" json:",omitempty"`
}

// MessageData is a message attached to a GetMetricData result.
type MessageData struct {
	Code  *string `xml:",omitempty" json:",omitempty"`
	Value *string `xml:",omitempty" json:",omitempty"`
}

// MetricDataResult is one series of GetMetricData.
type MetricDataResult struct {
	Id         *string       `xml:",omitempty" json:",omitempty"`
	Label      *string       `xml:",omitempty" json:",omitempty"`
	Timestamps []time.Time   `xml:"Timestamps>member"`
	Values     []float64     `xml:"Values>member"`
	StatusCode *string       `xml:",omitempty" json:",omitempty"`
	Messages   []MessageData `xml:"Messages>member" json:",omitempty"`
}

// statMap is a string→number map: in the query protocol an
// <entry><key/><value/></entry> list, in CBOR a map.
type statMap map[string]float64

// MarshalXML writes the query protocol's map encoding, keys sorted.
func (m statMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		entry := struct {
			Key   string `xml:"key"`
			Value string `xml:"value"`
		}{k, strconv.FormatFloat(m[k], 'g', -1, 64)}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
