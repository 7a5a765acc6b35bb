package external

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/policy/finding"
)

func TestParseTrivy(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/external/trivy.json")
	if err != nil {
		t.Fatal(err)
	}
	fs, rules, err := ParseTrivy(data, "stack")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || len(rules) != 2 {
		t.Fatalf("findings=%d rules=%d, want 2 and 2 (the PASS is skipped)", len(fs), len(rules))
	}
	f := fs[0]
	if f.RuleID != "trivy:AWS-0107" || f.Severity != finding.SeverityCritical || f.Range.Filename != filepath.Join("stack", "sg-ssh-open.tf") || f.Range.Start.Line != 11 || f.Resource != "aws_security_group.bastion" {
		t.Errorf("finding = %+v", f)
	}
	if VigilEquivalent(f.RuleID) != "VGL-S001" || VigilEquivalent("trivy:AVD-AWS-0178") != "VGL-S060" || VigilEquivalent("tflint:x") != "" {
		t.Error("VigilEquivalent mapping")
	}
	if _, _, err := ParseTrivy([]byte("not json"), ""); err == nil {
		t.Error("garbage parsed")
	}
}

func TestParseTFLint(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/external/tflint.json")
	if err != nil {
		t.Fatal(err)
	}
	fs, rules, err := ParseTFLint(data, "stack")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || len(rules) != 1 || fs[0].Severity != finding.SeverityMedium || fs[0].Range.Start.Column != 1 || fs[0].Range.End.Column != 19 {
		t.Errorf("findings = %+v", fs)
	}
	_, _, err = ParseTFLint([]byte(`{"issues":[],"errors":[{"message":"boom"}]}`), "")
	if err == nil {
		t.Error("tflint errors are not reported")
	}
}
