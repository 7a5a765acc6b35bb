package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

// UpOptions are the inputs of `vigil up`.
type UpOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Open   OpenPipeline
	// Serve runs vigil serve for the environment once it is up (unless
	// --once).
	Serve func(ctx context.Context, o *ServeOptions) error

	Env         string
	Once        bool
	Target      string
	Yes         bool
	Parallelism int
	JSON        bool
	Addr        string
}

// NewCmdUp builds `vigil up`.
func NewCmdUp(f *Factory, runF func(context.Context, *UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring an environment up: sandbox, bootstrap, check, plan, apply every layer",
		Long: `Bring an environment up in one step (dev by default): resolve its target
(starting the embedded sandbox in this process when the environment targets
the sandbox and none is running for .vigil/sandbox), bootstrap its remote
state, run the fmt/validate gate, plan, and, where vigil.hcl allows applying
without approval (dev does), apply every layer wave by wave. Then print what
was done and where to look next, and go on serving the environment as vigil
serve does (drift checks, canaries, alerts, the dashboard and API on
--addr) with the sandbox running, until Ctrl-C; --once exits after the apply,
leaving the sandbox's data in .vigil/sandbox for the next run. A second vigil
up finds nothing to change and says so.

In an environment that needs approval, up stops after the plan and names the
run to approve. --target sandbox rehearses any environment (prod included,
approval and all) on the sandbox.

The remediation stack needs the remediator Lambda's zip: vigil passes
lambda_zip_path from $VIGIL_REMEDIATOR_ZIP, else .vigil/build/remediator.zip
when it exists; without either, that stack's plan fails saying what is
missing.`,
		Example: `  vigil up
  vigil up --once
  vigil up --env prod --target sandbox`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validTarget(opts.Target); err != nil {
				return err
			}
			opts.Config = f.Config
			opts.Open = openPipelineFunc(f)
			opts.Serve = func(ctx context.Context, o *ServeOptions) error {
				o.Config, o.Terraform = f.Config, f.Terraform
				return serveRun(ctx, o)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "dev", "environment `ENV` to bring up")
	cmd.Flags().BoolVar(&opts.Once, "once", false, "exit after the apply instead of serving (and keeping the sandbox running)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "serve on `HOST:PORT` after the apply (default: serve.addr of vigil.hcl, else 127.0.0.1:8080)")
	cmd.Flags().StringVar(&opts.Target, "target", "", "override the environment's target: `sandbox` or aws")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "bootstrap even where the environment needs approval")
	cmd.Flags().IntVarP(&opts.Parallelism, "parallelism", "p", 0, "stacks run at once (default: CPUs, at least 2)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the runs' reviews as JSON (implies --once)")
	return cmd
}

type upJSON struct {
	Env       string           `json:"env"`
	Target    string           `json:"target"`
	Endpoint  string           `json:"endpoint,omitempty"`
	NoChanges bool             `json:"no_changes"`
	Runs      []*review.Report `json:"runs"`
	Pending   string           `json:"pending_run,omitempty"`
	Error     string           `json:"error,omitempty"`
}

func upRun(ctx context.Context, opts *UpOptions) error {
	prog := newPipelineProgress(opts.IO)
	pl, closeFn, err := opts.Open(ctx, PipelineSetup{Terraform: true, TargetOverride: opts.Target, Parallelism: opts.Parallelism, Progress: prog.event})
	if err != nil {
		return err
	}
	defer closeFn()
	res, upErr := pl.Up(ctx, pipeline.UpParams{Env: opts.Env, Yes: opts.Yes})
	prog.done()
	endpoint := ""
	inProcess := false
	if res != nil && res.Target != nil && res.Target.Sandbox != nil {
		endpoint = res.Target.Sandbox.URL
		inProcess = res.Target.Sandbox.Server != nil
	}
	if opts.JSON {
		out := upJSON{Env: opts.Env, Runs: []*review.Report{}, Endpoint: endpoint}
		if res != nil {
			out.NoChanges = res.NoChanges
			out.Runs = append(out.Runs, res.Reports()...)
			if res.Target != nil {
				out.Target = res.Target.Kind
			}
			if res.Pending != nil {
				out.Pending = res.Pending.Run.ID
			}
		}
		if upErr != nil {
			out.Error = upErr.Error()
		}
		if err := review.WriteJSON(opts.IO.Out, out); err != nil {
			return err
		}
		return upErr
	}
	if res != nil {
		printUp(opts.IO.Out, opts.Env, endpoint, res)
	}
	if upErr != nil {
		return upErr
	}
	if opts.Once || res == nil || res.Pending != nil {
		return nil
	}
	if inProcess {
		fmt.Fprintf(opts.IO.ErrOut, "\nThe sandbox keeps running at %s while vigil serves %s (vigil up --once exits instead).\n", endpoint, opts.Env)
	}
	if opts.Serve == nil {
		<-ctx.Done()
		return nil
	}
	err = opts.Serve(ctx, &ServeOptions{IO: opts.IO, Addr: opts.Addr, Envs: []string{opts.Env}})
	if inProcess {
		fmt.Fprintln(opts.IO.ErrOut, "stopping the sandbox")
	}
	return err
}

func printUp(w io.Writer, env, endpoint string, res *pipeline.UpResult) {
	target := "aws"
	if res.Target != nil {
		target = res.Target.Kind
	}
	fmt.Fprintf(w, "vigil up: environment %s on %s", env, target)
	if endpoint != "" {
		fmt.Fprintf(w, " (%s)", endpoint)
	}
	fmt.Fprintln(w)
	if b := res.Bootstrap; b != nil && b.Run != nil {
		switch {
		case b.Changed && b.Outputs != nil:
			fmt.Fprintf(w, "  bootstrap  created the state bucket %s (run %s)\n", b.Outputs.Bucket, b.Run.ID)
		case b.Changed:
			fmt.Fprintf(w, "  bootstrap  applied (run %s)\n", b.Run.ID)
		default:
			fmt.Fprintln(w, "  bootstrap  nothing to change")
		}
		for _, m := range b.Migrated {
			fmt.Fprintf(w, "  bootstrap  moved the local state of %s into its bucket\n", m.Stack)
		}
	}
	if c := res.Check; c != nil {
		fmt.Fprintf(w, "  check      %d stacks, %d with findings\n", len(c.Stacks), c.Failed())
	}
	var runs []*review.Report
	if res.Apply != nil {
		runs = res.Apply.Reports
	} else if res.Plan != nil {
		runs = []*review.Report{res.Plan.Report}
	}
	for i, rep := range runs {
		var parts []string
		for _, s := range rep.Stacks {
			p := s.Stack + " " + s.Status
			if s.Summary != nil && s.Summary.HasChanges() {
				p += " (" + s.Summary.Counts.String() + ")"
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(w, "  wave %d     run %s %s: %s\n", i+1, rep.RunID, rep.Status, strings.Join(parts, ", "))
	}
	switch {
	case res.NoChanges:
		fmt.Fprintf(w, "\nNothing to change: every stack of %s is up to date.\n", env)
	case res.Pending != nil && res.Pending.Run.Status == store.RunPlanned:
		fmt.Fprintf(w, "\nRun %s awaits approval: vigil show %s, then vigil approve %s --by NAME and vigil apply %s\n",
			res.Pending.Run.ID, res.Pending.Run.ID, res.Pending.Run.ID, res.Pending.Run.ID)
	case res.Apply != nil:
		fmt.Fprintf(w, "\nEvery stack of %s is applied.\n", env)
	}
	fmt.Fprintln(w, "\nWhere to look next:")
	fmt.Fprintln(w, "  vigil runs                  the runs just recorded")
	fmt.Fprintln(w, "  vigil show latest           the last run's changes, attribute by attribute")
	fmt.Fprintln(w, "  vigil audit verify          the tamper-evident audit log")
	if endpoint != "" {
		fmt.Fprintln(w, "  eval \"$(vigil sandbox env)\" point the AWS CLI, SDKs and terraform at the sandbox")
	}
}
