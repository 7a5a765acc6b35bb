package cloudwatch

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// XMLNS is the namespace of CloudWatch's query-protocol responses.
const XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"

// CBORService is CloudWatch's service shape name in rpc-v2-cbor paths.
const CBORService = "GraniteServiceVersion20100801"

// State namespaces.
const (
	nsAlarm     = "cloudwatch/alarm"     // region/name → alarmDoc
	nsHistory   = "cloudwatch/history"   // region/esc(name)/unixnano/rand → AlarmHistoryItem
	nsMetric    = "cloudwatch/metric"    // region/esc(namespace)/esc(name)/hash → metricDoc
	nsDatapoint = "cloudwatch/datapoint" // region/hash/unixnano/rand → pointDoc
)

// Service is the sandbox's CloudWatch (signing name "monitoring"), served
// over the query protocol and over Smithy RPC v2 CBOR.
type Service struct {
	env   service.Env
	ops   map[string]handler
	query *service.Query
	sink  ActionSink // where alarm state changes go (SetActionSink)
}

// New builds the CloudWatch service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.ops = map[string]handler{
		// Alarms.
		"PutMetricAlarm":       op(s.putMetricAlarm),
		"PutCompositeAlarm":    op(s.putCompositeAlarm),
		"DescribeAlarms":       op(s.describeAlarms),
		"DeleteAlarms":         op(s.deleteAlarms),
		"DescribeAlarmHistory": op(s.describeAlarmHistory),
		"SetAlarmState":        op(s.setAlarmState),
		"EnableAlarmActions":   op(s.enableAlarmActions),
		"DisableAlarmActions":  op(s.disableAlarmActions),
		// Tags.
		"TagResource":         op(s.tagResource),
		"UntagResource":       op(s.untagResource),
		"ListTagsForResource": op(s.listTagsForResource),
		// Metrics.
		"PutMetricData":       op(s.putMetricData),
		"GetMetricStatistics": op(s.getMetricStatistics),
		"GetMetricData":       op(s.getMetricData),
		"ListMetrics":         op(s.listMetrics),
	}
	qops := make(map[string]service.QueryOp, len(s.ops))
	for name, h := range s.ops {
		qops[name] = func(ctx context.Context, r *service.Request, form url.Values) (any, error) {
			in := h.newInput()
			if err := decodeQuery(form, in); err != nil {
				return nil, err
			}
			return h.run(ctx, r, in)
		}
	}
	s.query = &service.Query{ServiceName: "monitoring", XMLNS: XMLNS, Logger: env.Logger, Ops: qops}
	return s
}

// Name implements service.Service.
func (s *Service) Name() string { return "monitoring" }

// Handle implements service.Service: rpc-v2-cbor requests (current
// aws-sdk-go-v2) by their Smithy-Protocol header or /service/ path, the
// rest as the query protocol (the Terraform provider's SDK).
func (s *Service) Handle(w http.ResponseWriter, r *service.Request) {
	// PutMetricData bodies may be gzip-compressed (the SDKs compress by
	// default above 10 KiB).
	if strings.Contains(strings.ToLower(r.HTTP.Header.Get("Content-Encoding")), "gzip") && r.HTTP.Body != nil {
		r.HTTP.Body = gunzip(r.HTTP.Body)
	}
	switch {
	case protocol.IsRPCv2CBOR(r.HTTP) || strings.HasPrefix(r.HTTP.URL.Path, "/service/"):
		s.handleCBOR(w, r)
	case strings.HasPrefix(r.HTTP.Header.Get("Content-Type"), "application/x-amz-json"):
		// CloudWatch also speaks awsJson1_1 (X-Amz-Target
		// GraniteServiceVersion20100801.<Op>), which some non-Go SDKs
		// choose; the sandbox does not, and says so.
		_, op, _ := protocol.JSONTarget(r.HTTP)
		r.Operation = op
		if s.env.Logger != nil {
			s.env.Logger.Warn("sandbox: protocol not implemented", "service", r.Service, "protocol", "awsJson1_1", "operation", op, "request_id", r.RequestID)
		}
		protocol.WriteJSONError(w, "1.1", r.RequestID, protocol.Errorf(http.StatusBadRequest, "UnknownOperationException",
			"the vigil sandbox serves CloudWatch over the query protocol and rpc-v2-cbor, not awsJson1_1 (%s)", r.HTTP.Header.Get("X-Amz-Target")))
	default:
		s.query.Handle(w, r)
	}
}

func (s *Service) handleCBOR(w http.ResponseWriter, r *service.Request) {
	fail := func(e *protocol.Error) {
		protocol.WriteCBORError(w, r.RequestID, e, shapeOf[e.Code], true)
	}
	svc, opName, ok := protocol.CBOROperation(r.HTTP.URL.Path)
	r.Operation = opName
	if !ok || svc != CBORService {
		fail(protocol.Errorf(http.StatusNotFound, "UnknownOperationException",
			"rpc-v2-cbor path %q is not /service/%s/operation/<Operation>", r.HTTP.URL.Path, CBORService))
		return
	}
	if r.HTTP.Method != http.MethodPost {
		fail(protocol.Errorf(http.StatusMethodNotAllowed, "UnknownOperationException", "rpc-v2-cbor requests are POSTs, not %s", r.HTTP.Method))
		return
	}
	h, ok := s.ops[opName]
	if !ok {
		if s.env.Logger != nil {
			s.env.Logger.Warn("sandbox: operation not implemented", "service", r.Service, "operation", opName, "request_id", r.RequestID)
		}
		e := protocol.NotImplemented("monitoring", opName)
		e.Code, e.Status = "InvalidAction", http.StatusBadRequest
		fail(e)
		return
	}
	body, perr := r.Body()
	if perr != nil {
		fail(perr)
		return
	}
	in := h.newInput()
	if perr := protocol.DecodeCBOR(body, in); perr != nil {
		fail(perr)
		return
	}
	out, err := h.run(r.Context(), r, in)
	if err != nil {
		fail(protocol.AsError(err))
		return
	}
	protocol.WriteCBOR(w, r.RequestID, out)
}

// handler is one operation, independent of the wire protocol.
type handler struct {
	newInput func() any
	run      func(ctx context.Context, r *service.Request, in any) (any, error)
}

func op[I, O any](f func(context.Context, *service.Request, *I) (*O, error)) handler {
	return handler{
		newInput: func() any { return new(I) },
		run: func(ctx context.Context, r *service.Request, in any) (any, error) {
			out, err := f(ctx, r, in.(*I))
			if err != nil || out == nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// empty is the output of operations that return nothing. Return nil for
// operations whose output is Smithy's Unit (no <OpResult> element) and
// &empty{} for those with an empty output structure (TagResource,
// UntagResource), whose <OpResult/> query-protocol SDKs require.
type empty struct{}

// gunzip wraps a gzip request body; a malformed stream surfaces as a read
// error, which the dispatchers answer with a 400. Request.Body bounds how
// much is inflated (service.MaxBody).
func gunzip(body io.ReadCloser) io.ReadCloser { return &gzipBody{src: body} }

type gzipBody struct {
	src io.ReadCloser
	zr  *gzip.Reader
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil {
		zr, err := gzip.NewReader(g.src)
		if err != nil {
			return 0, err
		}
		g.zr = zr
	}
	return g.zr.Read(p)
}

func (g *gzipBody) Close() error { return g.src.Close() }
