package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers.
const (
	// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>".
	SignatureHeader = "X-Vigil-Signature"
	// TimestampHeader carries the send time in Unix seconds; the body's
	// sent_at says the same and is covered by the signature, so a receiver
	// can refuse replays.
	TimestampHeader = "X-Vigil-Timestamp"
)

// WebhookConfig configures a generic JSON webhook sink:
//
//	webhook "ops" {
//	  url        = "https://ops.example.com/hooks/vigil" # or url_file, url_env
//	  secret_env = "VIGIL_WEBHOOK_SECRET"                # HMAC key; or secret, secret_file
//	  timeout    = "10s"
//	}
type WebhookConfig struct {
	Name       string            `hcl:"name,label"`
	URL        Secret            `hcl:"url,optional"`
	URLFile    string            `hcl:"url_file,optional"`
	URLEnv     string            `hcl:"url_env,optional"`
	Secret     Secret            `hcl:"secret,optional"`
	SecretFile string            `hcl:"secret_file,optional"`
	SecretEnv  string            `hcl:"secret_env,optional"`
	Headers    map[string]string `hcl:"headers,optional"`
	Timeout    string            `hcl:"timeout,optional"`
}

func (c WebhookConfig) url() SecretRef {
	return SecretRef{Value: c.URL, File: c.URLFile, Env: c.URLEnv}
}
func (c WebhookConfig) secret() SecretRef {
	return SecretRef{Value: c.Secret, File: c.SecretFile, Env: c.SecretEnv}
}

// Validate checks the configuration without reading secret files.
func (c WebhookConfig) Validate() error {
	wrap := func(err error) error { return fmt.Errorf("webhook %q: %w", c.Name, err) }
	if err := checkName(c.Name); err != nil {
		return wrap(err)
	}
	if err := c.url().validate("url", true); err != nil {
		return wrap(err)
	}
	if c.URL != "" {
		if err := checkHTTPURL("url", string(c.URL)); err != nil {
			return wrap(err)
		}
	}
	if err := c.secret().validate("secret", false); err != nil {
		return wrap(err)
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		return wrap(fmt.Errorf("secret must be at least 16 characters"))
	}
	for k := range c.Headers {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Type", "Content-Length", "Host", SignatureHeader, TimestampHeader:
			return wrap(fmt.Errorf("headers: %s is set by vigil", k))
		}
	}
	if _, err := parseDuration("timeout", c.Timeout, defaultTimeout); err != nil {
		return wrap(err)
	}
	return nil
}

// Webhook posts alerts as JSON (WebhookMessage), signed with HMAC-SHA256
// when a secret is configured.
type Webhook struct {
	name    string
	conf    WebhookConfig
	url     string
	secret  []byte
	timeout time.Duration
	opts    SinkOptions
	red     redactor
}

// NewWebhook validates conf, resolves its secrets and returns the sink.
func NewWebhook(conf WebhookConfig, opts SinkOptions) (*Webhook, error) {
	if err := conf.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	u, err := conf.url().resolve("url", opts.Env)
	if err != nil {
		return nil, fmt.Errorf("webhook %q: %w", conf.Name, err)
	}
	if err := checkHTTPURL("url", u); err != nil {
		return nil, fmt.Errorf("webhook %q: %w", conf.Name, err)
	}
	sec, err := conf.secret().resolve("secret", opts.Env)
	if err != nil {
		return nil, fmt.Errorf("webhook %q: %w", conf.Name, err)
	}
	timeout, _ := parseDuration("timeout", conf.Timeout, defaultTimeout)
	w := &Webhook{name: conf.Name, conf: conf, url: u, secret: []byte(sec), timeout: timeout, opts: opts}
	w.red.add(u)
	w.red.add(sec)
	return w, nil
}

// Name is the receiver name.
func (w *Webhook) Name() string { return w.name }

// Integration is "webhook".
func (w *Webhook) Integration() string { return "webhook" }

// Secrets returns the values this sink must never show.
func (w *Webhook) Secrets() []string { return []string{w.url, string(w.secret)} }

// WebhookMessage is the body a webhook receives.
type WebhookMessage struct {
	Version  string    `json:"version"` // "1"
	Receiver string    `json:"receiver"`
	Action   Action    `json:"action"` // trigger, update, resolve
	SentAt   time.Time `json:"sent_at"`
	Alert    Alert     `json:"alert"`
}

// Sign returns the X-Vigil-Signature value for body: "sha256=" and the
// hex HMAC-SHA256 of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a X-Vigil-Signature value in constant time.
func VerifySignature(secret, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// Send posts the alert. 2xx is success; 408, 429 and 5xx are worth
// retrying.
func (w *Webhook) Send(ctx context.Context, a Alert) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	now := w.opts.Now().UTC().Truncate(time.Second)
	msg := WebhookMessage{Version: "1", Receiver: w.name, Action: actionOf(a), SentAt: now, Alert: a}
	body, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("webhook: encode message: %w", err)
	}
	h := http.Header{}
	for k, v := range w.conf.Headers {
		h.Set(k, v)
	}
	h.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	if len(w.secret) > 0 {
		h.Set(SignatureHeader, Sign(w.secret, body))
	}
	resp, retry, err := post(ctx, w.opts.HTTPClient, w.url, "application/json", body, h)
	if err != nil {
		return retry, fmt.Errorf("webhook: %w", err)
	}
	r := Retrier{RetryCodes: []int{http.StatusRequestTimeout, http.StatusTooManyRequests}}
	retry, err = checkResponse(resp, r, &w.red, w.opts.Now())
	if err != nil {
		return retry, fmt.Errorf("webhook: %w", err)
	}
	return false, nil
}
