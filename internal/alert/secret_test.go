package alert_test

import (
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
)

func TestScrubText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     string // exact, when set
		mustHide string
		mustKeep string
	}{
		{name: "aws key id", in: "key AKIAIOSFODNN7EXAMPLE used", want: "key <redacted> used"},
		{name: "aws secret key", in: "secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", mustHide: "wJalrXUtnFEMI"},
		{name: "aws secret key bare", in: "x wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY y", want: "x <redacted> y"},
		{name: "git sha kept", in: "commit 0123456789abcdef0123456789abcdef01234567", want: "commit 0123456789abcdef0123456789abcdef01234567"},
		{name: "password assignment", in: "password=hunter2 user=bob", want: "password=<redacted> user=bob"},
		{name: "json password", in: `{"db_password": "hunter2"}`, want: `{"db_password": "<redacted>"}`},
		{name: "api key colon", in: "api_key: abc123def", want: "api_key: <redacted>"},
		{name: "bearer", in: "Authorization: Bearer abcdefghijklmnop.qrs", mustHide: "abcdefghijklmnop"},
		{name: "slack token", in: "token xoxb-123456789012-abcdefABCDEF", mustHide: "xoxb-"},
		{name: "slack webhook", in: "see https://hooks.slack.com/services/T000/B000/XXXX", want: "see <redacted>"},
		{name: "github token", in: "ghp_abcdefghijklmnopqrstuvwxyz0123456789", want: "<redacted>"},
		{name: "jwt", in: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", want: "<redacted>"},
		{name: "url password", in: "postgres://vigil:s3cret@db:5432/x", want: "postgres://vigil:<redacted>@db:5432/x"},
		{name: "pem", in: "k: -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end", want: "k: <redacted> end"},
		{name: "plain kept", in: "threshold 25 → 50", want: "threshold 25 → 50"},
		{name: "arn kept", in: "arn:aws:sns:us-east-1:000000000000:vigil-dev-pager", want: "arn:aws:sns:us-east-1:000000000000:vigil-dev-pager"},
		{name: "address kept", in: "aws_cloudwatch_metric_alarm.alb_5xx", want: "aws_cloudwatch_metric_alarm.alb_5xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := alert.ScrubText(tt.in)
			if tt.want != "" && got != tt.want {
				t.Errorf("ScrubText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.mustHide != "" && strings.Contains(got, tt.mustHide) {
				t.Errorf("ScrubText(%q) = %q still shows %q", tt.in, got, tt.mustHide)
			}
		})
	}
}

func TestScrubAlert(t *testing.T) {
	t.Parallel()
	in := alerttest.AlertWithSecrets()
	in.RunbookURL = "https://user:pw@example.com/rb?token=abc&x=1"
	before := in.Details[len(in.Details)-1].Value
	out := alert.Scrub(in)
	text := out.Text() + out.Labels["api_token"] + out.RunbookURL
	for _, s := range append(alerttest.DetailSecrets(), "pw@", "token=abc") {
		if strings.Contains(text, s) {
			t.Errorf("scrubbed alert still shows %q:\n%s", s, text)
		}
	}
	if !strings.Contains(out.Text(), "threshold: 25 → 50") || !strings.Contains(out.RunbookURL, "example.com/rb") {
		t.Errorf("scrub removed too much:\n%s", out.Text())
	}
	if in.Details[len(in.Details)-1].Value != before {
		t.Error("Scrub changed its input")
	}
}
