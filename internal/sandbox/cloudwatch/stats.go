package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Aggregation of stored datapoints into periods, as CloudWatch does it:
//
//   - a period ("bucket") starts at the datapoint's timestamp truncated to
//     a multiple of the period (epoch-aligned);
//   - SampleCount, Sum, Minimum, Maximum add up raw values (weighted by
//     their Counts) and statistic sets; Average = Sum / SampleCount;
//   - a percentile pNN is computed over the raw values of the bucket with
//     the nearest-rank rule: the smallest value v such that at least NN% of
//     the samples (by weight) are <= v. CloudWatch's own percentiles come
//     from a sketch that equals this on small exact sets;
//   - as on AWS, percentiles are unavailable for a bucket holding a
//     statistic set whose SampleCount is not 1 and whose Minimum differs
//     from its Maximum, or holding any negative value: that bucket then has
//     no value for the percentile.

// pointDoc is one stored PutMetricData datum (or a group of samples with
// the same metric, timestamp and unit).
type pointDoc struct {
	T time.Time     `json:"t"`
	V []float64     `json:"v,omitempty"`
	C []float64     `json:"c,omitempty"` // weights parallel to V; nil means 1 each
	S *StatisticSet `json:"s,omitempty"`
	U string        `json:"u,omitempty"`
}

type weighted struct{ v, w float64 }

// bucket accumulates one period.
type bucket struct {
	start    time.Time
	count    float64
	sum      float64
	min, max float64
	raw      []weighted
	noPct    bool // percentiles unavailable
	unit     string
}

func (b *bucket) add(v, w float64) {
	if b.count == 0 {
		b.min, b.max = v, v
	}
	b.count += w
	b.sum += v * w
	b.min = math.Min(b.min, v)
	b.max = math.Max(b.max, v)
	b.raw = append(b.raw, weighted{v, w})
	if v < 0 {
		b.noPct = true
	}
}

func (b *bucket) addSet(s StatisticSet) {
	switch {
	case s.SampleCount == 1:
		b.add(s.Sum, 1)
		return
	case s.Minimum == s.Maximum:
		b.add(s.Minimum, s.SampleCount)
		// Sum of a set may differ from Min*Count by rounding; trust it.
		b.sum += s.Sum - s.Minimum*s.SampleCount
		return
	}
	if b.count == 0 {
		b.min, b.max = s.Minimum, s.Maximum
	}
	b.count += s.SampleCount
	b.sum += s.Sum
	b.min = math.Min(b.min, s.Minimum)
	b.max = math.Max(b.max, s.Maximum)
	b.noPct = true
}

func (b *bucket) addPoint(p pointDoc) {
	if b.unit == "" {
		b.unit = p.U
	}
	if p.S != nil {
		b.addSet(*p.S)
	}
	for i, v := range p.V {
		w := 1.0
		if i < len(p.C) {
			w = p.C[i]
		}
		if w <= 0 {
			continue
		}
		b.add(v, w)
	}
}

// stat returns a statistic of the bucket; ok is false when it has no value
// (an empty bucket, or a percentile that is unavailable).
func (b *bucket) stat(name string) (float64, bool) {
	if b.count == 0 {
		return 0, false
	}
	switch name {
	case "SampleCount":
		return b.count, true
	case "Sum":
		return b.sum, true
	case "Average":
		return b.sum / b.count, true
	case "Minimum":
		return b.min, true
	case "Maximum":
		return b.max, true
	}
	p, err := parsePercentile(name)
	if err != nil || b.noPct {
		return 0, false
	}
	return percentile(b.raw, p), true
}

// percentile is the nearest-rank percentile (0 ≤ p ≤ 100) of weighted
// values.
func percentile(raw []weighted, p float64) float64 {
	vals := append([]weighted(nil), raw...)
	sort.Slice(vals, func(i, j int) bool { return vals[i].v < vals[j].v })
	total := 0.0
	for _, x := range vals {
		total += x.w
	}
	target := p / 100 * total
	cum := 0.0
	for _, x := range vals {
		cum += x.w
		if cum >= target-1e-9*total {
			return x.v
		}
	}
	return vals[len(vals)-1].v
}

// parsePercentile parses "p99", "p99.9", "p100".
func parsePercentile(stat string) (float64, error) {
	if !percentileRE.MatchString(stat) {
		return 0, fmt.Errorf("not a percentile: %q", stat)
	}
	return strconv.ParseFloat(stat[1:], 64)
}

// supportedStat reports whether the sandbox can compute a statistic.
func supportedStat(stat string) bool {
	if statistics[stat] {
		return true
	}
	_, err := parsePercentile(stat)
	return err == nil
}

// aggregate groups points into epoch-aligned buckets of period seconds,
// keeping points with start <= T < end, and returns the non-empty buckets
// in time order. unit, when not empty, keeps only points of that unit.
func aggregate(points []pointDoc, start, end time.Time, period int64, unit string) []*bucket {
	byStart := map[int64]*bucket{}
	for _, p := range points {
		if p.T.Before(start) || !p.T.Before(end) {
			continue
		}
		if unit != "" && unitOf(p) != unit {
			continue
		}
		sec := p.T.Unix()
		bs := sec - mod(sec, period)
		b := byStart[bs]
		if b == nil {
			b = &bucket{start: time.Unix(bs, 0).UTC()}
			byStart[bs] = b
		}
		b.addPoint(p)
	}
	out := make([]*bucket, 0, len(byStart))
	for _, b := range byStart {
		if b.count > 0 {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

func unitOf(p pointDoc) string {
	if p.U == "" {
		return "None"
	}
	return p.U
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// validPeriod: 1, 5, 10, 20, 30 or a multiple of 60 seconds.
func validPeriod(p int32) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p > 0 && p%60 == 0
}
