package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// Stack states on the overview, worst first.
const (
	StateFailing = "failing" // a plan or apply failed, a run was cut short, a canary alerts, or the drift check failed
	StateDrifted = "drifted" // the last drift check found drift
	StateWaiting = "waiting" // planned changes wait for approval or apply
	StateGreen   = "green"   // applied, no drift, canaries fine
	StateUnknown = "unknown" // nothing recorded yet
)

// stateRank orders states, worst first.
var stateRank = map[string]int{StateFailing: 0, StateDrifted: 1, StateWaiting: 2, StateGreen: 3, StateUnknown: 4}

// StackRun is a stack's part in one run.
type StackRun struct {
	RunID     string         `json:"run_id"`
	Kind      string         `json:"kind"`
	RunStatus string         `json:"run_status"`
	Status    string         `json:"status"` // the stack's: changes, no-changes, waiting, failed, applied, skipped
	Counts    *review.Counts `json:"counts,omitempty"`
	Note      string         `json:"note,omitempty"`
	Approval  string         `json:"approval,omitempty"` // required, approved by NAME, not required
	At        time.Time      `json:"at"`
}

// StackDrift is a stack's last drift check.
type StackDrift struct {
	Status    string    `json:"status"` // clean, drifted, error
	CheckedAt time.Time `json:"checked_at"`
	Changed   int       `json:"changed"`
	Deleted   int       `json:"deleted"`
	Pending   int       `json:"pending"`
	Ignored   int       `json:"ignored"`
	Error     string    `json:"error,omitempty"`
}

// StackCanaries sums the canaries of a stack's environment and layer.
type StackCanaries struct {
	Total    int      `json:"total"`
	Alerting []string `json:"alerting,omitempty"` // names
}

// Stack is one environment × layer as the overview shows it.
type Stack struct {
	Stack string `json:"stack"`
	Env   string `json:"env"`
	Layer string `json:"layer"`
	// State is failing, drifted, waiting, green or unknown; Reasons say why.
	State     string        `json:"state"`
	Reasons   []string      `json:"reasons"`
	LastRun   *StackRun     `json:"last_run,omitempty"`
	LastApply *StackRun     `json:"last_apply,omitempty"`
	Drift     *StackDrift   `json:"drift,omitempty"`
	Canaries  StackCanaries `json:"canaries"`
}

// runScanLimit bounds the runs read to find each stack's last run.
const runScanLimit = 200

// reader computes the API's views from its sources.
type reader struct {
	layout   Layout
	runs     RunSource
	status   func(*store.Run) string
	drift    DriftSource
	canaries CanarySource
	alerts   AlertSource
	now      func() time.Time
	noise    alert.NoiseOptions
}

func (rd *reader) effective(r *store.Run) *store.Run {
	if rd.status == nil {
		return r
	}
	if s := rd.status(r); s != r.Status {
		c := *r
		c.Status = s
		if c.Message == "" && s == store.RunInterrupted {
			c.Message = "interrupted: its vigil process is gone"
		}
		return &c
	}
	return r
}

// approvalOf says whether a run is approved ("approved by NAME"), needs an
// approval ("required") or not ("not required").
func (rd *reader) approvalOf(r *store.Run, approvals []*store.Approval) string {
	var by []string
	for _, a := range approvals {
		if a.Binding != "" && a.Binding == r.Binding {
			by = append(by, a.By)
		}
	}
	if len(by) > 0 {
		return "approved by " + strings.Join(by, ", ")
	}
	if env, ok := rd.layout.env(r.Env); ok && !env.Approval {
		return "not required"
	}
	return "required"
}

// Stacks computes every stack's state (of env when set), in grid order.
func (rd *reader) Stacks(ctx context.Context, env string) ([]Stack, error) {
	var out []Stack
	idx := map[string]int{}
	for _, e := range rd.layout.Environments {
		if env != "" && e.Name != env {
			continue
		}
		for _, layer := range e.Layers {
			id := e.Name + "/" + layer
			idx[id] = len(out)
			out = append(out, Stack{Stack: id, Env: e.Name, Layer: layer, Reasons: []string{}})
		}
	}
	if len(out) == 0 {
		return []Stack{}, nil
	}
	runs, err := rd.runs.RunList(ctx, &store.RunListParams{Env: env, Limit: runScanLimit})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	missing := len(out) * 2
	for _, r := range runs {
		if missing == 0 {
			break
		}
		r = rd.effective(r)
		recs, err := rd.runs.RunStackList(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("read run %s: %w", r.ID, err)
		}
		var approval string
		for _, rs := range recs {
			i, ok := idx[rs.Stack]
			if !ok {
				continue
			}
			s := &out[i]
			if s.LastRun != nil && (s.LastApply != nil || rs.Status != review.StatusApplied) {
				continue
			}
			sr := &StackRun{RunID: r.ID, Kind: r.Kind, RunStatus: r.Status, Status: rs.Status, Note: rs.Message, At: rs.UpdatedAt}
			if sr.At.IsZero() {
				sr.At = r.UpdatedAt
			}
			if sum := stackSummary(rs); sum != nil {
				c := sum.Counts
				sr.Counts = &c
			}
			if s.LastRun == nil {
				if r.Status == store.RunPlanned && rs.Status == review.StatusChanges {
					if approval == "" {
						as, err := rd.runs.ApprovalListByRun(ctx, r.ID)
						if err != nil {
							return nil, fmt.Errorf("read approvals of run %s: %w", r.ID, err)
						}
						approval = rd.approvalOf(r, as)
					}
					sr.Approval = approval
				}
				s.LastRun = sr
				missing--
			}
			if s.LastApply == nil && rs.Status == review.StatusApplied {
				c := *sr
				c.Approval = ""
				s.LastApply = &c
				missing--
			}
		}
	}
	if rd.drift != nil {
		reps, err := rd.drift.DriftReports(ctx, env, 0)
		if err != nil {
			return nil, fmt.Errorf("read drift checks: %w", err)
		}
		for _, rep := range reps {
			for _, sr := range rep.Stacks {
				i, ok := idx[sr.Stack]
				if !ok || out[i].Drift != nil {
					continue
				}
				out[i].Drift = stackDrift(rep, sr)
			}
		}
	}
	if rd.canaries != nil {
		cs, err := rd.canaries.Canaries(ctx)
		if err != nil {
			return nil, fmt.Errorf("read canaries: %w", err)
		}
		for _, c := range cs {
			i, ok := idx[c.Env+"/"+c.Layer]
			if !ok {
				continue
			}
			out[i].Canaries.Total++
			if c.State.Alerting {
				out[i].Canaries.Alerting = append(out[i].Canaries.Alerting, c.Name)
			}
		}
	}
	for i := range out {
		out[i].State, out[i].Reasons = classify(&out[i])
	}
	return out, nil
}

func stackDrift(rep *drift.Report, sr *drift.StackReport) *StackDrift {
	d := &StackDrift{Status: sr.Status, CheckedAt: rep.StartedAt, Error: sr.Error}
	for _, f := range append(slices.Clone(sr.Drift), sr.Pending...) {
		switch {
		case f.Ignored != nil:
			d.Ignored++
		case f.Kind == drift.KindChanged:
			d.Changed++
		case f.Kind == drift.KindDeleted:
			d.Deleted++
		case f.Kind == drift.KindPending:
			d.Pending++
		}
	}
	return d
}

// classify derives a stack's state and the reasons for it.
func classify(s *Stack) (string, []string) {
	state := StateUnknown
	reasons := []string{}
	worse := func(st, reason string) {
		if stateRank[st] < stateRank[state] {
			state = st
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	if r := s.LastRun; r != nil {
		switch {
		case r.Status == review.StatusFailed:
			worse(StateFailing, fmt.Sprintf("run %s failed on this stack", r.RunID))
		case r.RunStatus == store.RunInterrupted || r.RunStatus == store.RunFailed:
			worse(StateFailing, fmt.Sprintf("run %s %s", r.RunID, r.RunStatus))
		case r.RunStatus == store.RunPlanned && r.Status == review.StatusChanges && r.Approval == "required":
			worse(StateWaiting, fmt.Sprintf("run %s waits for approval", r.RunID))
		case r.RunStatus == store.RunPlanned && r.Status == review.StatusChanges:
			worse(StateWaiting, fmt.Sprintf("run %s is planned, not applied (%s)", r.RunID, r.Approval))
		case r.Status == review.StatusWaiting:
			worse(StateWaiting, fmt.Sprintf("run %s: waits for an upstream stack", r.RunID))
		default:
			worse(StateGreen, "")
		}
	}
	if d := s.Drift; d != nil {
		switch d.Status {
		case drift.StatusDrifted:
			worse(StateDrifted, fmt.Sprintf("drift: %d changed, %d deleted", d.Changed, d.Deleted))
		case drift.StatusError:
			worse(StateFailing, "drift check failed: "+d.Error)
		default:
			worse(StateGreen, "")
		}
	}
	if len(s.Canaries.Alerting) > 0 {
		worse(StateFailing, "canary alerting: "+strings.Join(s.Canaries.Alerting, ", "))
	} else if s.Canaries.Total > 0 {
		worse(StateGreen, "")
	}
	return state, reasons
}

func stackSummary(rs *store.RunStack) *review.StackSummary {
	if len(rs.Summary) == 0 {
		return nil
	}
	var ss review.StackSummary
	if json.Unmarshal(rs.Summary, &ss) != nil {
		return nil
	}
	return &ss
}

// RunDetail is a run with its review (masked) and approvals.
type RunDetail struct {
	Run       *store.Run        `json:"run"`
	Review    *review.Report    `json:"review"`
	Approvals []*store.Approval `json:"approvals"`
	// Approvable is set when the run is planned with changes: an approver
	// may approve it.
	Approvable bool `json:"approvable"`
}

// RunDetail reads one run.
func (rd *reader) RunDetail(ctx context.Context, id string) (*RunDetail, error) {
	r, err := rd.runs.RunGet(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(fmt.Sprintf("no run %s", id))
		}
		return nil, err
	}
	r = rd.effective(r)
	recs, err := rd.runs.RunStackList(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	approvals, err := rd.runs.ApprovalListByRun(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if approvals == nil {
		approvals = []*store.Approval{}
	}
	var sum struct {
		Policy *review.PolicyNote `json:"policy"`
	}
	if len(r.Summary) > 0 {
		_ = json.Unmarshal(r.Summary, &sum)
	}
	rep := &review.Report{RunID: r.ID, Env: r.Env, Status: r.Status, Target: r.Target, Commit: r.Commit, Author: r.Author,
		Fingerprint: r.Fingerprint, Policy: sum.Policy, Message: r.Message, Stacks: []review.StackReport{}}
	changes := false
	order := map[string]int{}
	for i, s := range rd.layout.stacks() {
		order[s] = i
	}
	slices.SortStableFunc(recs, func(a, b *store.RunStack) int {
		ia, oka := order[a.Stack]
		ib, okb := order[b.Stack]
		if oka && okb {
			return cmp.Compare(ia, ib)
		}
		return strings.Compare(a.Stack, b.Stack)
	})
	for _, rs := range recs {
		sr := review.StackReport{Stack: rs.Stack, Status: rs.Status, Note: rs.Message, Summary: stackSummary(rs)}
		if rs.Status == review.StatusChanges {
			changes = true
		}
		rep.Stacks = append(rep.Stacks, sr)
	}
	if r.Binding != "" {
		rep.Approval = rd.approvalOf(r, approvals)
	}
	return &RunDetail{Run: r, Review: rep, Approvals: approvals, Approvable: r.Status == store.RunPlanned && changes && r.Binding != ""}, nil
}

// Runs lists runs, newest first, with their effective status.
func (rd *reader) Runs(ctx context.Context, p store.RunListParams) ([]*store.Run, error) {
	runs, err := rd.runs.RunList(ctx, &p)
	if err != nil {
		return nil, err
	}
	out := make([]*store.Run, 0, len(runs))
	for _, r := range runs {
		out = append(out, rd.effective(r))
	}
	return out, nil
}

// Approvals is the approvals of recent runs and the runs that wait for
// one.
type Approvals struct {
	Approvals []ApprovalEntry `json:"approvals"`
	Waiting   []*store.Run    `json:"waiting"`
}

// ApprovalEntry is an approval with its run's environment, and whether it
// still binds the run's plans.
type ApprovalEntry struct {
	store.Approval
	Env     string `json:"env"`
	Current bool   `json:"current"` // it binds the run's exact current plans
}

// Approvals lists the approvals of the newest runs (of env when set).
func (rd *reader) Approvals(ctx context.Context, env string, limit int) (*Approvals, error) {
	runs, err := rd.runs.RunList(ctx, &store.RunListParams{Env: env, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &Approvals{Approvals: []ApprovalEntry{}, Waiting: []*store.Run{}}
	for _, r := range runs {
		r = rd.effective(r)
		as, err := rd.runs.ApprovalListByRun(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			out.Approvals = append(out.Approvals, ApprovalEntry{Approval: *a, Env: r.Env, Current: a.Binding == r.Binding})
		}
		if r.Status == store.RunPlanned && r.Binding != "" && rd.approvalOf(r, as) == "required" {
			out.Waiting = append(out.Waiting, r)
		}
	}
	slices.SortStableFunc(out.Approvals, func(a, b ApprovalEntry) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// DriftStack is a stack's newest drift check.
type DriftStack struct {
	Env       string          `json:"env"`
	Stack     string          `json:"stack"`
	CheckedAt time.Time       `json:"checked_at"`
	Status    string          `json:"status"`
	Error     string          `json:"error,omitempty"`
	Drift     []drift.Finding `json:"drift"`
	Pending   []drift.Finding `json:"pending"`
}

// DriftUnmanaged is an environment's newest unmanaged-resource check.
type DriftUnmanaged struct {
	Env       string          `json:"env"`
	CheckedAt time.Time       `json:"checked_at"`
	Checked   bool            `json:"checked"`
	Skipped   string          `json:"skipped,omitempty"`
	Findings  []drift.Finding `json:"findings"`
	Errors    []string        `json:"errors,omitempty"`
}

// DriftView is the newest drift check of each stack and environment.
type DriftView struct {
	Stacks    []DriftStack     `json:"stacks"`
	Unmanaged []DriftUnmanaged `json:"unmanaged"`
}

// DriftFilter narrows a DriftView.
type DriftFilter struct {
	Env, Stack, Kind string
	// Drifted keeps only stacks with drift (and environments with
	// unmanaged resources).
	Drifted bool
}

var driftKinds = []string{drift.KindChanged, drift.KindDeleted, drift.KindUnmanaged, drift.KindPending}

// Drift reads the newest drift check of each stack.
func (rd *reader) Drift(ctx context.Context, f DriftFilter) (*DriftView, error) {
	if rd.drift == nil {
		return nil, unavailable("drift results are not available from this server (vigil serve runs the drift checks)")
	}
	reps, err := rd.drift.DriftReports(ctx, f.Env, 0)
	if err != nil {
		return nil, err
	}
	v := &DriftView{Stacks: []DriftStack{}, Unmanaged: []DriftUnmanaged{}}
	seenStack, seenEnv := map[string]bool{}, map[string]bool{}
	keep := func(fs []drift.Finding) []drift.Finding {
		out := []drift.Finding{}
		for _, x := range fs {
			if f.Kind == "" || x.Kind == f.Kind {
				out = append(out, x)
			}
		}
		return out
	}
	for _, rep := range reps {
		for _, sr := range rep.Stacks {
			if seenStack[sr.Stack] || (f.Stack != "" && sr.Stack != f.Stack) {
				continue
			}
			seenStack[sr.Stack] = true
			ds := DriftStack{Env: rep.Env, Stack: sr.Stack, CheckedAt: rep.StartedAt, Status: sr.Status, Error: sr.Error,
				Drift: keep(sr.Drift), Pending: keep(sr.Pending)}
			if f.Drifted && ds.Status != drift.StatusDrifted {
				continue
			}
			v.Stacks = append(v.Stacks, ds)
		}
		if rep.Unmanaged.Checked || rep.Unmanaged.Skipped != "" {
			if seenEnv[rep.Env] || f.Stack != "" {
				continue
			}
			seenEnv[rep.Env] = true
			u := DriftUnmanaged{Env: rep.Env, CheckedAt: rep.StartedAt, Checked: rep.Unmanaged.Checked, Skipped: rep.Unmanaged.Skipped,
				Findings: keep(rep.Unmanaged.Findings), Errors: rep.Unmanaged.Errors}
			if f.Drifted && len(u.Findings) == 0 {
				continue
			}
			v.Unmanaged = append(v.Unmanaged, u)
		}
	}
	order := map[string]int{}
	for i, s := range rd.layout.stacks() {
		order[s] = i
	}
	slices.SortStableFunc(v.Stacks, func(a, b DriftStack) int {
		ia, oka := order[a.Stack]
		ib, okb := order[b.Stack]
		if oka && okb {
			return cmp.Compare(ia, ib)
		}
		return strings.Compare(a.Stack, b.Stack)
	})
	return v, nil
}

// CanaryView is a canary with its recent results and figures over them.
type CanaryView struct {
	Canary
	Last    *canary.Result  `json:"last,omitempty"`
	Results []canary.Result `json:"results"`
	// SuccessRate is the share of OK results (0..1) over Results.
	SuccessRate float64 `json:"success_rate"`
	// LatencyP50 and LatencyP95 are over Results with a response.
	LatencyP50 time.Duration `json:"latency_p50"`
	LatencyP95 time.Duration `json:"latency_p95"`
}

// Canaries reads every canary with its newest results (at most n).
func (rd *reader) Canaries(ctx context.Context, env string, n int) ([]CanaryView, error) {
	if rd.canaries == nil {
		return nil, unavailable("canary results are not available from this server (vigil serve runs the canaries)")
	}
	cs, err := rd.canaries.Canaries(ctx)
	if err != nil {
		return nil, err
	}
	out := []CanaryView{}
	for _, c := range cs {
		if env != "" && c.Env != env {
			continue
		}
		rs, err := rd.canaries.CanaryResults(ctx, c.Key, n)
		if err != nil {
			return nil, fmt.Errorf("results of canary %s: %w", c.Key, err)
		}
		out = append(out, canaryView(c, rs))
	}
	slices.SortStableFunc(out, func(a, b CanaryView) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// canaryView computes a canary's figures over its results.
func canaryView(c Canary, rs []canary.Result) CanaryView {
	if rs == nil {
		rs = []canary.Result{}
	}
	v := CanaryView{Canary: c, Results: rs}
	if len(rs) == 0 {
		return v
	}
	last := rs[len(rs)-1]
	v.Last = &last
	ok := 0
	var lat []time.Duration
	for _, r := range rs {
		if r.OK {
			ok++
		}
		if r.Status != 0 {
			lat = append(lat, r.Latency)
		}
	}
	v.SuccessRate = float64(ok) / float64(len(rs))
	if len(lat) > 0 {
		slices.Sort(lat)
		v.LatencyP50 = nearestRank(lat, 0.5)
		v.LatencyP95 = nearestRank(lat, 0.95)
	}
	return v
}

func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// FiringAlert is an alert that fires now (or whose resolve is not
// delivered everywhere yet).
type FiringAlert struct {
	Key         string     `json:"key"`
	Kind        alert.Kind `json:"kind"`
	Environment string     `json:"environment,omitempty"`
	Stack       string     `json:"stack,omitempty"`
	Severity    string     `json:"severity,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	Since       time.Time  `json:"since"`
	Firing      bool       `json:"firing"`
	Receivers   []string   `json:"receivers"`
}

// AlertsView is the alerts page: what fires, the latest deliveries and
// the noise figures over the window.
type AlertsView struct {
	Since  time.Time         `json:"since"`
	Firing []FiringAlert     `json:"firing"`
	Recent []alert.Attempt   `json:"recent"` // newest first
	Noise  alert.NoiseReport `json:"noise"`
}

// recentAttempts is how many deliveries the alerts view lists.
const recentAttempts = 50

// Alerts reads the alert states and the deliveries since since.
func (rd *reader) Alerts(ctx context.Context, since time.Time) (*AlertsView, error) {
	if rd.alerts == nil {
		return nil, unavailable("alerts are not available from this server (vigil serve routes the alerts)")
	}
	states, err := rd.alerts.ListStates(ctx)
	if err != nil {
		return nil, err
	}
	attempts, err := rd.alerts.AlertAttempts(ctx, since)
	if err != nil {
		return nil, err
	}
	return alertsView(states, attempts, since, rd.noise), nil
}

// alertsView is the pure part of Alerts.
func alertsView(states []alert.State, attempts []alert.Attempt, since time.Time, opts alert.NoiseOptions) *AlertsView {
	v := &AlertsView{Since: since, Firing: []FiringAlert{}, Recent: []alert.Attempt{}, Noise: alert.Noise(attempts, opts)}
	latest := map[string]alert.Attempt{}
	for _, a := range attempts {
		if prev, ok := latest[a.Key]; !ok || !a.At.Before(prev.At) {
			latest[a.Key] = a
		}
	}
	for _, s := range states {
		if !s.Firing && !anyOpen(s) {
			continue
		}
		fa := FiringAlert{Key: s.Key, Kind: s.Kind, Environment: s.Environment, Since: s.Since, Firing: s.Firing, Receivers: []string{}}
		for name := range s.Receivers {
			fa.Receivers = append(fa.Receivers, name)
		}
		slices.Sort(fa.Receivers)
		if a, ok := latest[s.Key]; ok {
			fa.Summary, fa.Stack, fa.Severity = a.Summary, a.Stack, string(a.Severity)
		}
		v.Firing = append(v.Firing, fa)
	}
	slices.SortStableFunc(v.Firing, func(a, b FiringAlert) int { return a.Since.Compare(b.Since) })
	for i := len(attempts) - 1; i >= 0 && len(v.Recent) < recentAttempts; i-- {
		v.Recent = append(v.Recent, attempts[i])
	}
	slices.SortStableFunc(v.Recent, func(a, b alert.Attempt) int { return b.At.Compare(a.At) })
	return v
}

func anyOpen(s alert.State) bool {
	for _, r := range s.Receivers {
		if r.Firing {
			return true
		}
	}
	return false
}
