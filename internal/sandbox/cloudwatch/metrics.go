package cloudwatch

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// metricDoc records that a metric exists (ListMetrics) and when it last
// received data.
type metricDoc struct {
	Namespace  string      `json:"namespace"`
	MetricName string      `json:"metric_name"`
	Dimensions []Dimension `json:"dimensions,omitempty"`
	LastPut    time.Time   `json:"last_put"`
}

// metricID returns a stable id of (namespace, name, dimensions): the
// dimensions are sorted by name, as CloudWatch treats them as a set.
func metricID(namespace, name string, dims []Dimension) (string, []Dimension) {
	sorted := append([]Dimension(nil), dims...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	b, _ := json.Marshal([]any{namespace, name, sorted})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), sorted
}

func metricKey(region, namespace, name, id string) string {
	return region + "/" + url.PathEscape(namespace) + "/" + url.PathEscape(name) + "/" + id
}

func pointKeyPrefix(region, id string) string { return region + "/" + id + "/" }

func pointKey(region, id string, t time.Time) string {
	return fmt.Sprintf("%s%019d/%s", pointKeyPrefix(region, id), t.UnixNano(), randHex(4))
}

// Sample is one value of a metric for PutSamples.
type Sample struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
	Timestamp  time.Time
	Value      float64
	Count      float64 // weight of Value; 0 means 1
	Unit       string  // a StandardUnit; empty means None
}

// PutSamples records samples inside the caller's transaction, with no
// validation of the namespace (services publish to AWS/… namespaces).
// CloudWatch Logs metric filters use it, and so will the simulators.
// Samples of one metric, timestamp and unit are stored as one datum.
func PutSamples(tx *state.Tx, region string, samples []Sample) error {
	type groupKey struct {
		id   string
		t    int64
		unit string
	}
	type group struct {
		key  groupKey
		ns   string
		name string
		dims []Dimension
		t    time.Time
		p    pointDoc
	}
	groups := map[groupKey]*group{}
	var order []groupKey
	for _, s := range samples {
		id, dims := metricID(s.Namespace, s.MetricName, s.Dimensions)
		k := groupKey{id, s.Timestamp.UnixNano(), s.Unit}
		g := groups[k]
		if g == nil {
			g = &group{key: k, ns: s.Namespace, name: s.MetricName, dims: dims, t: s.Timestamp.UTC(),
				p: pointDoc{T: s.Timestamp.UTC(), U: s.Unit}}
			groups[k] = g
			order = append(order, k)
		}
		w := s.Count
		if w == 0 {
			w = 1
		}
		g.p.V = append(g.p.V, s.Value)
		g.p.C = append(g.p.C, w)
	}
	for _, k := range order {
		g := groups[k]
		if err := storePoint(tx, region, g.ns, g.name, g.dims, g.key.id, g.p); err != nil {
			return err
		}
	}
	return nil
}

func storePoint(tx *state.Tx, region, namespace, name string, dims []Dimension, id string, p pointDoc) error {
	if err := tx.Put(nsDatapoint, pointKey(region, id, p.T), p); err != nil {
		return err
	}
	key := metricKey(region, namespace, name, id)
	var m metricDoc
	if err := tx.Get(nsMetric, key, &m); err != nil && !service.IsNotFound(err) {
		return err
	}
	if m.LastPut.Before(p.T) || m.MetricName == "" {
		m = metricDoc{Namespace: namespace, MetricName: name, Dimensions: dims, LastPut: maxTime(m.LastPut, p.T)}
		return tx.Put(nsMetric, key, m)
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// loadPoints reads the stored points of one metric with start <= T < end.
func loadPoints(tx *state.Tx, region, id string, start, end time.Time) ([]pointDoc, error) {
	prefix := pointKeyPrefix(region, id)
	after := fmt.Sprintf("%s%019d", prefix, start.UnixNano()-1)
	if start.UnixNano() <= 0 {
		after = ""
	}
	endKey := fmt.Sprintf("%s%019d", prefix, end.UnixNano())
	var out []pointDoc
	for {
		entries, err := tx.List(state.ListParams{NS: nsDatapoint, Prefix: prefix, After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Key >= endKey {
				return out, nil
			}
			var p pointDoc
			if err := json.Unmarshal(e.Value, &p); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		if len(entries) < 1000 {
			return out, nil
		}
		after = entries[len(entries)-1].Key
	}
}

// PutMetricDataInput is the input of PutMetricData.
type PutMetricDataInput struct {
	Namespace              *string
	MetricData             []MetricDatum
	StrictEntityValidation *bool
}

func (s *Service) putMetricData(ctx context.Context, r *service.Request, in *PutMetricDataInput) (*empty, error) {
	ns := deref(in.Namespace)
	if ns == "" {
		return nil, errMissing("Namespace")
	}
	if len(ns) > 255 {
		return nil, errInvalid("The value for parameter Namespace must be at most 255 characters long.")
	}
	if strings.HasPrefix(ns, "AWS/") {
		return nil, errInvalid("The value AWS/ for parameter Namespace is invalid.")
	}
	if len(in.MetricData) == 0 {
		return nil, errMissing("MetricData")
	}
	if len(in.MetricData) > 1000 {
		return nil, errInvalid("The collection MetricData must not have a size greater than 1000.")
	}
	now := s.now()
	type prepared struct {
		id   string
		dims []Dimension
		name string
		p    pointDoc
	}
	var batch []prepared
	for i, d := range in.MetricData {
		p, err := validateDatum(i+1, d, now)
		if err != nil {
			return nil, err
		}
		id, dims := metricID(ns, *d.MetricName, d.Dimensions)
		batch = append(batch, prepared{id, dims, *d.MetricName, p})
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		for _, b := range batch {
			if err := storePoint(tx, region, ns, b.name, b.dims, b.id, b.p); err != nil {
				return err
			}
		}
		return nil
	})
	return nil, err
}

func validateDatum(n int, d MetricDatum, now time.Time) (pointDoc, error) {
	at := func(field string) string { return fmt.Sprintf("MetricData.member.%d.%s", n, field) }
	name := deref(d.MetricName)
	if name == "" {
		return pointDoc{}, errMissing(at("MetricName"))
	}
	if len(name) > 255 {
		return pointDoc{}, errInvalid("The value for parameter %s must be at most 255 characters long.", at("MetricName"))
	}
	if len(d.Dimensions) > 30 {
		return pointDoc{}, errInvalid("The collection %s must not have a size greater than 30.", at("Dimensions"))
	}
	seen := map[string]bool{}
	for _, dim := range d.Dimensions {
		if dim.Name == "" || dim.Value == "" {
			return pointDoc{}, errInvalid("The dimensions of %s must each have a non-empty Name and Value.", at("Dimensions"))
		}
		if seen[dim.Name] {
			return pointDoc{}, errInvalid("The dimension %s is repeated in %s.", dim.Name, at("Dimensions"))
		}
		seen[dim.Name] = true
	}
	kinds := 0
	if d.Value != nil {
		kinds++
	}
	if d.StatisticValues != nil {
		kinds++
	}
	if len(d.Values) > 0 {
		kinds++
	}
	if kinds == 0 {
		return pointDoc{}, errMissing(at("Value"))
	}
	if kinds > 1 {
		return pointDoc{}, errCombination("The parameters %s, %s and %s are mutually exclusive.", at("Value"), at("StatisticValues"), at("Values"))
	}
	if len(d.Values) > 150 {
		return pointDoc{}, errInvalid("The collection %s must not have a size greater than 150.", at("Values"))
	}
	if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) {
		return pointDoc{}, errInvalid("The parameters %s and %s must be of the same size.", at("Values"), at("Counts"))
	}
	if d.Unit != nil && !standardUnits[*d.Unit] {
		return pointDoc{}, errInvalid("The value %s for parameter %s is invalid.", *d.Unit, at("Unit"))
	}
	if d.StorageResolution != nil && *d.StorageResolution != 1 && *d.StorageResolution != 60 {
		return pointDoc{}, errInvalid("The value %d for parameter %s is invalid: use 1 or 60.", *d.StorageResolution, at("StorageResolution"))
	}
	ts := now
	if d.Timestamp != nil && !d.Timestamp.IsZero() {
		ts = d.Timestamp.UTC()
	}
	if ts.Before(now.Add(-14 * 24 * time.Hour)) {
		return pointDoc{}, errInvalid("The parameter %s must specify a time no more than two weeks in the past.", at("Timestamp"))
	}
	if ts.After(now.Add(2 * time.Hour)) {
		return pointDoc{}, errInvalid("The parameter %s must specify a time no more than two hours in the future.", at("Timestamp"))
	}
	check := func(field string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errInvalid("The value for parameter %s must be a finite number.", at(field))
		}
		if a := math.Abs(v); a != 0 && (a < 8.515920e-109 || a > 1.174271e+108) {
			return errInvalid("The value %g for parameter %s is outside the range CloudWatch accepts (magnitude 8.515920e-109 to 1.174271e+108, or 0).", v, at(field))
		}
		return nil
	}
	p := pointDoc{T: ts, U: deref(d.Unit)}
	switch {
	case d.Value != nil:
		if err := check("Value", *d.Value); err != nil {
			return pointDoc{}, err
		}
		p.V = []float64{*d.Value}
	case d.StatisticValues != nil:
		sv := *d.StatisticValues
		for _, f := range []struct {
			name string
			v    float64
		}{{"SampleCount", sv.SampleCount}, {"Sum", sv.Sum}, {"Minimum", sv.Minimum}, {"Maximum", sv.Maximum}} {
			if err := check("StatisticValues."+f.name, f.v); err != nil {
				return pointDoc{}, err
			}
		}
		if sv.SampleCount <= 0 {
			return pointDoc{}, errInvalid("The value for parameter %s must be greater than 0.", at("StatisticValues.SampleCount"))
		}
		if sv.Minimum > sv.Maximum {
			return pointDoc{}, errInvalid("The value of %s must not be greater than %s.", at("StatisticValues.Minimum"), at("StatisticValues.Maximum"))
		}
		p.S = &sv
	default:
		for _, v := range d.Values {
			if err := check("Values", v); err != nil {
				return pointDoc{}, err
			}
		}
		for _, c := range d.Counts {
			if err := check("Counts", c); err != nil {
				return pointDoc{}, err
			}
			if c < 0 {
				return pointDoc{}, errInvalid("The values of %s must not be negative.", at("Counts"))
			}
		}
		p.V = d.Values
		if len(d.Counts) > 0 {
			p.C = d.Counts
		}
	}
	return p, nil
}

// GetMetricStatisticsInput is the input of GetMetricStatistics.
type GetMetricStatisticsInput struct {
	Namespace          *string
	MetricName         *string
	Dimensions         []Dimension
	StartTime          *time.Time
	EndTime            *time.Time
	Period             *int32
	Statistics         []string
	ExtendedStatistics []string
	Unit               *string
}

// GetMetricStatisticsOutput is the output of GetMetricStatistics.
type GetMetricStatisticsOutput struct {
	Label      *string     `xml:",omitempty" json:",omitempty"`
	Datapoints []Datapoint `xml:"Datapoints>member"`
}

func (s *Service) getMetricStatistics(ctx context.Context, r *service.Request, in *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error) {
	switch {
	case deref(in.Namespace) == "":
		return nil, errMissing("Namespace")
	case deref(in.MetricName) == "":
		return nil, errMissing("MetricName")
	case in.StartTime == nil:
		return nil, errMissing("StartTime")
	case in.EndTime == nil:
		return nil, errMissing("EndTime")
	case in.Period == nil:
		return nil, errMissing("Period")
	}
	if len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0 {
		return nil, errCombination("Must specify either Statistics or ExtendedStatistics.")
	}
	if len(in.Statistics) > 5 || len(in.ExtendedStatistics) > 10 {
		return nil, errInvalid("At most 5 Statistics and 10 ExtendedStatistics may be requested.")
	}
	for _, st := range in.Statistics {
		if !statistics[st] {
			return nil, errInvalid("The value %s for parameter Statistics is invalid.", st)
		}
	}
	for _, st := range in.ExtendedStatistics {
		if !extendedStatRE.MatchString(st) {
			return nil, errInvalid("The value %s for parameter ExtendedStatistics is invalid.", st)
		}
		if !supportedStat(st) {
			return nil, errInvalid("The vigil sandbox computes percentile extended statistics (pNN) only, not %s.", st)
		}
	}
	if !validPeriod(*in.Period) {
		return nil, errInvalid("The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.")
	}
	if in.Unit != nil && !standardUnits[*in.Unit] {
		return nil, errInvalid("The value %s for parameter Unit is invalid.", *in.Unit)
	}
	start, end := in.StartTime.UTC(), in.EndTime.UTC()
	if !start.Before(end) {
		return nil, errInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	period := int64(*in.Period)
	if n := (end.Unix() - start.Unix() + period - 1) / period; n > 1440 {
		return nil, errCombination("You have requested up to %d datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n)
	}
	id, _ := metricID(*in.Namespace, *in.MetricName, in.Dimensions)
	region := s.env.RegionOf(r)
	var points []pointDoc
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		var err error
		points, err = loadPoints(tx, region, id, start, end)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []Datapoint{}}
	for _, b := range aggregate(points, start, end, period, deref(in.Unit)) {
		dp := Datapoint{Timestamp: ptr(b.start), Unit: ptr(unitOrNone(b.unit, in.Unit))}
		for _, st := range in.Statistics {
			v, _ := b.stat(st)
			switch st {
			case "SampleCount":
				dp.SampleCount = ptr(v)
			case "Sum":
				dp.Sum = ptr(v)
			case "Average":
				dp.Average = ptr(v)
			case "Minimum":
				dp.Minimum = ptr(v)
			case "Maximum":
				dp.Maximum = ptr(v)
			}
		}
		for _, st := range in.ExtendedStatistics {
			if v, ok := b.stat(st); ok {
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = statMap{}
				}
				dp.ExtendedStatistics[st] = v
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

func unitOrNone(stored string, asked *string) string {
	if asked != nil {
		return *asked
	}
	if stored == "" {
		return "None"
	}
	return stored
}

// ListMetricsInput is the input of ListMetrics.
type ListMetricsInput struct {
	Namespace             *string
	MetricName            *string
	Dimensions            []DimensionFilter
	NextToken             *string
	RecentlyActive        *string
	IncludeLinkedAccounts *bool
	OwningAccount         *string
}

// ListMetricsOutput is the output of ListMetrics.
type ListMetricsOutput struct {
	Metrics   []Metric `xml:"Metrics>member"`
	NextToken *string  `xml:",omitempty" json:",omitempty"`
}

func (s *Service) listMetrics(ctx context.Context, r *service.Request, in *ListMetricsInput) (*ListMetricsOutput, error) {
	if len(in.Dimensions) > 10 {
		return nil, errInvalid("The collection Dimensions must not have a size greater than 10.")
	}
	if in.RecentlyActive != nil && *in.RecentlyActive != "PT3H" {
		return nil, errInvalid("The value %s for parameter RecentlyActive is invalid: the only value is PT3H.", *in.RecentlyActive)
	}
	region := s.env.RegionOf(r)
	prefix := region + "/"
	if in.Namespace != nil {
		prefix += url.PathEscape(*in.Namespace) + "/"
		if in.MetricName != nil {
			prefix += url.PathEscape(*in.MetricName) + "/"
		}
	}
	after := ""
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			return nil, errBadToken(*in.NextToken)
		}
		after = string(b)
	}
	now := s.now()
	oldest := now.Add(-14 * 24 * time.Hour)
	if in.RecentlyActive != nil {
		oldest = now.Add(-3 * time.Hour)
	}
	const pageSize = 500
	out := &ListMetricsOutput{Metrics: []Metric{}}
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		for {
			entries, err := tx.List(state.ListParams{NS: nsMetric, Prefix: prefix, After: after, Limit: 1000})
			if err != nil {
				return err
			}
			for _, e := range entries {
				var m metricDoc
				if err := json.Unmarshal(e.Value, &m); err != nil {
					return err
				}
				if m.LastPut.Before(oldest) || (in.MetricName != nil && m.MetricName != *in.MetricName) || !dimensionsMatch(m.Dimensions, in.Dimensions) {
					continue
				}
				if len(out.Metrics) == pageSize {
					out.NextToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(after)))
					return nil
				}
				out.Metrics = append(out.Metrics, Metric{Namespace: ptr(m.Namespace), MetricName: ptr(m.MetricName), Dimensions: m.Dimensions})
				after = e.Key
			}
			if len(entries) < 1000 {
				return nil
			}
			after = entries[len(entries)-1].Key
		}
	})
	return out, err
}

func dimensionsMatch(have []Dimension, filters []DimensionFilter) bool {
	for _, f := range filters {
		found := false
		for _, d := range have {
			if d.Name == f.Name && (f.Value == nil || *f.Value == d.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
