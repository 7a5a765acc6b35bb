package lambda

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Service is the sandbox's AWS Lambda (REST-JSON, signing name "lambda").
type Service struct {
	*service.REST
	env service.Env

	runner *runner
	rtMu   sync.Mutex
	rtOpts RuntimeOptions
	async  *queue.Queue

	logsMu     sync.Mutex
	logStreams map[string]bool // log streams known to exist
}

// New builds the Lambda service.
func New(env service.Env) *Service {
	s := &Service{env: env, logStreams: map[string]bool{}}
	s.runner = newRunner(s)
	s.REST = &service.REST{ServiceName: "lambda", Logger: env.Logger, Routes: s.routes()}
	return s
}

const (
	fnPath    = "/2015-03-31/functions/{FunctionName}"
	eicPath   = "/2019-09-25/functions/{FunctionName}/event-invoke-config"
	tagsPath  = "/2017-03-31/tags/{Resource}"
	codeRoute = fnPath + "/code"
)

func (s *Service) routes() []service.RESTRoute {
	return []service.RESTRoute{
		{Method: "POST", Path: "/2015-03-31/functions", Op: "CreateFunction", Handler: s.createFunction},
		{Method: "GET", Path: "/2015-03-31/functions", Op: "ListFunctions", Handler: s.listFunctions},
		{Method: "GET", Path: fnPath, Op: "GetFunction", Handler: s.getFunction},
		{Method: "DELETE", Path: fnPath, Op: "DeleteFunction", Handler: s.deleteFunction},
		{Method: "GET", Path: fnPath + "/configuration", Op: "GetFunctionConfiguration", Handler: s.getFunctionConfiguration},
		{Method: "PUT", Path: fnPath + "/configuration", Op: "UpdateFunctionConfiguration", Handler: s.updateFunctionConfiguration},
		{Method: "PUT", Path: codeRoute, Op: "UpdateFunctionCode", Handler: s.updateFunctionCode},
		// Not an AWS operation: where Code.Location points, so that the
		// stored zip can be downloaded as from AWS's presigned URL.
		{Method: "GET", Path: codeRoute, Op: "DownloadFunctionCode", Handler: s.downloadCode},
		{Method: "POST", Path: fnPath + "/versions", Op: "PublishVersion", Handler: s.publishVersion},
		{Method: "GET", Path: fnPath + "/versions", Op: "ListVersionsByFunction", Handler: s.listVersions},
		{Method: "POST", Path: fnPath + "/aliases", Op: "CreateAlias", Handler: s.createAlias},
		{Method: "GET", Path: fnPath + "/aliases", Op: "ListAliases", Handler: s.listAliases},
		{Method: "GET", Path: fnPath + "/aliases/{Name}", Op: "GetAlias", Handler: s.getAlias},
		{Method: "PUT", Path: fnPath + "/aliases/{Name}", Op: "UpdateAlias", Handler: s.updateAlias},
		{Method: "DELETE", Path: fnPath + "/aliases/{Name}", Op: "DeleteAlias", Handler: s.deleteAlias},
		{Method: "POST", Path: fnPath + "/policy", Op: "AddPermission", Handler: s.addPermission},
		{Method: "GET", Path: fnPath + "/policy", Op: "GetPolicy", Handler: s.getPolicy},
		{Method: "DELETE", Path: fnPath + "/policy/{StatementId}", Op: "RemovePermission", Handler: s.removePermission},
		// Invoke is served by Service.Handle (its answer is the payload
		// with headers, not a JSON document); the route names it.
		{Method: "POST", Path: fnPath + "/invocations", Op: "Invoke", Handler: nil},
		{Method: "PUT", Path: eicPath, Op: "PutFunctionEventInvokeConfig", Handler: s.putEventInvokeConfig},
		{Method: "POST", Path: eicPath, Op: "UpdateFunctionEventInvokeConfig", Handler: s.updateEventInvokeConfig},
		{Method: "GET", Path: eicPath, Op: "GetFunctionEventInvokeConfig", Handler: s.getEventInvokeConfig},
		{Method: "DELETE", Path: eicPath, Op: "DeleteFunctionEventInvokeConfig", Handler: s.deleteEventInvokeConfig},
		{Method: "GET", Path: eicPath + "/list", Op: "ListFunctionEventInvokeConfigs", Handler: s.listEventInvokeConfigs},
		{Method: "PUT", Path: "/2017-10-31/functions/{FunctionName}/concurrency", Op: "PutFunctionConcurrency", Handler: s.putConcurrency},
		{Method: "DELETE", Path: "/2017-10-31/functions/{FunctionName}/concurrency", Op: "DeleteFunctionConcurrency", Handler: s.deleteConcurrency},
		{Method: "GET", Path: "/2019-09-30/functions/{FunctionName}/concurrency", Op: "GetFunctionConcurrency", Handler: s.getConcurrency},
		{Method: "GET", Path: "/2020-06-30/functions/{FunctionName}/code-signing-config", Op: "GetFunctionCodeSigningConfig", Handler: s.getCodeSigningConfig},
		{Method: "POST", Path: tagsPath, Op: "TagResource", Handler: s.tagResource},
		{Method: "DELETE", Path: tagsPath, Op: "UntagResource", Handler: s.untagResource},
		{Method: "GET", Path: tagsPath, Op: "ListTags", Handler: s.listTags},

		// Operations the sandbox does not serve yet: named, never faked.
		{Method: "PUT", Path: "/2020-06-30/functions/{FunctionName}/code-signing-config", Op: "PutFunctionCodeSigningConfig"},
		{Method: "DELETE", Path: "/2020-06-30/functions/{FunctionName}/code-signing-config", Op: "DeleteFunctionCodeSigningConfig"},
		{Method: "POST", Path: "/2014-11-13/functions/{FunctionName}/invoke-async", Op: "InvokeAsync"},
		{Method: "POST", Path: "/2021-11-15/functions/{FunctionName}/response-streaming-invocations", Op: "InvokeWithResponseStream"},
		{Method: "GET", Path: "/2016-08-19/account-settings", Op: "GetAccountSettings"},
		{Method: "POST", Path: "/2015-03-31/event-source-mappings", Op: "CreateEventSourceMapping"},
		{Method: "GET", Path: "/2015-03-31/event-source-mappings", Op: "ListEventSourceMappings"},
		{Method: "GET", Path: "/2015-03-31/event-source-mappings/{UUID}", Op: "GetEventSourceMapping"},
		{Method: "PUT", Path: "/2015-03-31/event-source-mappings/{UUID}", Op: "UpdateEventSourceMapping"},
		{Method: "DELETE", Path: "/2015-03-31/event-source-mappings/{UUID}", Op: "DeleteEventSourceMapping"},
		{Method: "GET", Path: "/2018-10-31/layers", Op: "ListLayers"},
		{Method: "GET", Path: "/2018-10-31/layers/{LayerName}/versions", Op: "ListLayerVersions"},
		{Method: "POST", Path: "/2018-10-31/layers/{LayerName}/versions", Op: "PublishLayerVersion"},
		{Method: "GET", Path: "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", Op: "GetLayerVersion"},
		{Method: "DELETE", Path: "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", Op: "DeleteLayerVersion"},
		{Method: "POST", Path: "/2021-10-31/functions/{FunctionName}/url", Op: "CreateFunctionUrlConfig"},
		{Method: "GET", Path: "/2021-10-31/functions/{FunctionName}/url", Op: "GetFunctionUrlConfig"},
		{Method: "PUT", Path: "/2021-10-31/functions/{FunctionName}/url", Op: "UpdateFunctionUrlConfig"},
		{Method: "DELETE", Path: "/2021-10-31/functions/{FunctionName}/url", Op: "DeleteFunctionUrlConfig"},
		{Method: "GET", Path: "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", Op: "GetProvisionedConcurrencyConfig"},
		{Method: "PUT", Path: "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", Op: "PutProvisionedConcurrencyConfig"},
		{Method: "DELETE", Path: "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", Op: "DeleteProvisionedConcurrencyConfig"},
		{Method: "GET", Path: "/2021-07-20/functions/{FunctionName}/runtime-management-config", Op: "GetRuntimeManagementConfig"},
		{Method: "PUT", Path: "/2021-07-20/functions/{FunctionName}/runtime-management-config", Op: "PutRuntimeManagementConfig"},
		{Method: "GET", Path: "/2024-08-31/functions/{FunctionName}/recursion-config", Op: "GetFunctionRecursionConfig"},
		{Method: "PUT", Path: "/2024-08-31/functions/{FunctionName}/recursion-config", Op: "PutFunctionRecursionConfig"},
		{Method: "POST", Path: "/2020-04-22/code-signing-configs", Op: "CreateCodeSigningConfig"},
		{Method: "GET", Path: "/2020-04-22/code-signing-configs", Op: "ListCodeSigningConfigs"},
	}
}

// Error codes (X-Amzn-ErrorType), as the SDK's types name them.
const (
	codeNotFound           = "ResourceNotFoundException"      // 404
	codeConflict           = "ResourceConflictException"      // 409
	codeInvalidParameter   = "InvalidParameterValueException" // 400
	codeValidation         = "ValidationException"            // 400
	codePreconditionFailed = "PreconditionFailedException"    // 412
	codeTooLarge           = "RequestEntityTooLargeException" // 413
)

func errNotFound(format string, args ...any) error {
	return protocol.Errorf(http.StatusNotFound, codeNotFound, format, args...)
}

func errFunctionNotFound(arn string) error {
	return errNotFound("Function not found: %s", arn)
}

func errConflict(format string, args ...any) error {
	return protocol.Errorf(http.StatusConflict, codeConflict, format, args...)
}

func errInvalid(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalidParameter, format, args...)
}

func errValidation(field, constraint string, value any) error {
	return protocol.Errorf(http.StatusBadRequest, codeValidation,
		"1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func errRevision() error {
	return protocol.Errorf(http.StatusPreconditionFailed, codePreconditionFailed,
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

func decode(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	return service.DecodeJSON(body, v)
}

// now is the service clock in UTC.
func (s *Service) now() time.Time { return s.env.Now().UTC() }

// lastModified formats a time the way Lambda's LastModified strings are.
func lastModified(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

func newRevisionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ref names a function, and optionally a qualifier, in a region.
type ref struct {
	region    string
	name      string
	qualifier string // "", "$LATEST", a version number or an alias name
}

var (
	nameRE      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	qualifierRE = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]{1,128})$`)
	aliasNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	versionRE   = regexp.MustCompile(`^[0-9]{1,10}$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

const functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`

// parseFunctionName reads a FunctionName parameter: a name, name:qualifier,
// a partial ARN (123456789012:function:name) or a full ARN, with or without
// a qualifier. An ARN's region wins over the request's.
func (s *Service) parseFunctionName(r *service.Request, v string) (ref, error) {
	bad := func() (ref, error) {
		return ref{}, errValidation("functionName", "Member must satisfy regular expression pattern: "+functionNamePattern, v)
	}
	if v == "" || len(v) > 170 {
		return bad()
	}
	ref := ref{region: s.env.RegionOf(r)}
	parts := strings.Split(v, ":")
	hasQualifier := false
	switch {
	case strings.HasPrefix(v, "arn:"):
		// arn:aws:lambda:region:account:function:name[:qualifier]
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" || !accountRE.MatchString(parts[4]) || parts[3] == "" {
			return bad()
		}
		ref.region, ref.name = parts[3], parts[6]
		if len(parts) == 8 {
			ref.qualifier, hasQualifier = parts[7], true
		}
		if parts[4] != s.env.AccountID {
			return ref, errNotFound("Function not found: %s", v)
		}
	case len(parts) >= 3 && accountRE.MatchString(parts[0]) && parts[1] == "function":
		if len(parts) > 4 {
			return bad()
		}
		ref.name = parts[2]
		if len(parts) == 4 {
			ref.qualifier, hasQualifier = parts[3], true
		}
		if parts[0] != s.env.AccountID {
			return ref, errNotFound("Function not found: %s", v)
		}
	default:
		if len(parts) > 2 {
			return bad()
		}
		ref.name = parts[0]
		if len(parts) == 2 {
			ref.qualifier, hasQualifier = parts[1], true
		}
	}
	if !nameRE.MatchString(ref.name) {
		return bad()
	}
	if hasQualifier && ref.qualifier == "" {
		return bad()
	}
	if ref.qualifier != "" && !qualifierRE.MatchString(ref.qualifier) {
		return bad()
	}
	return ref, nil
}

// target parses the FunctionName label and the Qualifier query parameter
// of a call; a qualifier in both places must agree.
func (s *Service) target(r *service.Request, c *service.RESTCall) (ref, error) {
	f, err := s.parseFunctionName(r, c.Path["FunctionName"])
	if err != nil {
		return f, err
	}
	if q := c.Query.Get("Qualifier"); q != "" {
		if !qualifierRE.MatchString(q) {
			return f, errValidation("qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)", q)
		}
		if f.qualifier != "" && f.qualifier != q {
			return f, errInvalid("The derived qualifier from the function name does not match the specified qualifier.")
		}
		f.qualifier = q
	}
	return f, nil
}

// functionARN is the unqualified ARN of a function.
func (s *Service) functionARN(region, name string) string {
	return s.env.ARN("lambda", region, "function:"+name)
}

// update runs fn in a state transaction.
func (s *Service) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.Update(ctx, fn)
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.View(ctx, fn)
}

// ok is a 200 result.
func ok(body any) (service.RESTResult, error) {
	return service.RESTResult{Status: http.StatusOK, Body: body}, nil
}

// status is a result with another status.
func status(code int, body any) (service.RESTResult, error) {
	return service.RESTResult{Status: code, Body: body}, nil
}

func fail(err error) (service.RESTResult, error) { return service.RESTResult{}, err }

func unescape(s string) (string, error) { return url.PathUnescape(s) }
