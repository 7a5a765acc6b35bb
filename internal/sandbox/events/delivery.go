package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// State namespaces of delivery.
const (
	nsDelivery = "events/delivery" // queue.Job of deliveryJob
)

// deliveryLog keeps the last 10,000 target delivery outcomes.
var deliveryLog = state.Ring{NS: "events/delivery-log", Keep: 10000}

// Invoker queues an asynchronous invocation of a Lambda function on
// behalf of an AWS service principal, for a source ARN (the function's
// resource policy must allow it).
type Invoker interface {
	InvokeAsyncFor(ctx context.Context, principal, sourceARN, functionARN string, payload []byte) error
}

// Publisher publishes to an SNS topic.
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) (messageID string, err error)
}

// DeliveryOptions configure target delivery. The sandbox server sets them
// (internal/sandbox/delivery.go) before it serves.
type DeliveryOptions struct {
	Lambda Invoker
	SNS    Publisher
	Clock  *simclock.Clock // schedules retries (default: a real-time clock)
}

// ConfigureDelivery sets how targets are reached. Call it before Start.
func (s *Service) ConfigureDelivery(o DeliveryOptions) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.dopts = o
}

// Start starts delivering matched events to targets (deliveries left
// from before a restart first).
func (s *Service) Start() {
	s.queue.Start(func() *queue.Queue {
		s.dmu.Lock()
		defer s.dmu.Unlock()
		if s.dopts.Clock == nil {
			s.dopts.Clock = simclock.New()
		}
		return queue.New(s.env.State, nsDelivery, s.dopts.Clock, 4, s.deliver, s.env.Logger)
	})
}

// Close stops delivering; deliveries not finished stay for the next start.
func (s *Service) Close() { s.queue.Close() }

func (s *Service) kick() { s.queue.Kick() }

func (s *Service) opts() DeliveryOptions {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.dopts
}

func (s *Service) logger() *slog.Logger {
	if s.env.Logger != nil {
		return s.env.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Emit is the package's Emit, after which delivery to the matched rules'
// targets starts at once.
func (s *Service) Emit(ctx context.Context, region string, e Entry) (Record, error) {
	rec, err := Emit(ctx, s.env, region, e)
	if err == nil {
		s.kick()
	}
	return rec, err
}

// deliveryJob is one event for one target of one rule.
type deliveryJob struct {
	RuleARN  string          `json:"rule_arn"`
	RuleName string          `json:"rule_name"`
	Target   json.RawMessage `json:"target"`
	EventID  string          `json:"event_id"`
	Event    json.RawMessage `json:"event"`
	Received time.Time       `json:"received"`
}

// enqueueTargets queues the event for every target of a matched rule (in
// the transaction that accepted the event).
func enqueueTargets(tx *state.Tx, rule ruleDoc, rec Record, now time.Time) error {
	for _, t := range rule.Targets {
		b, err := json.Marshal(deliveryJob{RuleARN: rule.Arn, RuleName: rule.Name, Target: t, EventID: rec.ID, Event: rec.Event, Received: now})
		if err != nil {
			return err
		}
		if err := queue.Put(tx, nsDelivery, queue.Job{Kind: "target", Payload: b}, now); err != nil {
			return err
		}
	}
	return nil
}

// Delivery is the outcome of delivering one event to one target.
type Delivery struct {
	EventID   string    `json:"event_id"`
	RuleARN   string    `json:"rule_arn"`
	TargetID  string    `json:"target_id"`
	TargetARN string    `json:"target_arn"`
	Input     string    `json:"input"` // what the target was sent
	Delivered bool      `json:"delivered"`
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"` // virtual time
}

// Deliveries lists the last 10,000 target delivery outcomes, oldest
// first.
func Deliveries(ctx context.Context, st *state.Store) ([]Delivery, error) {
	return state.RingList[Delivery](ctx, st, deliveryLog)
}

func (s *Service) record(ctx context.Context, d Delivery) {
	err := s.env.State.Update(ctx, func(tx *state.Tx) error { return deliveryLog.Append(tx, d) })
	if err != nil {
		s.logger().Warn("events: record delivery", "err", err)
	}
	lvl := slog.LevelDebug
	if !d.Delivered {
		lvl = slog.LevelWarn
	}
	s.logger().Log(ctx, lvl, "events: target delivery", "rule", d.RuleARN, "target", d.TargetARN, "delivered", d.Delivered,
		"attempts", d.Attempts, "error", d.Error)
}

type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }

// Retry defaults of targets (AWS: 185 attempts within 24 hours).
const (
	defaultRetryAttempts = 185
	defaultMaxEventAge   = 24 * time.Hour
	maxBackoff           = 5 * time.Minute
)

// deliver sends one event to one target, retrying with exponential
// backoff (virtual time) within the target's RetryPolicy.
func (s *Service) deliver(ctx context.Context, j queue.Job) error {
	var dj deliveryJob
	if err := json.Unmarshal(j.Payload, &dj); err != nil {
		return err
	}
	var t target
	if err := json.Unmarshal(dj.Target, &t); err != nil {
		return err
	}
	o := s.opts()
	now := o.Clock.Now().UTC()
	d := Delivery{EventID: dj.EventID, RuleARN: dj.RuleARN, TargetID: t.Id, TargetARN: t.Arn, Attempts: j.Attempt + 1, At: now}
	input, err := targetInput(&t, dj.Event, dj.RuleARN, dj.RuleName, dj.Received)
	if err == nil {
		d.Input = string(input)
		err = s.send(ctx, o, dj.RuleARN, t.Arn, input)
	} else {
		err = &permanent{fmt.Errorf("transform the input: %w", err)}
	}
	if err == nil {
		d.Delivered = true
		s.record(ctx, d)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	d.Error = err.Error()
	attempts, maxAge := defaultRetryAttempts, defaultMaxEventAge
	if rp := t.RetryPolicy; rp != nil {
		if rp.MaximumRetryAttempts != nil {
			attempts = *rp.MaximumRetryAttempts
		}
		if rp.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
		}
	}
	var p *permanent
	if !errors.As(err, &p) && j.Attempt < attempts {
		wait := min(time.Second<<min(j.Attempt, 16), maxBackoff)
		if at := now.Add(wait); at.Sub(dj.Received) <= maxAge {
			return &queue.Retry{At: at, Err: err}
		}
	}
	s.record(ctx, d)
	return err
}

// send delivers an input to a target by its ARN.
func (s *Service) send(ctx context.Context, o DeliveryOptions, ruleARN, arn string, input []byte) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return &permanent{fmt.Errorf("target %s is not an ARN", arn)}
	}
	var err error
	switch parts[2] {
	case "lambda":
		if o.Lambda == nil {
			return &permanent{errors.New("the sandbox has no Lambda to invoke")}
		}
		err = o.Lambda.InvokeAsyncFor(ctx, "events.amazonaws.com", ruleARN, arn, input)
	case "sns":
		if o.SNS == nil {
			return &permanent{errors.New("the sandbox has no SNS to publish to")}
		}
		_, err = o.SNS.Publish(ctx, arn, "", string(input))
	default:
		return &permanent{fmt.Errorf("not delivered: the vigil sandbox does not deliver EventBridge events to %s targets yet", parts[2])}
	}
	if err == nil {
		return nil
	}
	if pe := protocol.AsError(err); pe.Status >= 400 && pe.Status < 500 && pe.Status != http.StatusTooManyRequests {
		return &permanent{err}
	}
	if strings.Contains(err.Error(), "NotFound") || strings.Contains(err.Error(), "InvalidParameter") {
		return &permanent{err}
	}
	return err
}
