package lambda_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/lambda"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

var fuzzMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"}

// direct drives the Lambda service without a network.
func direct(t testing.TB) func(method, path, query string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := lambda.New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	return func(method, path, query string, body []byte) *httptest.ResponseRecorder {
		r := (&http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: "127.0.0.1:4566",
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
		}).WithContext(context.Background())
		rec := httptest.NewRecorder()
		svc.Handle(rec, &service.Request{HTTP: r, Service: "lambda", Region: "us-east-1", RequestID: protocol.NewRequestID()})
		return rec
	}
}

// FuzzLambdaREST sends arbitrary methods, paths, queries and bodies to the
// Lambda service: it never panics or answers 500; every error is a
// REST-JSON error with X-Amzn-ErrorType, a 4xx, or 501 NotImplemented.
func FuzzLambdaREST(f *testing.F) {
	zip := base64.StdEncoding.EncodeToString(makeZip(f, "x"))
	seeds := []struct {
		method      byte
		path, query string
		body        string
	}{
		{2, "/2015-03-31/functions", "", `{"FunctionName":"fz","Runtime":"provided.al2023","Handler":"bootstrap","Role":"arn:aws:iam::123456789012:role/r","Code":{"ZipFile":"` + zip + `"}}`},
		{2, "/2015-03-31/functions", "", `{"FunctionName":"fz","Code":{"ZipFile":"!!!"}}`},
		{2, "/2015-03-31/functions", "", `{"Timeout":"x"`},
		{0, "/2015-03-31/functions", "MaxItems=0&Marker=zz&FunctionVersion=ALL", ""},
		{0, "/2015-03-31/functions/fz", "Qualifier=$LATEST", ""},
		{0, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afz%3A1", "", ""},
		{1, "/2015-03-31/functions/fz/configuration", "", `{"Timeout":10,"Environment":{"Variables":{"A":"b"}},"LoggingConfig":{"LogFormat":"JSON"}}`},
		{1, "/2015-03-31/functions/fz/code", "", `{"ZipFile":"` + zip + `","Publish":true,"DryRun":true}`},
		{0, "/2015-03-31/functions/fz/code", "Qualifier=1&Region=eu-west-1", ""},
		{2, "/2015-03-31/functions/fz/versions", "", `{"CodeSha256":"x"}`},
		{2, "/2015-03-31/functions/fz/aliases", "", `{"Name":"live","FunctionVersion":"$LATEST","RoutingConfig":{"AdditionalVersionWeights":{"1":2}}}`},
		{1, "/2015-03-31/functions/fz/aliases/live", "", `{"RoutingConfig":{}}`},
		{2, "/2015-03-31/functions/fz/policy", "Qualifier=live", `{"StatementId":"s","Action":"lambda:InvokeFunction","Principal":"events.amazonaws.com"}`},
		{3, "/2015-03-31/functions/fz/policy/s", "RevisionId=x", ""},
		{1, "/2019-09-25/functions/fz/event-invoke-config", "", `{"MaximumRetryAttempts":2,"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sns:us-east-1:123456789012:t"}}}`},
		{1, "/2017-10-31/functions/fz/concurrency", "", `{"ReservedConcurrentExecutions":-1}`},
		{2, "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afz", "", `{"Tags":{"a":"b"}}`},
		{3, "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afz", "tagKeys=a&tagKeys=b", ""},
		{2, "/2015-03-31/functions/fz/invocations", "", `{}`},
		{0, "/2016-08-19/account-settings", "", ""},
		{0, "/2015-03-31/functions/%zz", "", ""},
		{5, "/", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, []byte(s.body))
	}
	serve := direct(f)
	f.Fuzz(func(t *testing.T, m byte, path, query string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		rec := serve(method, path, query, body)
		switch {
		case rec.Code >= 200 && rec.Code < 300:
			return
		case rec.Code >= 400 && rec.Code < 500, rec.Code == http.StatusNotImplemented:
		default:
			t.Fatalf("%s %s?%s %q: status %d: %s", method, path, query, body, rec.Code, rec.Body)
		}
		code := rec.Header().Get("X-Amzn-ErrorType")
		if code == "" {
			t.Fatalf("%s %s: error %d without X-Amzn-ErrorType", method, path, rec.Code)
		}
		if rec.Code == http.StatusNotImplemented && code != "NotImplemented" {
			t.Fatalf("%s %s: 501 with code %s", method, path, code)
		}
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["message"] == nil {
			t.Fatalf("%s %s: error body is not a JSON error: %q", method, path, rec.Body)
		}
	})
}
