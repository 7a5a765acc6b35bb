package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
)

// ApplyOptions are the inputs of `vigil apply`.
type ApplyOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	RunID       string
	Env         string
	Replan      bool
	Expect      string
	NoContinue  bool
	Target      string
	LockTimeout time.Duration
	Parallelism int
	JSON        bool
}

// NewCmdApply builds `vigil apply`.
func NewCmdApply(f *Factory, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "apply RUN | apply --env ENV --replan --expect FINGERPRINT",
		Short: "Apply exactly the plans of a run, or re-plan and apply what was reviewed",
		Long: `Apply exactly the saved plans of a planned run (M10, B6): terraform apply of
each plan file, stacks with changes only, wave by wave (independent stacks in
parallel), each under its Terraform state lock.

It refuses, naming what broke, when the environment needs an approval the run
lacks (vigil approve), or when anything the run bound changed since the plan:
  - a plan file's SHA-256 (the file was altered),
  - a stack's state lineage or serial, including a plan made before any state
    existed and applied after another run created it (terraform issue 27721),
  - the commit or the stacks' files, a provider lock file, the policy verdict,
  - the stored records of the run (edited behind vigil's back),
  - the live resources: a fresh plan of each stack with changes must bring the
    same changes (its fingerprint), which catches changes made out of band.

When the run left stacks waiting on it, apply then plans the next wave and,
where the environment needs no approval, applies it, until every stack is
done; in an environment that needs approval it stops with the new run to
approve. --no-continue stops after the run.

--replan --expect FINGERPRINT is the after-merge path: plan the environment
again and apply only when the new plans' fingerprint (vigil show prints it)
equals the reviewed one; where the environment needs approval, a run with that
fingerprint must have been approved.

Exit status: 0 when applied (or nothing to apply), 1 when refused or failed.`,
		Example: `  vigil apply 20260102-150405-ab12cd
  vigil apply latest --env dev
  vigil apply --env prod --replan --expect sha256:3f9c…`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.RunID = args[0]
			}
			switch {
			case opts.Replan && opts.RunID != "":
				return flagErrorf("give either RUN or --replan, not both")
			case opts.Replan && (opts.Env == "" || opts.Expect == ""):
				return flagErrorf("--replan needs --env ENV and --expect FINGERPRINT")
			case !opts.Replan && opts.Expect != "":
				return flagErrorf("--expect goes with --replan")
			case !opts.Replan && opts.RunID == "":
				return flagErrorf("name the run to apply (vigil runs lists them), or use --env ENV --replan --expect FINGERPRINT")
			}
			if err := validTarget(opts.Target); err != nil {
				return err
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return applyRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Env, "env", "e", "", "environment `ENV` (with --replan, or with RUN latest)")
	fl.BoolVar(&opts.Replan, "replan", false, "plan again and apply if the fingerprint equals --expect")
	fl.StringVar(&opts.Expect, "expect", "", "the reviewed `FINGERPRINT` (with --replan)")
	fl.BoolVar(&opts.NoContinue, "no-continue", false, "do not plan and apply the next waves")
	fl.StringVar(&opts.Target, "target", "", "override the environment's target: `sandbox` or aws")
	fl.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait up to `DURATION` for another plan or apply of the environment (0: fail at once)")
	fl.IntVarP(&opts.Parallelism, "parallelism", "p", 0, "stacks applied at once (default: CPUs, at least 2)")
	fl.BoolVar(&opts.JSON, "json", false, "print the runs' reviews as JSON")
	return cmd
}

// applyJSON is the output of `vigil apply --json`.
type applyJSON struct {
	Runs    []*review.Report `json:"runs"`
	Pending *review.Report   `json:"pending,omitempty"`
	Error   string           `json:"error,omitempty"`
}

func applyRun(ctx context.Context, opts *ApplyOptions) error {
	prog := newPipelineProgress(opts.IO)
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{Terraform: true, TargetOverride: opts.Target, LockTimeout: opts.LockTimeout,
		Parallelism: opts.Parallelism, Progress: prog.event})
	if err != nil {
		return err
	}
	defer closeFn()
	var res *pipeline.ApplyResult
	if opts.Replan {
		res, err = pl.ReplanApply(ctx, pipeline.ReplanParams{Env: opts.Env, Expect: opts.Expect, NoContinue: opts.NoContinue})
	} else {
		id, rerr := pl.ResolveRunID(ctx, opts.RunID, opts.Env)
		if rerr != nil {
			return rerr
		}
		res, err = pl.Apply(ctx, pipeline.ApplyParams{RunID: id, NoContinue: opts.NoContinue})
	}
	prog.done()
	if res != nil {
		if perr := printApply(opts, res, err); perr != nil {
			return perr
		}
	}
	return err
}

func printApply(opts *ApplyOptions, res *pipeline.ApplyResult, applyErr error) error {
	if opts.JSON {
		out := applyJSON{Runs: res.Reports}
		if out.Runs == nil {
			out.Runs = []*review.Report{}
		}
		if res.Pending != nil {
			out.Pending = res.Pending.Report
		}
		if applyErr != nil {
			out.Error = applyErr.Error()
		}
		return review.WriteJSON(opts.IO.Out, out)
	}
	for i, rep := range res.Reports {
		if i > 0 {
			fmt.Fprintln(opts.IO.Out)
		}
		if err := review.WriteText(opts.IO.Out, rep, review.TextOptions{}); err != nil {
			return err
		}
	}
	if res.Pending != nil {
		fmt.Fprintf(opts.IO.Out, "\nNext wave planned as run %s (%s).\n", res.Pending.Run.ID, res.Pending.Run.Status)
		if err := review.WriteText(opts.IO.Out, res.Pending.Report, review.TextOptions{}); err != nil {
			return err
		}
	}
	return nil
}
