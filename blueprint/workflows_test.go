package blueprint_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
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
	Steps       []workflowStep    `yaml:"steps"`
}

type workflowStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
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

// TestWorkflowsDoTheirJob pins what each workflow is for.
func TestWorkflowsDoTheirJob(t *testing.T) {
	t.Parallel()
	wfs := loadWorkflows(t)

	pr := wfs["pull-request.yml"]
	if _, ok := pr.On["pull_request"]; !ok {
		t.Error("pull-request.yml: not triggered by pull_request")
	}
	check := pr.Jobs["check"]
	if !strings.Contains(check.script(), "vigil check") || !strings.Contains(check.script(), "vigil scan --format sarif") {
		t.Error("pull-request.yml/check: must run vigil check and vigil scan --format sarif")
	}
	if len(check.uses("github/codeql-action/upload-sarif")) != 1 || check.Permissions["security-events"] != "write" {
		t.Error("pull-request.yml/check: must upload the SARIF with security-events: write")
	}
	plan := pr.Jobs["plan"]
	for _, want := range []string{"vigil plan --env", "vigil show", "--markdown", "fingerprint"} {
		if !strings.Contains(plan.script(), want) {
			t.Errorf("pull-request.yml/plan: script lacks %q", want)
		}
	}
	if plan.Environment != "${{ matrix.env }}-plan" {
		t.Errorf("pull-request.yml/plan: environment %q, want the read-only <env>-plan environment", plan.Environment)
	}
	comment := pr.Jobs["comment"]
	if comment.Permissions["pull-requests"] != "write" || len(comment.Permissions) != 1 {
		t.Errorf("pull-request.yml/comment: permissions %v, want pull-requests: write only", comment.Permissions)
	}
	for _, want := range []string{"<!-- vigil-plan -->", "updateComment", "createComment", "github-actions[bot]", "vigil-fingerprint env="} {
		if !strings.Contains(comment.script(), want) {
			t.Errorf("pull-request.yml/comment: script lacks %q (one sticky comment, updated in place)", want)
		}
	}

	apply := wfs["apply.yml"]
	if push, ok := apply.On["push"].(map[string]any); !ok || push["branches"] == nil {
		t.Error("apply.yml: not triggered by a push to the protected branch")
	}
	reviewed := apply.Jobs["reviewed"].script()
	for _, want := range []string{"listPullRequestsAssociatedWithCommit", "github-actions[bot]", "<!-- vigil-plan -->", "vigil-commit", "pr.head.sha"} {
		if !strings.Contains(reviewed, want) {
			t.Errorf("apply.yml/reviewed: script lacks %q", want)
		}
	}
	aj := apply.Jobs["apply"]
	if aj.Environment != "${{ matrix.env }}" {
		t.Errorf("apply.yml/apply: environment %q, want the GitHub environment named after the vigil environment", aj.Environment)
	}
	for _, want := range []string{`vigil apply --env "$VIGIL_ENV" --replan --expect "$EXPECT"`, `vigil approve "$run_id" --by "$approver"`, "/approvals"} {
		if !strings.Contains(aj.script(), want) {
			t.Errorf("apply.yml/apply: script lacks %q", want)
		}
	}

	drift := wfs["drift.yml"]
	if _, ok := drift.On["schedule"]; !ok {
		t.Error("drift.yml: no schedule")
	}
	if _, ok := drift.On["workflow_dispatch"]; !ok {
		t.Error("drift.yml: cannot be started on demand")
	}
	for _, want := range []string{`vigil drift --env "$VIGIL_ENV"`, "$GITHUB_STEP_SUMMARY", "exit 2"} {
		if !strings.Contains(drift.Jobs["drift"].script(), want) {
			t.Errorf("drift.yml/drift: script lacks %q", want)
		}
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
