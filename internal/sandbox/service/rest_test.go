package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

func TestRESTRouting(t *testing.T) {
	t.Parallel()
	echo := func(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
		return service.RESTResult{Status: http.StatusCreated, Body: map[string]any{"path": c.Path, "q": c.Query.Get("q"), "body": string(c.Body), "op": r.Operation}}, nil
	}
	rest := &service.REST{ServiceName: "demo", Routes: []service.RESTRoute{
		{Method: "POST", Path: "/v1/things/{Name}", Op: "CreateThing", Handler: echo},
		{Method: "GET", Path: "/v1/things/{Name}/parts/{Part}", Op: "GetPart", Handler: echo},
		{Method: "DELETE", Path: "/v1/things/{Name}", Op: "DeleteThing"},
	}}
	tests := []struct {
		name, method, target, body string
		status                     int
		errType                    string
		want                       string
	}{
		{"match with body", "POST", "/v1/things/a?q=1", "hi", 201, "", `{"body":"hi","op":"CreateThing","path":{"Name":"a"},"q":"1"}`},
		{"labels unescaped", "GET", "/v1/things/arn%3Aaws%3Ax%2Fy/parts/p%20q", "", 201, "", `{"body":"","op":"GetPart","path":{"Name":"arn:aws:x/y","Part":"p q"},"q":""}`},
		{"not implemented", "DELETE", "/v1/things/a", "", 501, "NotImplemented", ""},
		{"wrong method", "PUT", "/v1/things/a", "", 404, "UnknownOperationException", ""},
		{"unknown path", "GET", "/v2/x", "", 404, "UnknownOperationException", ""},
		{"empty label", "POST", "/v1/things/", "", 404, "UnknownOperationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "http://sandbox"+tt.target, strings.NewReader(tt.body))
			rec := httptest.NewRecorder()
			rest.Handle(rec, &service.Request{HTTP: r, RequestID: "rid"})
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("X-Amzn-ErrorType"); got != tt.errType {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tt.errType)
			}
			if tt.want != "" {
				var got any
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(got)
				if string(b) != tt.want {
					t.Errorf("body = %s, want %s", b, tt.want)
				}
			}
		})
	}
}
