package serve

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/api"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/store"
)

// AlertArgs is the alert-delivery job: canaries hand their alerts to the
// queue (Notify returns at once) and a worker of the alerts queue, one at
// a time and in order, gives them to the dispatcher.
type AlertArgs struct {
	Alert alert.Alert `json:"alert"`
}

// Kind implements river.JobArgs.
func (AlertArgs) Kind() string { return "vigil_alert" }

type alertWorker struct {
	river.WorkerDefaults[AlertArgs]
	s *Server
}

func (w *alertWorker) Timeout(*river.Job[AlertArgs]) time.Duration { return 5 * time.Minute }

func (w *alertWorker) Work(ctx context.Context, j *river.Job[AlertArgs]) error {
	return w.s.notify(ctx, j.Args.Alert)
}

// queueNotifier is the canary runner's Notifier: it enqueues.
type queueNotifier struct{ s *Server }

func (n queueNotifier) Notify(ctx context.Context, a alert.Alert) error {
	_, err := n.s.q.Insert(ctx, AlertArgs{Alert: a}, &river.InsertOpts{Queue: queueAlerts})
	return err
}

// notify hands an alert to the dispatcher (nothing without an alerts
// block). A receiver that did not take it after its retries is logged, not
// returned: the dispatcher tries it again on the key's next dispatch, and
// reports a receiver that keeps failing.
func (s *Server) notify(ctx context.Context, a alert.Alert) error {
	if s.disp == nil {
		return nil
	}
	res, err := s.disp.Dispatch(ctx, a)
	var de *alert.DeliveryError
	if err != nil && !errors.As(err, &de) {
		return err
	}
	if err != nil {
		s.log.Warn("alert: not delivered to every receiver", "key", res.Key, "err", err)
	}
	return nil
}

// buildCanaries builds the configured canaries, reading header_env
// variables now.
func (s *Server) buildCanaries() ([]*canary.Check, error) {
	lookup := s.opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var out []*canary.Check
	for _, c := range s.opts.Config.Canaries {
		if len(s.opts.Envs) > 0 && c.Env != "" && !contains(s.opts.Envs, c.Env) {
			continue
		}
		ch, err := canary.Build(c, canary.BuildOptions{Env: lookup})
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// canarySource is api.CanarySource: the configured canaries with their
// state, and their stored results.
type canarySource struct {
	s *Server
}

func (c canarySource) Canaries(ctx context.Context) ([]api.Canary, error) {
	var out []api.Canary
	for _, ch := range c.s.canaries {
		var conds []string
		for _, cond := range ch.Conditions {
			conds = append(conds, cond.String())
		}
		out = append(out, api.Canary{
			Key: ch.Key(), Name: ch.Name, Env: ch.Environment, Layer: ch.Layer, URL: redact(ch.URL),
			Interval: ch.Interval, Conditions: conds, FailureThreshold: ch.FailureThreshold,
			SuccessThreshold: ch.SuccessThreshold, RunbookURL: ch.RunbookURL, State: c.s.cstore.state(ch.Key()),
		})
	}
	return out, nil
}

func (c canarySource) CanaryResults(ctx context.Context, key string, limit int) ([]canary.Result, error) {
	if limit <= 0 {
		limit = 100
	}
	recs, err := c.s.opts.Store.CanaryResultList(ctx, &store.CanaryResultListParams{Canary: key, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]canary.Result, 0, len(recs))
	for i := len(recs) - 1; i >= 0; i-- { // oldest first
		r := recs[i]
		name := key[strings.LastIndex(key, "/")+1:]
		res := canary.Result{Canary: name, Environment: r.Env, Time: r.At, Latency: r.Latency, Status: r.Status, OK: r.OK}
		if !r.OK {
			if r.Status == 0 {
				res.Error = r.Error
			} else if r.Error != "" {
				res.Failed = strings.Split(r.Error, "; ")
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// redact drops a URL's query and credentials (they may hold tokens).
func redact(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i] + "?…"
	}
	if at := strings.Index(u, "@"); at >= 0 {
		if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
			u = u[:scheme+3] + u[at+1:]
		}
	}
	return u
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
