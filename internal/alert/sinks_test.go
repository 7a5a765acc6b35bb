package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/alert/alerttest"
)

const (
	slackSecretPath = "T0VIGIL/B0VIGIL/s3cr3tSlackWebhookToken"
	pdKey           = "0123456789abcdef0123456789abcdef"
	hmacKey         = "a-shared-hmac-secret-0123456789"
)

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func newSlack(t *testing.T, url string) *alert.Slack {
	t.Helper()
	s, err := alert.NewSlack(alert.SlackConfig{Name: "oncall", URL: alert.Secret(url + "/services/" + slackSecretPath)}, alert.SinkOptions{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newPagerDuty(t *testing.T, url string) *alert.PagerDuty {
	t.Helper()
	p, err := alert.NewPagerDuty(alert.PagerDutyConfig{Name: "prod", RoutingKey: pdKey, URL: url + "/v2/enqueue"}, alert.SinkOptions{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newWebhook(t *testing.T, url string) *alert.Webhook {
	t.Helper()
	w, err := alert.NewWebhook(alert.WebhookConfig{Name: "ops", URL: alert.Secret(url + "/hook?token=urlsecret123"), Secret: hmacKey,
		Headers: map[string]string{"X-Team": "sre"}}, alert.SinkOptions{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRetryTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		sink  func(t *testing.T, url string) alert.Sink
		cases []alerttest.RetryCase
	}{
		{"slack", func(t *testing.T, u string) alert.Sink { return newSlack(t, u) }, alerttest.RetryCases(nil, http.StatusTooManyRequests)},
		{"pagerduty", func(t *testing.T, u string) alert.Sink { return newPagerDuty(t, u) }, alerttest.RetryCases([]int{http.StatusAccepted}, http.StatusTooManyRequests)},
		{"webhook", func(t *testing.T, u string) alert.Sink { return newWebhook(t, u) }, alerttest.RetryCases(nil, http.StatusRequestTimeout, http.StatusTooManyRequests)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			alerttest.ExerciseRetry(t, func(u string) alert.Sink { return tt.sink(t, u) }, tt.cases)
		})
	}
}

func TestNotifyLeaksNoSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sink    func(t *testing.T, url string) alert.Sink
		secrets map[string]string
	}{
		{"slack", func(t *testing.T, u string) alert.Sink { return newSlack(t, u) },
			map[string]string{"url@url": slackSecretPath}},
		{"pagerduty", func(t *testing.T, u string) alert.Sink { return newPagerDuty(t, u) },
			map[string]string{"routing_key@body": pdKey}},
		{"webhook", func(t *testing.T, u string) alert.Sink { return newWebhook(t, u) },
			map[string]string{"url@url": "urlsecret123", "secret": hmacKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			alerttest.AssertNotifyLeaksNoSecret(t, func(u string) alert.Sink { return tt.sink(t, u) }, tt.secrets)
		})
	}
}

func TestSlackPayload(t *testing.T) {
	t.Parallel()
	rec := alerttest.NewRecorder(t, http.StatusOK)
	s := newSlack(t, rec.URL)
	a := alerttest.Alert()
	a.Summary = "x < y & z"
	if _, err := s.Send(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	reqs := rec.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	if reqs[0].URL != "/services/"+slackSecretPath || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s", reqs[0].URL, reqs[0].Header.Get("Content-Type"))
	}
	var m alert.SlackMessage
	if err := json.Unmarshal([]byte(reqs[0].Body), &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "[FIRING] dev/observability: x < y & z") || !strings.Contains(m.Text, a.RunbookURL) {
		t.Errorf("text = %q", m.Text)
	}
	var sawRunbook, sawFirst, sawDetails, sawEscaped bool
	for _, b := range m.Blocks {
		for _, e := range b.Elements {
			if e.Type == "button" && e.URL == a.RunbookURL && e.Text.Text == "Runbook" {
				sawRunbook = true
			}
		}
		if b.Text != nil && strings.Contains(b.Text.Text, "*What to do first:* "+a.FirstStep) {
			sawFirst = true
		}
		if b.Text != nil && strings.Contains(b.Text.Text, "threshold: 25 → 50") {
			sawDetails = true
		}
		if b.Type == "section" && b.Text != nil && b.Text.Text == "x &lt; y &amp; z" {
			sawEscaped = true
		}
	}
	if !sawRunbook || !sawFirst || !sawDetails || !sawEscaped {
		t.Errorf("blocks: runbook button %v, first step %v, details %v, escaped summary %v\n%s", sawRunbook, sawFirst, sawDetails, sawEscaped, reqs[0].Body)
	}
	// A context block's element has its text as a plain string.
	if !strings.Contains(reqs[0].Body, `{"type":"mrkdwn","text":"vigil · `) {
		t.Errorf("context element not in Block Kit form: %s", reqs[0].Body)
	}
}

func TestSlackRetryAfter(t *testing.T) {
	t.Parallel()
	rec := alerttest.NewRecorder(t, http.StatusTooManyRequests)
	rec.Answer(http.StatusTooManyRequests, "rate_limited", http.Header{"Retry-After": {"7"}})
	retry, err := newSlack(t, rec.URL).Send(context.Background(), alerttest.Alert())
	var ra *alert.RetryAfterError
	if !retry || !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Fatalf("retry = %v, err = %v; want retry after 7s", retry, err)
	}
}

func TestPagerDutyEvents(t *testing.T) {
	t.Parallel()
	rec := alerttest.NewRecorder(t, http.StatusAccepted)
	p := newPagerDuty(t, rec.URL)
	a := alerttest.Alert()
	a.Summary = strings.Repeat("s", 2000)
	resolved := a
	resolved.Status = alert.StatusResolved
	for _, x := range []alert.Alert{a, resolved} {
		if _, err := p.Send(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %d", len(reqs))
	}
	var trig, res alert.PagerDutyEvent
	if err := json.Unmarshal([]byte(reqs[0].Body), &trig); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(reqs[1].Body), &res); err != nil {
		t.Fatal(err)
	}
	if reqs[0].URL != "/v2/enqueue" {
		t.Errorf("path = %s", reqs[0].URL)
	}
	if trig.RoutingKey != pdKey || trig.EventAction != "trigger" || res.EventAction != "resolve" {
		t.Errorf("trigger %+v, resolve %+v", trig, res)
	}
	if trig.DedupKey == "" || trig.DedupKey != res.DedupKey || len(trig.DedupKey) > 255 || trig.DedupKey != a.DedupKey() {
		t.Errorf("dedup keys %q / %q", trig.DedupKey, res.DedupKey)
	}
	if res.Payload != nil {
		t.Errorf("resolve carries a payload: %+v", res.Payload)
	}
	pl := trig.Payload
	if pl == nil || len(pl.Summary) > 1024 || pl.Severity != "warning" || pl.Source != "vigil" || pl.Class != "drift" ||
		pl.Component != a.Resource || pl.Group != "dev/observability" || pl.Timestamp != "2026-01-02T03:04:05Z" {
		t.Errorf("payload = %+v", pl)
	}
	if pl.CustomDetails["first_step"] != a.FirstStep || pl.CustomDetails["environment"] != "dev" {
		t.Errorf("custom_details = %v", pl.CustomDetails)
	}
	if d, _ := pl.CustomDetails["details"].(map[string]any); d["threshold"] != "25 → 50" {
		t.Errorf("details = %v", pl.CustomDetails["details"])
	}
	if len(trig.Links) != 1 || trig.Links[0].Href != a.RunbookURL || trig.Links[0].Text != "Runbook" {
		t.Errorf("links = %+v", trig.Links)
	}
}

func TestDedupKeyStable(t *testing.T) {
	t.Parallel()
	a := alerttest.Alert()
	b := a
	b.Summary, b.Severity, b.Details = "other", alert.SeverityCritical, nil
	if a.DedupKey() != b.DedupKey() {
		t.Error("dedup key depends on content")
	}
	c := a
	c.Resource = "aws_cloudwatch_metric_alarm.other"
	if a.DedupKey() == c.DedupKey() {
		t.Error("dedup key ignores the resource")
	}
	d := a
	d.Fingerprint = "custom"
	if d.Key() != "custom" || d.DedupKey() == a.DedupKey() {
		t.Error("fingerprint not used as key")
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	rec := alerttest.NewRecorder(t, http.StatusNoContent)
	w := newWebhook(t, rec.URL)
	a := alerttest.Alert()
	a.Revision = 2
	if _, err := w.Send(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	r := rec.Requests()[0]
	if !alert.VerifySignature([]byte(hmacKey), []byte(r.Body), r.Header.Get(alert.SignatureHeader)) {
		t.Errorf("signature %q does not verify", r.Header.Get(alert.SignatureHeader))
	}
	if alert.VerifySignature([]byte("wrong-key-wrong-key"), []byte(r.Body), r.Header.Get(alert.SignatureHeader)) {
		t.Error("signature verifies under another key")
	}
	if !strings.HasPrefix(r.Header.Get(alert.SignatureHeader), "sha256=") || r.Header.Get(alert.TimestampHeader) != "1767323045" {
		t.Errorf("headers = %v", r.Header)
	}
	if r.Header.Get("X-Team") != "sre" {
		t.Error("custom header missing")
	}
	var m alert.WebhookMessage
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Version != "1" || m.Receiver != "ops" || m.Action != alert.ActionUpdate || m.Alert.Resource != a.Resource || !m.SentAt.Equal(fixedNow()) {
		t.Errorf("message = %+v", m)
	}
}

func TestSinkConfigValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(pdKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		conf    interface{ Validate() error }
		wantErr string
	}{
		{"slack ok", alert.SlackConfig{Name: "a", URL: "https://hooks.slack.com/services/x"}, ""},
		{"slack env", alert.SlackConfig{Name: "a", URLEnv: "X"}, ""},
		{"slack none", alert.SlackConfig{Name: "a"}, "url is required (or url_file, url_env)"},
		{"slack two", alert.SlackConfig{Name: "a", URL: "https://x/y", URLFile: "/f"}, "set only one of url, url_file and url_env"},
		{"slack bad url", alert.SlackConfig{Name: "a", URL: "ftp://secret-in-url"}, "url is not an http(s) URL with a host"},
		{"slack bad name", alert.SlackConfig{Name: "a b", URLEnv: "X"}, `name "a b"`},
		{"slack bad timeout", alert.SlackConfig{Name: "a", URLEnv: "X", Timeout: "soon"}, `timeout: "soon" is not a duration`},
		{"pd ok", alert.PagerDutyConfig{Name: "p", RoutingKey: pdKey}, ""},
		{"pd short key", alert.PagerDutyConfig{Name: "p", RoutingKey: "short"}, "routing_key must be 32 characters"},
		{"pd file", alert.PagerDutyConfig{Name: "p", RoutingKeyFile: keyFile}, ""},
		{"webhook short secret", alert.WebhookConfig{Name: "w", URL: "https://x/y", Secret: "short"}, "secret must be at least 16 characters"},
		{"webhook reserved header", alert.WebhookConfig{Name: "w", URL: "https://x/y", Headers: map[string]string{"x-vigil-signature": "x"}}, "is set by vigil"},
		{"sns ok", alert.SNSConfig{Name: "s", TopicARN: "arn:aws:sns:us-east-1:000000000000:pager"}, ""},
		{"sns bad arn", alert.SNSConfig{Name: "s", TopicARN: "pager"}, "is not an SNS topic ARN"},
		{"sns bad format", alert.SNSConfig{Name: "s", TopicARN: "arn:aws:sns:us-east-1:000000000000:pager", Format: "xml"}, `format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.conf.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret-in-url") {
				t.Errorf("error quotes the secret URL: %v", err)
			}
		})
	}
}

func TestSecretSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(pdKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		if k == "PD_KEY" {
			return pdKey, true
		}
		return "", false
	}
	tests := []struct {
		name    string
		conf    alert.PagerDutyConfig
		wantErr string
	}{
		{"value", alert.PagerDutyConfig{Name: "p", RoutingKey: pdKey}, ""},
		{"file", alert.PagerDutyConfig{Name: "p", RoutingKeyFile: keyFile}, ""},
		{"env", alert.PagerDutyConfig{Name: "p", RoutingKeyEnv: "PD_KEY"}, ""},
		{"missing env", alert.PagerDutyConfig{Name: "p", RoutingKeyEnv: "NOPE"}, "routing_key_env: environment variable NOPE is not set"},
		{"missing file", alert.PagerDutyConfig{Name: "p", RoutingKeyFile: filepath.Join(dir, "nope")}, "routing_key_file " + filepath.Join(dir, "nope") + ": no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := alerttest.NewRecorder(t, http.StatusAccepted)
			tt.conf.URL = rec.URL
			p, err := alert.NewPagerDuty(tt.conf, alert.SinkOptions{Env: env})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Send(context.Background(), alerttest.Alert()); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rec.Requests()[0].Body, `"routing_key":"`+pdKey+`"`) {
				t.Errorf("body = %s", rec.Requests()[0].Body)
			}
		})
	}
}

func TestSecretFormatting(t *testing.T) {
	t.Parallel()
	c := alert.SlackConfig{Name: "a", URL: "https://hooks.slack.com/services/T/B/verysecret"}
	for _, s := range []string{fmtV(c), fmtPlusV(c), fmtSharpV(c), mustJSON(t, c)} {
		if strings.Contains(s, "verysecret") {
			t.Errorf("config formats its secret: %s", s)
		}
	}
}

func fmtV(v any) string      { return fmt.Sprintf("%v", v) }
func fmtPlusV(v any) string  { return fmt.Sprintf("%+v", v) }
func fmtSharpV(v any) string { return fmt.Sprintf("%#v", v) }
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
