package gameday

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Page is one message the pager topic delivered to the game day's HTTP
// subscriber: the SNS envelope's fields.
type Page struct {
	Type      string    `json:"Type"`
	MessageID string    `json:"MessageId"`
	TopicARN  string    `json:"TopicArn"`
	Subject   string    `json:"Subject,omitempty"`
	Message   string    `json:"Message"`
	Timestamp time.Time `json:"Timestamp"`
	// SignatureVersion and friends are checked for presence only.
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	UnsubscribeURL   string `json:"UnsubscribeURL,omitempty"`
}

// Pager is an HTTP endpoint on loopback subscribed to the pager topic, as
// a paging service would be: it confirms the subscription (GET
// SubscribeURL) and records every notification.
type Pager struct {
	srv      *http.Server
	url      string
	client   *http.Client
	mu       sync.Mutex
	pages    []Page
	bad      []string // envelopes it could not read
	confirm  chan struct{}
	subARN   string
	snsCli   *sns.Client
	confOnce sync.Once
}

// StartPager listens on loopback and subscribes to topicARN; the
// subscription is confirmed when SNS delivers the confirmation request
// (Confirmed), which takes the sandbox's clock moving. Close unsubscribes
// and stops.
func StartPager(ctx context.Context, cfg aws.Config, topicARN string) (*Pager, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pager: listen: %w", err)
	}
	p := &Pager{url: "http://" + l.Addr().String() + "/pager", client: &http.Client{Timeout: 10 * time.Second},
		confirm: make(chan struct{}), snsCli: sns.NewFromConfig(cfg)}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	out, err := p.snsCli.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("http"),
		Endpoint: aws.String(p.url), ReturnSubscriptionArn: true})
	if err != nil {
		_ = p.srv.Close()
		return nil, fmt.Errorf("pager: subscribe to %s: %w", topicARN, err)
	}
	p.subARN = aws.ToString(out.SubscriptionArn)
	return p, nil
}

func (p *Pager) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var pg Page
	if err == nil {
		err = json.Unmarshal(body, &pg)
	}
	if err != nil || pg.Type == "" || pg.MessageID == "" || pg.TopicARN == "" || pg.SignatureVersion == "" || pg.Signature == "" {
		p.mu.Lock()
		p.bad = append(p.bad, string(body))
		p.mu.Unlock()
		http.Error(w, "not an SNS message", http.StatusBadRequest)
		return
	}
	switch pg.Type {
	case "SubscriptionConfirmation":
		resp, err := p.client.Get(pg.SubscribeURL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			p.confOnce.Do(func() { close(p.confirm) })
		}
	case "Notification":
		p.mu.Lock()
		p.pages = append(p.pages, pg)
		p.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// Confirmed reports whether the subscription is confirmed.
func (p *Pager) Confirmed() bool {
	select {
	case <-p.confirm:
		return true
	default:
		return false
	}
}

// Pages are the notifications received so far.
func (p *Pager) Pages() []Page {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Page(nil), p.pages...)
}

// Rejected are bodies that were not SNS envelopes.
func (p *Pager) Rejected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// Close unsubscribes and stops the endpoint.
func (p *Pager) Close(ctx context.Context) {
	if p.subARN != "" && p.subARN != "pending confirmation" {
		_, _ = p.snsCli.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(p.subARN)})
	}
	_ = p.srv.Close()
}
