package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/stack"
)

// StacksOptions are the inputs of `vigil stacks`.
type StacksOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)

	Env  string
	JSON bool
}

// NewCmdStacks builds `vigil stacks`.
func NewCmdStacks(f *Factory, runF func(*StacksOptions) error) *cobra.Command {
	opts := &StacksOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "stacks",
		Short: "List the stacks in dependency order",
		Long: `List the repository's stacks (<stacks_root>/<env>/<layer>) in the order they apply,
with the stacks each depends on: inferred from terraform_remote_state keys, plus
any depends_on in the stack's stack.hcl. WAVE groups stacks that can run in
parallel.`,
		Example: `  vigil stacks --env dev
  vigil -C blueprint stacks --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if runF != nil {
				return runF(opts)
			}
			return stacksRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Env, "env", "e", "", "only the stacks of environment `ENV`")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON list")
	return cmd
}

// stackJSON is one element of `vigil stacks --json`.
type stackJSON struct {
	ID         string   `json:"id"`
	Env        string   `json:"env"`
	Layer      string   `json:"layer"`
	Path       string   `json:"path"`
	BackendKey string   `json:"backend_key"`
	DependsOn  []string `json:"depends_on"`
	Wave       int      `json:"wave"`
}

func stacksRun(opts *StacksOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	stacks, g, err := loadStacks(cfg, opts.Env)
	if err != nil {
		return err
	}
	waveOf := map[string]int{}
	for i, wave := range g.Waves(stacks) {
		for _, s := range wave {
			waveOf[s.ID()] = i + 1
		}
	}
	for _, s := range stacks {
		for _, d := range s.Module.Diags {
			if d.Severity == hcl.DiagError && d.Subject != nil {
				fmt.Fprintf(opts.IO.ErrOut, "warning: %s:%d:%d: %s (dependencies of %s may be incomplete; vigil check shows every problem)\n",
					relPath(cfg.Root, d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, s.ID())
				break
			}
		}
	}
	if opts.JSON {
		out := make([]stackJSON, 0, len(stacks))
		for _, s := range stacks {
			deps := s.DependsOn
			if deps == nil {
				deps = []string{}
			}
			out = append(out, stackJSON{ID: s.ID(), Env: s.Env, Layer: s.Layer, Path: s.Path, BackendKey: s.BackendKey, DependsOn: deps, Wave: waveOf[s.ID()]})
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(stacks) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No stacks under %s/: create %s/<env>/<layer>/ folders holding .tf files.\n", cfg.StacksRoot, cfg.StacksRoot)
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tSTACK\tPATH\tDEPENDS ON")
	for _, s := range stacks {
		deps := strings.Join(s.DependsOn, ", ")
		if deps == "" {
			deps = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", waveOf[s.ID()], s.ID(), s.Path, deps)
	}
	return tw.Flush()
}

// loadStacks loads the graph and the stacks of env ("" = all), in order.
func loadStacks(cfg *config.Config, env string) ([]*stack.Stack, *stack.Graph, error) {
	if env != "" {
		if _, ok := cfg.Environment(env); !ok {
			return nil, nil, flagErrorf("unknown environment %q: %s declares %s", env, config.FileName, strings.Join(cfg.EnvironmentNames(), ", "))
		}
	}
	g, err := stack.Load(cfg)
	if err != nil {
		return nil, nil, err
	}
	if env == "" {
		return g.Stacks(), g, nil
	}
	return g.Env(env), g, nil
}

// relPath shows path relative to the repository root when it is inside it.
func relPath(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}
