package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// CheckOptions are the inputs of `vigil check`.
type CheckOptions struct {
	IO        *iostreams.IOStreams
	Config    func() (*config.Config, error)
	Terraform func(ctx context.Context) (*terraform.Toolchain, error)
	// Check runs the gate (pipeline.Check; tests replace it).
	Check func(ctx context.Context, p pipeline.CheckParams) (*pipeline.CheckReport, error)

	Env         string
	Parallelism int
	JSON        bool
}

// NewCmdCheck builds `vigil check`.
func NewCmdCheck(f *Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run the fmt/validate gate on every stack",
		Long: `For each stack: terraform fmt -check (the stack and the local modules it calls),
terraform init -backend=false and terraform validate. Stacks run in parallel.
Remote state is never touched and no file in the repository changes (vigil's
working files live in .vigil/).

Exit status: 0 when every stack is clean, 1 on any finding or error.`,
		Example: `  vigil -C blueprint check
  vigil check --env dev --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Parallelism < 1 {
				return flagErrorf("--parallelism must be at least 1, got %d", opts.Parallelism)
			}
			opts.Config = f.Config
			opts.Terraform = f.Terraform
			opts.Check = pipeline.Check
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "", "only the stacks of environment `ENV`")
	cmd.Flags().IntVarP(&opts.Parallelism, "parallelism", "p", runtime.NumCPU(), "stacks checked at once")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

// checkJSON is the output of `vigil check --json`.
type checkJSON struct {
	OK     bool                   `json:"ok"`
	Stacks []*pipeline.StackCheck `json:"stacks"`
}

func checkRun(ctx context.Context, opts *CheckOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	stacks, _, err := loadStacks(cfg, opts.Env)
	if err != nil {
		return err
	}
	if len(stacks) == 0 {
		return fmt.Errorf("no stacks to check under %s/: create %s/<env>/<layer>/ folders holding .tf files", cfg.StacksRoot, cfg.StacksRoot)
	}
	tc, err := opts.Terraform(ctx)
	if err != nil {
		return err
	}
	prog := newProgress(opts.IO, len(stacks))
	report, err := opts.Check(ctx, pipeline.CheckParams{
		Root:        cfg.Root,
		Stacks:      stacks,
		Terraform:   tc,
		Parallelism: opts.Parallelism,
		Progress:    prog.event,
	})
	prog.done()
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(checkJSON{OK: report.OK(), Stacks: report.Stacks}); err != nil {
			return err
		}
	} else {
		printCheck(opts.IO, report)
	}
	if !report.OK() {
		return ErrFindings
	}
	return nil
}

func printCheck(ios *iostreams.IOStreams, report *pipeline.CheckReport) {
	w := ios.Out
	noLock := 0
	for _, s := range report.Stacks {
		if !s.LockFile {
			noLock++
		}
		status := "ok"
		if !s.OK() {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%-4s  %s\n", status, s.ID)
		for _, f := range s.Unformatted {
			fmt.Fprintf(w, "      %s: not formatted (terraform fmt would change it)\n", f)
		}
		for _, d := range s.Diagnostics {
			pos := d.Pos()
			if pos != "" {
				pos += ": "
			}
			fmt.Fprintf(w, "      %s%s: %s\n", pos, d.Severity, d.Summary)
			if d.Detail != "" {
				for _, line := range strings.Split(strings.TrimSpace(d.Detail), "\n") {
					fmt.Fprintf(w, "          %s\n", line)
				}
			}
		}
		if s.Error != "" {
			fmt.Fprintf(w, "      error: %s\n", s.Error)
		}
	}
	failed := report.Failed()
	fmt.Fprintf(w, "\n%d stacks checked: %d ok, %d with findings.\n", len(report.Stacks), len(report.Stacks)-failed, failed)
	if noLock > 0 {
		fmt.Fprintf(w, "Note: %d of %d stacks have no committed %s; check removed the ones init wrote. Commit them so every run uses the same provider versions.\n", noLock, len(report.Stacks), terraform.LockFileName)
	}
}

// progress shows which stacks are running: one rewritten line on a
// terminal, a plain line per finished stack otherwise.
type progress struct {
	ios      *iostreams.IOStreams
	total    int
	finished int
	running  []string
	tty      bool
}

func newProgress(ios *iostreams.IOStreams, total int) *progress {
	return &progress{ios: ios, total: total, tty: ios.IsStderrTTY()}
}

func (p *progress) event(ev pipeline.CheckEvent) {
	id := ev.Stack.ID()
	if !ev.Done {
		p.running = append(p.running, id)
	} else {
		for i, r := range p.running {
			if r == id {
				p.running = append(p.running[:i], p.running[i+1:]...)
				break
			}
		}
		p.finished++
	}
	if p.tty {
		line := fmt.Sprintf("[%d/%d] checking %s", p.finished, p.total, strings.Join(p.running, ", "))
		if len(p.running) == 0 {
			line = fmt.Sprintf("[%d/%d]", p.finished, p.total)
		}
		fmt.Fprintf(p.ios.ErrOut, "\r\x1b[K%s", line)
		return
	}
	if ev.Done {
		status := "ok"
		if !ev.Result.OK() {
			status = "findings"
		}
		fmt.Fprintf(p.ios.ErrOut, "checked %s: %s (%.1fs)\n", id, status, ev.Result.Duration.Seconds())
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintf(p.ios.ErrOut, "\r\x1b[K")
	}
}
