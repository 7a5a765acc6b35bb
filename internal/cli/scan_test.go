package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/shlex"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/policy/rego"
)

func TestNewCmdScan(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    ScanOptions
		wantErr string
	}{
		{"defaults", "", ScanOptions{Format: "text"}, ""},
		{"paths and flags", "live/prod modules --env prod --plan plan.json --format sarif --fail-on medium --policy p1 --policy p2 --external trivy,tflint --show-suppressed",
			ScanOptions{Paths: []string{"live/prod", "modules"}, Env: "prod", Plan: "plan.json", Format: "sarif", FailOn: "medium",
				PolicyDirs: []string{"p1", "p2"}, External: []string{"trivy", "tflint"}, ShowSuppressed: true}, ""},
		{"--json", "--json", ScanOptions{Format: "json"}, ""},
		{"--test-policies", "--test-policies", ScanOptions{Format: "text", TestPolicies: true}, ""},
		{"--list-rules", "--list-rules -f json", ScanOptions{Format: "json", ListRules: true}, ""},
		{"bad format", "--format xml", ScanOptions{}, `--format must be text, json or sarif, got "xml"`},
		{"json conflicts", "--json --format sarif", ScanOptions{}, "--json conflicts with --format sarif"},
		{"bad severity", "--fail-on severe", ScanOptions{}, `--fail-on: unknown severity "severe"`},
		{"bad scanner", "--external checkov", ScanOptions{}, `unknown scanner "checkov"`},
		{"test-policies takes no path", "--test-policies live", ScanOptions{}, "--test-policies takes no PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, Dir: "repo"}
			var got *ScanOptions
			cmd := NewCmdScan(f, func(_ context.Context, o *ScanOptions) error { got = o; return nil })
			argv, _ := shlex.Split(tt.args)
			cmd.SetArgs(argv)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var fe *FlagError
				if !errors.As(err, &fe) {
					t.Errorf("err is not a FlagError: %T", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Dir != "repo" || got.Scan == nil || got.RunTests == nil || got.PolicyConfig == nil {
				t.Errorf("dependencies not wired: %+v", got)
			}
			// Compare the flag fields only.
			g := ScanOptions{Paths: got.Paths, Env: got.Env, Plan: got.Plan, Format: got.Format, FailOn: got.FailOn, PolicyDirs: got.PolicyDirs,
				External: got.External, ShowSuppressed: got.ShowSuppressed, TestPolicies: got.TestPolicies, ListRules: got.ListRules}
			if len(g.Paths) == 0 {
				g.Paths = nil
			}
			if !reflect.DeepEqual(g, tt.want) {
				t.Errorf("options = %+v\nwant      %+v", g, tt.want)
			}
		})
	}
}

const scanRepo = "testdata/scan/repo"

func scanFixtureConfig(t *testing.T) *config.Config {
	t.Helper()
	root, err := filepath.Abs(scanRepo)
	if err != nil {
		t.Fatal(err)
	}
	return &config.Config{
		Path: filepath.Join(root, "vigil.hcl"), Root: root, Project: "scan-fixture", StacksRoot: "live", Layers: []string{"app"},
		Environments: []config.Environment{{Name: "dev", Target: "sandbox"}, {Name: "prod", Target: "aws", Approval: true}},
	}
}

// stableScan runs the real scanner without timing, so output is golden.
func stableScan(ctx context.Context, p *policy.ScanParams) (*policy.Report, error) {
	rep, err := policy.New().Scan(ctx, p)
	if rep != nil {
		rep.Stats.Duration = 0
	}
	return rep, err
}

// golden compares with testdata/scan/NAME.golden; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "scan", name+".golden")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (UPDATE_GOLDEN=1 to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestScanRun(t *testing.T) {
	cfg := scanFixtureConfig(t)
	withRepo := func() (*config.Config, error) { return cfg, nil }
	noRepo := func() (*config.Config, error) { return nil, config.ErrNotFound }
	tests := []struct {
		name       string
		opts       ScanOptions
		config     func() (*config.Config, error)
		wantErr    error
		golden     string // compares Out
		wantOut    []string
		wantErrOut []string
	}{
		{name: "env prod, text", opts: ScanOptions{Env: "prod", Format: "text", ShowSuppressed: true}, config: withRepo,
			wantErr: ErrFindings, golden: "prod-text"},
		{name: "env prod, json", opts: ScanOptions{Env: "prod", Format: "json"}, config: withRepo,
			wantErr: ErrFindings, golden: "prod-json", wantErrOut: []string{"at or above high: FAIL"}},
		{name: "explicit path, fail-on none", opts: ScanOptions{Paths: []string{"live/dev"}, Format: "text", FailOn: "none"}, config: withRepo,
			wantOut: []string{"VGL-S014", "nothing fails (--fail-on none)"}},
		{name: "explicit path fails at high", opts: ScanOptions{Paths: []string{"live/dev"}, Format: "text"}, config: withRepo,
			wantErr: ErrFindings, wantOut: []string{"live/dev/app/main.tf\n", "3:3 ", "high", "VGL-S014", "fix: Remove sqs_managed_sse_enabled = false"}},
		{name: "no vigil.hcl scans the directory", opts: ScanOptions{Paths: nil, Format: "sarif", FailOn: "critical"}, config: noRepo,
			wantOut: []string{`"version": "2.1.0"`, `"ruleId": "VGL-S071"`, `"uri": ".github/workflows/ci.yml"`}},
		{name: "unknown env", opts: ScanOptions{Env: "staging", Format: "text"}, config: withRepo, wantErr: &FlagError{}},
		{name: "test policies", opts: ScanOptions{TestPolicies: true, Format: "text"}, config: withRepo,
			wantOut: []string{"PASS  tags_test.test_untagged_bucket_denied", "2 passed, 0 failed"}},
		{name: "list rules", opts: ScanOptions{ListRules: true, Format: "text"}, config: withRepo, golden: "list-rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			opts := tt.opts
			opts.IO = ios
			opts.Dir = scanRepo
			opts.Config = tt.config
			opts.PolicyConfig = policyConfig
			opts.Scan = stableScan
			opts.RunTests = rego.Test
			err := scanRun(context.Background(), &opts)
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err = %v\n%s", err, out.String())
				}
			case *FlagError:
				var fe *FlagError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a FlagError", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				if Exit(ios, err) != 1 || errOut.Len() > 0 && tt.wantErrOut == nil {
					t.Errorf("exit/err output: %q", errOut.String())
				}
			}
			if tt.golden != "" {
				golden(t, tt.golden, out.String())
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.wantErrOut {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut.String())
				}
			}
		})
	}
}

// TestScanJSONShape keeps the JSON contract other tools read.
func TestScanJSONShape(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	cfg := scanFixtureConfig(t)
	err := scanRun(context.Background(), &ScanOptions{
		IO: ios, Dir: scanRepo, Env: "prod", Format: "json",
		Config: func() (*config.Config, error) { return cfg, nil }, PolicyConfig: policyConfig, Scan: stableScan,
	})
	if !errors.Is(err, policy.ErrFindings) {
		t.Fatalf("err = %v, want policy.ErrFindings in the chain", err)
	}
	var doc struct {
		Version  int    `json:"version"`
		FailOn   string `json:"fail_on"`
		Failed   bool   `json:"failed"`
		Findings []struct {
			Rule       string `json:"rule"`
			Severity   string `json:"severity"`
			Suppressed bool   `json:"suppressed"`
			Range      struct {
				File  string             `json:"file"`
				Start struct{ Line int } `json:"start"`
			} `json:"range"`
		} `json:"findings"`
	}
	if err := json.NewDecoder(bytes.NewReader(out.Bytes())).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || doc.FailOn != "high" || !doc.Failed || len(doc.Findings) == 0 {
		t.Errorf("doc = %+v", doc)
	}
	var rego bool
	for _, f := range doc.Findings {
		if f.Rule == "rego:tags.deny" && f.Range.File == "live/prod/app/main.tf" && f.Range.Start.Line == 32 {
			rego = true
		}
	}
	if !rego {
		t.Errorf("the repository's Rego policy did not run: %+v", doc.Findings)
	}
}
