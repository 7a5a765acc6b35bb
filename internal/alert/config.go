package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is the `alerts` block of vigil.hcl, decodable with gohcl:
//
//	alerts {
//	  slack "oncall" { url_env = "VIGIL_SLACK_WEBHOOK" }
//	  pagerduty "prod" { routing_key_file = "/run/secrets/pagerduty" }
//	  webhook "ops" {
//	    url        = "https://ops.example.com/hooks/vigil"
//	    secret_env = "VIGIL_WEBHOOK_SECRET"
//	  }
//	  sns "pager" {
//	    topic_arn   = "arn:aws:sns:us-east-1:000000000000:vigil-dev-pager"
//	    environment = "dev"
//	  }
//	  retry {
//	    attempts = 5
//	    initial  = "1s"
//	    max      = "30s"
//	    deadline = "2m"
//	  }
//	  sink_failure_after = 3
//	  route {
//	    receivers = ["oncall"]
//	    route {
//	      name        = "prod-pages"
//	      environment = ["prod"]
//	      severity    = ["critical", "error"]
//	      receivers   = ["prod", "oncall"]
//	    }
//	    route {
//	      name      = "dev-pager"
//	      environment = ["dev"]
//	      receivers = ["pager", "oncall"]
//	    }
//	  }
//	}
type Config struct {
	Slack            []SlackConfig     `hcl:"slack,block"`
	PagerDuty        []PagerDutyConfig `hcl:"pagerduty,block"`
	Webhook          []WebhookConfig   `hcl:"webhook,block"`
	SNS              []SNSConfig       `hcl:"sns,block"`
	Retry            *RetryConfig      `hcl:"retry,block"`
	SinkFailureAfter *int              `hcl:"sink_failure_after,optional"`
	Route            *Route            `hcl:"route,block"`
}

// RetryConfig is the retry block; durations are strings ("1s").
type RetryConfig struct {
	Attempts *int   `hcl:"attempts,optional"`
	Initial  string `hcl:"initial,optional"`
	Max      string `hcl:"max,optional"`
	Deadline string `hcl:"deadline,optional"`
}

// Policy converts the block (defaults for what is unset).
func (c *RetryConfig) Policy() (RetryPolicy, error) {
	var p RetryPolicy
	if c == nil {
		return p.withDefaults(), nil
	}
	if c.Attempts != nil {
		if *c.Attempts < 1 || *c.Attempts > 20 {
			return p, fmt.Errorf("retry: attempts must be 1 to 20, not %d", *c.Attempts)
		}
		p.Attempts = *c.Attempts
	}
	var err error
	if p.Initial, err = parseDuration("retry: initial", c.Initial, DefaultRetryInitial); err != nil {
		return p, err
	}
	if p.Max, err = parseDuration("retry: max", c.Max, DefaultRetryMax); err != nil {
		return p, err
	}
	if p.Deadline, err = parseDuration("retry: deadline", c.Deadline, DefaultRetryDeadline); err != nil {
		return p, err
	}
	return p.withDefaults(), nil
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

func checkName(n string) error {
	if !nameRe.MatchString(n) {
		return fmt.Errorf("name %q: use letters, digits, '-', '_' and '.', at most 63", n)
	}
	return nil
}

// Names lists the receiver names in the order slack, pagerduty, webhook,
// sns.
func (c Config) Names() []string {
	var out []string
	for _, s := range c.Slack {
		out = append(out, s.Name)
	}
	for _, s := range c.PagerDuty {
		out = append(out, s.Name)
	}
	for _, s := range c.Webhook {
		out = append(out, s.Name)
	}
	for _, s := range c.SNS {
		out = append(out, s.Name)
	}
	return out
}

// Validate checks every sink, the retry block and the routing tree
// without reading secrets. Receiver names are unique across kinds.
func (c Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, n := range c.Names() {
		if seen[n] {
			errs = append(errs, fmt.Errorf("receiver name %q is used twice", n))
		}
		seen[n] = true
	}
	for _, s := range c.Slack {
		errs = append(errs, s.Validate())
	}
	for _, s := range c.PagerDuty {
		errs = append(errs, s.Validate())
	}
	for _, s := range c.Webhook {
		errs = append(errs, s.Validate())
	}
	for _, s := range c.SNS {
		errs = append(errs, s.Validate())
	}
	if _, err := c.Retry.Policy(); err != nil {
		errs = append(errs, err)
	}
	if c.SinkFailureAfter != nil && *c.SinkFailureAfter < 1 {
		errs = append(errs, fmt.Errorf("sink_failure_after must be at least 1"))
	}
	if c.Route == nil {
		errs = append(errs, errors.New("route: a route block with receivers is required"))
	} else {
		errs = append(errs, c.Route.Validate(c.Names()))
	}
	return errors.Join(errs...)
}

// BuildOptions are what Build needs besides the configuration.
type BuildOptions struct {
	HTTPClient *http.Client
	Env        Env
	Logger     *slog.Logger
	Now        func() time.Time
	// AWSConfig returns the AWS configuration for an SNS sink's
	// environment ("" when it names none). Required when there are SNS
	// sinks.
	AWSConfig func(ctx context.Context, environment string) (aws.Config, error)
	Recorder  Recorder
	States    StateStore
	Sleep     func(ctx context.Context, d time.Duration) error
}

// Build makes the sinks of c (reading their secrets) and a Dispatcher
// routing to them, its metrics registered with reg.
func Build(ctx context.Context, c Config, reg prometheus.Registerer, o BuildOptions) (*Dispatcher, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	so := SinkOptions{HTTPClient: o.HTTPClient, Env: o.Env, Now: o.Now, Logger: o.Logger}
	var rs []Receiver
	for _, sc := range c.Slack {
		s, err := NewSlack(sc, so)
		if err != nil {
			return nil, err
		}
		rs = append(rs, Receiver{Name: s.Name(), Integration: s.Integration(), Sink: s, Secrets: s.Secrets()})
	}
	for _, pc := range c.PagerDuty {
		s, err := NewPagerDuty(pc, so)
		if err != nil {
			return nil, err
		}
		rs = append(rs, Receiver{Name: s.Name(), Integration: s.Integration(), Sink: s, Secrets: s.Secrets()})
	}
	for _, wc := range c.Webhook {
		s, err := NewWebhook(wc, so)
		if err != nil {
			return nil, err
		}
		rs = append(rs, Receiver{Name: s.Name(), Integration: s.Integration(), Sink: s, Secrets: s.Secrets()})
	}
	for _, nc := range c.SNS {
		if o.AWSConfig == nil {
			return nil, fmt.Errorf("sns %q: no AWS configuration available", nc.Name)
		}
		cfg, err := o.AWSConfig(ctx, nc.Environment)
		if err != nil {
			return nil, fmt.Errorf("sns %q: aws configuration for environment %q: %w", nc.Name, nc.Environment, err)
		}
		s, err := NewSNS(nc, cfg, so)
		if err != nil {
			return nil, err
		}
		rs = append(rs, Receiver{Name: s.Name(), Integration: s.Integration(), Sink: s})
	}
	pol, _ := c.Retry.Policy()
	opts := Options{
		Retry: pol, Recorder: o.Recorder, States: o.States, Logger: o.Logger, Now: o.Now, Sleep: o.Sleep,
	}
	if c.SinkFailureAfter != nil {
		opts.SinkFailureAfter = *c.SinkFailureAfter
	}
	return NewDispatcher(c.Route, rs, reg, opts)
}
