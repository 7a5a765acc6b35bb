package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func TestSecondServerOnSameDataDirIsRefused(t *testing.T) {
	sb := sandboxtest.Start(t)
	_, err := sandbox.Open(sandbox.Options{DataDir: sb.Dir, Addr: "127.0.0.1:0"})
	var inUse *sandbox.InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second Open on the same dir: err = %v, want InUseError", err)
	}
	if !strings.Contains(err.Error(), sb.URL()) {
		t.Fatalf("error %q does not name the running sandbox %s", err, sb.URL())
	}
}

func TestEnsureUsesRunningSandbox(t *testing.T) {
	ctx := context.Background()
	sb := sandboxtest.Start(t)
	ep, err := sandbox.Ensure(ctx, sandbox.Options{DataDir: sb.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Server != nil || ep.URL != sb.URL() {
		t.Fatalf("Ensure started its own sandbox (%s) instead of using %s", ep.URL, sb.URL())
	}
}

func TestEnsureStartsOneWhenNoneRuns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ep, err := sandbox.Ensure(ctx, sandbox.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Server == nil {
		t.Fatal("Ensure did not start a sandbox")
	}
	if info, ok := sandbox.Running(ctx, dir); !ok || info.URL != ep.URL {
		t.Fatalf("Running = %+v, %v; want %s", info, ok, ep.URL)
	}
	if err := ep.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := sandbox.Running(ctx, dir); ok {
		t.Fatal("Running still reports a sandbox after Close")
	}
	// The data dir is free again.
	ep2, err := sandbox.Ensure(ctx, sandbox.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("restart on the same dir: %v", err)
	}
	_ = ep2.Close(ctx)
}

func TestHealth(t *testing.T) {
	sb := sandboxtest.Start(t)
	resp, err := http.Get(sb.URL() + "/_vigil/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status    string `json:"status"`
		AccountID string `json:"account_id"`
		DataDir   string `json:"data_dir"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.AccountID != sandbox.DefaultAccountID || h.DataDir != sb.Dir {
		t.Fatalf("health = %+v", h)
	}
}

func TestUnknownServiceIsAnHonestError(t *testing.T) {
	sb := sandboxtest.Start(t)
	req, _ := http.NewRequest(http.MethodPost, sb.URL()+"/", strings.NewReader("Action=ListThings"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/nosuchservice/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", resp.StatusCode)
	}
}
