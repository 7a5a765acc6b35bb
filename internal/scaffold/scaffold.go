package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/blueprint"
	"github.com/vigil-sre/vigil/internal/policy/rules"
)

// Defaults of a new repository.
const (
	DefaultRegion     = "us-east-1"
	DefaultGitHubRepo = "your-org/your-infra"
)

// DefaultEnvs are the environments of a new repository.
var DefaultEnvs = []string{"dev", "prod"}

// Templates: every environment is derived from one of the blueprint's.
const (
	templateDev  = "dev"
	templateProd = "prod"
)

// workloadNameLimit bounds "<project>-<env>-app", the workload module's name
// (load balancer names are limited to 32 characters, 8 of them suffix).
const workloadNameLimit = 24

// Params say what to write where.
type Params struct {
	// Dir is the folder to write into (created when missing).
	Dir string
	// Project names the repository in vigil.hcl and prefixes every
	// resource name ("<project>-<env>-tfstate"); default: Dir's base name,
	// lower-cased, other characters than letters, digits and '-' replaced.
	Project string
	// Envs are the environments, in apply order (default dev, prod).
	Envs []string
	// Region is every environment's AWS region (default us-east-1).
	Region string
	// GitHubRepo is "owner/name": the repository the CI roles trust and
	// CODEOWNERS' organisation (default your-org/your-infra, a placeholder).
	GitHubRepo string
	// VigilVersion is the vigil version the workflows build by default
	// (a release tag); "" or a development build means "main".
	VigilVersion string
	// Force overwrites files that exist; without it Write refuses and
	// writes nothing.
	Force bool
	// Source is the blueprint to copy (default blueprint.FS).
	Source fs.FS
}

// Env is one environment of the new repository.
type Env struct {
	Name string `json:"name"`
	// Template is the blueprint environment it is derived from: "dev" or
	// "prod" (production-like names, see rules.IsProduction).
	Template string `json:"template"`
	// Target is "sandbox" (dev-like) or "aws" (prod-like).
	Target string `json:"target"`
	// Approval: a person approves its plans (prod-like).
	Approval bool `json:"approval"`
	// Guardrail: its foundation turns the console-write guardrail on.
	Guardrail bool `json:"guardrail"`
}

// Result is what Write did.
type Result struct {
	Dir     string `json:"dir"`
	Project string `json:"project"`
	Region  string `json:"region"`
	Repo    string `json:"github_repo"`
	Envs    []Env  `json:"environments"`
	// Files are the written paths, slash-separated and sorted.
	Files []string `json:"files"`
	// Overwritten are the files that existed (with Force).
	Overwritten []string `json:"overwritten,omitempty"`
}

// ConflictError: files already exist and Force is not set; nothing was
// written.
type ConflictError struct {
	Dir   string
	Paths []string
}

func (e *ConflictError) Error() string {
	const show = 10
	list := e.Paths
	more := ""
	if len(list) > show {
		more = fmt.Sprintf(" and %d more", len(list)-show)
		list = list[:show]
	}
	return fmt.Sprintf("%d file(s) already exist in %s: %s%s; nothing was written (use --force to overwrite them, or choose an empty folder)",
		len(e.Paths), e.Dir, strings.Join(list, ", "), more)
}

// ErrInvalid marks bad parameters.
var ErrInvalid = errors.New("invalid")

var (
	envNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	projectRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$`)
	regionRe   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	repoRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	releaseRe  = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$`)
	notNameRe  = regexp.MustCompile(`[^a-z0-9-]+`)
	dashRunsRe = regexp.MustCompile(`-{2,}`)
	regionWord = regexp.MustCompile(`\b` + regexp.QuoteMeta(DefaultRegion) + `\b`)
)

// ProjectName derives a project name from a folder name: lower-cased, runs
// of other characters than letters, digits and '-' made one '-', trimmed.
func ProjectName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	s := notNameRe.ReplaceAllString(strings.ToLower(filepath.Base(abs)), "-")
	return strings.Trim(dashRunsRe.ReplaceAllString(s, "-"), "-")
}

// Environments classifies environment names: production-like names get the
// prod template (aws, approval, guardrail on), the others the dev template
// (sandbox, no approval).
func Environments(names []string) []Env {
	out := make([]Env, 0, len(names))
	for _, n := range names {
		if rules.IsProduction(n) {
			out = append(out, Env{Name: n, Template: templateProd, Target: "aws", Approval: true, Guardrail: true})
		} else {
			out = append(out, Env{Name: n, Template: templateDev, Target: "sandbox"})
		}
	}
	return out
}

// normalize fills defaults and validates.
func (p *Params) normalize() error {
	if p.Dir == "" {
		p.Dir = "."
	}
	if p.Source == nil {
		p.Source = blueprint.FS
	}
	if p.Project == "" {
		p.Project = ProjectName(p.Dir)
	}
	if !projectRe.MatchString(p.Project) {
		return fmt.Errorf("%w project name %q: use lower-case letters, digits and '-' (it prefixes S3 bucket names); pass --project", ErrInvalid, p.Project)
	}
	if len(p.Envs) == 0 {
		p.Envs = DefaultEnvs
	}
	seen := map[string]bool{}
	for _, e := range p.Envs {
		switch {
		case !envNameRe.MatchString(e):
			return fmt.Errorf("%w environment name %q: use lower-case letters, digits and '-' (it becomes part of S3 bucket and GitHub environment names)", ErrInvalid, e)
		case seen[e]:
			return fmt.Errorf("%w environments: %q is listed twice", ErrInvalid, e)
		case strings.HasSuffix(e, "-plan"):
			return fmt.Errorf("%w environment name %q: names ending in -plan are the read-only GitHub environments of the plan jobs", ErrInvalid, e)
		}
		seen[e] = true
		if n := len(p.Project) + 1 + len(e) + len("-app"); n > workloadNameLimit {
			return fmt.Errorf("%w names: the service of environment %q would be named %q (%d characters; load balancers allow %d): choose a shorter --project or environment name",
				ErrInvalid, e, p.Project+"-"+e+"-app", n, workloadNameLimit)
		}
	}
	if p.Region == "" {
		p.Region = DefaultRegion
	}
	if !regionRe.MatchString(p.Region) {
		return fmt.Errorf("%w region %q: want an AWS region like us-east-1 or eu-west-2", ErrInvalid, p.Region)
	}
	if p.GitHubRepo == "" {
		p.GitHubRepo = DefaultGitHubRepo
	}
	if !repoRe.MatchString(p.GitHubRepo) {
		return fmt.Errorf("%w GitHub repository %q: want owner/name without wildcards", ErrInvalid, p.GitHubRepo)
	}
	return nil
}

// Render returns the files of the new repository (slash paths to
// contents) without touching the disk.
func Render(p Params) (map[string][]byte, []Env, error) {
	if err := p.normalize(); err != nil {
		return nil, nil, err
	}
	return p.render()
}

func (p *Params) render() (map[string][]byte, []Env, error) {
	envs := Environments(p.Envs)
	owner := strings.SplitN(p.GitHubRepo, "/", 2)[0]
	files := map[string][]byte{}

	err := fs.WalkDir(p.Source, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(p.Source, name)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(src), DefaultGitHubRepo, p.GitHubRepo)
		top, rest, _ := strings.Cut(name, "/")
		switch {
		case name == "vigil.hcl" || name == "README.md" || strings.HasSuffix(name, "_test.go") || path.Ext(name) == ".go":
			// Written from the parameters below; the blueprint's README
			// describes the blueprint, not the team's repository.
		case top == "live" || top == "bootstrap":
			tmpl, sub, _ := strings.Cut(rest, "/")
			for _, e := range envs {
				if e.Template == tmpl {
					files[top+"/"+e.Name+"/"+sub] = []byte(p.rewriteEnv(text, tmpl, e.Name))
				}
			}
		case name == "CODEOWNERS":
			files[name] = []byte(strings.ReplaceAll(text, "@your-org/", "@"+owner+"/"))
		case name == ".gitignore":
			if !strings.Contains(text, ".vigil/") {
				text += "\n# vigil's working files: terraform data dirs, CLI config, sandbox state, the local store.\n.vigil/\n"
			}
			files[name] = []byte(text)
		case top == "runbooks":
			text = strings.ReplaceAll(text, "vigil-$ENV", p.Project+"-$ENV")
			files[name] = []byte(strings.ReplaceAll(text, "vigil-<env>", p.Project+"-<env>"))
		case strings.HasPrefix(name, ".github/workflows/"):
			out, err := p.rewriteWorkflow(text, envs)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			files[name] = []byte(out)
		default:
			files[name] = []byte(text)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, e := range envs {
		if _, ok := files["live/"+e.Name+"/foundation/main.tf"]; !ok {
			return nil, nil, fmt.Errorf("the blueprint has no live/%s stacks to derive environment %s from", e.Template, e.Name)
		}
	}
	files["vigil.hcl"] = []byte(vigilHCL(p.Project, p.Region, envs))
	readme, err := teamReadme(p, envs)
	if err != nil {
		return nil, nil, err
	}
	files["README.md"] = readme
	return files, envs, nil
}

// rewriteEnv turns a file of the template environment into one of env:
// the environment's name as a word (backend keys, remote-state keys,
// default_tags, GitHub environments, comments), "vigil-<env>" resource
// names into "<project>-<env>", and the region.
func (p *Params) rewriteEnv(text, tmpl, env string) string {
	re := regexp.MustCompile(`\b(vigil-)?` + regexp.QuoteMeta(tmpl) + `\b`)
	text = re.ReplaceAllStringFunc(text, func(m string) string {
		if strings.HasPrefix(m, "vigil-") {
			return p.Project + "-" + env
		}
		return env
	})
	return regionWord.ReplaceAllString(text, p.Region)
}

// matrixLine is one environment entry of a workflow's matrix.
var matrixLine = regexp.MustCompile(`^(\s*)- \{ env: [^}]*\}\s*$`)

// rewriteWorkflow replaces the environment entries of a workflow's matrix
// (one "- { env: …, target: …, region: …[, approval: …] }" line each) with
// the new repository's environments, and pins the vigil version.
func (p *Params) rewriteWorkflow(text string, envs []Env) (string, error) {
	lines := strings.Split(text, "\n")
	var out []string
	done := false
	for i := 0; i < len(lines); i++ {
		m := matrixLine.FindStringSubmatch(lines[i])
		if m == nil {
			out = append(out, lines[i])
			continue
		}
		if done {
			return "", errors.New("more than one environment matrix")
		}
		withApproval := strings.Contains(lines[i], "approval:")
		for ; i+1 < len(lines) && matrixLine.MatchString(lines[i+1]); i++ {
		}
		for _, e := range envs {
			entry := fmt.Sprintf("%s- { env: %s, target: %s, region: %s", m[1], e.Name, e.Target, p.Region)
			if withApproval {
				entry += fmt.Sprintf(", approval: %t", e.Approval)
			}
			out = append(out, entry+" }")
		}
		done = true
	}
	if !done {
		return "", errors.New("no environment matrix (- { env: … } lines) to rewrite")
	}
	text = strings.Join(out, "\n")
	if v := p.VigilVersion; releaseRe.MatchString(v) {
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		text = strings.ReplaceAll(text, "vars.VIGIL_VERSION || 'main'", "vars.VIGIL_VERSION || '"+v+"'")
	}
	return text, nil
}

func vigilHCL(project, region string, envs []Env) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# vigil project configuration: `vigil <verb>` anywhere in this repository reads it.\n\n")
	fmt.Fprintf(&b, "project     = %q\nstacks_root = \"live\"\nlayers      = [\"foundation\", \"workload\", \"observability\", \"remediation\"]\n", project)
	for _, e := range envs {
		if e.Target == "aws" {
			fmt.Fprintf(&b, "\n# %s is a real AWS account; a person approves the plan before it is applied.\n", e.Name)
		} else {
			fmt.Fprintf(&b, "\n# %s runs against vigil's embedded AWS-compatible sandbox; no AWS account needed.\n", e.Name)
		}
		fmt.Fprintf(&b, "environment %q {\n  target   = %q\n  region   = %q\n  approval = %t\n}\n", e.Name, e.Target, region, e.Approval)
	}
	return b.String()
}

// Write renders the repository into p.Dir. It refuses, writing nothing,
// when any file exists and p.Force is not set.
func Write(p Params) (*Result, error) {
	if err := p.normalize(); err != nil {
		return nil, err
	}
	files, envs, err := p.render()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)

	var existing []string
	for _, n := range names {
		dst := filepath.Join(p.Dir, filepath.FromSlash(n))
		st, err := os.Lstat(dst)
		switch {
		case err == nil && st.IsDir():
			return nil, fmt.Errorf("%s is a folder where vigil init writes a file; move it away", dst)
		case err == nil:
			existing = append(existing, n)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	if len(existing) > 0 && !p.Force {
		return nil, &ConflictError{Dir: p.Dir, Paths: existing}
	}
	for _, n := range names {
		dst := filepath.Join(p.Dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, files[n], 0o644); err != nil {
			return nil, err
		}
	}
	return &Result{Dir: p.Dir, Project: p.Project, Region: p.Region, Repo: p.GitHubRepo, Envs: envs, Files: names, Overwritten: existing}, nil
}
