package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/scaffold"
)

// InitOptions are the inputs of `vigil init`.
type InitOptions struct {
	IO *iostreams.IOStreams
	// Write writes the repository (scaffold.Write; tests replace it).
	Write func(scaffold.Params) (*scaffold.Result, error)

	// Dir is DIR as given ("." when left out); Path is where it is, after -C.
	Dir  string
	Path string

	Envs         []string
	Region       string
	GitHubRepo   string
	Project      string
	Force        bool
	JSON         bool
	VigilVersion string
}

// NewCmdInit builds `vigil init`.
func NewCmdInit(f *Factory, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Start a new vigil repository from the blueprint",
		Long: `Write a new vigil repository into DIR (default: the current folder) from the
blueprint built into vigil: vigil.hcl, the Terraform modules, live/<env>/<layer>
stacks and bootstrap/<env> for every environment, the runbooks, the GitHub
workflows (pull-request plan and sticky comment, apply after merge, nightly
drift, all with OIDC), CODEOWNERS and a README for the team.

Environments named like production (prod, production, prod-eu…) target a real
AWS account, need an approval and have the console-write guardrail on; the
others target vigil's sandbox. Each is derived from the blueprint's prod or dev
stacks, with its own state bucket <project>-<env>-tfstate, state keys, tags and
GitHub environments. The project name (default: DIR's name) prefixes every
resource name. --github-repo is the repository the CI roles trust and
CODEOWNERS' organisation.

init refuses to overwrite any file, listing those that exist and writing
nothing, unless --force is given. What it writes passes vigil check and has no
high finding in vigil scan.`,
		Example: `  vigil init acme-infra --github-repo acme/infra
  vigil init --envs dev,staging,prod --region eu-west-1
  vigil init . --force`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			opts.Path = opts.Dir
			if f.Dir != "" && !filepath.IsAbs(opts.Path) {
				opts.Path = filepath.Join(f.Dir, opts.Path)
			}
			for i, e := range opts.Envs {
				opts.Envs[i] = strings.TrimSpace(e)
			}
			opts.VigilVersion = f.AppVersion
			opts.Write = scaffold.Write
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Envs, "envs", append([]string(nil), scaffold.DefaultEnvs...), "environments `ENV,…` in apply order")
	fl.StringVar(&opts.Region, "region", scaffold.DefaultRegion, "AWS `REGION` of every environment")
	fl.StringVar(&opts.GitHubRepo, "github-repo", "", "GitHub repository `OWNER/NAME` the CI roles trust (default: a placeholder to edit)")
	fl.StringVar(&opts.Project, "project", "", "project `NAME`, the prefix of resource names (default: DIR's name)")
	fl.BoolVar(&opts.Force, "force", false, "overwrite files that exist")
	fl.BoolVar(&opts.JSON, "json", false, "print what was written as JSON")
	return cmd
}

func initRun(_ context.Context, opts *InitOptions) error {
	res, err := opts.Write(scaffold.Params{
		Dir: opts.Path, Project: opts.Project, Envs: opts.Envs, Region: opts.Region,
		GitHubRepo: opts.GitHubRepo, VigilVersion: opts.VigilVersion, Force: opts.Force,
	})
	if errors.Is(err, scaffold.ErrInvalid) {
		return &FlagError{Err: err}
	}
	var conflict *scaffold.ConflictError
	if errors.As(err, &conflict) {
		conflict.Dir = opts.Dir
		return conflict
	}
	if err != nil {
		return err
	}
	res.Dir = opts.Dir
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printInit(opts, res)
	return nil
}

func printInit(opts *InitOptions, res *scaffold.Result) {
	w := opts.IO.Out
	var envs []string
	for _, e := range res.Envs {
		s := e.Name + " → " + e.Target
		if e.Approval {
			s += " with approval"
		}
		envs = append(envs, s)
	}
	fmt.Fprintf(w, "Created %s: %d files for project %s (%s; region %s).\n\n", res.Dir, len(res.Files), res.Project, strings.Join(envs, ", "), res.Region)

	count := func(match func(string) bool) int {
		n := 0
		for _, f := range res.Files {
			if match(f) {
				n++
			}
		}
		return n
	}
	folders := func(prefix string) []string {
		seen := map[string]bool{}
		var out []string
		for _, f := range res.Files {
			if rest, ok := strings.CutPrefix(f, prefix); ok {
				name, _, _ := strings.Cut(rest, "/")
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	var top []string
	for _, f := range res.Files {
		if !strings.Contains(f, "/") {
			top = append(top, f)
		}
	}
	layers := 0
	if len(res.Envs) > 0 {
		layers = len(folders("live/" + res.Envs[0].Name + "/"))
	}
	envNames := make([]string, len(res.Envs))
	for i, e := range res.Envs {
		envNames[i] = e.Name
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(top, ", "))
	fmt.Fprintf(w, "  %-12s %d workflows (pull request, apply, drift), the setup-vigil action\n", ".github/", count(func(f string) bool { return strings.HasPrefix(f, ".github/workflows/") }))
	fmt.Fprintf(w, "  %-12s %s\n", "modules/", strings.Join(folders("modules/"), ", "))
	fmt.Fprintf(w, "  %-12s %s: %d stacks each\n", "live/", strings.Join(envNames, ", "), layers)
	var boot []string
	for _, e := range envNames {
		if count(func(f string) bool { return strings.HasPrefix(f, "bootstrap/"+e+"/") }) > 0 {
			boot = append(boot, e)
		}
	}
	fmt.Fprintf(w, "  %-12s %s\n", "bootstrap/", strings.Join(boot, ", "))
	fmt.Fprintf(w, "  %-12s %d runbooks\n", "runbooks/", count(func(f string) bool { return strings.HasPrefix(f, "runbooks/") && f != "runbooks/README.md" }))
	if len(res.Overwritten) > 0 {
		fmt.Fprintf(w, "\nOverwrote %d existing file(s) (--force): %s\n", len(res.Overwritten), strings.Join(res.Overwritten, ", "))
	}
	if res.Repo == scaffold.DefaultGitHubRepo {
		fmt.Fprintf(w, "\nNote: no --github-repo: the CI roles trust, and CODEOWNERS names, the placeholder %s.\nRun again with --github-repo OWNER/NAME --force, or edit them.\n", scaffold.DefaultGitHubRepo)
	}
	fmt.Fprintf(w, "\nNext:\n")
	if res.Dir != "." {
		fmt.Fprintf(w, "  cd %s\n", res.Dir)
	}
	fmt.Fprintf(w, "  vigil check                # terraform fmt and validate, every stack\n")
	fmt.Fprintf(w, "  vigil scan                 # security and reliability rules\n")
	first := res.Envs[0]
	up := "vigil up --env " + first.Name
	if first.Target == "aws" {
		up += " --target sandbox"
	}
	fmt.Fprintf(w, "  %-26s # the sandbox: bootstrap, plan and apply every layer\n", up)
	fmt.Fprintf(w, "README.md walks through the real accounts, GitHub environments and the rollout.\n")
}
