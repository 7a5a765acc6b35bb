package service

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// RESTCall is one REST-JSON request matched to a route: its path labels
// (unescaped), query and body.
type RESTCall struct {
	Path  map[string]string
	Query url.Values
	Body  []byte
	// Host is the Host the client addressed, for URLs the response hands
	// back (Lambda's Code.Location).
	Host string
}

// RESTResult is what a REST operation answers: an HTTP status and a value
// marshalled as the JSON body (nil for an empty body).
type RESTResult struct {
	Status int
	Body   any
}

// RawBody is a RESTResult.Body that is streamed as is instead of being
// marshalled (a download).
type RawBody struct {
	ContentType string
	Size        int64
	Reader      io.ReadCloser
}

// RESTOp handles one REST-JSON operation.
type RESTOp func(ctx context.Context, r *Request, c *RESTCall) (RESTResult, error)

// RESTRoute binds a method and a path template such as
// "/2015-03-31/functions/{FunctionName}/aliases/{Name}" to an operation. A
// nil Handler answers NotImplemented naming Op.
type RESTRoute struct {
	Method  string
	Path    string
	Op      string
	Handler RESTOp
}

// REST dispatches a REST-JSON service (Lambda, Synthetics) by method and
// path. Errors are written with protocol.WriteRESTJSONError (code in
// X-Amzn-ErrorType).
type REST struct {
	ServiceName string
	Routes      []RESTRoute
	Logger      *slog.Logger
	// Unknown is the error for a path no route matches; nil means a 404
	// UnknownOperationException.
	Unknown func(method, path string) *protocol.Error
}

// Name implements Service.
func (s *REST) Name() string { return s.ServiceName }

// Handle implements Service.
func (s *REST) Handle(w http.ResponseWriter, r *Request) {
	segs, ok := splitEscapedPath(r.HTTP.URL.EscapedPath())
	var route *RESTRoute
	var labels map[string]string
	if ok {
		for i := range s.Routes {
			rt := &s.Routes[i]
			if rt.Method != r.HTTP.Method {
				continue
			}
			if l, ok := matchTemplate(rt.Path, segs); ok {
				route, labels = rt, l
				break
			}
		}
	}
	if route == nil {
		var e *protocol.Error
		if s.Unknown != nil {
			e = s.Unknown(r.HTTP.Method, r.HTTP.URL.Path)
		}
		if e == nil {
			e = protocol.Errorf(http.StatusNotFound, "UnknownOperationException",
				"the vigil sandbox's %s has no operation %s %s", s.ServiceName, r.HTTP.Method, r.HTTP.URL.Path)
		}
		protocol.WriteRESTJSONError(w, r.RequestID, e)
		return
	}
	r.Operation = route.Op
	if route.Handler == nil {
		notImplemented(s.Logger, r)
		protocol.WriteRESTJSONError(w, r.RequestID, protocol.NotImplemented(s.ServiceName, route.Op))
		return
	}
	body, perr := r.Body()
	if perr != nil {
		protocol.WriteRESTJSONError(w, r.RequestID, perr)
		return
	}
	res, err := route.Handler(r.Context(), r, &RESTCall{Path: labels, Query: r.HTTP.URL.Query(), Body: body, Host: r.HTTP.Host})
	if err != nil {
		protocol.WriteRESTJSONError(w, r.RequestID, protocol.AsError(err))
		return
	}
	if res.Status == 0 {
		res.Status = http.StatusOK
	}
	if raw, ok := res.Body.(RawBody); ok {
		defer raw.Reader.Close()
		w.Header().Set("Content-Type", raw.ContentType)
		w.Header().Set("Content-Length", strconv.FormatInt(raw.Size, 10))
		w.Header().Set("X-Amzn-RequestId", r.RequestID)
		w.WriteHeader(res.Status)
		_, _ = io.Copy(w, raw.Reader)
		return
	}
	protocol.WriteRESTJSON(w, res.Status, r.RequestID, res.Body)
}

// splitEscapedPath splits an escaped URL path into unescaped segments;
// ok is false when a segment is not valid percent-encoding.
func splitEscapedPath(p string) ([]string, bool) {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil, true
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// matchTemplate matches path segments against a template, returning the
// label values. A label matches one non-empty segment.
func matchTemplate(tmpl string, segs []string) (map[string]string, bool) {
	t := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	if len(t) != len(segs) {
		return nil, false
	}
	var labels map[string]string
	for i, ts := range t {
		if strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}") {
			if segs[i] == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[ts[1:len(ts)-1]] = segs[i]
			continue
		}
		if ts != segs[i] {
			return nil, false
		}
	}
	return labels, true
}
