package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// SNSConfig configures an Amazon SNS sink (the blueprint's pager topic):
//
//	sns "pager" {
//	  topic_arn   = "arn:aws:sns:us-east-1:000000000000:vigil-dev-pager"
//	  environment = "dev"  # whose target (sandbox or AWS account) holds the topic; optional
//	  format      = "text" # "text" (default) or "json" (the webhook body)
//	  timeout     = "10s"
//	}
//
// Credentials and the endpoint come from the aws.Config the sink is built
// with: the standard chain for AWS, the sandbox's URL for the sandbox.
type SNSConfig struct {
	Name        string `hcl:"name,label"`
	TopicARN    string `hcl:"topic_arn"`
	Environment string `hcl:"environment,optional"`
	Format      string `hcl:"format,optional"`
	Timeout     string `hcl:"timeout,optional"`
}

var topicARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$`)

// Validate checks the configuration.
func (c SNSConfig) Validate() error {
	wrap := func(err error) error { return fmt.Errorf("sns %q: %w", c.Name, err) }
	if err := checkName(c.Name); err != nil {
		return wrap(err)
	}
	if !topicARNRe.MatchString(c.TopicARN) {
		return wrap(fmt.Errorf("topic_arn %q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", c.TopicARN))
	}
	switch c.Format {
	case "", "text", "json":
	default:
		return wrap(fmt.Errorf("format %q is not \"text\" or \"json\"", c.Format))
	}
	if _, err := parseDuration("timeout", c.Timeout, defaultTimeout); err != nil {
		return wrap(err)
	}
	return nil
}

// snsPublisher is the part of the SNS client the sink uses.
type snsPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNS publishes alerts to an SNS topic: Subject is the headline, Message
// the alert as text (or JSON), and message attributes carry kind, status,
// severity, environment, layer, fingerprint and revision for
// subscription filter policies.
type SNS struct {
	name    string
	conf    SNSConfig
	client  snsPublisher
	timeout time.Duration
	opts    SinkOptions
}

// NewSNS validates conf and returns a sink publishing through an SNS
// client made from cfg. The region defaults to the topic's. The client
// does not retry: the dispatcher owns retries.
func NewSNS(conf SNSConfig, cfg aws.Config, opts SinkOptions) (*SNS, error) {
	if err := conf.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	region := topicARNRe.FindStringSubmatch(conf.TopicARN)[1]
	client := sns.NewFromConfig(cfg, func(o *sns.Options) {
		if o.Region == "" {
			o.Region = region
		}
		o.Retryer = aws.NopRetryer{}
		if opts.HTTPClient != nil && cfg.HTTPClient == nil {
			o.HTTPClient = opts.HTTPClient
		}
	})
	timeout, _ := parseDuration("timeout", conf.Timeout, defaultTimeout)
	return &SNS{name: conf.Name, conf: conf, client: client, timeout: timeout, opts: opts}, nil
}

// Name is the receiver name.
func (s *SNS) Name() string { return s.name }

// Integration is "sns".
func (s *SNS) Integration() string { return "sns" }

// SNS limits.
const (
	snsSubjectMax = 100
	snsMessageMax = 256 * 1024
)

// SNSSubject makes an SNS subject: printable ASCII, no line breaks, at most
// 100 characters.
func SNSSubject(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		switch {
		case c >= 0x20 && c <= 0x7e:
			out = append(out, c)
		case c == '\n' || c == '\r' || c == '\t':
			out = append(out, ' ')
		case c >= 0xc0: // the first byte of a multi-byte rune
			out = append(out, '?')
		}
	}
	s = string(out)
	if len(s) > snsSubjectMax {
		s = s[:snsSubjectMax-3] + "..."
	}
	return s
}

func (s *SNS) input(a Alert) (*sns.PublishInput, error) {
	msg := a.Text()
	if s.conf.Format == "json" {
		b, err := json.Marshal(WebhookMessage{Version: "1", Receiver: s.name, Action: actionOf(a), SentAt: s.opts.Now().UTC().Truncate(time.Second), Alert: a})
		if err != nil {
			return nil, err
		}
		msg = string(b)
	}
	if len(msg) > snsMessageMax {
		msg = truncate(msg, snsMessageMax)
	}
	attrs := map[string]snstypes.MessageAttributeValue{}
	str := func(k, v string) {
		if v != "" {
			attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(truncate(v, 1024))}
		}
	}
	str("vigil.action", "alert")
	str("vigil.kind", string(a.Kind))
	str("vigil.status", string(a.Status))
	str("vigil.severity", string(a.Severity))
	str("vigil.environment", a.Environment)
	str("vigil.layer", a.Layer)
	str("vigil.fingerprint", a.Key())
	str("vigil.runbook", a.RunbookURL)
	attrs["vigil.revision"] = snstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(a.Revision))}
	in := &sns.PublishInput{
		TopicArn:          aws.String(s.conf.TopicARN),
		Subject:           aws.String(SNSSubject(a.Title())),
		Message:           aws.String(msg),
		MessageAttributes: attrs,
	}
	if topicARNRe.FindStringSubmatch(s.conf.TopicARN)[4] != "" {
		in.MessageGroupId = aws.String(truncate(a.Key(), 128))
		in.MessageDeduplicationId = aws.String(fmt.Sprintf("%s-%s-%d", a.DedupKey()[6:70], a.Status, a.Revision))
	}
	return in, nil
}

// Send publishes the alert. Throttling, 5xx and network errors are worth
// retrying; other API errors (no such topic, access denied) are not.
func (s *SNS) Send(ctx context.Context, a Alert) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	in, err := s.input(a)
	if err != nil {
		return false, fmt.Errorf("sns: encode message: %w", err)
	}
	if _, err := s.client.Publish(ctx, in); err != nil {
		return snsRetryable(ctx, err), fmt.Errorf("sns: publish to %s: %w", s.conf.TopicARN, err)
	}
	return false, nil
}

func snsRetryable(ctx context.Context, err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		code := re.HTTPStatusCode()
		if code >= 500 || code == http.StatusTooManyRequests {
			return true
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "Throttling", "ThrottlingException", "Throttled", "ThrottledException", "RequestLimitExceeded",
			"InternalError", "InternalFailure", "ServiceUnavailable", "KMSThrottling":
			return true
		}
		return ae.ErrorFault() == smithy.FaultServer
	}
	// Transport errors: worth another try unless the caller gave up.
	return ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded)
}
