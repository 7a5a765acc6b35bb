package config

import (
	"strings"
	"testing"
	"time"
)

func TestServeAlertsCanaryBlocks(t *testing.T) {
	const envs = `project = "p"
environment "dev" {}
`
	tests := []struct {
		name    string
		src     string
		check   func(t *testing.T, c *Config)
		wantErr string
	}{
		{"absent: defaults", envs, func(t *testing.T, c *Config) {
			if c.Serve.ListenAddr() != DefaultServeAddr || c.Serve.PublicRead || c.Alerts != nil || c.CanarySettings != nil || len(c.Canaries) != 0 {
				t.Fatalf("config = %+v", c)
			}
		}, ""},
		{"everything", envs + `
serve {
  addr        = "0.0.0.0:9090"
  store_env   = "VIGIL_STORE_URL"
  public_read = true
  heartbeat   = "24h"
  token "ci" {
    role      = "reader"
    value_env = "VIGIL_CI_TOKEN"
  }
  token "lead" {
    role       = "approver"
    value_file = "/run/secrets/lead"
  }
}
alerts {
  webhook "ops" { url_env = "OPS_HOOK" }
  route { receivers = ["ops"] }
}
canaries {
  concurrency = 8
}
canary "api" {
  url    = "http://127.0.0.1:9/health"
  env    = "dev"
  every  = "5s"
  timeout = "1s"
  expect = ["status == 200"]
  failure_threshold = 2
  header_env = { Authorization = "NOT_SET_ANYWHERE" }
}
`, func(t *testing.T, c *Config) {
			s := c.Serve
			if s.ListenAddr() != "0.0.0.0:9090" || s.StoreEnv != "VIGIL_STORE_URL" || !s.PublicRead || s.Heartbeat != 24*time.Hour || len(s.Tokens) != 2 {
				t.Fatalf("serve = %+v", s)
			}
			if s.Tokens[0] != (ServeToken{Name: "ci", Role: RoleReader, ValueEnv: "VIGIL_CI_TOKEN"}) || s.Tokens[1].ValueFile != "/run/secrets/lead" {
				t.Fatalf("tokens = %+v", s.Tokens)
			}
			if c.Alerts == nil || len(c.Alerts.Webhook) != 1 || c.Alerts.Webhook[0].Name != "ops" {
				t.Fatalf("alerts = %+v", c.Alerts)
			}
			if c.CanarySettings == nil || *c.CanarySettings.Concurrency != 8 {
				t.Fatalf("canaries = %+v", c.CanarySettings)
			}
			if len(c.Canaries) != 1 || c.Canaries[0].Name != "api" || c.Canaries[0].Env != "dev" || *c.Canaries[0].FailureThreshold != 2 {
				t.Fatalf("canary = %+v", c.Canaries)
			}
		}, ""},
		{"token value in the file", envs + `serve {
  token "ci" {
    role  = "reader"
    value = "s3cr3t-value"
  }
}`, nil, "vigil.hcl:6:5: Token value in vigil.hcl"},
		{"token role", envs + `serve {
  token "ci" {
    role      = "admin"
    value_env = "X"
  }
}`, nil, `vigil.hcl:5:5: Invalid role; role is "admin"`},
		{"token without source", envs + `serve {
  token "ci" { role = "reader" }
}`, nil, "vigil.hcl:4:3: Token without a source"},
		{"store not postgres", envs + `serve {
  store = "mysql://x"
}`, nil, "vigil.hcl:4:3: Invalid store"},
		{"addr", envs + `serve {
  addr = "8080"
}`, nil, "vigil.hcl:4:3: Invalid addr"},
		{"alerts route to unknown receiver", envs + `alerts {
  webhook "ops" { url_env = "OPS_HOOK" }
  route { receivers = ["nobody"] }
}`, nil, "vigil.hcl:3:1: Invalid alerts block"},
		{"alerts unknown attribute", envs + `alerts {
  colour = "red"
}`, nil, `vigil.hcl:4:3: Unsupported argument`},
		{"canary bad condition", envs + `canary "api" {
  url    = "http://127.0.0.1:9/"
  expect = ["latency < 300"]
}`, nil, `vigil.hcl:3:8: Invalid canary; canary "api": expect[0]`},
		{"canary unknown env", envs + `canary "api" {
  url = "http://127.0.0.1:9/"
  env = "staging"
}`, nil, `vigil.hcl:3:8: Unknown environment`},
		{"canary duplicate", envs + `canary "api" { url = "http://a.example/" }
canary "api" { url = "http://b.example/" }`, nil, `vigil.hcl:4:8: Duplicate canary`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.src), "/repo/vigil.hcl")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("the error quotes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestParseRetention(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"7d", 7 * day, ""},
		{"30d", 30 * day, ""},
		{"36h", 36 * time.Hour, ""},
		{"1d12h", day + 12*time.Hour, ""},
		{"1h", time.Hour, ""},
		{" 2d ", 2 * day, ""},
		{"off", 0, ""},
		{"30m", 0, "shorter than 1h0m0s"},
		{"0", 0, "shorter than"},
		{"", 0, "is not a duration"},
		{"d", 0, "is not a duration"},
		{"1.5d", 0, "is not a duration"},
		{"-2h", 0, "is not a duration"},
		{"7 days", 0, "is not a duration"},
		{"1w", 0, "is not a duration"},
	}
	for _, tc := range tests {
		got, err := ParseRetention(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseRetention(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestServeRetention(t *testing.T) {
	t.Parallel()
	const head = `project = "p"
environment "dev" {}
`
	day := 24 * time.Hour
	tests := []struct {
		name    string
		src     string
		want    Retention
		wantErr string
	}{
		{"no serve block: defaults", head, Retention{7 * day, 30 * day, 30 * day}, ""},
		{"serve without retention: defaults", head + `serve { public_read = true }`, Retention{7 * day, 30 * day, 30 * day}, ""},
		{"some set, the rest defaults", head + `serve {
  retention {
    canary_results = "2d"
    alert_deliveries = "off"
  }
}`, Retention{CanaryResults: 2 * day, DriftReports: 30 * day, AlertDeliveries: 0}, ""},
		{"all set", head + `serve {
  retention {
    canary_results   = "36h"
    drift_reports    = "90d"
    alert_deliveries = "14d"
  }
}`, Retention{36 * time.Hour, 90 * day, 14 * day}, ""},
		{"bad unit", head + `serve {
  retention {
    drift_reports = "3 months"
  }
}`, Retention{}, `vigil.hcl:5:5: Invalid retention; drift_reports: "3 months" is not a duration`},
		{"too short", head + `serve {
  retention {
    canary_results = "30m"
  }
}`, Retention{}, `vigil.hcl:5:5: Invalid retention; canary_results: "30m" is shorter than 1h0m0s`},
		{"unknown attribute", head + `serve {
  retention {
    runs = "7d"
  }
}`, Retention{}, `vigil.hcl:5:5: Unsupported argument`},
		{"duplicate", head + `serve {
  retention {}
  retention {}
}`, Retention{}, `vigil.hcl:5:3: Duplicate retention block`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.src), "/repo/vigil.hcl")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Serve.Retention != tc.want {
				t.Fatalf("retention = %+v, want %+v", c.Serve.Retention, tc.want)
			}
		})
	}
}
