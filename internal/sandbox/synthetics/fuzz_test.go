package synthetics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/sandbox/synthetics"
)

var fuzzMethods = []string{"GET", "PUT", "POST", "DELETE", "PATCH"}

// FuzzSyntheticsREST sends arbitrary requests to the Synthetics service:
// no panic, no 500; errors are REST-JSON errors with X-Amzn-ErrorType, 4xx
// or 501 NotImplemented.
func FuzzSyntheticsREST(f *testing.F) {
	seeds := []struct {
		method      byte
		path, query string
		body        string
	}{
		{2, "/canary", "", `{"Name":"c","Code":{"Handler":"a.handler","ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},"ArtifactS3Location":"s3://b/","ExecutionRoleArn":"arn:aws:iam::123456789012:role/r","Schedule":{"Expression":"rate(0 minute)"},"RuntimeVersion":"syn-nodejs-puppeteer-9.1"}`},
		{2, "/canary", "", `{"Name":`},
		{0, "/canary/c", "", ""},
		{4, "/canary/c", "", `{"RunConfig":{"MemoryInMB":961},"Schedule":{"Expression":"cron(0 * * * ? *)"}}`},
		{2, "/canary/c/start", "", ""},
		{2, "/canary/c/runs", "", `{"MaxResults":0}`},
		{3, "/canary/c", "deleteLambda=true", ""},
		{2, "/canaries", "", `{"Names":["a","b"],"MaxResults":21}`},
		{2, "/tags/arn%3Aaws%3Asynthetics%3Aus-east-1%3A123456789012%3Acanary%3Ac", "", `{"Tags":{"a":"b"}}`},
		{3, "/tags/arn%3Aaws%3Asynthetics%3Aus-east-1%3A123456789012%3Agroup%3Ag", "tagKeys=a", ""},
		{2, "/groups", "", "{}"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, []byte(s.body))
	}
	st, err := state.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	svc := synthetics.New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	f.Fuzz(func(t *testing.T, m byte, path, query string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := (&http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: "127.0.0.1:4566",
			Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}).WithContext(context.Background())
		rec := httptest.NewRecorder()
		svc.Handle(rec, &service.Request{HTTP: r, Service: "synthetics", Region: "us-east-1", RequestID: protocol.NewRequestID()})
		switch {
		case rec.Code >= 200 && rec.Code < 300:
			return
		case rec.Code >= 400 && rec.Code < 500, rec.Code == http.StatusNotImplemented:
		default:
			t.Fatalf("%s %s: status %d: %s", method, path, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Amzn-ErrorType") == "" || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: error %d is not a REST-JSON error: %q", method, path, rec.Code, rec.Body)
		}
	})
}
