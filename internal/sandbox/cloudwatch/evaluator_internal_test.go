package cloudwatch

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

var evalStart = time.Date(2026, 11, 25, 18, 55, 30, 0, time.UTC)

// recordingSink records the changes handed to it.
type recordingSink struct {
	mu      sync.Mutex
	changes []AlarmChange
}

func (r *recordingSink) AlarmStateChanged(_ context.Context, c AlarmChange) []ActionResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
	out := make([]ActionResult, len(c.Actions))
	for i, a := range c.Actions {
		out[i] = ActionResult{Action: a}
	}
	return out
}

func (r *recordingSink) states(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.changes {
		if c.AlarmName == name {
			out = append(out, c.Previous.Value+">"+c.Current.Value)
		}
	}
	return out
}

type rig struct {
	svc   *Service
	st    *state.Store
	clock *simclock.Clock
	sink  *recordingSink
	ev    *Evaluator
	req   *service.Request
}

func newRig(t *testing.T, dir string, start time.Time) *rig {
	t.Helper()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := simclock.New(simclock.WithStart(start), simclock.WithSpeed(0))
	svc := New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1", Now: clock.Now})
	sink := &recordingSink{}
	svc.SetActionSink(sink)
	r := &rig{svc: svc, st: st, clock: clock, sink: sink, ev: svc.NewEvaluator(clock, nil), req: &service.Request{Region: "us-east-1"}}
	if err := r.ev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.close() })
	return r
}

func (r *rig) close() {
	r.ev.Stop()
	r.clock.Close()
	_ = r.st.Close()
}

func (r *rig) advanceTo(t *testing.T, hhmm string) {
	t.Helper()
	at, err := time.Parse("15:04:05", hhmm)
	if err != nil {
		t.Fatal(err)
	}
	target := time.Date(evalStart.Year(), evalStart.Month(), evalStart.Day(), at.Hour(), at.Minute(), at.Second(), 0, time.UTC)
	if err := r.clock.AdvanceTo(target); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) put(t *testing.T, name string, sum float64) {
	t.Helper()
	_, err := r.svc.putMetricData(context.Background(), r.req, &PutMetricDataInput{Namespace: ptr("App"), MetricData: []MetricDatum{
		{MetricName: ptr(name), Values: []float64{1}, Counts: []float64{sum}, Unit: ptr("Count")}}})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *rig) alarm(t *testing.T, name string) *MetricAlarm {
	t.Helper()
	var d alarmDoc
	if err := r.st.Get(context.Background(), nsAlarm, alarmKey("us-east-1", name), &d); err != nil {
		t.Fatal(err)
	}
	if d.Metric != nil {
		return d.Metric
	}
	return &MetricAlarm{StateValue: d.Composite.StateValue, StateReason: d.Composite.StateReason, StateReasonData: d.Composite.StateReasonData}
}

func (r *rig) putAlarm(t *testing.T, in *PutMetricAlarmInput) {
	t.Helper()
	if _, err := r.svc.putMetricAlarm(context.Background(), r.req, in); err != nil {
		t.Fatal(err)
	}
}

func fiveXX(name string) *PutMetricAlarmInput {
	return &PutMetricAlarmInput{AlarmName: ptr(name), Namespace: ptr("App"), MetricName: ptr(name), Statistic: ptr("Sum"),
		Period: ptr(int32(60)), EvaluationPeriods: ptr(int32(3)), DatapointsToAlarm: ptr(int32(2)), Threshold: ptr(25.0),
		ComparisonOperator: ptr("GreaterThanThreshold"), TreatMissingData: ptr("notBreaching"),
		AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:pager"}, OKActions: []string{"arn:aws:sns:us-east-1:123456789012:pager"}}
}

// TestEvaluatorFirstEvaluation: a new alarm stays INSUFFICIENT_DATA for a
// period, then is evaluated at each period boundary.
func TestEvaluatorFirstEvaluation(t *testing.T) {
	r := newRig(t, t.TempDir(), evalStart)
	r.putAlarm(t, fiveXX("five"))
	r.advanceTo(t, "18:56:00")
	if s := deref(r.alarm(t, "five").StateValue); s != StateInsufficientData {
		t.Fatalf("30 s after creation: %s, want INSUFFICIENT_DATA still", s)
	}
	r.advanceTo(t, "18:57:00")
	a := r.alarm(t, "five")
	if deref(a.StateValue) != StateOK || deref(a.StateReason) != "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching]." {
		t.Fatalf("first evaluation: %s %q", deref(a.StateValue), deref(a.StateReason))
	}
	if got := r.sink.states("five"); len(got) != 1 || got[0] != "INSUFFICIENT_DATA>OK" {
		t.Fatalf("changes %v", got)
	}
	if !deref(a.StateTransitionedTimestamp).Equal(time.Date(2026, 11, 25, 18, 57, 0, 0, time.UTC)) {
		t.Fatalf("transition time %v", a.StateTransitionedTimestamp)
	}
}

// TestEvaluatorBlipAndBurst is the blueprint's 5xx alarm end to end inside
// the service: a one-minute blip raises nothing; two breaching minutes go
// to ALARM at the end of the second; without data the alarm returns to OK
// once the breaching minutes leave the evaluation range.
func TestEvaluatorBlipAndBurst(t *testing.T) {
	r := newRig(t, t.TempDir(), evalStart)
	r.putAlarm(t, fiveXX("five"))
	r.advanceTo(t, "18:57:10")
	r.put(t, "five", 40) // the blip, in minute 18:57
	r.advanceTo(t, "19:05:10")
	if got := r.sink.states("five"); len(got) != 1 {
		t.Fatalf("a one-minute blip changed the alarm: %v", got)
	}
	r.put(t, "five", 40) // minute 19:05
	r.advanceTo(t, "19:06:10")
	if s := deref(r.alarm(t, "five").StateValue); s != StateOK {
		t.Fatalf("after the first breaching minute: %s, want OK", s)
	}
	r.put(t, "five", 40) // minute 19:06
	r.advanceTo(t, "19:06:59")
	if s := deref(r.alarm(t, "five").StateValue); s != StateOK {
		t.Fatalf("before the end of the second minute: %s", s)
	}
	r.advanceTo(t, "19:07:00")
	a := r.alarm(t, "five")
	want := "Threshold Crossed: 2 out of the last 3 datapoints [40.0 (25/11/26 19:06:00), 40.0 (25/11/26 19:05:00)] were greater than the threshold (25.0) and 1 missing datapoint was treated as [NonBreaching] (minimum 2 datapoints for OK -> ALARM transition)."
	if deref(a.StateValue) != StateAlarm || deref(a.StateReason) != want {
		t.Fatalf("end of the second minute: %s %q", deref(a.StateValue), deref(a.StateReason))
	}
	if !strings.Contains(deref(a.StateReasonData), `"recentDatapoints":[40.0,40.0]`) {
		t.Errorf("reason data %s", deref(a.StateReasonData))
	}
	r.advanceTo(t, "19:10:00")
	if s := deref(r.alarm(t, "five").StateValue); s != StateAlarm {
		t.Fatalf("19:10: %s; the breaching minutes are still in the evaluation range", s)
	}
	r.advanceTo(t, "19:11:00")
	a = r.alarm(t, "five")
	if deref(a.StateValue) != StateOK || deref(a.StateReason) != "Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [NonBreaching]." {
		t.Fatalf("19:11: %s %q", deref(a.StateValue), deref(a.StateReason))
	}
	if got := r.sink.states("five"); strings.Join(got, " ") != "INSUFFICIENT_DATA>OK OK>ALARM ALARM>OK" {
		t.Fatalf("changes %v", got)
	}
	for _, c := range r.sink.changes {
		if len(c.Actions) != 1 || c.Actions[0] != "arn:aws:sns:us-east-1:123456789012:pager" {
			t.Errorf("change %s>%s actions %v", c.Previous.Value, c.Current.Value, c.Actions)
		}
	}
	// The history: StateUpdate items with AWS's texts and Action items.
	hist, err := r.svc.describeAlarmHistory(context.Background(), r.req, &DescribeAlarmHistoryInput{AlarmName: ptr("five"), ScanBy: ptr("TimestampAscending")})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range hist.AlarmHistoryItems {
		kinds = append(kinds, deref(h.HistoryItemType)+":"+deref(h.HistorySummary))
	}
	wantKinds := []string{
		`ConfigurationUpdate:Alarm "five" created`,
		"StateUpdate:Alarm updated from INSUFFICIENT_DATA to OK",
		"Action:Successfully executed action arn:aws:sns:us-east-1:123456789012:pager",
		"StateUpdate:Alarm updated from OK to ALARM",
		"Action:Successfully executed action arn:aws:sns:us-east-1:123456789012:pager",
		"StateUpdate:Alarm updated from ALARM to OK",
		"Action:Successfully executed action arn:aws:sns:us-east-1:123456789012:pager",
	}
	if strings.Join(kinds, "\n") != strings.Join(wantKinds, "\n") {
		t.Fatalf("history\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(wantKinds, "\n"))
	}
	var data struct {
		NewState struct {
			StateValue      string          `json:"stateValue"`
			StateReason     string          `json:"stateReason"`
			StateReasonData json.RawMessage `json:"stateReasonData"`
		} `json:"newState"`
		OldState struct {
			StateValue string `json:"stateValue"`
		} `json:"oldState"`
	}
	if err := json.Unmarshal([]byte(deref(hist.AlarmHistoryItems[3].HistoryData)), &data); err != nil {
		t.Fatal(err)
	}
	if data.NewState.StateReason != want || data.OldState.StateValue != "OK" || len(data.NewState.StateReasonData) == 0 {
		t.Fatalf("StateUpdate history data %s", deref(hist.AlarmHistoryItems[3].HistoryData))
	}
}

// TestEvaluatorRestartIsIdempotent: a restarted evaluator (even on a clock
// set back) repeats no transition, and pending hand-offs left by a crash
// are delivered on start.
func TestEvaluatorRestartIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, dir, evalStart)
	r.putAlarm(t, fiveXX("five"))
	r.advanceTo(t, "19:00:10")
	r.put(t, "five", 40)
	r.advanceTo(t, "19:01:10")
	r.put(t, "five", 40)
	r.advanceTo(t, "19:02:00")
	if s := deref(r.alarm(t, "five").StateValue); s != StateAlarm {
		t.Fatalf("before restart: %s", s)
	}
	before := historyCount(t, r)
	r.close()

	// A changed alarm whose hand-off did not happen: as a crash after the
	// commit leaves it.
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pending := AlarmChange{ID: "crash", Region: "us-east-1", AlarmName: "five", AlarmType: typeMetric,
		Previous: StateRecord{Value: StateOK}, Current: StateRecord{Value: StateAlarm, Timestamp: evalStart}, Actions: []string{"arn:aws:sns:us-east-1:123456789012:pager"}}
	if err := st.Put(context.Background(), nsOutbox, outboxKey(evalStart, "crash"), pending); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	r2 := newRig(t, dir, evalStart.Add(time.Minute)) // clock set back to 18:56:30
	if got := r2.sink.states("five"); len(got) != 1 || got[0] != "OK>ALARM" || r2.sink.changes[0].ID != "crash" {
		t.Fatalf("pending hand-off on start: %v", got)
	}
	left, _ := r2.st.List(context.Background(), state.ListParams{NS: nsOutbox})
	if len(left) != 0 {
		t.Fatalf("outbox not emptied: %d left", len(left))
	}
	r2.advanceTo(t, "19:03:00")
	if got := r2.sink.states("five"); len(got) != 1 {
		t.Fatalf("instants evaluated before the restart were evaluated again: %v", got)
	}
	if s := deref(r2.alarm(t, "five").StateValue); s != StateAlarm {
		t.Fatalf("after restart: %s", s)
	}
	if after := historyCount(t, r2); after != before+1 { // + the pending hand-off's Action item
		t.Fatalf("history grew from %d to %d", before, after)
	}
}

func historyCount(t *testing.T, r *rig) int {
	t.Helper()
	es, err := r.st.List(context.Background(), state.ListParams{NS: nsHistory})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// TestEvaluatorMetricMathAndComposite: metric math alarms are evaluated
// with the service's math; what it cannot compute is marked, never OK;
// composite alarms follow their children.
func TestEvaluatorMetricMathAndComposite(t *testing.T) {
	r := newRig(t, t.TempDir(), evalStart)
	ret, noRet := true, false
	r.putAlarm(t, &PutMetricAlarmInput{AlarmName: ptr("ratio"), EvaluationPeriods: ptr(int32(1)), Threshold: ptr(10.0),
		ComparisonOperator: ptr("GreaterThanThreshold"), TreatMissingData: ptr("missing"),
		Metrics: []MetricDataQuery{
			{Id: ptr("e"), Expression: ptr("100 * errs / reqs"), ReturnData: &ret},
			{Id: ptr("errs"), MetricStat: &MetricStat{Metric: &Metric{Namespace: ptr("App"), MetricName: ptr("errs")}, Period: ptr(int32(60)), Stat: ptr("Sum")}, ReturnData: &noRet},
			{Id: ptr("reqs"), MetricStat: &MetricStat{Metric: &Metric{Namespace: ptr("App"), MetricName: ptr("reqs")}, Period: ptr(int32(60)), Stat: ptr("Sum")}, ReturnData: &noRet},
		}})
	r.putAlarm(t, &PutMetricAlarmInput{AlarmName: ptr("unsupported"), EvaluationPeriods: ptr(int32(1)), Threshold: ptr(1.0),
		ComparisonOperator: ptr("GreaterThanThreshold"),
		Metrics: []MetricDataQuery{
			{Id: ptr("e"), Expression: ptr("RATE(m)"), ReturnData: &ret},
			{Id: ptr("m"), MetricStat: &MetricStat{Metric: &Metric{Namespace: ptr("App"), MetricName: ptr("errs")}, Period: ptr(int32(60)), Stat: ptr("Sum")}, ReturnData: &noRet},
		}})
	r.putAlarm(t, fiveXX("five"))
	if _, err := r.svc.putCompositeAlarm(context.Background(), r.req, &PutCompositeAlarmInput{AlarmName: ptr("any"),
		AlarmRule: ptr(`ALARM("ratio") OR ALARM(five)`), AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:pager"}}); err != nil {
		t.Fatal(err)
	}
	r.advanceTo(t, "18:57:10")
	r.put(t, "errs", 5)
	r.put(t, "reqs", 100) // 5 %: OK
	r.advanceTo(t, "18:58:10")
	if a := r.alarm(t, "ratio"); deref(a.StateValue) != StateOK {
		t.Fatalf("ratio at 5%%: %s %q", deref(a.StateValue), deref(a.StateReason))
	}
	if a := r.alarm(t, "any"); deref(a.StateValue) != StateOK {
		t.Fatalf("composite with no child in ALARM: %s", deref(a.StateValue))
	}
	u := r.alarm(t, "unsupported")
	if deref(u.StateValue) != StateInsufficientData || !strings.Contains(deref(u.StateReason), "does not evaluate this alarm") || !strings.Contains(deref(u.StateReason), "RATE") {
		t.Fatalf("unsupported math: %s %q", deref(u.StateValue), deref(u.StateReason))
	}
	if got := r.sink.states("unsupported"); len(got) != 0 {
		t.Fatalf("marking an alarm unevaluable is not a state change: %v", got)
	}
	r.put(t, "errs", 30)
	r.put(t, "reqs", 100) // 30 %: ALARM
	r.advanceTo(t, "18:59:00")
	a := r.alarm(t, "ratio")
	if deref(a.StateValue) != StateAlarm || !strings.HasPrefix(deref(a.StateReason), "Threshold Crossed: 1 out of the last 1 datapoints [30.0 (25/11/26 18:58:00)] was greater than the threshold (10.0)") {
		t.Fatalf("ratio at 30%%: %s %q", deref(a.StateValue), deref(a.StateReason))
	}
	if strings.Contains(deref(a.StateReasonData), "statistic") {
		t.Errorf("metric math reason data names a statistic: %s", deref(a.StateReasonData))
	}
	c := r.alarm(t, "any")
	if deref(c.StateValue) != StateAlarm || !strings.HasPrefix(deref(c.StateReason), "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ratio transitioned to ALARM at Wednesday 25 November, 2026 18:59:00 UTC") {
		t.Fatalf("composite: %s %q", deref(c.StateValue), deref(c.StateReason))
	}
	if !strings.Contains(deref(c.StateReasonData), `"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:ratio","state":{"value":"ALARM","timestamp":"2026-11-25T18:59:00.000+0000"}}]`) {
		t.Fatalf("composite reason data %s", deref(c.StateReasonData))
	}
	if got := r.sink.states("any"); strings.Join(got, " ") != "INSUFFICIENT_DATA>OK OK>ALARM" {
		t.Fatalf("composite changes %v", got)
	}
}

// TestSetAlarmStateLastsUntilTheNextEvaluation: SetAlarmState fires the
// actions, and the next evaluation sets the state the data gives.
func TestSetAlarmStateLastsUntilTheNextEvaluation(t *testing.T) {
	r := newRig(t, t.TempDir(), evalStart)
	r.putAlarm(t, fiveXX("five"))
	r.advanceTo(t, "18:57:00")
	if _, err := r.svc.setAlarmState(context.Background(), r.req, &SetAlarmStateInput{AlarmName: ptr("five"), StateValue: ptr(StateAlarm), StateReason: ptr("testing the pager")}); err != nil {
		t.Fatal(err)
	}
	if got := r.sink.states("five"); strings.Join(got, " ") != "INSUFFICIENT_DATA>OK OK>ALARM" {
		t.Fatalf("SetAlarmState did not hand over its change: %v", got)
	}
	r.advanceTo(t, "18:58:00")
	if got := r.sink.states("five"); strings.Join(got, " ") != "INSUFFICIENT_DATA>OK OK>ALARM ALARM>OK" {
		t.Fatalf("the next evaluation did not set the state back: %v", got)
	}
}

func TestNextTick(t *testing.T) {
	at := func(s string) time.Time {
		tm, _ := time.Parse(time.TimeOnly, s)
		return time.Date(2026, 11, 25, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
	}
	tests := []struct {
		now     string
		periods []time.Duration
		want    string
	}{
		{"18:55:30", nil, "18:56:00"},
		{"18:56:00", nil, "18:57:00"},
		{"18:55:30", []time.Duration{10 * time.Second}, "18:55:40"},
		{"18:55:30", []time.Duration{5 * time.Minute}, "18:56:00"}, // at least every minute
		{"18:55:30", []time.Duration{time.Second}, "18:55:40"},     // at most every 10 s
		{"18:55:31", []time.Duration{30 * time.Second, time.Minute}, "18:56:00"},
	}
	for _, tt := range tests {
		if got := nextTick(at(tt.now), tt.periods); !got.Equal(at(tt.want)) {
			t.Errorf("nextTick(%s, %v) = %s, want %s", tt.now, tt.periods, got.Format(time.TimeOnly), tt.want)
		}
	}
}

// TestEvaluatorOnARunningClock: with the clock running (here a minute every
// 20 ms), evaluations happen as virtual time passes, without Advance.
func TestEvaluatorOnARunningClock(t *testing.T) {
	r := newRig(t, t.TempDir(), evalStart)
	r.putAlarm(t, fiveXX("five"))
	if err := r.clock.SetSpeed(3000); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(r.sink.states("five")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no evaluation in 10 s at 3000x (virtual time %v)", r.clock.Now())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.sink.states("five"); len(got) != 1 || got[0] != "INSUFFICIENT_DATA>OK" {
		t.Fatalf("changes %v", got)
	}
	if s := deref(r.alarm(t, "five").StateValue); s != StateOK {
		t.Fatalf("state %s", s)
	}
}
