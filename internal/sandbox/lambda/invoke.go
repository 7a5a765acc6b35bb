package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// Publisher publishes to an SNS topic (asynchronous invocation
// destinations and dead-letter topics).
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) (messageID string, err error)
}

// RuntimeOptions configure how the service runs function code. The
// sandbox server sets them (internal/sandbox/delivery.go) before it
// serves; a zero value works for a Service used alone.
type RuntimeOptions struct {
	// EndpointURL is handed to the code as AWS_ENDPOINT_URL, so its AWS
	// SDK calls come back to the sandbox.
	EndpointURL     string
	AccessKeyID     string
	SecretAccessKey string
	// Logs is the sandbox's CloudWatch Logs service: function output goes
	// to /aws/lambda/<name> there (nil: output is only kept for Tail).
	Logs service.Service
	// Publisher delivers to SNS destinations (nil: they fail, logged).
	Publisher Publisher
	// Clock schedules asynchronous retries (default: a real-time clock).
	Clock *simclock.Clock
	// CodeDir caches unpacked zips by CodeSha256 (default
	// <data dir>/lambda-code).
	CodeDir string
	// MaxInstances is how many processes one function version runs at
	// once (default 4; reserved concurrency lowers it).
	MaxInstances int
	// IdleTimeout stops a warm process unused this long (real time,
	// default 10 minutes).
	IdleTimeout time.Duration
}

// ConfigureRuntime sets how function code runs. Call it before Start.
func (s *Service) ConfigureRuntime(o RuntimeOptions) {
	s.rtMu.Lock()
	defer s.rtMu.Unlock()
	s.rtOpts = o
}

func (s *Service) rt() RuntimeOptions {
	s.rtMu.Lock()
	defer s.rtMu.Unlock()
	o := s.rtOpts
	if o.CodeDir == "" {
		o.CodeDir = filepath.Join(s.env.State.Dir(), "lambda-code")
	}
	if o.MaxInstances <= 0 {
		o.MaxInstances = defaultMaxInstances
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	if o.AccessKeyID == "" {
		o.AccessKeyID, o.SecretAccessKey = "AKIAVIGILSANDBOX0000", "vigil-sandbox-secret-key"
	}
	return o
}

func (s *Service) logger() *slog.Logger {
	if s.env.Logger != nil {
		return s.env.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// nsAsync holds queued asynchronous invocations (queue.Job of asyncJob).
const nsAsync = "lambda/async"

// Start starts running queued asynchronous invocations (those left from
// before a restart first).
func (s *Service) Start() {
	s.rtMu.Lock()
	if s.async != nil {
		s.rtMu.Unlock()
		return
	}
	clock := s.rtOpts.Clock
	if clock == nil {
		clock = simclock.New()
		s.rtOpts.Clock = clock
	}
	s.async = queue.New(s.env.State, nsAsync, clock, 4, s.runAsync, s.env.Logger)
	q := s.async
	s.rtMu.Unlock()
	q.Start()
}

// Close stops every function process and the asynchronous queue (queued
// invocations stay for the next start).
func (s *Service) Close() {
	s.rtMu.Lock()
	q := s.async
	s.rtMu.Unlock()
	if q != nil {
		q.Close()
	}
	s.runner.close()
}

func (s *Service) clock() *simclock.Clock {
	s.rtMu.Lock()
	defer s.rtMu.Unlock()
	return s.rtOpts.Clock
}

// Handle serves Invoke itself (its response is the function's payload
// with X-Amz-* headers, not a JSON document) and everything else through
// the REST routes.
func (s *Service) Handle(w http.ResponseWriter, r *service.Request) {
	if r.HTTP.Method == http.MethodPost {
		segs, ok := splitPath(r.HTTP.URL.EscapedPath())
		if ok && len(segs) == 4 && segs[0] == "2015-03-31" && segs[1] == "functions" && segs[3] == "invocations" {
			r.Operation = "Invoke"
			s.serveInvoke(w, r, segs[2])
			return
		}
	}
	s.REST.Handle(w, r)
}

func splitPath(p string) ([]string, bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, x := range parts {
		u, err := unescape(x)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// Limits of Invoke payloads.
const (
	maxSyncPayload  = 6 << 20
	maxAsyncPayload = 256 << 10
)

func (s *Service) serveInvoke(w http.ResponseWriter, r *service.Request, name string) {
	fail := func(err error) { protocol.WriteRESTJSONError(w, r.RequestID, protocol.AsError(err)) }
	c := &service.RESTCall{Path: map[string]string{"FunctionName": name}, Query: r.HTTP.URL.Query()}
	fr, err := s.target(r, c)
	if err != nil {
		fail(err)
		return
	}
	body, perr := r.Body()
	if perr != nil {
		fail(perr)
		return
	}
	kind := r.HTTP.Header.Get("X-Amz-Invocation-Type")
	if kind == "" {
		kind = "RequestResponse"
	}
	logType := r.HTTP.Header.Get("X-Amz-Log-Type")
	if logType == "" {
		logType = "None"
	}
	switch {
	case kind != "RequestResponse" && kind != "Event" && kind != "DryRun":
		fail(errValidation("invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]", kind))
		return
	case logType != "None" && logType != "Tail":
		fail(errValidation("logType", "Member must satisfy enum value set: [Tail, None]", logType))
		return
	}
	payload, err := checkPayload(body, kind)
	if err != nil {
		fail(err)
		return
	}
	var res *resolved
	err = s.view(r.Context(), func(tx *state.Tx) error {
		var err error
		res, err = s.resolve(tx, fr)
		return err
	})
	if err != nil {
		fail(err)
		return
	}
	if !runnable(res.config.Runtime) {
		fail(errRuntime(res.config))
		return
	}
	h := w.Header()
	switch kind {
	case "DryRun":
		h.Set("X-Amzn-RequestId", r.RequestID)
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		if err := s.enqueue(r.Context(), fr, payload, r.RequestID); err != nil {
			fail(err)
			return
		}
		h.Set("X-Amzn-RequestId", r.RequestID)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	o, err := s.invokeResolved(r.Context(), fr, res, payload, r.RequestID)
	if err != nil {
		fail(err)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-RequestId", r.RequestID)
	h.Set("X-Amz-Executed-Version", o.Executed)
	if o.FunctionError != "" {
		h.Set("X-Amz-Function-Error", o.FunctionError)
	}
	if logType == "Tail" {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(tail(o.Log, 4096)))
	}
	h.Set("Content-Length", strconv.Itoa(len(o.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(o.Payload)
}

// tail is the last n bytes of a log, as X-Amz-Log-Result carries it.
func tail(log string, n int) []byte {
	b := []byte(log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return b
}

func checkPayload(body []byte, kind string) ([]byte, error) {
	limit := maxSyncPayload
	if kind == "Event" {
		limit = maxAsyncPayload
	}
	if len(body) > limit {
		return nil, protocol.Errorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			"Request must be smaller than %d bytes for the Invoke operation", limit)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(body) {
		return nil, protocol.Errorf(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON")
	}
	return body, nil
}

func errRuntime(cfg Configuration) error {
	return protocol.Errorf(http.StatusBadGateway, "InvalidRuntimeException",
		"The vigil sandbox runs only custom-runtime functions (provided.al2023, provided.al2): it cannot run %s code of function %s. Package the function as a bootstrap executable.",
		cfg.Runtime, cfg.FunctionName)
}

func errThrottled() error {
	return protocol.Errorf(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
}

// Invoke runs a function synchronously (RequestResponse) on behalf of the
// sandbox (tests, other services): the outcome is what the Invoke API
// would return.
func (s *Service) Invoke(ctx context.Context, functionName string, payload []byte) (payloadOut []byte, functionError string, err error) {
	fr, err := s.parseFunctionName(&service.Request{Region: s.env.Region}, functionName)
	if err != nil {
		return nil, "", err
	}
	o, err := s.invokeRef(ctx, fr, payload, protocol.NewRequestID())
	return o.Payload, o.FunctionError, err
}

func (s *Service) invokeRef(ctx context.Context, fr ref, payload []byte, id string) (outcome, error) {
	var res *resolved
	err := s.view(ctx, func(tx *state.Tx) error {
		var err error
		res, err = s.resolve(tx, fr)
		return err
	})
	if err != nil {
		return outcome{}, err
	}
	if !runnable(res.config.Runtime) {
		return outcome{}, errRuntime(res.config)
	}
	return s.invokeResolved(ctx, fr, res, payload, id)
}

// invokeResolved runs one invocation on a warm or new process.
func (s *Service) invokeResolved(ctx context.Context, fr ref, res *resolved, payload []byte, id string) (outcome, error) {
	if res.fn.Concurrency != nil && *res.fn.Concurrency == 0 {
		s.metrics(ctx, fr, outcome{}, 0, true)
		return outcome{}, errThrottled()
	}
	p, err := s.runner.poolFor(fr.region, res)
	if err != nil {
		return outcome{}, protocol.Errorf(http.StatusServiceUnavailable, "ServiceException", "%v", err)
	}
	timeout := time.Duration(res.config.Timeout) * time.Second
	wait, cancel := context.WithTimeout(ctx, timeout+initTimeout)
	inst, err := p.acquire(wait)
	cancel()
	var se *startError
	switch {
	case errors.As(err, &se):
		doc := fnError(se.errType, "RequestId: %s Error: %s", id, se.msg)
		return outcome{Payload: doc, FunctionError: "Unhandled", Executed: res.version,
			Log: fmt.Sprintf("START RequestId: %s Version: %s\n%s\nEND RequestId: %s\n", id, res.version, doc, id)}, nil
	case errors.Is(err, errBusy):
		s.metrics(ctx, fr, outcome{}, 0, true)
		return outcome{}, errThrottled()
	case err != nil:
		return outcome{}, protocol.Errorf(http.StatusInternalServerError, "ServiceException", "the sandbox could not start function %s: %v", fr.name, err)
	}
	arn := s.functionARN(fr.region, fr.name)
	if fr.qualifier != "" {
		arn += ":" + fr.qualifier
	}
	inv := &invocation{id: id, payload: payload, arn: arn, trace: traceID(s.now()), done: make(chan outcome, 1)}
	began := time.Now()
	o := inst.invoke(ctx, inv, timeout)
	p.release(inst)
	s.metrics(ctx, fr, o, time.Since(began), false)
	return o, nil
}

// metrics publishes an invocation's AWS/Lambda metrics (Invocations,
// Errors, Duration, Throttles) to the sandbox's CloudWatch, at the
// virtual time, by FunctionName (and Resource for a qualified call).
func (s *Service) metrics(ctx context.Context, fr ref, o outcome, d time.Duration, throttled bool) {
	now := s.clockNow()
	dimSets := [][]cloudwatch.Dimension{{{Name: "FunctionName", Value: fr.name}}}
	if fr.qualifier != "" {
		dimSets = append(dimSets, []cloudwatch.Dimension{{Name: "FunctionName", Value: fr.name}, {Name: "Resource", Value: fr.name + ":" + fr.qualifier}})
	}
	var samples []cloudwatch.Sample
	add := func(name string, v float64, unit string) {
		for _, dims := range dimSets {
			samples = append(samples, cloudwatch.Sample{Namespace: "AWS/Lambda", MetricName: name, Dimensions: dims, Timestamp: now, Value: v, Unit: unit})
		}
	}
	if throttled {
		add("Throttles", 1, "Count")
	} else {
		add("Invocations", 1, "Count")
		errs := 0.0
		if o.FunctionError != "" {
			errs = 1
		}
		add("Errors", errs, "Count")
		add("Duration", float64(d.Microseconds())/1000, "Milliseconds")
	}
	err := s.update(context.WithoutCancel(ctx), func(tx *state.Tx) error { return cloudwatch.PutSamples(tx, fr.region, samples) })
	if err != nil {
		s.logger().Warn("lambda: publish metrics", "function", fr.name, "err", err)
	}
}

func traceID(now time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), h[:24], h[24:40])
}

// asyncJob is a queued asynchronous invocation.
type asyncJob struct {
	Region    string          `json:"region"`
	Name      string          `json:"name"`
	Qualifier string          `json:"qualifier,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	RequestID string          `json:"request_id"`
}

// enqueue queues an asynchronous invocation durably.
func (s *Service) enqueue(ctx context.Context, fr ref, payload []byte, id string) error {
	b, err := json.Marshal(asyncJob{Region: fr.region, Name: fr.name, Qualifier: fr.qualifier, Payload: payload, RequestID: id})
	if err != nil {
		return err
	}
	now := s.now()
	err = s.update(ctx, func(tx *state.Tx) error {
		return queue.Put(tx, nsAsync, queue.Job{Kind: "invoke", Payload: b}, now)
	})
	if err != nil {
		return err
	}
	s.rtMu.Lock()
	q := s.async
	s.rtMu.Unlock()
	if q != nil {
		q.Kick()
	}
	return nil
}

// InvokeAsync queues an Event invocation of a function (name or ARN, maybe
// qualified) for the sandbox itself (asynchronous destinations). It fails
// when the function does not exist or cannot run.
func (s *Service) InvokeAsync(ctx context.Context, function string, payload []byte) error {
	return s.invokeAsync(ctx, "", "", function, payload)
}

// InvokeAsyncFor is InvokeAsync on behalf of an AWS service (principal
// such as events.amazonaws.com, for the resource sourceARN): as on AWS,
// the function's resource policy must allow it (AddPermission, or
// Terraform's aws_lambda_permission), else AccessDeniedException.
func (s *Service) InvokeAsyncFor(ctx context.Context, principal, sourceARN, function string, payload []byte) error {
	return s.invokeAsync(ctx, principal, sourceARN, function, payload)
}

func (s *Service) invokeAsync(ctx context.Context, principal, sourceARN, function string, payload []byte) error {
	region := s.env.Region
	if r := regionOfARN(function); r != "" && strings.HasPrefix(function, "arn:") {
		region = r
	}
	fr, err := s.parseFunctionName(&service.Request{Region: region}, function)
	if err != nil {
		return err
	}
	if len(payload) > maxAsyncPayload {
		return protocol.Errorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the Invoke operation", maxAsyncPayload)
	}
	var res *resolved
	err = s.view(ctx, func(tx *state.Tx) error {
		var err error
		res, err = s.resolve(tx, fr)
		return err
	})
	if err != nil {
		return err
	}
	if !runnable(res.config.Runtime) {
		return errRuntime(res.config)
	}
	if principal != "" && !permitted(res.fn, fr.qualifier, principal, sourceARN, s.env.AccountID) {
		return protocol.Errorf(http.StatusForbidden, "AccessDeniedException",
			"The resource policy of function %s does not allow %s to invoke it for %s: add a permission (AddPermission, aws_lambda_permission) for that principal and source.",
			s.functionARN(fr.region, fr.name), principal, sourceARN)
	}
	return s.enqueue(ctx, fr, payload, protocol.NewRequestID())
}

// permitted reports whether a function's resource policy (of the
// qualifier invoked; $LATEST is the unqualified function's) allows an AWS
// service principal to invoke it for sourceARN. Conditions the sandbox
// cannot evaluate for a service call do not grant.
func permitted(f *functionDoc, qualifier, principal, sourceARN, account string) bool {
	if qualifier == "$LATEST" {
		qualifier = ""
	}
	p := f.Policies[qualifier]
	if p == nil {
		return false
	}
	for _, st := range p.Statements {
		if st.Effect != "Allow" || (st.Action != "lambda:InvokeFunction" && st.Action != "lambda:*" && st.Action != "*") {
			continue
		}
		if !principalMatches(st.Principal, principal) {
			continue
		}
		ok := true
		for op, kv := range st.Condition {
			for k, v := range kv {
				switch key := strings.ToLower(k); {
				case (op == "ArnLike" || op == "StringLike") && key == "aws:sourcearn":
					ok = ok && globMatch(v, sourceARN)
				case (op == "ArnEquals" || op == "StringEquals") && key == "aws:sourcearn":
					ok = ok && v == sourceARN
				case op == "StringEquals" && key == "aws:sourceaccount":
					ok = ok && v == account
				default:
					ok = false
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func principalMatches(p any, principal string) bool {
	switch x := p.(type) {
	case string:
		return x == "*"
	case map[string]any:
		switch v := x["Service"].(type) {
		case string:
			return v == principal
		case []any:
			for _, e := range v {
				if e == principal {
					return true
				}
			}
		}
	case map[string]string:
		return x["Service"] == principal
	}
	return false
}

// globMatch matches s against a pattern with * (any run) and ? (one
// character), as ArnLike does.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// Asynchronous invocation defaults (AWS).
const (
	defaultAsyncRetries = 2
	defaultAsyncMaxAge  = 6 * time.Hour
)

// runAsync runs one queued asynchronous invocation: on a function error it
// is retried (after one minute, then two, of virtual time), up to the
// function's MaximumRetryAttempts; then its destinations are told.
func (s *Service) runAsync(ctx context.Context, j queue.Job) error {
	var a asyncJob
	if err := json.Unmarshal(j.Payload, &a); err != nil {
		return err
	}
	fr := ref{region: a.Region, name: a.Name, qualifier: a.Qualifier}
	q := a.Qualifier
	if q == "" {
		q = "$LATEST"
	}
	var eic eicDoc
	var dlq string
	err := s.view(ctx, func(tx *state.Tx) error {
		f, err := getFunction(tx, a.Region, a.Name)
		if err != nil {
			return err
		}
		if f.Config.DeadLetterConfig != nil {
			dlq = f.Config.DeadLetterConfig.TargetArn
		}
		if err := tx.Get(nsEIC, childPrefix(a.Region, a.Name)+q, &eic); err != nil && !service.IsNotFound(err) {
			return err
		}
		return nil
	})
	if err != nil {
		s.logger().Warn("lambda: asynchronous invocation dropped", "function", a.Name, "request_id", a.RequestID, "err", err)
		return err
	}
	retries, maxAge := defaultAsyncRetries, defaultAsyncMaxAge
	if eic.MaximumRetryAttempts != nil {
		retries = *eic.MaximumRetryAttempts
	}
	if eic.MaximumEventAgeInSeconds != nil {
		maxAge = time.Duration(*eic.MaximumEventAgeInSeconds) * time.Second
	}
	now := s.clockNow()
	if now.Sub(j.Created) > maxAge {
		s.destinations(ctx, fr, a, eic, dlq, "EventAgeExceeded", j.Attempt, outcome{})
		return errors.New("event age exceeded")
	}
	run, cancel := context.WithTimeout(ctx, 15*time.Minute+initTimeout)
	defer cancel()
	o, err := s.invokeRef(run, fr, a.Payload, a.RequestID)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		if pe := protocol.AsError(err); pe.Status == http.StatusTooManyRequests || pe.Status >= 500 {
			return &queue.Retry{At: now.Add(time.Minute), Err: err}
		}
		s.logger().Warn("lambda: asynchronous invocation failed", "function", a.Name, "request_id", a.RequestID, "err", err)
		return err
	}
	if o.FunctionError == "" {
		s.destinations(ctx, fr, a, eic, "", "Success", j.Attempt+1, o)
		return nil
	}
	if j.Attempt < retries {
		wait := time.Minute
		if j.Attempt >= 1 {
			wait = 2 * time.Minute
		}
		return &queue.Retry{At: s.clockNow().Add(wait), Err: fmt.Errorf("function error: %s", o.Payload)}
	}
	s.destinations(ctx, fr, a, eic, dlq, "RetriesExhausted", j.Attempt+1, o)
	return fmt.Errorf("function error after %d attempts: %s", j.Attempt+1, o.Payload)
}

func (s *Service) clockNow() time.Time {
	if c := s.clock(); c != nil {
		return c.Now()
	}
	return s.now()
}

// destinations sends an asynchronous invocation's record to its on-success
// or on-failure destination, and a failed event to the dead-letter topic.
func (s *Service) destinations(ctx context.Context, fr ref, a asyncJob, eic eicDoc, dlq, condition string, attempts int, o outcome) {
	var dest string
	if dc := eic.DestinationConfig; dc != nil {
		d := dc.OnFailure
		if condition == "Success" {
			d = dc.OnSuccess
		}
		if d != nil && d.Destination != nil {
			dest = *d.Destination
		}
	}
	arn := s.functionARN(fr.region, fr.name) + ":" + orLatest(fr.qualifier)
	if dest != "" {
		rc := map[string]any{"statusCode": 200, "executedVersion": o.Executed}
		if o.FunctionError != "" {
			rc["functionError"] = o.FunctionError
		}
		rec := map[string]any{
			"version": "1.0", "timestamp": s.now().UTC().Format("2006-01-02T15:04:05.000Z"),
			"requestContext": map[string]any{"requestId": a.RequestID, "functionArn": arn, "condition": condition, "approximateInvokeCount": attempts},
			"requestPayload": a.Payload, "responseContext": rc,
		}
		if len(o.Payload) > 0 && json.Valid(o.Payload) {
			rec["responsePayload"] = json.RawMessage(o.Payload)
		}
		b, _ := json.Marshal(rec)
		if err := s.deliver(ctx, dest, b); err != nil {
			s.logger().Warn("lambda: destination not reached", "function", fr.name, "destination", dest, "err", err)
		}
	}
	if dlq != "" && condition != "Success" {
		if err := s.deliver(ctx, dlq, a.Payload); err != nil {
			s.logger().Warn("lambda: dead-letter target not reached", "function", fr.name, "target", dlq, "err", err)
		}
	}
}

func orLatest(q string) string {
	if q == "" {
		return "$LATEST"
	}
	return q
}

// deliver sends a document to an SNS topic or a Lambda function.
func (s *Service) deliver(ctx context.Context, arn string, doc []byte) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return fmt.Errorf("not an ARN: %s", arn)
	}
	switch parts[2] {
	case "sns":
		pub := s.rt().Publisher
		if pub == nil {
			return errors.New("no SNS publisher is configured")
		}
		_, err := pub.Publish(ctx, arn, "", string(doc))
		return err
	case "lambda":
		return s.InvokeAsync(ctx, arn, doc)
	}
	return fmt.Errorf("the vigil sandbox does not deliver to %s destinations yet", parts[2])
}
