package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/workload"
)

// SandboxWorkloadOptions are the inputs of `vigil sandbox workload`.
type SandboxWorkloadOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Config, error)
	DataDir string
	Addr    string
	JSON    bool

	// Update changes the simulation's settings (nil: only report).
	Update *workload.SettingsUpdate
}

// NewCmdSandboxWorkload builds `vigil sandbox workload`.
func NewCmdSandboxWorkload(f *Factory, runF func(context.Context, *SandboxWorkloadOptions) error) *cobra.Command {
	opts := &SandboxWorkloadOptions{IO: f.IOStreams}
	var rpm, cpu float64
	var delay string
	cmd := &cobra.Command{
		Use:   "workload [--requests-per-minute N] [--base-cpu P] [--task-start-delay D]",
		Short: "Show the sandbox's simulated workload and where its load balancers listen",
		Long: `The sandbox simulates the workload it hosts: ECS tasks start after a delay
and are replaced when they stop or fail, every HTTP listener of an application
load balancer answers real HTTP on a loopback port (its DNS name stays
AWS-like and resolves nowhere), and AWS/ApplicationELB and AWS/ECS metrics are
published every minute from the requests served plus a synthetic background
load. This prints each load balancer's loopback URL, target health, each
service's counts and CPU, and the settings; the flags change the settings.`,
		Example: `  vigil sandbox workload
  curl "$(vigil sandbox workload --json | jq -r '.load_balancers[0].listeners[0].url')/"
  vigil sandbox workload --requests-per-minute 300 --task-start-delay 10s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if opts.DataDir != "" && opts.Addr != "" {
				return flagErrorf("--data-dir and --addr both name a sandbox: give one")
			}
			u := workload.SettingsUpdate{}
			if cmd.Flags().Changed("requests-per-minute") {
				if rpm < 0 || math.IsNaN(rpm) {
					return flagErrorf("--requests-per-minute must be 0 or more")
				}
				u.RequestsPerMinute = &rpm
			}
			if cmd.Flags().Changed("base-cpu") {
				if cpu < 0 || cpu > 100 || math.IsNaN(cpu) {
					return flagErrorf("--base-cpu must be a percent between 0 and 100")
				}
				u.BaseCPUPercent = &cpu
			}
			if cmd.Flags().Changed("task-start-delay") {
				d, err := parseClockDuration(delay)
				if err != nil {
					return flagErrorf("--task-start-delay: %v", err)
				}
				cd := chaos.Duration(d)
				u.TaskStartDelay = &cd
			}
			if u.RequestsPerMinute != nil || u.BaseCPUPercent != nil || u.TaskStartDelay != nil {
				opts.Update = &u
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sandboxWorkloadRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "the sandbox serving `DIR` (default as for serve)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "the sandbox at `HOST:PORT` (or URL) instead")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the workload as JSON")
	cmd.Flags().Float64Var(&rpm, "requests-per-minute", 0, "synthetic requests each load balancer serves a minute")
	cmd.Flags().Float64Var(&cpu, "base-cpu", 0, "CPU percent of a service without a load profile")
	cmd.Flags().StringVar(&delay, "task-start-delay", "", "how long an ECS task takes to reach RUNNING, e.g. `30s`")
	return cmd
}

func sandboxWorkloadRun(ctx context.Context, opts *SandboxWorkloadOptions) error {
	base, err := sandboxClockURL(ctx, &SandboxClockOptions{Config: opts.Config, DataDir: opts.DataDir, Addr: opts.Addr})
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Minute}
	if opts.Update != nil {
		var set workload.Settings
		if err := workloadCall(ctx, client, base, http.MethodPost, opts.Update, &set); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "settings: %s\n", formatSettings(set))
	}
	var st workload.Status
	if err := workloadCall(ctx, client, base, http.MethodGet, nil, &st); err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "virtual time %s; %s; %d fault(s) in effect\n", st.Now.UTC().Format(time.RFC3339), formatSettings(st.Settings), st.Faults)
	if len(st.LoadBalancers) == 0 {
		fmt.Fprintln(w, "no load balancers")
	}
	for _, lb := range st.LoadBalancers {
		fmt.Fprintf(w, "load balancer %s (%s)\n", lb.Name, lb.Dimension)
		for _, l := range lb.Listeners {
			where := l.URL
			if where == "" {
				where = "not served: " + l.Note
			}
			fmt.Fprintf(w, "  %s:%d  %s\n", l.Protocol, l.Port, where)
		}
		for _, tg := range lb.Targets {
			var parts []string
			for _, s := range []string{"healthy", "unhealthy", "initial", "draining", "unused", "unavailable"} {
				if n := tg.Targets[s]; n > 0 {
					parts = append(parts, strconv.Itoa(n)+" "+s)
				}
			}
			if len(parts) == 0 {
				parts = []string{"no targets"}
			}
			fmt.Fprintf(w, "  %s: %s\n", tg.Dimension, strings.Join(parts, ", "))
		}
	}
	for _, s := range st.Services {
		fmt.Fprintf(w, "service %s/%s: %d running, %d pending of %d desired, deployment %s, CPU %s%%\n",
			s.Cluster, s.Name, s.Running, s.Pending, s.Desired, strings.ToLower(s.RolloutState), strconv.FormatFloat(s.CPUPercent, 'f', -1, 64))
	}
	return nil
}

func formatSettings(s workload.Settings) string {
	return fmt.Sprintf("%s synthetic requests/min, base CPU %s%%, task start delay %s",
		strconv.FormatFloat(s.RequestsPerMinute, 'f', -1, 64), strconv.FormatFloat(s.BaseCPUPercent, 'f', -1, 64), s.TaskStartDelay.D())
}

func workloadCall(ctx context.Context, client *http.Client, base, method string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+workload.Path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox workload at %s: %w (is the sandbox running? vigil sandbox serve)", base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<22))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return errors.New("sandbox workload: " + e.Error)
		}
		return fmt.Errorf("sandbox workload at %s: HTTP %d (%s)", base, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	return json.Unmarshal(raw, out)
}
