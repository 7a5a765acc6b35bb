package sandbox

import (
	"net/http"

	"github.com/vigil-sre/vigil/internal/sandbox/alarmaction"
	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/lambda"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/sns"
)

// Delivery wiring: what one service sets off in another.
//
//   - Lambda runs function code (bootstrap processes served the Runtime
//     API), writes their output to CloudWatch Logs, and hands the code the
//     sandbox's URL as AWS_ENDPOINT_URL; asynchronous destinations publish
//     through SNS.
//   - SNS delivers to http/https endpoints and invokes subscribed
//     functions.
//   - EventBridge delivers matched events to Lambda and SNS targets.
//   - CloudWatch alarm actions publish to SNS and invoke Lambda functions;
//     state change events go to EventBridge and on to its targets at once.
//
// Deliveries are queued in the state with what caused them and retried on
// the sandbox's virtual clock (package queue); they are started by Start
// and stopped, unfinished ones kept for the next start, by Close.

// withDelivery completes the alarm action dispatcher (setupAlarms):
// Lambda alarm actions invoke functions, and state change events go
// through the EventBridge service so their delivery starts at once.
func (s *Server) withDelivery(d *alarmaction.Dispatcher, env service.Env) *alarmaction.Dispatcher {
	if lam, ok := s.services["lambda"].(*lambda.Service); ok {
		d.WithLambda(lam)
	}
	if ev, ok := s.services["events"].(*events.Service); ok {
		d.WithBus(alarmaction.EventsBus{Env: env, Events: ev})
	}
	return d
}

// startDelivery configures delivery with the server's URL and starts the
// delivery queues (at Start, with s.mu held).
func (s *Server) startDelivery() {
	url := s.urlLocked()
	lam, _ := s.services["lambda"].(*lambda.Service)
	sn, _ := s.services["sns"].(*sns.Service)
	ev, _ := s.services["events"].(*events.Service)
	var pub alarmaction.ServicePublisher
	if sn != nil {
		pub = alarmaction.ServicePublisher{SNS: sn}
	}
	if lam != nil {
		o := lambda.RuntimeOptions{EndpointURL: url, AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey,
			Logs: s.services["logs"], Clock: s.clock}
		if sn != nil {
			o.Publisher = pub
		}
		lam.ConfigureRuntime(o)
		lam.Start()
	}
	if sn != nil {
		o := sns.DeliveryOptions{BaseURL: url, Clock: s.clock}
		if lam != nil {
			o.Lambda = lam
		}
		sn.ConfigureDelivery(o)
		sn.Start()
	}
	if ev != nil {
		o := events.DeliveryOptions{Clock: s.clock}
		if lam != nil {
			o.Lambda = lam
		}
		if sn != nil {
			o.SNS = pub
		}
		ev.ConfigureDelivery(o)
		ev.Start()
	}
}

// stopDelivery stops the delivery queues and every function process (at
// Close, before the state closes).
func (s *Server) stopDelivery() {
	if ev, ok := s.services["events"].(*events.Service); ok {
		ev.Close()
	}
	if sn, ok := s.services["sns"].(*sns.Service); ok {
		sn.Close()
	}
	if lam, ok := s.services["lambda"].(*lambda.Service); ok {
		lam.Close()
	}
}

// routeLink sends the unsigned links SNS puts in delivered messages
// (SubscribeURL, UnsubscribeURL, SigningCertURL) to SNS.
func (s *Server) routeLink(r *http.Request, req *service.Request) service.Service {
	if svc := s.services["sns"]; svc != nil && sns.IsLink(r) {
		req.Service = "sns"
		return svc
	}
	return nil
}
