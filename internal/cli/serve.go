package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/serve"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// ServeOptions are the inputs of `vigil serve`.
type ServeOptions struct {
	IO        *iostreams.IOStreams
	Config    func() (*config.Config, error)
	Terraform func(ctx context.Context) (*terraform.Toolchain, error)

	Addr string
	Envs []string
	// Ready is called with the address once serving (tests).
	Ready func(addr string)
}

// NewCmdServe builds `vigil serve`.
func NewCmdServe(f *Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run 24/7: scheduled drift checks, canaries, alerts, the API and dashboard",
		Long: `Run vigil as one long-running process:

  drift      a read-only check of every stack on its drift schedule (vigil.hcl's
             drift block; hourly by default), stored; one alert when a stack
             drifts, updated while it stays drifted, one resolve when it is clean
  canaries   the canary blocks of vigil.hcl on their intervals; results stored,
             in Prometheus metrics and, where configured, in CloudWatch
  alerts     through the alerts block's routes and sinks; dedupe state and every
             delivery attempt are stored, so a restart never sends twice
  HTTP       the JSON API (/api/v1), the dashboard (/), /metrics and /healthz

Background work runs on a job queue (River) in the store's database: SQLite
(.vigil/queue.db beside .vigil/vigil.db) or the PostgreSQL database of
serve { store = "postgres://…" }. SIGTERM or Ctrl-C stops it gracefully:
running jobs finish, or go back to the queue for the next start.`,
		Example: `  vigil serve
  vigil serve --addr 0.0.0.0:8080 --env prod
  curl -s localhost:8080/metrics | grep vigil_drift`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			opts.Terraform = f.Terraform
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "listen on `HOST:PORT` (default: serve.addr of vigil.hcl, else 127.0.0.1:8080)")
	cmd.Flags().StringSliceVarP(&opts.Envs, "env", "e", nil, "watch only environment `ENV` (repeatable; default: every environment)")
	return cmd
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	g, err := stack.Load(cfg)
	if err != nil {
		return err
	}
	tc, err := opts.Terraform(ctx)
	if err != nil {
		return err
	}
	st, qdb, err := serve.OpenStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	logger := newLogger(opts.IO, slog.LevelInfo)
	pl, err := pipeline.New(pipeline.Params{Config: cfg, Graph: g, Store: st, Logger: logger})
	if err != nil {
		return err
	}
	defer pl.Close(context.WithoutCancel(ctx))
	srv, err := serve.New(ctx, serve.Options{
		Config: cfg, Graph: g, Store: st, QueueDB: qdb, Terraform: tc, Vars: pipelineVars(cfg),
		Envs: opts.Envs, Addr: opts.Addr, Approver: pl, Logger: logger,
		Ready: func(addr string) {
			fmt.Fprintf(opts.IO.ErrOut, "vigil serve: http://%s (dashboard, /api/v1, /metrics); Ctrl-C or SIGTERM stops\n", addr)
			if opts.Ready != nil {
				opts.Ready(addr)
			}
		},
	})
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
