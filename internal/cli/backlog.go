package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/backlog"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/serve"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
)

// BacklogOptions are the inputs of `vigil backlog`.
type BacklogOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)

	Env      string
	Since    time.Duration
	LogGroup string
	Format   string
}

// NewCmdBacklog builds `vigil backlog`.
func NewCmdBacklog(f *Factory, runF func(context.Context, *BacklogOptions) error) *cobra.Command {
	opts := &BacklogOptions{IO: f.IOStreams}
	var jsonFlag, markdown bool
	cmd := &cobra.Command{
		Use:   "backlog",
		Short: "List the incidents a person had to handle, each with a suggested encoding",
		Long: `List the incidents that needed a person (M17), newest first, each with what
happened and a suggested encoding of the fix: a policy rule, an alarm or a
remediation (docs/backlog.md).

  escalation           an alarm episode the remediator escalated to the pager
                       (its incident records in /aws/lambda/<project>-<env>-remediator)
  manual-apply         a run applied with vigil apply RUN in an environment with
                       approval = true or target = aws: not the after-merge
                       apply --replan --expect of a reviewed pull request
  drift-fixed-by-hand  drift found, then clean again with no vigil apply of the
                       stack in between (drift reports recorded by vigil ci
                       and vigil serve)

It also lists the incidents vigil serve recorded in its store (the
repository's, or the PostgreSQL database of vigil.hcl's serve block), except
the same events it found itself and stacks that merely drifted (open
conditions, not fixes).

--markdown renders each item as an issue body.

Exit status: 0 (also when the list is empty), 1 when a source could not be read.`,
		Example: `  vigil backlog --env prod
  vigil backlog --env prod --markdown
  vigil backlog --since 720h --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Format, err = outputFormat(jsonFlag, markdown); err != nil {
				return err
			}
			if opts.LogGroup != "" && opts.Env == "" {
				return flagErrorf("--log-group goes with --env")
			}
			if opts.Since < 0 {
				return flagErrorf("--since must not be negative")
			}
			opts.Config = f.Config
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return backlogRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Env, "env", "e", "", "only environment `ENV` (default: every environment)")
	fl.DurationVar(&opts.Since, "since", 30*24*time.Hour, "look back `DURATION`")
	fl.StringVar(&opts.LogGroup, "log-group", "", "the remediator's log `GROUP` (default /aws/lambda/<project>-<env>-remediator)")
	fl.BoolVar(&jsonFlag, "json", false, "print the items as JSON")
	fl.BoolVar(&markdown, "markdown", false, "print each item as an issue body")
	return cmd
}

func backlogRun(ctx context.Context, opts *BacklogOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	envs, err := ciEnvs(cfg, nonEmpty(opts.Env))
	if err != nil {
		return err
	}
	since := time.Now().Add(-opts.Since)
	var items []backlog.Item
	var problems []error

	st, err := sqlite.Open(filepath.Join(cfg.StateDir(), StoreFileName))
	if err != nil {
		return err
	}
	defer st.Close()
	protected := map[string]bool{}
	for _, e := range cfg.Environments {
		protected[e.Name] = e.Approval || e.Target == config.TargetAWS
	}
	incStore, closeInc, err := incidentStore(ctx, cfg, st)
	if err != nil {
		problems = append(problems, fmt.Errorf("the incidents vigil serve recorded: %w", err))
	}
	defer closeInc()
	var incidents []*store.Incident
	for _, env := range envs {
		recs, err := backlog.Collect(ctx, st, env.Name, since)
		if err != nil {
			return err
		}
		items = append(items, backlog.ManualApplies(func(e string) bool { return protected[e] }, recs.Applies)...)
		items = append(items, backlog.DriftFixedByHand(recs.Drifts, recs.Marks)...)

		group := opts.LogGroup
		if group == "" {
			group = backlog.RemediatorLogGroup(cfg.Project, env.Name)
		}
		incs, err := readIncidents(ctx, cfg, env, group, since)
		switch {
		case errors.Is(err, backlog.ErrNoLogGroup):
			fmt.Fprintf(opts.IO.ErrOut, "%s: no escalations read: %v\n", env.Name, err)
		case err != nil:
			problems = append(problems, fmt.Errorf("%s: %w", env.Name, err))
		default:
			items = append(items, backlog.Escalations(env.Name, group, incs)...)
		}
		if incStore != nil {
			recorded, err := incStore.IncidentList(ctx, &store.IncidentListParams{Env: env.Name, Since: since})
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: the incidents vigil serve recorded: %w", env.Name, err))
			}
			incidents = append(incidents, recorded...)
		}
	}
	items = backlog.Merge(items, incidents)
	if items == nil {
		items = []backlog.Item{}
	}
	switch opts.Format {
	case "json":
		if err := review.WriteJSON(opts.IO.Out, items); err != nil {
			return err
		}
	case "markdown":
		for i, it := range items {
			if i > 0 {
				fmt.Fprint(opts.IO.Out, "\n---\n\n")
			}
			fmt.Fprint(opts.IO.Out, backlog.Markdown(it))
		}
	default:
		printBacklog(opts.IO, items)
	}
	if len(problems) > 0 {
		return fmt.Errorf("some incidents could not be read: %w", errors.Join(problems...))
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// incidentStore is the store vigil serve records incidents in: the
// repository's SQLite store st, or the PostgreSQL database of the serve
// block (store, store_env).
func incidentStore(ctx context.Context, cfg *config.Config, st store.Store) (store.IncidentStore, func(), error) {
	if cfg.Serve.Store == "" && cfg.Serve.StoreEnv == "" {
		return st, func() {}, nil
	}
	pg, _, err := serve.OpenStore(ctx, cfg, nil)
	if err != nil {
		return nil, func() {}, err
	}
	return pg, func() { _ = pg.Close() }, nil
}

// readIncidents reads env's remediator incidents from CloudWatch Logs of
// its target (the sandbox only when one runs for the repository).
func readIncidents(ctx context.Context, cfg *config.Config, env config.Environment, group string, since time.Time) ([]remediate.Incident, error) {
	awsCfg, err := envAWSConfig(ctx, cfg, env)
	if err != nil {
		if env.Target == config.TargetSandbox {
			return nil, fmt.Errorf("%w: %v", backlog.ErrNoLogGroup, err)
		}
		return nil, err
	}
	return backlog.ReadIncidents(ctx, cloudwatchlogs.NewFromConfig(awsCfg), group, since)
}

func printBacklog(ios *iostreams.IOStreams, items []backlog.Item) {
	w := ios.Out
	if len(items) == 0 {
		fmt.Fprintln(w, "No incidents needed a person: nothing to encode.")
		return
	}
	for i, it := range items {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  %s  %s\n  %s\n", it.At.UTC().Format("2006-01-02 15:04"), it.Kind, it.Env, it.Title)
		for _, l := range it.What {
			fmt.Fprintf(w, "    %s\n", l)
		}
		fmt.Fprintf(w, "  encode as %s: %s\n", it.Suggest.As, it.Suggest.Text)
	}
	fmt.Fprintf(w, "\n%d %s to encode (vigil backlog --markdown renders issue bodies).\n", len(items), plural(len(items), "incident", "incidents"))
}
