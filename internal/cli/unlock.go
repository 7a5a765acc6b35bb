package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
)

// UnlockOptions are the inputs of `vigil unlock`.
type UnlockOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	Stack  string
	Target string
	Force  bool
	DryRun bool
	JSON   bool
}

// NewCmdUnlock builds `vigil unlock`.
func NewCmdUnlock(f *Factory, runF func(context.Context, *UnlockOptions) error) *cobra.Command {
	opts := &UnlockOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "unlock STACK",
		Short: "Show who holds a stack's Terraform state lock and release it",
		Long: `Release a stale Terraform state lock of a stack (ENV/LAYER), such as one left by
a run that was killed: vigil asks Terraform who holds the lock (lock ID, who,
operation, since when), prints it, then runs terraform force-unlock. Both are
recorded in the audit log.

vigil first takes the environment's lock, so it never pulls a state lock from
under a live vigil run; --force skips that check (only when that process is
gone). --dry-run only shows the holder.`,
		Example: `  vigil unlock dev/workload
  vigil unlock prod/foundation --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Stack = args[0]
			if err := validTarget(opts.Target); err != nil {
				return err
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return unlockRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Target, "target", "", "override the environment's target: `sandbox` or aws")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "unlock even while a vigil process holds the environment")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "only show who holds the lock")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

type unlockJSON struct {
	Stack     string `json:"stack"`
	Locked    bool   `json:"locked"`
	LockID    string `json:"lock_id,omitempty"`
	Who       string `json:"who,omitempty"`
	Operation string `json:"operation,omitempty"`
	Created   string `json:"created,omitempty"`
	Released  bool   `json:"released"`
}

func unlockRun(ctx context.Context, opts *UnlockOptions) error {
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{Terraform: true, TargetOverride: opts.Target})
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := pl.Unlock(ctx, pipeline.UnlockParams{Stack: opts.Stack, Force: opts.Force, DryRun: opts.DryRun})
	if res == nil {
		return err
	}
	out := unlockJSON{Stack: res.Stack, Released: res.Released}
	if h := res.Holder; h != nil {
		out.Locked, out.LockID, out.Who, out.Operation, out.Created = true, h.ID, h.Who, h.Operation, h.Created
	}
	if opts.JSON {
		if perr := review.WriteJSON(opts.IO.Out, out); perr != nil {
			return perr
		}
		return err
	}
	if !out.Locked {
		fmt.Fprintf(opts.IO.Out, "The state of %s is not locked.\n", out.Stack)
		return err
	}
	fmt.Fprintf(opts.IO.Out, "The state of %s was locked:\n  lock ID    %s\n  who        %s\n  operation  %s\n  since      %s\n", out.Stack, out.LockID, dash(out.Who), dash(out.Operation), dash(out.Created))
	switch {
	case out.Released:
		fmt.Fprintf(opts.IO.Out, "Released (terraform force-unlock). Plan again: vigil plan --env %s\n", envOf(out.Stack))
	case opts.DryRun:
		fmt.Fprintf(opts.IO.Out, "Not released (--dry-run). Release it with: vigil unlock %s\n", out.Stack)
	}
	return err
}

func envOf(stackID string) string {
	for i := 0; i < len(stackID); i++ {
		if stackID[i] == '/' {
			return stackID[:i]
		}
	}
	return stackID
}
