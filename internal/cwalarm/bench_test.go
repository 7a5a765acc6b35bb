package cwalarm

import (
	"math/rand/v2"
	"testing"
	"time"
)

// weekOfAlarms evaluates alarms alarms at every minute of a week of
// one-minute datapoints, each alarm over its own metric (alarms × 10,080
// datapoints; 1,000 alarms make 10.08 M). Per alarm: raw samples are
// bucketed once (Aggregate), then every minute's evaluation range is a
// slice of the series (Series.Window) and Evaluate runs on it; a change of
// state also renders the reason and reason data, as the sandbox does. It
// returns the number of evaluations and of transitions, and the wall time
// spent bucketing and evaluating (generating the samples is not counted).
func weekOfAlarms(alarms int) (evals, transitions int, bucketing, evaluating time.Duration) {
	const minutes = 7 * 24 * 60
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	samples := make([]Sample, 0, minutes)
	var points []Point
	ops := []Operator{GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold}
	treatments := []MissingData{Missing, NotBreaching, Breaching, Ignore}
	stats := []Stat{MustParseStat("Sum"), MustParseStat("Average"), MustParseStat("Maximum"), MustParseStat("SampleCount")}
	for a := range alarms {
		n := 1 + a%5
		cfg := &Config{Period: time.Minute, EvaluationPeriods: n, DatapointsToAlarm: 1 + a%n, Threshold: 50,
			Operator: ops[a%len(ops)], TreatMissingData: treatments[(a/4)%len(treatments)], Stat: stats[(a/16)%len(stats)]}
		// One sample a minute: healthy values well inside the threshold,
		// about two incidents a day of 3 to 30 minutes well outside it,
		// and gaps (a tenth of the minutes are missing, in runs).
		healthy, bad := 20.0, 80.0
		if cfg.Operator == LessThanThreshold || cfg.Operator == LessThanOrEqualToThreshold {
			healthy, bad = bad, healthy
		}
		samples = samples[:0]
		gap, incident := 0, 0
		for m := range minutes {
			if incident > 0 {
				incident--
			} else if rng.IntN(720) == 0 {
				incident = 3 + rng.IntN(28)
			}
			if gap > 0 {
				gap--
				continue
			}
			if rng.IntN(40) == 0 {
				gap = rng.IntN(8)
			}
			v := healthy
			if incident > 0 {
				v = bad
			}
			samples = append(samples, Sample{Time: start.Add(time.Duration(m)*time.Minute + 17*time.Second), Value: v + rng.NormFloat64()*5})
		}
		t0 := time.Now()
		points = Aggregate(samples, start, time.Minute, minutes, cfg.Stat, points)
		series := Series{Start: start, Period: time.Minute, Points: points}
		t1 := time.Now()
		bucketing += t1.Sub(t0)
		tr := Tracker{Config: cfg}
		for end := range minutes {
			w := series.Window(end, n)
			r, changed := tr.Step(w)
			evals++
			if changed {
				transitions++
				_ = Reason(cfg, w, r)
				_ = ReasonData(cfg, w, r, w[len(w)-1].Time.Add(time.Minute))
			}
		}
		evaluating += time.Since(t1)
	}
	return evals, transitions, bucketing, evaluating
}

// BenchmarkWeekOfAlarms: 1,000 alarms over one week of one-minute
// datapoints (10.08 M datapoints, 10.08 M evaluations). It reports the
// wall seconds of one such week as s/week.
func BenchmarkWeekOfAlarms(b *testing.B) {
	b.ReportAllocs()
	var evals, transitions int
	var bucketing, evaluating time.Duration
	for b.Loop() {
		var bu, ev time.Duration
		evals, transitions, bu, ev = weekOfAlarms(1000)
		bucketing += bu
		evaluating += ev
	}
	bu, ev := bucketing.Seconds()/float64(b.N), evaluating.Seconds()/float64(b.N)
	b.ReportMetric(bu+ev, "s/week")
	b.ReportMetric(ev, "eval-s/week")
	b.ReportMetric(float64(transitions), "transitions")
	b.Logf("1,000 alarms x one week of one-minute datapoints (%d datapoints, %d evaluations, %d transitions): %.2f s wall (bucketing %.2f s, evaluating %.2f s)",
		evals, evals, transitions, bu+ev, bu, ev)
}

// BenchmarkEvaluate is one evaluation of a 2-out-of-3 alarm.
func BenchmarkEvaluate(b *testing.B) {
	cfg := &Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 25, Operator: GreaterThanThreshold, TreatMissingData: NotBreaching}
	w := []Point{{Present: true, Value: 1}, {}, {Present: true, Value: 40}, {}, {Present: true, Value: 40}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Evaluate(cfg, w, OK)
	}
}

// TestWeekOfAlarmsSmall keeps the benchmark's code path honest in plain
// test runs (a few alarms).
func TestWeekOfAlarmsSmall(t *testing.T) {
	evals, transitions, _, _ := weekOfAlarms(8)
	if evals != 8*7*24*60 || transitions == 0 {
		t.Fatalf("evals %d transitions %d", evals, transitions)
	}
}
