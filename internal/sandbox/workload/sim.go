package workload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// StepInterval is how often the simulation steps, in virtual time. Steps
// run just before each multiple of it (StepLead earlier), so a minute's
// metrics are stored before the alarm evaluator looks at the minute at its
// boundary.
const (
	StepInterval = 5 * time.Second
	StepLead     = time.Millisecond
)

// Options configure a Sim.
type Options struct {
	Env    service.Env     // state, logger, region, account
	Clock  *simclock.Clock // the sandbox's virtual clock
	Faults *chaos.Store    // nil: the faults kept in Env.State
	// Host is the address the load balancers' loopback listeners bind
	// (default 127.0.0.1).
	Host string
}

// Sim is the workload simulation of one sandbox.
type Sim struct {
	env    service.Env
	clock  *simclock.Clock
	faults *chaos.Store
	host   string
	logger *slog.Logger

	stepMu sync.Mutex // one step at a time

	mu      sync.Mutex
	timer   *simclock.Timer
	started bool
	stopped bool
	servers map[string]*albServer // listener ARN → its loopback server
	rr      map[string]uint64     // round-robin position per target group
	shares  map[string]float64    // percent accumulators per fault
	carry   map[string]float64    // fractional synthetic requests per listener
	m       *minuteMetrics
	last    time.Time // the last instant stepped
}

// New builds the simulation; Start runs it.
func New(o Options) *Sim {
	logger := o.Env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Faults == nil {
		o.Faults = chaos.NewStore(o.Env.State)
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	return &Sim{env: o.Env, clock: o.Clock, faults: o.Faults, host: o.Host, logger: logger,
		servers: map[string]*albServer{}, rr: map[string]uint64{}, shares: map[string]float64{},
		carry: map[string]float64{}, m: newMinuteMetrics()}
}

// Faults is the fault store the simulation obeys.
func (s *Sim) Faults() *chaos.Store { return s.faults }

// Start opens the load balancers' loopback listeners and schedules the
// steps on the clock.
func (s *Sim) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("workload: already started")
	}
	s.started = true
	s.last = s.clock.Now().UTC()
	s.mu.Unlock()
	if err := s.SyncListeners(ctx); err != nil {
		s.logger.Warn("workload: open load balancer listeners", "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.timer = s.clock.AfterFuncAt(nextStep(s.clock.Now()), s.tick)
	}
	return nil
}

// Stop cancels the steps and closes the loopback listeners.
func (s *Sim) Stop() {
	s.mu.Lock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
	servers := s.servers
	s.servers = map[string]*albServer{}
	s.mu.Unlock()
	s.stepMu.Lock() // wait for a step under way
	s.stepMu.Unlock()
	for _, srv := range servers {
		srv.close()
	}
}

// nextStep is the first step instant after t.
func nextStep(t time.Time) time.Time {
	n := t.Truncate(StepInterval).Add(StepInterval - StepLead)
	if !n.After(t) {
		n = n.Add(StepInterval)
	}
	return n
}

func (s *Sim) tick(now time.Time) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if err := s.Step(context.Background(), now); err != nil {
		s.logger.Warn("workload: simulation step failed", "at", now, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.timer = s.clock.AfterFuncAt(nextStep(now), s.tick)
	}
}

// Step advances the simulation to now (the clock calls it every
// StepInterval): tasks start, die and are replaced (ecs.Step, with the
// faults as hooks), target health checks that are due run, the synthetic
// background load is served, CPU is sampled, and at the last step of a
// minute that minute's metrics are written to CloudWatch.
//
// An instant not after the last one stepped is skipped, so the clock's
// timer and CatchUp never step the same instant twice.
func (s *Sim) Step(ctx context.Context, now time.Time) error {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	return s.stepLocked(ctx, now.UTC())
}

// MaxCatchUp bounds how much virtual time CatchUp steps through at once;
// beyond it the simulation skips ahead.
const MaxCatchUp = time.Hour

// CatchUp runs the steps the clock has passed but whose timer has not
// fired yet (its real-time waker lags a clock that runs fast, or whose
// real-time source jumps). The sandbox calls it before serving ECS, ELBv2
// and CloudWatch requests, so what they read is the simulation at the
// virtual time.
func (s *Sim) CatchUp(ctx context.Context) error {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	now := s.clock.Now().UTC()
	s.mu.Lock()
	from := s.last
	s.mu.Unlock()
	if now.Sub(from) > MaxCatchUp {
		s.logger.Warn("workload: skipping simulation steps", "from", from, "to", now.Add(-MaxCatchUp))
		from = now.Add(-MaxCatchUp)
	}
	for t := nextStep(from); !t.After(now); t = nextStep(t) {
		if err := s.stepLocked(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sim) stepLocked(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	if !now.After(s.last) && s.started {
		s.mu.Unlock()
		return nil
	}
	s.last = now
	s.mu.Unlock()
	set, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		w, err := loadWorld(tx, now)
		if err != nil {
			return err
		}
		if err := s.syncImpaired(tx, w); err != nil {
			return err
		}
		if err := ecs.Step(tx, s.env, now, s.hooks(w)); err != nil {
			return fmt.Errorf("ecs: %w", err)
		}
		if err := w.reload(tx, false, true); err != nil {
			return err
		}
		if err := s.healthChecks(tx, w); err != nil {
			return err
		}
		if err := w.reload(tx, false, false); err != nil {
			return err
		}
		s.backgroundLoad(w, set)
		s.sampleHosts(w)
		s.sampleCPU(w, set)
		if now.Add(StepLead).Truncate(time.Minute).Equal(now.Add(StepLead)) {
			return s.flush(tx, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Listeners created since are opened once a virtual minute (and at
	// once by Status).
	if now.Add(StepLead).Truncate(time.Minute).Equal(now.Add(StepLead)) {
		if err := s.SyncListeners(ctx); err != nil {
			s.logger.Warn("workload: sync load balancer listeners", "err", err)
		}
	}
	return nil
}

// syncImpaired tells the ECS scheduler which zones are out.
func (s *Sim) syncImpaired(tx *state.Tx, w *world) error {
	sim, err := ecs.SimulationSettings(tx)
	if err != nil {
		return err
	}
	var azs []string
	for az := range w.impaired {
		azs = append(azs, az)
	}
	sort.Strings(azs)
	if fmt.Sprint(azs) == fmt.Sprint(sim.ImpairedAZs) {
		return nil
	}
	sim.ImpairedAZs = azs
	return ecs.SetSimulation(tx, sim)
}

func (s *Sim) hooks(w *world) ecs.StepHooks {
	return ecs.StepHooks{
		FailStart: func(t ecs.TaskInfo) (string, bool) {
			if w.impaired[t.AZ] {
				return "ResourceInitializationError: the Availability Zone " + t.AZ + " is impaired (simulated outage)", true
			}
			for i := range w.faults {
				f := &w.faults[i]
				if f.Kind != chaos.KindStartFailure || !serviceMatches(f, t.Cluster, t.Service) {
					continue
				}
				if f.TaskDefinition != "" && f.TaskDefinition != t.TaskDefinition && !hasSuffix(t.TaskDefinition, "/"+f.TaskDefinition) {
					continue
				}
				return "CannotPullContainerError: pull image manifest has been retried 1 time(s): simulated start failure (fault " + f.ID + ")", true
			}
			return "", false
		},
		Kill: func(t ecs.TaskInfo) (string, bool) {
			if w.impaired[t.AZ] {
				return "Essential container in task exited: the Availability Zone " + t.AZ + " is impaired (simulated outage)", true
			}
			return "", false
		},
		ContainerHealthy: func(t ecs.TaskInfo) bool {
			f := w.bad[t.ID]
			return f == nil || !f.HealthChecksFail()
		},
	}
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// healthChecks runs the target health checks that are due: every
// interval per target, the first one interval after registration.
func (s *Sim) healthChecks(tx *state.Tx, w *world) error {
	for _, arn := range w.tgOrder {
		tg := w.tgs[arn]
		hc := tg.HealthCheck
		if !hc.Enabled || len(tg.LoadBalancerARNs) == 0 || hc.Interval <= 0 {
			continue
		}
		var lb *elbv2.LoadBalancer
		for i := range w.lbs {
			if w.lbs[i].ARN == tg.LoadBalancerARNs[0] {
				lb = &w.lbs[i]
			}
		}
		for _, t := range tg.Targets {
			if t.State == "draining" || t.State == "unused" {
				continue
			}
			last := t.LastCheck
			if last.IsZero() {
				last = t.Registered
			}
			// Steps are StepInterval apart: a check due within the
			// coming step runs now.
			if w.now.Add(StepLead).Sub(last) < hc.Interval-StepLead {
				continue
			}
			res := s.check(w, lb, tg, t)
			if _, err := elbv2.RecordHealthCheck(tx, tg.ARN, t.ID, t.Port, w.now, res); err != nil {
				return err
			}
		}
	}
	return nil
}

// check is one health check of a target.
func (s *Sim) check(w *world, lb *elbv2.LoadBalancer, tg *elbv2.TargetGroupSim, t elbv2.TargetInfo) elbv2.HealthResult {
	timeout := elbv2.HealthResult{Reason: "Target.Timeout", Detail: "Request timed out"}
	out := s.answer(w, lb, t.ID, request{Method: http.MethodGet, Path: tg.HealthCheck.Path, Health: true})
	if !out.Target {
		return timeout
	}
	if tg.HealthCheck.Timeout > 0 && out.Latency >= tg.HealthCheck.Timeout {
		return timeout
	}
	if tg.HealthCheck.Protocol == "TCP" || tg.HealthCheck.Matches(out.Status) {
		return elbv2.HealthResult{Pass: true}
	}
	return elbv2.HealthResult{Reason: "Target.ResponseCodeMismatch", Detail: fmt.Sprintf("Health checks failed with these codes: [%d]", out.Status)}
}

// backgroundLoad serves the synthetic requests of one step at every
// application load balancer: at its first listener (by port) whose
// default action forwards, else its first listener.
func (s *Sim) backgroundLoad(w *world, set Settings) {
	if set.RequestsPerMinute <= 0 {
		return
	}
	per := set.RequestsPerMinute * StepInterval.Minutes()
	for i := range w.lbs {
		lb := &w.lbs[i]
		if lb.Type != "application" || len(lb.Listeners) == 0 {
			continue
		}
		l := &lb.Listeners[0]
		for i := range lb.Listeners {
			if rules := lb.Listeners[i].Rules; len(rules) > 0 && len(rules[len(rules)-1].Actions) > 0 &&
				rules[len(rules)-1].Actions[0].Type == "forward" {
				l = &lb.Listeners[i]
				break
			}
		}
		s.mu.Lock()
		s.carry[l.ARN] += per
		n := int(math.Floor(s.carry[l.ARN]))
		s.carry[l.ARN] -= float64(n)
		s.mu.Unlock()
		for range n {
			out := s.route(w, lb, l, request{Method: http.MethodGet, Host: lb.DNSName, Path: "/", Header: http.Header{}})
			s.record(w.now, lb, out)
		}
	}
}

// demand is a service's CPU demand in percent of one task: a load
// profile's CPU times its reference task count, else the base CPU at the
// desired count.
func demand(w *world, svc ecs.ServiceInfo, base float64) float64 {
	var latest *chaos.Fault
	for i := range w.faults {
		f := &w.faults[i]
		if f.Kind == chaos.KindLoad && serviceMatches(f, svc.Cluster, svc.Name) && (latest == nil || f.Created.After(latest.Created)) {
			latest = f
		}
	}
	if latest != nil {
		if cpu, ok := latest.CPUAt(w.now); ok {
			return cpu * float64(max(latest.ReferenceTasks, 1))
		}
	}
	return base * float64(max(svc.Desired, 1))
}

// CPU is the utilisation of a service's tasks at a demand: the demand
// spread over the running tasks, at most 100 %.
func CPU(demand float64, running int) float64 {
	if running <= 0 {
		return 0
	}
	return math.Min(100, demand/float64(running))
}

// Memory is the memory utilisation that goes with a CPU utilisation.
func Memory(cpu float64) float64 { return 20 + 0.3*cpu }
