package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/gameday"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/target"
)

// GamedayOptions are the inputs of `vigil gameday`.
type GamedayOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	// Run runs a scenario (gameday.Run; tests replace it).
	Run func(ctx context.Context, sb gameday.Sandbox, sc gameday.Scenario, o gameday.Options) (*gameday.Report, error)

	Env      string
	Scenario string
	JSON     bool
	List     bool
}

// NewCmdGameday builds `vigil gameday`.
func NewCmdGameday(f *Factory, runF func(context.Context, *GamedayOptions) error) *cobra.Command {
	opts := &GamedayOptions{IO: f.IOStreams, Run: gameday.Run}
	cmd := &cobra.Command{
		Use:   "gameday [--env ENV] [--scenario NAME] [--json] [--list]",
		Short: "Run a game day scenario against the environment in the sandbox",
		Long: `Run a named scenario against the environment applied to the sandbox: inject a
fault, run the sandbox's virtual clock, and print the timeline — the fault,
alarm transitions, pages (received by a local endpoint subscribed to the
pager topic), remediation actions, task stops and starts, scaling — with the
time to detect and the time to recover, in virtual time.

The environment must be applied (vigil up --env ENV) and target the sandbox.
The clock is stopped and moved in ticks while the game day runs, then put
back at its speed; every fault is cleared at the end. docs/gameday.md
describes the scenarios.`,
		Example: `  vigil gameday --list
  vigil gameday --scenario bad-task
  vigil gameday --env dev --scenario load-step --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if !opts.List && opts.Scenario == "" {
				return flagErrorf("name a scenario with --scenario (vigil gameday --list shows them)")
			}
			if opts.List && opts.Scenario != "" {
				return flagErrorf("--list and --scenario do not go together")
			}
			if opts.Scenario != "" {
				if _, err := gameday.Lookup(opts.Scenario); err != nil {
					return flagErrorf("%v", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return gamedayRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "dev", "run against environment `ENV`")
	cmd.Flags().StringVar(&opts.Scenario, "scenario", "", "run scenario `NAME`")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report (or the list) as JSON")
	cmd.Flags().BoolVar(&opts.List, "list", false, "list the scenarios")
	return cmd
}

func gamedayRun(ctx context.Context, opts *GamedayOptions) error {
	if opts.List {
		return gamedayList(opts)
	}
	sc, err := gameday.Lookup(opts.Scenario)
	if err != nil {
		return flagErrorf("%v", err)
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	env, ok := cfg.Environment(opts.Env)
	if !ok {
		return flagErrorf("unknown environment %q: %s declares %s", opts.Env, config.FileName, strings.Join(cfg.EnvironmentNames(), ", "))
	}
	if env.Target == config.TargetAWS {
		return fmt.Errorf("environment %s targets AWS: game days inject faults into the sandbox only", env.Name)
	}
	tg, err := target.Resolve(ctx, cfg, env, target.Options{})
	if err != nil {
		return err
	}
	defer tg.Close(context.WithoutCancel(ctx))
	sb := gameday.Sandbox{URL: tg.Sandbox.URL, AWS: aws.Config{
		Region:       env.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(sandbox.AccessKeyID, sandbox.SecretAccessKey, ""),
		BaseEndpoint: aws.String(tg.Sandbox.URL),
	}}
	o := gameday.Options{}
	if !opts.JSON {
		o.Progress = opts.IO.ErrOut
	}
	rep, err := opts.Run(ctx, sb, sc, o)
	if rep != nil {
		if opts.JSON {
			enc := json.NewEncoder(opts.IO.Out)
			enc.SetIndent("", "  ")
			if e := enc.Encode(rep); e != nil {
				return e
			}
		} else {
			fmt.Fprint(opts.IO.Out, rep.Text())
		}
	}
	if errors.Is(err, gameday.ErrStepFailed) {
		return ErrFindings // the report says which step failed
	}
	return err
}

func gamedayList(opts *GamedayOptions) error {
	list := gameday.Scenarios()
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	for _, s := range list {
		fmt.Fprintf(opts.IO.Out, "%-18s %s\n", s.Name, s.Description)
	}
	return nil
}
