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

// BootstrapOptions are the inputs of `vigil bootstrap`.
type BootstrapOptions struct {
	IO   *iostreams.IOStreams
	Open OpenPipeline

	Env         string
	Target      string
	Yes         bool
	LockTimeout time.Duration
	JSON        bool
}

// NewCmdBootstrap builds `vigil bootstrap`.
func NewCmdBootstrap(f *Factory, runF func(context.Context, *BootstrapOptions) error) *cobra.Command {
	opts := &BootstrapOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "bootstrap --env ENV",
		Short: "Create an environment's remote state: the state bucket and lock table",
		Long: `Make the environment's remote state (M13; rollout step 1): apply bootstrap/<env>
(the versioned, encrypted state bucket and the lock table) with local state
kept in .vigil/bootstrap/<env>/terraform.tfstate, outside the repository, and
record the bucket and table in .vigil/bootstrap/<env>/outputs.json. Backend
settings a stack leaves out (backend "s3" {}) are derived from it: bucket, key
<env>/<layer>/terraform.tfstate, region, encrypt, use_lockfile (Terraform or
OpenTofu >= 1.10) or the DynamoDB table.

Running it again changes nothing. A live stack that still has a local
terraform.tfstate gets it pushed into its backend (never over a different
remote state); the local file is kept as terraform.tfstate.migrated-by-vigil
and a backup goes to .vigil/backups/.

In an environment that needs approval, bootstrap only shows its changes
unless --yes is given.`,
		Example: `  vigil bootstrap --env dev
  vigil bootstrap --env prod --target sandbox --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Env == "" {
				return flagErrorf("--env is required: name the environment to bootstrap")
			}
			if err := validTarget(opts.Target); err != nil {
				return err
			}
			opts.Open = openPipelineFunc(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return bootstrapRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "", "environment `ENV` to bootstrap")
	cmd.Flags().StringVar(&opts.Target, "target", "", "override the environment's target: `sandbox` or aws")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "apply changes even where the environment needs approval")
	cmd.Flags().DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait up to `DURATION` for another run of the environment")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

type bootstrapJSON struct {
	Run       *review.Report             `json:"run"`
	Changed   bool                       `json:"changed"`
	Confirm   bool                       `json:"needs_confirmation,omitempty"`
	StatePath string                     `json:"state_path,omitempty"`
	Outputs   *pipeline.BootstrapOutputs `json:"outputs,omitempty"`
	Migrated  []pipeline.MigratedState   `json:"migrated,omitempty"`
}

func bootstrapRun(ctx context.Context, opts *BootstrapOptions) error {
	prog := newPipelineProgress(opts.IO)
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{Terraform: true, TargetOverride: opts.Target, LockTimeout: opts.LockTimeout, Progress: prog.event})
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := pl.Bootstrap(ctx, pipeline.BootstrapParams{Env: opts.Env, Yes: opts.Yes})
	prog.done()
	if err != nil {
		return err
	}
	if opts.JSON {
		return review.WriteJSON(opts.IO.Out, bootstrapJSON{Run: res.Report, Changed: res.Changed, Confirm: res.NeedsConfirmation,
			StatePath: res.StatePath, Outputs: res.Outputs, Migrated: res.Migrated})
	}
	printBootstrap(opts.IO, opts.Env, res)
	return nil
}

func printBootstrap(ios *iostreams.IOStreams, env string, res *pipeline.BootstrapResult) {
	w := ios.Out
	switch {
	case res.NeedsConfirmation:
		_ = review.WriteText(w, res.Report, review.TextOptions{})
		fmt.Fprintf(w, "\nNot applied: %s needs approval. Review the changes (vigil show %s), then run vigil bootstrap --env %s --yes\n", env, res.Run.ID, env)
		return
	case res.Changed:
		fmt.Fprintf(w, "Bootstrapped %s (run %s).\n", env, res.Run.ID)
	default:
		fmt.Fprintf(w, "Bootstrap of %s: nothing to change.\n", env)
	}
	if o := res.Outputs; o != nil {
		fmt.Fprintf(w, "  state bucket  %s\n", o.Bucket)
		if o.LockTable != "" {
			fmt.Fprintf(w, "  lock table    %s\n", o.LockTable)
		}
	}
	if res.StatePath != "" {
		fmt.Fprintf(w, "  its own state %s\n", res.StatePath)
	}
	for _, m := range res.Migrated {
		fmt.Fprintf(w, "  migrated the local state of %s: %s (backup %s)\n", m.Stack, m.Note, m.Backup)
	}
}
