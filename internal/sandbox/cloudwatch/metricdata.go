package cloudwatch

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// GetMetricDataInput is the input of GetMetricData.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery
	StartTime         *time.Time
	EndTime           *time.Time
	NextToken         *string
	ScanBy            *string
	MaxDatapoints     *int32
	LabelOptions      *struct{ Timezone *string }
}

// GetMetricDataOutput is the output of GetMetricData.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult `xml:"MetricDataResults>member"`
	Messages          []MessageData      `xml:"Messages>member" json:",omitempty"`
	NextToken         *string            `xml:",omitempty" json:",omitempty"`
}

func (s *Service) getMetricData(ctx context.Context, r *service.Request, in *GetMetricDataInput) (*GetMetricDataOutput, error) {
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, errMissing("MetricDataQueries")
	case in.StartTime == nil:
		return nil, errMissing("StartTime")
	case in.EndTime == nil:
		return nil, errMissing("EndTime")
	}
	if len(in.MetricDataQueries) > 500 {
		return nil, errInvalid("The collection MetricDataQueries must not have a size greater than 500.")
	}
	start, end := in.StartTime.UTC(), in.EndTime.UTC()
	if !start.Before(end) {
		return nil, errInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	descending := true
	if in.ScanBy != nil {
		switch *in.ScanBy {
		case "TimestampDescending":
		case "TimestampAscending":
			descending = false
		default:
			return nil, errInvalid("The value %s for parameter ScanBy is invalid.", *in.ScanBy)
		}
	}
	byID := map[string]*MetricDataQuery{}
	exprs := map[string]mexpr{}
	var defaultPeriod int32
	for i := range in.MetricDataQueries {
		q := &in.MetricDataQueries[i]
		id := deref(q.Id)
		if !queryIDRE.MatchString(id) {
			return nil, errValidation("The value %q for parameter MetricDataQueries.member.%d.Id is invalid: it must start with a lower-case letter and contain only letters, numbers and underscores.", id, i+1)
		}
		if byID[id] != nil {
			return nil, errValidation("The Id %q is used by more than one member of MetricDataQueries.", id)
		}
		byID[id] = q
		hasExpr, hasStat := deref(q.Expression) != "", q.MetricStat != nil
		if hasExpr == hasStat {
			return nil, errValidation("The member %q of MetricDataQueries must have exactly one of Expression and MetricStat.", id)
		}
		if hasStat {
			ms := q.MetricStat
			if ms.Metric == nil || deref(ms.Metric.MetricName) == "" || deref(ms.Metric.Namespace) == "" {
				return nil, errMissing("MetricDataQueries.member." + strconv.Itoa(i+1) + ".MetricStat.Metric")
			}
			if ms.Period == nil || !validPeriod(*ms.Period) {
				return nil, errInvalid("The member %q of MetricDataQueries needs a MetricStat.Period of 1, 5, 10, 20, 30 or a multiple of 60.", id)
			}
			if !supportedStat(deref(ms.Stat)) {
				if deref(ms.Stat) == "" || !extendedStatRE.MatchString(*ms.Stat) {
					return nil, errInvalid("The value %q for the Stat of member %q is invalid.", deref(ms.Stat), id)
				}
				return nil, errInvalid("The vigil sandbox computes SampleCount, Sum, Average, Minimum, Maximum and pNN only, not %s (member %q).", *ms.Stat, id)
			}
			if ms.Unit != nil && !standardUnits[*ms.Unit] {
				return nil, errInvalid("The value %s for parameter Unit is invalid.", *ms.Unit)
			}
			if defaultPeriod == 0 {
				defaultPeriod = *ms.Period
			}
		} else {
			e, err := parseExpression(*q.Expression)
			if err != nil {
				return nil, errValidation("The expression of member %q is invalid: %v", id, err)
			}
			exprs[id] = e
		}
		if q.Period != nil && !validPeriod(*q.Period) {
			return nil, errInvalid("The Period of member %q must be 1, 5, 10, 20, 30 or a multiple of 60.", id)
		}
	}
	if defaultPeriod == 0 {
		defaultPeriod = 60
	}
	region := s.env.RegionOf(r)
	cache := map[string]series{}
	visiting := map[string]bool{}
	var out GetMetricDataOutput
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		var resolve func(id string) (series, error)
		resolve = func(id string) (series, error) {
			if sr, ok := cache[id]; ok {
				return sr, nil
			}
			q := byID[id]
			if q == nil {
				return nil, errValidation("Metric math refers to %q, which is not the Id of a member of MetricDataQueries.", id)
			}
			if visiting[id] {
				return nil, errValidation("Metric math expressions refer to each other in a cycle through %q.", id)
			}
			visiting[id] = true
			defer delete(visiting, id)
			var sr series
			if ms := q.MetricStat; ms != nil {
				mid, _ := metricID(*ms.Metric.Namespace, *ms.Metric.MetricName, ms.Metric.Dimensions)
				points, err := loadPoints(tx, region, mid, start, end)
				if err != nil {
					return nil, err
				}
				sr = series{}
				for _, b := range aggregate(points, start, end, int64(*ms.Period), deref(ms.Unit)) {
					if v, ok := b.stat(*ms.Stat); ok {
						sr[b.start.Unix()] = v
					}
				}
			} else {
				period := defaultPeriod
				if q.Period != nil {
					period = *q.Period
				}
				v, err := evalExpr(exprs[id], &mathEnv{ref: resolve, grid: grid(start, end, int64(period))})
				if err != nil {
					return nil, errInvalid("Cannot evaluate the expression of member %q: %v", id, err)
				}
				if v.series == nil {
					return nil, errInvalid("The expression of member %q does not produce a time series.", id)
				}
				sr = v.series
			}
			cache[id] = sr
			return sr, nil
		}
		for i := range in.MetricDataQueries {
			q := &in.MetricDataQueries[i]
			id := *q.Id
			sr, err := resolve(id)
			if err != nil {
				return err
			}
			if q.ReturnData != nil && !*q.ReturnData {
				continue
			}
			label := deref(q.Label)
			if label == "" {
				if q.MetricStat != nil {
					label = *q.MetricStat.Metric.MetricName
				} else {
					label = id
				}
			}
			res := MetricDataResult{Id: ptr(id), Label: ptr(label), StatusCode: ptr("Complete"),
				Timestamps: []time.Time{}, Values: []float64{}}
			times := make([]int64, 0, len(sr))
			for t := range sr {
				times = append(times, t)
			}
			sort.Slice(times, func(a, b int) bool {
				if descending {
					return times[a] > times[b]
				}
				return times[a] < times[b]
			})
			for _, t := range times {
				res.Timestamps = append(res.Timestamps, time.Unix(t, 0).UTC())
				res.Values = append(res.Values, sr[t])
			}
			out.MetricDataResults = append(out.MetricDataResults, res)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.MetricDataResults == nil {
		out.MetricDataResults = []MetricDataResult{}
	}
	return &out, nil
}

// grid lists the period starts (epoch-aligned) that overlap [start, end).
func grid(start, end time.Time, period int64) []int64 {
	first := start.Unix() - mod(start.Unix(), period)
	var out []int64
	for t := first; t < end.Unix() && len(out) < 100_800; t += period {
		out = append(out, t)
	}
	return out
}
