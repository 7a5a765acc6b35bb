package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/store"
)

// PlanOptions are the inputs of `vigil plan`.
type PlanOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	Env              string
	Stacks           []string
	Target           string
	LockTimeout      time.Duration
	Parallelism      int
	DetailedExitCode bool
	Format           string
}

// NewCmdPlan builds `vigil plan`.
func NewCmdPlan(f *Factory, runF func(context.Context, *PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: f.IOStreams}
	var jsonFlag, markdown bool
	cmd := &cobra.Command{
		Use:   "plan --env ENV",
		Short: "Plan an environment's stacks under lock and record the run",
		Long: `Plan every stack of an environment (M8) and record the run in the store.

First the gates: files that do not parse or are not formatted fail at once.
Then every stack is planned, independent ones in parallel, each under its
Terraform state lock (-lock-timeout=0: a held lock fails at once, naming who
holds it). terraform plan validates the configuration as it goes. Last, the
policy gate scans the code and the masked plans.

A stack whose upstream has pending changes is not planned against stale
outputs: it is reported "waits on <upstream>" and planned in the next wave,
by vigil apply, after the upstream is applied.

For each planned stack, .vigil/runs/<run>/<env>/<layer>/ holds plan.tfplan
(Terraform's plan, mode 0600: it holds secrets), plan.json (masked; stacks
with changes), the masked review summary.json and plan.log. Nothing unmasked reaches the store,
the logs or the output. Only one plan or apply runs per environment at a
time: the second fails naming the holder, or waits --lock-timeout.

Exit status: 0 when planned (with or without changes), 2 with
--detailed-exitcode when there are changes, 1 on failure (a stack that does
not plan, the policy gate, a held lock).`,
		Example: `  vigil plan --env dev
  vigil plan --env prod --target sandbox --json
  vigil plan --env dev --stack workload --detailed-exitcode`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Env == "" {
				return flagErrorf("--env is required: name the environment to plan")
			}
			if err := validTarget(opts.Target); err != nil {
				return err
			}
			var err error
			if opts.Format, err = outputFormat(jsonFlag, markdown); err != nil {
				return err
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return planRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Env, "env", "e", "", "environment `ENV` to plan")
	fl.StringSliceVarP(&opts.Stacks, "stack", "s", nil, "plan only `STACK` (a layer or env/layer; repeatable)")
	fl.StringVar(&opts.Target, "target", "", "override the environment's target: `sandbox` or aws")
	fl.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait up to `DURATION` for another plan or apply of the environment (0: fail at once)")
	fl.IntVarP(&opts.Parallelism, "parallelism", "p", 0, "stacks planned at once (default: CPUs, at least 2)")
	fl.BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 2 when the plan has changes (like terraform)")
	fl.BoolVar(&jsonFlag, "json", false, "print the review as JSON (with the run id)")
	fl.BoolVar(&markdown, "markdown", false, "print the review as Markdown for a pull-request comment")
	return cmd
}

func planRun(ctx context.Context, opts *PlanOptions) error {
	prog := newPipelineProgress(opts.IO)
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{Terraform: true, TargetOverride: opts.Target, LockTimeout: opts.LockTimeout,
		Parallelism: opts.Parallelism, Progress: prog.event})
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := pl.Plan(ctx, pipeline.PlanParams{Env: opts.Env, Stacks: opts.Stacks})
	prog.done()
	if err != nil {
		return err
	}
	if err := writeReport(opts.IO, res.Report, opts.Format, false); err != nil {
		return err
	}
	if opts.Format != "json" {
		fmt.Fprintf(opts.IO.ErrOut, "run %s: %s\n", res.Run.ID, res.Run.Status)
	}
	switch res.Run.Status {
	case store.RunFailed:
		return fmt.Errorf("plan of %s failed (run %s): %s", opts.Env, res.Run.ID, res.Run.Message)
	case store.RunPlanned:
		if opts.DetailedExitCode {
			return ErrChanges
		}
	}
	return nil
}
