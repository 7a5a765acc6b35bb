package scaffold_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/scaffold"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/testutil"
)

func render(t *testing.T, p scaffold.Params) map[string]string {
	t.Helper()
	files, _, err := scaffold.Render(p)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	out := make(map[string]string, len(files))
	for k, v := range files {
		out[k] = string(v)
	}
	return out
}

func mustContain(t *testing.T, files map[string]string, name string, wants ...string) {
	t.Helper()
	src, ok := files[name]
	if !ok {
		t.Errorf("no %s", name)
		return
	}
	for _, w := range wants {
		if !strings.Contains(src, w) {
			t.Errorf("%s lacks %q", name, w)
		}
	}
}

func TestRenderDefault(t *testing.T) {
	t.Parallel()
	files := render(t, scaffold.Params{Dir: "/tmp/Acme Infra"})
	cfg, err := config.Parse([]byte(files["vigil.hcl"]), "/x/vigil.hcl")
	if err != nil {
		t.Fatalf("vigil.hcl: %v\n%s", err, files["vigil.hcl"])
	}
	if cfg.Project != "acme-infra" {
		t.Errorf("project = %q, want acme-infra (from the folder name)", cfg.Project)
	}
	want := []config.Environment{
		{Name: "dev", Target: "sandbox", Region: "us-east-1", Approval: false},
		{Name: "prod", Target: "aws", Region: "us-east-1", Approval: true},
	}
	if !slices.Equal(cfg.Environments, want) {
		t.Errorf("environments = %+v, want %+v", cfg.Environments, want)
	}
	for _, name := range []string{
		"README.md", "CODEOWNERS", ".gitignore",
		".github/workflows/pull-request.yml", ".github/workflows/apply.yml", ".github/workflows/drift.yml",
		".github/actions/setup-vigil/action.yml",
		"modules/guardrails/main.tf", "modules/guardrails/tests/guardrails.tftest.hcl", "modules/ci-oidc/main.tf",
		"live/dev/foundation/main.tf", "live/prod/remediation/versions.tf", "bootstrap/dev/main.tf", "bootstrap/prod/main.tf",
		"runbooks/alb-target-5xx.md",
	} {
		if _, ok := files[name]; !ok {
			t.Errorf("missing %s", name)
		}
	}
	for name := range files {
		if strings.HasSuffix(name, ".go") {
			t.Errorf("Go source %s copied into the repository", name)
		}
	}
	mustContain(t, files, "live/prod/foundation/versions.tf", `bucket       = "acme-infra-prod-tfstate"`, `key          = "prod/foundation/terraform.tfstate"`)
	mustContain(t, files, ".gitignore", ".vigil/", ".terraform/")
	mustContain(t, files, "README.md", "# acme-infra", "vigil apply --env ENV --replan --expect FINGERPRINT", "your-org/your-infra")
}

func TestRenderDerivesEnvironments(t *testing.T) {
	t.Parallel()
	files := render(t, scaffold.Params{Dir: "x", Project: "acme", Envs: []string{"dev", "staging", "prod", "prod-eu"},
		Region: "eu-west-1", GitHubRepo: "acme-corp/infra", VigilVersion: "1.4.0"})

	// staging: from dev.
	mustContain(t, files, "live/staging/foundation/versions.tf",
		`bucket       = "acme-staging-tfstate"`, `key          = "staging/foundation/terraform.tfstate"`, `region       = "eu-west-1"`,
		`"vigil:env"   = "staging"`, `"vigil:layer" = "foundation"`)
	mustContain(t, files, "live/staging/workload/main.tf",
		`bucket = "acme-staging-tfstate"`, `key    = "staging/foundation/terraform.tfstate"`, `region = "eu-west-1"`, `name               = "acme-staging-app"`)
	mustContain(t, files, "live/staging/remediation/main.tf", `key    = "staging/observability/terraform.tfstate"`, `"acme-staging-remediator"`)
	mustContain(t, files, "live/staging/foundation/main.tf", `role_name            = "acme-staging-ci-deploy"`, `name                  = "acme-staging"`)
	mustContain(t, files, "live/staging/foundation/variables.tf", `default     = "staging-plan"`, `default     = "acme-corp/infra"`)
	mustContain(t, files, "bootstrap/staging/main.tf", `name_prefix = "acme-staging"`, `default     = "acme-staging-tfstate"`, `default     = "eu-west-1"`)

	// prod-eu: from prod, guardrail on; staging's off.
	guard := regexp.MustCompile(`variable "console_write_guardrail" \{[^}]*default     = (true|false)`)
	for env, want := range map[string]string{"dev": "false", "staging": "false", "prod": "true", "prod-eu": "true"} {
		m := guard.FindStringSubmatch(files["live/"+env+"/foundation/variables.tf"])
		if m == nil || m[1] != want {
			t.Errorf("%s: console_write_guardrail default = %v, want %s", env, m, want)
		}
	}
	mustContain(t, files, "live/prod-eu/foundation/variables.tf", `default     = "prod-eu"`, `default     = "prod-eu-plan"`)
	mustContain(t, files, "live/prod-eu/observability/versions.tf", `"vigil:env"   = "prod-eu"`, `bucket       = "acme-prod-eu-tfstate"`)

	// Nothing of the templates' names or placeholders is left in the stacks.
	stale := regexp.MustCompile(`vigil-(dev|prod)\b|"(dev|prod)/|us-east-1|your-org`)
	for name, src := range files {
		if !strings.HasPrefix(name, "live/") && !strings.HasPrefix(name, "bootstrap/") {
			if strings.Contains(src, "your-org") {
				t.Errorf("%s still names the placeholder your-org", name)
			}
			continue
		}
		env := strings.Split(name, "/")[1]
		for _, line := range strings.Split(src, "\n") {
			for _, m := range stale.FindAllString(line, -1) {
				if m == `"`+env+`/` {
					continue
				}
				t.Errorf("%s: %q left in %q", name, m, strings.TrimSpace(line))
			}
		}
	}

	mustContain(t, files, "CODEOWNERS", "/live/*/foundation/       @acme-corp/platform-leads", "*                         @acme-corp/platform")
	mustContain(t, files, "runbooks/remediator-errors.md", "acme-$ENV-remediator")
	mustContain(t, files, "modules/observability/variables.tf", "https://github.com/acme-corp/infra/blob/main/runbooks")
	mustContain(t, files, "README.md", "`dev`, `staging`, `prod`, `prod-eu` (region eu-west-1)")

	// Each workflow's matrix lists the four environments.
	for _, wf := range []string{"pull-request.yml", "apply.yml", "drift.yml"} {
		src := files[".github/workflows/"+wf]
		var doc struct {
			Env  map[string]string `yaml:"env"`
			Jobs map[string]struct {
				Strategy struct {
					Matrix struct {
						Include []map[string]any `yaml:"include"`
					} `yaml:"matrix"`
				} `yaml:"strategy"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("%s: %v", wf, err)
		}
		if v := doc.Env["VIGIL_VERSION"]; v != "${{ vars.VIGIL_VERSION || 'v1.4.0' }}" {
			t.Errorf("%s: VIGIL_VERSION = %q, want the running release pinned", wf, v)
		}
		var got []string
		for _, j := range doc.Jobs {
			for _, inc := range j.Strategy.Matrix.Include {
				got = append(got, inc["env"].(string)+":"+inc["target"].(string)+":"+inc["region"].(string))
				if a, ok := inc["approval"]; ok && a != (inc["target"] == "aws") {
					t.Errorf("%s: %v has approval %v", wf, inc["env"], a)
				}
			}
		}
		want := []string{"dev:sandbox:eu-west-1", "staging:sandbox:eu-west-1", "prod:aws:eu-west-1", "prod-eu:aws:eu-west-1"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: matrix %v, want %v", wf, got, want)
		}
	}
}

func TestParamsAreValidated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    scaffold.Params
		want string
	}{
		{"upper-case environment", scaffold.Params{Dir: "x", Envs: []string{"Dev"}}, `environment name "Dev"`},
		{"underscore", scaffold.Params{Dir: "x", Envs: []string{"dev_1"}}, `environment name "dev_1"`},
		{"duplicate", scaffold.Params{Dir: "x", Envs: []string{"dev", "dev"}}, `"dev" is listed twice`},
		{"plan suffix", scaffold.Params{Dir: "x", Envs: []string{"dev-plan"}}, "names ending in -plan"},
		{"region", scaffold.Params{Dir: "x", Region: "mars-1"}, `region "mars-1"`},
		{"repository", scaffold.Params{Dir: "x", GitHubRepo: "acme/*"}, `GitHub repository "acme/*"`},
		{"project", scaffold.Params{Dir: "x", Project: "Acme_Infra"}, `project name "Acme_Infra"`},
		{"names too long", scaffold.Params{Dir: "x", Project: "payments-platform", Envs: []string{"staging"}}, `"payments-platform-staging-app" (29 characters`},
		{"folder without a usable name", scaffold.Params{Dir: "/tmp/___"}, `project name ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := scaffold.Render(tt.p)
			if !errors.Is(err, scaffold.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, src := range map[string]string{"vigil.hcl": "mine\n", "live/dev/foundation/main.tf": "# mine\n", "notes.txt": "kept\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := testutil.Snapshot(t, dir)
	_, err := scaffold.Write(scaffold.Params{Dir: dir, Project: "acme"})
	var conflict *scaffold.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	if !slices.Equal(conflict.Paths, []string{"live/dev/foundation/main.tf", "vigil.hcl"}) {
		t.Errorf("conflicts = %v", conflict.Paths)
	}
	if !strings.Contains(err.Error(), "nothing was written (use --force") {
		t.Errorf("message: %v", err)
	}
	testutil.SameSnapshot(t, before, testutil.Snapshot(t, dir))

	res, err := scaffold.Write(scaffold.Params{Dir: dir, Project: "acme", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Overwritten, []string{"live/dev/foundation/main.tf", "vigil.hcl"}) {
		t.Errorf("overwritten = %v", res.Overwritten)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "kept\n" {
		t.Error("a file vigil init does not write was changed")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "vigil.hcl")); !strings.Contains(string(b), `project     = "acme"`) {
		t.Errorf("vigil.hcl not overwritten:\n%s", b)
	}
}

// written is a repository written by init with three environments.
func written(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "acme-infra")
	res, err := scaffold.Write(scaffold.Params{Dir: dir, Envs: []string{"dev", "staging", "prod"}, GitHubRepo: "acme/infra", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) < 60 || res.Project != "acme-infra" {
		t.Fatalf("wrote %d files for project %q", len(res.Files), res.Project)
	}
	return dir
}

// TestWrittenRepositoryScansClean: no high or critical finding, no stored
// keys in the workflows, and prod has its guardrail (no VGL-R070).
func TestWrittenRepositoryScansClean(t *testing.T) {
	t.Parallel()
	dir := written(t)
	rep, err := policy.New().Scan(context.Background(), &policy.ScanParams{Paths: []string{dir}, NoRego: true, BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Errors {
		t.Errorf("does not load: %v", e)
	}
	if rep.Stats.Workflows != 3 {
		t.Errorf("scanned %d workflows, want 3", rep.Stats.Workflows)
	}
	for _, f := range rep.Findings {
		if f.Severity >= policy.SeverityHigh || f.RuleID == "VGL-R070" || f.RuleID == "VGL-S071" {
			t.Errorf("%s %s at %s: %s", f.Severity, f.RuleID, f.Range, f.Message)
		}
	}

	// Turning prod's guardrail off is flagged.
	vars := filepath.Join(dir, "live", "prod", "foundation", "variables.tf")
	src, _ := os.ReadFile(vars)
	off := regexp.MustCompile(`(variable "console_write_guardrail" \{[^}]*default     = )true`).ReplaceAll(src, []byte("${1}false"))
	if err := os.WriteFile(vars, off, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = policy.New().Scan(context.Background(), &policy.ScanParams{Paths: []string{dir}, NoRego: true, BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var r070 []string
	for _, f := range rep.Findings {
		if f.RuleID == "VGL-R070" {
			r070 = append(r070, f.Range.String())
		}
	}
	if len(r070) != 1 || !strings.Contains(r070[0], filepath.Join("live", "prod", "foundation", "main.tf")) {
		t.Errorf("VGL-R070 findings %v, want one in live/prod/foundation/main.tf", r070)
	}
}

// TestWrittenRepositoryStacks: every environment's stacks depend on their
// own foundation, through the rewritten remote-state keys.
func TestWrittenRepositoryStacks(t *testing.T) {
	t.Parallel()
	dir := written(t)
	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Stacks()); n != 12 {
		t.Fatalf("%d stacks, want 12", n)
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		want := map[string][]string{
			"foundation":    nil,
			"workload":      {env + "/foundation"},
			"observability": {env + "/workload"},
			"remediation":   {env + "/workload", env + "/observability"},
		}
		for layer, deps := range want {
			s, ok := g.Stack(env + "/" + layer)
			if !ok {
				t.Errorf("no stack %s/%s", env, layer)
				continue
			}
			got := slices.Clone(s.DependsOn)
			slices.Sort(got)
			slices.Sort(deps)
			if !slices.Equal(got, deps) {
				t.Errorf("%s depends on %v, want %v", s.ID(), got, deps)
			}
		}
	}
}

// TestWrittenWorkflowsActionlint: the workflows as written pass actionlint.
func TestWrittenWorkflowsActionlint(t *testing.T) {
	bin := testutil.Actionlint(t)
	dir := written(t)
	files, _ := filepath.Glob(filepath.Join(dir, ".github", "workflows", "*.yml"))
	cmd := exec.Command(bin, append([]string{"-no-color"}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}

// TestWrittenRepositoryPassesCheck runs the check gate (terraform fmt -check,
// init, validate) on every stack of a written repository, with real
// terraform and the local provider mirror.
func TestWrittenRepositoryPassesCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform on twelve stacks")
	}
	bin := testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	dir := written(t)
	before := testutil.Snapshot(t, dir)
	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stack.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tc, err := terraform.New(ctx, terraform.Params{
		Binary:   bin,
		Root:     cfg.Root,
		CacheDir: filepath.Join(t.TempDir(), "plugin-cache"),
		Probe:    func(context.Context, string) error { return os.ErrDeadlineExceeded }, // never download
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := pipeline.Check(ctx, pipeline.CheckParams{Root: cfg.Root, Stacks: g.Stacks(), Terraform: tc, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Stacks {
		if !s.OK() {
			t.Errorf("%s: unformatted %v, diagnostics %+v, error %q", s.ID, s.Unformatted, s.Diagnostics, s.Error)
		}
	}
	if len(rep.Stacks) != 12 {
		t.Errorf("%d stacks checked, want 12", len(rep.Stacks))
	}
	testutil.SameSnapshot(t, before, testutil.Snapshot(t, dir))
}
