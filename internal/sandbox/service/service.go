// Package service is the contract between the sandbox's router and its
// services (one folder per AWS service under internal/sandbox), plus the
// dispatchers that turn a JSON or query request into a call of a plain
// handler function that never touches net/http.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// MaxBody is the largest request body the non-streaming protocols accept
// (a Lambda zip sent inline as base64 is the largest legitimate case).
const MaxBody = 100 << 20

// Env is what every service is built with. Nothing in it is global: tests
// build their own.
type Env struct {
	State     *state.Store
	AccountID string
	Region    string // default region when a request names none
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service is one AWS service served by the sandbox.
type Service interface {
	// Name is the SigV4 signing name ("s3", "dynamodb", "sts", …).
	Name() string
	// Handle serves one request. It must always write a response.
	Handle(w http.ResponseWriter, r *Request)
}

// TargetPrefixer is implemented by JSON-protocol services so that requests
// without a SigV4 scope can still be routed by X-Amz-Target.
type TargetPrefixer interface {
	TargetPrefixes() []string
}

// Request is one routed request.
type Request struct {
	HTTP      *http.Request
	Service   string
	Region    string
	AccessKey string
	Operation string // filled by the dispatchers
	RequestID string

	body     []byte
	bodyRead bool
}

// Context is the request's context.
func (r *Request) Context() context.Context { return r.HTTP.Context() }

// Body reads the whole request body (at most MaxBody bytes).
func (r *Request) Body() ([]byte, *protocol.Error) {
	if r.bodyRead {
		return r.body, nil
	}
	r.bodyRead = true
	if r.HTTP.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.HTTP.Body, MaxBody+1))
	if err != nil {
		return nil, protocol.Errorf(http.StatusBadRequest, "IncompleteBody", "cannot read request body: %v", err)
	}
	if len(b) > MaxBody {
		return nil, protocol.ErrBodyTooLarge
	}
	r.body = b
	return b, nil
}

// JSONOp handles one JSON-protocol operation: raw input in, output value
// (marshalled with encoding/json) or error out.
type JSONOp func(ctx context.Context, r *Request, in []byte) (any, error)

// JSON dispatches a JSON 1.0/1.1 service by X-Amz-Target.
type JSON struct {
	ServiceName string   // signing name
	Version     string   // "1.0" or "1.1"
	Prefixes    []string // accepted X-Amz-Target prefixes
	Ops         map[string]JSONOp
	Logger      *slog.Logger
}

// Name implements Service.
func (j *JSON) Name() string { return j.ServiceName }

// TargetPrefixes implements TargetPrefixer.
func (j *JSON) TargetPrefixes() []string { return j.Prefixes }

// Handle implements Service.
func (j *JSON) Handle(w http.ResponseWriter, r *Request) {
	prefix, op, ok := protocol.JSONTarget(r.HTTP)
	r.Operation = op
	if !ok || !j.knownPrefix(prefix) {
		protocol.WriteJSONError(w, j.Version, r.RequestID, protocol.Errorf(http.StatusBadRequest, "UnknownOperationException",
			"missing or unknown X-Amz-Target %q for %s", r.HTTP.Header.Get("X-Amz-Target"), j.ServiceName))
		return
	}
	h := j.Ops[op]
	if h == nil {
		notImplemented(j.Logger, r)
		protocol.WriteJSONError(w, j.Version, r.RequestID, protocol.NotImplemented(j.ServiceName, op))
		return
	}
	body, perr := r.Body()
	if perr != nil {
		protocol.WriteJSONError(w, j.Version, r.RequestID, perr)
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, err := h(r.Context(), r, body)
	if err != nil {
		protocol.WriteJSONError(w, j.Version, r.RequestID, protocol.AsError(err))
		return
	}
	protocol.WriteJSON(w, j.Version, r.RequestID, out)
}

func (j *JSON) knownPrefix(p string) bool {
	for _, q := range j.Prefixes {
		if q == p {
			return true
		}
	}
	return false
}

// DecodeJSON unmarshals a JSON-protocol input, answering malformed input
// with the SerializationException SDKs expect.
func DecodeJSON(in []byte, v any) error {
	if err := json.Unmarshal(in, v); err != nil {
		return protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse request: %v", err)
	}
	return nil
}

// QueryOp handles one query-protocol operation.
type QueryOp func(ctx context.Context, r *Request, form url.Values) (any, error)

// Query dispatches a query- or EC2-protocol service by its Action.
type Query struct {
	ServiceName string
	XMLNS       string // response namespace, e.g. https://iam.amazonaws.com/doc/2010-05-08/
	EC2         bool   // EC2's dialect of the query protocol
	Ops         map[string]QueryOp
	Logger      *slog.Logger
}

// Name implements Service.
func (q *Query) Name() string { return q.ServiceName }

// Handle implements Service.
func (q *Query) Handle(w http.ResponseWriter, r *Request) {
	writeErr := func(e *protocol.Error) {
		if q.EC2 {
			protocol.WriteEC2Error(w, r.RequestID, e)
		} else {
			protocol.WriteQueryError(w, q.XMLNS, r.RequestID, e)
		}
	}
	body, perr := r.Body()
	if perr != nil {
		writeErr(perr)
		return
	}
	form, perr := protocol.ParseForm(r.HTTP, body)
	if perr != nil {
		writeErr(perr)
		return
	}
	op := form.Get("Action")
	r.Operation = op
	if op == "" {
		writeErr(protocol.Errorf(http.StatusBadRequest, "MissingAction", "request has no Action parameter"))
		return
	}
	h := q.Ops[op]
	if h == nil {
		notImplemented(q.Logger, r)
		e := protocol.NotImplemented(q.ServiceName, op)
		if !q.EC2 {
			// Query services answer unknown actions with InvalidAction.
			e.Code = "InvalidAction"
			e.Status = http.StatusBadRequest
		}
		writeErr(e)
		return
	}
	out, err := h(r.Context(), r, form)
	if err != nil {
		writeErr(protocol.AsError(err))
		return
	}
	if q.EC2 {
		protocol.WriteEC2(w, op, r.RequestID, out)
	} else {
		protocol.WriteQuery(w, q.XMLNS, op, r.RequestID, out)
	}
}

func notImplemented(l *slog.Logger, r *Request) {
	if l != nil {
		l.Warn("sandbox: operation not implemented", "service", r.Service, "operation", r.Operation, "request_id", r.RequestID)
	}
}

// ARN builds an ARN in the sandbox's partition.
func (e Env) ARN(service, region, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + e.AccountID + ":" + resource
}

// IsNotFound reports whether err is state.ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }

// RegionOf returns the request's region or the default.
func (e Env) RegionOf(r *Request) string {
	if r != nil && strings.TrimSpace(r.Region) != "" {
		return r.Region
	}
	return e.Region
}
