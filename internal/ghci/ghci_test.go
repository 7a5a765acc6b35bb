package ghci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const head = "9f1c2e7d4b3a59687e0f1d2c3b4a5968778695a4"

var fp1 = "sha256:" + strings.Repeat("ab", 32)

func mustEvent(t *testing.T, name string) *Event {
	t.Helper()
	e, err := ReadEvent(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, event, payload, branch string
		want                         Trigger
		wantErr                      string
	}{
		{name: "pr opened", event: "pull_request", payload: "pull_request_opened", want: TriggerReview},
		{name: "pr synchronize", event: "pull_request", payload: "pull_request_synchronize", want: TriggerReview},
		{name: "pr closed", event: "pull_request", payload: "pull_request_closed", wantErr: `pull_request action "closed"`},
		{name: "push to main", event: "push", payload: "push", want: TriggerApply},
		{name: "push to main, --branch release", event: "push", payload: "push", branch: "release", wantErr: "push to refs/heads/main: vigil ci applies only after a push to the protected branch release"},
		{name: "push elsewhere", event: "push", payload: "push_other_branch", wantErr: "push to refs/heads/ana/wip"},
		{name: "schedule", event: "schedule", payload: "schedule", want: TriggerDrift},
		{name: "dispatch", event: "workflow_dispatch", payload: "workflow_dispatch", want: TriggerDrift},
		{name: "release", event: "release", payload: "schedule", wantErr: `unsupported event "release"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Classify(tt.event, mustEvent(t, tt.payload), tt.branch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Classify() = %v, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Classify() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestEventFields(t *testing.T) {
	t.Parallel()
	e := mustEvent(t, "pull_request_synchronize")
	if e.PullRequest.Number != 42 || e.PullRequest.Head.SHA != head || e.PullRequest.Base.Ref != "main" || e.Repository.DefaultBranch != "main" {
		t.Errorf("parsed %+v", e.PullRequest)
	}
	p := mustEvent(t, "push")
	if p.After != "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4" || p.HeadCommit.ID != p.After {
		t.Errorf("push: %+v", p)
	}
	if _, err := ParseEvent([]byte("{not json")); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestReadEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/e.json", "GH_TOKEN": "ghs_x", "GITHUB_API_URL": "http://127.0.0.1:1/"}
	e, err := ReadEnv(func(k string) string { return env[k] })
	if err != nil || e.Token != "ghs_x" || e.APIURL != "http://127.0.0.1:1" || e.ServerURL != "https://github.com" {
		t.Fatalf("ReadEnv = %+v, %v", e, err)
	}
	_, err = ReadEnv(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH not set") {
		t.Fatalf("outside Actions: %v", err)
	}
}

func TestFormatOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value, delim, want, wantErr string
	}{
		{name: "one line", key: "fingerprint", value: fp1, delim: "EOF1", want: "fingerprint<<EOF1\n" + fp1 + "\nEOF1\n"},
		{name: "multiline", key: "comment", value: "a\nb\n", delim: "D", want: "comment<<D\na\nb\n\nD\n"},
		{name: "empty", key: "run-id", value: "", delim: "D", want: "run-id<<D\n\nD\n"},
		{name: "delimiter in value", key: "x", value: "a\nD\nb", delim: "D", wantErr: "unusable"},
		{name: "bad name", key: "a b", value: "v", delim: "D", wantErr: "output name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatOutput(tt.key, tt.value, tt.delim)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FormatOutput = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// parseOutputs reads a GITHUB_OUTPUT file the way the runner does.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %q is not name<<DELIM", lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("output %s never ends", name)
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestWriteOutputsAndSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.WriteFile(path, []byte("earlier<<X\n1\nX\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tricky := "line 1\nghadelimiter_\nEOF\n<<"
	if err := WriteOutputs(path, []Output{{"fingerprint", fp1}, {"comment", tricky}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	got := parseOutputs(t, string(b))
	if got["earlier"] != "1" || got["fingerprint"] != fp1 || got["comment"] != tricky {
		t.Fatalf("outputs = %q", got)
	}
	sum := filepath.Join(dir, "summary")
	if err := AppendSummary(sum, "### a"); err != nil {
		t.Fatal(err)
	}
	if err := AppendSummary(sum, "### b\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(sum); string(b) != "### a\n### b\n" {
		t.Fatalf("summary = %q", b)
	}
	if err := WriteOutputs("", []Output{{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCommentRoundTrip(t *testing.T) {
	t.Parallel()
	body := Comment(head, []string{
		SectionMarkdown(Section{Env: "dev", Run: "20261201-091500-aaaaaa", Fingerprint: fp1, Planned: true, Review: "dev review"}),
		SectionMarkdown(Section{Env: "prod", Run: "20261201-091500-bbbbbb", Planned: false, Review: "**The plan of prod did not run.**"}),
	})
	for _, want := range []string{Marker, CommitMarker(head), "## vigil plan for 9f1c2e7", "### dev\n" + FingerprintMarker("dev", "20261201-091500-aaaaaa", fp1), "dev review", "### prod\n\n**The plan of prod did not run.**"} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
	r, ok := ParseComment(body)
	if !ok || r.Commit != head || len(r.Plans) != 1 || r.Plans["dev"].Fingerprint != fp1 || r.Plans["dev"].Run != "20261201-091500-aaaaaa" {
		t.Fatalf("ParseComment = %+v, %v", r, ok)
	}
	if _, ok := ParseComment("LGTM"); ok {
		t.Error("a plain comment parsed as a plan comment")
	}
	// A huge review is cut, the markers stay.
	big := Comment(head, []string{SectionMarkdown(Section{Env: "dev", Run: "r", Fingerprint: fp1, Planned: true, Review: strings.Repeat("x", 100000)})})
	if len(big) > CommentLimit+200 || !strings.Contains(big, "Truncated") {
		t.Errorf("big comment: %d bytes", len(big))
	}
	if r, _ := ParseComment(big); r.Plans["dev"].Fingerprint != fp1 {
		t.Error("truncation lost the fingerprint")
	}
}

func TestFindReviewed(t *testing.T) {
	t.Parallel()
	good := Comment(head, []string{SectionMarkdown(Section{Env: "prod", Run: "r2", Fingerprint: fp1, Planned: true, Review: "ok"})})
	older := Comment(head, []string{SectionMarkdown(Section{Env: "prod", Run: "r1", Fingerprint: "sha256:" + strings.Repeat("cd", 32), Planned: true, Review: "ok"})})
	stale := Comment("0d4c7e9a8b1f2c3d4e5f60718293a4b5c6d7e8f9", []string{SectionMarkdown(Section{Env: "prod", Run: "r0", Fingerprint: fp1, Planned: true})})
	bot := &User{Login: BotLogin, Type: "Bot"}
	ana := &User{Login: "ana", Type: "User"}
	merged := "2026-12-01T11:30:00Z"
	pr := &PullRequest{Number: 42, Head: Branch{SHA: head}, Base: Branch{Ref: "main"}, MergedAt: &merged}
	tests := []struct {
		name     string
		comments []IssueComment
		wantRun  string
		wantErr  string
	}{
		{name: "the latest bot comment", comments: []IssueComment{{Body: older, User: bot}, {Body: "LGTM", User: ana}, {Body: good, User: bot}}, wantRun: "r2"},
		{name: "a person's forged comment does not count", comments: []IssueComment{{Body: older, User: bot}, {Body: good, User: ana}}, wantRun: "r1"},
		{name: "no plan comment", comments: []IssueComment{{Body: "LGTM", User: ana}}, wantErr: "has no vigil plan comment"},
		{name: "forged only", comments: []IssueComment{{Body: good, User: ana}}, wantErr: "has no vigil plan comment"},
		{name: "planned for an older head", comments: []IssueComment{{Body: good, User: bot}, {Body: stale, User: bot}}, wantErr: "the last push was never planned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FindReviewed(pr, tt.comments)
			if tt.wantErr != "" {
				var re *RefusedError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a refusal containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.PR != 42 || r.Plans["prod"].Run != tt.wantRun {
				t.Fatalf("FindReviewed = %+v, %v; want run %s", r, err, tt.wantRun)
			}
		})
	}
}

func TestMergedPR(t *testing.T) {
	t.Parallel()
	at := "2026-12-01T11:30:00Z"
	prs := []PullRequest{{Number: 7, Base: Branch{Ref: "main"}}, {Number: 8, Base: Branch{Ref: "release"}, MergedAt: &at}, {Number: 9, Base: Branch{Ref: "main"}, MergedAt: &at}}
	if p, err := MergedPR(prs, "main", "c3d2"); err != nil || p.Number != 9 {
		t.Fatalf("MergedPR = %+v, %v", p, err)
	}
	if _, err := MergedPR(prs[:2], "main", "c3d2e1f0a9b8c7d6"); err == nil || !strings.Contains(err.Error(), "c3d2e1f0a9b8 reached main without a merged pull request") {
		t.Fatalf("no merged PR: %v", err)
	}
}

func TestApproverFor(t *testing.T) {
	t.Parallel()
	as := []Approval{
		{State: "approved", User: &User{Login: "bob"}, Environments: []Environment{{Name: "staging"}}},
		{State: "rejected", User: &User{Login: "eve"}, Environments: []Environment{{Name: "prod"}}},
		{State: "approved", User: &User{Login: "carol"}, Comment: "ship it", Environments: []Environment{{Name: "prod"}}},
	}
	tests := []struct {
		env, want, wantErr string
	}{
		{env: "prod", want: "carol"},
		{env: "staging", want: "bob"},
		{env: "dev", wantErr: "no reviewer approved"},
	}
	for _, tt := range tests {
		got, _, err := ApproverFor(as, tt.env)
		if tt.wantErr != "" {
			if !errors.Is(err, ErrNoApproval) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v", tt.env, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ApproverFor = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}

// TestClient drives the API client against a loopback server that checks
// the token and pages the comments.
func TestClient(t *testing.T) {
	t.Parallel()
	const token = "ghs_s3cr3tT0ken"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials"}`)
			return
		}
		switch {
		case r.URL.Path == "/repos/acme/infra/commits/c3d2/pulls":
			fmt.Fprint(w, `[{"number":42,"merged_at":"2026-12-01T11:30:00Z","head":{"ref":"x","sha":"`+head+`"},"base":{"ref":"main","sha":"b"}}]`)
		case r.URL.Path == "/repos/acme/infra/issues/42/comments":
			page := r.URL.Query().Get("page")
			if page == "1" {
				w.Header().Set("Link", `<`+"http://"+r.Host+r.URL.Path+`?page=2>; rel="next"`)
				var cs []string
				for i := range 100 {
					cs = append(cs, fmt.Sprintf(`{"id":%d,"body":"c%d","user":{"login":"ana"}}`, i, i))
				}
				fmt.Fprint(w, "["+strings.Join(cs, ",")+"]")
				return
			}
			fmt.Fprint(w, `[{"id":1000,"body":"last","user":{"login":"github-actions[bot]"}}]`)
		case r.URL.Path == "/repos/acme/infra/actions/runs/77/approvals":
			fmt.Fprint(w, `[{"state":"approved","user":{"login":"carol"},"environments":[{"name":"prod"}]}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found"}`)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(srv.URL+"/", token, nil)
	prs, err := c.PullsForCommit(ctx, "acme/infra", "c3d2")
	if err != nil || len(prs) != 1 || prs[0].Number != 42 {
		t.Fatalf("PullsForCommit = %+v, %v", prs, err)
	}
	cs, err := c.IssueComments(ctx, "acme/infra", 42)
	if err != nil || len(cs) != 101 || cs[100].Body != "last" {
		t.Fatalf("IssueComments: %d, %v", len(cs), err)
	}
	as, err := c.RunApprovals(ctx, "acme/infra", "77")
	if err != nil || len(as) != 1 || as[0].User.Login != "carol" {
		t.Fatalf("RunApprovals = %+v, %v", as, err)
	}
	_, err = c.RunApprovals(ctx, "acme/infra", "78")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("missing run: %v", err)
	}
	bad := NewClient(srv.URL, "wrong-"+token, nil)
	_, err = bad.PullsForCommit(ctx, "acme/infra", "c3d2")
	if err == nil || !strings.Contains(err.Error(), "401 Bad credentials") || strings.Contains(err.Error(), token) {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := c.PullsForCommit(ctx, "noslash", "x"); err == nil {
		t.Fatal("a repository without owner accepted")
	}
}

func TestStickyComment(t *testing.T) {
	t.Parallel()
	bot := &User{Login: BotLogin, Type: "Bot"}
	ana := &User{Login: "ana", Type: "User"}
	plan := Comment(head, nil)
	tests := []struct {
		name     string
		comments []IssueComment
		wantID   int64 // 0: none, create one
	}{
		{name: "none yet", comments: []IssueComment{{ID: 1, Body: "LGTM", User: ana}}},
		{name: "the bot's", comments: []IssueComment{{ID: 1, Body: "LGTM", User: ana}, {ID: 2, Body: plan, User: bot}}, wantID: 2},
		{name: "the latest of the bot's", comments: []IssueComment{{ID: 2, Body: plan, User: bot}, {ID: 3, Body: plan, User: bot}}, wantID: 3},
		{name: "a person's copy is never edited", comments: []IssueComment{{ID: 2, Body: plan, User: bot}, {ID: 4, Body: plan, User: ana}}, wantID: 2},
		{name: "another bot comment", comments: []IssueComment{{ID: 5, Body: "coverage 81%", User: bot}}},
		{name: "no user", comments: []IssueComment{{ID: 6, Body: plan}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := StickyComment(tt.comments)
			if (got == nil && tt.wantID != 0) || (got != nil && got.ID != tt.wantID) {
				t.Errorf("StickyComment = %+v, want id %d", got, tt.wantID)
			}
		})
	}
}

func TestCheckSection(t *testing.T) {
	t.Parallel()
	ok := SectionMarkdown(Section{Env: "prod", Run: "r1", Fingerprint: fp1, Planned: true, Review: "review"})
	tests := []struct {
		name, env, text, wantErr string
	}{
		{name: "its own", env: "prod", text: ok},
		{name: "failed plan", env: "prod", text: SectionMarkdown(Section{Env: "prod", Review: "did not run"})},
		{name: "another environment's file", env: "dev", text: ok, wantErr: `does not start with its heading "### dev"`},
		{name: "a fingerprint of another environment", env: "dev", text: "### dev\n" + FingerprintMarker("prod", "r1", fp1) + "\n", wantErr: "carries a fingerprint of prod"},
		{name: "the comment's markers", env: "dev", text: "### dev\n" + CommitMarker(head) + "\n", wantErr: "the comment's own markers"},
		{name: "empty", env: "dev", text: "", wantErr: "does not start with its heading"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckSection(tt.env, tt.text)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("CheckSection = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestClientComments(t *testing.T) {
	t.Parallel()
	const token = "ghs_s3cr3tT0ken"
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/infra/issues/42/comments":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":7,"html_url":"https://github.com/acme/infra/pull/42#issuecomment-7","body":"x","user":{"login":"github-actions[bot]"}}`)
		case r.Method == http.MethodPatch && r.URL.Path == "/repos/acme/infra/issues/comments/7":
			fmt.Fprint(w, `{"id":7,"body":"y"}`)
		default:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(srv.URL, token, nil)
	created, err := c.CreateComment(ctx, "acme/infra", 42, "x\n<!-- vigil-plan -->")
	if err != nil || created.ID != 7 || created.HTMLURL == "" {
		t.Fatalf("CreateComment = %+v, %v", created, err)
	}
	updated, err := c.UpdateComment(ctx, "acme/infra", 7, "y")
	if err != nil || updated.ID != 7 {
		t.Fatalf("UpdateComment = %+v, %v", updated, err)
	}
	want := []string{`POST /repos/acme/infra/issues/42/comments {"body":"x\n\u003c!-- vigil-plan --\u003e"}`, `PATCH /repos/acme/infra/issues/comments/7 {"body":"y"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, err = c.UpdateComment(ctx, "acme/infra", 8, "y")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Method != http.MethodPatch || ae.Status != 403 || strings.Contains(err.Error(), token) {
		t.Fatalf("a refused update: %v", err)
	}
}
