package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/policy/rego"
)

// ScanOptions are the inputs of `vigil scan`.
type ScanOptions struct {
	IO *iostreams.IOStreams
	// Config loads vigil.hcl; scan also works outside a vigil repository.
	Config func() (*config.Config, error)
	// PolicyConfig reads the policy settings of vigil.hcl.
	PolicyConfig func(*config.Config) (policy.Config, error)
	// Scan runs the scan (policy.Scanner.Scan; tests replace it).
	Scan func(ctx context.Context, p *policy.ScanParams) (*policy.Report, error)
	// RunTests runs Rego policy tests (rego.Test).
	RunTests func(ctx context.Context, dirs []string, w io.Writer) (rego.TestResult, error)

	// Dir is the -C flag.
	Dir string

	Paths          []string
	Env            string
	Plan           string
	Format         string
	FailOn         string
	PolicyDirs     []string
	External       []string
	ShowSuppressed bool
	TestPolicies   bool
	ListRules      bool
}

// NewCmdScan builds `vigil scan`.
func NewCmdScan(f *Factory, runF func(context.Context, *ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IOStreams}
	var jsonFlag bool
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Check Terraform, plans and CI workflows against security and reliability rules",
		Long: `Scan every .tf file under the paths (local modules followed), the GitHub workflow
files among them, and optionally a plan, with vigil's built-in security and
reliability rules and the Rego policies of the repository (policy/*.rego,
conftest layout: deny, warn and violation rules).

Without PATH: the stacks of --env (plus .github/workflows) when vigil.hcl is
found, else the repository root, else the current directory.

--plan takes a plan JSON file for now (terraform show -json PLANFILE > plan.json);
findings from it point back to the resource's source line. Run ids from the
pipeline store come in a later release.

Suppress a finding with a reason, on its line or the line before (or before
its block):
    # vigil:ignore VGL-S031 logs bucket is fronted by CloudFront only
A suppression without a reason is itself a finding and does not take effect.

Exit status: 0 when no unsuppressed finding reaches --fail-on (default: the
environment's setting in vigil.hcl, else high); 1 when one does, or when an
input could not be scanned (the rest is still reported).`,
		Example: `  vigil scan blueprint
  vigil -C blueprint scan --env prod --fail-on medium
  vigil scan live/prod/network --plan plan.json --format sarif > vigil.sarif
  vigil scan --test-policies
  vigil scan --list-rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if jsonFlag {
				if cmd.Flags().Changed("format") && opts.Format != "json" {
					return flagErrorf("--json conflicts with --format %s", opts.Format)
				}
				opts.Format = "json"
			}
			switch opts.Format {
			case "text", "json", "sarif":
			default:
				return flagErrorf("--format must be text, json or sarif, got %q", opts.Format)
			}
			if opts.FailOn != "" {
				if _, err := policy.ParseSeverity(opts.FailOn); err != nil {
					return flagErrorf("--fail-on: %v", err)
				}
			}
			for _, e := range opts.External {
				if e != "trivy" && e != "tflint" {
					return flagErrorf("--external: unknown scanner %q (want trivy or tflint)", e)
				}
			}
			if opts.TestPolicies && (opts.Plan != "" || len(args) > 0) {
				return flagErrorf("--test-policies takes no PATH and no --plan")
			}
			opts.Paths = args
			opts.Dir = f.Dir
			opts.Config = f.Config
			opts.PolicyConfig = policyConfig
			opts.Scan = policy.New().Scan
			opts.RunTests = rego.Test
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Env, "env", "e", "", "scan the stacks of environment `ENV` and apply its failing severity")
	fl.StringVar(&opts.Plan, "plan", "", "also scan plan JSON `FILE` (terraform show -json PLANFILE)")
	fl.StringVarP(&opts.Format, "format", "f", "text", "output `FORMAT`: text, json or sarif")
	fl.BoolVar(&jsonFlag, "json", false, "same as --format json")
	fl.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when a finding reaches `SEVERITY`: low, medium, high, critical or none")
	fl.StringSliceVar(&opts.PolicyDirs, "policy", nil, "Rego policy `DIR` (repeatable; default: policy/ of the repository)")
	fl.StringSliceVar(&opts.External, "external", nil, "also run `SCANNER` when on PATH: trivy, tflint (default: as in vigil.hcl)")
	fl.BoolVar(&opts.ShowSuppressed, "show-suppressed", false, "list suppressed findings with their reasons (text format)")
	fl.BoolVar(&opts.TestPolicies, "test-policies", false, "run the Rego policies' *_test.rego tests instead of scanning")
	fl.BoolVar(&opts.ListRules, "list-rules", false, "list the built-in rules and exit")
	return cmd
}

// policyConfig turns vigil.hcl's policy block into the policy package's
// configuration. Folders of Rego policies are relative to the repository.
func policyConfig(cfg *config.Config) (policy.Config, error) {
	if cfg == nil {
		return policy.Config{}, nil
	}
	p := cfg.Policy
	out := policy.Config{External: p.External, Disable: p.Disable}
	if p.FailOn != "" {
		sev, err := policy.ParseSeverity(p.FailOn)
		if err != nil {
			return out, fmt.Errorf("%s: policy fail_on: %w", cfg.Path, err)
		}
		out.FailOn = sev
	}
	for env, s := range p.FailOnEnv {
		sev, err := policy.ParseSeverity(s)
		if err != nil {
			return out, fmt.Errorf("%s: policy fail_on for %s: %w", cfg.Path, env, err)
		}
		if out.FailOnEnv == nil {
			out.FailOnEnv = map[string]policy.Severity{}
		}
		out.FailOnEnv[env] = sev
	}
	for _, d := range p.Policies {
		if !filepath.IsAbs(d) {
			d = filepath.Join(cfg.Root, d)
		}
		out.PolicyDirs = append(out.PolicyDirs, d)
	}
	for _, ig := range p.Ignore {
		out.Ignore = append(out.Ignore, policy.Ignore{Rule: ig.Rule, Paths: ig.Paths, Resources: ig.Resources, Reason: ig.Reason})
	}
	return out, out.Validate()
}

func scanRun(ctx context.Context, opts *ScanOptions) error {
	if opts.ListRules {
		return listRules(opts)
	}
	cfg, err := opts.Config()
	if errors.Is(err, config.ErrNotFound) {
		cfg, err = nil, nil
	}
	if err != nil {
		return err
	}
	var pcfg policy.Config
	if cfg != nil && opts.PolicyConfig != nil {
		if pcfg, err = opts.PolicyConfig(cfg); err != nil {
			return err
		}
	}
	if opts.Env != "" && cfg != nil {
		if _, ok := cfg.Environment(opts.Env); !ok {
			return flagErrorf("--env %q: no such environment in %s", opts.Env, cfg.Path)
		}
	}
	root := opts.Dir
	if cfg != nil {
		root = cfg.Root
	}
	if root == "" {
		root = "."
	}
	if len(opts.PolicyDirs) > 0 {
		pcfg.PolicyDirs = resolve(opts.Dir, opts.PolicyDirs)
	} else if len(pcfg.PolicyDirs) > 0 {
		pcfg.PolicyDirs = resolve(root, pcfg.PolicyDirs)
	} else if d := filepath.Join(root, "policy"); isDir(d) {
		pcfg.PolicyDirs = []string{d}
	}
	if opts.TestPolicies {
		return testPolicies(ctx, opts, pcfg.PolicyDirs)
	}
	if len(opts.External) > 0 {
		pcfg.External = opts.External
	}

	params := &policy.ScanParams{Env: opts.Env, Config: pcfg, BaseDir: opts.Dir}
	switch {
	case len(opts.Paths) > 0:
		params.Paths = resolve(opts.Dir, opts.Paths)
	case cfg != nil && opts.Env != "":
		params.Paths = []string{filepath.Join(cfg.StacksDir(), opts.Env)}
		if wf := filepath.Join(cfg.Root, ".github", "workflows"); isDir(wf) {
			params.Paths = append(params.Paths, wf)
		}
	case cfg != nil:
		params.Paths = []string{cfg.Root}
	default:
		params.Paths = []string{root}
	}
	if opts.Plan != "" {
		params.PlanFile = resolve(opts.Dir, []string{opts.Plan})[0]
	}
	if opts.FailOn != "" {
		s, _ := policy.ParseSeverity(opts.FailOn)
		params.FailOn = &s
	}
	if params.BaseDir == "" {
		params.BaseDir, _ = os.Getwd()
	}

	rep, err := opts.Scan(ctx, params)
	if err != nil {
		return err
	}
	switch opts.Format {
	case "json":
		err = policy.WriteJSON(opts.IO.Out, rep)
	case "sarif":
		err = policy.WriteSARIF(opts.IO.Out, rep)
	default:
		err = policy.WriteText(opts.IO.Out, rep, policy.TextOptions{Fix: true, Suppressed: opts.ShowSuppressed})
	}
	if err != nil {
		return err
	}
	if opts.Format != "text" {
		// Data went to Out; people (and CI logs) still get the gist.
		for _, n := range rep.Notes {
			fmt.Fprintf(opts.IO.ErrOut, "note: %s\n", n)
		}
		for _, e := range rep.Errors {
			fmt.Fprintf(opts.IO.ErrOut, "could not scan: %s\n", e)
		}
		fmt.Fprintln(opts.IO.ErrOut, rep.Summary())
	}
	if err := rep.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrFindings, err)
	}
	return nil
}

func testPolicies(ctx context.Context, opts *ScanOptions, dirs []string) error {
	if len(dirs) == 0 {
		return flagErrorf("no Rego policies to test: create policy/*.rego (with *_test.rego tests) or pass --policy DIR")
	}
	res, err := opts.RunTests(ctx, dirs, opts.IO.Out)
	if err != nil {
		return err
	}
	if res.Failed > 0 || res.Errored > 0 {
		return fmt.Errorf("%w: %d policy test(s) failed", ErrFindings, res.Failed+res.Errored)
	}
	if res.Passed == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "no tests found in %s (test rules are named test_* in *_test.rego files)\n", strings.Join(dirs, ", "))
	}
	return nil
}

func listRules(opts *ScanOptions) error {
	rules := policy.Rules()
	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rules)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tGROUP\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Group, r.Title)
	}
	return tw.Flush()
}

// resolve makes paths relative to the -C directory.
func resolve(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out[i] = p
	}
	return out
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
