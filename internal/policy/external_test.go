package policy_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/policy/external"
)

// fakeRunner answers like trivy/tflint from recorded output.
func fakeRunner(t *testing.T, outputs map[string]string) external.Runner {
	return func(_ context.Context, _ string, name string, _ ...string) ([]byte, error) {
		file, ok := outputs[name]
		if !ok {
			return nil, &exec.Error{Name: name, Err: external.ErrNotInstalled}
		}
		return os.ReadFile(file)
	}
}

func TestExternalScannersMergeAndDedupe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile(t, "testdata/bad/sg-ssh-open.tf", filepath.Join(dir, "sg-ssh-open.tf"))
	s := policy.New(policy.WithRunner(fakeRunner(t, map[string]string{
		"trivy":  "testdata/external/trivy.json",
		"tflint": "testdata/external/tflint.json",
	})))
	rep, err := s.Scan(context.Background(), &policy.ScanParams{Paths: []string{dir}, NoRego: true, Config: policy.Config{External: []string{"trivy", "tflint"}}})
	if err != nil {
		t.Fatal(err)
	}
	if fs := find(rep, "trivy:AWS-0107"); len(fs) != 0 {
		t.Errorf("trivy's open-ingress finding duplicates VGL-S001 and should be dropped: %v", fs)
	}
	if fs := find(rep, "VGL-S001"); len(fs) != 1 {
		t.Errorf("VGL-S001 findings = %d", len(fs))
	}
	egress := find(rep, "trivy:AWS-0104")
	if len(egress) != 1 || egress[0].Range.Start.Line != 18 || egress[0].Severity != policy.SeverityCritical || egress[0].Range.Filename != filepath.Join(dir, "sg-ssh-open.tf") {
		t.Errorf("trivy egress finding = %+v", egress)
	}
	if len(find(rep, "trivy:AWS-0124")) != 0 {
		t.Error("a passed trivy check became a finding")
	}
	if fs := find(rep, "tflint:terraform_unused_declarations"); len(fs) != 1 || fs[0].Range.Start.Line != 22 {
		t.Errorf("tflint finding = %+v", fs)
	}
	if r := rep.Rules["trivy:AWS-0104"]; r.HelpURI == "" || r.Title == "" {
		t.Errorf("no metadata for the trivy rule: %+v", r)
	}
	joined := strings.Join(rep.Notes, "\n")
	if !strings.Contains(joined, "trivy: 1 finding(s) already reported") {
		t.Errorf("notes = %q", joined)
	}
}

func TestExternalScannerMissingIsANote(t *testing.T) {
	t.Parallel()
	s := policy.New(policy.WithRunner(fakeRunner(t, nil)))
	rep, err := s.Scan(context.Background(), &policy.ScanParams{Paths: []string{"testdata/clean"}, NoRego: true, Config: policy.Config{External: []string{"trivy"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 0 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "not on PATH") {
		t.Errorf("errors=%v notes=%v", rep.Errors, rep.Notes)
	}
}

// TestExternalScannersLive runs the real binaries when they are installed;
// they are optional everywhere, CI included.
func TestExternalScannersLive(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"trivy", "tflint"} {
		t.Run(tool, func(t *testing.T) {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s is not on PATH (optional)", tool)
			}
			rep, err := policy.New().Scan(context.Background(), &policy.ScanParams{Paths: []string{"testdata/bad"}, NoRego: true, Config: policy.Config{External: []string{tool}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range rep.Errors {
				t.Errorf("%s: %v", tool, e)
			}
			if tool == "trivy" && len(find(rep, "VGL-S020")) == 0 {
				t.Error("vigil must keep its own * on * finding")
			}
		})
	}
}
