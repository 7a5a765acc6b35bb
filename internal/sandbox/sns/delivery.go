package sns

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// State namespaces of delivery.
const (
	nsDelivery = "sns/delivery" // queue.Job of deliveryJob
	nsSigning  = "sns/signing"  // "key" → signingDoc
)

// deliveryLog keeps the last 10,000 delivery outcomes.
var deliveryLog = state.Ring{NS: "sns/delivery-log", Keep: 10000}

// Invoker queues an asynchronous (Event) invocation of a Lambda function
// on behalf of an AWS service principal, for a source ARN (the function's
// resource policy must allow it).
type Invoker interface {
	InvokeAsyncFor(ctx context.Context, principal, sourceARN, functionARN string, payload []byte) error
}

// DeliveryOptions configure how SNS delivers. The sandbox server sets
// them (internal/sandbox/delivery.go) before it serves.
type DeliveryOptions struct {
	// BaseURL is the sandbox's URL: SubscribeURL, UnsubscribeURL and
	// SigningCertURL point there.
	BaseURL string
	// Lambda invokes functions subscribed with the lambda protocol.
	Lambda Invoker
	// Clock schedules retries (default: a real-time clock).
	Clock *simclock.Clock
	// HTTPClient posts to http/https endpoints (default: 15 s timeout).
	HTTPClient *http.Client
}

// ConfigureDelivery sets how messages are delivered. Call it before Start.
func (s *Service) ConfigureDelivery(o DeliveryOptions) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.dopts = o
}

func (s *Service) delivery() DeliveryOptions {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	o := s.dopts
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.BaseURL == "" {
		o.BaseURL = "http://sns.sandbox.invalid"
	}
	return o
}

// Start starts delivering (deliveries left from before a restart first).
func (s *Service) Start() {
	s.queue.Start(func() *queue.Queue {
		s.dmu.Lock()
		defer s.dmu.Unlock()
		if s.dopts.Clock == nil {
			s.dopts.Clock = simclock.New()
		}
		return queue.New(s.env.State, nsDelivery, s.dopts.Clock, 8, s.deliver, s.env.Logger)
	})
}

// Close stops delivering; deliveries not finished stay for the next start.
func (s *Service) Close() { s.queue.Close() }

func (s *Service) kick() { s.queue.Kick() }

func (s *Service) logger() *slog.Logger {
	if s.env.Logger != nil {
		return s.env.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// deliveryJob is one message (or a subscription confirmation) for one
// subscription.
type deliveryJob struct {
	SubscriptionARN string   `json:"subscription_arn"`
	Confirm         bool     `json:"confirm,omitempty"`
	Message         *Message `json:"message,omitempty"`
}

// Delivery is the outcome of one delivery, as Deliveries lists them.
type Delivery struct {
	MessageID       string    `json:"message_id"`
	Type            string    `json:"type"` // Notification or SubscriptionConfirmation
	TopicARN        string    `json:"topic_arn"`
	SubscriptionARN string    `json:"subscription_arn"`
	Protocol        string    `json:"protocol"`
	Endpoint        string    `json:"endpoint"`
	Delivered       bool      `json:"delivered"`
	Attempts        int       `json:"attempts"`
	StatusCode      int       `json:"status_code,omitempty"`
	Error           string    `json:"error,omitempty"`
	At              time.Time `json:"at"` // virtual time of the last attempt
}

// Deliveries lists the last 10,000 delivery outcomes, oldest first.
func Deliveries(ctx context.Context, st *state.Store) ([]Delivery, error) {
	return state.RingList[Delivery](ctx, st, deliveryLog)
}

func (s *Service) record(ctx context.Context, d Delivery) {
	err := s.env.State.Update(ctx, func(tx *state.Tx) error { return deliveryLog.Append(tx, d) })
	if err != nil {
		s.logger().Warn("sns: record delivery", "err", err)
	}
	lvl := slog.LevelDebug
	if !d.Delivered {
		lvl = slog.LevelWarn
	}
	s.logger().Log(ctx, lvl, "sns: delivery", "topic", d.TopicARN, "protocol", d.Protocol, "endpoint", d.Endpoint,
		"delivered", d.Delivered, "attempts", d.Attempts, "error", d.Error)
}

// enqueueDeliveries queues the message for every confirmed subscription of
// its topic whose filter policy it passes (in the publishing transaction).
func (s *Service) enqueueDeliveries(tx *state.Tx, m Message) error {
	subs, err := listSubscriptionDocs(tx, m.TopicARN+":")
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if sub.Pending {
			continue
		}
		if ok, err := passesFilter(sub, m); err != nil || !ok {
			continue
		}
		b, err := json.Marshal(deliveryJob{SubscriptionARN: sub.ARN, Message: &m})
		if err != nil {
			return err
		}
		if err := queue.Put(tx, nsDelivery, queue.Job{Kind: "notify", Payload: b}, m.Timestamp); err != nil {
			return err
		}
	}
	return nil
}

// enqueueConfirmation queues the SubscriptionConfirmation of a new http(s)
// subscription.
func (s *Service) enqueueConfirmation(tx *state.Tx, sub subscriptionDoc) error {
	b, err := json.Marshal(deliveryJob{SubscriptionARN: sub.ARN, Confirm: true})
	if err != nil {
		return err
	}
	return queue.Put(tx, nsDelivery, queue.Job{Kind: "confirm", Payload: b}, s.env.Now().UTC())
}

// permanent is a delivery failure not worth retrying.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }

// deliver runs one delivery job.
func (s *Service) deliver(ctx context.Context, j queue.Job) error {
	var dj deliveryJob
	if err := json.Unmarshal(j.Payload, &dj); err != nil {
		return err
	}
	var sub subscriptionDoc
	if err := s.env.State.Get(ctx, nsSubscription, dj.SubscriptionARN, &sub); err != nil {
		if service.IsNotFound(err) {
			return nil // unsubscribed meanwhile: nothing to deliver to
		}
		return &queue.Retry{At: s.now().Add(time.Second), Err: err}
	}
	d := Delivery{TopicARN: sub.TopicARN, SubscriptionARN: sub.ARN, Protocol: sub.Protocol, Endpoint: sub.Endpoint,
		Attempts: j.Attempt + 1, Type: "Notification"}
	var status int
	var err error
	if dj.Confirm {
		d.Type = "SubscriptionConfirmation"
		if !sub.Pending {
			return nil // confirmed meanwhile
		}
		d.MessageID, status, err = s.postConfirmation(ctx, sub)
	} else {
		if sub.Pending {
			return nil
		}
		d.MessageID = dj.Message.MessageID
		status, err = s.notify(ctx, sub, *dj.Message)
	}
	d.StatusCode, d.At = status, s.now()
	if err == nil {
		d.Delivered = true
		s.record(ctx, d)
		return nil
	}
	d.Error = err.Error()
	var p *permanent
	if !errors.As(err, &p) && ctx.Err() == nil {
		if wait, ok := retryDelay(s.deliveryPolicy(ctx, sub), j.Attempt+1); ok {
			return &queue.Retry{At: s.now().Add(wait), Err: err}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.record(ctx, d)
	return err
}

func (s *Service) now() time.Time {
	if c := s.delivery().Clock; c != nil {
		return c.Now().UTC()
	}
	return s.env.Now().UTC()
}

// notify delivers a message to one subscription.
func (s *Service) notify(ctx context.Context, sub subscriptionDoc, m Message) (int, error) {
	text := m.Message
	if m.MessageStructure == "json" {
		var per map[string]string
		_ = json.Unmarshal([]byte(m.Message), &per)
		if v, ok := per[sub.Protocol]; ok {
			text = v
		} else {
			text = per["default"]
		}
	}
	switch sub.Protocol {
	case "http", "https":
		return s.postNotification(ctx, sub, m, text)
	case "lambda":
		inv := s.delivery().Lambda
		if inv == nil {
			return 0, &permanent{errors.New("the sandbox has no Lambda to invoke")}
		}
		rec, err := s.lambdaRecord(ctx, sub, m, text)
		if err != nil {
			return 0, err
		}
		if err := inv.InvokeAsyncFor(ctx, "sns.amazonaws.com", sub.TopicARN, sub.Endpoint, rec); err != nil {
			if pe := protocol.AsError(err); pe.Status >= 400 && pe.Status < 500 && pe.Status != http.StatusTooManyRequests {
				return 0, &permanent{err}
			}
			return 0, err
		}
		return 0, nil
	}
	return 0, &permanent{fmt.Errorf("the vigil sandbox does not deliver to %s endpoints: the message was stored but not delivered", sub.Protocol)}
}

// envelope is the JSON document http(s) endpoints receive, fields in the
// order SNS writes them.
type envelope struct {
	Type              string                   `json:"Type"`
	MessageID         string                   `json:"MessageId"`
	Token             string                   `json:"Token,omitempty"`
	TopicARN          string                   `json:"TopicArn"`
	Subject           *string                  `json:"Subject,omitempty"`
	Message           string                   `json:"Message"`
	SubscribeURL      string                   `json:"SubscribeURL,omitempty"`
	Timestamp         string                   `json:"Timestamp"`
	SignatureVersion  string                   `json:"SignatureVersion"`
	Signature         string                   `json:"Signature"`
	SigningCertURL    string                   `json:"SigningCertURL"`
	UnsubscribeURL    string                   `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]envelopeValue `json:"MessageAttributes,omitempty"`
}

type envelopeValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func attributesOf(m Message) map[string]envelopeValue {
	if len(m.MessageAttributes) == 0 {
		return nil
	}
	out := make(map[string]envelopeValue, len(m.MessageAttributes))
	for k, a := range m.MessageAttributes {
		v := a.StringValue
		if strings.HasPrefix(a.DataType, "Binary") {
			v = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		out[k] = envelopeValue{Type: a.DataType, Value: v}
	}
	return out
}

func (s *Service) unsubscribeURL(base, subARN string) string {
	return base + "/?" + url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {subARN}}.Encode()
}

// notificationEnvelope builds and signs a Notification.
func (s *Service) notificationEnvelope(ctx context.Context, sub subscriptionDoc, m Message, text string) (envelope, error) {
	o := s.delivery()
	e := envelope{Type: "Notification", MessageID: m.MessageID, TopicARN: m.TopicARN, Message: text,
		Timestamp: stamp(m.Timestamp), SignatureVersion: "1", UnsubscribeURL: s.unsubscribeURL(o.BaseURL, sub.ARN),
		MessageAttributes: attributesOf(m)}
	if m.Subject != "" {
		subj := m.Subject
		e.Subject = &subj
	}
	if err := s.sign(ctx, &e, o.BaseURL); err != nil {
		return e, err
	}
	return e, nil
}

func (s *Service) postNotification(ctx context.Context, sub subscriptionDoc, m Message, text string) (int, error) {
	var body []byte
	raw := sub.Attributes["RawMessageDelivery"] == "true"
	if raw {
		body = []byte(text)
	} else {
		e, err := s.notificationEnvelope(ctx, sub, m, text)
		if err != nil {
			return 0, err
		}
		body = marshal(e)
	}
	h := http.Header{}
	h.Set("x-amz-sns-message-type", "Notification")
	h.Set("x-amz-sns-message-id", m.MessageID)
	h.Set("x-amz-sns-topic-arn", m.TopicARN)
	h.Set("x-amz-sns-subscription-arn", sub.ARN)
	if raw {
		h.Set("x-amz-sns-rawdelivery", "true")
	}
	return s.post(ctx, sub.Endpoint, h, body)
}

func (s *Service) postConfirmation(ctx context.Context, sub subscriptionDoc) (string, int, error) {
	o := s.delivery()
	id := newUUID()
	e := envelope{Type: "SubscriptionConfirmation", MessageID: id, Token: sub.Token, TopicARN: sub.TopicARN,
		Message: "You have chosen to subscribe to the topic " + sub.TopicARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: o.BaseURL + "/?" + url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {sub.TopicARN}, "Token": {sub.Token}}.Encode(),
		Timestamp:    stamp(s.now()), SignatureVersion: "1"}
	if err := s.sign(ctx, &e, o.BaseURL); err != nil {
		return id, 0, err
	}
	body := marshal(e)
	h := http.Header{}
	h.Set("x-amz-sns-message-type", "SubscriptionConfirmation")
	h.Set("x-amz-sns-message-id", id)
	h.Set("x-amz-sns-topic-arn", sub.TopicARN)
	status, err := s.post(ctx, sub.Endpoint, h, body)
	return id, status, err
}

// post sends one HTTP delivery. 2xx is delivered; 5xx, 429 and network
// errors are retried; other statuses fail for good.
func (s *Service) post(ctx context.Context, endpoint string, h http.Header, body []byte) (int, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0, &permanent{err}
	}
	if reservedHost(u.Hostname()) {
		return 0, &permanent{fmt.Errorf("not delivered: %s is a reserved example or test domain (RFC 2606/6761), which the sandbox never contacts", u.Hostname())}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, &permanent{err}
	}
	req.Header = h
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	resp, err := s.delivery().HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return resp.StatusCode, fmt.Errorf("endpoint answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, &permanent{fmt.Errorf("endpoint answered HTTP %d", resp.StatusCode)}
}

// reservedHost reports names reserved for documentation and tests, which
// never reach a real endpoint.
func reservedHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(host) != nil {
		return false
	}
	for _, d := range []string{"example.com", "example.net", "example.org"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	for _, tld := range []string{".example", ".invalid", ".test"} {
		if strings.HasSuffix(host, tld) || host == tld[1:] {
			return true
		}
	}
	return false
}

// lambdaRecord is the event a subscribed function receives.
func (s *Service) lambdaRecord(ctx context.Context, sub subscriptionDoc, m Message, text string) ([]byte, error) {
	e, err := s.notificationEnvelope(ctx, sub, m, text)
	if err != nil {
		return nil, err
	}
	type snsPart struct {
		Type              string                   `json:"Type"`
		MessageID         string                   `json:"MessageId"`
		TopicARN          string                   `json:"TopicArn"`
		Subject           *string                  `json:"Subject"`
		Message           string                   `json:"Message"`
		Timestamp         string                   `json:"Timestamp"`
		SignatureVersion  string                   `json:"SignatureVersion"`
		Signature         string                   `json:"Signature"`
		SigningCertURL    string                   `json:"SigningCertUrl"`
		UnsubscribeURL    string                   `json:"UnsubscribeUrl"`
		MessageAttributes map[string]envelopeValue `json:"MessageAttributes"`
	}
	attrs := e.MessageAttributes
	if attrs == nil {
		attrs = map[string]envelopeValue{}
	}
	rec := map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub.ARN,
		"Sns": snsPart{Type: e.Type, MessageID: e.MessageID, TopicARN: e.TopicARN, Subject: e.Subject, Message: e.Message,
			Timestamp: e.Timestamp, SignatureVersion: e.SignatureVersion, Signature: e.Signature, SigningCertURL: e.SigningCertURL,
			UnsubscribeURL: e.UnsubscribeURL, MessageAttributes: attrs},
	}}}
	return marshal(rec), nil
}

// marshal is JSON without HTML escaping, as SNS writes it.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Signing: SignatureVersion 1 is SHA1withRSA over the canonical string of
// the message's fields; the certificate is served at SigningCertURL.

type signingDoc struct {
	KeyPEM  string `json:"key_pem"`
	CertPEM string `json:"cert_pem"`
}

type signer struct {
	key  *rsa.PrivateKey
	cert []byte // PEM
	name string // SimpleNotificationService-<hash>.pem
}

var signMu sync.Mutex

// signer loads (or creates and stores) the sandbox's signing key.
func (s *Service) signer(ctx context.Context) (*signer, error) {
	signMu.Lock()
	defer signMu.Unlock()
	s.dmu.Lock()
	cached := s.sig
	s.dmu.Unlock()
	if cached != nil {
		return cached, nil
	}
	var doc signingDoc
	err := s.env.State.Get(ctx, nsSigning, "key", &doc)
	if service.IsNotFound(err) {
		doc, err = newSigningDoc(s.env.Now())
		if err == nil {
			err = s.env.State.Put(ctx, nsSigning, "key", doc)
		}
	}
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode([]byte(doc.KeyPEM))
	if blk == nil {
		return nil, errors.New("sns: stored signing key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(doc.CertPEM))
	sg := &signer{key: key, cert: []byte(doc.CertPEM), name: "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"}
	s.dmu.Lock()
	s.sig = sg
	s.dmu.Unlock()
	return sg, nil
}

func newSigningDoc(now time.Time) (signingDoc, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingDoc{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"vigil sandbox"}},
		NotBefore:    now.Add(-24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, DNSNames: []string{"sns.amazonaws.com"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return signingDoc{}, err
	}
	return signingDoc{
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}, nil
}

// StringToSign is the canonical string SignatureVersion 1 signs: the
// fields of the message type in this order, each as "Name\nvalue\n".
func StringToSign(e map[string]string) string {
	var fields []string
	switch e["Type"] {
	case "Notification":
		fields = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	default: // SubscriptionConfirmation, UnsubscribeConfirmation
		fields = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, f := range fields {
		v, ok := e[f]
		if !ok {
			continue
		}
		b.WriteString(f + "\n" + v + "\n")
	}
	return b.String()
}

func (s *Service) sign(ctx context.Context, e *envelope, base string) error {
	sg, err := s.signer(ctx)
	if err != nil {
		return fmt.Errorf("sns: signing key: %w", err)
	}
	m := map[string]string{"Type": e.Type, "MessageId": e.MessageID, "TopicArn": e.TopicARN, "Message": e.Message, "Timestamp": e.Timestamp}
	if e.Subject != nil {
		m["Subject"] = *e.Subject
	}
	if e.Type != "Notification" {
		m["SubscribeURL"], m["Token"] = e.SubscribeURL, e.Token
	}
	sum := sha1.Sum([]byte(StringToSign(m)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, sg.key, crypto.SHA1, sum[:])
	if err != nil {
		return err
	}
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	e.SigningCertURL = base + "/" + sg.name
	return nil
}

// deliveryPolicy is the retry policy of a subscription: its own
// DeliveryPolicy, else its topic's, else SNS's default for HTTP/S (three
// retries 20 seconds apart).
func (s *Service) deliveryPolicy(ctx context.Context, sub subscriptionDoc) retryPolicy {
	p := retryPolicy{NumRetries: 3, MinDelayTarget: 20, MaxDelayTarget: 20, BackoffFunction: "linear"}
	if sub.Protocol != "http" && sub.Protocol != "https" {
		// Lambda and the other AWS-managed endpoints: SNS retries 3 times
		// without delay, then 2 at 1 s, then up to 10 backing off to 20 s
		// (shortened here to the first steps).
		return retryPolicy{NumRetries: 5, NumNoDelayRetries: 3, MinDelayTarget: 1, MaxDelayTarget: 20, BackoffFunction: "exponential"}
	}
	var t topicDoc
	if err := s.env.State.Get(ctx, nsTopic, sub.TopicARN, &t); err == nil {
		if v := t.Attributes["DeliveryPolicy"]; v != "" {
			p.apply(v)
		}
	}
	if v := sub.Attributes["DeliveryPolicy"]; v != "" {
		p.apply(v)
	}
	return p
}

type retryPolicy struct {
	NumRetries         int    `json:"numRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

func (p *retryPolicy) apply(doc string) {
	var d struct {
		HTTP *struct {
			DefaultHealthyRetryPolicy *retryPolicy `json:"defaultHealthyRetryPolicy"`
		} `json:"http"`
		HealthyRetryPolicy *retryPolicy `json:"healthyRetryPolicy"`
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return
	}
	switch {
	case d.HealthyRetryPolicy != nil:
		*p = *d.HealthyRetryPolicy
	case d.HTTP != nil && d.HTTP.DefaultHealthyRetryPolicy != nil:
		*p = *d.HTTP.DefaultHealthyRetryPolicy
	}
	if p.MaxDelayTarget < p.MinDelayTarget {
		p.MaxDelayTarget = p.MinDelayTarget
	}
}

// retryDelay is the wait before retry n (1-based) under p, and whether
// there is such a retry: immediate retries first, then retries at the
// minimum delay, then a backoff from the minimum to the maximum, then
// retries at the maximum.
func retryDelay(p retryPolicy, n int) (time.Duration, bool) {
	if n > p.NumRetries {
		return 0, false
	}
	sec := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
	if n <= p.NumNoDelayRetries {
		return 0, true
	}
	n -= p.NumNoDelayRetries
	if n <= p.NumMinDelayRetries {
		return sec(float64(p.MinDelayTarget)), true
	}
	n -= p.NumMinDelayRetries
	backoff := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if n > backoff {
		return sec(float64(p.MaxDelayTarget)), true
	}
	lo, hi := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	if backoff <= 1 || hi == lo {
		return sec(lo), true
	}
	f := float64(n-1) / float64(backoff-1) // 0 … 1 across the backoff phase
	var d float64
	switch p.BackoffFunction {
	case "arithmetic":
		d = lo + (hi-lo)*f*f
	case "geometric":
		d = lo * math.Pow(hi/math.Max(lo, 1), f)
	case "exponential":
		d = lo + (hi-lo)*(math.Pow(2, f*4)-1)/15
	default: // linear
		d = lo + (hi-lo)*f
	}
	return sec(d), true
}

// Handle serves the SNS API, the signing certificate at SigningCertURL,
// and the unsigned links of delivered messages (SubscribeURL,
// UnsubscribeURL, which are query requests with an Action).
func (s *Service) Handle(w http.ResponseWriter, r *service.Request) {
	if r.HTTP.Method == http.MethodGet && strings.HasPrefix(r.HTTP.URL.Path, "/SimpleNotificationService-") {
		sg, err := s.signer(r.Context())
		if err != nil || r.HTTP.URL.Path != "/"+sg.name {
			http.Error(w, "no such signing certificate", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Length", strconv.Itoa(len(sg.cert)))
		_, _ = w.Write(sg.cert)
		return
	}
	s.Query.Handle(w, r)
}

// IsLink reports whether an unsigned request is one of the links SNS puts
// in delivered messages (the router sends those to SNS).
func IsLink(r *http.Request) bool {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/SimpleNotificationService-") && strings.HasSuffix(r.URL.Path, ".pem") {
		return true
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		return false
	}
	a := r.URL.Query().Get("Action")
	return (a == "ConfirmSubscription" || a == "Unsubscribe") && r.URL.Query().Get("Token")+r.URL.Query().Get("SubscriptionArn") != ""
}
