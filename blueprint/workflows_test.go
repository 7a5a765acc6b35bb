package blueprint_test

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vigil-sre/vigil/blueprint"
	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	Name        string                 `yaml:"name"`
	On          map[string]any         `yaml:"on"`
	Permissions map[string]string      `yaml:"permissions"`
	Env         map[string]string      `yaml:"env"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Permissions map[string]string `yaml:"permissions"`
	Environment string            `yaml:"environment"`
	Needs       any               `yaml:"needs"`
	Strategy    struct {
		MaxParallel int  `yaml:"max-parallel"`
		FailFast    bool `yaml:"fail-fast"`
	} `yaml:"strategy"`
	Steps []workflowStep `yaml:"steps"`
}

type workflowStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
}

// hasToken reports a step that hands GITHUB_TOKEN to what it runs.
func (j workflowJob) hasToken() bool {
	for _, s := range j.Steps {
		if strings.Contains(s.Run, "vigil ci") && s.Env["GITHUB_TOKEN"] == "${{ github.token }}" {
			return true
		}
	}
	return false
}

func (j workflowJob) uses(action string) []workflowStep {
	var out []workflowStep
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, action+"@") {
			out = append(out, s)
		}
	}
	return out
}

func (j workflowJob) script() string {
	var b strings.Builder
	for _, s := range j.Steps {
		b.WriteString(s.Run)
		b.WriteString("\n")
		b.WriteString(s.With["script"])
		b.WriteString("\n")
	}
	return b.String()
}

// loadWorkflows parses every embedded workflow (strictly: unknown
// top-level structure fails).
func loadWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := fs.Glob(blueprint.FS, ".github/workflows/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded workflows (%v)", err)
	}
	out := map[string]workflow{}
	for _, f := range files {
		src, err := fs.ReadFile(blueprint.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(src, &w); err != nil {
			t.Fatalf("%s is not valid YAML: %v", f, err)
		}
		out[path.Base(f)] = w
	}
	return out
}

// TestWorkflowsUseOIDC: every workflow parses; a job that configures AWS
// credentials assumes a role through OIDC (id-token: write, role-to-assume
// from a repository or environment variable) and no job that does not
// requests id-token; no stored key appears anywhere.
func TestWorkflowsUseOIDC(t *testing.T) {
	t.Parallel()
	wfs := loadWorkflows(t)
	for _, want := range []string{"pull-request.yml", "apply.yml", "drift.yml"} {
		if _, ok := wfs[want]; !ok {
			t.Errorf("missing workflow %s", want)
		}
	}
	for name, w := range wfs {
		if w.Permissions["id-token"] != "" {
			t.Errorf("%s: id-token is granted to every job; grant it only to the jobs that assume a role", name)
		}
		assumes := 0
		for id, j := range w.Jobs {
			creds := j.uses("aws-actions/configure-aws-credentials")
			if len(creds) == 0 {
				if j.Permissions["id-token"] == "write" {
					t.Errorf("%s/%s: id-token: write without assuming a role", name, id)
				}
				continue
			}
			assumes++
			if j.Permissions["id-token"] != "write" {
				t.Errorf("%s/%s: assumes a role without permissions: id-token: write", name, id)
			}
			for _, s := range creds {
				role := s.With["role-to-assume"]
				if !strings.HasPrefix(role, "${{ vars.AWS_") || !strings.HasSuffix(role, "_ROLE_ARN }}") {
					t.Errorf("%s/%s: role-to-assume = %q, want a role ARN variable (vars.AWS_*_ROLE_ARN)", name, id, role)
				}
				for k := range s.With {
					if k != "role-to-assume" && k != "role-session-name" && k != "aws-region" {
						t.Errorf("%s/%s: configure-aws-credentials takes %q; only the role, its session name and the region belong there", name, id, k)
					}
				}
			}
		}
		if assumes == 0 {
			t.Errorf("%s: no job assumes an AWS role", name)
		}
	}
	err := fs.WalkDir(blueprint.FS, ".github", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(blueprint.FS, p)
		if err != nil {
			return err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Errorf("%s is not valid YAML: %v", p, err)
		}
		low := strings.ToLower(string(src))
		for _, bad := range []string{"aws-access-key-id", "aws-secret-access-key", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s mentions %s: CI must use OIDC, never stored keys", p, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkflowsDoTheirJob pins what each workflow is for: every step that
// runs vigil runs `vigil ci`, the one entry point (docs/ci.md).
func TestWorkflowsDoTheirJob(t *testing.T) {
	t.Parallel()
	wfs := loadWorkflows(t)
	vigilCall := regexp.MustCompile(`(?m)(?:^|[;&|]\s*)vigil\s+(\S+)`)
	for name, w := range wfs {
		for id, j := range w.Jobs {
			for _, m := range vigilCall.FindAllStringSubmatch(j.script(), -1) {
				if m[1] != "ci" {
					t.Errorf("%s/%s runs vigil %s: workflows call vigil ci, which does what the event asks", name, id, m[1])
				}
			}
		}
	}
	perms := func(t *testing.T, where string, got map[string]string, want map[string]string) {
		t.Helper()
		if !maps.Equal(got, want) {
			t.Errorf("%s: permissions %v, want %v", where, got, want)
		}
	}

	pr := wfs["pull-request.yml"]
	if _, ok := pr.On["pull_request"]; !ok {
		t.Error("pull-request.yml: not triggered by pull_request")
	}
	check := pr.Jobs["check"]
	if !strings.Contains(check.script(), "vigil ci --steps check,scan") {
		t.Error("pull-request.yml/check: must run vigil ci --steps check,scan")
	}
	if up := check.uses("github/codeql-action/upload-sarif"); len(up) != 1 || up[0].With["sarif_file"] != "${{ steps.ci.outputs.sarif-file }}" || !strings.Contains(up[0].If, "always()") {
		t.Errorf("pull-request.yml/check: must upload vigil ci's SARIF file, also when the scan failed: %+v", up)
	}
	perms(t, "pull-request.yml/check", check.Permissions, map[string]string{"contents": "read", "security-events": "write"})
	plan := pr.Jobs["plan"]
	if !strings.Contains(plan.script(), `vigil ci --steps plan --env "$VIGIL_ENV"`) {
		t.Error("pull-request.yml/plan: must run vigil ci --steps plan --env \"$VIGIL_ENV\"")
	}
	if plan.Environment != "${{ matrix.env }}-plan" {
		t.Errorf("pull-request.yml/plan: environment %q, want the read-only <env>-plan environment", plan.Environment)
	}
	if up := plan.uses("actions/upload-artifact"); len(up) != 1 || up[0].With["path"] != ".vigil/ci/sections/${{ matrix.env }}.md" || up[0].With["include-hidden-files"] != "true" || up[0].If != "always()" {
		t.Errorf("pull-request.yml/plan: must keep the section vigil ci wrote, also when the plan failed: %+v", up)
	}
	comment := pr.Jobs["comment"]
	perms(t, "pull-request.yml/comment", comment.Permissions, map[string]string{"contents": "read", "pull-requests": "write"})
	if !strings.Contains(comment.script(), "vigil ci --steps comment") {
		t.Error("pull-request.yml/comment: must run vigil ci --steps comment (one sticky comment, updated in place)")
	}
	if dl := comment.uses("actions/download-artifact"); len(dl) != 1 || dl[0].With["path"] != ".vigil/ci/sections" || dl[0].With["pattern"] != "vigil-plan-*" {
		t.Errorf("pull-request.yml/comment: must download the plan jobs' sections into .vigil/ci/sections: %+v", dl)
	}
	if !comment.hasToken() {
		t.Error("pull-request.yml/comment: vigil ci needs GITHUB_TOKEN to post the comment")
	}

	apply := wfs["apply.yml"]
	if push, ok := apply.On["push"].(map[string]any); !ok || push["branches"] == nil {
		t.Error("apply.yml: not triggered by a push to the protected branch")
	}
	aj := apply.Jobs["apply"]
	if aj.Environment != "${{ matrix.env }}" {
		t.Errorf("apply.yml/apply: environment %q, want the GitHub environment named after the vigil environment (required reviewers)", aj.Environment)
	}
	if !strings.Contains(aj.script(), `vigil ci --env "$VIGIL_ENV"`) || !aj.hasToken() {
		t.Error("apply.yml/apply: must run vigil ci --env \"$VIGIL_ENV\" with GITHUB_TOKEN")
	}
	perms(t, "apply.yml/apply", aj.Permissions, map[string]string{"contents": "read", "id-token": "write", "pull-requests": "read", "actions": "read"})
	if aj.Strategy.MaxParallel != 1 || !aj.Strategy.FailFast {
		t.Errorf("apply.yml/apply: environments must apply one at a time, stopping at the first failure: %+v", aj.Strategy)
	}
	if len(apply.Jobs) != 1 {
		t.Errorf("apply.yml: jobs %v, want only apply (vigil ci finds the reviewed plan itself)", slices.Collect(maps.Keys(apply.Jobs)))
	}

	drift := wfs["drift.yml"]
	if _, ok := drift.On["schedule"]; !ok {
		t.Error("drift.yml: no schedule")
	}
	if _, ok := drift.On["workflow_dispatch"]; !ok {
		t.Error("drift.yml: cannot be started on demand")
	}
	dj := drift.Jobs["drift"]
	if !strings.Contains(dj.script(), `vigil ci --env "$VIGIL_ENV"`) {
		t.Error("drift.yml/drift: must run vigil ci --env \"$VIGIL_ENV\"")
	}
	if dj.Environment != "${{ matrix.env }}-plan" {
		t.Errorf("drift.yml/drift: environment %q, want the read-only <env>-plan environment", dj.Environment)
	}
}

// TestWorkflowsScanClean: vigil's own policy scan finds no stored keys
// (VGL-S071) nor anything else in the workflows.
func TestWorkflowsScanClean(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	rep, err := policy.New().Scan(context.Background(), &policy.ScanParams{Paths: []string{filepath.Join(".github", "workflows")}, NoRego: true, BaseDir: wd})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("scan errors: %v", rep.Errors)
	}
	if rep.Stats.Workflows != 3 {
		t.Errorf("scanned %d workflows, want 3", rep.Stats.Workflows)
	}
	for _, f := range rep.Findings {
		t.Errorf("%s at %s: %s", f.RuleID, f.Range, f.Message)
	}
}

// TestWorkflowsActionlint runs actionlint on the workflows (installed with
// go install when it is not on PATH).
func TestWorkflowsActionlint(t *testing.T) {
	bin := testutil.Actionlint(t)
	files, _ := filepath.Glob(filepath.Join(".github", "workflows", "*.yml"))
	out, err := exec.Command(bin, append([]string{"-no-color"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}
