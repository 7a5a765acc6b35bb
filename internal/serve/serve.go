package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/api"
	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/queue"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// The queues serve works.
const (
	queueDrift  = "drift"  // drift checks: terraform plans, a few at a time
	queueAlerts = "alerts" // alert deliveries: one at a time, in order
)

// Options configure New.
type Options struct {
	Config *config.Config
	Graph  *stack.Graph
	// Store is the store (OpenStore); QueueDB where River lives with it.
	Store   store.Store
	QueueDB queue.DB
	// Terraform runs the drift checks; nil turns drift checks off (a
	// serve that only runs canaries).
	Terraform *terraform.Toolchain
	// Vars are passed to the stacks' plans (the pipeline's -var values).
	Vars map[string]string
	// Envs limits serve to some environments (--env); empty: all.
	Envs []string
	// Addr overrides serve.addr (--addr). Listener, when set, is used
	// instead of listening on an address (tests).
	Addr     string
	Listener net.Listener
	// Approver records approvals made in the API (a *pipeline.Pipeline);
	// nil: approving answers 501.
	Approver api.Approver
	// Registry collects the metrics /metrics serves (nil: a new one with
	// the Go and process collectors).
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// LookupEnv reads token, sink-secret and header_env variables
	// (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// HTTPClient is the alert sinks' client (default: theirs).
	HTTPClient *http.Client
	// Resolve finds an environment's target (default target.Resolve).
	Resolve func(ctx context.Context, cfg *config.Config, env config.Environment, o target.Options) (*target.Target, error)
	// Check is the drift check (default drift.Check).
	Check func(ctx context.Context, p drift.Params) (*drift.Report, error)
	// DriftParallelism bounds the stacks one check plans at once.
	DriftParallelism int
	// FetchPollInterval and SoftStopTimeout tune the queue (defaults 1s
	// and 30s).
	FetchPollInterval time.Duration
	SoftStopTimeout   time.Duration
	// Ready is called with the address once serve accepts requests.
	Ready func(addr string)
	Now   func() time.Time
}

// Server is one vigil serve process.
type Server struct {
	opts  Options
	envs  []string
	log   *slog.Logger
	now   func() time.Time
	check func(ctx context.Context, p drift.Params) (*drift.Report, error)
	reg   *prometheus.Registry
	m     *metrics

	q        *queue.Queue
	disp     *alert.Dispatcher
	runner   *canary.Runner
	canaries []*canary.Check
	cstore   *canaryStore
	cw       *canary.CloudWatch
	handler  http.Handler

	tmu     sync.Mutex
	targets map[string]*target.Target

	hbMu   sync.Mutex
	hbLast map[string]time.Time
}

// New builds everything serve runs: alert dispatcher (its state and
// delivery attempts in the store), canaries, the job queue with the
// periodic drift checks and the hourly store prune (serve.retention),
// and the HTTP API and dashboard. Nothing runs until Run.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Config == nil || o.Graph == nil || o.Store == nil {
		return nil, errors.New("serve: Config, Graph and Store are required")
	}
	s := &Server{opts: o, log: o.Logger, now: o.Now, check: o.Check, reg: o.Registry,
		targets: map[string]*target.Target{}, hbLast: map[string]time.Time{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.check == nil {
		s.check = drift.Check
	}
	if s.opts.Resolve == nil {
		s.opts.Resolve = target.Resolve
	}
	if s.opts.LookupEnv == nil {
		s.opts.LookupEnv = os.LookupEnv
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, e := range o.Envs {
		if _, ok := o.Config.Environment(e); !ok {
			return nil, fmt.Errorf("unknown environment %q (declared: %s)", e, strings.Join(o.Config.EnvironmentNames(), ", "))
		}
	}
	s.envs = o.Envs
	if len(s.envs) == 0 {
		s.envs = o.Config.EnvironmentNames()
	}
	var err error
	if s.m, err = newMetrics(s.reg, o.Store); err != nil {
		return nil, err
	}
	as := alertStore{o.Store}
	if o.Config.Alerts != nil {
		s.disp, err = alert.Build(ctx, *o.Config.Alerts, s.reg, alert.BuildOptions{
			HTTPClient: o.HTTPClient, Env: alert.Env(s.opts.LookupEnv), Logger: s.log, Now: s.now,
			AWSConfig: s.awsConfig, Recorder: as, States: as,
		})
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		if err := s.disp.Load(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.setupCanaries(ctx); err != nil {
		return nil, err
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &driftWorker{s: s})
	river.AddWorker(workers, &alertWorker{s: s})
	river.AddWorker(workers, &pruneWorker{s: s})
	periodic := []*river.PeriodicJob{pruneJob()}
	if o.Terraform != nil {
		for _, j := range s.driftJobs() {
			periodic = append(periodic, j.periodic())
		}
	} else {
		s.log.Warn("serve: no terraform toolchain: drift checks are off")
	}
	s.q, err = queue.Open(ctx, o.QueueDB, queue.Options{
		Workers: workers, Periodic: periodic, Logger: s.log,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 2},
			queueDrift:         {MaxWorkers: 2},
			queueAlerts:        {MaxWorkers: 1},
		},
		FetchPollInterval: o.FetchPollInterval, SoftStopTimeout: o.SoftStopTimeout,
	})
	if err != nil {
		return nil, err
	}
	if s.handler, err = s.newHandler(); err != nil {
		_ = s.q.Stop(ctx)
		return nil, err
	}
	return s, nil
}

// Handler is the HTTP handler: API, dashboard, /metrics and /healthz.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry is the metrics registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// QueueDriver names the database the job queue runs on.
func (s *Server) QueueDriver() string { return s.q.Driver() }

func (s *Server) newHandler() (http.Handler, error) {
	tokens, err := resolveTokens(s.opts.Config.Serve.Tokens, s.opts.LookupEnv)
	if err != nil {
		return nil, err
	}
	public := s.opts.Config.Serve.PublicRead
	if len(tokens) == 0 && !public {
		if !loopback(s.addr()) {
			return nil, fmt.Errorf("serve: listening on %s with no token and public_read off: nobody could read; declare a token in vigil.hcl's serve block (docs/serve.md)", s.addr())
		}
		// Nothing declared and only this machine can connect: open
		// reading, keep approving closed (it always needs a token).
		public = true
		s.log.Warn("serve: no API tokens declared: reading is open on loopback, approving is off until a token with role approver is declared")
	}
	return api.New(api.Options{
		Layout: api.LayoutFrom(s.opts.Config, s.opts.Graph), Runs: s.opts.Store,
		Drift: driftSource{s.opts.Store}, Canaries: canarySource{s}, Alerts: alertStore{s.opts.Store},
		Approver: s.opts.Approver, Tokens: tokens, PublicRead: public, Gatherer: s.reg, Logger: s.log, Now: s.now,
	})
}

func (s *Server) addr() string {
	if s.opts.Listener != nil {
		return s.opts.Listener.Addr().String()
	}
	if s.opts.Addr != "" {
		return s.opts.Addr
	}
	return s.opts.Config.Serve.ListenAddr()
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolveTokens reads each token's value from its variable or file.
func resolveTokens(ts []config.ServeToken, lookup func(string) (string, bool)) ([]api.Token, error) {
	var out []api.Token
	for _, t := range ts {
		var v string
		switch {
		case t.ValueEnv != "":
			val, ok := lookup(t.ValueEnv)
			if !ok || strings.TrimSpace(val) == "" {
				return nil, fmt.Errorf("serve: token %q: environment variable %s is not set", t.Name, t.ValueEnv)
			}
			v = val
		case t.ValueFile != "":
			b, err := os.ReadFile(t.ValueFile)
			if err != nil {
				return nil, fmt.Errorf("serve: token %q: %w", t.Name, err)
			}
			v = string(b)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("serve: token %q is empty", t.Name)
		}
		out = append(out, api.Token{Name: t.Name, Role: api.Role(t.Role), Value: v})
	}
	return out, nil
}

func (s *Server) setupCanaries(ctx context.Context) error {
	checks, err := s.buildCanaries()
	if err != nil {
		return err
	}
	s.canaries = checks
	s.cstore = &canaryStore{st: s.opts.Store, checks: map[string]*canary.Check{}}
	for _, c := range checks {
		s.cstore.checks[c.Key()] = c
	}
	restore, err := s.cstore.restore(ctx)
	if err != nil {
		return err
	}
	ro, err := s.opts.Config.CanarySettings.RunnerOptions()
	if err != nil {
		return err
	}
	ro.Restore, ro.Logger, ro.Notifier = restore, s.log, queueNotifier{s}
	ro.Sinks = []canary.Sink{s.cstore}
	cwo, err := s.opts.Config.CanarySettings.CloudWatchOptions()
	if err != nil {
		return err
	}
	if cwo != nil && len(checks) > 0 {
		cfg, err := s.awsConfig(ctx, s.opts.Config.CanarySettings.CloudWatch.Environment)
		if err != nil {
			return fmt.Errorf("canaries: cloudwatch: %w", err)
		}
		s.cw = canary.NewCloudWatch(cfg, *cwo)
		ro.Sinks = append(ro.Sinks, s.cw)
	}
	s.runner, err = canary.NewRunner(checks, s.reg, ro)
	return err
}

// target resolves an environment's target once and keeps it.
func (s *Server) target(ctx context.Context, env string) (*target.Target, error) {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if t, ok := s.targets[env]; ok {
		return t, nil
	}
	e, ok := s.opts.Config.Environment(env)
	if !ok {
		return nil, fmt.Errorf("unknown environment %q", env)
	}
	t, err := s.opts.Resolve(ctx, s.opts.Config, e, target.Options{Logger: s.log})
	if err != nil {
		return nil, err
	}
	s.targets[env] = t
	return t, nil
}

// awsConfig is the AWS configuration of an environment's target (SNS
// sinks, CloudWatch canary metrics); env "" is the first environment.
func (s *Server) awsConfig(ctx context.Context, env string) (aws.Config, error) {
	if env == "" {
		env = s.envs[0]
	}
	t, err := s.target(ctx, env)
	if err != nil {
		return aws.Config{}, err
	}
	return drift.AWSConfig(ctx, t)
}

// Run serves until ctx ends (SIGTERM, Ctrl-C), then stops gracefully:
// the HTTP server finishes its requests, canaries stop, the queue lets
// running jobs finish (or hands them back) and the targets this process
// started stop. It returns nil after a clean stop.
func (s *Server) Run(ctx context.Context) error {
	ln := s.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.addr()); err != nil {
			_ = s.q.Stop(context.Background())
			return fmt.Errorf("serve: %w", err)
		}
	}
	if err := s.q.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()

	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if len(s.canaries) > 0 {
		wg.Go(func() { _ = s.runner.Run(bg) })
	}
	if s.cw != nil {
		wg.Go(func() { _ = s.cw.Run(bg) })
	}
	s.log.Info("serve: listening", "addr", ln.Addr().String(), "queue", s.q.Driver(), "environments", strings.Join(s.envs, ","), "canaries", len(s.canaries))
	if s.opts.Ready != nil {
		s.opts.Ready(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		if !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("serve: %w", err)
		}
	}
	s.log.Info("serve: stopping")
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shut, cancelShut := context.WithTimeout(stopCtx, 10*time.Second)
	_ = srv.Shutdown(shut)
	cancelShut()
	stopBg()
	wg.Wait()
	if s.cw != nil {
		_ = s.cw.Flush(stopCtx)
	}
	if err := s.q.Stop(stopCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("serve: stop the queue: %w", err))
	}
	s.tmu.Lock()
	for _, t := range s.targets {
		_ = t.Close(stopCtx)
	}
	s.targets = map[string]*target.Target{}
	s.tmu.Unlock()
	s.log.Info("serve: stopped")
	return runErr
}
