package lambda

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// State layout. Keys start with "<region>/<function name>" so that one
// prefix finds everything a function owns.
//
//   - lambda/function: "<region>/<name>" → functionDoc ($LATEST, tags,
//     concurrency, resource policies, version counter)
//   - lambda/version: "<region>/<name>/<%010d version>" → versionDoc
//   - lambda/alias: "<region>/<name>/<alias>" → aliasDoc
//   - lambda/eic: "<region>/<name>/<qualifier or $LATEST>" → eicDoc
//
// Code zips are blobs (state.WriteBlob), referenced by $LATEST and by the
// versions published from it; a blob is deleted when nothing references it
// any more (after the transaction that dropped the last reference commits;
// a crash in between leaves an orphan blob, never a dangling reference).
const (
	nsFunction = "lambda/function"
	nsVersion  = "lambda/version"
	nsAlias    = "lambda/alias"
	nsEIC      = "lambda/eic"
)

func fnKey(region, name string) string       { return region + "/" + name }
func childPrefix(region, name string) string { return region + "/" + name + "/" }
func versionKey(region, name string, v int) string {
	return childPrefix(region, name) + fmt.Sprintf("%010d", v)
}

// Configuration is a function configuration in the shape every Lambda
// operation returns it (FunctionConfiguration). It is stored as is.
type Configuration struct {
	FunctionName         string             `json:"FunctionName"`
	FunctionArn          string             `json:"FunctionArn"`
	Runtime              string             `json:"Runtime,omitempty"`
	Role                 string             `json:"Role"`
	Handler              string             `json:"Handler,omitempty"`
	CodeSize             int64              `json:"CodeSize"`
	Description          string             `json:"Description"`
	Timeout              int                `json:"Timeout"`
	MemorySize           int                `json:"MemorySize"`
	LastModified         string             `json:"LastModified"`
	CodeSha256           string             `json:"CodeSha256"`
	Version              string             `json:"Version"`
	VpcConfig            *VpcConfig         `json:"VpcConfig,omitempty"`
	DeadLetterConfig     *DeadLetterConfig  `json:"DeadLetterConfig,omitempty"`
	Environment          *Environment       `json:"Environment,omitempty"`
	KMSKeyArn            string             `json:"KMSKeyArn,omitempty"`
	TracingConfig        *TracingConfig     `json:"TracingConfig,omitempty"`
	RevisionId           string             `json:"RevisionId"`
	State                string             `json:"State"`
	LastUpdateStatus     string             `json:"LastUpdateStatus"`
	PackageType          string             `json:"PackageType"`
	Architectures        []string           `json:"Architectures"`
	EphemeralStorage     *EphemeralStorage  `json:"EphemeralStorage,omitempty"`
	SnapStart            *SnapStartResponse `json:"SnapStart,omitempty"`
	LoggingConfig        *LoggingConfig     `json:"LoggingConfig,omitempty"`
	FileSystemConfigs    []FileSystemConfig `json:"FileSystemConfigs,omitempty"`
	RuntimeVersionConfig *RuntimeVersion    `json:"RuntimeVersionConfig,omitempty"`
}

// VpcConfig is a function's VPC attachment.
type VpcConfig struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
	VpcId                   string   `json:"VpcId,omitempty"`
}

// DeadLetterConfig is where failed asynchronous events go.
type DeadLetterConfig struct {
	TargetArn string `json:"TargetArn,omitempty"`
}

// Environment holds the environment variables.
type Environment struct {
	Variables map[string]string `json:"Variables"`
}

// TracingConfig is the X-Ray mode.
type TracingConfig struct {
	Mode string `json:"Mode"`
}

// EphemeralStorage is the /tmp size in MB.
type EphemeralStorage struct {
	Size int `json:"Size"`
}

// SnapStartResponse is the SnapStart setting.
type SnapStartResponse struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

// LoggingConfig is where and how the function logs.
type LoggingConfig struct {
	LogFormat           string `json:"LogFormat,omitempty"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
}

// FileSystemConfig is an EFS mount.
type FileSystemConfig struct {
	Arn            string `json:"Arn"`
	LocalMountPath string `json:"LocalMountPath"`
}

// RuntimeVersion is the runtime version ARN.
type RuntimeVersion struct {
	RuntimeVersionArn string `json:"RuntimeVersionArn"`
}

// code references the zip a configuration runs.
type code struct {
	Blob   string `json:"blob"`
	Size   int64  `json:"size"`
	Sha256 string `json:"sha256"` // base64, as CodeSha256
}

// Statement is one statement of a function's resource policy.
type Statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// policyDoc is the resource policy of one qualifier of a function.
type policyDoc struct {
	Statements []Statement `json:"statements"`
	RevisionID string      `json:"revision_id"`
}

type functionDoc struct {
	Region        string                `json:"region"`
	Config        Configuration         `json:"config"`
	Code          code                  `json:"code"`
	Tags          map[string]string     `json:"tags,omitempty"`
	Concurrency   *int                  `json:"concurrency,omitempty"`
	LastVersion   int                   `json:"last_version"`
	PublishedFrom string                `json:"published_from,omitempty"` // $LATEST RevisionId the last version was published from
	Policies      map[string]*policyDoc `json:"policies,omitempty"`       // by qualifier, "" for the unqualified function
	Created       time.Time             `json:"created"`
}

type versionDoc struct {
	Config Configuration `json:"config"`
	Code   code          `json:"code"`
}

func getFunction(tx *state.Tx, region, name string) (*functionDoc, error) {
	var f functionDoc
	if err := tx.Get(nsFunction, fnKey(region, name), &f); err != nil {
		return nil, err
	}
	return &f, nil
}

func putFunction(tx *state.Tx, f *functionDoc) error {
	return tx.Put(nsFunction, fnKey(f.Region, f.Config.FunctionName), f)
}

// mustFunction reads a function or returns ResourceNotFoundException.
func (s *Service) mustFunction(tx *state.Tx, r ref) (*functionDoc, error) {
	f, err := getFunction(tx, r.region, r.name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, errFunctionNotFound(s.functionARN(r.region, r.name))
	}
	return f, err
}

func getVersion(tx *state.Tx, region, name string, v int) (*versionDoc, error) {
	var d versionDoc
	if err := tx.Get(nsVersion, versionKey(region, name, v), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func listVersions(tx *state.Tx, region, name string) ([]versionDoc, error) {
	ents, err := tx.List(state.ListParams{NS: nsVersion, Prefix: childPrefix(region, name)})
	if err != nil {
		return nil, err
	}
	out := make([]versionDoc, 0, len(ents))
	for _, e := range ents {
		var d versionDoc
		if err := jsonUnmarshal(e.Value, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// resolved is what a qualifier resolves to.
type resolved struct {
	fn      *functionDoc
	config  Configuration // of the version the qualifier names
	code    code
	version string // "$LATEST" or a number
	alias   *aliasDoc
}

// resolve reads a function and resolves its qualifier ("" and "$LATEST"
// are $LATEST; digits are a version; anything else an alias).
func (s *Service) resolve(tx *state.Tx, r ref) (*resolved, error) {
	f, err := s.mustFunction(tx, r)
	if err != nil {
		return nil, err
	}
	out := &resolved{fn: f, config: f.Config, code: f.Code, version: "$LATEST"}
	q := r.qualifier
	if q == "" || q == "$LATEST" {
		return out, nil
	}
	if !versionRE.MatchString(q) {
		a, err := getAlias(tx, r.region, r.name, q)
		if errors.Is(err, state.ErrNotFound) {
			return nil, errFunctionNotFound(s.functionARN(r.region, r.name) + ":" + q)
		}
		if err != nil {
			return nil, err
		}
		out.alias = a
		q = a.FunctionVersion
		if q == "$LATEST" {
			return out, nil
		}
	}
	n, _ := strconv.Atoi(q)
	v, err := getVersion(tx, r.region, r.name, n)
	if errors.Is(err, state.ErrNotFound) {
		return nil, errFunctionNotFound(s.functionARN(r.region, r.name) + ":" + r.qualifier)
	}
	if err != nil {
		return nil, err
	}
	out.config, out.code, out.version = v.Config, v.Code, v.Config.Version
	return out, nil
}

// qualifierExists reports whether a qualifier names $LATEST, a version or
// an alias of a function.
func qualifierExists(tx *state.Tx, region, name, q string) (bool, error) {
	switch {
	case q == "" || q == "$LATEST":
		return true, nil
	case versionRE.MatchString(q):
		n, _ := strconv.Atoi(q)
		return tx.Exists(nsVersion, versionKey(region, name, n))
	default:
		return tx.Exists(nsAlias, childPrefix(region, name)+q)
	}
}

// blobsInUse lists the code blobs a function's $LATEST and versions
// reference.
func blobsInUse(tx *state.Tx, f *functionDoc) (map[string]bool, error) {
	use := map[string]bool{f.Code.Blob: true}
	vs, err := listVersions(tx, f.Region, f.Config.FunctionName)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		use[v.Code.Blob] = true
	}
	return use, nil
}
