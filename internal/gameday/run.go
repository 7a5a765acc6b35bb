package gameday

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
)

// Sandbox is the running sandbox a game day drives.
type Sandbox struct {
	URL string     // e.g. http://127.0.0.1:4566
	AWS aws.Config // clients pointed at URL
	// HTTP talks to the control endpoints (default: a client with a long
	// timeout, as a clock advance runs every evaluation on the way).
	HTTP *http.Client
}

// Options tune a run.
type Options struct {
	// Tick is how far each move of the clock goes (default 10 s).
	Tick time.Duration
	// Pause is the real time waited after each tick for the sandbox's
	// real processes and deliveries (default 20 ms).
	Pause time.Duration
	// Progress, when set, gets a line per step.
	Progress io.Writer
}

func (o *Options) defaults() {
	if o.Tick <= 0 {
		o.Tick = 10 * time.Second
	}
	if o.Pause <= 0 {
		o.Pause = 20 * time.Millisecond
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// ErrStepFailed marks a game day whose condition did not come in time
// (Report.Failed says which).
var ErrStepFailed = errors.New("game day step did not happen in time")

// Run runs a scenario against the environment in the sandbox: it finds
// the workload (Discover), clears every fault, stops the clock and
// subscribes a local pager to the pager topic, runs the steps, then ends
// every fault, collects what happened into the report and puts the clock
// back at its speed. A condition that does not come in time ends the
// steps early: the report says so (Failed) and the error is ErrStepFailed.
func Run(ctx context.Context, sb Sandbox, sc Scenario, o Options) (*Report, error) {
	o.defaults()
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if sb.HTTP == nil {
		sb.HTTP = &http.Client{Timeout: 10 * time.Minute}
	}
	t, err := Discover(ctx, sb.AWS)
	if err != nil {
		return nil, err
	}
	r := &runner{sb: sb, o: o, t: t, obs: newObserver(sb.AWS, t), faults: &chaos.Client{BaseURL: sb.URL, HTTP: sb.HTTP}}
	if _, err := r.faults.Clear(ctx, ""); err != nil {
		return nil, err
	}
	st, err := sandbox.ClockControl(ctx, sb.HTTP, sb.URL, nil)
	if err != nil {
		return nil, err
	}
	speed := st.Speed
	zero := 0.0
	if _, err := sandbox.ClockControl(ctx, sb.HTTP, sb.URL, &sandbox.ClockRequest{Speed: &zero}); err != nil {
		return nil, err
	}
	defer func() {
		_, _ = sandbox.ClockControl(context.WithoutCancel(ctx), sb.HTTP, sb.URL, &sandbox.ClockRequest{Speed: &speed})
	}()
	pager, err := StartPager(ctx, sb.AWS, t.PagerTopicARN)
	if err != nil {
		return nil, err
	}
	defer pager.Close(context.WithoutCancel(ctx))
	r.pager = pager
	// SNS sends the confirmation request as its clock moves.
	for i := 0; !pager.Confirmed(); i++ {
		if i == 60 {
			return nil, fmt.Errorf("pager: the subscription to %s was not confirmed within %s of virtual time", t.PagerTopicARN, 60*o.Tick)
		}
		if err := r.tick(ctx); err != nil {
			return nil, err
		}
	}

	rep := &Report{Scenario: sc.Name, Description: sc.Description, Target: t, Start: r.now}
	r.startedAt = r.now
	fmt.Fprintf(o.Progress, "game day %s against %s/%s from %s\n", sc.Name, t.Cluster, t.Service, r.now.Format(time.RFC3339))
	stepErr := r.steps(ctx, sc, rep)
	if _, err := r.faults.Clear(context.WithoutCancel(ctx), ""); err != nil && stepErr == nil {
		stepErr = err
	}
	rep.End = r.now
	if err := r.collect(ctx, rep); err != nil {
		return rep, err
	}
	rep.detection(sc.Detect)
	return rep, stepErr
}

type runner struct {
	sb     Sandbox
	o      Options
	t      Target
	obs    *observer
	faults *chaos.Client
	pager  *Pager
	now    time.Time // virtual time after the last move
	// startedAt is when the steps began (Report.Start).
	startedAt time.Time
}

// tick moves the clock one tick and gives real processes a moment.
func (r *runner) tick(ctx context.Context) error {
	return r.advance(ctx, r.o.Tick)
}

func (r *runner) advance(ctx context.Context, d time.Duration) error {
	st, err := sandbox.ClockControl(ctx, r.sb.HTTP, r.sb.URL, &sandbox.ClockRequest{Advance: d.String()})
	if err != nil {
		return err
	}
	r.now = st.Now
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.o.Pause):
	}
	return nil
}

// runFor moves the clock d in ticks.
func (r *runner) runFor(ctx context.Context, d time.Duration) error {
	end := r.now.Add(d)
	for r.now.Before(end) {
		step := min(r.o.Tick, end.Sub(r.now))
		if err := r.advance(ctx, step); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) steps(ctx context.Context, sc Scenario, rep *Report) error {
	for i, st := range sc.Steps {
		switch {
		case st.Run > 0:
			fmt.Fprintf(r.o.Progress, "  run %s\n", st.Run)
			if err := r.runFor(ctx, st.Run); err != nil {
				return err
			}
		case st.Clear:
			fmt.Fprintf(r.o.Progress, "  clear faults\n")
			if _, err := r.faults.Clear(ctx, ""); err != nil {
				return err
			}
		case st.Inject != nil:
			f := r.fill(*st.Inject)
			// Start at the next minute boundary: whole alarm periods.
			next := r.now.Truncate(time.Minute).Add(time.Minute)
			if r.now.Equal(r.now.Truncate(time.Minute)) {
				next = r.now
			}
			f.Delay = chaos.Duration(next.Sub(r.now))
			l, err := r.faults.Add(ctx, f)
			if err != nil {
				return fmt.Errorf("inject %s: %w", f.Kind, err)
			}
			desc := describeFault(l.Fault)
			fmt.Fprintf(r.o.Progress, "  inject %s\n", desc)
			if rep.FaultAt.IsZero() {
				rep.FaultAt = l.Start.UTC()
			}
			rep.Faults = append(rep.Faults, desc)
		case st.Redeliver != "":
			fmt.Fprintf(r.o.Progress, "  redeliver the %s event to the remediator\n", st.Redeliver)
			rd, err := r.obs.redeliver(ctx, st.Redeliver, r.now)
			if err != nil {
				return fmt.Errorf("redeliver %s: %w", st.Redeliver, err)
			}
			rep.Redeliveries = append(rep.Redeliveries, rd)
		case st.Until != nil:
			fmt.Fprintf(r.o.Progress, "  until %s (within %s)\n", st.Until, st.Within)
			end := r.now.Add(st.Within)
			for {
				ok, err := r.holds(ctx, *st.Until)
				if err != nil {
					return err
				}
				if ok {
					break
				}
				if !r.now.Before(end) {
					rep.Failed = fmt.Sprintf("step %d: %s did not happen within %s", i+1, st.Until, st.Within)
					return fmt.Errorf("%w: %s", ErrStepFailed, rep.Failed)
				}
				if err := r.tick(ctx); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fill points a fault at the environment's workload.
func (r *runner) fill(f chaos.Fault) chaos.Fault {
	switch f.Kind {
	case chaos.Kind5xxBurst, chaos.KindLatency:
		if f.Service == "" && f.LoadBalancer == "" {
			f.LoadBalancer = r.t.LoadBalancer
		}
	case chaos.KindAZOutage:
	default:
		if f.Service == "" {
			f.Cluster, f.Service = r.t.Cluster, r.t.Service
		}
	}
	return f
}

func describeFault(f chaos.Fault) string {
	var b strings.Builder
	b.WriteString(f.Kind)
	switch f.Kind {
	case chaos.KindUnhealthy:
		fmt.Fprintf(&b, ": %d task(s) of %s answer 500", max(f.Count, len(f.Tasks)), f.Service)
		if f.HealthCheck == "pass" {
			b.WriteString(" but pass health checks")
		}
		if len(f.Tasks) > 0 {
			b.WriteString(" (" + strings.Join(f.Tasks, ", ") + ")")
		}
	case chaos.Kind5xxBurst:
		fmt.Fprintf(&b, ": %.0f%% of requests fail", f.Percent)
	case chaos.KindLoad:
		var steps []string
		for _, s := range f.Steps {
			st := fmt.Sprintf("%.0f%%", s.CPU)
			if s.For > 0 {
				st += " for " + s.For.D().String()
			}
			steps = append(steps, st)
		}
		fmt.Fprintf(&b, ": CPU demand %s of %d tasks", strings.Join(steps, " → "), f.ReferenceTasks)
	}
	if f.Duration > 0 {
		b.WriteString(", for " + f.Duration.D().String())
	}
	return b.String()
}

// holds checks a condition now.
func (r *runner) holds(ctx context.Context, c Condition) (bool, error) {
	switch {
	case c.Alarm != "":
		s, err := r.obs.alarmState(ctx, c.Alarm)
		return s == c.State, err
	case c.Pages > 0:
		n := 0
		for _, p := range r.pager.Pages() {
			if strings.Contains(strings.ToLower(p.Subject), strings.ToLower(c.PageSubject)) {
				n++
			}
		}
		return n >= c.Pages, nil
	case c.Healthy:
		return r.obs.healthy(ctx)
	case c.Stopped > 0:
		n, err := r.obs.stoppedByRemediator(ctx, r.startedAt)
		return n >= c.Stopped, err
	}
	return false, fmt.Errorf("empty condition")
}

// collect reads what happened between the start and now.
func (r *runner) collect(ctx context.Context, rep *Report) error {
	var err error
	if rep.Transitions, err = r.obs.transitions(ctx, rep.Start); err != nil {
		return err
	}
	if rep.Tasks, err = r.obs.tasks(ctx, rep.Start, rep.End); err != nil {
		return err
	}
	if rep.Scaling, err = r.obs.scaling(ctx, rep.Start); err != nil {
		return err
	}
	if rep.Remediation, err = r.obs.remediations(ctx, rep.Start); err != nil {
		return err
	}
	rep.Pages = r.pager.Pages()
	return nil
}
