package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/driftalert"
	"github.com/vigil-sre/vigil/internal/queue"
	"github.com/vigil-sre/vigil/internal/store"
)

// DriftArgs is the drift-check job: one read-only check of some stacks of
// an environment (all of them, and the unmanaged check, when Stacks is
// empty).
type DriftArgs struct {
	Env    string   `json:"env"`
	Stacks []string `json:"stacks,omitempty"`
}

// Kind implements river.JobArgs.
func (DriftArgs) Kind() string { return "vigil_drift_check" }

// driftJob is one periodic drift check: which stacks, on which schedule.
type driftJob struct {
	args  DriftArgs
	every config.Schedule
}

// driftJobs groups each environment's stacks by their cadence
// (config.Drift.For): one job per environment and cadence. When every
// stack of an environment shares one cadence (the usual case) its job
// checks the whole environment, unmanaged resources included; with
// several cadences each job checks its stacks, and the unmanaged check
// (which needs every stack's state) runs with `vigil drift --env E`.
func (s *Server) driftJobs() []driftJob {
	var out []driftJob
	for _, env := range s.envs {
		stacks := s.opts.Graph.Env(env)
		if len(stacks) == 0 {
			continue
		}
		type group struct {
			every  config.Schedule
			stacks []string
		}
		var groups []*group
		for _, st := range stacks {
			every := s.opts.Config.Drift.For(env, st.Layer).Every
			i := slices.IndexFunc(groups, func(g *group) bool { return g.every.String() == every.String() })
			if i < 0 {
				groups = append(groups, &group{every: every})
				i = len(groups) - 1
			}
			groups[i].stacks = append(groups[i].stacks, st.ID())
		}
		for _, g := range groups {
			a := DriftArgs{Env: env}
			if len(groups) > 1 {
				a.Stacks = g.stacks
			}
			out = append(out, driftJob{args: a, every: g.every})
		}
	}
	return out
}

func (j driftJob) periodic() *river.PeriodicJob {
	id := "drift:" + j.args.Env
	if len(j.args.Stacks) > 0 {
		id += ":" + strings.Join(j.args.Stacks, ",")
	}
	return queue.Periodic(id, j.every, j.args, &river.InsertOpts{Queue: queueDrift})
}

type driftWorker struct {
	river.WorkerDefaults[DriftArgs]
	s *Server
}

// Timeout: a drift check plans every stack; River's default of a minute
// is too short.
func (w *driftWorker) Timeout(*river.Job[DriftArgs]) time.Duration { return 30 * time.Minute }

func (w *driftWorker) Work(ctx context.Context, j *river.Job[DriftArgs]) error {
	return w.s.checkDrift(ctx, j.Args)
}

// checkDrift runs one check, stores its reports and raises, updates or
// resolves the alerts.
func (s *Server) checkDrift(ctx context.Context, a DriftArgs) error {
	if !slices.Contains(s.envs, a.Env) {
		s.log.Info("drift: skipping a check of an environment this serve does not watch", "env", a.Env)
		return nil
	}
	tgt, err := s.target(ctx, a.Env)
	if err != nil {
		s.m.driftChecks.WithLabelValues(a.Env, "error").Inc()
		return err
	}
	start := time.Now()
	rep, err := s.check(ctx, drift.Params{
		Config: s.opts.Config, Graph: s.opts.Graph, Env: a.Env, Stacks: a.Stacks, Terraform: s.opts.Terraform,
		Target: tgt, Vars: s.opts.Vars, Parallelism: s.opts.DriftParallelism, Now: s.now,
	})
	if ctx.Err() != nil {
		// Stopping: hand the job back rather than record half a check.
		return ctx.Err()
	}
	s.m.driftSeconds.WithLabelValues(a.Env).Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.driftChecks.WithLabelValues(a.Env, "error").Inc()
		s.log.Error("drift: check failed", "env", a.Env, "err", err)
		return err
	}
	result := "clean"
	switch {
	case rep.Failed():
		result = "error"
	case rep.Drifted():
		result = "drifted"
	}
	s.m.driftChecks.WithLabelValues(a.Env, result).Inc()
	var errs []error
	clean := 0
	for _, sr := range rep.Stacks {
		if err := s.recordStack(ctx, rep, sr); err != nil {
			errs = append(errs, err)
		}
		if sr.Status == drift.StatusClean {
			clean++
		}
	}
	if rep.Unmanaged.Checked {
		if err := s.recordUnmanaged(ctx, rep); err != nil {
			errs = append(errs, err)
		}
	}
	s.log.Info("drift: checked", "env", a.Env, "stacks", len(rep.Stacks), "result", result, "duration", time.Since(start).Round(time.Millisecond))
	if result == "clean" && clean == len(rep.Stacks) {
		s.heartbeat(ctx, a.Env, len(rep.Stacks))
	}
	return errors.Join(errs...)
}

// recordStack stores one stack's report and moves its alert.
func (s *Server) recordStack(ctx context.Context, rep *drift.Report, sr *drift.StackReport) error {
	live := driftalert.Live(sr.Drift)
	body, _ := json.Marshal(sr)
	prev, _ := s.opts.Store.DriftReportList(ctx, &store.DriftReportListParams{Env: rep.Env, Stack: sr.Stack, Limit: 1})
	if _, err := s.opts.Store.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{
		Env: rep.Env, Stack: sr.Stack, Status: sr.Status, CheckedAt: rep.StartedAt, Duration: sr.Duration,
		Findings: len(live), Report: body, Error: sr.Error,
	}}); err != nil {
		return err
	}
	for _, st := range []string{drift.StatusClean, drift.StatusDrifted, drift.StatusError} {
		v := 0.0
		if st == sr.Status {
			v = 1
		}
		s.m.driftStatus.WithLabelValues(rep.Env, sr.Stack, st).Set(v)
	}
	s.m.driftFindings.WithLabelValues(rep.Env, sr.Stack).Set(float64(len(live)))
	layer := layerOf(sr.Stack)
	switch sr.Status {
	case drift.StatusError:
		// Unknown: the alert stays as it is until a check succeeds.
		return nil
	case drift.StatusDrifted:
		if len(prev) == 0 || prev[0].Status != store.DriftDrifted {
			s.incident(ctx, store.Incident{Kind: store.IncidentDrift, Env: rep.Env, Stack: sr.Stack,
				Title: fmt.Sprintf("%s drifted: %s", sr.Stack, driftalert.Summary(live)), Detail: findingsJSON(live), Source: "serve/drift"})
		}
		return s.notify(ctx, s.driftAlert(rep.Env, sr.Stack, layer, live))
	default:
		if len(prev) > 0 && prev[0].Status == store.DriftDrifted {
			s.fixedByHand(ctx, rep.Env, sr.Stack, prev[0])
		}
		return s.notify(ctx, alert.Alert{
			Fingerprint: driftKey(rep.Env, layer), Status: alert.StatusResolved, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
			Environment: rep.Env, Layer: layer, Stack: sr.Stack,
			Summary:    fmt.Sprintf("%s is clean again: code, state and resources agree", sr.Stack),
			RunbookURL: s.runbook(), Source: "vigil serve",
		})
	}
}

// fixedByHand records a drift-fixed-by-hand incident when a drifted stack
// turned clean with no apply of it since it was seen drifted.
func (s *Server) fixedByHand(ctx context.Context, env, stackID string, drifted *store.DriftReport) {
	sts, err := s.opts.Store.StackStatusList(ctx, &store.StackStatusListParams{Env: env})
	if err != nil {
		return
	}
	for _, st := range sts {
		if st.Stack == stackID && st.LastApply != nil && st.LastApply.UpdatedAt.After(drifted.CheckedAt) {
			return // an apply set it back
		}
	}
	s.incident(ctx, store.Incident{Kind: store.IncidentDriftFixedHand, Env: env, Stack: stackID,
		Title:  fmt.Sprintf("%s is clean again without an apply: the out-of-band change was reverted by hand", stackID),
		Detail: drifted.Report, Source: "serve/drift"})
}

func (s *Server) recordUnmanaged(ctx context.Context, rep *drift.Report) error {
	live := driftalert.Live(rep.Unmanaged.Findings)
	status := store.DriftClean
	switch {
	case len(rep.Unmanaged.Errors) > 0:
		status = store.DriftError
	case len(live) > 0:
		status = store.DriftDrifted
	}
	body, _ := json.Marshal(rep.Unmanaged)
	if _, err := s.opts.Store.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{
		Env: rep.Env, Status: status, CheckedAt: rep.StartedAt, Findings: len(live), Report: body,
		Error: strings.Join(rep.Unmanaged.Errors, "; "),
	}}); err != nil {
		return err
	}
	s.m.driftFindings.WithLabelValues(rep.Env, "").Set(float64(len(live)))
	var a alert.Alert
	switch {
	case len(live) > 0:
		a = driftalert.Unmanaged(rep.Env, live, driftalert.Options{Source: "vigil serve", Runbook: s.runbook()})
	case status == store.DriftClean:
		a = alert.Alert{
			Fingerprint: driftalert.Key(rep.Env, "unmanaged"), Status: alert.StatusResolved, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
			Environment: rep.Env, RunbookURL: s.runbook(), Source: "vigil serve",
			Summary: fmt.Sprintf("no unmanaged resources tagged for %s any more", rep.Env),
		}
	default:
		return nil
	}
	return s.notify(ctx, a)
}

// driftAlert is the firing alert of a drifted stack: every finding with
// its address, attribute and before → after (masked by drift).
func (s *Server) driftAlert(env, stackID, layer string, live []drift.Finding) alert.Alert {
	return driftalert.Stack(env, stackID, live, driftalert.Options{Source: "vigil serve", Runbook: s.runbook(),
		FirstStep: s.opts.Config.Drift.FirstStep})
}

func findingsJSON(fs []drift.Finding) json.RawMessage {
	b, _ := json.Marshal(fs)
	return b
}

func driftKey(env, layer string) string { return driftalert.Key(env, layer) }

func layerOf(stackID string) string {
	_, layer, _ := strings.Cut(stackID, "/")
	return layer
}

func (s *Server) runbook() string {
	if r := s.opts.Config.Drift.Runbook; r != "" {
		return r
	}
	return config.DefaultDriftRunbook
}

// heartbeat keeps one info alert per environment up to date with "checked
// N stacks, no drift", at most every serve.heartbeat: receivers get an
// update each time, never a new page.
func (s *Server) heartbeat(ctx context.Context, env string, n int) {
	every := s.opts.Config.Serve.Heartbeat
	if every <= 0 {
		return
	}
	now := s.now()
	slot := now.Truncate(every)
	s.hbMu.Lock()
	last := s.hbLast[env]
	if !last.IsZero() && !slot.After(last) {
		s.hbMu.Unlock()
		return
	}
	s.hbLast[env] = slot
	s.hbMu.Unlock()
	_ = s.notify(ctx, alert.Alert{
		Fingerprint: "heartbeat/" + env, Status: alert.StatusFiring, Kind: alert.KindDrift, Severity: alert.SeverityInfo,
		Environment: env, Summary: fmt.Sprintf("heartbeat: checked %d stacks of %s at %s, no drift", n, env, slot.UTC().Format(time.RFC3339)),
		RunbookURL: s.runbook(), FirstStep: "Nothing to do: this says vigil serve is watching.", Source: "vigil serve",
	})
}

func (s *Server) incident(ctx context.Context, in store.Incident) {
	if _, err := s.opts.Store.IncidentInsert(ctx, &store.IncidentInsertParams{Incident: in}); err != nil {
		s.log.Warn("incident not recorded", "kind", in.Kind, "stack", in.Stack, "err", err)
	}
}
