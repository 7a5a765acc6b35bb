package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// AuditOptions are the inputs of `vigil audit` and `vigil audit verify`.
type AuditOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	Verify bool
	RunID  string
	JSON   bool
}

// NewCmdAudit builds `vigil audit` and its `verify` subcommand.
func NewCmdAudit(f *Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IOStreams}
	run := func(cmd *cobra.Command) error {
		opts.Open = openPipelineFunc(f)
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return auditRun(cmd.Context(), opts)
	}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the audit log; verify it with vigil audit verify",
		Long: `List the hash-chained audit log: every plan, approval, apply, refusal, unlock and
interrupted run, with who, when, what and the outcome.

Each record's hash covers its content and the previous record's hash, and the
records that change a run or an approval carry the hash of its new content,
so editing or deleting any record (or a run, an approval, a run's stack
records) is detected by vigil audit verify.`,
		Example: `  vigil audit
  vigil audit --run 20260102-150405-ab12cd --json
  vigil audit verify`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(cmd) },
	}
	cmd.Flags().StringVar(&opts.RunID, "run", "", "only records of run `RUN`")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the records as JSON")
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit chain and the records it covers; exit 1 naming the first broken record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Verify = true
			return run(cmd)
		},
	}
	cmd.AddCommand(verify)
	return cmd
}

func auditRun(ctx context.Context, opts *AuditOptions) error {
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{})
	if err != nil {
		return err
	}
	defer closeFn()
	if opts.Verify {
		n, err := pl.VerifyAudit(ctx)
		if err != nil {
			return fmt.Errorf("audit log verification failed: %w", err)
		}
		fmt.Fprintf(opts.IO.Out, "audit log intact: %d record(s) verified, runs and approvals match.\n", n)
		return nil
	}
	events, err := pl.Store().AuditList(ctx)
	if err != nil {
		return err
	}
	var out []*store.AuditEvent
	for _, e := range events {
		if opts.RunID == "" || e.RunID == opts.RunID {
			out = append(out, e)
		}
	}
	if opts.JSON {
		if out == nil {
			out = []*store.AuditEvent{}
		}
		return review.WriteJSON(opts.IO.Out, out)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT\tACTOR\tACTION\tRUN\tOUTCOME")
	for _, e := range out {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format("2006-01-02 15:04:05"), e.Actor, e.Action, dash(e.RunID), dash(e.Outcome))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
