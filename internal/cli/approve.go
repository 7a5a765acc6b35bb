package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
)

// ApproveOptions are the inputs of `vigil approve`.
type ApproveOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	RunID   string
	By      string
	Comment string
	JSON    bool
}

// NewCmdApprove builds `vigil approve`.
func NewCmdApprove(f *Factory, runF func(context.Context, *ApproveOptions) error) *cobra.Command {
	opts := &ApproveOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "approve RUN --by NAME",
		Short: "Approve a run's exact plans",
		Long: `Record an approval of a planned run, bound to exactly what was planned (M9): the
SHA-256 of every plan file, each stack's state lineage and serial at plan time
("no state yet" included), the provider lock files, the commit and the
stacks' sources, and the policy verdict. vigil apply refuses the run if any
of them changes afterwards.

The author of a run cannot approve it unless its environment sets
allow_self_approval = true in vigil.hcl. The approval is recorded in the
hash-chained audit log.`,
		Example: `  vigil approve 20260102-150405-ab12cd --by alice --comment "reviewed in PR #42"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID = args[0]
			if opts.By == "" {
				return flagErrorf("--by is required: the name of the person approving")
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return approveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.By, "by", "", "`NAME` of the approver")
	cmd.Flags().StringVar(&opts.Comment, "comment", "", "a `TEXT` kept with the approval")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the approval as JSON")
	return cmd
}

func approveRun(ctx context.Context, opts *ApproveOptions) error {
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{})
	if err != nil {
		return err
	}
	defer closeFn()
	id, err := pl.ResolveRunID(ctx, opts.RunID, "")
	if err != nil {
		return err
	}
	a, err := pl.Approve(ctx, pipeline.ApproveParams{RunID: id, By: opts.By, Comment: opts.Comment})
	if err != nil {
		return err
	}
	if opts.JSON {
		return review.WriteJSON(opts.IO.Out, a)
	}
	fmt.Fprintf(opts.IO.Out, "Run %s approved by %s (binding %s).\nNext: vigil apply %s\n", a.RunID, a.By, a.Binding, a.RunID)
	return nil
}
