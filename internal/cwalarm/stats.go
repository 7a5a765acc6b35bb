package cwalarm

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stat is a parsed statistic: one of the five standard statistics
// (SampleCount, Average, Sum, Minimum, Maximum) or an extended statistic:
// pNN, tmNN, wmNN, tcNN, tsNN, IQM, and the bounded forms TM(a:b), WM(a:b),
// TC(a:b), TS(a:b) and PR(a:b), bounds absolute or with %.
type Stat struct {
	kind      statKind
	name      string
	p         float64 // percentile, 0..100
	lo, hi    float64 // bounds
	hasLo     bool
	hasHi     bool
	pctBounds bool // bounds are percentages
}

type statKind uint8

const (
	statNone statKind = iota
	statSampleCount
	statSum
	statAverage
	statMinimum
	statMaximum
	statPercentile
	statTrimmedMean
	statWinsorizedMean
	statTrimmedCount
	statTrimmedSum
	statPercentileRank
)

// ParseStat parses a Statistic or ExtendedStatistic name.
func ParseStat(s string) (Stat, error) {
	switch s {
	case "SampleCount":
		return Stat{kind: statSampleCount, name: s}, nil
	case "Sum":
		return Stat{kind: statSum, name: s}, nil
	case "Average":
		return Stat{kind: statAverage, name: s}, nil
	case "Minimum":
		return Stat{kind: statMinimum, name: s}, nil
	case "Maximum":
		return Stat{kind: statMaximum, name: s}, nil
	case "IQM":
		return Stat{kind: statTrimmedMean, name: s, lo: 25, hi: 75, hasLo: true, hasHi: true, pctBounds: true}, nil
	}
	bad := func() (Stat, error) {
		return Stat{}, fmt.Errorf("cwalarm: %q is not a statistic (SampleCount, Average, Sum, Minimum, Maximum, pNN, tmNN, wmNN, tcNN, tsNN, IQM, TM(a:b), WM(a:b), TC(a:b), TS(a:b), PR(a:b))", s)
	}
	short := map[string]statKind{"p": statPercentile, "tm": statTrimmedMean, "wm": statWinsorizedMean, "tc": statTrimmedCount, "ts": statTrimmedSum}
	for _, prefix := range []string{"tm", "wm", "tc", "ts", "p"} {
		rest, ok := strings.CutPrefix(s, prefix)
		if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' {
			continue
		}
		v, err := parsePercent(rest)
		if err != nil {
			return bad()
		}
		k := short[prefix]
		if k == statPercentile {
			return Stat{kind: k, name: s, p: v}, nil
		}
		return Stat{kind: k, name: s, hi: v, hasHi: true, pctBounds: true}, nil
	}
	long := map[string]statKind{"TM": statTrimmedMean, "WM": statWinsorizedMean, "TC": statTrimmedCount, "TS": statTrimmedSum, "PR": statPercentileRank}
	if len(s) < 5 || s[2] != '(' || s[len(s)-1] != ')' {
		return bad()
	}
	k, ok := long[s[:2]]
	if !ok {
		return bad()
	}
	a, b, ok := strings.Cut(s[3:len(s)-1], ":")
	if !ok || (a == "" && b == "") {
		return bad()
	}
	st := Stat{kind: k, name: s}
	pa, pb := strings.HasSuffix(a, "%"), strings.HasSuffix(b, "%")
	if a != "" && b != "" && pa != pb {
		return Stat{}, fmt.Errorf("cwalarm: %q mixes a percentage and an absolute bound", s)
	}
	st.pctBounds = pa || pb
	if st.pctBounds && k == statPercentileRank {
		return Stat{}, fmt.Errorf("cwalarm: %q: PR takes absolute bounds, not percentages", s)
	}
	parse := func(x string) (float64, error) {
		if st.pctBounds {
			return parsePercent(strings.TrimSuffix(x, "%"))
		}
		return strconv.ParseFloat(x, 64)
	}
	if a != "" {
		v, err := parse(a)
		if err != nil {
			return bad()
		}
		st.lo, st.hasLo = v, true
	}
	if b != "" {
		v, err := parse(b)
		if err != nil {
			return bad()
		}
		st.hi, st.hasHi = v, true
	}
	if st.hasLo && st.hasHi && st.lo > st.hi {
		return Stat{}, fmt.Errorf("cwalarm: %q: the lower bound is above the upper one", s)
	}
	return st, nil
}

// MustParseStat is ParseStat for constant names; it panics on error.
func MustParseStat(s string) Stat {
	st, err := ParseStat(s)
	if err != nil {
		panic(err)
	}
	return st
}

func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 100 || strings.ContainsAny(s, "eE+-") {
		return 0, fmt.Errorf("not a percentage: %q", s)
	}
	return v, nil
}

// String is the statistic's name as given to ParseStat.
func (s Stat) String() string { return s.name }

// IsZero reports whether s is the zero Stat (no statistic).
func (s Stat) IsZero() bool { return s.kind == statNone }

// Extended reports whether s is an extended statistic (not one of the five
// standard ones).
func (s Stat) Extended() bool { return s.kind >= statPercentile }

// IsPercentile reports whether s is a pNN percentile.
func (s Stat) IsPercentile() bool { return s.kind == statPercentile }

// Distribution reports whether s needs the samples' distribution (every
// extended statistic), which statistic sets do not carry.
func (s Stat) Distribution() bool { return s.kind >= statPercentile }

// Upper is the name of a standard statistic as alarm notifications spell
// it (SUM, AVERAGE, SAMPLE_COUNT, MINIMUM, MAXIMUM), else the name.
func (s Stat) Upper() string {
	if s.kind == statSampleCount {
		return "SAMPLE_COUNT"
	}
	if s.Extended() {
		return s.name
	}
	return strings.ToUpper(s.name)
}

// LowSample reports whether count samples are too few for the percentile
// (EvaluateLowSampleCountPercentile): fewer than 10/(1-p) when
// 0.5 <= p < 1, fewer than 10/p when 0 < p < 0.5. Not a percentile, or p0
// and p100: never.
func (s Stat) LowSample(count float64) bool {
	if s.kind != statPercentile {
		return false
	}
	// Compare with a relative tolerance: 10/(1-0.9) is 100.00000000000001
	// in floating point, and 100 samples are enough for a p90.
	const tol = 1 - 1e-12
	p := s.p / 100
	switch {
	case p >= 0.5 && p < 1:
		return count < 10/(1-p)*tol
	case p > 0 && p < 0.5:
		return count < 10/p*tol
	}
	return false
}

// Bucket accumulates the samples of one period and computes statistics of
// them. The zero Bucket is empty; Reset empties it keeping its memory.
type Bucket struct {
	Count, Sum, Min, Max float64
	samples              []weighted
	noDist               bool // a statistic set or a negative value: no distribution
	sorted               bool
	// KeepSamples makes the bucket keep raw values for the distribution
	// statistics (extended statistics); without it they have no value.
	KeepSamples bool
}

type weighted struct{ v, w float64 }

// Reset empties the bucket, keeping KeepSamples and its memory.
func (b *Bucket) Reset() {
	keep, s := b.KeepSamples, b.samples[:0]
	*b = Bucket{KeepSamples: keep, samples: s}
}

// Add records one value.
func (b *Bucket) Add(v float64) { b.AddWeighted(v, 1) }

// AddWeighted records a value seen w times (PutMetricData Values/Counts).
func (b *Bucket) AddWeighted(v, w float64) {
	if w <= 0 {
		return
	}
	if b.Count == 0 {
		b.Min, b.Max = v, v
	}
	b.Count += w
	b.Sum += v * w
	b.Min = math.Min(b.Min, v)
	b.Max = math.Max(b.Max, v)
	if v < 0 {
		// CloudWatch has no percentiles for data with negative values.
		b.noDist = true
	}
	if b.KeepSamples && !b.noDist {
		b.samples = append(b.samples, weighted{v, w})
		b.sorted = false
	}
}

// AddSet records a statistic set (PutMetricData StatisticValues). A set of
// one sample, or of equal samples, still gives a distribution; any other
// set leaves the extended statistics without a value, as on AWS.
func (b *Bucket) AddSet(count, sum, minimum, maximum float64) {
	switch {
	case count <= 0:
		return
	case count == 1:
		b.AddWeighted(sum, 1)
		return
	case minimum == maximum:
		b.AddWeighted(minimum, count)
		b.Sum += sum - minimum*count // trust the set's sum
		return
	}
	if b.Count == 0 {
		b.Min, b.Max = minimum, maximum
	}
	b.Count += count
	b.Sum += sum
	b.Min = math.Min(b.Min, minimum)
	b.Max = math.Max(b.Max, maximum)
	b.noDist = true
}

// Value computes a statistic of the bucket; ok is false when it has none
// (no samples, or a distribution statistic the samples cannot give).
func (b *Bucket) Value(s Stat) (v float64, ok bool) {
	if b.Count == 0 {
		return 0, false
	}
	switch s.kind {
	case statSampleCount:
		return b.Count, true
	case statSum:
		return b.Sum, true
	case statAverage:
		return b.Sum / b.Count, true
	case statMinimum:
		return b.Min, true
	case statMaximum:
		return b.Max, true
	case statNone:
		return 0, false
	}
	if b.noDist || !b.KeepSamples || len(b.samples) == 0 {
		return 0, false
	}
	if !b.sorted {
		slices.SortFunc(b.samples, func(x, y weighted) int {
			switch {
			case x.v < y.v:
				return -1
			case x.v > y.v:
				return 1
			}
			return 0
		})
		b.sorted = true
	}
	total := 0.0
	for _, x := range b.samples {
		total += x.w
	}
	switch s.kind {
	case statPercentile:
		// Nearest rank: the smallest value with at least p% of the
		// samples (by weight) at or below it.
		target := s.p / 100 * total
		cum := 0.0
		for _, x := range b.samples {
			cum += x.w
			if cum >= target-1e-9*total {
				return x.v, true
			}
		}
		return b.samples[len(b.samples)-1].v, true
	case statPercentileRank:
		in := 0.0
		for _, x := range b.samples {
			if (!s.hasLo || x.v > s.lo) && (!s.hasHi || x.v <= s.hi) {
				in += x.w
			}
		}
		return 100 * in / total, true
	}
	return b.trimmed(s, total)
}

// trimmed computes TM, WM, TC and TS. Percentage bounds keep the part of
// each sample's weight that lies between lo% and hi% of the total weight
// (fractional at the edges); absolute bounds keep values with
// lo < v <= hi.
func (b *Bucket) trimmed(s Stat, total float64) (float64, bool) {
	var keptW, keptSum float64
	lowV, highV := math.NaN(), math.NaN()
	if s.pctBounds {
		loW, hiW := 0.0, total
		if s.hasLo {
			loW = s.lo / 100 * total
		}
		if s.hasHi {
			hiW = s.hi / 100 * total
		}
		cum := 0.0
		for _, x := range b.samples {
			from, to := cum, cum+x.w
			cum = to
			w := math.Min(to, hiW) - math.Max(from, loW)
			if w <= 1e-12*total {
				continue
			}
			if math.IsNaN(lowV) {
				lowV = x.v
			}
			highV = x.v
			keptW += w
			keptSum += w * x.v
		}
		if s.kind == statWinsorizedMean && keptW > 0 {
			return (keptSum + lowV*loW + highV*(total-hiW)) / total, true
		}
	} else {
		var wSum float64
		for _, x := range b.samples {
			v := x.v
			in := (!s.hasLo || v > s.lo) && (!s.hasHi || v <= s.hi)
			if in {
				keptW += x.w
				keptSum += x.w * v
			}
			if s.kind == statWinsorizedMean {
				if s.hasLo && v <= s.lo {
					v = s.lo
				}
				if s.hasHi && v > s.hi {
					v = s.hi
				}
				wSum += x.w * v
			}
		}
		if s.kind == statWinsorizedMean {
			return wSum / total, true
		}
	}
	switch s.kind {
	case statTrimmedCount:
		return keptW, true
	case statTrimmedSum:
		return keptSum, true
	}
	if keptW <= 0 {
		return 0, false
	}
	return keptSum / keptW, true
}

// Sample is one raw value of a metric.
type Sample struct {
	Time  time.Time
	Value float64
	// Count is the value's weight (PutMetricData Counts); 0 means 1.
	Count float64
}

// Aggregate buckets samples into n consecutive periods starting at start
// and returns one Point per period with the statistic's value (missing
// where the period has no samples, or no value for the statistic). Samples
// outside the periods are dropped; they need not be in order. dst is reused
// when it has room.
func Aggregate(samples []Sample, start time.Time, period time.Duration, n int, stat Stat, dst []Point) []Point {
	if cap(dst) >= n {
		dst = dst[:n]
		clear(dst)
	} else {
		dst = make([]Point, n)
	}
	for i := range dst {
		dst[i].Time = start.Add(time.Duration(i) * period)
	}
	if !slices.IsSortedFunc(samples, func(a, b Sample) int { return a.Time.Compare(b.Time) }) {
		samples = slices.Clone(samples)
		slices.SortStableFunc(samples, func(a, b Sample) int { return a.Time.Compare(b.Time) })
	}
	b := Bucket{KeepSamples: stat.Distribution()}
	cur := -1
	flush := func() {
		if cur < 0 {
			return
		}
		if v, ok := b.Value(stat); ok {
			dst[cur].Value, dst[cur].SampleCount, dst[cur].Present = v, b.Count, true
		}
		b.Reset()
	}
	for _, s := range samples {
		if s.Time.Before(start) {
			continue
		}
		idx := int(s.Time.Sub(start) / period)
		if idx >= n {
			break
		}
		if idx != cur {
			flush()
			cur = idx
		}
		w := s.Count
		if w == 0 {
			w = 1
		}
		b.AddWeighted(s.Value, w)
	}
	flush()
	return dst
}
