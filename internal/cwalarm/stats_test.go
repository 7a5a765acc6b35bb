package cwalarm

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func nanF() float64 { return math.NaN() }

func TestParseStat(t *testing.T) {
	tests := []struct {
		in        string
		extended  bool
		pct       bool
		upper     string
		wantError string
	}{
		{in: "Sum", upper: "SUM"},
		{in: "SampleCount", upper: "SAMPLE_COUNT"},
		{in: "Average", upper: "AVERAGE"},
		{in: "Minimum", upper: "MINIMUM"},
		{in: "Maximum", upper: "MAXIMUM"},
		{in: "p99", extended: true, pct: true, upper: "p99"},
		{in: "p99.9", extended: true, pct: true, upper: "p99.9"},
		{in: "p100", extended: true, pct: true, upper: "p100"},
		{in: "tm90", extended: true, upper: "tm90"},
		{in: "wm98", extended: true, upper: "wm98"},
		{in: "tc90", extended: true, upper: "tc90"},
		{in: "ts90", extended: true, upper: "ts90"},
		{in: "IQM", extended: true, upper: "IQM"},
		{in: "TM(10%:90%)", extended: true, upper: "TM(10%:90%)"},
		{in: "TM(150:1000)", extended: true, upper: "TM(150:1000)"},
		{in: "TM(:95%)", extended: true, upper: "TM(:95%)"},
		{in: "PR(:300)", extended: true, upper: "PR(:300)"},
		{in: "PR(100:2000)", extended: true, upper: "PR(100:2000)"},
		{in: "p101", wantError: "not a statistic"},
		{in: "sum", wantError: "not a statistic"},
		{in: "TM(10%:90)", wantError: "mixes"},
		{in: "PR(10%:90%)", wantError: "absolute"},
		{in: "TM(90%:10%)", wantError: "lower bound"},
		{in: "TM(:)", wantError: "not a statistic"},
		{in: "p", wantError: "not a statistic"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseStat(tt.in)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.in || s.Extended() != tt.extended || s.IsPercentile() != tt.pct || s.Upper() != tt.upper {
				t.Fatalf("parsed %+v", s)
			}
		})
	}
}

func TestBucketStatistics(t *testing.T) {
	one2ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		name   string
		values []float64
		stat   string
		want   float64
		ok     bool
	}{
		{"sum", one2ten, "Sum", 55, true},
		{"count", one2ten, "SampleCount", 10, true},
		{"average", one2ten, "Average", 5.5, true},
		{"min", one2ten, "Minimum", 1, true},
		{"max", one2ten, "Maximum", 10, true},
		{"p50 nearest rank", one2ten, "p50", 5, true},
		{"p90", one2ten, "p90", 9, true},
		{"p99", one2ten, "p99", 10, true},
		{"p100", one2ten, "p100", 10, true},
		{"tm90 drops the top 10%", one2ten, "tm90", 5, true},
		{"TM(10%:90%)", one2ten, "TM(10%:90%)", 5.5, true},
		{"IQM of 1..8", []float64{1, 2, 3, 4, 5, 6, 7, 8}, "IQM", 4.5, true},
		{"TM absolute, lower exclusive upper inclusive", one2ten, "TM(2:5)", 4, true},
		{"WM(10%:90%)", one2ten, "WM(10%:90%)", 5.5, true},
		{"wm90 clamps the top 10% to p90", one2ten, "wm90", (45 + 9) / 10.0, true},
		{"tc90", one2ten, "tc90", 9, true},
		{"ts90", one2ten, "ts90", 45, true},
		{"PR(:3)", one2ten, "PR(:3)", 30, true},
		{"PR(3:5)", one2ten, "PR(3:5)", 20, true},
		{"empty bucket has nothing", nil, "Sum", 0, false},
		{"negative values have no percentiles", []float64{-1, 2, 3}, "p50", 0, false},
		{"negative values still sum", []float64{-1, 2, 3}, "Sum", 4, true},
		{"trimmed away entirely", one2ten, "TM(20:30)", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := MustParseStat(tt.stat)
			b := Bucket{KeepSamples: st.Distribution()}
			for _, v := range tt.values {
				b.Add(v)
			}
			got, ok := b.Value(st)
			if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-9) {
				t.Fatalf("%s = %v, %v; want %v, %v", tt.stat, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBucketSetsAndWeights(t *testing.T) {
	var b Bucket
	b.KeepSamples = true
	b.AddWeighted(10, 99)
	b.AddWeighted(1000, 1)
	if v, _ := b.Value(MustParseStat("p99")); v != 10 {
		t.Errorf("weighted p99 = %v, want 10", v)
	}
	if v, _ := b.Value(MustParseStat("SampleCount")); v != 100 {
		t.Errorf("weighted count = %v, want 100", v)
	}
	b.Reset()
	b.AddSet(4, 10, 1, 4)
	if _, ok := b.Value(MustParseStat("p50")); ok {
		t.Error("a statistic set with distinct min and max has no percentile")
	}
	if v, _ := b.Value(MustParseStat("Average")); v != 2.5 {
		t.Errorf("set average = %v", v)
	}
	b.Reset()
	b.AddSet(3, 15, 5, 5)
	if v, ok := b.Value(MustParseStat("p50")); !ok || v != 5 {
		t.Errorf("uniform set p50 = %v %v", v, ok)
	}
	b.Reset()
	b.AddSet(1, 7, 7, 7)
	if v, ok := b.Value(MustParseStat("Maximum")); !ok || v != 7 {
		t.Errorf("single set max = %v %v", v, ok)
	}
}

func TestLowSample(t *testing.T) {
	tests := []struct {
		stat  string
		count float64
		want  bool
	}{
		{"p99", 999, true}, {"p99", 1000, false},
		{"p90", 99, true}, {"p90", 100, false},
		{"p50", 19, true}, {"p50", 20, false},
		{"p10", 99, true}, {"p10", 100, false},
		{"p100", 1, false}, {"p0", 1, false},
		{"Average", 1, false}, {"tm99", 1, false},
	}
	for _, tt := range tests {
		if got := MustParseStat(tt.stat).LowSample(tt.count); got != tt.want {
			t.Errorf("%s with %v samples: low = %v, want %v", tt.stat, tt.count, got, tt.want)
		}
	}
}

func TestAggregate(t *testing.T) {
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	samples := []Sample{
		{Time: at(130), Value: 7},
		{Time: at(5), Value: 1},
		{Time: at(65), Value: 4, Count: 2},
		{Time: at(10), Value: 3},
		{Time: at(-1), Value: 100},  // before the first period
		{Time: at(600), Value: 100}, // after the last
	}
	got := Aggregate(samples, t0, time.Minute, 4, MustParseStat("Sum"), nil)
	want := []Point{
		{Time: at(0), Value: 4, SampleCount: 2, Present: true},
		{Time: at(60), Value: 8, SampleCount: 2, Present: true},
		{Time: at(120), Value: 7, SampleCount: 1, Present: true},
		{Time: at(180)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Aggregate\n got %+v\nwant %+v", got, want)
	}
	// Reusing dst clears what was there.
	got = Aggregate(samples[:1], t0, time.Minute, 4, MustParseStat("Maximum"), got)
	if got[0].Present || !got[2].Present || got[2].Value != 7 {
		t.Fatalf("reused Aggregate = %+v", got)
	}
	s := Series{Start: t0, Period: time.Minute, Points: got}
	if i := s.Index(at(179)); i != 2 {
		t.Errorf("Index = %d", i)
	}
	if i := s.Index(at(-1)); i != -1 {
		t.Errorf("Index before start = %d", i)
	}
	if w := s.Window(3, 3); len(w) != 4 || !w[0].Time.Equal(t0) {
		t.Errorf("Window clipped at the start = %+v", w)
	}
}

func TestFormatValue(t *testing.T) {
	tests := map[float64]string{
		0: "0.0", 40: "40.0", 25: "25.0", 0.4: "0.4", 99.50160229693434: "99.50160229693434",
		-3: "-3.0", 1e7: "1.0E7", 12345678: "1.2345678E7", 0.0001234: "1.234E-4", 0.001: "0.001",
		9999999: "9999999.0",
	}
	for v, want := range tests {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestActions(t *testing.T) {
	a := Actions{
		OK:               []string{"arn:aws:sns:us-east-1:123456789012:ok"},
		Alarm:            []string{"arn:aws:sns:us-east-1:123456789012:page", "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:abc:resource/ecs/c/s:policyName/out"},
		InsufficientData: []string{"arn:aws:sns:us-east-1:123456789012:data"},
	}
	tests := []struct {
		name     string
		old, new State
		enabled  bool
		want     []string
	}{
		{"OK to ALARM fires the alarm actions", OK, Alarm, true, a.Alarm},
		{"ALARM to OK fires the OK actions", Alarm, OK, true, a.OK},
		{"to INSUFFICIENT_DATA", OK, InsufficientData, true, a.InsufficientData},
		{"INSUFFICIENT_DATA to ALARM", InsufficientData, Alarm, true, a.Alarm},
		{"no change fires nothing", Alarm, Alarm, true, nil},
		{"disabled fires nothing", OK, Alarm, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToFire(tt.old, tt.new, tt.enabled, a); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ToFire = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Repeating(Alarm, true, a); len(got) != 1 || !IsAutoScaling(got[0]) {
		t.Errorf("Repeating(ALARM) = %v, want the scaling policy", got)
	}
	if got := Repeating(OK, true, a); len(got) != 0 {
		t.Errorf("Repeating(OK) = %v, want none (SNS does not repeat)", got)
	}
	if got := Repeating(Alarm, false, a); len(got) != 0 {
		t.Errorf("Repeating with actions disabled = %v", got)
	}
}

func TestFormatTimestampMatchesLayout(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2019, 10, 2, 17, 4, 40, 985e6, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 11, 25, 19, 0, 0, 1e6, time.FixedZone("CET", 3600)),
	} {
		if got, want := FormatTimestamp(tm), tm.UTC().Format(TimestampLayout); got != want {
			t.Errorf("FormatTimestamp(%v) = %s, want %s", tm, got, want)
		}
	}
}
