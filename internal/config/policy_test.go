package config

import (
	"strings"
	"testing"
)

func TestPolicyBlock(t *testing.T) {
	const envs = `project = "p"
environment "dev" {}
environment "prod" { target = "aws" }
`
	tests := []struct {
		name    string
		src     string
		check   func(t *testing.T, p Policy)
		wantErr string
	}{
		{"absent", envs, func(t *testing.T, p Policy) {
			if p.FailOn != "" || len(p.Ignore) != 0 {
				t.Fatalf("policy = %+v, want zero", p)
			}
		}, ""},
		{"full", envs + `
policy {
  fail_on  = "high"
  policies = ["policy"]
  external = ["trivy"]
  disable  = ["VGL-S015"]
  environment "prod" { fail_on = "medium" }
  ignore "VGL-R021" {
    paths  = ["live/dev/**"]
    reason = "dev alarms page nobody"
  }
}
`, func(t *testing.T, p Policy) {
			if p.FailOn != "high" || p.FailOnEnv["prod"] != "medium" || p.Policies[0] != "policy" || p.External[0] != "trivy" || p.Disable[0] != "VGL-S015" {
				t.Fatalf("policy = %+v", p)
			}
			if len(p.Ignore) != 1 || p.Ignore[0].Rule != "VGL-R021" || p.Ignore[0].Reason == "" || p.Ignore[0].Paths[0] != "live/dev/**" {
				t.Fatalf("ignore = %+v", p.Ignore)
			}
		}, ""},
		{"ignore without reason", envs + "policy {\n  ignore \"VGL-R021\" {}\n}\n", nil, "vigil.hcl:5:10: Ignore without a reason"},
		{"bad severity", envs + "policy {\n  fail_on = \"loud\"\n}\n", nil, "Invalid fail_on"},
		{"unknown environment", envs + "policy {\n  environment \"qa\" { fail_on = \"low\" }\n}\n", nil, "vigil.hcl:5:15: Unknown environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.src), "vigil.hcl")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg.Policy)
		})
	}
}
