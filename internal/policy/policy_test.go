package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/vigil-sre/vigil/internal/policy"
)

func scan(t *testing.T, p *policy.ScanParams) *policy.Report {
	t.Helper()
	if p.BaseDir == "" {
		p.BaseDir, _ = os.Getwd()
	}
	rep, err := policy.New().Scan(context.Background(), p)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return rep
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var wantRe = regexp.MustCompile(`# want(-next)?: (\S+)`)

// TestBadCorpus scans each file of testdata/bad on its own: every file
// yields at least one finding, and every "# want: RULE" line has a finding of
// that rule on that line.
func TestBadCorpus(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 30 {
		t.Fatalf("only %d files in testdata/bad", len(entries))
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			dst := filepath.Join(dir, e.Name())
			copyFile(t, filepath.Join("testdata/bad", e.Name()), dst)
			rep := scan(t, &policy.ScanParams{Paths: []string{dir}, NoRego: true})
			if len(rep.Errors) > 0 {
				t.Fatalf("errors: %v", rep.Errors)
			}
			if len(rep.Findings) == 0 {
				t.Fatal("no finding")
			}
			src, _ := os.ReadFile(dst)
			type want struct {
				rule string
				line int
			}
			var wants []want
			for i, l := range strings.Split(string(src), "\n") {
				for _, m := range wantRe.FindAllStringSubmatch(l, -1) {
					line := i + 1
					if m[1] != "" {
						line++
					}
					wants = append(wants, want{m[2], line})
				}
			}
			if len(wants) == 0 {
				t.Fatal("file has no # want: marker")
			}
			for _, w := range wants {
				found := false
				for _, f := range rep.Findings {
					if f.RuleID == w.rule && f.Range.Start.Line == w.line && f.Range.Filename == dst {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s at line %d; got:\n%s", w.rule, w.line, describe(rep))
				}
			}
		})
	}
}

func describe(rep *policy.Report) string {
	var sb strings.Builder
	for _, f := range rep.Findings {
		sb.WriteString("  " + f.Range.String() + " " + f.RuleID + " " + f.Message + "\n")
	}
	return sb.String()
}

// TestCleanCorpus: a well-written configuration has nothing at medium or
// above.
func TestCleanCorpus(t *testing.T) {
	t.Parallel()
	rep := scan(t, &policy.ScanParams{Paths: []string{"testdata/clean"}, NoRego: true})
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	for _, f := range rep.Findings {
		if f.Severity >= policy.SeverityMedium {
			t.Errorf("unexpected %s finding %s at %s: %s", f.Severity, f.RuleID, f.Range, f.Message)
		}
	}
	if rep.Stats.Workflows != 1 || rep.Stats.Modules != 2 {
		t.Errorf("stats = %+v, want 1 workflow and 2 module instances", rep.Stats)
	}
	if err := rep.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
}

// TestBlueprint: the blueprint has no finding at high or critical (issue 6
// acceptance).
func TestBlueprint(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "blueprint")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no blueprint yet")
	}
	rep := scan(t, &policy.ScanParams{Paths: []string{dir}, NoRego: true})
	for _, err := range rep.Errors {
		t.Errorf("blueprint does not load: %v", err)
	}
	for _, f := range rep.Findings {
		if !f.Suppressed && f.Severity >= policy.SeverityHigh {
			t.Errorf("%s %s at %s: %s", f.Severity, f.RuleID, f.Range, f.Message)
		}
	}
	if rep.Stats.Resources < 20 {
		t.Errorf("only %d resources scanned in the blueprint", rep.Stats.Resources)
	}
}

func find(rep *policy.Report, rule string) []policy.Finding {
	var out []policy.Finding
	for _, f := range rep.Findings {
		if f.RuleID == rule {
			out = append(out, f)
		}
	}
	return out
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	src := `resource "aws_sns_topic" "same_line" { # vigil:ignore VGL-S013 topic carries no data, only wake-ups
  name = "a"
}

# vigil:ignore VGL-S013,VGL-S050 -- fixture keys, destroyed nightly
resource "aws_sns_topic" "line_before" {
  name = "b"
}

resource "aws_kms_key" "block" { # vigil:ignore VGL-S050
  description = "no reason given"
}

resource "aws_security_group_rule" "ssh" {
  type      = "ingress"
  protocol  = "tcp"
  from_port = 22
  to_port   = 22
  # vigil:ignore VGL-S001 break-glass range, closed by the nightly job
  cidr_blocks = ["0.0.0.0/0"]
}

resource "aws_sns_topic" "typo" { # vigil:ignore VGL-S999 wrong id
  name = "c"
}

resource "aws_sns_topic" "by_config" {
  name = "d"
}
`
	dir := writeTree(t, map[string]string{"main.tf": src})
	rep := scan(t, &policy.ScanParams{Paths: []string{dir}, NoRego: true, BaseDir: dir, Config: policy.Config{
		Ignore: []policy.Ignore{{Rule: "VGL-S013", Paths: []string{"**/*.tf"}, Resources: []string{"aws_sns_topic.by_*"}, Reason: "audit topic, reviewed in #412"}},
	}})
	main := "main.tf" // relative to BaseDir
	tests := []struct {
		name       string
		rule       string
		line       int
		suppressed bool
		reason     string
	}{
		{"trailing comment on the block", "VGL-S013", 1, true, "topic carries no data, only wake-ups"},
		{"line before the block", "VGL-S013", 6, true, "fixture keys, destroyed nightly"},
		{"no reason does not suppress", "VGL-S050", 10, false, ""},
		{"no reason is itself a finding", "VGL-X001", 10, false, ""},
		{"line before the attribute", "VGL-S001", 20, true, "break-glass range, closed by the nightly job"},
		{"unknown rule is a finding", "VGL-X002", 23, false, ""},
		{"unknown rule suppresses nothing", "VGL-S013", 23, false, ""},
		{"config ignore", "VGL-S013", 27, true, "audit topic, reviewed in #412"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *policy.Finding
			for i, f := range rep.Findings {
				if f.RuleID == tt.rule && f.Range.Start.Line == tt.line && f.Range.Filename == main {
					got = &rep.Findings[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s at line %d:\n%s", tt.rule, tt.line, describe(rep))
			}
			if got.Suppressed != tt.suppressed || got.SuppressionReason != tt.reason {
				t.Errorf("suppressed=%v reason=%q, want %v %q", got.Suppressed, got.SuppressionReason, tt.suppressed, tt.reason)
			}
		})
	}
	var text bytes.Buffer
	if err := policy.WriteText(&text, rep, policy.TextOptions{Suppressed: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "suppressed (vigil.hcl): audit topic, reviewed in #412") {
		t.Errorf("text output does not show the suppression:\n%s", text.String())
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     policy.Config
		wantErr string
	}{
		{"ok", policy.Config{Ignore: []policy.Ignore{{Rule: "VGL-S013", Reason: "r"}}, External: []string{"trivy"}}, ""},
		{"no reason", policy.Config{Ignore: []policy.Ignore{{Rule: "VGL-S013"}}}, "reason is required"},
		{"unknown scanner", policy.Config{External: []string{"checkov"}}, "unknown scanner"},
		{"unknown disabled rule", policy.Config{Disable: []string{"VGL-Z001"}}, "no such rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := policy.New().Scan(context.Background(), &policy.ScanParams{Config: policy.Config{Ignore: []policy.Ignore{{Rule: "X"}}}}); err == nil {
		t.Error("Scan accepted an ignore without a reason")
	}
}

func TestThresholdAndErr(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"main.tf": `resource "aws_sns_topic" "t" {
  name = "t"
}
`})
	medium, none := policy.SeverityMedium, policy.SeverityNone
	tests := []struct {
		name    string
		params  policy.ScanParams
		wantErr bool
	}{
		{"default high passes a medium finding", policy.ScanParams{}, false},
		{"--fail-on medium fails", policy.ScanParams{FailOn: &medium}, true},
		{"env override fails", policy.ScanParams{Env: "prod", Config: policy.Config{FailOnEnv: map[string]policy.Severity{"prod": policy.SeverityMedium}}}, true},
		{"other env keeps the default", policy.ScanParams{Env: "dev", Config: policy.Config{FailOnEnv: map[string]policy.Severity{"prod": policy.SeverityMedium}}}, false},
		{"--fail-on none never fails", policy.ScanParams{FailOn: &none, Config: policy.Config{FailOn: policy.SeverityLow}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.params
			p.Paths = []string{dir}
			p.NoRego = true
			err := scan(t, &p).Err()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Err() = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				var fe *policy.FindingsError
				if !errors.Is(err, policy.ErrFindings) || !errors.As(err, &fe) || fe.Count != 1 {
					t.Errorf("Err() = %#v, want a FindingsError with Count 1", err)
				}
			}
		})
	}
}

// TestPlan: values only the plan knows give findings that point back to the
// resource's source lines; deleted resources are ignored.
func TestPlan(t *testing.T) {
	t.Parallel()
	stack := filepath.Join("testdata", "plan", "stack")
	hclOnly := scan(t, &policy.ScanParams{Paths: []string{stack}, NoRego: true})
	if n := len(find(hclOnly, "VGL-S001")) + len(find(hclOnly, "VGL-R001")); n != 0 {
		t.Fatalf("HCL alone should not know the values:\n%s", describe(hclOnly))
	}
	rep := scan(t, &policy.ScanParams{Paths: []string{stack}, PlanFile: filepath.Join("testdata", "plan", "plan.json"), NoRego: true})
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	tests := []struct {
		rule, file string
		line       int
		resource   string
	}{
		{"VGL-S001", filepath.Join(stack, "main.tf"), 20, "aws_security_group_rule.ssh"},
		{"VGL-R001", filepath.Join(stack, "modules", "net", "main.tf"), 8, "module.net.aws_subnet.this[0]"},
	}
	for _, tt := range tests {
		fs := find(rep, tt.rule)
		if len(fs) != 1 {
			t.Errorf("%s: %d findings, want 1:\n%s", tt.rule, len(fs), describe(rep))
			continue
		}
		f := fs[0]
		if f.Range.Filename != tt.file || f.Range.Start.Line != tt.line || f.Resource != tt.resource || f.Source != "plan" {
			t.Errorf("%s at %s (%s, from %s), want %s:%d (%s, from plan)", tt.rule, f.Range, f.Resource, f.Source, tt.file, tt.line, tt.resource)
		}
	}
	if fs := find(rep, "VGL-S030"); len(fs) != 0 {
		t.Errorf("a deleted resource was scanned: %v", fs)
	}
	if rep.Stats.PlanResources != 3 {
		t.Errorf("PlanResources = %d, want 3", rep.Stats.PlanResources)
	}

	// vigil plan hands over the plan it already decoded.
	raw, err := os.ReadFile(filepath.Join("testdata", "plan", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plan tfjson.Plan
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	mem := scan(t, &policy.ScanParams{Paths: []string{stack}, Plan: &plan, NoRego: true})
	if fs := find(mem, "VGL-S001"); len(fs) != 1 || fs[0].Range.Start.Line != 20 {
		t.Errorf("in-memory plan:\n%s", describe(mem))
	}
}

// TestCorruptInputs: a file that does not parse and a corrupt plan are
// reported with file:line, and the rest is still scanned.
func TestCorruptInputs(t *testing.T) {
	t.Parallel()
	rep := scan(t, &policy.ScanParams{
		Paths:    []string{"testdata/malformed"},
		PlanFile: "testdata/plan/corrupt.json",
		NoRego:   true,
	})
	var msgs []string
	for _, err := range rep.Errors {
		msgs = append(msgs, err.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		filepath.Join("testdata", "malformed", "broken.tf") + ":6:10:",
		filepath.Join("testdata", "plan", "corrupt.json") + ":5:4:",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("errors do not mention %q:\n%s", want, all)
		}
	}
	if fs := find(rep, "VGL-S001"); len(fs) != 1 || fs[0].Range.Filename != filepath.Join("testdata", "malformed", "good.tf") {
		t.Errorf("good.tf not scanned:\n%s", describe(rep))
	}
	err := rep.Err()
	if !errors.Is(err, policy.ErrIncomplete) || !errors.Is(err, policy.ErrFindings) {
		t.Errorf("Err() = %v, want both incomplete and findings", err)
	}
	var text bytes.Buffer
	_ = policy.WriteText(&text, rep, policy.TextOptions{})
	if !strings.Contains(text.String(), "Could not scan:") || !strings.Contains(text.String(), "VGL-S001") {
		t.Errorf("text report misses the errors or the findings:\n%s", text.String())
	}
}

func TestRegoPolicies(t *testing.T) {
	t.Parallel()
	policyDir := filepath.Join("testdata", "rego", "policy")
	t.Run("deny fails the scan with its message", func(t *testing.T) {
		t.Parallel()
		rep := scan(t, &policy.ScanParams{Paths: []string{"testdata/rego/stack"}, Config: policy.Config{PolicyDirs: []string{policyDir}}})
		deny := find(rep, "rego:tags.deny")
		if len(deny) != 1 {
			t.Fatalf("deny findings = %d:\n%s", len(deny), describe(rep))
		}
		f := deny[0]
		if f.Message != `aws_s3_bucket.untagged is missing required tags ["cost-center"]` || f.Severity != policy.SeverityHigh {
			t.Errorf("deny = %q (%s)", f.Message, f.Severity)
		}
		if f.Range.Start.Line != 10 || f.Resource != "aws_s3_bucket.untagged" {
			t.Errorf("deny points at %s (%s), want line 10 of the untagged bucket", f.Range, f.Resource)
		}
		if !errors.Is(rep.Err(), policy.ErrFindings) {
			t.Errorf("Err() = %v, want findings", rep.Err())
		}
		if rep.Rules["rego:tags.deny"].Title == "" {
			t.Error("no rule metadata for the Rego rule")
		}
	})
	t.Run("warn does not fail", func(t *testing.T) {
		t.Parallel()
		rep := scan(t, &policy.ScanParams{Paths: []string{"testdata/rego/warn-only"}, Config: policy.Config{PolicyDirs: []string{policyDir}}})
		warn := find(rep, "rego:tags.warn")
		if len(warn) != 1 || warn[0].Severity != policy.SeverityLow || !strings.Contains(warn[0].Message, "no team tag") {
			t.Fatalf("warn findings:\n%s", describe(rep))
		}
		if len(find(rep, "rego:tags.deny")) != 0 {
			t.Error("unexpected deny")
		}
		if err := rep.Err(); err != nil {
			t.Errorf("Err() = %v, want nil (only warnings and mediums)", err)
		}
	})
	t.Run("plan input with object results", func(t *testing.T) {
		t.Parallel()
		rep := scan(t, &policy.ScanParams{
			Paths: []string{"testdata/plan/stack"}, PlanFile: "testdata/plan/plan.json",
			Config: policy.Config{PolicyDirs: []string{policyDir}},
		})
		fs := find(rep, "rego:plan.deny")
		if len(fs) != 1 {
			t.Fatalf("plan deny findings:\n%s", describe(rep))
		}
		if fs[0].Severity != policy.SeverityCritical || fs[0].Range.Start.Line != 14 || !strings.Contains(fs[0].Message, "opens port 22") {
			t.Errorf("plan deny = %+v", fs[0])
		}
	})
	t.Run("rego v0 policies still load", func(t *testing.T) {
		t.Parallel()
		rep := scan(t, &policy.ScanParams{Paths: []string{"testdata/rego/stack"}, Config: policy.Config{PolicyDirs: []string{"testdata/rego/policy-v0"}}})
		if fs := find(rep, "rego:main.deny"); len(fs) != 1 || fs[0].Message != "bucket `untagged` is public" || fs[0].Range.Start.Line != 10 {
			t.Errorf("v0 deny:\n%s", describe(rep))
		}
	})
	t.Run("broken policy is an error with its position", func(t *testing.T) {
		t.Parallel()
		dir := writeTree(t, map[string]string{"bad.rego": "package bad\n\ndeny contains msg if {\n  msg := \n}\n"})
		rep := scan(t, &policy.ScanParams{Paths: []string{"testdata/rego/stack"}, Config: policy.Config{PolicyDirs: []string{dir}}})
		if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error(), "bad.rego:") {
			t.Errorf("errors = %v", rep.Errors)
		}
		if len(find(rep, "VGL-S030")) != 1 {
			t.Error("built-in rules did not run")
		}
	})
}

// TestDocsCoverEveryRule keeps docs/policy.md (the rules' helpUri) in step.
func TestDocsCoverEveryRule(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range policy.Rules() {
		anchor := `<a id="` + strings.ToLower(r.ID) + `"></a>`
		if !strings.Contains(string(doc), anchor) || !strings.Contains(string(doc), r.Title) {
			t.Errorf("docs/policy.md lacks %s (%s)", anchor, r.Title)
		}
	}
}
