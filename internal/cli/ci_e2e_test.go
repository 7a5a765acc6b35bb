package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/ghci"
	"github.com/vigil-sre/vigil/internal/remediate"
)

const (
	ciHead  = "9f1c2e7d4b3a59687e0f1d2c3b4a5968778695a4" // head of PR 42 in the recorded payloads
	ciMerge = "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4" // the push's commit
	ciToken = "ghs_vigilCiTestToken0123456789"
	// ciAlertSecret signs the drift alerts' webhook.
	ciAlertSecret = "whsec-vigil-ci-test-0123456789"
)

// alertReceiver is a webhook sink on loopback: it checks each message's
// signature and keeps the alerts.
type alertReceiver struct {
	mu     sync.Mutex
	alerts []alert.Alert
	bad    int
	srv    *httptest.Server
}

func newAlertReceiver(t *testing.T) *alertReceiver {
	a := &alertReceiver{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m alert.WebhookMessage
		a.mu.Lock()
		defer a.mu.Unlock()
		if !alert.VerifySignature([]byte(ciAlertSecret), body, r.Header.Get(alert.SignatureHeader)) || json.Unmarshal(body, &m) != nil {
			a.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		a.alerts = append(a.alerts, m.Alert)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *alertReceiver) received() ([]alert.Alert, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.alerts), a.bad
}

// fakeGitHub answers the REST calls vigil ci makes, with what the test
// put there; comments posted through it (as the bot: the token is the
// job's) are listed afterwards.
type fakeGitHub struct {
	mu        sync.Mutex
	comments  []ghci.IssueComment
	approvals []ghci.Approval
	writes    []string // "POST 42", "PATCH <id>"
	srv       *httptest.Server
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+ciToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var v any
		if r.Method == http.MethodPost || r.Method == http.MethodPatch {
			var in struct{ Body string }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
				w.WriteHeader(http.StatusUnprocessableEntity)
				return
			}
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/infra/issues/42/comments":
				c := ghci.IssueComment{ID: int64(100 + len(g.comments)), Body: in.Body, User: &ghci.User{Login: ghci.BotLogin, Type: "Bot"}}
				g.comments = append(g.comments, c)
				g.writes = append(g.writes, "POST 42")
				w.WriteHeader(http.StatusCreated)
				v = c
			case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/repos/acme/infra/issues/comments/"):
				id := strings.TrimPrefix(r.URL.Path, "/repos/acme/infra/issues/comments/")
				i := slices.IndexFunc(g.comments, func(c ghci.IssueComment) bool { return fmt.Sprint(c.ID) == id })
				if i < 0 {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				g.comments[i].Body = in.Body
				g.writes = append(g.writes, "PATCH "+id)
				v = g.comments[i]
			default:
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_ = json.NewEncoder(w).Encode(v)
			return
		}
		switch r.URL.Path {
		case "/repos/acme/infra/commits/" + ciMerge + "/pulls":
			v = []map[string]any{{"number": 42, "state": "closed", "merged_at": "2026-12-01T11:30:00Z",
				"head": map[string]string{"ref": "ana/pager-name", "sha": ciHead}, "base": map[string]string{"ref": "main", "sha": "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}}}
		case "/repos/acme/infra/issues/42/comments":
			v = g.comments
		case "/repos/acme/infra/actions/runs/9001/approvals":
			v = g.approvals
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGitHub) posted() ([]ghci.IssueComment, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.comments), slices.Clone(g.writes)
}

func (g *fakeGitHub) set(comments []ghci.IssueComment, approvals []ghci.Approval) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.comments, g.approvals = comments, approvals
}

type ciResult struct {
	code             int
	out, errOut, sum string
	outputs          map[string]string
}

// readOutputs parses a GITHUB_OUTPUT file as the runner does.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, _ := os.ReadFile(path)
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// TestCIOnSandbox is vigil ci through a pull request's life against one
// sandbox and the fixture repository: the pull request's plan yields the
// comment and a fingerprint; the push after merge applies only with the
// reviewed fingerprint and the GitHub reviewer recorded as approver, and
// refuses a changed plan (nothing applied); the nightly drift job exits 0
// when clean and 2 after an out-of-band change; vigil backlog then lists
// the drift fixed by hand, a manual apply and a remediator escalation.
func TestCIOnSandbox(t *testing.T) {
	w := newPipelineWorld(t, "basic")
	t.Setenv("VIGIL_USER", "github-actions")
	gh := newFakeGitHub(t)
	tmp := t.TempDir()
	payloads, err := filepath.Abs(filepath.Join("..", "ghci", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_REPOSITORY", "acme/infra")
	t.Setenv("GITHUB_RUN_ID", "9001")
	t.Setenv("GITHUB_API_URL", gh.srv.URL)
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_TOKEN", ciToken)
	n := 0
	ci := func(event, payload string, args ...string) ciResult {
		t.Helper()
		n++
		outFile, sumFile := filepath.Join(tmp, fmt.Sprintf("output-%d", n)), filepath.Join(tmp, fmt.Sprintf("summary-%d", n))
		t.Setenv("GITHUB_EVENT_NAME", event)
		t.Setenv("GITHUB_EVENT_PATH", filepath.Join(payloads, payload+".json"))
		t.Setenv("GITHUB_OUTPUT", outFile)
		t.Setenv("GITHUB_STEP_SUMMARY", sumFile)
		code, out, errOut := w.vigil(t, append([]string{"ci", "--env", "prod"}, args...)...)
		sum, _ := os.ReadFile(sumFile)
		r := ciResult{code: code, out: out, errOut: errOut, sum: string(sum), outputs: readOutputs(t, outFile)}
		for _, s := range []string{r.out, r.errOut, r.sum, fmt.Sprint(r.outputs)} {
			if strings.Contains(s, ciToken) || strings.Contains(s, "Tr0ub4dor") || strings.Contains(s, ciAlertSecret) {
				t.Fatalf("a secret reached vigil ci's output:\n%s", s)
			}
		}
		return r
	}
	ctx := context.Background()
	awsCfg := w.sb.AWSConfig()
	snsc := sns.NewFromConfig(awsCfg)
	topicARN := "arn:aws:sns:us-east-1:" + w.sb.AccountID() + ":fx-prod-pager"
	displayName := func() (string, error) {
		out, err := snsc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
		if err != nil {
			return "", err
		}
		return out.Attributes["DisplayName"], nil
	}

	// 1. The pull request is opened: check, scan, plan, the comment posted.
	pr := ci("pull_request", "pull_request_opened", "--steps", "check,scan,plan,comment")
	if pr.code != 0 {
		t.Fatalf("vigil ci on pull_request = %d\n%s\n%s\nsummary:\n%s", pr.code, pr.out, pr.errOut, pr.sum)
	}
	fp := pr.outputs["fingerprint"]
	if !strings.HasPrefix(fp, "sha256:") || pr.outputs["run-id"] == "" || pr.outputs["has-changes"] != "true" || pr.outputs["fingerprint-prod"] != fp {
		t.Fatalf("outputs = %v", pr.outputs)
	}
	comment, err := os.ReadFile(pr.outputs["comment-file"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{ghci.Marker, ghci.CommitMarker(ciHead), ghci.FingerprintMarker("prod", pr.outputs["run-id"], fp), "### prod", "`prod/base`"} {
		if !strings.Contains(string(comment), want) {
			t.Errorf("comment lacks %q:\n%s", want, comment)
		}
	}
	if _, err := os.Stat(pr.outputs["sarif-file"]); err != nil {
		t.Errorf("sarif-file: %v", err)
	}
	for _, want := range []string{"vigil check: passed", "vigil scan: passed", "### prod", "plan comment: created"} {
		if !strings.Contains(pr.sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, pr.sum)
		}
	}
	if posted, writes := gh.posted(); len(posted) != 1 || posted[0].Body != string(comment) || !slices.Equal(writes, []string{"POST 42"}) || pr.outputs["comment-id"] != "100" {
		t.Fatalf("after the first plan: comments %+v, writes %v, outputs %v", posted, writes, pr.outputs)
	}

	// 2. A push to the pull request: the same code plans to the same
	// fingerprint, and the one comment is updated in place.
	syncR := ci("pull_request", "pull_request_synchronize", "--steps", "plan,comment")
	if syncR.code != 0 || syncR.outputs["fingerprint"] != fp || syncR.outputs["sarif-file"] != "" {
		t.Fatalf("synchronize = %d, outputs %v\n%s", syncR.code, syncR.outputs, syncR.errOut)
	}
	if posted, writes := gh.posted(); len(posted) != 1 || !slices.Equal(writes, []string{"POST 42", "PATCH 100"}) ||
		!strings.Contains(posted[0].Body, ghci.FingerprintMarker("prod", syncR.outputs["run-id"], fp)) || !strings.Contains(syncR.sum, "plan comment: updated") {
		t.Fatalf("after the synchronize: comments %+v, writes %v\n%s", posted, writes, syncR.sum)
	}

	bot := &ghci.User{Login: ghci.BotLogin, Type: "Bot"}
	approved := []ghci.Approval{{State: "approved", User: &ghci.User{Login: "carol"}, Environments: []ghci.Environment{{Name: "prod"}}}}

	// 3. A forged comment by a person is not a review: refused, nothing applied.
	gh.set([]ghci.IssueComment{{ID: 1, Body: string(comment), User: &ghci.User{Login: "mallory"}}}, approved)
	forged := ci("push", "push")
	if forged.code != 1 || !strings.Contains(forged.sum, "has no vigil plan comment") || forged.outputs["applied"] != "false" {
		t.Fatalf("forged comment = %d\n%s\nsummary:\n%s", forged.code, forged.errOut, forged.sum)
	}
	if _, err := displayName(); err == nil {
		t.Fatal("the pager topic exists after a refused push")
	}

	// 4. The code changed after review: the plan differs, refused, nothing applied.
	base := filepath.Join(w.repo, "live", "prod", "base", "main.tf")
	orig, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, []byte(strings.Replace(string(orig), `default = "Pager"`, `default = "Pager two"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	gh.set([]ghci.IssueComment{{ID: 2, Body: string(comment), User: bot}}, approved)
	changed := ci("push", "push")
	if changed.code != 1 || !strings.Contains(changed.sum, "Refused: nothing applied") || !strings.Contains(changed.sum, "not the reviewed "+fp) || changed.outputs["applied"] != "false" {
		t.Fatalf("push with changed code = %d\n%s\nsummary:\n%s", changed.code, changed.errOut, changed.sum)
	}
	if _, err := displayName(); err == nil {
		t.Fatal("the pager topic exists after a refused apply")
	}
	if err := os.WriteFile(base, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	// 5. The reviewed code was merged: carol's approval is recorded, prod/base applied.
	push := ci("push", "push")
	if push.code != 0 || push.outputs["applied"] != "true" || push.outputs["pr"] != "42" || push.outputs["fingerprint"] != fp {
		t.Fatalf("push = %d, outputs %v\n%s\nsummary:\n%s", push.code, push.outputs, push.errOut, push.sum)
	}
	if dn, err := displayName(); err != nil || dn != "Pager" {
		t.Fatalf("the pager topic after the apply: %q, %v", dn, err)
	}
	for _, want := range []string{"Approved by github:carol", "Audit log intact"} {
		if !strings.Contains(push.sum, want) {
			t.Errorf("push summary lacks %q:\n%s", want, push.sum)
		}
	}
	audit, _ := os.ReadFile(push.outputs["audit-file"])
	if !strings.Contains(string(audit), `"by": "github:carol"`) {
		t.Errorf("audit export lacks carol's approval:\n%s", audit)
	}

	// 6. Nightly drift: clean (prod/app waits on its approval: pending, not drift).
	clean := ci("schedule", "schedule")
	if clean.code != 0 || clean.outputs["drifted"] != "false" || !strings.Contains(clean.sum, "### prod: no drift") {
		t.Fatalf("schedule, clean = %d\n%s\n%s\nsummary:\n%s", clean.code, clean.out, clean.errOut, clean.sum)
	}

	// 7. Someone renames the topic in the console: drift, exit 2.
	setName := func(name string) {
		t.Helper()
		if _, err := snsc.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topicARN), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	// Drift goes to the sinks of vigil.hcl's alerts block: a signed
	// webhook on loopback, its URL and key from the job's environment.
	sink := newAlertReceiver(t)
	t.Setenv("VIGIL_TEST_ALERT_URL", sink.srv.URL+"/hooks/vigil")
	t.Setenv("VIGIL_TEST_ALERT_SECRET", ciAlertSecret)
	hcl, err := os.OpenFile(filepath.Join(w.repo, "vigil.hcl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = hcl.WriteString(`
alerts {
  webhook "ops" {
    url_env    = "VIGIL_TEST_ALERT_URL"
    secret_env = "VIGIL_TEST_ALERT_SECRET"
  }
  route {
    receivers = ["ops"]
  }
}
`)
	if cerr := hcl.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	setName("Hacked")
	drifted := ci("workflow_dispatch", "workflow_dispatch")
	if drifted.code != 2 || drifted.outputs["drifted"] != "true" || !strings.Contains(drifted.sum, "### prod: drift") || !strings.Contains(drifted.sum, "Hacked") {
		t.Fatalf("dispatch after a console change = %d\n%s\nsummary:\n%s", drifted.code, drifted.errOut, drifted.sum)
	}
	got, bad := sink.received()
	if len(got) != 1 || bad != 0 || drifted.outputs["alerts-sent"] != "1" || !strings.Contains(drifted.sum, "`prod/base`: sent to ops") {
		t.Fatalf("alerts: %d received (%d badly signed), outputs %v\nsummary:\n%s", len(got), bad, drifted.outputs, drifted.sum)
	}
	if a := got[0]; a.Kind != alert.KindDrift || a.Status != alert.StatusFiring || a.Stack != "prod/base" || a.Environment != "prod" ||
		!strings.Contains(a.Summary, "display_name") || !strings.Contains(a.Summary, `"Hacked"`) || a.URL != "https://github.com/acme/infra/actions/runs/9001" {
		t.Errorf("the drift alert: %+v", a)
	}

	// 8. ...and puts it back by hand: clean again, and nothing more is sent.
	setName("Pager")
	if again := ci("schedule", "schedule"); again.code != 0 || again.outputs["alerts-sent"] != "0" {
		t.Fatalf("schedule after the revert = %d, outputs %v\n%s", again.code, again.outputs, again.sum)
	}
	if got, _ := sink.received(); len(got) != 1 {
		t.Errorf("%d alerts after the clean check, want still 1", len(got))
	}

	// 9. Someone applies prod/app by hand, and the remediator escalated an episode.
	var runs []struct{ ID, Status, Env string }
	if err := json.Unmarshal([]byte(w.mustVigil(t, "runs", "--env", "prod", "--json")), &runs); err != nil {
		t.Fatal(err)
	}
	pending := ""
	for _, r := range runs {
		if r.Status == "planned" {
			pending = r.ID
			break
		}
	}
	if pending == "" {
		t.Fatalf("no planned run of prod/app: %+v", runs)
	}
	w.mustVigil(t, "approve", pending, "--by", "bob", "--comment", "hotfix, no time for a PR")
	w.mustVigil(t, "apply", pending)
	writeIncidents(t, cloudwatchlogs.NewFromConfig(awsCfg), "/aws/lambda/fixture-prod-remediator")

	var items []struct {
		Kind, Env, Stack, Title string
		What                    []string
		Suggest                 struct{ As, Text string }
	}
	if err := json.Unmarshal([]byte(w.mustVigil(t, "backlog", "--env", "prod", "--json")), &items); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it.Kind]++
		switch it.Kind {
		case "manual-apply":
			if !strings.Contains(strings.Join(it.What, "\n"), "approved by bob: hotfix") {
				t.Errorf("manual apply item: %+v", it)
			}
		case "drift-fixed-by-hand":
			if it.Stack != "prod/base" || !strings.Contains(strings.Join(it.What, "\n"), `"Hacked"`) {
				t.Errorf("drift item: %+v", it)
			}
		case "escalation":
			if it.Suggest.As != "remediation" || !strings.Contains(it.Title, "fx-prod-5xx") {
				t.Errorf("escalation item: %+v", it)
			}
		}
	}
	if kinds["manual-apply"] != 1 || kinds["drift-fixed-by-hand"] != 1 || kinds["escalation"] != 1 || len(items) != 3 {
		t.Fatalf("backlog items by kind: %v\n%+v", kinds, items)
	}
	md := w.mustVigil(t, "backlog", "--env", "prod", "--markdown")
	if strings.Count(md, "<!-- vigil-backlog ") != 3 || !strings.Contains(md, "### Encode the fix: remediation") {
		t.Errorf("backlog --markdown:\n%s", md)
	}
}

// writeIncidents logs an escalated episode as the remediator does (its
// slog JSON lines), shipped to its log group as Lambda ships stdout.
func writeIncidents(t *testing.T, logs *cloudwatchlogs.Client, group string) {
	t.Helper()
	ctx := context.Background()
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	stream := "2026/12/01/[$LATEST]3f9c0a1b2c3d4e5f"
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	ep := at.Format("20060102T150405Z")
	for i, in := range []remediate.Incident{
		{Alarm: "fx-prod-5xx", Episode: ep, Action: remediate.ActionStopTask, Outcome: remediate.OutcomeDone, Target: "arn:aws:ecs:us-east-1:000000000000:task/main/1a", Attempt: 1, Detail: "target unhealthy"},
		{Alarm: "fx-prod-5xx", Episode: ep, Action: remediate.ActionStopTask, Outcome: remediate.OutcomeDone, Target: "arn:aws:ecs:us-east-1:000000000000:task/main/2b", Attempt: 2, Detail: "target unhealthy"},
		{Alarm: "fx-prod-5xx", Episode: ep, Action: remediate.ActionEscalate, Outcome: remediate.OutcomeDone, Target: "arn:aws:sns:us-east-1:000000000000:fx-prod-pager", Detail: "still in ALARM after 2 stops"},
		{Alarm: "fx-prod-latency", Episode: ep, Action: remediate.ActionWait, Outcome: remediate.OutcomeSkipped},
	} {
		in.Time = at.Add(time.Duration(i) * time.Minute)
		remediate.LogIncident(ctx, log, in)
	}
	var events []logtypes.InputLogEvent
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		events = append(events, logtypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(at.Add(time.Duration(i) * time.Minute).UnixMilli())})
	}
	events = append(events, logtypes.InputLogEvent{Message: aws.String("REPORT RequestId: 5e1d Duration: 812.33 ms"), Timestamp: aws.Int64(at.Add(5 * time.Minute).UnixMilli())})
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatal(err)
	}
}
