package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/ghci"
	"github.com/vigil-sre/vigil/internal/iostreams"
)

func TestNewCmdCI(t *testing.T) {
	t.Parallel()
	defSteps := []string{"check", "scan", "plan"}
	tests := []struct {
		name    string
		args    string
		want    CIOptions
		wantErr string
	}{
		{name: "defaults", args: "", want: CIOptions{Steps: defSteps}},
		{name: "pull request jobs", args: "--steps check,scan", want: CIOptions{Steps: []string{"check", "scan"}}},
		{name: "plan job", args: `--steps plan --env prod`, want: CIOptions{Steps: []string{"plan"}, Envs: []string{"prod"}}},
		{name: "comment job", args: "--steps comment --out /tmp/ci", want: CIOptions{Steps: []string{"comment"}, OutDir: "/tmp/ci"}},
		{name: "apply job", args: "-e dev -e prod --branch release", want: CIOptions{Steps: defSteps, Envs: []string{"dev", "prod"}, Branch: "release"}},
		{name: "unknown step", args: "--steps plan,deploy", wantErr: `--steps: unknown step "deploy" (want check, scan, plan, comment)`},
		{name: "no arguments", args: "prod", wantErr: `unknown command "prod" for "ci"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, Config: fixtureConfig(t, "basic"), Terraform: noTerraform}
			var got *CIOptions
			cmd := NewCmdCI(f, func(_ context.Context, o *CIOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Open == nil || got.Config == nil || got.Terraform == nil || got.Getenv == nil || got.IO == nil {
				t.Error("dependencies not wired")
			}
			got.IO, got.Open, got.Config, got.Terraform, got.Getenv = nil, nil, nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// driftedProd is a report of prod: base has a console change and an
// ignored one, app is clean, one unmanaged topic.
func driftedProd() *drift.Report {
	return &drift.Report{Env: "prod", StartedAt: time.Date(2026, 12, 1, 3, 17, 0, 0, time.UTC),
		Stacks: []*drift.StackReport{
			{Stack: "prod/base", Status: drift.StatusDrifted, Drift: []drift.Finding{
				{Kind: drift.KindChanged, Env: "prod", Stack: "prod/base", Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "display_name", Before: `"Pager"`, After: `"Hacked"`},
				{Kind: drift.KindChanged, Env: "prod", Stack: "prod/base", Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "tags", Ignored: &drift.Ignored{Reason: "tagged by finance", Rule: "aws_sns_topic.*"}},
			}},
			{Stack: "prod/app", Status: drift.StatusClean},
		},
		Unmanaged: drift.Unmanaged{Checked: true, Findings: []drift.Finding{
			{Kind: drift.KindUnmanaged, Env: "prod", Address: "arn:aws:sns:us-east-1:000000000000:stray", Type: "aws_sns_topic"},
		}},
	}
}

func TestCIDriftAlerts(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{}
	custom := &config.Config{Drift: config.Drift{Runbook: "https://wiki.example.com/drift", FirstStep: "Page the platform team."}}
	tests := []struct {
		name string
		cfg  *config.Config
		rep  *drift.Report
		want []alert.Alert
	}{
		{name: "no report", cfg: cfg},
		{name: "clean", cfg: cfg, rep: &drift.Report{Env: "prod", Stacks: []*drift.StackReport{{Stack: "prod/base", Status: drift.StatusClean}}}},
		{name: "ignored findings only", cfg: cfg, rep: &drift.Report{Env: "prod", Stacks: []*drift.StackReport{{Stack: "prod/base", Status: drift.StatusClean,
			Drift: []drift.Finding{{Kind: drift.KindChanged, Address: "aws_sns_topic.pager", Attribute: "tags", Ignored: &drift.Ignored{Rule: "x"}}}}}}},
		{name: "a stack and unmanaged resources", cfg: custom, rep: driftedProd(), want: []alert.Alert{
			{Fingerprint: "drift/prod/base", Status: alert.StatusFiring, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
				Environment: "prod", Layer: "base", Stack: "prod/base", Resource: "aws_sns_topic.pager",
				Summary:    `aws_sns_topic.pager display_name changed out of band: "Pager" → "Hacked"`,
				Details:    []alert.Detail{{Key: "aws_sns_topic.pager display_name", Value: `changed out of band: "Pager" → "Hacked"`}},
				RunbookURL: "https://wiki.example.com/drift", FirstStep: "Page the platform team.", URL: "https://github.com/acme/infra/actions/runs/9001",
				Source: "vigil ci", StartsAt: time.Date(2026, 12, 1, 3, 17, 0, 0, time.UTC)},
			{Fingerprint: "drift/prod/unmanaged", Status: alert.StatusFiring, Kind: alert.KindDrift, Severity: alert.SeverityWarning,
				Environment: "prod", Resource: "arn:aws:sns:us-east-1:000000000000:stray",
				Summary:    "1 unmanaged resource(s) tagged for prod but in no stack's state: arn:aws:sns:us-east-1:000000000000:stray",
				Details:    []alert.Detail{{Key: "aws_sns_topic", Value: "unmanaged: arn:aws:sns:us-east-1:000000000000:stray"}},
				RunbookURL: "https://wiki.example.com/drift", URL: "https://github.com/acme/infra/actions/runs/9001",
				FirstStep: "Run `vigil drift --env prod` and decide for each: import it into a stack (terraform import, id shown) or delete it.",
				Source:    "vigil ci", StartsAt: time.Date(2026, 12, 1, 3, 17, 0, 0, time.UTC)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ciDriftAlerts(tt.cfg, tt.rep, "https://github.com/acme/infra/actions/runs/9001")
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("alerts:\n%s\nwant:\n%s", g, w)
			}
		})
	}
	// The default runbook and first step name the stack.
	a := ciDriftAlerts(cfg, driftedProd(), "")[0]
	if a.RunbookURL != config.DefaultDriftRunbook || !strings.Contains(a.FirstStep, "vigil drift --env prod --stack prod/base") || a.URL != "" {
		t.Errorf("defaults: %+v", a)
	}
	// Several changes: counted, three shown.
	rep := driftedProd()
	for _, attr := range []string{"a", "b", "c", "d"} {
		rep.Stacks[0].Drift = append(rep.Stacks[0].Drift, drift.Finding{Kind: drift.KindChanged, Address: "aws_sns_topic.pager", Attribute: attr, Before: "1", After: "2"})
	}
	if s := ciDriftAlerts(cfg, rep, "")[0].Summary; !strings.HasPrefix(s, "5 out-of-band changes: ") || !strings.HasSuffix(s, "and 2 more") {
		t.Errorf("summary of five: %s", s)
	}
}

// webhookSink is an httptest webhook answering status, keeping bodies.
type webhookSink struct {
	mu     sync.Mutex
	status int
	got    []alert.WebhookMessage
	srv    *httptest.Server
}

func newWebhookSink(t *testing.T, status int) *webhookSink {
	s := &webhookSink{status: status}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m alert.WebhookMessage
		_ = json.Unmarshal(b, &m)
		s.mu.Lock()
		s.got = append(s.got, m)
		s.mu.Unlock()
		w.WriteHeader(s.status)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestSendDriftAlerts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alerts := ciDriftAlerts(&config.Config{}, driftedProd(), "")
	webhookCfg := func(url string) *config.Config {
		one := 1
		return &config.Config{Alerts: &alert.Config{
			Webhook: []alert.WebhookConfig{{Name: "ops", URLEnv: "OPS_URL"}},
			Retry:   &alert.RetryConfig{Attempts: &one},
			Route:   &alert.Route{Receivers: []string{"ops"}},
		}}
	}
	env := func(url string) alert.Env {
		return func(name string) (string, bool) { return url, name == "OPS_URL" }
	}

	t.Run("no alerts block", func(t *testing.T) {
		t.Parallel()
		res, err := sendDriftAlerts(ctx, &config.Config{}, alerts, alert.BuildOptions{})
		if err != nil || !strings.Contains(res.Skipped, "vigil.hcl has no alerts block") || res.Sent != 0 {
			t.Fatalf("res = %+v, %v", res, err)
		}
	})
	t.Run("nothing to send", func(t *testing.T) {
		t.Parallel()
		res, err := sendDriftAlerts(ctx, &config.Config{}, nil, alert.BuildOptions{})
		if err != nil || res.Skipped != "" || len(res.Lines) != 0 {
			t.Fatalf("res = %+v, %v", res, err)
		}
	})
	t.Run("delivered", func(t *testing.T) {
		t.Parallel()
		sink := newWebhookSink(t, http.StatusOK)
		res, err := sendDriftAlerts(ctx, webhookCfg(sink.srv.URL), alerts, alert.BuildOptions{Env: env(sink.srv.URL)})
		if err != nil || res.Sent != 2 || res.Failed != 0 || !slices.Equal(res.Lines, []string{"- `prod/base`: sent to ops", "- `prod (unmanaged resources)`: sent to ops"}) {
			t.Fatalf("res = %+v, %v", res, err)
		}
		if len(sink.got) != 2 || sink.got[0].Alert.Stack != "prod/base" || sink.got[0].Action != "trigger" {
			t.Errorf("received %+v", sink.got)
		}
	})
	t.Run("refused by the receiver", func(t *testing.T) {
		t.Parallel()
		sink := newWebhookSink(t, http.StatusInternalServerError)
		res, err := sendDriftAlerts(ctx, webhookCfg(sink.srv.URL), alerts[:1], alert.BuildOptions{Env: env(sink.srv.URL)})
		if err == nil || res.Sent != 0 || res.Failed != 1 || len(res.Lines) != 1 || !strings.Contains(res.Lines[0], "**not delivered:** notify receiver \"ops\" (webhook): gave up after 1 attempt(s)") {
			t.Fatalf("res = %+v, %v", res, err)
		}
		if strings.Contains(res.Lines[0], sink.srv.URL) {
			t.Errorf("the sink's URL (a secret) is in the summary: %s", res.Lines[0])
		}
	})
	t.Run("a secret that is not set", func(t *testing.T) {
		t.Parallel()
		_, err := sendDriftAlerts(ctx, webhookCfg(""), alerts, alert.BuildOptions{Env: func(string) (string, bool) { return "", false }})
		if err == nil || !strings.Contains(err.Error(), "alerts block: ") || !strings.Contains(err.Error(), "OPS_URL") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestCICommentStep runs the comment job's step: the sections the plan
// jobs left (one missing) become one comment, created on the first run
// and updated in place on the next.
func TestCICommentStep(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var requests []string
	comments := []ghci.IssueComment{{ID: 1, Body: "LGTM", User: &ghci.User{Login: "ana"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+ciToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		requests = append(requests, r.Method+" "+r.URL.Path)
		var in struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/repos/acme/infra/issues/42/comments":
			_ = json.NewEncoder(w).Encode(comments)
		case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/infra/issues/42/comments":
			c := ghci.IssueComment{ID: 2, Body: in.Body, User: &ghci.User{Login: ghci.BotLogin}, HTMLURL: "https://github.com/acme/infra/pull/42#issuecomment-2"}
			comments = append(comments, c)
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(c)
		case r.Method == http.MethodPatch && r.URL.Path == "/repos/acme/infra/issues/comments/2":
			comments[1].Body = in.Body
			_ = json.NewEncoder(w).Encode(comments[1])
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()

	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "sections"), 0o755); err != nil {
		t.Fatal(err)
	}
	dev := ghci.SectionMarkdown(ghci.Section{Env: "dev", Run: "20261201-091500-aaaaaa", Fingerprint: "sha256:" + strings.Repeat("ab", 32), Planned: true,
		Review: "#### `dev/foundation`: 1 to add\n\n- `+` `aws_sns_topic.pager`"})
	if err := os.WriteFile(filepath.Join(out, "sections", "dev.md"), []byte(dev), 0o644); err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(t.TempDir(), "summary")
	outputs := filepath.Join(t.TempDir(), "outputs")
	vars := map[string]string{
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": filepath.Join("..", "ghci", "testdata", "pull_request_synchronize.json"),
		"GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": srv.URL, "GITHUB_TOKEN": ciToken,
		"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs,
	}
	run := func() (string, error) {
		ios, _, stdout, stderr := iostreams.Test()
		err := ciRun(context.Background(), &CIOptions{IO: ios, Config: fixtureConfig(t, "basic"), Getenv: func(k string) string { return vars[k] },
			Steps: []string{ciStepComment}, OutDir: out})
		if strings.Contains(stdout.String()+stderr.String(), ciToken) {
			t.Error("the token was printed")
		}
		return stderr.String(), err
	}

	errOut, err := run()
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, errOut)
	}
	body, err := os.ReadFile(filepath.Join(out, "comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "ci", "comment", string(body))
	if _, err := run(); err != nil {
		t.Fatalf("second run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"GET /repos/acme/infra/issues/42/comments", "POST /repos/acme/infra/issues/42/comments",
		"GET /repos/acme/infra/issues/42/comments", "PATCH /repos/acme/infra/issues/comments/2",
	}
	if !slices.Equal(requests, want) || len(comments) != 2 || comments[1].Body != string(body) || comments[0].Body != "LGTM" {
		t.Errorf("requests %v, comments %+v", requests, comments)
	}
	sum, _ := os.ReadFile(summary)
	for _, w := range []string{"### plan comment: created\n\n[The comment](https://github.com/acme/infra/pull/42#issuecomment-2) on pull request #42.", "### plan comment: updated"} {
		if !strings.Contains(string(sum), w) {
			t.Errorf("summary lacks %q:\n%s", w, sum)
		}
	}
	outs := readOutputs(t, outputs)
	if outs["comment-id"] != "2" || outs["comment-file"] != filepath.Join(out, "comment.md") {
		t.Errorf("outputs %v", outs)
	}
	// A section that claims another environment's fingerprint is refused.
	if err := os.WriteFile(filepath.Join(out, "sections", "prod.md"), []byte("### prod\n"+ghci.FingerprintMarker("dev", "r", "sha256:"+strings.Repeat("ab", 32))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err == nil || !strings.Contains(err.Error(), "the plan comment was not posted: the section of prod carries a fingerprint of dev") {
		t.Errorf("forged section: %v", err)
	}
}
