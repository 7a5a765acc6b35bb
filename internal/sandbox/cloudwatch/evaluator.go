package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/cwalarm"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// State namespaces of the evaluator.
const (
	nsOutbox    = "cloudwatch/outbox"    // unixnano/id → AlarmChange not yet handed to the sink
	nsEvaluator = "cloudwatch/evaluator" // keyThrough → time.Time evaluated through
	keyThrough  = "through"
)

// Evaluation instants: every boundary of the shortest alarm period, at
// least every minute (so new alarms are picked up), at most every 10 s
// (high-resolution alarms).
const (
	minTick = 10 * time.Second
	maxTick = time.Minute
)

// Evaluator evaluates the service's alarms on a virtual clock: at the end
// of each of its periods every metric alarm is evaluated over the
// datapoints the service stores (internal/cwalarm), composite alarms
// follow their children, and each change of state is committed with its
// history item, then handed to the service's ActionSink.
//
// A new or reconfigured alarm is first evaluated at the first boundary a
// full period after the change (composite alarms: a minute), so clients
// see its initial INSUFFICIENT_DATA for a while, as on AWS.
//
// Changes are durable and idempotent: a transition, its StateUpdate
// history item and its pending hand-off (the outbox) commit in one
// transaction; pending hand-offs left by a crash run on Start; and the
// instant evaluated through is recorded, so instants evaluated before a
// restart are not evaluated again.
type Evaluator struct {
	svc    *Service
	clock  *simclock.Clock
	logger *slog.Logger

	mu      sync.Mutex
	timer   *simclock.Timer
	started bool
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
	through time.Time       // last instant evaluated
	periods []time.Duration // distinct alarm periods seen by the last evaluation
	running sync.WaitGroup
	after   []func(ctx context.Context, now time.Time) // AfterEvaluation
}

// NewEvaluator returns an evaluator of the service's alarms on clock.
func (s *Service) NewEvaluator(clock *simclock.Clock, logger *slog.Logger) *Evaluator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{svc: s, clock: clock, logger: logger}
}

// EvaluatedThrough is the last instant the evaluator of the state in st
// evaluated (zero if none): a restarted sandbox resumes its clock no
// earlier.
func EvaluatedThrough(ctx context.Context, st *state.Store) (time.Time, error) {
	var t time.Time
	err := st.Get(ctx, nsEvaluator, keyThrough, &t)
	if service.IsNotFound(err) {
		return time.Time{}, nil
	}
	return t, err
}

// Start hands any pending changes to the sink and schedules the first
// evaluation.
func (e *Evaluator) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return fmt.Errorf("cloudwatch: alarm evaluator already started")
	}
	e.started = true
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.mu.Unlock()
	through, err := EvaluatedThrough(ctx, e.svc.env.State)
	if err != nil {
		return fmt.Errorf("cloudwatch: read alarm evaluator state: %w", err)
	}
	if err := e.svc.dispatchPending(ctx); err != nil {
		return fmt.Errorf("cloudwatch: hand over pending alarm changes: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.through = through
	if !e.stopped {
		e.scheduleLocked(e.clock.Now())
	}
	return nil
}

// Stop cancels future evaluations and waits for one under way.
func (e *Evaluator) Stop() {
	e.mu.Lock()
	e.stopped = true
	if e.timer != nil {
		e.timer.Stop()
	}
	if e.cancel != nil {
		e.cancel()
	}
	e.mu.Unlock()
	e.running.Wait()
}

func (e *Evaluator) scheduleLocked(after time.Time) {
	e.timer = e.clock.AfterFuncAt(nextTick(after, e.periods), e.tick)
}

// nextTick is the first evaluation instant after t.
func nextTick(t time.Time, periods []time.Duration) time.Time {
	best := nextBoundary(t, maxTick)
	for _, p := range periods {
		if p < minTick {
			p = minTick
		}
		if n := nextBoundary(t, p); n.Before(best) {
			best = n
		}
	}
	return best
}

// nextBoundary is the first multiple of p (since the epoch) after t.
func nextBoundary(t time.Time, p time.Duration) time.Time {
	sec := int64(p / time.Second)
	u := t.Unix()
	return time.Unix((u-mod(u, sec))+sec, 0).UTC()
}

func (e *Evaluator) tick(now time.Time) {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return
	}
	e.running.Add(1)
	ctx, through := e.ctx, e.through
	e.mu.Unlock()
	defer e.running.Done()

	if now.After(through) {
		periods, err := e.evaluate(ctx, now)
		if err != nil && ctx.Err() == nil {
			e.logger.Warn("sandbox: alarm evaluation failed", "at", now, "err", err)
		}
		if err == nil {
			if err := e.svc.env.State.Put(ctx, nsEvaluator, keyThrough, now.UTC()); err != nil && ctx.Err() == nil {
				e.logger.Warn("sandbox: record alarm evaluation", "err", err)
			}
		}
		e.mu.Lock()
		e.through = now
		if periods != nil {
			e.periods = periods
		}
		after := e.after
		e.mu.Unlock()
		for _, f := range after {
			f(ctx, now)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.stopped {
		e.scheduleLocked(now)
	}
}

// EvaluateAt evaluates the alarms as of now: metric alarms whose period
// ends at now, then composite alarms; it commits the changes and hands
// them to the sink before it returns. The evaluator's clock calls it at
// each period boundary; tests may call it directly.
func (e *Evaluator) EvaluateAt(ctx context.Context, now time.Time) error {
	_, err := e.evaluate(ctx, now)
	return err
}

func (e *Evaluator) evaluate(ctx context.Context, now time.Time) ([]time.Duration, error) {
	s := e.svc
	now = now.UTC()
	var todo []transition
	seen := map[time.Duration]bool{}
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		entries, err := tx.List(state.ListParams{NS: nsAlarm})
		if err != nil {
			return err
		}
		for _, en := range entries {
			var doc alarmDoc
			if err := json.Unmarshal(en.Value, &doc); err != nil {
				return fmt.Errorf("decode alarm %s: %w", en.Key, err)
			}
			if doc.Metric == nil {
				continue
			}
			region, _, _ := strings.Cut(en.Key, "/")
			period := alarmPeriod(doc.Metric)
			seen[period] = true
			if period <= 0 || now.UnixNano()%int64(period) != 0 || !settled(deref(doc.Metric.AlarmConfigurationUpdatedTimestamp), period, now) {
				continue
			}
			target, err := s.evaluateMetricAlarm(tx, region, doc.Metric, period, now)
			if err != nil {
				return err
			}
			if target.differs(deref(doc.Metric.StateValue), deref(doc.Metric.StateReason)) {
				todo = append(todo, transition{region: region, name: doc.name(), configAt: deref(doc.Metric.AlarmConfigurationUpdatedTimestamp), target: target})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	periods := make([]time.Duration, 0, len(seen))
	for p := range seen {
		periods = append(periods, p)
	}
	if err := s.commit(ctx, todo, now); err != nil {
		return periods, err
	}
	if err := s.evaluateComposites(ctx, now); err != nil {
		return periods, err
	}
	return periods, s.dispatchPending(ctx)
}

// settled reports whether an alarm configured at configAt is evaluated at
// now: its first evaluation is the first period boundary at least one
// period after its creation or last update (composite alarms: a minute),
// so a new alarm shows INSUFFICIENT_DATA ("Unchecked: Initial alarm
// creation") for a period at least, as a client that creates and then
// reads it expects.
func settled(configAt time.Time, period time.Duration, now time.Time) bool {
	return !now.Before(configAt.Add(period))
}

// target is the state an evaluation wants an alarm in.
type target struct {
	state, reason, reasonData string
	kept                      bool
	// quiet changes only the reason of an alarm already in the state (an
	// alarm the sandbox cannot evaluate): no history, no actions.
	quiet bool
}

func (t target) differs(state, reason string) bool {
	if t.kept {
		return false
	}
	if t.quiet {
		return t.state != state || t.reason != reason
	}
	return t.state != state
}

// transition is a change the evaluator commits.
type transition struct {
	region, name string
	configAt     time.Time // the configuration evaluated; another one is left to the next evaluation
	target       target
}

// unevaluable is the target of an alarm the sandbox cannot evaluate: never
// pretend it is OK.
func unevaluable(why string) target {
	return target{state: StateInsufficientData, reason: "Unchecked: the vigil sandbox does not evaluate this alarm: " + why, quiet: true}
}

// alarmPeriod is a metric alarm's period (of its metric, or of the metric
// math's returned query).
func alarmPeriod(m *MetricAlarm) time.Duration {
	if m.Period != nil {
		return time.Duration(*m.Period) * time.Second
	}
	var p int32
	for _, q := range m.Metrics {
		if q.ReturnData == nil || *q.ReturnData {
			if q.Period != nil {
				p = *q.Period
			} else if q.MetricStat != nil && q.MetricStat.Period != nil {
				p = *q.MetricStat.Period
			}
		}
	}
	for _, q := range m.Metrics {
		if p == 0 && q.MetricStat != nil && q.MetricStat.Period != nil {
			p = *q.MetricStat.Period
		}
	}
	return time.Duration(p) * time.Second
}

// alarmConfig is the evaluation configuration of a metric alarm.
func alarmConfig(m *MetricAlarm, period time.Duration) (cwalarm.Config, error) {
	cfg := cwalarm.Config{
		Period:                           period,
		EvaluationPeriods:                int(deref(m.EvaluationPeriods)),
		DatapointsToAlarm:                int(deref(m.DatapointsToAlarm)),
		Threshold:                        deref(m.Threshold),
		Operator:                         cwalarm.Operator(deref(m.ComparisonOperator)),
		TreatMissingData:                 cwalarm.MissingData(deref(m.TreatMissingData)),
		Namespace:                        deref(m.Namespace),
		EvaluateLowSampleCountPercentile: cwalarm.LowSample(deref(m.EvaluateLowSampleCountPercentile)),
		Unit:                             deref(m.Unit),
	}
	name := deref(m.Statistic)
	if name == "" {
		name = deref(m.ExtendedStatistic)
	}
	if name != "" {
		st, err := cwalarm.ParseStat(name)
		if err != nil {
			return cfg, err
		}
		cfg.Stat = st
	}
	return cfg, cfg.Validate()
}

// evaluateMetricAlarm evaluates one metric alarm as of now.
func (s *Service) evaluateMetricAlarm(tx *state.Tx, region string, m *MetricAlarm, period time.Duration, now time.Time) (target, error) {
	cfg, err := alarmConfig(m, period)
	if err != nil {
		return unevaluable(err.Error()), nil
	}
	var window []cwalarm.Point
	if len(m.Metrics) > 0 {
		if m.ThresholdMetricId != nil {
			return unevaluable("it compares with an anomaly detection band (ThresholdMetricId), and the sandbox has no anomaly detection models."), nil
		}
		window, err = mathWindow(tx, region, m, &cfg, now)
		if err != nil {
			if _, ok := err.(mathError); ok {
				return unevaluable("its metric math cannot be computed: " + err.Error()), nil
			}
			return target{}, err
		}
	} else {
		window, err = metricWindow(tx, region, m, &cfg, now)
		if err != nil {
			return target{}, err
		}
	}
	cur := cwalarm.State(deref(m.StateValue))
	r := cwalarm.Evaluate(&cfg, window, cur)
	if !r.Changed(cur) {
		return target{kept: true}, nil
	}
	return target{state: string(r.State), reason: cwalarm.Reason(&cfg, window, r), reasonData: cwalarm.ReasonData(&cfg, window, r, now)}, nil
}

// metricWindow buckets a single-metric alarm's stored datapoints into the
// periods of its evaluation range ending at now.
func metricWindow(tx *state.Tx, region string, m *MetricAlarm, cfg *cwalarm.Config, now time.Time) ([]cwalarm.Point, error) {
	r := cwalarm.RangeSize(cfg.N())
	start := now.Add(-time.Duration(r) * cfg.Period)
	id, _ := metricID(deref(m.Namespace), deref(m.MetricName), m.Dimensions)
	points, err := loadPoints(tx, region, id, start, now)
	if err != nil {
		return nil, err
	}
	buckets := make([]cwalarm.Bucket, r)
	for i := range buckets {
		buckets[i].KeepSamples = cfg.Stat.Distribution()
	}
	unit := deref(m.Unit)
	for _, p := range points {
		if unit != "" && unitOf(p) != unit {
			continue
		}
		i := int(p.T.Sub(start) / cfg.Period)
		if i < 0 || i >= r {
			continue
		}
		b := &buckets[i]
		if p.S != nil {
			b.AddSet(p.S.SampleCount, p.S.Sum, p.S.Minimum, p.S.Maximum)
		}
		for j, v := range p.V {
			w := 1.0
			if j < len(p.C) {
				w = p.C[j]
			}
			b.AddWeighted(v, w)
		}
	}
	window := make([]cwalarm.Point, r)
	for i := range window {
		window[i].Time = start.Add(time.Duration(i) * cfg.Period)
		if v, ok := buckets[i].Value(cfg.Stat); ok {
			window[i].Value, window[i].SampleCount, window[i].Present = v, buckets[i].Count, true
		}
	}
	return window, nil
}

// mathError is a metric math expression the sandbox cannot compute.
type mathError struct{ error }

// mathWindow computes a metric math alarm's returned expression over the
// periods of its evaluation range ending at now.
func mathWindow(tx *state.Tx, region string, m *MetricAlarm, cfg *cwalarm.Config, now time.Time) ([]cwalarm.Point, error) {
	r := cwalarm.RangeSize(cfg.N())
	start := now.Add(-time.Duration(r) * cfg.Period)
	byID := map[string]*MetricDataQuery{}
	var returned string
	for i := range m.Metrics {
		q := &m.Metrics[i]
		byID[deref(q.Id)] = q
		if q.ReturnData == nil || *q.ReturnData {
			returned = deref(q.Id)
		}
	}
	cache := map[string]series{}
	visiting := map[string]bool{}
	env := &mathEnv{grid: grid(start, now, int64(cfg.Period/time.Second))}
	var resolve func(id string) (series, error)
	resolve = func(id string) (series, error) {
		if sr, ok := cache[id]; ok {
			return sr, nil
		}
		q := byID[id]
		if q == nil {
			return nil, mathError{fmt.Errorf("%q is not the Id of a member of Metrics", id)}
		}
		if visiting[id] {
			return nil, mathError{fmt.Errorf("the expressions refer to each other in a cycle through %q", id)}
		}
		visiting[id] = true
		defer delete(visiting, id)
		var sr series
		if ms := q.MetricStat; ms != nil {
			if !supportedStat(deref(ms.Stat)) {
				return nil, mathError{fmt.Errorf("the sandbox computes SampleCount, Sum, Average, Minimum, Maximum and pNN in metric math, not %s", deref(ms.Stat))}
			}
			mid, _ := metricID(deref(ms.Metric.Namespace), deref(ms.Metric.MetricName), ms.Metric.Dimensions)
			points, err := loadPoints(tx, region, mid, start, now)
			if err != nil {
				return nil, err
			}
			sr = series{}
			for _, b := range aggregate(points, start, now, int64(deref(ms.Period)), deref(ms.Unit)) {
				if v, ok := b.stat(deref(ms.Stat)); ok {
					sr[b.start.Unix()] = v
				}
			}
		} else {
			e, err := parseExpression(deref(q.Expression))
			if err != nil {
				return nil, mathError{err}
			}
			v, err := evalExpr(e, env)
			if err != nil {
				if _, ok := err.(mathError); ok {
					return nil, err
				}
				return nil, mathError{err}
			}
			if v.series == nil {
				return nil, mathError{fmt.Errorf("the expression of %q does not produce a time series", id)}
			}
			sr = v.series
		}
		cache[id] = sr
		return sr, nil
	}
	env.ref = resolve
	sr, err := resolve(returned)
	if err != nil {
		return nil, err
	}
	window := make([]cwalarm.Point, r)
	for i := range window {
		t := start.Add(time.Duration(i) * cfg.Period)
		window[i].Time = t
		if v, ok := sr[t.Unix()]; ok {
			window[i].Value, window[i].Present = v, true
		}
	}
	return window, nil
}

// commit applies transitions in one transaction: each alarm's new state,
// its StateUpdate history item and its pending hand-off.
func (s *Service) commit(ctx context.Context, todo []transition, now time.Time) error {
	if len(todo) == 0 {
		return nil
	}
	return s.env.State.Update(ctx, func(tx *state.Tx) error {
		for _, t := range todo {
			var doc alarmDoc
			if err := tx.Get(nsAlarm, alarmKey(t.region, t.name), &doc); err != nil {
				if service.IsNotFound(err) {
					continue // deleted meanwhile
				}
				return err
			}
			if err := s.applyTransition(tx, t, &doc, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) applyTransition(tx *state.Tx, t transition, doc *alarmDoc, now time.Time) error {
	var value, reason, reasonData **string
	var stamp, transitioned **time.Time
	var configAt time.Time
	var enabled bool
	if m := doc.Metric; m != nil {
		value, reason, reasonData, stamp, transitioned = &m.StateValue, &m.StateReason, &m.StateReasonData, &m.StateUpdatedTimestamp, &m.StateTransitionedTimestamp
		configAt, enabled = deref(m.AlarmConfigurationUpdatedTimestamp), deref(m.ActionsEnabled)
	} else {
		c := doc.Composite
		value, reason, reasonData, stamp, transitioned = &c.StateValue, &c.StateReason, &c.StateReasonData, &c.StateUpdatedTimestamp, &c.StateTransitionedTimestamp
		configAt, enabled = deref(c.AlarmConfigurationUpdatedTimestamp), deref(c.ActionsEnabled)
	}
	if !configAt.Equal(t.configAt) || !t.target.differs(deref(*value), deref(*reason)) {
		// Reconfigured or changed since the evaluation: the next one decides.
		return nil
	}
	old := StateRecord{Value: deref(*value), Reason: deref(*reason), ReasonData: deref(*reasonData), Timestamp: deref(*stamp)}
	at := now.UTC().Truncate(time.Millisecond)
	*reason, *reasonData = ptr(t.target.reason), optional(t.target.reasonData)
	if t.target.quiet && old.Value == t.target.state {
		return tx.Put(nsAlarm, alarmKey(t.region, t.name), doc)
	}
	*value, *stamp, *transitioned = ptr(t.target.state), ptr(at), ptr(at)
	if err := tx.Put(nsAlarm, alarmKey(t.region, t.name), doc); err != nil {
		return err
	}
	newRec := StateRecord{Value: t.target.state, Reason: t.target.reason, ReasonData: t.target.reasonData, Timestamp: at}
	if err := putHistoryAt(tx, t.region, now, 0, AlarmHistoryItem{
		AlarmName: ptr(t.name), AlarmType: ptr(doc.Type), HistoryItemType: ptr("StateUpdate"),
		HistorySummary: ptr(fmt.Sprintf("Alarm updated from %s to %s", old.Value, t.target.state)),
		HistoryData:    ptr(stateUpdateHistory(old, newRec)),
	}); err != nil {
		return err
	}
	fire := cwalarm.ToFire(cwalarm.State(old.Value), cwalarm.State(t.target.state), enabled, actionLists(doc))
	c := s.changeOf(t.region, doc, old, fire)
	return tx.Put(nsOutbox, outboxKey(now, c.ID), c)
}

// evaluateComposites moves composite alarms to the state their rule gives
// over their children's states (ALARM when true, else OK), as often as
// changes ripple through composites of composites.
func (s *Service) evaluateComposites(ctx context.Context, now time.Time) error {
	for round := 0; round < 10; round++ {
		var todo []transition
		err := s.env.State.View(ctx, func(tx *state.Tx) error {
			entries, err := tx.List(state.ListParams{NS: nsAlarm})
			if err != nil {
				return err
			}
			docs := map[string]*alarmDoc{} // region/name → doc
			var composites []string
			for _, en := range entries {
				var d alarmDoc
				if err := json.Unmarshal(en.Value, &d); err != nil {
					return fmt.Errorf("decode alarm %s: %w", en.Key, err)
				}
				docs[en.Key] = &d
				if d.Composite != nil {
					composites = append(composites, en.Key)
				}
			}
			for _, key := range composites {
				region, _, _ := strings.Cut(key, "/")
				c := docs[key].Composite
				if !settled(deref(c.AlarmConfigurationUpdatedTimestamp), time.Minute, now) {
					continue
				}
				tg, ok := compositeTarget(region, c, docs)
				if ok && tg.differs(deref(c.StateValue), deref(c.StateReason)) {
					todo = append(todo, transition{region: region, name: deref(c.AlarmName), configAt: deref(c.AlarmConfigurationUpdatedTimestamp), target: tg})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(todo) == 0 {
			return nil
		}
		if err := s.commit(ctx, todo, now); err != nil {
			return err
		}
	}
	return nil
}

// compositeReasonLayout is how composite reasons date a child's transition.
const compositeReasonLayout = "Monday 02 January, 2006 15:04:05 UTC"

// compositeTarget evaluates a composite alarm's rule. The reason names the
// child that changed last among those that made the result, as AWS does:
// "arn:…:alarm:child transitioned to ALARM at Friday 04 December, 2020
// 19:34:29 UTC", with the triggering children in the reason data.
func compositeTarget(region string, c *CompositeAlarm, docs map[string]*alarmDoc) (target, bool) {
	rule, refs, err := ParseRule(deref(c.AlarmRule))
	if err != nil {
		return unevaluable("its rule cannot be parsed: " + err.Error()), true
	}
	child := func(ref string) *alarmDoc {
		name := ref
		if i := strings.Index(ref, ":alarm:"); strings.HasPrefix(ref, "arn:") && i >= 0 {
			name = ref[i+len(":alarm:"):]
		}
		return docs[alarmKey(region, name)]
	}
	stateOf := func(ref string) string {
		if d := child(ref); d != nil {
			return d.stateValue()
		}
		return ""
	}
	want := StateOK
	if rule.Eval(stateOf) {
		want = StateAlarm
	}
	if want == deref(c.StateValue) {
		return target{kept: true}, true
	}
	type trig struct {
		arn, state string
		at         time.Time
	}
	var trigs []trig
	seen := map[string]bool{}
	for _, ref := range refs {
		d := child(ref)
		if d == nil || seen[d.arn()] {
			continue
		}
		seen[d.arn()] = true
		st := d.stateValue()
		if want == StateAlarm && st != StateAlarm {
			continue
		}
		var at time.Time
		if d.Metric != nil {
			at = deref(d.Metric.StateTransitionedTimestamp)
		} else {
			at = deref(d.Composite.StateTransitionedTimestamp)
		}
		trigs = append(trigs, trig{d.arn(), st, at})
	}
	sort.SliceStable(trigs, func(i, j int) bool { return trigs[i].at.After(trigs[j].at) })
	reason := "Composite alarm rule " + deref(c.AlarmRule) + " evaluated to " + map[bool]string{true: "TRUE", false: "FALSE"}[want == StateAlarm]
	if len(trigs) > 0 {
		reason = trigs[0].arn + " transitioned to " + trigs[0].state + " at " + trigs[0].at.UTC().Format(compositeReasonLayout)
	}
	type trigJSON struct {
		ARN   string `json:"arn"`
		State struct {
			Value     string `json:"value"`
			Timestamp string `json:"timestamp"`
		} `json:"state"`
	}
	list := make([]trigJSON, len(trigs))
	for i, t := range trigs {
		list[i].ARN, list[i].State.Value, list[i].State.Timestamp = t.arn, t.state, cwalarm.FormatTimestamp(t.at)
	}
	data, _ := json.Marshal(map[string]any{"triggeringAlarms": list})
	return target{state: want, reason: reason, reasonData: string(data)}, true
}
