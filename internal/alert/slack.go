package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SlackConfig configures a Slack incoming-webhook sink:
//
//	slack "oncall" {
//	  url_env = "VIGIL_SLACK_WEBHOOK" # or url = "https://hooks.slack.com/services/…", or url_file
//	  channel = "#oncall"             # optional override (legacy webhooks only)
//	  timeout = "10s"                 # optional, default 10s
//	}
type SlackConfig struct {
	Name     string `hcl:"name,label"`
	URL      Secret `hcl:"url,optional"`
	URLFile  string `hcl:"url_file,optional"`
	URLEnv   string `hcl:"url_env,optional"`
	Channel  string `hcl:"channel,optional"`
	Username string `hcl:"username,optional"`
	Timeout  string `hcl:"timeout,optional"`
}

func (c SlackConfig) url() SecretRef { return SecretRef{Value: c.URL, File: c.URLFile, Env: c.URLEnv} }

// Validate checks the configuration without reading secret files.
func (c SlackConfig) Validate() error {
	if err := checkName(c.Name); err != nil {
		return fmt.Errorf("slack %q: %w", c.Name, err)
	}
	if err := c.url().validate("url", true); err != nil {
		return fmt.Errorf("slack %q: %w", c.Name, err)
	}
	if c.URL != "" {
		if err := checkHTTPURL("url", string(c.URL)); err != nil {
			return fmt.Errorf("slack %q: %w", c.Name, err)
		}
	}
	if _, err := parseDuration("timeout", c.Timeout, defaultTimeout); err != nil {
		return fmt.Errorf("slack %q: %w", c.Name, err)
	}
	return nil
}

// Slack posts alerts to a Slack incoming webhook: a text fallback plus
// blocks (headline, where, details, what to do first, a Runbook button).
type Slack struct {
	name    string
	conf    SlackConfig
	url     string
	timeout time.Duration
	opts    SinkOptions
	red     redactor
}

// NewSlack validates conf, resolves its URL and returns the sink.
func NewSlack(conf SlackConfig, opts SinkOptions) (*Slack, error) {
	if err := conf.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	u, err := conf.url().resolve("url", opts.Env)
	if err != nil {
		return nil, fmt.Errorf("slack %q: %w", conf.Name, err)
	}
	if err := checkHTTPURL("url", u); err != nil {
		return nil, fmt.Errorf("slack %q: %w", conf.Name, err)
	}
	timeout, _ := parseDuration("timeout", conf.Timeout, defaultTimeout)
	s := &Slack{name: conf.Name, conf: conf, url: u, timeout: timeout, opts: opts}
	s.red.add(u)
	return s, nil
}

// Name is the receiver name.
func (s *Slack) Name() string { return s.name }

// Integration is "slack".
func (s *Slack) Integration() string { return "slack" }

// Secrets returns the values this sink must never show.
func (s *Slack) Secrets() []string { return []string{s.url} }

// Send posts one alert. A 429 carries its Retry-After to the dispatcher.
func (s *Slack) Send(ctx context.Context, a Alert) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	body, err := json.Marshal(s.message(a))
	if err != nil {
		return false, fmt.Errorf("slack: encode message: %w", err)
	}
	resp, retry, err := post(ctx, s.opts.HTTPClient, s.url, "application/json", body, nil)
	if err != nil {
		return retry, fmt.Errorf("slack: %w", err)
	}
	retry, err = checkResponse(resp, Retrier{RetryCodes: []int{http.StatusTooManyRequests}}, &s.red, s.opts.Now())
	if err != nil {
		return retry, fmt.Errorf("slack: %w", err)
	}
	return false, nil
}

// SlackMessage is the JSON an incoming webhook receives.
type SlackMessage struct {
	Text     string       `json:"text"`
	Channel  string       `json:"channel,omitempty"`
	Username string       `json:"username,omitempty"`
	Blocks   []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is a Block Kit block (the subset vigil sends).
type SlackBlock struct {
	Type     string         `json:"type"`
	Text     *SlackText     `json:"text,omitempty"`
	Fields   []SlackText    `json:"fields,omitempty"`
	Elements []SlackElement `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

// SlackElement is a button (in an actions block: Text is its label) or a
// text element (in a context block: Type "mrkdwn", Text.Text its text).
type SlackElement struct {
	Type  string
	Text  *SlackText
	URL   string
	Style string
}

type slackElementJSON struct {
	Type  string          `json:"type"`
	Text  json.RawMessage `json:"text,omitempty"`
	URL   string          `json:"url,omitempty"`
	Style string          `json:"style,omitempty"`
}

// MarshalJSON writes a text element's text as a string and a button's as
// a text object, as Block Kit wants.
func (e SlackElement) MarshalJSON() ([]byte, error) {
	j := slackElementJSON{Type: e.Type, URL: e.URL, Style: e.Style}
	if e.Text != nil {
		var err error
		if e.Type == "mrkdwn" || e.Type == "plain_text" {
			j.Text, err = json.Marshal(e.Text.Text)
		} else {
			j.Text, err = json.Marshal(e.Text)
		}
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads either form back.
func (e *SlackElement) UnmarshalJSON(b []byte) error {
	var j slackElementJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = SlackElement{Type: j.Type, URL: j.URL, Style: j.Style}
	if len(j.Text) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(j.Text, &s) == nil {
		e.Text = &SlackText{Type: j.Type, Text: s}
		return nil
	}
	e.Text = &SlackText{}
	return json.Unmarshal(j.Text, e.Text)
}

// Block Kit limits.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
	slackTextMax    = 3500
)

func (s *Slack) message(a Alert) SlackMessage {
	esc := slackEscape
	fallback := a.Title()
	if a.RunbookURL != "" {
		fallback += " — runbook: <" + a.RunbookURL + "|" + esc(a.RunbookURL) + ">"
	}
	m := SlackMessage{Text: truncate(fallback, slackTextMax), Channel: s.conf.Channel, Username: s.conf.Username}
	icon := map[Status]string{StatusFiring: ":rotating_light:", StatusResolved: ":white_check_mark:"}[a.Status]
	if a.Status == StatusFiring && a.Severity != SeverityCritical && a.Severity != SeverityError {
		icon = ":warning:"
	}
	m.Blocks = append(m.Blocks, SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: truncate(a.Title(), slackHeaderMax)}})
	var fields []SlackText
	field := func(k, v string) {
		if v != "" && len(fields) < 10 {
			fields = append(fields, SlackText{Type: "mrkdwn", Text: truncate("*"+k+"*\n"+esc(v), slackFieldMax)})
		}
	}
	field("Severity", icon+" "+string(a.Severity))
	field("Kind", string(a.Kind))
	field("Environment", a.Environment)
	field("Layer", a.Layer)
	field("Stack", a.Stack)
	field("Resource", a.Resource)
	if !a.StartsAt.IsZero() {
		field("Since", a.StartsAt.UTC().Format(time.RFC3339))
	}
	m.Blocks = append(m.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: truncate(esc(a.Summary), slackSectionMax)}, Fields: fields})
	if len(a.Details) > 0 {
		var b strings.Builder
		for _, d := range a.Details {
			fmt.Fprintf(&b, "%s: %s\n", d.Key, d.Value)
		}
		m.Blocks = append(m.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn",
			Text: "```" + truncate(esc(strings.TrimRight(b.String(), "\n")), slackSectionMax-8) + "```"}})
	}
	if a.FirstStep != "" && a.Status == StatusFiring {
		m.Blocks = append(m.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn",
			Text: truncate("*What to do first:* "+esc(a.FirstStep), slackSectionMax)}})
	}
	var buttons []SlackElement
	if a.RunbookURL != "" {
		buttons = append(buttons, SlackElement{Type: "button", Text: &SlackText{Type: "plain_text", Text: "Runbook"}, URL: a.RunbookURL, Style: "primary"})
	}
	if a.URL != "" {
		buttons = append(buttons, SlackElement{Type: "button", Text: &SlackText{Type: "plain_text", Text: "Open in vigil"}, URL: a.URL})
	}
	if len(buttons) > 0 {
		m.Blocks = append(m.Blocks, SlackBlock{Type: "actions", Elements: buttons})
	}
	m.Blocks = append(m.Blocks, SlackBlock{Type: "context", Elements: []SlackElement{{Type: "mrkdwn",
		Text: &SlackText{Type: "mrkdwn", Text: esc("vigil · " + a.Key())}}}})
	return m
}

// slackEscape escapes the three characters Slack's mrkdwn treats as
// control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
