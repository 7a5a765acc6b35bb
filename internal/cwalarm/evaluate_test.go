package cwalarm

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

// pattern builds a window from the AWS documentation's notation, oldest
// first: "0" not breaching, "X" breaching, "-" missing (threshold 1,
// GreaterThanThreshold).
func pattern(t *testing.T, s string, period time.Duration) []Point {
	t.Helper()
	var out []Point
	for i, f := range strings.Fields(s) {
		p := Point{Time: t0.Add(time.Duration(i) * period)}
		switch f {
		case "0":
			p.Value, p.SampleCount, p.Present = 0, 1, true
		case "X":
			p.Value, p.SampleCount, p.Present = 2, 1, true
		case "-":
		default:
			t.Fatalf("bad pattern element %q", f)
		}
		out = append(out, p)
	}
	return out
}

// keep marks "retain current state" in the tables.
const keep State = "keep"

// TestDocumentationTables reproduces both example tables of the CloudWatch
// User Guide ("How alarm state is evaluated when data is missing"): every
// row under every missing-data treatment. The range is 5 datapoints (3
// evaluation periods), as in the documentation.
func TestDocumentationTables(t *testing.T) {
	tests := []struct {
		name                                     string
		n, m                                     int
		points                                   string
		missing, ignore, breaching, notBreaching State
	}{
		// Datapoints to Alarm = Evaluation Periods = 3.
		{"3of3 0-X-X", 3, 3, "0 - X - X", OK, OK, OK, OK},
		{"3of3 0----", 3, 3, "0 - - - -", OK, OK, OK, OK},
		{"3of3 -----", 3, 3, "- - - - -", InsufficientData, keep, Alarm, OK},
		{"3of3 0XX-X", 3, 3, "0 X X - X", Alarm, Alarm, Alarm, Alarm},
		{"3of3 ----X", 3, 3, "- - - - X", InsufficientData, keep, Alarm, OK},
		{"3of3 X----", 3, 3, "X - - - -", Alarm, keep, Alarm, OK},
		// 2 out of 3.
		{"2of3 0-X-X", 3, 2, "0 - X - X", Alarm, Alarm, Alarm, Alarm},
		{"2of3 00X0X", 3, 2, "0 0 X 0 X", Alarm, Alarm, Alarm, Alarm},
		{"2of3 0-X--", 3, 2, "0 - X - -", OK, OK, Alarm, OK},
		{"2of3 ----0", 3, 2, "- - - - 0", OK, OK, Alarm, OK},
		{"2of3 ----X", 3, 2, "- - - - X", InsufficientData, keep, Alarm, OK},
	}
	for _, tt := range tests {
		for _, tc := range []struct {
			tr   MissingData
			want State
		}{{Missing, tt.missing}, {Ignore, tt.ignore}, {Breaching, tt.breaching}, {NotBreaching, tt.notBreaching}} {
			t.Run(tt.name+"/"+string(tc.tr), func(t *testing.T) {
				t.Parallel()
				cfg := &Config{Period: 5 * time.Minute, EvaluationPeriods: tt.n, DatapointsToAlarm: tt.m, Threshold: 1,
					Operator: GreaterThanThreshold, TreatMissingData: tc.tr}
				window := pattern(t, tt.points, cfg.Period)
				if len(window) != RangeSize(tt.n) {
					t.Fatalf("range size %d, documentation uses %d", RangeSize(tt.n), len(window))
				}
				// Evaluate from each possible current state: "retain"
				// must keep each, every other answer ignores it.
				for _, cur := range []State{OK, Alarm, InsufficientData} {
					r := Evaluate(cfg, window, cur)
					want := tc.want
					if want == keep {
						if !r.Kept || r.State != cur {
							t.Errorf("from %s: got %s (kept %v, outcome %d), want the state kept", cur, r.State, r.Kept, r.Outcome)
						}
						if r.Changed(cur) {
							t.Errorf("from %s: a kept state must not be a change", cur)
						}
						continue
					}
					if r.Kept || r.State != want {
						t.Errorf("from %s: got %s (kept %v, outcome %d), want %s", cur, r.State, r.Kept, r.Outcome, want)
					}
					if reason := Reason(cfg, window, r); reason == "" {
						t.Errorf("from %s: no reason for %s", cur, r.State)
					}
				}
			})
		}
	}
}

func TestDynamoDBAlwaysIgnoresMissingData(t *testing.T) {
	for _, tr := range []MissingData{"", Missing, Breaching, NotBreaching, Ignore} {
		cfg := &Config{Period: time.Minute, EvaluationPeriods: 3, Threshold: 1, Operator: GreaterThanThreshold,
			TreatMissingData: tr, Namespace: "AWS/DynamoDB"}
		r := Evaluate(cfg, pattern(t, "- - - - -", time.Minute), Alarm)
		if !r.Kept || r.State != Alarm {
			t.Errorf("%q: got %+v, want ALARM kept", tr, r)
		}
	}
}

// TestPrematureTransition: under missing, all-breaching data that is at
// least M periods old goes to ALARM though fewer than M datapoints exist.
func TestPrematureTransition(t *testing.T) {
	tests := []struct {
		name    string
		n, m    int
		points  string
		want    State
		outcome Outcome
	}{
		{"oldest breach 5 periods old, M=3", 3, 3, "X - - - -", Alarm, Premature},
		{"oldest breach 4 periods old, M=3", 3, 3, "- X - - -", Alarm, Premature},
		{"oldest breach 3 periods old, M=3", 3, 3, "- - X - -", Alarm, Premature},
		{"oldest breach 2 periods old, M=3", 3, 3, "- - - X -", InsufficientData, Indeterminate},
		{"two breaches, the oldest 3 old", 3, 3, "- - X - X", Alarm, Premature},
		{"a newer non-breaching point is OK", 3, 3, "X - - 0 -", OK, Partial},
		{"M=2 breach 2 periods old", 3, 2, "- - - X -", Alarm, Premature},
		{"M=2 breach 1 period old", 3, 2, "- - - - X", InsufficientData, Indeterminate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{Period: time.Minute, EvaluationPeriods: tt.n, DatapointsToAlarm: tt.m, Threshold: 1, Operator: GreaterThanThreshold}
			r := Evaluate(cfg, pattern(t, tt.points, time.Minute), OK)
			if r.State != tt.want || r.Outcome != tt.outcome {
				t.Fatalf("got %s outcome %d, want %s outcome %d", r.State, r.Outcome, tt.want, tt.outcome)
			}
		})
	}
}

func TestOperators(t *testing.T) {
	tests := []struct {
		op    Operator
		value float64
		want  bool
	}{
		{GreaterThanOrEqualToThreshold, 10, true},
		{GreaterThanOrEqualToThreshold, 9.99, false},
		{GreaterThanThreshold, 10, false},
		{GreaterThanThreshold, 10.01, true},
		{LessThanThreshold, 10, false},
		{LessThanThreshold, 9, true},
		{LessThanOrEqualToThreshold, 10, true},
		{LessThanOrEqualToThreshold, 11, false},
		// Band [5, 15].
		{LessThanLowerOrGreaterThanUpperThreshold, 4, true},
		{LessThanLowerOrGreaterThanUpperThreshold, 16, true},
		{LessThanLowerOrGreaterThanUpperThreshold, 5, false},
		{LessThanLowerOrGreaterThanUpperThreshold, 15, false},
		{LessThanLowerThreshold, 4, true},
		{LessThanLowerThreshold, 16, false},
		{GreaterThanUpperThreshold, 16, true},
		{GreaterThanUpperThreshold, 4, false},
	}
	for _, tt := range tests {
		cfg := &Config{Period: time.Minute, EvaluationPeriods: 1, Threshold: 10, Operator: tt.op}
		window := []Point{{Time: t0, Value: tt.value, SampleCount: 1, Present: true, Lower: 5, Upper: 15}}
		r := Evaluate(cfg, window, InsufficientData)
		if got := r.State == Alarm; got != tt.want {
			t.Errorf("%s %v: ALARM = %v, want %v", tt.op, tt.value, got, tt.want)
		}
	}
	// A band operator without a band at that period: the datapoint is
	// missing.
	cfg := &Config{Period: time.Minute, EvaluationPeriods: 1, Operator: GreaterThanUpperThreshold}
	nan := Point{Time: t0, Value: 100, Present: true, Lower: 0, Upper: nanF()}
	if r := Evaluate(cfg, []Point{nan}, OK); r.State != InsufficientData {
		t.Errorf("no band: got %s, want INSUFFICIENT_DATA", r.State)
	}
}

// TestBlueprint5xxAlarm is the blueprint's ALB 5xx alarm: Sum of
// HTTPCode_Target_5XX_Count over 60 s > 25, 2 out of 3, missing data not
// breaching. Samples arrive one per failed request.
func TestBlueprint5xxAlarm(t *testing.T) {
	cfg := &Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 25,
		Operator: GreaterThanThreshold, TreatMissingData: NotBreaching, Namespace: "AWS/ApplicationELB",
		Stat: MustParseStat("Sum"), Unit: "Count"}
	// errors per minute; -1 means no datapoint at all that minute
	tests := []struct {
		name   string
		perMin []int
		// want is the state after the evaluation at the end of each
		// minute ("" = unchanged from the previous minute).
		want []State
	}{
		{"one breaching minute is a blip",
			[]int{-1, -1, 40, -1, -1, -1, -1, -1},
			[]State{OK, OK, OK, OK, OK, OK, OK, OK}},
		{"two consecutive breaching minutes alarm at the end of the second",
			[]int{-1, -1, 40, 40, -1, -1, -1, -1, -1, -1},
			[]State{OK, OK, OK, Alarm, Alarm, Alarm, Alarm, OK, OK, OK}},
		{"two breaching minutes within three alarm",
			[]int{-1, -1, 40, 3, 40, 0, 0, 0},
			[]State{OK, OK, OK, OK, Alarm, OK, OK, OK}},
		{"recovery with healthy data returns to OK",
			[]int{0, 0, 40, 40, 40, 0, 0, 0},
			[]State{OK, OK, OK, Alarm, Alarm, Alarm, OK, OK}},
		{"exactly the threshold does not breach",
			[]int{25, 25, 25, 25},
			[]State{OK, OK, OK, OK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var samples []Sample
			for m, n := range tt.perMin {
				if n < 0 {
					continue
				}
				if n == 0 {
					samples = append(samples, Sample{Time: t0.Add(time.Duration(m)*time.Minute + time.Second), Value: 0})
				}
				for i := 0; i < n; i++ {
					samples = append(samples, Sample{Time: t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Second), Value: 1})
				}
			}
			series := Series{Start: t0, Period: time.Minute, Points: Aggregate(samples, t0, time.Minute, len(tt.perMin), cfg.Stat, nil)}
			tr := &Tracker{Config: cfg}
			for m := range tt.perMin {
				window := series.Window(m, cfg.N())
				r, changed := tr.Step(window)
				if tr.State != tt.want[m] {
					t.Fatalf("end of minute %d: %s (%s), want %s", m, tr.State, Reason(cfg, window, r), tt.want[m])
				}
				if changed && tr.State == Alarm {
					reason := Reason(cfg, window, r)
					if !strings.HasPrefix(reason, "Threshold Crossed: 2 out of the last 3 datapoints [40.0 (") ||
						!strings.Contains(reason, "were greater than the threshold (25.0)") ||
						!strings.HasSuffix(reason, "(minimum 2 datapoints for OK -> ALARM transition).") {
						t.Errorf("ALARM reason = %q", reason)
					}
				}
			}
		})
	}
}

func TestAlarmAtEndOfSecondMinuteReasonText(t *testing.T) {
	cfg := &Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 25,
		Operator: GreaterThanThreshold, TreatMissingData: NotBreaching, Stat: MustParseStat("Sum"), Unit: "Count"}
	start := time.Date(2026, 11, 25, 18, 56, 0, 0, time.UTC)
	points := []Point{
		{Time: start},
		{Time: start.Add(time.Minute)},
		{Time: start.Add(2 * time.Minute)},
		{Time: start.Add(3 * time.Minute), Value: 30, SampleCount: 30, Present: true},
		{Time: start.Add(4 * time.Minute), Value: 41, SampleCount: 41, Present: true},
	}
	r := Evaluate(cfg, points, OK)
	if r.State != Alarm {
		t.Fatalf("state %s, want ALARM", r.State)
	}
	want := "Threshold Crossed: 2 out of the last 3 datapoints [41.0 (25/11/26 19:00:00), 30.0 (25/11/26 18:59:00)] were greater than the threshold (25.0) and 1 missing datapoint was treated as [NonBreaching] (minimum 2 datapoints for OK -> ALARM transition)."
	if got := Reason(cfg, points, r); got != want {
		t.Errorf("reason\n got %s\nwant %s", got, want)
	}
	query := start.Add(5*time.Minute + 12*time.Second + 345*time.Millisecond)
	wantData := `{"version":"1.0","queryDate":"2026-11-25T19:01:12.345+0000","startDate":"2026-11-25T18:59:00.000+0000","statistic":"Sum","unit":"Count","period":60,"recentDatapoints":[30.0,41.0],"threshold":25.0,"evaluatedDatapoints":[{"timestamp":"2026-11-25T19:00:00.000+0000","sampleCount":41.0,"value":41.0},{"timestamp":"2026-11-25T18:59:00.000+0000","sampleCount":30.0,"value":30.0},{"timestamp":"2026-11-25T18:58:00.000+0000"}]}`
	if got := ReasonData(cfg, points, r, query); got != wantData {
		t.Errorf("reason data\n got %s\nwant %s", got, wantData)
	}
}

// TestReasonTexts checks the state reasons against the texts AWS writes
// (the EventBridge examples of the CloudWatch User Guide and captured
// notifications).
func TestReasonTexts(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse("02/01/06 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	pt := func(ts string, v float64) Point { return Point{Time: at(ts), Value: v, SampleCount: 1, Present: true} }
	tests := []struct {
		name    string
		cfg     Config
		window  []Point
		current State
		want    string
	}{
		{"1 of 1 ALARM (User Guide)",
			Config{Period: 5 * time.Minute, EvaluationPeriods: 1, Threshold: 50, Operator: GreaterThanThreshold},
			[]Point{pt("02/10/19 16:59:00", 99.50160229693434)}, OK,
			"Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."},
		{"1 of 1 OK (User Guide)",
			Config{Period: 5 * time.Minute, EvaluationPeriods: 1, Threshold: 50, Operator: GreaterThanThreshold},
			[]Point{pt("01/10/19 13:46:00", 0.0666851903306472)}, Alarm,
			"Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition)."},
		{"3 of 3 ALARM newest first",
			Config{Period: time.Minute, EvaluationPeriods: 3, Threshold: 0, Operator: GreaterThanThreshold},
			[]Point{pt("08/11/22 11:23:00", 20000), pt("08/11/22 11:24:00", 20000), pt("08/11/22 11:25:00", 20000)}, InsufficientData,
			"Threshold Crossed: 3 out of the last 3 datapoints [20000.0 (08/11/22 11:25:00), 20000.0 (08/11/22 11:24:00), 20000.0 (08/11/22 11:23:00)] were greater than the threshold (0.0) (minimum 3 datapoints for OK -> ALARM transition)."},
		{"greater than or equal to",
			Config{Period: time.Minute, EvaluationPeriods: 1, Threshold: 0.4, Operator: GreaterThanOrEqualToThreshold},
			[]Point{pt("23/04/20 21:16:00", 0.43262672424316406)}, OK,
			"Threshold Crossed: 1 out of the last 1 datapoints [0.43262672424316406 (23/04/20 21:16:00)] was greater than or equal to the threshold (0.4) (minimum 1 datapoint for OK -> ALARM transition)."},
		{"less than or equal to",
			Config{Period: time.Minute, EvaluationPeriods: 1, Threshold: 0, Operator: LessThanOrEqualToThreshold},
			[]Point{pt("28/06/22 01:55:00", 0)}, OK,
			"Threshold Crossed: 1 out of the last 1 datapoints [0.0 (28/06/22 01:55:00)] was less than or equal to the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition)."},
		{"3 of 5 OK lists the non-breaching",
			Config{Period: time.Minute, EvaluationPeriods: 5, DatapointsToAlarm: 3, Threshold: 0, Operator: GreaterThanThreshold},
			[]Point{pt("21/12/21 06:41:00", 1), pt("21/12/21 06:42:00", 0), pt("21/12/21 06:43:00", 1), pt("21/12/21 06:44:00", 0), pt("21/12/21 06:45:00", 0)}, Alarm,
			"Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21 06:44:00), 0.0 (21/12/21 06:42:00)] were not greater than the threshold (0.0) (minimum 3 datapoints for ALARM -> OK transition)."},
		{"no data, breaching",
			Config{Period: time.Minute, EvaluationPeriods: 2, Threshold: 1, Operator: GreaterThanThreshold, TreatMissingData: Breaching},
			make([]Point, 4), OK,
			"Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."},
		{"no data, not breaching",
			Config{Period: time.Minute, EvaluationPeriods: 1, Threshold: 1, Operator: GreaterThanThreshold, TreatMissingData: NotBreaching},
			make([]Point, 3), Alarm,
			"Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."},
		{"no data, missing",
			Config{Period: time.Minute, EvaluationPeriods: 5, Threshold: 1, Operator: GreaterThanThreshold},
			make([]Point, 6), OK,
			"Insufficient Data: 5 datapoints were unknown."},
		{"one of twenty, nineteen treated as not breaching",
			Config{Period: time.Minute, EvaluationPeriods: 20, DatapointsToAlarm: 1, Threshold: 1, Operator: GreaterThanOrEqualToThreshold, TreatMissingData: NotBreaching},
			append(make([]Point, 25), pt("16/03/24 12:15:00", 613)), OK,
			"Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or equal to the threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for OK -> ALARM transition)."},
		{"gaps filled as breaching alone make ALARM",
			Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 1, Operator: GreaterThanThreshold, TreatMissingData: Breaching},
			[]Point{{}, {}, {}, {}, pt("05/09/26 10:00:00", 0)}, OK,
			"Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching]."},
		{"premature ALARM under missing",
			Config{Period: time.Minute, EvaluationPeriods: 3, Threshold: 1, Operator: LessThanThreshold},
			[]Point{pt("05/09/26 10:00:00", 0), {}, {}, {}, {}}, OK,
			"Threshold Crossed: 1 out of the last 3 datapoints [0.0 (05/09/26 10:00:00)] was less than the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition)."},
		{"some unknown",
			Config{Period: time.Minute, EvaluationPeriods: 3, Threshold: 1, Operator: GreaterThanThreshold},
			[]Point{{}, {}, {}, {}, pt("05/09/26 10:00:00", 5)}, OK,
			"Insufficient Data: 2 datapoints were unknown."},
		{"anomaly band ALARM (User Guide)",
			Config{Period: time.Minute, EvaluationPeriods: 1, Operator: LessThanLowerOrGreaterThanUpperThreshold},
			[]Point{{Time: at("03/10/19 15:58:00"), Value: 0, Present: true, Lower: 0.020599444741798756, Upper: 0.3006915352732461}}, OK,
			"Thresholds Crossed: 1 out of the last 1 datapoints [0.0 (03/10/19 15:58:00)] was less than the lower thresholds [0.020599444741798756] or greater than the upper thresholds [0.3006915352732461] (minimum 1 datapoint for OK -> ALARM transition)."},
		{"anomaly band OK (User Guide)",
			Config{Period: time.Minute, EvaluationPeriods: 1, Operator: LessThanLowerOrGreaterThanUpperThreshold},
			[]Point{{Time: at("03/10/19 15:57:00"), Value: 0.166666666664241, Present: true, Lower: 0.0206719426210418, Upper: 0.30076870222143803}}, Alarm,
			"Thresholds Crossed: 1 out of the last 1 datapoints [0.166666666664241 (03/10/19 15:57:00)] was not less than the lower thresholds [0.0206719426210418] or not greater than the upper thresholds [0.30076870222143803] (minimum 1 datapoint for ALARM -> OK transition)."},
		{"upper band only",
			Config{Period: time.Minute, EvaluationPeriods: 1, Operator: GreaterThanUpperThreshold},
			[]Point{{Time: at("03/10/19 15:58:00"), Value: 9, Present: true, Lower: 1, Upper: 5}}, OK,
			"Thresholds Crossed: 1 out of the last 1 datapoints [9.0 (03/10/19 15:58:00)] was greater than the upper thresholds [5.0] (minimum 1 datapoint for OK -> ALARM transition)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			for i := range tt.window {
				if tt.window[i].Time.IsZero() {
					last := tt.window[len(tt.window)-1].Time
					if last.IsZero() {
						last = t0
					}
					tt.window[i].Time = last.Add(-time.Duration(len(tt.window)-1-i) * cfg.Period)
				}
			}
			r := Evaluate(&cfg, tt.window, tt.current)
			if got := Reason(&cfg, tt.window, r); got != tt.want {
				t.Errorf("state %s\n got %s\nwant %s", r.State, got, tt.want)
			}
		})
	}
}

func TestReasonDataBandAndNoData(t *testing.T) {
	cfg := &Config{Period: time.Minute, EvaluationPeriods: 1, Operator: LessThanLowerOrGreaterThanUpperThreshold}
	tm := time.Date(2019, 10, 3, 15, 58, 0, 0, time.UTC)
	w := []Point{{Time: tm, Value: 0, Present: true, Lower: 0.020599444741798756, Upper: 0.3006915352732461}}
	r := Evaluate(cfg, w, OK)
	got := ReasonData(cfg, w, r, time.Date(2019, 10, 3, 16, 0, 4, 650e6, time.UTC))
	want := `{"version":"1.0","queryDate":"2019-10-03T16:00:04.650+0000","startDate":"2019-10-03T15:58:00.000+0000","period":60,"recentDatapoints":[0.0],"recentLowerThresholds":[0.020599444741798756],"recentUpperThresholds":[0.3006915352732461],"evaluatedDatapoints":[{"timestamp":"2019-10-03T15:58:00.000+0000","value":0.0}]}`
	if got != want {
		t.Errorf("band reason data\n got %s\nwant %s", got, want)
	}

	cfg = &Config{Period: time.Minute, EvaluationPeriods: 3, Threshold: 5, Operator: GreaterThanThreshold, Stat: MustParseStat("Average")}
	w = make([]Point, 5)
	for i := range w {
		w[i].Time = time.Date(2023, 8, 4, 12, 26+i, 0, 0, time.UTC)
	}
	r = Evaluate(cfg, w, OK)
	got = ReasonData(cfg, w, r, time.Date(2023, 8, 4, 12, 31, 29, 591e6, time.UTC))
	want = `{"version":"1.0","queryDate":"2023-08-04T12:31:29.591+0000","statistic":"Average","period":60,"recentDatapoints":[],"threshold":5.0,"evaluatedDatapoints":[{"timestamp":"2023-08-04T12:30:00.000+0000"},{"timestamp":"2023-08-04T12:29:00.000+0000"},{"timestamp":"2023-08-04T12:28:00.000+0000"}]}`
	if got != want {
		t.Errorf("no-data reason data\n got %s\nwant %s", got, want)
	}
}

func TestLowSampleCountPercentile(t *testing.T) {
	tests := []struct {
		name    string
		mode    LowSample
		stat    string
		samples float64
		want    State
		kept    bool
	}{
		{"p99 with 999 samples ignored", LowSampleIgnore, "p99", 999, OK, true},
		{"p99 with 1000 samples evaluated", LowSampleIgnore, "p99", 1000, Alarm, false},
		{"p99 with 5 samples, evaluate", LowSampleEvaluate, "p99", 5, Alarm, false},
		{"p99 with 5 samples, default evaluates", "", "p99", 5, Alarm, false},
		{"p10 needs 100 samples", LowSampleIgnore, "p10", 99, OK, true},
		{"p50 needs 20 samples", LowSampleIgnore, "p50", 20, Alarm, false},
		{"not a percentile never low", LowSampleIgnore, "tm90", 1, Alarm, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{Period: time.Minute, EvaluationPeriods: 1, Threshold: 1, Operator: GreaterThanThreshold,
				Stat: MustParseStat(tt.stat), EvaluateLowSampleCountPercentile: tt.mode}
			r := Evaluate(cfg, []Point{{Time: t0, Value: 5, SampleCount: tt.samples, Present: true}}, OK)
			if r.State != tt.want || r.Kept != tt.kept {
				t.Fatalf("got %s kept %v, want %s kept %v", r.State, r.Kept, tt.want, tt.kept)
			}
		})
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	cfg := &Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 1, Operator: GreaterThanThreshold,
		TreatMissingData: Missing, Stat: MustParseStat("p90"), EvaluateLowSampleCountPercentile: LowSampleIgnore}
	w := pattern(t, "X - 0 X X", time.Minute)
	s := Series{Start: t0, Period: time.Minute, Points: w}
	allocs := testing.AllocsPerRun(1000, func() {
		_ = Evaluate(cfg, s.Window(4, cfg.N()), OK)
	})
	if allocs != 0 {
		t.Fatalf("Evaluate allocates %v times per call", allocs)
	}
}

func TestRangeSize(t *testing.T) {
	for n, want := range map[int]int{1: 3, 2: 4, 3: 5, 5: 7, 6: 8, 10: 13, 15: 20} {
		if got := RangeSize(n); got != want {
			t.Errorf("RangeSize(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2, Operator: GreaterThanThreshold}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"no periods", func(c *Config) { c.EvaluationPeriods = 0 }, "EvaluationPeriods"},
		{"M above N", func(c *Config) { c.DatapointsToAlarm = 4 }, "DatapointsToAlarm"},
		{"operator", func(c *Config) { c.Operator = "Bigger" }, "ComparisonOperator"},
		{"treatment", func(c *Config) { c.TreatMissingData = "zero" }, "TreatMissingData"},
		{"low sample", func(c *Config) { c.EvaluateLowSampleCountPercentile = "maybe" }, "EvaluateLowSampleCountPercentile"},
		{"threshold", func(c *Config) { c.Threshold = nanF() }, "Threshold"},
		{"period", func(c *Config) { c.Period = 0 }, "Period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %s", err, tt.wantErr)
			}
		})
	}
}
