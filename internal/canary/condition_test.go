package canary_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/canary"
)

func TestParseConditionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src     string
		wantCol int
		wantMsg string
	}{
		{"", 1, "empty condition"},
		{"status = 200", 8, `"=" is not an operator: compare with "=="`},
		{"status == ", 11, "expected a value"},
		{"status 200", 8, `expected an operator after status, found "200"`},
		{"status", 7, "status needs a comparison, such as status == 200"},
		{"latency < 300", 11, "latency is a duration: write a unit, like 300ms"},
		{"status < 3s", 10, "status is a number, not a duration"},
		{`body contains 3`, 15, "body is a string: compare it with a quoted string"},
		{`body matches "(["`, 14, "bad regular expression"},
		{`body matches 3`, 14, "matches needs a quoted regular expression"},
		{`status in 200`, 11, `"in" needs a list, like [200, 204]`},
		{`status in ["a"]`, 11, "the list holds a string, but status is a number"},
		{`status in [200, 204`, 11, `unclosed "["`},
		{`status in []`, 11, "empty list"},
		{`(status == 200`, 1, `unclosed "("`},
		{`status == 200 && `, 18, "expected a value"},
		{`status == 200 latency < 1s`, 15, `unexpected "latency" after a complete condition`},
		{`statuscode == 200`, 1, `unknown value "statuscode"`},
		{`code == 200`, 1, `did you mean "status"?`},
		{`cert.expires == 1h`, 1, "unknown cert.expires"},
		{`header == "x"`, 1, "name the header"},
		{`status.code == 200`, 1, "status has no fields"},
		{`body contains "ok`, 15, "unterminated string"},
		{`status == 200 & latency < 1s`, 15, `use "&&"`},
		{`status == 200 | latency < 1s`, 15, `use "||"`},
		{`status == #`, 11, `unexpected character '#'`},
		{`status not 200`, 12, `expected "in", "contains" or "matches" after "not"`},
		{`len(status) > 1`, 1, "len needs a string or JSON value"},
		{`status == "200"`, 11, `cannot compare status (a number) with a string`},
		{`json.a[x] == 1`, 8, "expected an index or a quoted key"},
		{`cert.expires_in > 48`, 19, "cert.expires_in is a duration"},
		{`200`, 4, "expected an operator after 200"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			_, err := canary.ParseCondition(tt.src)
			var se *canary.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a SyntaxError", err)
			}
			if se.Column != tt.wantCol || !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("column %d %q, want column %d %q", se.Column, se.Msg, tt.wantCol, tt.wantMsg)
			}
			if !strings.Contains(err.Error(), "column ") || !strings.Contains(err.Error(), tt.src) {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestConditionEval(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := func() *canary.Response {
		return &canary.Response{
			Status:  200,
			Latency: 120 * time.Millisecond,
			Body:    []byte(`{"status":"ok","items":[1,2,3],"nested":{"a b":{"c":true}},"count":0,"none":null,"tags":["x","y"],"length":7}`),
			Header:  http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			Cert:    &x509.Certificate{NotAfter: now.Add(72 * time.Hour), Subject: pkix.Name{CommonName: "shop.example.com"}},
			Now:     now,
		}
	}
	tests := []struct {
		src         string
		want        bool
		wantExplain string
	}{
		{"status == 200", true, ""},
		{"status != 200", false, "status = 200"},
		{"status == 500", false, "status = 200"},
		{"status in [200, 204]", true, ""},
		{"status not in [200, 204]", false, "status = 200"},
		{"status >= 200 && status < 300", true, ""},
		{"latency < 300ms", true, ""},
		{"latency < 100ms", false, "latency = 120ms"},
		{"latency <= 0.12s", true, ""},
		{`body contains "ok"`, true, ""},
		{`body contains "error"`, false, ""},
		{`body not contains "error"`, true, ""},
		{`body matches "\"status\":\\s*\"ok\""`, true, ""},
		{`body matches "^\\{"`, true, ""},
		{`json.status == "ok"`, true, ""},
		{`json.status == 'ok'`, true, ""},
		{`json.status == "down"`, false, `json.status = "ok"`},
		{`json.items.length > 0`, true, ""},
		{`json.items.length == 3`, true, ""},
		{`len(json.items) > 0`, true, ""},
		{`len(json.items) > 5`, false, "len(json.items) = 3"},
		{`json.items[0] == 1`, true, ""},
		{`json.items[9] == 1`, false, "json.items[9]: index 9 out of range (length 3)"},
		{`json.nested["a b"].c == true`, true, ""},
		{`json.nested["a b"].c`, true, ""},
		{`!json.nested["a b"].c`, false, ""},
		{`json.length == 7`, true, ""}, // an object's own "length" key wins
		{`json.missing == "x"`, false, "json.missing: no such field"},
		{`json.missing == null`, true, ""},
		{`json.none == null`, true, ""},
		{`json.count == 0`, true, ""},
		{`json.tags contains "y"`, true, ""},
		{`json.tags contains "z"`, false, ""},
		{`header.Content-Type contains "json"`, true, ""},
		{`header.content-type contains "json"`, true, ""},
		{`header.X-Missing contains "x"`, false, "header.X-Missing: no such header"},
		{`cert.expires_in > 48h`, true, ""},
		{`cert.expires_in > 7d`, false, "cert.expires_in = 72h0m0s"},
		{`cert.subject contains "shop"`, true, ""},
		{`body.length > 10`, true, ""},
		{`status == 500 || (latency < 1s && json.status == "ok")`, true, ""},
		{`status == 500 || latency > 1s`, false, "status = 200, latency = 120ms"},
		{`!(status == 200)`, false, "status = 200"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			c, err := canary.ParseCondition(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			ok, explain := c.Eval(resp())
			if ok != tt.want {
				t.Errorf("Eval = %v (%s), want %v", ok, explain, tt.want)
			}
			if tt.wantExplain != "" && explain != tt.wantExplain {
				t.Errorf("explain = %q, want %q", explain, tt.wantExplain)
			}
		})
	}
}

func TestConditionNonJSONAndNoCert(t *testing.T) {
	t.Parallel()
	r := &canary.Response{Status: 502, Body: []byte("<html>bad gateway</html>")}
	tests := []struct {
		src         string
		wantExplain string
	}{
		{`json.status == "ok"`, "json.status: body is not JSON (invalid character '<' looking for beginning of value)"},
		{`cert.expires_in > 48h`, "cert.expires_in: no TLS certificate"},
	}
	for _, tt := range tests {
		ok, explain := canary.MustParseCondition(tt.src).Eval(r)
		if ok || explain != tt.wantExplain {
			t.Errorf("%s: %v %q, want false %q", tt.src, ok, explain, tt.wantExplain)
		}
	}
}
