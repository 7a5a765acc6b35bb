package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// DefaultPagerDutyURL is the Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDutyConfig configures a PagerDuty Events API v2 sink:
//
//	pagerduty "prod" {
//	  routing_key_file = "/run/secrets/pagerduty" # or routing_key, routing_key_env
//	  url              = "https://events.pagerduty.com/v2/enqueue" # optional
//	  source           = "vigil-prod"             # optional, default the alert's source or "vigil"
//	  timeout          = "10s"                    # optional
//	}
type PagerDutyConfig struct {
	Name           string `hcl:"name,label"`
	RoutingKey     Secret `hcl:"routing_key,optional"`
	RoutingKeyFile string `hcl:"routing_key_file,optional"`
	RoutingKeyEnv  string `hcl:"routing_key_env,optional"`
	URL            string `hcl:"url,optional"`
	Source         string `hcl:"source,optional"`
	Client         string `hcl:"client,optional"`
	ClientURL      string `hcl:"client_url,optional"`
	Timeout        string `hcl:"timeout,optional"`
}

func (c PagerDutyConfig) routingKey() SecretRef {
	return SecretRef{Value: c.RoutingKey, File: c.RoutingKeyFile, Env: c.RoutingKeyEnv}
}

// Validate checks the configuration without reading secret files.
func (c PagerDutyConfig) Validate() error {
	wrap := func(err error) error { return fmt.Errorf("pagerduty %q: %w", c.Name, err) }
	if err := checkName(c.Name); err != nil {
		return wrap(err)
	}
	if err := c.routingKey().validate("routing_key", true); err != nil {
		return wrap(err)
	}
	if c.RoutingKey != "" && len(c.RoutingKey) != 32 {
		return wrap(fmt.Errorf("routing_key must be 32 characters (an Events API v2 integration key), not %d", len(c.RoutingKey)))
	}
	if c.URL != "" {
		if err := checkHTTPURL("url", c.URL); err != nil {
			return wrap(err)
		}
	}
	if _, err := parseDuration("timeout", c.Timeout, defaultTimeout); err != nil {
		return wrap(err)
	}
	return nil
}

// PagerDuty triggers and resolves PagerDuty alerts through the Events API
// v2, with dedup_key = Alert.DedupKey so a resolve (and an update) lands on
// the incident its trigger opened.
type PagerDuty struct {
	name    string
	conf    PagerDutyConfig
	key     string
	url     string
	timeout time.Duration
	opts    SinkOptions
	red     redactor
}

// NewPagerDuty validates conf, resolves the routing key and returns the
// sink.
func NewPagerDuty(conf PagerDutyConfig, opts SinkOptions) (*PagerDuty, error) {
	if err := conf.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	key, err := conf.routingKey().resolve("routing_key", opts.Env)
	if err != nil {
		return nil, fmt.Errorf("pagerduty %q: %w", conf.Name, err)
	}
	u := conf.URL
	if u == "" {
		u = DefaultPagerDutyURL
	}
	timeout, _ := parseDuration("timeout", conf.Timeout, defaultTimeout)
	p := &PagerDuty{name: conf.Name, conf: conf, key: key, url: u, timeout: timeout, opts: opts}
	p.red.add(key)
	return p, nil
}

// Name is the receiver name.
func (p *PagerDuty) Name() string { return p.name }

// Integration is "pagerduty".
func (p *PagerDuty) Integration() string { return "pagerduty" }

// Secrets returns the values this sink must never show.
func (p *PagerDuty) Secrets() []string { return []string{p.key} }

// PagerDutyEvent is an Events API v2 event.
type PagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string            `json:"dedup_key"`
	Payload     *PagerDutyPayload `json:"payload,omitempty"`
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
	Links       []PagerDutyLink   `json:"links,omitempty"`
}

// PagerDutyPayload is the event's payload (trigger only).
type PagerDutyPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// PagerDutyLink is a link shown on the incident.
type PagerDutyLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Events API limits.
const (
	pdSummaryMax = 1024
	pdDetailMax  = 4096
	pdDetailsMax = 100
)

func (p *PagerDuty) event(a Alert) PagerDutyEvent {
	ev := PagerDutyEvent{RoutingKey: p.key, EventAction: "trigger", DedupKey: a.DedupKey()}
	if a.Status == StatusResolved {
		ev.EventAction = "resolve"
		return ev
	}
	source := p.conf.Source
	if source == "" {
		source = a.Source
	}
	if source == "" {
		source = "vigil"
	}
	details := map[string]any{
		"fingerprint": a.Key(),
		"kind":        string(a.Kind),
	}
	put := func(k, v string) {
		if v != "" {
			details[k] = truncate(v, pdDetailMax)
		}
	}
	put("environment", a.Environment)
	put("layer", a.Layer)
	put("stack", a.Stack)
	put("resource", a.Resource)
	put("first_step", a.FirstStep)
	put("runbook", a.RunbookURL)
	if a.Revision > 0 {
		details["revision"] = a.Revision
	}
	if len(a.Details) > 0 {
		ds := map[string]string{}
		for i, d := range a.Details {
			if i == pdDetailsMax {
				ds["…"] = fmt.Sprintf("%d more", len(a.Details)-pdDetailsMax)
				break
			}
			ds[d.Key] = truncate(d.Value, pdDetailMax)
		}
		details["details"] = ds
	}
	if len(a.Labels) > 0 {
		details["labels"] = a.Labels
	}
	ev.Payload = &PagerDutyPayload{
		Summary:       truncate(a.Summary, pdSummaryMax),
		Source:        source,
		Severity:      string(a.Severity),
		Component:     a.Resource,
		Group:         a.Where(),
		Class:         string(a.Kind),
		CustomDetails: details,
	}
	if !a.StartsAt.IsZero() {
		ev.Payload.Timestamp = a.StartsAt.UTC().Format(time.RFC3339)
	}
	ev.Client, ev.ClientURL = p.conf.Client, p.conf.ClientURL
	if ev.Client == "" {
		ev.Client = "vigil"
	}
	if a.RunbookURL != "" {
		ev.Links = append(ev.Links, PagerDutyLink{Href: a.RunbookURL, Text: "Runbook"})
	}
	if a.URL != "" {
		ev.Links = append(ev.Links, PagerDutyLink{Href: a.URL, Text: "Open in vigil"})
	}
	return ev
}

// Send triggers (or updates) or resolves the alert. 202 is success; 429
// and 5xx are worth retrying.
func (p *PagerDuty) Send(ctx context.Context, a Alert) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	body, err := json.Marshal(p.event(a))
	if err != nil {
		return false, fmt.Errorf("pagerduty: encode event: %w", err)
	}
	resp, retry, err := post(ctx, p.opts.HTTPClient, p.url, "application/json", body, nil)
	if err != nil {
		return retry, fmt.Errorf("pagerduty: %w", err)
	}
	r := Retrier{OK: []int{http.StatusAccepted}, RetryCodes: []int{http.StatusTooManyRequests}}
	retry, err = checkResponse(resp, r, &p.red, p.opts.Now())
	if err != nil {
		return retry, fmt.Errorf("pagerduty: %w", err)
	}
	return false, nil
}
