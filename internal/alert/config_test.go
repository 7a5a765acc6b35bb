package alert_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
)

// decodeAlerts decodes an `alerts { … }` block as internal/config will.
func decodeAlerts(t *testing.T, src string) (alert.Config, error) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "vigil.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var root struct {
		Alerts alert.Config `hcl:"alerts,block"`
	}
	if diags := gohcl.DecodeBody(f.Body, nil, &root); diags.HasErrors() {
		t.Fatal(diags)
	}
	return root.Alerts, root.Alerts.Validate()
}

const exampleAlerts = `
alerts {
  slack "oncall" {
    url_env = "VIGIL_SLACK_WEBHOOK"
  }
  pagerduty "prod" {
    routing_key = "0123456789abcdef0123456789abcdef"
  }
  webhook "ops" {
    url        = "https://ops.example.com/hooks/vigil"
    secret_env = "VIGIL_WEBHOOK_SECRET"
    headers    = { "X-Team" = "sre" }
  }
  sns "pager" {
    topic_arn   = "arn:aws:sns:us-east-1:000000000000:vigil-dev-pager"
    environment = "dev"
  }
  retry {
    attempts = 3
    initial  = "500ms"
    max      = "10s"
    deadline = "1m"
  }
  sink_failure_after = 2
  route {
    receivers = ["oncall"]
    route {
      name        = "prod-pages"
      environment = ["prod"]
      severity    = ["critical", "error"]
      receivers   = ["prod", "oncall"]
    }
    route {
      name      = "drift"
      kind      = ["drift"]
      receivers = ["ops"]
      continue  = true
    }
    route {
      environment = ["dev"]
      receivers   = ["pager", "oncall"]
      labels      = { team = "sre*" }
    }
  }
}
`

func TestConfigDecode(t *testing.T) {
	t.Parallel()
	c, err := decodeAlerts(t, exampleAlerts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Names(), ","); got != "oncall,prod,ops,pager" {
		t.Errorf("names = %s", got)
	}
	pol, err := c.Retry.Policy()
	if err != nil || pol.Attempts != 3 || pol.Initial.String() != "500ms" || pol.Deadline.String() != "1m0s" {
		t.Errorf("policy = %+v, %v", pol, err)
	}
	if len(c.Route.Routes) != 3 || c.Route.Routes[2].Labels["team"] != "sre*" || !c.Route.Routes[1].Continue {
		t.Errorf("route = %+v", c.Route)
	}
	if string(c.PagerDuty[0].RoutingKey) != pdKey {
		t.Error("routing key not decoded")
	}
}

func TestConfigValidateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		wantErr string
	}{
		{"no route", `alerts {
  slack "a" { url_env = "X" }
}`, "a route block with receivers is required"},
		{"duplicate names", `alerts {
  slack "a" { url_env = "X" }
  webhook "a" { url_env = "Y" }
  route { receivers = ["a"] }
}`, `receiver name "a" is used twice`},
		{"unknown receiver", `alerts {
  slack "a" { url_env = "X" }
  route { receivers = ["b"] }
}`, `no receiver named "b"`},
		{"bad retry", `alerts {
  slack "a" { url_env = "X" }
  retry { attempts = 0 }
  route { receivers = ["a"] }
}`, "attempts must be 1 to 20"},
		{"bad duration", `alerts {
  slack "a" { url_env = "X" }
  retry { initial = "fast" }
  route { receivers = ["a"] }
}`, `retry: initial: "fast" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeAlerts(t, tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	rec := alerttest.NewRecorder(t, http.StatusOK)
	src := `
alerts {
  slack "oncall" { url_env = "SLACK_URL" }
  webhook "ops" {
    url_env    = "HOOK_URL"
    secret_env = "HOOK_SECRET"
  }
  sns "pager" { topic_arn = "arn:aws:sns:us-east-1:000000000000:p" }
  route {
    receivers = ["oncall"]
    route {
      kind      = ["drift"]
      receivers = ["ops"]
    }
  }
}`
	c, err := decodeAlerts(t, src)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_URL": rec.URL + "/slack", "HOOK_URL": rec.URL + "/hook", "HOOK_SECRET": hmacKey}
	var gotEnv []string
	d, err := alert.Build(context.Background(), c, prometheus.NewRegistry(), alert.BuildOptions{
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		AWSConfig: func(_ context.Context, e string) (aws.Config, error) {
			gotEnv = append(gotEnv, e)
			return aws.Config{Region: "us-east-1"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(gotEnv) != 1 {
		t.Errorf("AWSConfig called %d times", len(gotEnv))
	}
	res, err := d.Dispatch(context.Background(), alerttest.Alert())
	if err != nil || len(res.Deliveries) != 1 || res.Deliveries[0].Receiver != "ops" {
		t.Fatalf("deliveries %+v, err %v", res.Deliveries, err)
	}
	r := rec.Requests()[0]
	if r.URL != "/hook" || !alert.VerifySignature([]byte(hmacKey), []byte(r.Body), r.Header.Get(alert.SignatureHeader)) {
		t.Errorf("request %s, signature %q", r.URL, r.Header.Get(alert.SignatureHeader))
	}
	// A missing secret fails the build, naming the variable.
	delete(env, "HOOK_SECRET")
	_, err = alert.Build(context.Background(), c, nil, alert.BuildOptions{
		Env:       func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		AWSConfig: func(context.Context, string) (aws.Config, error) { return aws.Config{}, nil },
	})
	if err == nil || !strings.Contains(err.Error(), `webhook "ops": secret_env: environment variable HOOK_SECRET is not set`) {
		t.Errorf("err = %v", err)
	}
}
