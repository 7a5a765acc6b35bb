package sts_test

import (
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/sandbox/sts"
)

// harness drives the STS service directly, with a clock the test controls.
type harness struct {
	svc *sts.Service
	now time.Time
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := &harness{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.svc = sts.New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return h.now }})
	return h
}

// do sends a form body signed (as far as routing cares) by accessKey.
func (h *harness) do(accessKey, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.svc.Handle(rec, &service.Request{HTTP: r, Service: "sts", Region: "us-east-1", AccessKey: accessKey, RequestID: protocol.NewRequestID()})
	return rec
}

func TestSessionCredentialsExpire(t *testing.T) {
	h := newHarness(t)
	rec := h.do("AKIDSANDBOX", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=900")
	if rec.Code != http.StatusOK {
		t.Fatalf("AssumeRole: %d %s", rec.Code, rec.Body)
	}
	var out struct {
		Result struct {
			Credentials struct {
				AccessKeyID string `xml:"AccessKeyId"`
			} `xml:"Credentials"`
		} `xml:"AssumeRoleResult"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	key := out.Result.Credentials.AccessKeyID
	tests := []struct {
		name     string
		advance  time.Duration
		wantCode int
		wantBody string
	}{
		{"fresh", 0, http.StatusOK, ":assumed-role/r/s1"},
		{"just before expiry", 899 * time.Second, http.StatusOK, ":assumed-role/r/s1"},
		{"expired", time.Second, http.StatusForbidden, "ExpiredToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.now = h.now.Add(tt.advance)
			rec := h.do(key, "Action=GetCallerIdentity&Version=2011-06-15")
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

// FuzzQueryForm throws arbitrary form bodies at STS: the answer is always
// a well-formed XML document, never a 5xx.
func FuzzQueryForm(f *testing.F) {
	seeds := []string{
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1",
		"Action=AssumeRole&RoleArn=arn:aws:iam::123456789012:role/a/b/c&RoleSessionName=x&DurationSeconds=99999999999999999999",
		"Action=AssumeRoleWithWebIdentity&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&WebIdentityToken=a.eyJzdWIiOiJ4IiwiaXNzIjoieSJ9.c",
		"Action=AssumeRoleWithWebIdentity&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&WebIdentityToken=a.bm90IGpzb24.c",
		"Action=GetSessionToken&DurationSeconds=-1&SerialNumber=x",
		"Action=GetAccessKeyInfo&AccessKeyId=",
		"Action=AssumeRole&Tags.member.1.Key=&Tags.member.99999999999999999999.Value=x&PolicyArns.member.1.arn=nope",
		"Action=AssumeRole&Policy=%7B%22a%22%3A",
		"Action=Nope",
		"%zz=%",
		"Action",
		"",
		";;;&&&===",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := h.do("AKIDSANDBOX", body)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var doc struct{ XMLName xml.Name }
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("response for %q is not XML: %v\n%s", body, err, rec.Body)
		}
		if rec.Code >= 400 && doc.XMLName.Local != "ErrorResponse" {
			t.Fatalf("status %d with root %q for %q", rec.Code, doc.XMLName.Local, body)
		}
	})
}
