package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// Run kinds.
const (
	KindPlan        = "plan"
	KindReplanApply = "replan-apply"
	KindBootstrap   = "bootstrap"
)

// Audit actions the pipeline records.
const (
	ActionPlan      = "plan"
	ActionApprove   = "approve"
	ActionApply     = "apply"
	ActionRefuse    = "refuse"
	ActionUnlock    = "unlock"
	ActionInterrupt = "interrupt"
	ActionBootstrap = "bootstrap"
	ActionMigrate   = "migrate-state"
)

// Identity is who runs vigil, recorded on runs, locks and audit events.
type Identity struct {
	User string
	Host string
	PID  int
}

// CurrentIdentity is the process's identity: VIGIL_USER, else the OS user.
func CurrentIdentity() Identity {
	id := Identity{PID: os.Getpid()}
	id.Host, _ = os.Hostname()
	id.User = os.Getenv("VIGIL_USER")
	if id.User == "" {
		if u, err := user.Current(); err == nil {
			id.User = u.Username
		}
	}
	if id.User == "" {
		id.User = "unknown"
	}
	return id
}

// Params configure New.
type Params struct {
	Config    *config.Config
	Graph     *stack.Graph
	Terraform *terraform.Toolchain
	Store     store.Store
	// Policy is the policy gate; nil runs none.
	Policy PolicyGate
	// TargetOverride replaces every environment's target ("sandbox" or
	// "aws"), as --target does.
	TargetOverride string
	// Resolve finds an environment's target (default target.Resolve).
	Resolve  func(ctx context.Context, cfg *config.Config, env config.Environment, opts target.Options) (*target.Target, error)
	Identity Identity
	Logger   *slog.Logger
	// Progress receives per-stack events; calls may come from several
	// goroutines, one at a time.
	Progress func(Event)
	// Parallelism bounds the stacks run at once (default: the number of
	// CPUs, at least 2).
	Parallelism int
	// LockTimeout is how long to wait for the environment lock (0: fail at
	// once naming the holder).
	LockTimeout time.Duration
	// Vars are passed as -var NAME=VALUE to the stacks that declare NAME.
	Vars map[string]string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Pipeline runs the gated flow of one repository. Make one per process
// (or per command); Close it to stop the sandbox it may have started.
type Pipeline struct {
	cfg   *config.Config
	graph *stack.Graph
	tc    *terraform.Toolchain
	st    store.Store
	p     Params

	mu      sync.Mutex
	targets map[string]*target.Target
	locks   map[string]*heldLock
	secrets map[string]*review.Secrets // run id + "/" + stack id → what masking removed
	inited  map[string]bool            // data dirs initialised with their backend by this process
}

type heldLock struct {
	lock  *EnvLock
	count int
}

// New returns a Pipeline.
func New(p Params) (*Pipeline, error) {
	if p.Config == nil || p.Graph == nil || p.Store == nil {
		return nil, errors.New("pipeline: Config, Graph and Store are required")
	}
	if p.Resolve == nil {
		p.Resolve = target.Resolve
	}
	if p.Identity.User == "" {
		p.Identity = CurrentIdentity()
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Parallelism <= 0 {
		p.Parallelism = max(2, runtime.NumCPU())
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Pipeline{cfg: p.Config, graph: p.Graph, tc: p.Terraform, st: p.Store, p: p,
		targets: map[string]*target.Target{}, locks: map[string]*heldLock{},
		secrets: map[string]*review.Secrets{}, inited: map[string]bool{}}, nil
}

// Close stops what the pipeline started (an in-process sandbox) and
// releases locks still held.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for env, h := range p.locks {
		errs = append(errs, h.lock.Release())
		delete(p.locks, env)
	}
	for env, t := range p.targets {
		errs = append(errs, t.Close(ctx))
		delete(p.targets, env)
	}
	return errors.Join(errs...)
}

// Store is the store the pipeline records in.
func (p *Pipeline) Store() store.Store { return p.st }

// Config is the repository configuration.
func (p *Pipeline) Config() *config.Config { return p.cfg }

func (p *Pipeline) env(name string) (config.Environment, error) {
	e, ok := p.cfg.Environment(name)
	if !ok {
		return config.Environment{}, fmt.Errorf("unknown environment %q: %s declares %s", name, config.FileName, strings.Join(p.cfg.EnvironmentNames(), ", "))
	}
	return e, nil
}

// Target resolves (once per pipeline) where env's Terraform processes go.
func (p *Pipeline) Target(ctx context.Context, env string) (*target.Target, error) {
	e, err := p.env(env)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.targets[env]; ok {
		return t, nil
	}
	t, err := p.p.Resolve(ctx, p.cfg, e, target.Options{Override: p.p.TargetOverride, Logger: p.p.Logger})
	if err != nil {
		return nil, err
	}
	p.targets[env] = t
	return t, nil
}

// lockEnv takes env's lock (reentrant within this pipeline) and returns
// its release.
func (p *Pipeline) lockEnv(ctx context.Context, env, runID, command string) (func(), error) {
	p.mu.Lock()
	if h, ok := p.locks[env]; ok {
		h.count++
		p.mu.Unlock()
		return func() { p.unlockEnv(env) }, nil
	}
	p.mu.Unlock()
	holder := LockHolder{RunID: runID, Command: command, PID: p.p.Identity.PID, Host: p.p.Identity.Host, User: p.p.Identity.User}
	l, err := AcquireEnvLock(ctx, p.cfg.StateDir(), env, holder, p.p.LockTimeout)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.locks[env] = &heldLock{lock: l, count: 1}
	p.mu.Unlock()
	// Holding the lock, no other vigil runs on env: runs still marked as
	// running were cut short.
	if err := p.markInterrupted(ctx, env); err != nil {
		p.p.Logger.Warn("could not mark interrupted runs", "env", env, "err", err)
	}
	return func() { p.unlockEnv(env) }, nil
}

func (p *Pipeline) unlockEnv(env string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h, ok := p.locks[env]
	if !ok {
		return
	}
	if h.count--; h.count == 0 {
		_ = h.lock.Release()
		delete(p.locks, env)
	}
}

// markInterrupted records the runs of env that say they are running while
// nobody holds env's lock as interrupted.
func (p *Pipeline) markInterrupted(ctx context.Context, env string) error {
	for _, status := range []string{store.RunRunning, store.RunApplying} {
		runs, err := p.st.RunList(ctx, &store.RunListParams{Env: env, Status: status})
		if err != nil {
			return err
		}
		for _, r := range runs {
			msg := fmt.Sprintf("interrupted: the vigil process (pid %d on %s) stopped while the run was %s; check the state locks with vigil unlock", r.PID, r.Host, r.Status)
			if _, err := p.st.RunUpdate(ctx, &store.RunUpdateParams{ID: r.ID, Status: store.RunInterrupted, Message: &msg,
				Audit: p.event(ActionInterrupt, store.RunInterrupted, map[string]any{"was": r.Status})}); err != nil {
				return err
			}
		}
	}
	return nil
}

// event builds an audit event by this pipeline's identity.
func (p *Pipeline) event(action, outcome string, detail any) *store.AuditEvent {
	e := &store.AuditEvent{Actor: p.p.Identity.User, Action: action, Outcome: outcome}
	if detail != nil {
		if b, err := json.Marshal(detail); err == nil {
			e.Detail = b
		}
	}
	return e
}

func (p *Pipeline) emit(ev Event) {
	if p.p.Progress == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p.Progress(ev)
}

// Event reports progress on one stack.
type Event struct {
	RunID string
	Stack string
	// Phase is "init", "plan", "apply", "check" (binding re-check),
	// "state" (state pull/push) or "unlock".
	Phase string
	Done  bool
	// Status is the stack's outcome when Done (review.Status*).
	Status   string
	Note     string
	Duration time.Duration
}

// NewRunID returns a sortable, unique run id: UTC time and random bits.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// RunDir is where a run's artefacts live: .vigil/runs/<run-id>.
func (p *Pipeline) RunDir(runID string) string {
	return filepath.Join(p.cfg.StateDir(), "runs", runID)
}

// stackDir is .vigil/runs/<run-id>/<env>/<layer>.
func (p *Pipeline) stackDir(runID string, s *stack.Stack) string {
	return filepath.Join(p.RunDir(runID), s.Env, s.Layer)
}

// runner is the stack's Runner: its own backend data dir, the target's
// environment.
func (p *Pipeline) runner(t *target.Target, s *stack.Stack) *terraform.Runner {
	r := p.tc.Runner(s.Dir)
	rel := filepath.FromSlash(s.Path)
	r = r.WithDataDir(filepath.Join(p.cfg.StateDir(), "tfdata-backend", rel))
	if t != nil {
		r = r.WithEnv(t.Env)
	}
	return r
}

// initStack runs init with the backend (reused when nothing changed), once
// per process and data dir.
func (p *Pipeline) initStack(ctx context.Context, r *terraform.Runner, s *stack.Stack, env config.Environment) error {
	p.mu.Lock()
	done := p.inited[r.DataDir()]
	p.mu.Unlock()
	if done {
		return nil
	}
	opts := []terraform.InitOption{terraform.Reuse(true)}
	opts = append(opts, backendOptions(p.backendConfig(s.Dir, s.Env, s.Layer, env))...)
	if err := r.Init(ctx, opts...); err != nil {
		return err
	}
	p.mu.Lock()
	p.inited[r.DataDir()] = true
	p.mu.Unlock()
	return nil
}

func (p *Pipeline) secretsFor(runID, stackID string) *review.Secrets {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.secrets[runID+"/"+stackID]
}

func (p *Pipeline) rememberSecrets(runID, stackID string, s *review.Secrets) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.secrets[runID+"/"+stackID] = s
}

// planVars are the -var options for a stack: the pipeline's Vars the stack
// declares.
func (p *Pipeline) planVars(s *stack.Stack) []terraform.PlanOption {
	if len(p.p.Vars) == 0 {
		return nil
	}
	declared := declaredVariables(s.Dir)
	var out []terraform.PlanOption
	for k, v := range p.p.Vars {
		if declared[k] {
			out = append(out, terraform.Var(k, v))
		}
	}
	return out
}

// writeFile writes data with mode, creating the folder.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, mode)
}
