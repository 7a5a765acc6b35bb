package canary_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
)

const exampleHCL = `
canaries {
  concurrency = 16
  jitter      = "2s"
  cloudwatch {
    environment = "dev"
    flush_every = "30s"
  }
}

canary "checkout" {
  url               = "https://shop.example.com/api/health?token=abc"
  every             = "1m"
  timeout           = "5s"
  expect            = ["status == 200", "latency < 300ms", "json.status == \"ok\""]
  failure_threshold = 3
  success_threshold = 2
  env               = "dev"
  layer             = "workload"
  severity          = "error"
  runbook           = "https://github.com/acme/infra/blob/main/runbooks/checkout.md"
  headers           = { Accept = "application/json" }
  header_env        = { Authorization = "CHECKOUT_TOKEN" }
  labels            = { team = "shop" }
  tls {
    min_version = "1.3"
  }
}

canary "home" {
  url = "http://127.0.0.1:8080/"
}
`

func TestDecodeAndBuild(t *testing.T) {
	t.Parallel()
	f, diags := hclsyntax.ParseConfig([]byte(exampleHCL), "vigil.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var root struct {
		Settings *canary.Settings `hcl:"canaries,block"`
		Canaries []canary.Config  `hcl:"canary,block"`
	}
	if diags := gohcl.DecodeBody(f.Body, nil, &root); diags.HasErrors() {
		t.Fatal(diags)
	}
	env := func(k string) (string, bool) { return "Bearer s3cret", k == "CHECKOUT_TOKEN" }
	c, err := canary.Build(root.Canaries[0], canary.BuildOptions{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if c.Interval != time.Minute || c.Timeout != 5*time.Second || len(c.Conditions) != 3 || c.Severity != alert.SeverityError ||
		c.Header.Get("Authorization") != "Bearer s3cret" || c.Header.Get("Accept") != "application/json" || c.TLS == nil ||
		c.Key() != "canary/dev/checkout" {
		t.Errorf("check = %+v", c)
	}
	home, err := canary.Build(root.Canaries[1], canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if home.Interval != canary.DefaultInterval || home.Timeout != canary.DefaultTimeout || home.FailureThreshold != 3 ||
		home.SuccessThreshold != 2 || home.Method != "GET" || home.Conditions[0].String() != canary.DefaultExpect ||
		home.Severity != alert.SeverityCritical || !home.FollowRedirects {
		t.Errorf("defaults = %+v", home)
	}
	ro, err := root.Settings.RunnerOptions()
	if err != nil || ro.Concurrency != 16 || ro.Jitter != 2*time.Second {
		t.Errorf("runner options %+v %v", ro, err)
	}
	co, err := root.Settings.CloudWatchOptions()
	if err != nil || co == nil || co.FlushEvery != 30*time.Second {
		t.Errorf("cloudwatch options %+v %v", co, err)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	ptr := func(n int) *int { return &n }
	tests := []struct {
		name    string
		conf    canary.Config
		wantErr string
	}{
		{"bad url", canary.Config{Name: "a", URL: "shop.example.com"}, "url: \"<unparsable URL>\" is not an http(s) URL"},
		{"url secret not echoed", canary.Config{Name: "a", URL: "ftp://h/x?token=s3cret"}, "ftp://h/x?…"},
		{"bad name", canary.Config{Name: "a b", URL: "http://h"}, "name: use letters"},
		{"bad method", canary.Config{Name: "a", URL: "http://h", Method: "FETCH"}, `method: "FETCH"`},
		{"bad every", canary.Config{Name: "a", URL: "http://h", Every: "often"}, `every: "often" is not a duration`},
		{"too frequent", canary.Config{Name: "a", URL: "http://h", Every: "10ms"}, "at least 1s"},
		{"timeout over interval", canary.Config{Name: "a", URL: "http://h", Every: "5s", Timeout: "10s"}, "timeout 10s is longer than the interval 5s"},
		{"thresholds", canary.Config{Name: "a", URL: "http://h", FailureThreshold: ptr(0)}, "failure_threshold: must be 1 to 100"},
		{"severity", canary.Config{Name: "a", URL: "http://h", Severity: "high"}, `severity: "high"`},
		{"missing env", canary.Config{Name: "a", URL: "http://h", HeaderEnv: map[string]string{"Authorization": "NOPE_X"}}, "environment variable NOPE_X (for header Authorization) is not set"},
		{"condition column", canary.Config{Name: "a", URL: "http://h", Expect: []string{"status == 200", "latency < 300"}}, "expect[1]: condition `latency < 300`: column 11: latency is a duration"},
		{"tls version", canary.Config{Name: "a", URL: "https://h", TLS: &canary.TLSConfig{MinVersion: "1.1"}}, `min_version "1.1"`},
		{"ca file", canary.Config{Name: "a", URL: "https://h", TLS: &canary.TLSConfig{CAFile: "/nonexistent/ca.pem"}}, "tls: ca_file: open /nonexistent/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := canary.Build(tt.conf, canary.BuildOptions{Env: func(string) (string, bool) { return "", false }})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the URL's token: %v", err)
			}
			if !strings.HasPrefix(err.Error(), `canary "`+tt.conf.Name+`": `) {
				t.Errorf("error does not name the canary: %v", err)
			}
		})
	}
}
