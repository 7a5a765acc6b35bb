package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// RunsOptions are the inputs of `vigil runs`.
type RunsOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	Env   string
	Limit int
	JSON  bool
}

// NewCmdRuns builds `vigil runs`.
func NewCmdRuns(f *Factory, runF func(context.Context, *RunsOptions) error) *cobra.Command {
	opts := &RunsOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the runs (plans, applies, bootstraps), newest first",
		Long: `List the runs recorded in the store (.vigil/vigil.db), newest first: id,
environment, kind, status, changes, author and age.

A run whose vigil process died (even by kill -9) while it was running or
applying shows as interrupted: its record says running but nobody holds its
environment's lock. The next plan or apply of that environment records it as
interrupted; vigil unlock releases a Terraform state lock it left behind.`,
		Example: `  vigil runs
  vigil runs --env prod --limit 5 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 {
				return flagErrorf("--limit must not be negative")
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "", "only runs of `ENV`")
	cmd.Flags().IntVarP(&opts.Limit, "limit", "n", 20, "show at most `N` runs (0: all)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the runs as JSON")
	return cmd
}

// runJSON is one run in `vigil runs --json`.
type runJSON struct {
	ID          string        `json:"id"`
	Env         string        `json:"env"`
	Kind        string        `json:"kind"`
	Status      string        `json:"status"`
	Target      string        `json:"target,omitempty"`
	Commit      string        `json:"commit,omitempty"`
	Author      string        `json:"author"`
	Parent      string        `json:"parent,omitempty"`
	Wave        int           `json:"wave,omitempty"`
	Fingerprint string        `json:"fingerprint,omitempty"`
	Totals      review.Counts `json:"totals"`
	Message     string        `json:"message,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

func runsRun(ctx context.Context, opts *RunsOptions) error {
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{})
	if err != nil {
		return err
	}
	defer closeFn()
	runs, err := pl.Runs(ctx, opts.Env, opts.Limit)
	if err != nil {
		return err
	}
	out := make([]runJSON, 0, len(runs))
	for _, r := range runs {
		out = append(out, toRunJSON(r))
	}
	if opts.JSON {
		return review.WriteJSON(opts.IO.Out, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No runs yet: vigil plan --env ENV records the first.")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tENV\tKIND\tSTATUS\tCHANGES\tAUTHOR\tCREATED\tMESSAGE")
	for _, r := range out {
		changes := "-"
		if r.Totals.Total() > 0 {
			changes = r.Totals.String()
		}
		msg := r.Message
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i] + " …"
		}
		if len(msg) > 80 {
			msg = msg[:79] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Env, r.Kind, r.Status, changes, r.Author, r.CreatedAt.Format("2006-01-02 15:04:05"), msg)
	}
	return tw.Flush()
}

func toRunJSON(r *store.Run) runJSON {
	var sum struct {
		Totals review.Counts `json:"totals"`
	}
	if len(r.Summary) > 0 {
		_ = json.Unmarshal(r.Summary, &sum)
	}
	return runJSON{ID: r.ID, Env: r.Env, Kind: r.Kind, Status: r.Status, Target: r.Target, Commit: r.Commit, Author: r.Author,
		Parent: r.Parent, Wave: r.Wave, Fingerprint: r.Fingerprint, Totals: sum.Totals, Message: r.Message,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
