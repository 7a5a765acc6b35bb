package canary

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/alert"
)

// Defaults (Gatus's and CloudWatch Synthetics' choices).
const (
	DefaultInterval         = time.Minute
	DefaultTimeout          = 10 * time.Second
	DefaultFailureThreshold = 3
	DefaultSuccessThreshold = 2
	DefaultMaxBody          = 1 << 20
	// DefaultExpect is the condition of a canary that states none.
	DefaultExpect = "status >= 200 && status < 300"
)

// Check is one canary, ready to run: built from a Config by Build (or
// directly by a caller that has its own configuration).
type Check struct {
	Name        string
	Environment string
	Layer       string

	Method          string
	URL             string
	Header          http.Header // may hold secrets: never logged or alerted
	Body            string
	Timeout         time.Duration
	Interval        time.Duration
	TLS             *tls.Config // nil: system roots, default verification
	FollowRedirects bool
	MaxBody         int64

	Conditions       []*Condition
	FailureThreshold int
	SuccessThreshold int

	Severity   alert.Severity
	RunbookURL string
	FirstStep  string
	Labels     map[string]string
}

// Config is a `canary "name" { … }` block of vigil.hcl, decodable with
// gohcl; Build turns it into a Check.
//
//	canary "checkout" {
//	  url               = "https://shop.example.com/api/health"
//	  every             = "1m"
//	  timeout           = "10s"
//	  expect            = ["status == 200", "latency < 300ms", "json.status == \"ok\""]
//	  failure_threshold = 3
//	  success_threshold = 2
//	  env               = "dev"
//	  layer             = "workload"
//	  severity          = "critical"
//	  runbook           = "https://github.com/acme/infra/blob/main/runbooks/checkout.md"
//	  first_step        = "Check the ALB 5xx dashboard and the last deploy."
//	  headers           = { Accept = "application/json" }
//	  header_env        = { Authorization = "CHECKOUT_CANARY_TOKEN" }
//	  tls { insecure_skip_verify = false }
//	}
type Config struct {
	Name             string            `hcl:"name,label"`
	URL              string            `hcl:"url"`
	Method           string            `hcl:"method,optional"`
	Headers          map[string]string `hcl:"headers,optional"`
	HeaderEnv        map[string]string `hcl:"header_env,optional"`
	Body             string            `hcl:"body,optional"`
	Every            string            `hcl:"every,optional"`
	Timeout          string            `hcl:"timeout,optional"`
	Expect           []string          `hcl:"expect,optional"`
	FailureThreshold *int              `hcl:"failure_threshold,optional"`
	SuccessThreshold *int              `hcl:"success_threshold,optional"`
	FollowRedirects  *bool             `hcl:"follow_redirects,optional"`
	MaxBody          *int64            `hcl:"max_body_bytes,optional"`
	Env              string            `hcl:"env,optional"`
	Layer            string            `hcl:"layer,optional"`
	Severity         string            `hcl:"severity,optional"`
	Runbook          string            `hcl:"runbook,optional"`
	FirstStep        string            `hcl:"first_step,optional"`
	Labels           map[string]string `hcl:"labels,optional"`
	TLS              *TLSConfig        `hcl:"tls,block"`
}

// TLSConfig is a canary's tls block.
type TLSConfig struct {
	InsecureSkipVerify bool   `hcl:"insecure_skip_verify,optional"`
	ServerName         string `hcl:"server_name,optional"`
	CAFile             string `hcl:"ca_file,optional"`
	MinVersion         string `hcl:"min_version,optional"` // "1.2" (default) or "1.3"
}

// BuildOptions are what Build reads besides the block.
type BuildOptions struct {
	// Env looks up header_env variables; default os.LookupEnv.
	Env func(string) (string, bool)
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// Build validates a canary block and returns its Check. Every error names
// the canary and the setting; condition errors carry their column.
func Build(c Config, o BuildOptions) (*Check, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !nameRe.MatchString(c.Name) {
		bad("name: use letters, digits, '-', '_' and '.', at most 128")
	}
	ch := &Check{
		Name: c.Name, Environment: c.Env, Layer: c.Layer, Method: strings.ToUpper(c.Method), URL: c.URL,
		Header: http.Header{}, Body: c.Body, Interval: DefaultInterval, Timeout: DefaultTimeout,
		FollowRedirects: true, MaxBody: DefaultMaxBody,
		FailureThreshold: DefaultFailureThreshold, SuccessThreshold: DefaultSuccessThreshold,
		Severity: alert.SeverityCritical, RunbookURL: c.Runbook, FirstStep: c.FirstStep, Labels: c.Labels,
	}
	if ch.Method == "" {
		ch.Method = http.MethodGet
	}
	switch ch.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		bad("method: %q is not an HTTP method", c.Method)
	}
	if u, err := url.Parse(c.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		bad("url: %q is not an http(s) URL with a host", redactURL(c.URL))
	}
	for k, v := range c.Headers {
		ch.Header.Set(k, v)
	}
	env := o.Env
	if env == nil {
		env = os.LookupEnv
	}
	for k, name := range c.HeaderEnv {
		v, ok := env(name)
		if !ok || v == "" {
			bad("header_env: environment variable %s (for header %s) is not set", name, k)
			continue
		}
		ch.Header.Set(k, v)
	}
	var err error
	if c.Every != "" {
		if ch.Interval, err = parseDuration(c.Every); err != nil || ch.Interval < time.Second {
			bad("every: %q is not a duration of at least 1s (like \"1m\", \"30s\")", c.Every)
		}
	}
	if c.Timeout != "" {
		if ch.Timeout, err = parseDuration(c.Timeout); err != nil || ch.Timeout <= 0 {
			bad("timeout: %q is not a positive duration (like \"10s\")", c.Timeout)
		}
	}
	if ch.Timeout > ch.Interval && ch.Interval > 0 {
		bad("timeout %s is longer than the interval %s: a check would overlap the next", ch.Timeout, ch.Interval)
	}
	if c.FailureThreshold != nil {
		ch.FailureThreshold = *c.FailureThreshold
	}
	if c.SuccessThreshold != nil {
		ch.SuccessThreshold = *c.SuccessThreshold
	}
	if ch.FailureThreshold < 1 || ch.FailureThreshold > 100 {
		bad("failure_threshold: must be 1 to 100, not %d", ch.FailureThreshold)
	}
	if ch.SuccessThreshold < 1 || ch.SuccessThreshold > 100 {
		bad("success_threshold: must be 1 to 100, not %d", ch.SuccessThreshold)
	}
	if c.FollowRedirects != nil {
		ch.FollowRedirects = *c.FollowRedirects
	}
	if c.MaxBody != nil {
		if *c.MaxBody < 0 {
			bad("max_body_bytes: must not be negative")
		}
		ch.MaxBody = *c.MaxBody
	}
	if c.Severity != "" {
		ch.Severity = alert.Severity(c.Severity)
		if !slices.Contains(alert.Severities, ch.Severity) {
			bad("severity: %q is not critical, error, warning or info", c.Severity)
		}
	}
	if c.Runbook != "" {
		if u, err := url.Parse(c.Runbook); err != nil || u.Scheme == "" {
			bad("runbook: %q is not a URL", c.Runbook)
		}
	}
	expect := c.Expect
	if len(expect) == 0 {
		expect = []string{DefaultExpect}
	}
	for i, src := range expect {
		cond, err := ParseCondition(src)
		if err != nil {
			bad("expect[%d]: %w", i, err)
			continue
		}
		ch.Conditions = append(ch.Conditions, cond)
	}
	if c.TLS != nil {
		tc := &tls.Config{InsecureSkipVerify: c.TLS.InsecureSkipVerify, ServerName: c.TLS.ServerName, MinVersion: tls.VersionTLS12} //nolint:gosec // opt-in per canary
		switch c.TLS.MinVersion {
		case "", "1.2":
		case "1.3":
			tc.MinVersion = tls.VersionTLS13
		default:
			bad("tls: min_version %q is not \"1.2\" or \"1.3\"", c.TLS.MinVersion)
		}
		if c.TLS.CAFile != "" {
			pem, err := os.ReadFile(c.TLS.CAFile)
			if err != nil {
				bad("tls: ca_file: %v", err)
			} else {
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					bad("tls: ca_file %s holds no PEM certificate", c.TLS.CAFile)
				}
				tc.RootCAs = pool
			}
		}
		ch.TLS = tc
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("canary %q: %w", c.Name, errors.Join(errs...))
	}
	return ch, nil
}

// Key is the canary's alert fingerprint: "canary/<env>/<name>".
func (c *Check) Key() string { return "canary/" + c.Environment + "/" + c.Name }

// Validate checks a Check built by hand.
func (c *Check) Validate() error {
	switch {
	case !nameRe.MatchString(c.Name):
		return fmt.Errorf("canary %q: bad name", c.Name)
	case c.URL == "":
		return fmt.Errorf("canary %q: no URL", c.Name)
	case c.Interval <= 0 || c.Timeout <= 0:
		return fmt.Errorf("canary %q: interval and timeout must be positive", c.Name)
	case len(c.Conditions) == 0:
		return fmt.Errorf("canary %q: no conditions", c.Name)
	case c.FailureThreshold < 1 || c.SuccessThreshold < 1:
		return fmt.Errorf("canary %q: thresholds must be at least 1", c.Name)
	}
	return nil
}

// redactURL keeps scheme, host and path: query strings and user info may
// hold tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<unparsable URL>"
	}
	out := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?…"
	}
	return out
}
