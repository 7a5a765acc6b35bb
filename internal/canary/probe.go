package canary

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is one run of one canary: what the Sink stores and the metrics
// count.
type Result struct {
	Canary      string        `json:"canary"`
	Environment string        `json:"environment,omitempty"`
	Time        time.Time     `json:"time"`    // when the run started (the runner's clock)
	Latency     time.Duration `json:"latency"` // request to last body byte (real time)
	Status      int           `json:"status"`  // 0: no response
	OK          bool          `json:"ok"`
	// Failed lists the conditions that did not hold, each with what was
	// observed: `status == 200 (status = 500)`.
	Failed []string `json:"failed,omitempty"`
	// Error is why there was no response (timeout, refused, TLS), URL
	// redacted.
	Error string `json:"error,omitempty"`
	// CertExpires is the leaf certificate's NotAfter (HTTPS only).
	CertExpires time.Time `json:"cert_expires,omitzero"`
	// Reason is a stable text of why it failed (conditions without
	// observed values, or the error class): what the state machine
	// compares to decide on an update.
	Reason string `json:"reason,omitempty"`
}

// prober runs checks over shared transports (one per TLS setting), so
// connections to the same host are reused across canaries.
type prober struct {
	maxConnsPerHost int
	mu              sync.Mutex
	transports      map[*tls.Config]*http.Transport
	plain           *http.Transport
}

func newProber(maxConnsPerHost int) *prober {
	return &prober{maxConnsPerHost: maxConnsPerHost, transports: map[*tls.Config]*http.Transport{}}
}

func (p *prober) transport(tc *tls.Config) *http.Transport {
	p.mu.Lock()
	defer p.mu.Unlock()
	if tc == nil {
		if p.plain == nil {
			p.plain = p.newTransport(nil)
		}
		return p.plain
	}
	t := p.transports[tc]
	if t == nil {
		t = p.newTransport(tc)
		p.transports[tc] = t
	}
	return t
}

func (p *prober) newTransport(tc *tls.Config) *http.Transport {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, p.maxConnsPerHost*4),
		MaxIdleConnsPerHost:   max(2, p.maxConnsPerHost),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tc,
	}
	return t
}

func (p *prober) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plain != nil {
		p.plain.CloseIdleConnections()
	}
	for _, t := range p.transports {
		t.CloseIdleConnections()
	}
}

// probe runs one check at now (the clock's time) and evaluates its
// conditions.
func (p *prober) probe(ctx context.Context, c *Check, now time.Time) Result {
	res := Result{Canary: c.Name, Environment: c.Environment, Time: now}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, body)
	if err != nil {
		res.Error = "build request: " + redactErr(err, c.URL)
		res.Reason = "error: bad request"
		return res
	}
	req.Header = c.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "vigil-canary/1")
	}
	client := &http.Client{Transport: p.transport(c.TLS)}
	if !c.FollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	start := time.Now()
	resp, err := client.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(resp.Body, c.MaxBody))
		// Drain a little more so the connection can be reused; then close.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}
	res.Latency = time.Since(start)
	if err != nil {
		class := errorClass(ctx, err, c.Timeout)
		res.Error = redactErr(err, c.URL)
		res.Reason = "error: " + class
		res.Failed = []string{"request failed: " + class}
		return res
	}
	res.Status = resp.StatusCode
	r := &Response{Status: resp.StatusCode, Latency: res.Latency, Body: data, Header: resp.Header, Now: now}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.Cert = resp.TLS.PeerCertificates[0]
		res.CertExpires = r.Cert.NotAfter
	}
	var reasons []string
	for _, cond := range c.Conditions {
		ok, explain := cond.Eval(r)
		if ok {
			continue
		}
		msg := cond.String()
		if explain != "" {
			msg += " (" + explain + ")"
		}
		res.Failed = append(res.Failed, msg)
		reasons = append(reasons, cond.String())
	}
	res.OK = len(res.Failed) == 0
	if !res.OK {
		res.Reason = strings.Join(reasons, "; ")
	}
	return res
}

// errorClass is a stable description of a request error: the same outage
// gives the same text (no ports, no addresses), so an alert is not
// "updated" on every run.
func errorClass(ctx context.Context, err error, timeout time.Duration) string {
	var ne net.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout after %s", timeout)
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "DNS: no such host " + dnsErr.Name
		}
		return "DNS lookup failed for " + dnsErr.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &certErr):
		return "TLS: " + addrRe.ReplaceAllString(certErr.Err.Error(), "")
	case errors.As(err, &recErr):
		return "TLS: the server does not speak TLS"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a full response"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return addrRe.ReplaceAllString(err.Error(), "")
}

var addrRe = regexp.MustCompile(`\s*\S*\d+\.\d+\.\d+\.\d+:\d+(->\S+)?|\s*\[[0-9a-f:]+\]:\d+`)

// redactErr is err's text with the URL (which may hold tokens) shown
// redacted.
func redactErr(err error, raw string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %s: %v", ue.Op, redactURL(raw), ue.Err)
	}
	return strings.ReplaceAll(err.Error(), raw, redactURL(raw))
}
