package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/store"
)

// TestApproveRealRun: a run the pipeline planned with terraform (prod
// needs approval) is refused without a token, with junk, with a reader
// token; an approver token approves it, bound to the run's exact plans,
// with the token's name recorded in the approval and the audit log.
func TestApproveRealRun(t *testing.T) {
	w := newPlannedWorld(t)
	srv := server(t, w.options())
	url := srv.URL + "/api/v1/runs/" + w.run.ID + "/approve"

	// The review is masked: the sensitive default never appears.
	code, body := call(t, "GET", srv.URL+"/api/v1/runs/"+w.run.ID, readerValue, "")
	if code != 200 || !strings.Contains(body, `"approvable": true`) || !strings.Contains(body, "terraform_data.db") {
		t.Fatalf("GET run: %d %s", code, body)
	}
	if strings.Contains(body, secretValue) {
		t.Fatal("the run's review shows the secret")
	}

	for _, tt := range []struct {
		name, token, body string
		want              int
		wantMsg           string
	}{
		{"no token", "", "", 401, "approver role"},
		{"unknown token", "not-a-token-0123456789", "", 401, "not valid"},
		{"reader token", readerValue, "", 403, `viewer\" has the reader role`},
		{"junk body", approverValue, "{not json", 400, "JSON object"},
		{"unknown field", approverValue, `{"comment":"x","by":"mallory"}`, 400, "unknown field"},
	} {
		code, body := call(t, "POST", url, tt.token, tt.body)
		if code != tt.want || !strings.Contains(body, tt.wantMsg) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, code, body, tt.want, tt.wantMsg)
		}
	}
	ctx := context.Background()
	if as, _ := w.st.ApprovalListByRun(ctx, w.run.ID); len(as) != 0 {
		t.Fatalf("refused requests recorded approvals: %+v", as)
	}

	code, body = call(t, "POST", url, approverValue, `{"comment":"reviewed in PR #42"}`)
	if code != http.StatusCreated {
		t.Fatalf("approve: %d %s", code, body)
	}
	var a store.Approval
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if a.By != "token:alice" || a.Binding != w.run.Binding || a.Binding == "" || a.Comment != "reviewed in PR #42" {
		t.Fatalf("approval %+v, run binding %s", a, w.run.Binding)
	}
	events, err := w.st.AuditList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Action != "approve" || last.RunID != w.run.ID || !strings.Contains(string(last.Detail), `"by":"token:alice"`) {
		t.Fatalf("last audit event: %+v %s", last, last.Detail)
	}
	if n, err := w.pl.VerifyAudit(ctx); err != nil || n == 0 {
		t.Fatalf("audit chain after an API approval: %d, %v", n, err)
	}
	code, body = call(t, "GET", srv.URL+"/api/v1/runs/"+w.run.ID, readerValue, "")
	if code != 200 || !strings.Contains(body, `"approval": "approved by token:alice"`) {
		t.Fatalf("run after approval: %d %s", code, body)
	}
	code, body = call(t, "GET", srv.URL+"/api/v1/stacks/prod/base", "", "")
	if code != 401 {
		t.Fatalf("stack without a token: %d %s", code, body)
	}
	code, body = call(t, "GET", srv.URL+"/api/v1/stacks/prod/base", readerValue, "")
	if code != 200 || !strings.Contains(body, `"state": "waiting"`) || !strings.Contains(body, "approved by token:alice") {
		t.Fatalf("stack after approval: %d %s", code, body)
	}
}
