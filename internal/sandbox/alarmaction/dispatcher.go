package alarmaction

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// Publisher publishes a message to an SNS topic.
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) (messageID string, err error)
}

// EventBus puts an event on a region's default event bus on behalf of an
// AWS service.
type EventBus interface {
	PutEvent(ctx context.Context, region string, e Event) error
}

// Invoker queues an asynchronous invocation of a Lambda function on
// behalf of an AWS service principal, for a source ARN (the function's
// resource policy must allow it).
type Invoker interface {
	InvokeAsyncFor(ctx context.Context, principal, sourceARN, functionARN string, payload []byte) error
}

// AlarmPrincipal is the service principal of Lambda alarm actions.
const AlarmPrincipal = "lambda.alarms.cloudwatch.amazonaws.com"

// Dispatcher runs alarm state changes' actions and sends their events; it
// is the sandbox's cloudwatch.ActionSink.
type Dispatcher struct {
	sns    Publisher
	bus    EventBus
	lambda Invoker
	logger *slog.Logger
}

// WithBus replaces the dispatcher's event bus.
func (d *Dispatcher) WithBus(bus EventBus) *Dispatcher {
	d.bus = bus
	return d
}

// WithLambda makes the dispatcher run Lambda alarm actions through inv.
func (d *Dispatcher) WithLambda(inv Invoker) *Dispatcher {
	d.lambda = inv
	return d
}

// New returns a dispatcher that publishes through sns and puts events on
// bus (either may be nil: that part is then skipped).
func New(sns Publisher, bus EventBus, logger *slog.Logger) *Dispatcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{sns: sns, bus: bus, logger: logger}
}

// ErrUnsupported is the error of actions the sandbox does not run.
var ErrUnsupported = errors.New("the vigil sandbox does not run this kind of alarm action yet")

// AlarmStateChanged implements cloudwatch.ActionSink: it sends the change's
// event to EventBridge (whatever the actions) and runs each action: an SNS
// topic gets the alarm notification; Auto Scaling policies, Lambda
// functions (when the dispatcher has an Invoker: WithLambda) get the
// alarm's Lambda action payload (LambdaPayload), invoked asynchronously;
// Auto Scaling policies, EC2 and Systems Manager actions are not run yet
// and fail with ErrUnsupported.
func (d *Dispatcher) AlarmStateChanged(ctx context.Context, c cloudwatch.AlarmChange) []cloudwatch.ActionResult {
	if d.bus != nil {
		if err := d.bus.PutEvent(ctx, c.Region, StateChangeEvent(c)); err != nil {
			d.logger.Warn("sandbox: alarm state change event not sent", "alarm", c.AlarmName, "err", err)
		}
	}
	if len(c.Actions) == 0 {
		return nil
	}
	subject, message := Subject(c), Message(c)
	results := make([]cloudwatch.ActionResult, 0, len(c.Actions))
	for _, a := range c.Actions {
		r := cloudwatch.ActionResult{Action: a}
		switch {
		case strings.HasPrefix(a, "arn:aws:sns:") && d.sns != nil:
			_, r.Err = d.sns.Publish(ctx, a, subject, message)
		case strings.HasPrefix(a, "arn:aws:lambda:") && d.lambda != nil:
			r.Err = d.lambda.InvokeAsyncFor(ctx, AlarmPrincipal, c.AlarmARN, a, LambdaPayload(c))
		default:
			r.Err = fmt.Errorf("%w (%s)", ErrUnsupported, a)
		}
		if r.Err != nil {
			d.logger.Warn("sandbox: alarm action failed", "alarm", c.AlarmName, "action", a, "err", r.Err)
		}
		results = append(results, r)
	}
	return results
}

// ServicePublisher publishes through the sandbox's SNS service as a client
// would (a Publish request handled in-process), so the message goes
// through SNS's own validation, storage and, when SNS delivers, delivery.
type ServicePublisher struct {
	SNS service.Service
}

// Publish implements Publisher.
func (p ServicePublisher) Publish(ctx context.Context, topicARN, subject, message string) (string, error) {
	region := ""
	if parts := strings.SplitN(topicARN, ":", 6); len(parts) == 6 {
		region = parts[3]
	}
	form := url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"}, "TopicArn": {topicARN}, "Message": {message}}
	if subject != "" {
		form.Set("Subject", subject)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	p.SNS.Handle(rec, &service.Request{HTTP: hr, Service: "sns", Region: region, RequestID: protocol.NewRequestID()})
	body := rec.body.String()
	if rec.status != http.StatusOK {
		var e struct {
			Error struct {
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Error"`
		}
		if xml.Unmarshal([]byte(body), &e) == nil && e.Error.Code != "" {
			return "", fmt.Errorf("sns publish to %s: %s: %s", topicARN, e.Error.Code, e.Error.Message)
		}
		return "", fmt.Errorf("sns publish to %s: HTTP %d", topicARN, rec.status)
	}
	var out struct {
		Result struct {
			MessageID string `xml:"MessageId"`
		} `xml:"PublishResult"`
	}
	_ = xml.Unmarshal([]byte(body), &out)
	return out.Result.MessageID, nil
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

var _ io.Writer = (*recorder)(nil)

// EventsBus puts events through the sandbox's EventBridge (events.Emit),
// which records them and matches them against the bus's rules.
type EventsBus struct {
	Env service.Env
	// Events, when set, emits through the service, so that delivery to
	// the matched rules' targets starts at once (otherwise within its
	// queue's poll interval).
	Events *events.Service
}

// PutEvent implements EventBus.
func (b EventsBus) PutEvent(ctx context.Context, region string, e Event) error {
	entry := events.Entry{Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources, Time: e.Time}
	if b.Events != nil {
		_, err := b.Events.Emit(ctx, region, entry)
		return err
	}
	_, err := events.Emit(ctx, b.Env, region, entry)
	return err
}
