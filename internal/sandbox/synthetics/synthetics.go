package synthetics

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// Service is the sandbox's CloudWatch Synthetics (REST-JSON, signing name
// "synthetics").
type Service struct {
	*service.REST
	env service.Env
}

// New builds the Synthetics service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.REST = &service.REST{ServiceName: "synthetics", Logger: env.Logger, Routes: []service.RESTRoute{
		{Method: "POST", Path: "/canary", Op: "CreateCanary", Handler: s.createCanary},
		{Method: "GET", Path: "/canary/{Name}", Op: "GetCanary", Handler: s.getCanary},
		{Method: "PATCH", Path: "/canary/{Name}", Op: "UpdateCanary", Handler: s.updateCanary},
		{Method: "DELETE", Path: "/canary/{Name}", Op: "DeleteCanary", Handler: s.deleteCanary},
		{Method: "POST", Path: "/canaries", Op: "DescribeCanaries", Handler: s.describeCanaries},
		{Method: "POST", Path: "/canary/{Name}/start", Op: "StartCanary", Handler: s.startCanary},
		{Method: "POST", Path: "/canary/{Name}/stop", Op: "StopCanary", Handler: s.stopCanary},
		{Method: "POST", Path: "/canary/{Name}/runs", Op: "GetCanaryRuns", Handler: s.getCanaryRuns},
		{Method: "GET", Path: "/tags/{ResourceArn}", Op: "ListTagsForResource", Handler: s.listTags},
		{Method: "POST", Path: "/tags/{ResourceArn}", Op: "TagResource", Handler: s.tagResource},
		{Method: "DELETE", Path: "/tags/{ResourceArn}", Op: "UntagResource", Handler: s.untagResource},

		// Not served yet: named, never faked.
		{Method: "POST", Path: "/canaries/last-run", Op: "DescribeCanariesLastRun"},
		{Method: "POST", Path: "/runtime-versions", Op: "DescribeRuntimeVersions"},
		{Method: "POST", Path: "/canary/{Name}/dry-run/start", Op: "StartCanaryDryRun"},
		{Method: "POST", Path: "/group", Op: "CreateGroup"},
		{Method: "GET", Path: "/group/{GroupIdentifier}", Op: "GetGroup"},
		{Method: "DELETE", Path: "/group/{GroupIdentifier}", Op: "DeleteGroup"},
		{Method: "POST", Path: "/groups", Op: "ListGroups"},
		{Method: "PATCH", Path: "/group/{GroupIdentifier}/associate", Op: "AssociateResource"},
		{Method: "PATCH", Path: "/group/{GroupIdentifier}/disassociate", Op: "DisassociateResource"},
		{Method: "POST", Path: "/group/{GroupIdentifier}/resources", Op: "ListGroupResources"},
		{Method: "POST", Path: "/resource/{ResourceArn}/groups", Op: "ListAssociatedGroups"},
	}}
	return s
}

// Error codes, as the SDK's types name them.
const (
	codeValidation = "ValidationException"       // 400
	codeNotFound   = "ResourceNotFoundException" // 404
	codeConflict   = "ConflictException"         // 409
	codeTooLarge   = "RequestEntityTooLargeException"
)

func errValidation(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeValidation, format, args...)
}

func errNotFound(name string) error {
	return protocol.Errorf(http.StatusNotFound, codeNotFound, "Canary %s does not exist.", name)
}

func errConflict(format string, args ...any) error {
	return protocol.Errorf(http.StatusConflict, codeConflict, format, args...)
}

func decode(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	return service.DecodeJSON(body, v)
}

func (s *Service) now() time.Time { return s.env.Now().UTC() }

// epoch is a timestamp on the wire: epoch seconds.
func epoch(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	f := float64(t.UnixMilli()) / 1000
	return &f
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func ok(body any) (service.RESTResult, error) {
	return service.RESTResult{Status: http.StatusOK, Body: body}, nil
}

func fail(err error) (service.RESTResult, error) { return service.RESTResult{}, err }
