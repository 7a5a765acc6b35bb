package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// userAgent is sent by every HTTP sink.
const userAgent = "vigil-alert/1"

// maxErrorBody is how much of a failed response's body an error quotes.
const maxErrorBody = 512

// defaultTimeout bounds one HTTP send when a sink's timeout is not set.
const defaultTimeout = 10 * time.Second

// SinkOptions are the dependencies every sink constructor takes. The zero
// value works: a fresh HTTP client, os.LookupEnv, time.Now, no logging.
type SinkOptions struct {
	HTTPClient *http.Client
	Env        Env
	Now        func() time.Time
	Logger     *slog.Logger
}

func (o SinkOptions) withDefaults() SinkOptions {
	if o.HTTPClient == nil {
		// A transport of its own: not http.DefaultTransport, which is
		// process-wide state others may close.
		o.HTTPClient = &http.Client{Transport: newTransport()}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// RetryAfterError is a failure whose receiver said when to try again
// (HTTP 429 with Retry-After). The dispatcher waits at least After before
// the next try.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// StatusError is an HTTP answer a sink did not accept.
type StatusError struct {
	Status int
	Body   string // at most 512 bytes, secrets redacted
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("unexpected status %d %s", e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retrier classifies HTTP answers: success codes (default any 2xx) are
// delivered; 5xx and RetryCodes are worth another try; anything else is
// a permanent failure.
type Retrier struct {
	// OK lists the accepted codes; empty means any 2xx.
	OK []int
	// RetryCodes are non-5xx codes worth retrying (429 for most sinks).
	RetryCodes []int
}

// Check returns whether to retry and the error for a status and body.
func (r Retrier) Check(status int, body io.Reader) (retry bool, err error) {
	if len(r.OK) > 0 && slices.Contains(r.OK, status) || len(r.OK) == 0 && status/100 == 2 {
		return false, nil
	}
	retry = status/100 == 5 || slices.Contains(r.RetryCodes, status)
	var b []byte
	if body != nil {
		b, _ = io.ReadAll(io.LimitReader(body, maxErrorBody))
	}
	return retry, &StatusError{Status: status, Body: strings.TrimSpace(string(b))}
}

// post sends body to u with the given headers and returns the response
// (body open: the caller drains it) or a transport error whose text has
// the URL redacted. Transport errors are worth retrying, unless the
// context ended.
func post(ctx context.Context, c *http.Client, u string, contentType string, body []byte, header http.Header) (*http.Response, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("build request to %s: %w", RedactURL(u), redactURLError(err))
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		retry := ctx.Err() == nil
		return nil, retry, fmt.Errorf("post to %s: %w", RedactURL(u), redactURLError(err))
	}
	return resp, false, nil
}

// drain reads what is left of a response body (bounded) and closes it, so
// the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// redactURLError strips the URL out of a *url.Error, keeping what failed.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// checkResponse applies a Retrier to a response, honours Retry-After on
// 429 and 503, and redacts the sink's secrets from the quoted body.
func checkResponse(resp *http.Response, r Retrier, red *redactor, now time.Time) (bool, error) {
	defer drain(resp)
	retry, err := r.Check(resp.StatusCode, resp.Body)
	if err == nil {
		return false, nil
	}
	var se *StatusError
	if errors.As(err, &se) {
		se.Body = ScrubText(red.redact(se.Body))
	}
	if retry && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
			return true, &RetryAfterError{After: d, Err: err}
		}
	}
	return retry, err
}

// parseDuration parses a configuration duration ("10s"), def when empty.
func parseDuration(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration (like \"10s\", \"1m\")", field, s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s: %q must be positive", field, s)
	}
	return d, nil
}

// checkHTTPURL validates a sink URL without quoting it.
func checkHTTPURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s is not an http(s) URL with a host", field)
	}
	return nil
}
