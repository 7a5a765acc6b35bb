package sandbox

import (
	"context"
	"time"

	"github.com/vigil-sre/vigil/internal/cwalarm"
	"github.com/vigil-sre/vigil/internal/sandbox/autoscaling"
	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
)

// Application Auto Scaling on the alarm evaluator: alarm actions that are
// scaling policy ARNs invoke the policy (scalingSink), and after every
// evaluation instant the policies whose alarms stay in ALARM are invoked
// again (repeatScaling), as CloudWatch repeats Auto Scaling actions every
// period.

// scalingSink runs an alarm change's Auto Scaling actions through the
// sandbox's Application Auto Scaling and hands the rest of the change
// (other actions, the EventBridge event) to next.
type scalingSink struct {
	aas  *autoscaling.Service
	next cloudwatch.ActionSink
}

// AlarmStateChanged implements cloudwatch.ActionSink.
func (k scalingSink) AlarmStateChanged(ctx context.Context, c cloudwatch.AlarmChange) []cloudwatch.ActionResult {
	var results []cloudwatch.ActionResult
	rest := c
	rest.Actions = nil
	for _, a := range c.Actions {
		if cwalarm.IsAutoScaling(a) {
			results = append(results, cloudwatch.ActionResult{Action: a, Err: k.aas.Invoke(ctx, a, c.AlarmName)})
			continue
		}
		rest.Actions = append(rest.Actions, a)
	}
	if k.next != nil {
		results = append(results, k.next.AlarmStateChanged(ctx, rest)...)
	}
	return results
}

// scalingActions wraps the alarm action sink so scaling policy actions
// reach Application Auto Scaling (next alone without it).
func (s *Server) scalingActions(next cloudwatch.ActionSink) cloudwatch.ActionSink {
	aas, ok := s.services["application-autoscaling"].(*autoscaling.Service)
	if !ok {
		return next
	}
	return scalingSink{aas: aas, next: next}
}

// repeatScaling re-invokes scaling policies after each alarm evaluation.
func (s *Server) repeatScaling() {
	aas, ok := s.services["application-autoscaling"].(*autoscaling.Service)
	if !ok || s.alarms == nil {
		return
	}
	s.alarms.AfterEvaluation(func(ctx context.Context, now time.Time) {
		if err := aas.Repeat(ctx, now); err != nil && ctx.Err() == nil {
			s.logger.Warn("sandbox: scaling policy not invoked", "at", now, "err", err)
		}
	})
}
