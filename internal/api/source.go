package api

import (
	"context"
	"slices"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
)

// RunSource is what the API reads about runs, their stacks, approvals and
// the audit log. store.Store satisfies it.
type RunSource interface {
	RunGet(ctx context.Context, id string) (*store.Run, error)
	RunList(ctx context.Context, p *store.RunListParams) ([]*store.Run, error)
	RunStackList(ctx context.Context, runID string) ([]*store.RunStack, error)
	ApprovalListByRun(ctx context.Context, runID string) ([]*store.Approval, error)
}

// DriftSource is what the API reads about drift checks.
type DriftSource interface {
	// DriftReports returns the stored drift checks, newest first (of env
	// when env is set), at most limit (0: the source's default). A report
	// may cover a subset of the environment's stacks; the API takes each
	// stack's newest.
	DriftReports(ctx context.Context, env string, limit int) ([]*drift.Report, error)
}

// Canary is one configured canary and its alert state.
type Canary struct {
	Key              string        `json:"key"` // canary.Check.Key: "canary/<env>/<name>"
	Name             string        `json:"name"`
	Env              string        `json:"env,omitempty"`
	Layer            string        `json:"layer,omitempty"`
	URL              string        `json:"url"` // credentials redacted
	Interval         time.Duration `json:"interval"`
	Conditions       []string      `json:"conditions"`
	FailureThreshold int           `json:"failure_threshold"`
	SuccessThreshold int           `json:"success_threshold"`
	RunbookURL       string        `json:"runbook_url,omitempty"`
	State            canary.State  `json:"state"`
}

// CanarySource is what the API reads about canaries.
type CanarySource interface {
	Canaries(ctx context.Context) ([]Canary, error)
	// CanaryResults returns a canary's newest results (by Canary.Key),
	// oldest first, at most limit.
	CanaryResults(ctx context.Context, key string, limit int) ([]canary.Result, error)
}

// AlertSource is what the API reads about alerts: the dispatcher's states
// (alert.StateStore has ListStates) and its recorded delivery attempts.
type AlertSource interface {
	ListStates(ctx context.Context) ([]alert.State, error)
	// AlertAttempts returns the delivery attempts made at or after since,
	// in order.
	AlertAttempts(ctx context.Context, since time.Time) ([]alert.Attempt, error)
}

// Approver records approvals; *pipeline.Pipeline satisfies it. Approve
// must bind the approval to the run's exact plans and audit it.
type Approver interface {
	Approve(ctx context.Context, p pipeline.ApproveParams) (*store.Approval, error)
}

// Environment is one environment of the repository and the layers it has
// a stack in.
type Environment struct {
	Name              string   `json:"name"`
	Target            string   `json:"target,omitempty"`
	Region            string   `json:"region,omitempty"`
	Approval          bool     `json:"approval"`
	AllowSelfApproval bool     `json:"allow_self_approval"`
	Layers            []string `json:"layers"`
}

// Layout is the repository's environments × layers: the overview's grid.
type Layout struct {
	Layers       []string      `json:"layers"` // apply order
	Environments []Environment `json:"environments"`
}

// env returns the named environment.
func (l Layout) env(name string) (Environment, bool) {
	for _, e := range l.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// stacks lists every stack id ("<env>/<layer>") in grid order.
func (l Layout) stacks() []string {
	var out []string
	for _, e := range l.Environments {
		for _, layer := range e.Layers {
			out = append(out, e.Name+"/"+layer)
		}
	}
	return out
}

// LayoutFrom builds the Layout from vigil.hcl and the stacks found.
func LayoutFrom(cfg *config.Config, g *stack.Graph) Layout {
	l := Layout{Layers: slices.Clone(cfg.Layers)}
	for _, e := range cfg.Environments {
		env := Environment{Name: e.Name, Target: e.Target, Region: e.Region, Approval: e.Approval, AllowSelfApproval: e.AllowSelfApproval, Layers: []string{}}
		var layers []string
		if g != nil {
			for _, s := range g.Env(e.Name) {
				layers = append(layers, s.Layer)
			}
		}
		for _, layer := range l.Layers {
			if slices.Contains(layers, layer) {
				env.Layers = append(env.Layers, layer)
			}
		}
		for _, layer := range layers {
			if !slices.Contains(env.Layers, layer) {
				env.Layers = append(env.Layers, layer)
			}
			if !slices.Contains(l.Layers, layer) {
				l.Layers = append(l.Layers, layer)
			}
		}
		l.Environments = append(l.Environments, env)
	}
	return l
}
