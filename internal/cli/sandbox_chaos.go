package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
)

// SandboxChaosOptions are the inputs of `vigil sandbox chaos`.
type SandboxChaosOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Config, error)
	DataDir string
	Addr    string
	JSON    bool

	Action string      // list, clear, add, or a fault kind
	ID     string      // clear: one fault
	Fault  chaos.Fault // a fault to add
	File   string      // add: the fault as JSON ("-" for stdin)
}

// NewCmdSandboxChaos builds `vigil sandbox chaos`.
func NewCmdSandboxChaos(f *Factory, runF func(context.Context, *SandboxChaosOptions) error) *cobra.Command {
	opts := &SandboxChaosOptions{IO: f.IOStreams}
	var (
		steps, latency, delay, duration string
		percent                         float64
	)
	cmd := &cobra.Command{
		Use:   "chaos (list | clear [ID] | KIND [flags] | add FILE)",
		Short: "Inject, list and clear faults in the sandbox's workload",
		Long: `Faults act on the sandbox's simulated workload (ECS tasks behind load
balancers) on its virtual clock. Kinds:

  unhealthy       --service S [--count N | --task ID] [--health-check fail|pass]
                  tasks answer every request with 500; with fail (the default)
                  they also fail their health checks, so the load balancer marks
                  them unhealthy and ECS replaces them
  5xx-burst       --load-balancer LB | --service S, --percent P
                  that share of requests fails with 500 from the targets
  latency         --load-balancer LB | --service S, --latency 2s [--percent P]
                  adds latency to the target response time
  load            --service S --steps 40:10m,90:20m,30 [--reference-tasks N]
                  CPU percent by steps at N tasks (default: the running count);
                  more tasks share the same demand
  az-outage       --az us-east-1a
                  the zone's tasks die and no task is placed there
  start-failure   --service S [--task-definition TD]
                  new tasks fail to start (trips a deployment's circuit breaker)

Every kind takes --delay (start later) and --duration (end by itself; without
it the fault lasts until cleared). add reads a fault as JSON (the body of POST
/_vigil/chaos); list shows the faults; clear ends one or all of them now.`,
		Example: `  vigil sandbox chaos unhealthy --cluster vigil-dev-app --service vigil-dev-app --count 1 --health-check pass
  vigil sandbox chaos 5xx-burst --load-balancer vigil-dev-app --percent 30 --duration 5m
  vigil sandbox chaos load --service vigil-dev-app --steps 40:5m,90:20m,30
  vigil sandbox chaos az-outage --az us-east-1a --duration 15m
  vigil sandbox chaos list --json
  vigil sandbox chaos clear`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if opts.DataDir != "" && opts.Addr != "" {
				return flagErrorf("--data-dir and --addr both name a sandbox: give one")
			}
			opts.Action = args[0]
			faultFlags := cmd.Flags().Changed("cluster") || cmd.Flags().Changed("service") || cmd.Flags().Changed("load-balancer") ||
				cmd.Flags().Changed("count") || cmd.Flags().Changed("task") || cmd.Flags().Changed("health-check") ||
				cmd.Flags().Changed("percent") || cmd.Flags().Changed("latency") || cmd.Flags().Changed("steps") ||
				cmd.Flags().Changed("reference-tasks") || cmd.Flags().Changed("az") || cmd.Flags().Changed("task-definition") ||
				cmd.Flags().Changed("delay") || cmd.Flags().Changed("duration")
			switch opts.Action {
			case "list", "clear", "add":
				if faultFlags {
					return flagErrorf("fault flags go with a fault kind, not with %s", opts.Action)
				}
				switch {
				case opts.Action == "list" && len(args) != 1:
					return flagErrorf("chaos list takes no value")
				case opts.Action == "clear" && len(args) == 2:
					opts.ID = args[1]
				case opts.Action == "add":
					if len(args) != 2 {
						return flagErrorf("chaos add needs a JSON file (- for stdin)")
					}
					opts.File = args[1]
				}
			default:
				if len(args) != 1 {
					return flagErrorf("chaos %s takes flags, not values", opts.Action)
				}
				fl := &opts.Fault
				fl.Kind, fl.Percent = opts.Action, percent
				for _, d := range []struct {
					flag, val string
					dst       *chaos.Duration
				}{{"latency", latency, &fl.Latency}, {"delay", delay, &fl.Delay}, {"duration", duration, &fl.Duration}} {
					if d.val == "" {
						continue
					}
					v, err := parseClockDuration(d.val)
					if err != nil {
						return flagErrorf("--%s: %v", d.flag, err)
					}
					*d.dst = chaos.Duration(v)
				}
				if steps != "" {
					s, err := parseSteps(steps)
					if err != nil {
						return flagErrorf("--steps: %v", err)
					}
					fl.Steps = s
				}
				if err := fl.Validate(); err != nil {
					return flagErrorf("%v", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sandboxChaosRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DataDir, "data-dir", "", "the sandbox serving `DIR` (default as for serve)")
	fl.StringVar(&opts.Addr, "addr", "", "the sandbox at `HOST:PORT` (or URL) instead")
	fl.BoolVar(&opts.JSON, "json", false, "print the faults as JSON")
	fl.StringVar(&opts.Fault.Cluster, "cluster", "", "ECS `CLUSTER` of the service")
	fl.StringVar(&opts.Fault.Service, "service", "", "ECS `SERVICE` the fault acts on")
	fl.StringVar(&opts.Fault.LoadBalancer, "load-balancer", "", "load balancer `NAME` (5xx-burst, latency)")
	fl.IntVar(&opts.Fault.Count, "count", 0, "how many tasks (unhealthy; default 1)")
	fl.StringVar(&opts.Fault.Task, "task", "", "one task `ID` or ARN (unhealthy)")
	fl.StringVar(&opts.Fault.HealthCheck, "health-check", "", "fail or pass: whether unhealthy tasks fail their health checks (default fail)")
	fl.Float64Var(&percent, "percent", 0, "share of requests affected, 0-100 (5xx-burst, latency)")
	fl.StringVar(&latency, "latency", "", "added response time, e.g. `2s` (latency)")
	fl.StringVar(&steps, "steps", "", "load profile `CPU:DURATION,...`, the last duration optional (load)")
	fl.IntVar(&opts.Fault.ReferenceTasks, "reference-tasks", 0, "task count the load percentages are at (load)")
	fl.StringVar(&opts.Fault.AZ, "az", "", "Availability `ZONE` (az-outage)")
	fl.StringVar(&opts.Fault.TaskDefinition, "task-definition", "", "only tasks of this task definition `ARN` (start-failure)")
	fl.StringVar(&delay, "delay", "", "start after `DURATION` of virtual time")
	fl.StringVar(&duration, "duration", "", "end after `DURATION` (default: until cleared)")
	return cmd
}

// parseSteps reads "40:10m,90:20m,30".
func parseSteps(s string) ([]chaos.Step, error) {
	var out []chaos.Step
	for _, part := range strings.Split(s, ",") {
		cpu, dur, hasDur := strings.Cut(strings.TrimSpace(part), ":")
		v, err := strconv.ParseFloat(strings.TrimSuffix(cpu, "%"), 64)
		if err != nil {
			return nil, fmt.Errorf("step %q is not CPU:DURATION like 90:20m", part)
		}
		st := chaos.Step{CPU: v}
		if hasDur {
			d, err := parseClockDuration(dur)
			if err != nil {
				return nil, fmt.Errorf("step %q: %v", part, err)
			}
			st.For = chaos.Duration(d)
		}
		out = append(out, st)
	}
	return out, nil
}

func sandboxChaosRun(ctx context.Context, opts *SandboxChaosOptions) error {
	base, err := sandboxClockURL(ctx, &SandboxClockOptions{Config: opts.Config, DataDir: opts.DataDir, Addr: opts.Addr})
	if err != nil {
		return err
	}
	c := &chaos.Client{BaseURL: base, HTTP: &http.Client{Timeout: time.Minute}}
	var out any
	var faults []chaos.Listed
	switch opts.Action {
	case "list":
		res, err := c.List(ctx)
		if err != nil {
			return err
		}
		out, faults = res, res.Faults
	case "clear":
		res, err := c.Clear(ctx, opts.ID)
		if err != nil {
			return err
		}
		out, faults = res, res.Cleared
		if !opts.JSON && len(faults) == 0 {
			fmt.Fprintln(opts.IO.ErrOut, "no fault was in effect")
			return nil
		}
	default:
		fault := opts.Fault
		if opts.Action == "add" {
			if fault, err = readFault(opts); err != nil {
				return err
			}
		}
		res, err := c.Add(ctx, fault)
		if err != nil {
			return err
		}
		out, faults = res, []chaos.Listed{res}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(faults) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no faults")
		return nil
	}
	for _, f := range faults {
		fmt.Fprintln(opts.IO.Out, formatFault(f))
	}
	return nil
}

func readFault(opts *SandboxChaosOptions) (chaos.Fault, error) {
	var r io.Reader = opts.IO.In
	if opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			return chaos.Fault{}, err
		}
		defer fh.Close()
		r = fh
	}
	var f chaos.Fault
	dec := json.NewDecoder(io.LimitReader(r, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return chaos.Fault{}, fmt.Errorf("read the fault from %s: %w", opts.File, err)
	}
	if err := f.Validate(); err != nil {
		return chaos.Fault{}, fmt.Errorf("fault in %s: %w", opts.File, err)
	}
	return f, nil
}

// formatFault is one line: "fault-1a2b3c  unhealthy  active  main/api
// (tasks 0f1e…)  10:00:00 → until cleared".
func formatFault(l chaos.Listed) string {
	f := l.Fault
	target := ""
	switch {
	case f.Service != "":
		target = f.Cluster + "/" + f.Service
	case f.LoadBalancer != "":
		target = "lb " + f.LoadBalancer
	case f.AZ != "":
		target = f.AZ
	}
	var what []string
	switch f.Kind {
	case chaos.KindUnhealthy:
		ids := make([]string, 0, len(f.Tasks))
		for _, id := range f.Tasks {
			ids = append(ids, id[:min(8, len(id))])
		}
		hc := "failing health checks"
		if f.HealthCheck == "pass" {
			hc = "passing health checks"
		}
		what = append(what, "tasks "+strings.Join(ids, ",")+", "+hc)
	case chaos.Kind5xxBurst:
		what = append(what, strconv.FormatFloat(f.Percent, 'f', -1, 64)+"% 5xx")
	case chaos.KindLatency:
		p := f.Percent
		if p == 0 {
			p = 100
		}
		what = append(what, "+"+f.Latency.D().String()+" on "+strconv.FormatFloat(p, 'f', -1, 64)+"%")
	case chaos.KindLoad:
		var st []string
		for _, s := range f.Steps {
			x := strconv.FormatFloat(s.CPU, 'f', -1, 64) + "%"
			if s.For > 0 {
				x += " for " + s.For.D().String()
			}
			st = append(st, x)
		}
		what = append(what, strings.Join(st, ", then ")+" at "+strconv.Itoa(f.ReferenceTasks)+" tasks")
	case chaos.KindStartFailure:
		if f.TaskDefinition != "" {
			what = append(what, "tasks of "+f.TaskDefinition)
		}
	}
	until := "until cleared"
	if f.End != nil {
		until = f.End.UTC().Format(time.RFC3339)
	}
	line := fmt.Sprintf("%s  %-13s  %-9s  %s", f.ID, f.Kind, l.Status, target)
	if len(what) > 0 {
		line += " (" + strings.Join(what, "; ") + ")"
	}
	return line + "  " + f.Start.UTC().Format(time.RFC3339) + " → " + until
}
