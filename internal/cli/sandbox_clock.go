package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox"
)

// SandboxClockOptions are the inputs of `vigil sandbox clock`.
type SandboxClockOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Config, error)
	DataDir string
	Addr    string
	JSON    bool

	Action  string // now, advance, set-speed
	Advance time.Duration
	Speed   float64
}

// NewCmdSandboxClock builds `vigil sandbox clock`.
func NewCmdSandboxClock(f *Factory, runF func(context.Context, *SandboxClockOptions) error) *cobra.Command {
	opts := &SandboxClockOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "clock (now | advance DURATION | set-speed N)",
		Short: "Read or move the sandbox's virtual clock",
		Long: `The sandbox's simulation (metric timestamps, alarm evaluation, cooldowns,
task start delays) runs on a virtual clock. It tells real time until told
otherwise:

  now              print the virtual time and speed
  advance D        move the clock forward by D (90s, 5m, 1h30m, 2d) at once;
                   every alarm evaluation on the way runs before it returns
  set-speed N      run N virtual seconds per real second (60: a minute per
                   second; 0: stopped, only advance moves it; 1: real speed)

Virtual time never goes back, and a restarted sandbox keeps it. The sandbox
is the one running for the data directory, or the one at --addr.`,
		Example: `  vigil sandbox clock now
  vigil sandbox clock advance 5m
  vigil sandbox clock set-speed 60
  vigil sandbox clock --addr 127.0.0.1:4566 --json now`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if opts.DataDir != "" && opts.Addr != "" {
				return flagErrorf("--data-dir and --addr both name a sandbox: give one")
			}
			opts.Action = args[0]
			switch args[0] {
			case "now":
				if len(args) != 1 {
					return flagErrorf("clock now takes no value")
				}
			case "advance":
				if len(args) != 2 {
					return flagErrorf("clock advance needs a duration, e.g. 5m")
				}
				d, err := parseClockDuration(args[1])
				if err != nil {
					return flagErrorf("%v", err)
				}
				opts.Advance = d
			case "set-speed":
				if len(args) != 2 {
					return flagErrorf("clock set-speed needs a speed, e.g. 60")
				}
				s, err := strconv.ParseFloat(strings.TrimSuffix(args[1], "x"), 64)
				if err != nil || s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
					return flagErrorf("speed %q is not a number of virtual seconds per real second (0 stops the clock)", args[1])
				}
				opts.Speed = s
			default:
				return flagErrorf("unknown clock action %q: use now, advance DURATION or set-speed N", args[0])
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sandboxClockRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "the sandbox serving `DIR` (default as for serve)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "the sandbox at `HOST:PORT` (or URL) instead")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the clock as JSON")
	return cmd
}

// parseClockDuration reads a Go duration, plus days: "2d", "1d12h".
func parseClockDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("duration %q is not like 90s, 5m, 1h30m or 2d", s)
	var days time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, bad
		}
		days, rest = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, bad
		}
	}
	d += days
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative: virtual time never goes back", s)
	}
	return d, nil
}

func sandboxClockRun(ctx context.Context, opts *SandboxClockOptions) error {
	base, err := sandboxClockURL(ctx, opts)
	if err != nil {
		return err
	}
	var req *sandbox.ClockRequest
	switch opts.Action {
	case "advance":
		req = &sandbox.ClockRequest{Advance: opts.Advance.String()}
	case "set-speed":
		s := opts.Speed
		req = &sandbox.ClockRequest{Speed: &s}
	}
	// An advance runs every alarm evaluation on the way: give it time.
	client := &http.Client{Timeout: 30 * time.Minute}
	st, err := sandbox.ClockControl(ctx, client, base, req)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintln(opts.IO.Out, formatClock(st))
	return nil
}

// sandboxClockURL is the base URL of the sandbox the options name.
func sandboxClockURL(ctx context.Context, opts *SandboxClockOptions) (string, error) {
	if opts.Addr != "" {
		if strings.Contains(opts.Addr, "://") {
			return opts.Addr, nil
		}
		return "http://" + opts.Addr, nil
	}
	dir, err := sandboxDataDir(opts.DataDir, opts.Config)
	if err != nil {
		return "", err
	}
	info, ok := sandbox.Running(ctx, dir)
	if !ok {
		return "", fmt.Errorf("no sandbox is running for data dir %s; start one with: vigil sandbox serve --data-dir %s (or name one with --addr)", dir, shellQuote(dir))
	}
	return info.URL, nil
}

// formatClock is the human line: "2026-11-25T19:00:00Z (speed 60x, 2h0m0s
// ahead of real time)".
func formatClock(st sandbox.ClockStatus) string {
	speed := "stopped"
	if st.Speed != 0 {
		speed = "speed " + strconv.FormatFloat(st.Speed, 'f', -1, 64) + "x"
	}
	offset := time.Duration(st.OffsetSeconds * float64(time.Second)).Round(time.Second)
	switch {
	case offset > 0:
		speed += ", " + offset.String() + " ahead of real time"
	case offset < 0:
		speed += ", " + (-offset).String() + " behind real time"
	default:
		speed += ", real time"
	}
	return st.Now.UTC().Format(time.RFC3339) + " (" + speed + ")"
}
