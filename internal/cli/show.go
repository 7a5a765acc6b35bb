package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
)

// ShowOptions are the inputs of `vigil show`.
type ShowOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	RunID  string
	Env    string
	Format string
}

// NewCmdShow builds `vigil show`.
func NewCmdShow(f *Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams}
	var jsonFlag, markdown bool
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run's review: changes per stack, destroys first, all masked",
		Long: `Show the review of a run (RUN is a run id, or "latest"): per stack the counts of
resources to add, change, destroy and replace; destroys and replacements first
and loud, with stateful ones (databases, tables, buckets, volumes, KMS keys,
log groups) flagged; each change's attribute-level differences. Every value
Terraform marks sensitive is masked, and so is anything that looks like a
secret (AWS keys, private keys, tokens, passwords).

--markdown renders one pull-request comment: detail is collapsed to fit
GitHub's comment limit, never split into several comments.`,
		Example: `  vigil show 20260102-150405-ab12cd
  vigil show latest --env prod --markdown
  vigil show latest --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID = args[0]
			var err error
			if opts.Format, err = outputFormat(jsonFlag, markdown); err != nil {
				return err
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "", "with RUN latest: the newest run of `ENV`")
	cmd.Flags().BoolVar(&jsonFlag, "json", false, "print the review as JSON")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the review as Markdown for a pull-request comment")
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{})
	if err != nil {
		return err
	}
	defer closeFn()
	id, err := pl.ResolveRunID(ctx, opts.RunID, opts.Env)
	if err != nil {
		return err
	}
	rep, err := pl.Report(ctx, id)
	if err != nil {
		return err
	}
	return writeReport(opts.IO, rep, opts.Format, true)
}
