package config

import "testing"

func TestParseAllowSelfApproval(t *testing.T) {
	t.Parallel()
	src := `project = "p"
environment "dev" {}
environment "stage" {
  approval            = true
  allow_self_approval = true
}
`
	cfg, err := Parse([]byte(src), "/repo/vigil.hcl")
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := cfg.Environment("dev")
	stage, _ := cfg.Environment("stage")
	if dev.AllowSelfApproval || !stage.AllowSelfApproval || !stage.Approval {
		t.Errorf("dev = %+v, stage = %+v", dev, stage)
	}
}
