// Package alerttest holds tests every alert sink runs, like
// Alertmanager's notify/test: the retry table (each HTTP status and
// whether the sink should retry), an alert carrying planted secrets, and
// AssertNotifyLeaksNoSecret.
package alerttest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
)

// testingT is the part of testing.TB the helpers use, so they are
// testable themselves.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// RetryCase is one row of the retry table.
type RetryCase struct {
	Status    int
	WantErr   bool
	WantRetry bool
}

// RetryCases is the retry table for a sink: every status from 200 to 599
// that net/http knows; ok codes (default: any 2xx) succeed; 5xx and
// retryCodes fail with retry; every other code fails without.
func RetryCases(ok []int, retryCodes ...int) []RetryCase {
	in := func(c int, list []int) bool {
		for _, x := range list {
			if x == c {
				return true
			}
		}
		return false
	}
	var out []RetryCase
	for code := 200; code < 600; code++ {
		if http.StatusText(code) == "" {
			continue
		}
		success := in(code, ok) || len(ok) == 0 && code/100 == 2
		c := RetryCase{Status: code, WantErr: !success}
		if !success {
			c.WantRetry = code/100 == 5 || in(code, retryCodes)
		}
		out = append(out, c)
	}
	return out
}

// ExerciseRetry runs the retry table against a sink: newSink gets the URL
// of a server answering each status in turn (no Retry-After).
func ExerciseRetry(t *testing.T, newSink func(url string) alert.Sink, cases []RetryCase) {
	t.Helper()
	var mu sync.Mutex
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		s := status
		mu.Unlock()
		w.WriteHeader(s)
	}))
	t.Cleanup(srv.Close)
	sink := newSink(srv.URL)
	for _, tc := range cases {
		mu.Lock()
		status = tc.Status
		mu.Unlock()
		retry, err := sink.Send(context.Background(), Alert())
		if (err != nil) != tc.WantErr {
			t.Errorf("status %d: err = %v, want error %v", tc.Status, err, tc.WantErr)
		}
		if retry != tc.WantRetry {
			t.Errorf("status %d: retry = %v, want %v", tc.Status, retry, tc.WantRetry)
		}
	}
}

// Planted secrets in Alert's text: the last secret pass must mask each.
const (
	SecretAWSKeyID     = "AKIAIOSFODNN7EXAMPLE"
	SecretAWSSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	SecretPassword     = "hunter2-correct-horse"
	SecretToken        = "xoxb-123456789012-abcdefABCDEF"
	SecretPrivateKey   = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
)

// DetailSecrets lists the planted secrets.
func DetailSecrets() []string {
	return []string{SecretAWSKeyID, SecretAWSSecretKey, SecretPassword, SecretToken, SecretPrivateKey}
}

// Alert is a firing drift alert, as a drift sweep would raise it.
func Alert() alert.Alert {
	return alert.Alert{
		Status:      alert.StatusFiring,
		Kind:        alert.KindDrift,
		Severity:    alert.SeverityWarning,
		Environment: "dev",
		Layer:       "observability",
		Stack:       "dev/observability",
		Resource:    "aws_cloudwatch_metric_alarm.alb_5xx",
		Summary:     "changed out of band: threshold 25 → 50",
		Details:     []alert.Detail{{Key: "threshold", Value: "25 → 50"}},
		RunbookURL:  "https://example.com/runbooks/alb-target-5xx.md",
		FirstStep:   "Run vigil drift --stack dev/observability and decide: revert or codify.",
		StartsAt:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Labels:      map[string]string{"team": "sre"},
	}
}

// AlertWithSecrets is Alert with secrets planted in the summary, details
// and labels.
func AlertWithSecrets() alert.Alert {
	a := Alert()
	a.Summary += " (key " + SecretAWSKeyID + ")"
	a.Details = append(a.Details,
		alert.Detail{Key: "user_data", Value: "export AWS_SECRET_ACCESS_KEY=" + SecretAWSSecretKey},
		alert.Detail{Key: "master_password", Value: SecretPassword},
		alert.Detail{Key: "env", Value: "SLACK=" + SecretToken},
		alert.Detail{Key: "tls", Value: "-----BEGIN PRIVATE KEY-----\n" + SecretPrivateKey + "\n-----END PRIVATE KEY-----"},
	)
	a.Labels["api_token"] = SecretPassword
	return a
}

// Request is what a test server saw.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   string
}

// Recorder is an httptest server that records requests and answers with
// a status (and an optional body) set per test.
type Recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	status   int
	body     string
	header   http.Header
	echo     bool
}

// NewRecorder starts a recording server answering status.
func NewRecorder(t testingT, status int) *Recorder {
	t.Helper()
	r := &Recorder{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, Request{Method: req.Method, URL: req.URL.String(), Header: req.Header.Clone(), Body: string(b)})
		status, body, header := r.status, r.body, r.header
		if r.echo {
			body = "got " + req.URL.String() + " " + string(b)
		}
		r.mu.Unlock()
		for k, vs := range header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(r.Close)
	return r
}

// Answer sets the next answers: status, body and headers.
func (r *Recorder) Answer(status int, body string, header http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.body, r.header = status, body, header
}

// Requests returns the requests seen so far.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// AssertNotifyLeaksNoSecret sends AlertWithSecrets through the sink that
// newSink builds for a server URL, against a server answering 200/202,
// 400 echoing the request, 500 and none at all (closed), and fails the
// test if:
//
//   - a planted secret (DetailSecrets) reaches a request (URL, headers or
//     body), or
//   - a config secret appears in an error, or in a request anywhere but
//     where the sink must put it: configSecrets maps "name@part" to the
//     value, part being where it belongs ("url@url" for a webhook URL,
//     "routing_key@body" for a PagerDuty key; a plain "secret" for an HMAC
//     key, which goes nowhere).
//
// The alert goes through alert.Scrub first, as the Dispatcher does before
// any sink sees an alert.
func AssertNotifyLeaksNoSecret(t *testing.T, newSink func(url string) alert.Sink, configSecrets map[string]string) {
	t.Helper()
	for _, tc := range []struct {
		name   string
		status int
		echo   bool
		closed bool
	}{
		{name: "ok", status: http.StatusOK},
		{name: "accepted", status: http.StatusAccepted},
		{name: "bad request echoing", status: http.StatusBadRequest, echo: true},
		{name: "server error", status: http.StatusInternalServerError, echo: true},
		{name: "connection refused", closed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := NewRecorder(t, tc.status)
			// Echo: a receiver that quotes what it got, secrets and all.
			rec.echo = tc.echo
			u := rec.URL
			if tc.closed {
				rec.Close()
			}
			sink := newSink(u)
			a := alert.Scrub(AlertWithSecrets())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := sink.Send(ctx, a)
			if err != nil {
				for name, s := range configSecrets {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error leaks config secret %s: %v", name, err)
					}
				}
				for _, s := range DetailSecrets() {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error leaks planted secret %q: %v", s, err)
					}
				}
			}
			for _, r := range rec.Requests() {
				where := map[string]string{"url": r.URL, "header": flatten(r.Header), "body": r.Body}
				for part, text := range where {
					for _, s := range DetailSecrets() {
						if strings.Contains(text, s) {
							t.Errorf("request %s leaks planted secret %q", part, s)
						}
					}
				}
				for name, s := range configSecrets {
					for part, text := range where {
						if part == allowedPart(name) {
							continue
						}
						if strings.Contains(text, s) {
							t.Errorf("request %s leaks config secret %s", part, name)
						}
					}
				}
			}
		})
	}
}

// allowedPart reads "name@part" keys of configSecrets: "url@url" may be
// in the URL, "routing_key@body" in the body; a plain name nowhere.
func allowedPart(name string) string {
	_, part, _ := strings.Cut(name, "@")
	return part
}

func flatten(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	return b.String()
}
