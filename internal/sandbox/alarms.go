package sandbox

import (
	"context"

	"github.com/vigil-sre/vigil/internal/sandbox/alarmaction"
	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// setupAlarms wires CloudWatch alarm evaluation: alarm state changes go to
// an alarmaction.Dispatcher (SNS notifications, EventBridge events), and
// an evaluator on the sandbox's clock evaluates every alarm each period
// once the server starts.
func (s *Server) setupAlarms(env service.Env) {
	cw, ok := s.services["monitoring"].(*cloudwatch.Service)
	if !ok {
		return
	}
	var pub alarmaction.Publisher
	if sns := s.services["sns"]; sns != nil {
		pub = alarmaction.ServicePublisher{SNS: sns}
	}
	var bus alarmaction.EventBus
	if _, ok := s.services["events"]; ok {
		bus = alarmaction.EventsBus{Env: env}
	}
	cw.SetActionSink(s.scalingActions(s.withDelivery(alarmaction.New(pub, bus, s.logger), env)))
	s.alarms = cw.NewEvaluator(s.clock, s.logger)
	s.repeatScaling()
}

func (s *Server) startAlarms() error {
	if s.alarms == nil {
		return nil
	}
	return s.alarms.Start(context.Background())
}

func (s *Server) stopAlarms() {
	if s.alarms != nil {
		s.alarms.Stop()
	}
}
