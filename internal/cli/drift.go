package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// DriftOptions are the inputs of `vigil drift`.
type DriftOptions struct {
	IO        *iostreams.IOStreams
	Config    func() (*config.Config, error)
	Terraform func(ctx context.Context) (*terraform.Toolchain, error)
	// Check runs one environment's check (drift.Check; tests replace it).
	Check func(ctx context.Context, p drift.Params) (*drift.Report, error)

	Env            string
	Stacks         []string
	JSON           bool
	Parallelism    int
	TargetOverride string
}

// NewCmdDrift builds `vigil drift`.
func NewCmdDrift(f *Factory, runF func(context.Context, *DriftOptions) error) *cobra.Command {
	opts := &DriftOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Check the stacks for drift, once (for cron and CI)",
		Long: `Compare each stack's code, state and real resources, once, and report:

  changed    an attribute changed out of band (before → after; sensitive values masked)
  deleted    a managed resource no longer exists
  unmanaged  a resource carries the environment's tags (vigil:env, managed-by) but no
             stack's state holds it
  pending    a code change not applied yet: not drift, shown apart

Each stack gets one terraform plan with -lock=false: drift never takes nor waits
for a state lock, so it never blocks a pipeline run. Stacks run in parallel.
Ignore rules and the tags come from the drift block of vigil.hcl (docs/drift.md).

Exit status: 0 no drift (pending code changes alone are not drift), 2 drift
found, 1 when a stack or listing could not be checked (the rest is still shown).`,
		Example: `  vigil drift
  vigil drift --env dev --stack observability
  vigil drift --env prod --json   # fingerprints per finding, for alert dedupe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Parallelism < 1 {
				return flagErrorf("--parallelism must be at least 1, got %d", opts.Parallelism)
			}
			if err := validTarget(opts.TargetOverride); err != nil {
				return err
			}
			opts.Config = f.Config
			opts.Terraform = f.Terraform
			opts.Check = drift.Check
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return driftRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "", "check environment `ENV` (default: every environment)")
	cmd.Flags().StringSliceVarP(&opts.Stacks, "stack", "s", nil, "check only stack `S` (\"dev/workload\", or a layer with --env); repeatable")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	cmd.Flags().IntVarP(&opts.Parallelism, "parallelism", "p", runtime.NumCPU(), "stacks checked at once")
	cmd.Flags().StringVar(&opts.TargetOverride, "target", "", "check against `TARGET` (sandbox or aws) instead of the environments' own")
	return cmd
}

// driftJSON is the output of `vigil drift --json`.
type driftJSON struct {
	// Drifted: some finding of a drift kind that no rule ignores.
	Drifted bool `json:"drifted"`
	// Failed: some stack, listing or environment could not be checked.
	Failed       bool           `json:"failed"`
	Counts       drift.Counts   `json:"counts"`
	Environments []driftEnvJSON `json:"environments"`
}

type driftEnvJSON struct {
	// Error is why the environment could not be checked at all.
	Error string `json:"error,omitempty"`
	*drift.Report
}

// envRun is one environment's outcome.
type envRun struct {
	env    string
	report *drift.Report
	err    error
}

func driftRun(ctx context.Context, opts *DriftOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	g, err := stack.Load(cfg)
	if err != nil {
		return err
	}
	plan, err := driftSelection(cfg, opts.Env, opts.Stacks)
	if err != nil {
		return err
	}
	tc, err := opts.Terraform(ctx)
	if err != nil {
		return err
	}
	vars := pipelineVars(cfg)
	prog := &driftProgress{ios: opts.IO, tty: opts.IO.IsStderrTTY()}
	var runs []envRun
	for _, sel := range plan {
		rep, err := opts.Check(ctx, drift.Params{
			Config: cfg, Graph: g, Env: sel.env, Stacks: sel.stacks, Terraform: tc,
			TargetOverride: opts.TargetOverride, Vars: vars, Parallelism: opts.Parallelism,
			Progress: prog.event,
		})
		prog.done()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		runs = append(runs, envRun{env: sel.env, report: rep, err: err})
	}

	var drifted, failed bool
	var total drift.Counts
	for _, r := range runs {
		if r.err != nil {
			failed = true
			continue
		}
		drifted = drifted || r.report.Drifted()
		failed = failed || r.report.Failed()
		c := r.report.Counts()
		total.Changed += c.Changed
		total.Deleted += c.Deleted
		total.Unmanaged += c.Unmanaged
		total.Pending += c.Pending
		total.Ignored += c.Ignored
		total.Resources += c.Resources
		total.Errors += c.Errors
	}
	if opts.JSON {
		out := driftJSON{Drifted: drifted, Failed: failed, Counts: total, Environments: []driftEnvJSON{}}
		for _, r := range runs {
			e := driftEnvJSON{Report: r.report}
			if r.err != nil {
				e.Report = &drift.Report{Env: r.env, Stacks: []*drift.StackReport{}, Unmanaged: drift.Unmanaged{Findings: []drift.Finding{}}}
				e.Error = r.err.Error()
			}
			out.Environments = append(out.Environments, e)
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for i, r := range runs {
			if i > 0 {
				fmt.Fprintln(opts.IO.Out)
			}
			printDrift(opts.IO.Out, r)
		}
	}
	switch {
	case failed:
		return ErrFindings // exit 1; what failed is in the report
	case drifted:
		return ErrChanges // exit 2
	}
	return nil
}

// envSelection is one environment to check and its stack filter.
type envSelection struct {
	env    string
	stacks []string
}

// driftSelection turns --env and --stack into environments to check:
// --env alone, the environments the stack ids name, or every environment.
func driftSelection(cfg *config.Config, env string, stacks []string) ([]envSelection, error) {
	if env != "" {
		if _, ok := cfg.Environment(env); !ok {
			return nil, flagErrorf("unknown environment %q: %s declares %s", env, config.FileName, strings.Join(cfg.EnvironmentNames(), ", "))
		}
	}
	if len(stacks) == 0 {
		if env != "" {
			return []envSelection{{env: env}}, nil
		}
		var out []envSelection
		for _, n := range cfg.EnvironmentNames() {
			out = append(out, envSelection{env: n})
		}
		return out, nil
	}
	byEnv := map[string][]string{}
	for _, s := range stacks {
		e, layer, ok := strings.Cut(s, "/")
		switch {
		case !ok && env == "":
			return nil, flagErrorf("--stack %q names a layer: add --env, or name the stack as <env>/<layer>", s)
		case !ok:
			e, layer = env, s
		case env != "" && e != env:
			return nil, flagErrorf("--stack %q is not in --env %s", s, env)
		}
		if _, ok := cfg.Environment(e); !ok {
			return nil, flagErrorf("--stack %q: unknown environment %q: %s declares %s", s, e, config.FileName, strings.Join(cfg.EnvironmentNames(), ", "))
		}
		byEnv[e] = append(byEnv[e], e+"/"+layer)
	}
	var out []envSelection
	for _, n := range cfg.EnvironmentNames() {
		if s, ok := byEnv[n]; ok {
			out = append(out, envSelection{env: n, stacks: s})
		}
	}
	return out, nil
}

// printDrift prints one environment's report, grouped by stack.
func printDrift(w io.Writer, r envRun) {
	if r.err != nil {
		fmt.Fprintf(w, "%s: error: %s\n", r.env, r.err)
		return
	}
	rep := r.report
	for _, s := range rep.Stacks {
		printStack(w, s)
	}
	u := rep.Unmanaged
	tags := tagList(u.Tags)
	switch {
	case !u.Checked:
		fmt.Fprintf(w, "\nunmanaged resources of %s: not checked: %s.\n", rep.Env, u.Skipped)
	case len(u.Findings) == 0:
		fmt.Fprintf(w, "\nunmanaged resources of %s (tagged %s): none.\n", rep.Env, tags)
	default:
		fmt.Fprintf(w, "\nunmanaged resources of %s (tagged %s, in no stack's state):\n", rep.Env, tags)
		for _, f := range u.Findings {
			if f.Ignored == nil {
				fmt.Fprintf(w, "  + %s %s\n", f.Type, f.Address)
			}
		}
		printIgnored(w, u.Findings, "  ")
	}
	for _, e := range u.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	fmt.Fprintf(w, "\n%s: %s\n", rep.Env, summaryLine(rep))
}

func printStack(w io.Writer, s *drift.StackReport) {
	status := s.Status
	if len(s.Pending) > 0 && s.Status != drift.StatusError {
		status += fmt.Sprintf(", %d pending", countLive(s.Pending))
	}
	fmt.Fprintf(w, "%s  %s\n", s.Stack, status)
	if s.Error != "" {
		for i, line := range strings.Split(strings.TrimSpace(s.Error), "\n") {
			if i == 0 {
				fmt.Fprintf(w, "  error: %s\n", line)
			} else {
				fmt.Fprintf(w, "         %s\n", line)
			}
		}
		return
	}
	// Drift: one line per resource, its attributes below.
	var last string
	for _, f := range s.Drift {
		if f.Ignored != nil {
			continue
		}
		switch f.Kind {
		case drift.KindDeleted:
			fmt.Fprintf(w, "  - %s  deleted out of band\n", f.Address)
			last = ""
		case drift.KindChanged:
			if f.Address != last {
				fmt.Fprintf(w, "  ~ %s  changed out of band\n", f.Address)
				last = f.Address
			}
			fmt.Fprintf(w, "      %s: %s → %s\n", f.Attribute, drift.Show(f.Before), drift.Show(f.After))
		}
	}
	if countLive(s.Pending) > 0 {
		fmt.Fprintln(w, "  pending code changes (not applied yet; not drift):")
		for _, f := range s.Pending {
			if f.Ignored != nil {
				continue
			}
			fmt.Fprintf(w, "    %s %s  %s\n", actionSymbol(f.Action), f.Address, f.Action)
			for _, a := range f.Attrs {
				fmt.Fprintf(w, "        %s: %s → %s\n", a.Path, drift.Show(a.Before), drift.Show(a.After))
			}
		}
	}
	printIgnored(w, append(slices.Clone(s.Drift), s.Pending...), "  ")
}

// printIgnored lists the findings ignore rules hid, with the reason.
func printIgnored(w io.Writer, fs []drift.Finding, indent string) {
	var ign []drift.Finding
	for _, f := range fs {
		if f.Ignored != nil {
			ign = append(ign, f)
		}
	}
	if len(ign) == 0 {
		return
	}
	fmt.Fprintf(w, "%signored by vigil.hcl:\n", indent)
	for _, f := range ign {
		what := f.Address
		switch f.Kind {
		case drift.KindChanged:
			what += " " + f.Attribute + ": " + drift.Show(f.Before) + " → " + drift.Show(f.After)
		case drift.KindPending:
			what += " (pending " + f.Action + ")"
		default:
			what += " (" + f.Kind + ")"
		}
		fmt.Fprintf(w, "%s    %s\n%s      because: %s [rule %q, %s]\n", indent, what, indent, f.Ignored.Reason, f.Ignored.Rule, f.Ignored.Scope)
	}
}

func countLive(fs []drift.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Ignored == nil {
			n++
		}
	}
	return n
}

func actionSymbol(action string) string {
	switch action {
	case "create":
		return "+"
	case "delete":
		return "-"
	case "replace":
		return "±"
	}
	return "~"
}

func tagList(tags map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}

// summaryLine is the last line of an environment's report.
func summaryLine(rep *drift.Report) string {
	c := rep.Counts()
	var parts []string
	if c.Changed > 0 {
		parts = append(parts, fmt.Sprintf("%d %s changed on %d %s", c.Changed, plural(c.Changed, "attribute", "attributes"), c.Resources, plural(c.Resources, "resource", "resources")))
	}
	if c.Deleted > 0 {
		parts = append(parts, fmt.Sprintf("%d deleted", c.Deleted))
	}
	if c.Unmanaged > 0 {
		parts = append(parts, fmt.Sprintf("%d unmanaged", c.Unmanaged))
	}
	s := "no drift"
	if len(parts) > 0 {
		s = "drift found: " + strings.Join(parts, ", ")
	}
	if c.Pending > 0 {
		s += fmt.Sprintf("; %d pending code %s (not drift)", c.Pending, plural(c.Pending, "change", "changes"))
	}
	if c.Ignored > 0 {
		s += fmt.Sprintf("; %d ignored", c.Ignored)
	}
	if c.Errors > 0 {
		s += fmt.Sprintf("; %d %s", c.Errors, plural(c.Errors, "error", "errors"))
	}
	return fmt.Sprintf("%s. %d %s checked in %.1fs.", s, len(rep.Stacks), plural(len(rep.Stacks), "stack", "stacks"), rep.Duration.Seconds())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// driftProgress shows which stacks are being checked on ErrOut: one
// rewritten line on a terminal, a line per finished stack otherwise.
type driftProgress struct {
	mu      sync.Mutex
	ios     *iostreams.IOStreams
	tty     bool
	running []string
}

func (p *driftProgress) event(ev drift.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ev.Done {
		p.running = append(p.running, ev.Stack)
	} else if i := slices.Index(p.running, ev.Stack); i >= 0 {
		p.running = slices.Delete(p.running, i, i+1)
	}
	if p.tty {
		fmt.Fprintf(p.ios.ErrOut, "\r\x1b[K")
		if len(p.running) > 0 {
			fmt.Fprintf(p.ios.ErrOut, "checking %s…", strings.Join(p.running, ", "))
		}
		return
	}
	if ev.Done {
		fmt.Fprintf(p.ios.ErrOut, "checked %s: %s (%.1fs)\n", ev.Stack, ev.Result.Status, ev.Result.Duration.Seconds())
	}
}

func (p *driftProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.ios.ErrOut, "\r\x1b[K")
	}
}
