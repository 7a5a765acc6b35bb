package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

var fuzzOps = []string{"PutRule", "DescribeRule", "DeleteRule", "ListRules", "EnableRule", "PutTargets", "RemoveTargets",
	"ListTargetsByRule", "ListRuleNamesByTarget", "CreateEventBus", "DescribeEventBus", "UpdateEventBus", "DeleteEventBus",
	"ListEventBuses", "TagResource", "UntagResource", "ListTagsForResource", "PutEvents", "TestEventPattern"}

// FuzzEventsJSON sends arbitrary bodies to every EventBridge operation: no
// panic, no 500; errors are JSON 1.1 errors with a 4xx status.
func FuzzEventsJSON(f *testing.F) {
	seeds := []struct {
		op   byte
		body string
	}{
		{0, `{"Name":"r","EventPattern":"{\"source\":[\"a\"]}"}`},
		{0, `{"Name":"s","ScheduleExpression":"cron(0/5 8-17 ? * MON-FRI *)"}`},
		{5, `{"Rule":"r","Targets":[{"Id":"t","Arn":"arn:aws:kinesis:us-east-1:123456789012:stream/s","Input":"{"}]}`},
		{5, `{"Rule":"r","Targets":[{"Id":"t","Arn":"arn:aws:sns:us-east-1:123456789012:t","RetryPolicy":{"MaximumRetryAttempts":-1}}]}`},
		{9, `{"Name":"b","Tags":[{"Key":"k","Value":"v"}]}`},
		{14, `{"ResourceARN":"arn:aws:events:us-east-1:123456789012:rule/b/r","Tags":[{"Key":"a","Value":"b"}]}`},
		{17, `{"Entries":[{"Source":"s","DetailType":"d","Detail":"{\"a\":1}","Time":1.7e9,"EventBusName":"b"}]}`},
		{18, `{"EventPattern":"{\"a\":[{\"numeric\":[\">\",1]}]}","Event":"{\"id\":\"1\"}"}`},
		{3, `{"Limit":0}`},
		{0, `[`},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	st, err := state.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	svc := events.New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	f.Fuzz(func(t *testing.T, op byte, body []byte) {
		name := fuzzOps[int(op)%len(fuzzOps)]
		r := (&http.Request{Method: "POST", URL: &url.URL{Path: "/"}, Header: http.Header{"X-Amz-Target": {"AWSEvents." + name}},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}).WithContext(context.Background())
		rec := httptest.NewRecorder()
		svc.Handle(rec, &service.Request{HTTP: r, Service: "events", Region: "us-east-1", RequestID: protocol.NewRequestID()})
		if rec.Code == http.StatusOK {
			return
		}
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", name, body, rec.Code, rec.Body)
		}
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["__type"] == nil {
			t.Fatalf("%s: error body %q", name, rec.Body)
		}
	})
}
