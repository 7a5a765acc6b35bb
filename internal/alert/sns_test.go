package alert_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	sandboxsns "github.com/vigil-sre/vigil/internal/sandbox/sns"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

func TestSNSAgainstSandbox(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.Start(t)
	ctx := context.Background()
	cfg := sb.AWSConfig()
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vigil-dev-pager")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(topic.TopicArn)

	tests := []struct {
		name   string
		format string
		check  func(t *testing.T, m sandboxsns.Message)
	}{
		{"text", "", func(t *testing.T, m sandboxsns.Message) {
			if !strings.Contains(m.Message, "Runbook: https://example.com/runbooks/alb-target-5xx.md") ||
				!strings.Contains(m.Message, "What to do first: ") || !strings.Contains(m.Message, "threshold: 25 → 50") {
				t.Errorf("message = %s", m.Message)
			}
		}},
		{"json", "json", func(t *testing.T, m sandboxsns.Message) {
			if !strings.Contains(m.Message, `"runbook_url":"https://example.com/runbooks/alb-target-5xx.md"`) {
				t.Errorf("message = %s", m.Message)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := alert.NewSNS(alert.SNSConfig{Name: "pager", TopicARN: arn, Format: tt.format}, cfg, alert.SinkOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := alert.NewDispatcher(&alert.Route{Receivers: []string{"pager"}},
				[]alert.Receiver{{Name: "pager", Integration: s.Integration(), Sink: s}}, nil, alert.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a := alerttest.AlertWithSecrets()
			a.Resource = "aws_cloudwatch_metric_alarm.alb_5xx_" + tt.name
			if _, err := d.Dispatch(ctx, a); err != nil {
				t.Fatal(err)
			}
			a.Status = alert.StatusResolved
			if _, err := d.Dispatch(ctx, a); err != nil {
				t.Fatal(err)
			}
			msgs := readTopic(t, sb.Dir, arn, a.Key())
			if len(msgs) != 2 {
				t.Fatalf("messages = %d, want trigger and resolve", len(msgs))
			}
			trig, res := msgs[0], msgs[1]
			if trig.Subject != "[FIRING] dev/observability: changed out of band: threshold 25 ? 50 (key <redacted>)" {
				t.Errorf("subject = %q", trig.Subject)
			}
			if !strings.HasPrefix(res.Subject, "[RESOLVED] ") {
				t.Errorf("resolve subject = %q", res.Subject)
			}
			attrs := trig.MessageAttributes
			for k, want := range map[string]string{"vigil.kind": "drift", "vigil.status": "firing", "vigil.severity": "warning",
				"vigil.environment": "dev", "vigil.layer": "observability", "vigil.action": "alert", "vigil.revision": "0"} {
				if attrs[k].StringValue != want {
					t.Errorf("attribute %s = %q, want %q", k, attrs[k].StringValue, want)
				}
			}
			if res.MessageAttributes["vigil.status"].StringValue != "resolved" {
				t.Errorf("resolve attributes = %v", res.MessageAttributes)
			}
			tt.check(t, trig)
			for _, m := range msgs {
				for _, sec := range alerttest.DetailSecrets() {
					if strings.Contains(m.Message+m.Subject, sec) {
						t.Errorf("published message leaks %q", sec)
					}
				}
			}
		})
	}

	t.Run("missing topic is permanent", func(t *testing.T) {
		s, err := alert.NewSNS(alert.SNSConfig{Name: "pager", TopicARN: "arn:aws:sns:us-east-1:" + sb.AccountID() + ":nope"}, cfg, alert.SinkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		retry, err := s.Send(ctx, alerttest.Alert())
		if err == nil || retry || !strings.Contains(err.Error(), "sns: publish to arn:aws:sns:us-east-1:") {
			t.Fatalf("retry %v err %v", retry, err)
		}
	})
	t.Run("unreachable endpoint is retried", func(t *testing.T) {
		bad := cfg.Copy()
		bad.BaseEndpoint = aws.String("http://127.0.0.1:1")
		s, err := alert.NewSNS(alert.SNSConfig{Name: "pager", TopicARN: arn, Timeout: "2s"}, bad, alert.SinkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if retry, err := s.Send(ctx, alerttest.Alert()); err == nil || !retry {
			t.Fatalf("retry %v err %v", retry, err)
		}
	})
}

// readTopic returns the messages published to a topic for one alert key.
func readTopic(t *testing.T, dir, arn, key string) []sandboxsns.Message {
	t.Helper()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := sandboxsns.Messages(context.Background(), st, arn)
	if err != nil {
		t.Fatal(err)
	}
	var out []sandboxsns.Message
	for _, m := range all {
		if m.MessageAttributes["vigil.fingerprint"].StringValue == key {
			out = append(out, m)
		}
	}
	return out
}
