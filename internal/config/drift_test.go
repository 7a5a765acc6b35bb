package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDriftBlock(t *testing.T) {
	const envs = `project = "p"
environment "dev" {}
environment "prod" { target = "aws" }
`
	tests := []struct {
		name    string
		src     string
		check   func(t *testing.T, d Drift)
		wantErr string
	}{
		{"absent: hourly, unmanaged on, default tags", envs, func(t *testing.T, d Drift) {
			s := d.For("dev", "workload")
			if s.Every.Every != time.Hour || s.Every.Cron != "" || !s.Unmanaged || len(s.Ignore) != 0 {
				t.Fatalf("settings = %+v", s)
			}
			if want := map[string]string{"vigil:env": "dev", "managed-by": "vigil"}; !reflect.DeepEqual(s.Tags, want) {
				t.Fatalf("tags = %v, want %v", s.Tags, want)
			}
		}, ""},
		{"nested settings", envs + `
drift {
  every = "30m"
  ignore {
    address   = "aws_ecs_service.*"
    attribute = "desired_count"
    reason    = "autoscaling owns it"
  }
  environment "prod" {
    every     = "5m"
    unmanaged = false
    tags      = { env = "production" }
    ignore {
      address = "arn:aws:sns:*:*:scratch-*"
      kind    = "unmanaged"
      reason  = "scratch topics of the load tests"
    }
    layer "foundation" {
      every = "0 3 * * *"
      ignore {
        address = "aws_flow_log.*"
        reason  = "rotated by security"
      }
    }
  }
}
`, func(t *testing.T, d Drift) {
			dev := d.For("dev", "foundation")
			if dev.Every.Every != 30*time.Minute || len(dev.Ignore) != 1 || dev.Ignore[0].Attribute != "desired_count" || dev.Ignore[0].Scope != "" {
				t.Fatalf("dev = %+v", dev)
			}
			prodW := d.For("prod", "workload")
			if prodW.Every.Every != 5*time.Minute || prodW.Unmanaged || prodW.Tags["env"] != "production" || len(prodW.Ignore) != 2 || prodW.Ignore[1].Kind != "unmanaged" || prodW.Ignore[1].Scope != "prod" {
				t.Fatalf("prod/workload = %+v", prodW)
			}
			prodF := d.For("prod", "foundation")
			if prodF.Every.Cron != "0 3 * * *" || len(prodF.Ignore) != 3 || prodF.Ignore[2].Scope != "prod/foundation" {
				t.Fatalf("prod/foundation = %+v", prodF)
			}
			if env := d.For("prod", ""); len(env.Ignore) != 2 {
				t.Fatalf("prod (environment level) ignores = %+v, want the global and prod ones", env.Ignore)
			}
		}, ""},
		{"ignore without reason", envs + "drift {\n  ignore { address = \"*\" }\n}\n", nil, "vigil.hcl:5:3: Ignore without a reason"},
		{"ignore without address", envs + "drift {\n  ignore { reason = \"x\" }\n}\n", nil, `The argument "address" is required`},
		{"bad kind", envs + "drift {\n  ignore {\n    address = \"*\"\n    kind = \"moved\"\n    reason = \"x\"\n  }\n}\n", nil, "vigil.hcl:7:5: Invalid kind"},
		{"bad every", envs + "drift {\n  every = \"often\"\n}\n", nil, "vigil.hcl:5:3: Invalid every; every \"often\" is neither a duration"},
		{"bad cron", envs + "drift {\n  every = \"61 * * * *\"\n}\n", nil, "minute field \"61\""},
		{"unknown environment", envs + "drift {\n  environment \"qa\" {}\n}\n", nil, "vigil.hcl:5:15: Unknown environment"},
		{"two blocks", envs + "drift {}\ndrift {}\n", nil, "Duplicate drift block"},
		{"unknown attribute", envs + "drift {\n  evry = \"5m\"\n}\n", nil, `An argument named "evry" is not expected here`},
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
			tt.check(t, cfg.Drift)
		})
	}
}

func TestParseSchedule(t *testing.T) {
	base := time.Date(2026, 3, 14, 10, 17, 30, 0, time.UTC) // a Saturday
	tests := []struct {
		in       string
		wantNext time.Time
		wantErr  string
	}{
		{in: "30s", wantNext: base.Add(30 * time.Second)},
		{in: "5m", wantNext: base.Add(5 * time.Minute)},
		{in: "24h", wantNext: base.Add(24 * time.Hour)},
		{in: "@hourly", wantNext: time.Date(2026, 3, 14, 11, 0, 0, 0, time.UTC)},
		{in: "@nightly", wantNext: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		{in: "*/15 * * * *", wantNext: time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)},
		{in: "0 3 * * *", wantNext: time.Date(2026, 3, 15, 3, 0, 0, 0, time.UTC)},
		{in: "0 9 * * 1-5", wantNext: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)},
		{in: "0 0 1 * *", wantNext: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{in: "0 12 13 * 0", wantNext: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}, // the 13th or a Sunday
		{in: "0 0 * * 7", wantNext: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},    // 7 is Sunday
		{in: "5,10 10 * * *", wantNext: time.Date(2026, 3, 15, 10, 5, 0, 0, time.UTC)},
		{in: "", wantErr: "every is empty"},
		{in: "100ms", wantErr: "shorter than 1s"},
		{in: "daily", wantErr: "neither a duration"},
		{in: "@yearly", wantErr: "unknown descriptor"},
		{in: "0 25 * * *", wantErr: "hour field"},
		{in: "*/0 * * * *", wantErr: "step"},
		{in: "5-1 * * * *", wantErr: "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSchedule(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(base); !got.Equal(tt.wantNext) {
				t.Errorf("Next(%s) = %s, want %s", base, got, tt.wantNext)
			}
			if s.String() == "" {
				t.Error("String() is empty")
			}
		})
	}
}
