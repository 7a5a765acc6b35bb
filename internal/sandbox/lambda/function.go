package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Zip limits of the Lambda API.
const (
	maxZipUpload = 50 << 20  // a ZipFile sent in the request
	maxUnzipped  = 262144000 // the unzipped deployment package
)

// configInput is the configuration a CreateFunction or
// UpdateFunctionConfiguration sets; nil fields are left as they are.
type configInput struct {
	Runtime           *string             `json:"Runtime"`
	Role              *string             `json:"Role"`
	Handler           *string             `json:"Handler"`
	Description       *string             `json:"Description"`
	Timeout           *int                `json:"Timeout"`
	MemorySize        *int                `json:"MemorySize"`
	VpcConfig         *VpcConfig          `json:"VpcConfig"`
	DeadLetterConfig  *DeadLetterConfig   `json:"DeadLetterConfig"`
	Environment       *Environment        `json:"Environment"`
	KMSKeyArn         *string             `json:"KMSKeyArn"`
	TracingConfig     *TracingConfig      `json:"TracingConfig"`
	Layers            *[]string           `json:"Layers"`
	FileSystemConfigs *[]FileSystemConfig `json:"FileSystemConfigs"`
	ImageConfig       json.RawMessage     `json:"ImageConfig"`
	EphemeralStorage  *EphemeralStorage   `json:"EphemeralStorage"`
	SnapStart         *struct {
		ApplyOn string `json:"ApplyOn"`
	} `json:"SnapStart"`
	LoggingConfig *LoggingConfig `json:"LoggingConfig"`
	RevisionId    string         `json:"RevisionId"`
}

type codeInput struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageUri        string `json:"ImageUri"`
	SourceKMSKeyArn string `json:"SourceKMSKeyArn"`
}

type createFunctionInput struct {
	configInput
	FunctionName         string            `json:"FunctionName"`
	Code                 *codeInput        `json:"Code"`
	Publish              bool              `json:"Publish"`
	PackageType          string            `json:"PackageType"`
	Tags                 map[string]string `json:"Tags"`
	Architectures        []string          `json:"Architectures"`
	CodeSigningConfigArn string            `json:"CodeSigningConfigArn"`
}

// applyConfig validates in and applies it to cfg. The role is checked
// against IAM in tx.
func applyConfig(tx *state.Tx, cfg *Configuration, in *configInput) error {
	if in.Runtime != nil {
		if err := validateRuntime(*in.Runtime); err != nil {
			return err
		}
		cfg.Runtime = *in.Runtime
	}
	if in.Handler != nil {
		if !handlerRE.MatchString(*in.Handler) {
			return errValidation("handler", `Member must satisfy regular expression pattern: [^\s]+`, *in.Handler)
		}
		cfg.Handler = *in.Handler
	}
	if in.Role != nil {
		if err := checkRole(tx, *in.Role); err != nil {
			return err
		}
		cfg.Role = *in.Role
	}
	if in.Description != nil {
		if len(*in.Description) > 256 {
			return errValidation("description", "Member must have length less than or equal to 256", *in.Description)
		}
		cfg.Description = *in.Description
	}
	if in.Timeout != nil {
		if err := between("timeout", *in.Timeout, 1, 900); err != nil {
			return err
		}
		cfg.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		if err := between("memorySize", *in.MemorySize, 128, 10240); err != nil {
			return err
		}
		cfg.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		if err := checkEnvironment(in.Environment); err != nil {
			return err
		}
		if len(in.Environment.Variables) == 0 {
			cfg.Environment = nil
		} else {
			cfg.Environment = &Environment{Variables: in.Environment.Variables}
		}
	}
	if in.DeadLetterConfig != nil {
		if t := in.DeadLetterConfig.TargetArn; t == "" {
			cfg.DeadLetterConfig = nil
		} else {
			if err := checkDestination(t, "sns", "sqs"); err != nil {
				return errInvalid("The provided target arn %s is invalid: a dead-letter queue must be an SQS queue or an SNS topic.", t)
			}
			cfg.DeadLetterConfig = &DeadLetterConfig{TargetArn: t}
		}
	}
	if in.KMSKeyArn != nil {
		if k := *in.KMSKeyArn; k != "" && !arnRE.MatchString(k) {
			return errValidation("kMSKeyArn", "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()", k)
		}
		cfg.KMSKeyArn = *in.KMSKeyArn
	}
	if in.TracingConfig != nil {
		mode := in.TracingConfig.Mode
		if mode == "" {
			mode = "PassThrough"
		}
		if err := oneOf("tracingConfig.mode", mode, "Active", "PassThrough"); err != nil {
			return err
		}
		cfg.TracingConfig = &TracingConfig{Mode: mode}
	}
	if in.Layers != nil {
		if len(*in.Layers) > 0 {
			return errInvalid("Layer version %s does not exist: the vigil sandbox does not serve Lambda layers yet.", (*in.Layers)[0])
		}
	}
	if in.VpcConfig != nil {
		v := in.VpcConfig
		if len(v.SubnetIds) == 0 && len(v.SecurityGroupIds) == 0 {
			cfg.VpcConfig = nil
		} else {
			for _, id := range v.SubnetIds {
				if !subnetRE.MatchString(id) {
					return errInvalid("Subnet ID %s is not valid.", id)
				}
			}
			for _, id := range v.SecurityGroupIds {
				if !secGroupRE.MatchString(id) {
					return errInvalid("Security group ID %s is not valid.", id)
				}
			}
			if len(v.SubnetIds) == 0 || len(v.SecurityGroupIds) == 0 {
				return errInvalid("SubnetIds and SecurityGroupIds must coexist.")
			}
			cfg.VpcConfig = &VpcConfig{SubnetIds: v.SubnetIds, SecurityGroupIds: v.SecurityGroupIds, Ipv6AllowedForDualStack: v.Ipv6AllowedForDualStack}
		}
	}
	if in.FileSystemConfigs != nil {
		for _, fs := range *in.FileSystemConfigs {
			if !arnRE.MatchString(fs.Arn) {
				return errValidation("fileSystemConfigs.arn", "Member must satisfy regular expression pattern: arn:aws[a-zA-Z-]*:elasticfilesystem:.*", fs.Arn)
			}
			if !mountPathRE.MatchString(fs.LocalMountPath) {
				return errValidation("fileSystemConfigs.localMountPath", "Member must satisfy regular expression pattern: ^/mnt/[a-zA-Z0-9-_.]+$", fs.LocalMountPath)
			}
		}
		if len(*in.FileSystemConfigs) > 1 {
			return errInvalid("Lambda functions can mount one file system.")
		}
		if len(*in.FileSystemConfigs) > 0 && cfg.VpcConfig == nil {
			return errInvalid("A function with a file system must be connected to a VPC (VpcConfig).")
		}
		cfg.FileSystemConfigs = *in.FileSystemConfigs
	}
	if len(in.ImageConfig) > 0 && string(in.ImageConfig) != "null" && string(in.ImageConfig) != "{}" {
		return errInvalid("ImageConfig is only supported for functions with PackageType Image.")
	}
	if in.EphemeralStorage != nil {
		if err := between("ephemeralStorage.size", in.EphemeralStorage.Size, 512, 10240); err != nil {
			return err
		}
		cfg.EphemeralStorage = &EphemeralStorage{Size: in.EphemeralStorage.Size}
	}
	if in.SnapStart != nil {
		on := in.SnapStart.ApplyOn
		if on == "" {
			on = "None"
		}
		if err := oneOf("snapStart.applyOn", on, "PublishedVersions", "None"); err != nil {
			return err
		}
		cfg.SnapStart = &SnapStartResponse{ApplyOn: on, OptimizationStatus: "Off"}
	}
	if in.LoggingConfig != nil {
		lc := *in.LoggingConfig
		if lc.LogFormat == "" {
			lc.LogFormat = "Text"
			if cfg.LoggingConfig != nil && cfg.LoggingConfig.LogFormat != "" {
				lc.LogFormat = cfg.LoggingConfig.LogFormat
			}
		}
		if err := oneOf("loggingConfig.logFormat", lc.LogFormat, "JSON", "Text"); err != nil {
			return err
		}
		if lc.LogFormat == "Text" && (lc.ApplicationLogLevel != "" || lc.SystemLogLevel != "") {
			return errInvalid("Log levels can only be set when LogFormat is JSON.")
		}
		if lc.LogFormat == "JSON" {
			if lc.ApplicationLogLevel == "" {
				lc.ApplicationLogLevel = "INFO"
			}
			if lc.SystemLogLevel == "" {
				lc.SystemLogLevel = "INFO"
			}
			if err := oneOf("loggingConfig.applicationLogLevel", lc.ApplicationLogLevel, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"); err != nil {
				return err
			}
			if err := oneOf("loggingConfig.systemLogLevel", lc.SystemLogLevel, "DEBUG", "INFO", "WARN"); err != nil {
				return err
			}
		}
		if lc.LogGroup == "" {
			lc.LogGroup = "/aws/lambda/" + cfg.FunctionName
		} else if !logGroupRE.MatchString(lc.LogGroup) {
			return errValidation("loggingConfig.logGroup", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`, lc.LogGroup)
		}
		cfg.LoggingConfig = &lc
	}
	return nil
}

// storeCode validates a zip and stores it as a blob.
func (s *Service) storeCode(in *codeInput) (code, error) {
	switch {
	case in.ImageUri != "":
		return code{}, errInvalid("The vigil sandbox does not serve container image functions (ImageUri %s): it has no ECR. Package the function as a zip.", in.ImageUri)
	case in.S3Bucket != "" || in.S3Key != "":
		return code{}, errInvalid("The vigil sandbox cannot read function code from S3 yet (S3Bucket %q, S3Key %q): send the zip as ZipFile.", in.S3Bucket, in.S3Key)
	case len(in.ZipFile) == 0:
		return code{}, errValidation("code.zipFile", "Member must not be null", "null")
	case len(in.ZipFile) > maxZipUpload:
		return code{}, protocol.Errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "Request must be smaller than 70167211 bytes for the CreateFunction operation")
	}
	zr, err := zip.NewReader(bytes.NewReader(in.ZipFile), int64(len(in.ZipFile)))
	if err != nil {
		return code{}, errInvalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	var unzipped uint64
	for _, f := range zr.File {
		unzipped += f.UncompressedSize64
	}
	if unzipped > maxUnzipped {
		return code{}, errInvalid("Unzipped size must be smaller than %d bytes", maxUnzipped)
	}
	b, err := s.env.State.WriteBlob(bytes.NewReader(in.ZipFile), maxZipUpload)
	if err != nil {
		return code{}, err
	}
	sum, err := hex.DecodeString(b.SHA256)
	if err != nil {
		_ = s.env.State.DeleteBlob(b.ID)
		return code{}, err
	}
	return code{Blob: b.ID, Size: b.Size, Sha256: base64.StdEncoding.EncodeToString(sum)}, nil
}

func (s *Service) createFunction(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	var in createFunctionInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	fr, err := s.parseFunctionName(r, in.FunctionName)
	if err != nil {
		return fail(err)
	}
	if fr.qualifier != "" {
		return fail(errInvalid("Function name %s must not include a qualifier when creating a function.", in.FunctionName))
	}
	if in.PackageType == "" {
		in.PackageType = "Zip"
	}
	if err := oneOf("packageType", in.PackageType, "Zip", "Image"); err != nil {
		return fail(err)
	}
	if in.PackageType == "Image" {
		return fail(errInvalid("The vigil sandbox does not serve container image functions (PackageType Image): it has no ECR. Package the function as a zip."))
	}
	if in.Runtime == nil || *in.Runtime == "" || in.Handler == nil || *in.Handler == "" {
		return fail(errInvalid("Runtime and Handler are mandatory parameters for functions created with deployment packages."))
	}
	if in.Role == nil {
		return fail(errValidation("role", "Member must not be null", "null"))
	}
	if in.CodeSigningConfigArn != "" {
		return fail(errInvalid("The vigil sandbox does not serve code signing configurations (CodeSigningConfigArn %s).", in.CodeSigningConfigArn))
	}
	arch, err := architectures(in.Architectures)
	if err != nil {
		return fail(err)
	}
	if err := checkTags(nil, in.Tags); err != nil {
		return fail(err)
	}
	if in.Code == nil {
		return fail(errValidation("code", "Member must not be null", "null"))
	}
	cd, err := s.storeCode(in.Code)
	if err != nil {
		return fail(err)
	}
	now := s.now()
	var out Configuration
	err = s.update(ctx, func(tx *state.Tx) error {
		exists, err := tx.Exists(nsFunction, fnKey(fr.region, fr.name))
		if err != nil {
			return err
		}
		if exists {
			return errConflict("Function already exist: %s", fr.name)
		}
		cfg := Configuration{
			FunctionName: fr.name, FunctionArn: s.functionARN(fr.region, fr.name),
			Timeout: 3, MemorySize: 128, Version: "$LATEST", PackageType: "Zip", Architectures: arch,
			TracingConfig: &TracingConfig{Mode: "PassThrough"}, EphemeralStorage: &EphemeralStorage{Size: 512},
			SnapStart:     &SnapStartResponse{ApplyOn: "None", OptimizationStatus: "Off"},
			LoggingConfig: &LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + fr.name},
		}
		if err := applyConfig(tx, &cfg, &in.configInput); err != nil {
			return err
		}
		cfg.CodeSize, cfg.CodeSha256 = cd.Size, cd.Sha256
		cfg.LastModified, cfg.RevisionId = lastModified(now), newRevisionID()
		cfg.State, cfg.LastUpdateStatus = "Active", "Successful"
		f := &functionDoc{Region: fr.region, Config: cfg, Code: cd, Tags: in.Tags, Created: now}
		out = cfg
		if in.Publish {
			v, err := s.publish(tx, f, "")
			if err != nil {
				return err
			}
			out = v
		}
		return putFunction(tx, f)
	})
	if err != nil {
		_ = s.env.State.DeleteBlob(cd.Blob)
		return fail(err)
	}
	return status(http.StatusCreated, out)
}

func architectures(a []string) ([]string, error) {
	if len(a) == 0 {
		return []string{"x86_64"}, nil
	}
	if len(a) > 1 {
		return nil, errValidation("architectures", "Member must have length less than or equal to 1", a)
	}
	if err := oneOf("architectures", a[0], "x86_64", "arm64"); err != nil {
		return nil, err
	}
	return a, nil
}

// getFunctionOutput is GetFunction's response.
type getFunctionOutput struct {
	Configuration Configuration     `json:"Configuration"`
	Code          codeLocation      `json:"Code"`
	Tags          map[string]string `json:"Tags,omitempty"`
	Concurrency   *concurrency      `json:"Concurrency,omitempty"`
}

type codeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

type concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

// qualifiedConfig is the configuration a qualified read returns: the
// resolved version's, with the ARN qualified as asked.
func (s *Service) qualifiedConfig(fr ref, res *resolved) Configuration {
	cfg := res.config
	if fr.qualifier != "" {
		cfg.FunctionArn = s.functionARN(fr.region, fr.name) + ":" + fr.qualifier
	}
	return cfg
}

func (s *Service) getFunction(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var out getFunctionOutput
	err = s.view(ctx, func(tx *state.Tx) error {
		res, err := s.resolve(tx, fr)
		if err != nil {
			return err
		}
		out.Configuration = s.qualifiedConfig(fr, res)
		out.Code = codeLocation{RepositoryType: "S3", Location: s.codeURL(r, fr, res.version)}
		if len(res.fn.Tags) > 0 {
			out.Tags = res.fn.Tags
		}
		if res.fn.Concurrency != nil && fr.qualifier == "" {
			out.Concurrency = &concurrency{ReservedConcurrentExecutions: res.fn.Concurrency}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

// codeURL is where the function's zip can be downloaded from the sandbox
// (AWS hands out a presigned S3 URL valid for ten minutes).
func (s *Service) codeURL(r *service.Request, fr ref, version string) string {
	scheme := "http"
	if r.HTTP.TLS != nil {
		scheme = "https"
	}
	q := url.Values{"Qualifier": {version}, "Region": {fr.region}}
	return scheme + "://" + r.HTTP.Host + "/2015-03-31/functions/" + url.PathEscape(fr.name) + "/code?" + q.Encode()
}

func (s *Service) downloadCode(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	if reg := c.Query.Get("Region"); reg != "" {
		fr.region = reg
	}
	var cd code
	err = s.view(ctx, func(tx *state.Tx) error {
		res, err := s.resolve(tx, fr)
		if err != nil {
			return err
		}
		cd = res.code
		return nil
	})
	if err != nil {
		return fail(err)
	}
	f, err := s.env.State.OpenBlob(cd.Blob)
	if err != nil {
		return fail(err)
	}
	return ok(service.RawBody{ContentType: "application/zip", Size: cd.Size, Reader: f})
}

func (s *Service) getFunctionConfiguration(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var out Configuration
	err = s.view(ctx, func(tx *state.Tx) error {
		res, err := s.resolve(tx, fr)
		if err != nil {
			return err
		}
		out = s.qualifiedConfig(fr, res)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

// unqualified parses a FunctionName that must name the function itself
// ($LATEST), as configuration and code updates do.
func (s *Service) unqualified(r *service.Request, c *service.RESTCall) (ref, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fr, err
	}
	if fr.qualifier != "" && fr.qualifier != "$LATEST" {
		return fr, errInvalid("Only the unqualified function (or $LATEST) can be changed, not %s.", fr.qualifier)
	}
	fr.qualifier = ""
	return fr, nil
}

func (s *Service) updateFunctionConfiguration(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	var in configInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	var out Configuration
	defer s.runner.stopFunction(fr.region, fr.name)
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		if in.RevisionId != "" && in.RevisionId != f.Config.RevisionId {
			return errRevision()
		}
		cfg := f.Config
		if err := applyConfig(tx, &cfg, &in); err != nil {
			return err
		}
		cfg.LastModified, cfg.RevisionId = lastModified(s.now()), newRevisionID()
		cfg.LastUpdateStatus = "Successful"
		f.Config, out = cfg, cfg
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

type updateCodeInput struct {
	codeInput
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionId    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

func (s *Service) updateFunctionCode(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	var in updateCodeInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	var arch []string
	if len(in.Architectures) > 0 {
		if arch, err = architectures(in.Architectures); err != nil {
			return fail(err)
		}
	}
	cd, err := s.storeCode(&in.codeInput)
	if err != nil {
		return fail(err)
	}
	var out Configuration
	var orphan string
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		if in.RevisionId != "" && in.RevisionId != f.Config.RevisionId {
			return errRevision()
		}
		old := f.Code
		cfg := f.Config
		if arch != nil {
			cfg.Architectures = arch
		}
		cfg.CodeSize, cfg.CodeSha256 = cd.Size, cd.Sha256
		cfg.LastModified, cfg.RevisionId = lastModified(s.now()), newRevisionID()
		cfg.LastUpdateStatus = "Successful"
		out = cfg
		if in.DryRun {
			return nil
		}
		f.Config, f.Code = cfg, cd
		if in.Publish {
			v, err := s.publish(tx, f, "")
			if err != nil {
				return err
			}
			out = v
		}
		if err := putFunction(tx, f); err != nil {
			return err
		}
		use, err := blobsInUse(tx, f)
		if err != nil {
			return err
		}
		if !use[old.Blob] {
			orphan = old.Blob
		}
		return nil
	})
	if err != nil || in.DryRun {
		_ = s.env.State.DeleteBlob(cd.Blob)
		if err != nil {
			return fail(err)
		}
		return ok(out)
	}
	s.runner.stopFunction(fr.region, fr.name)
	s.deleteBlobs(orphan)
	return ok(out)
}

func (s *Service) deleteBlobs(ids ...string) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if err := s.env.State.DeleteBlob(id); err != nil && s.env.Logger != nil {
			s.env.Logger.Warn("lambda: delete code blob", "blob", id, "err", err)
		}
	}
}

func (s *Service) deleteFunction(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var orphans []string
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		switch {
		case fr.qualifier == "":
			use, err := blobsInUse(tx, f)
			if err != nil {
				return err
			}
			for id := range use {
				orphans = append(orphans, id)
			}
			prefix := childPrefix(fr.region, fr.name)
			for _, ns := range []string{nsVersion, nsAlias, nsEIC} {
				if err := tx.DeletePrefix(ns, prefix); err != nil {
					return err
				}
			}
			return tx.Delete(nsFunction, fnKey(fr.region, fr.name))
		case fr.qualifier == "$LATEST":
			return errInvalid("$LATEST version cannot be deleted without deleting the function.")
		case !versionRE.MatchString(fr.qualifier):
			return errInvalid("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.")
		}
		n, _ := strconv.Atoi(fr.qualifier)
		v, err := getVersion(tx, fr.region, fr.name, n)
		if errors.Is(err, state.ErrNotFound) {
			return errFunctionNotFound(s.functionARN(fr.region, fr.name) + ":" + fr.qualifier)
		}
		if err != nil {
			return err
		}
		aliases, err := listAliases(tx, fr.region, fr.name)
		if err != nil {
			return err
		}
		var users []string
		for _, a := range aliases {
			_, weighted := a.weights()[fr.qualifier]
			if a.FunctionVersion == fr.qualifier || weighted {
				users = append(users, a.Name)
			}
		}
		if len(users) > 0 {
			return errConflict("Unable to delete version because the following aliases reference it: %v", users)
		}
		if err := tx.Delete(nsVersion, versionKey(fr.region, fr.name, n)); err != nil {
			return err
		}
		if err := tx.Delete(nsEIC, childPrefix(fr.region, fr.name)+fr.qualifier); err != nil {
			return err
		}
		if f.Policies[fr.qualifier] != nil {
			delete(f.Policies, fr.qualifier)
			if err := putFunction(tx, f); err != nil {
				return err
			}
		}
		use, err := blobsInUse(tx, f)
		if err != nil {
			return err
		}
		if !use[v.Code.Blob] {
			orphans = append(orphans, v.Code.Blob)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	s.runner.stopFunction(fr.region, fr.name)
	s.deleteBlobs(orphans...)
	return status(http.StatusNoContent, nil)
}

type listFunctionsOutput struct {
	Functions  []Configuration `json:"Functions"`
	NextMarker string          `json:"NextMarker,omitempty"`
}

// maxItems reads a MaxItems query parameter (1 to limit, default def).
func maxItems(c *service.RESTCall, def, limit int) (int, error) {
	v := c.Query.Get("MaxItems")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errValidation("maxItems", "Member must be a number", v)
	}
	if err := between("maxItems", n, 1, limit); err != nil {
		return 0, err
	}
	return n, nil
}

func (s *Service) listFunctions(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	limit, err := maxItems(c, 50, 10000)
	if err != nil {
		return fail(err)
	}
	all := c.Query.Get("FunctionVersion")
	if all != "" && all != "ALL" {
		return fail(errValidation("functionVersion", "Member must satisfy enum value set: [ALL]", all))
	}
	region := s.env.RegionOf(r)
	marker := c.Query.Get("Marker")
	out := listFunctionsOutput{Functions: []Configuration{}}
	err = s.view(ctx, func(tx *state.Tx) error {
		after := ""
		if marker != "" {
			after = fnKey(region, marker)
		}
		ents, err := tx.List(state.ListParams{NS: nsFunction, Prefix: region + "/", After: after, Limit: limit + 1})
		if err != nil {
			return err
		}
		for i, e := range ents {
			if i == limit {
				out.NextMarker = out.Functions[len(out.Functions)-1].FunctionName
				break
			}
			var f functionDoc
			if err := json.Unmarshal(e.Value, &f); err != nil {
				return err
			}
			out.Functions = append(out.Functions, f.Config)
			if all == "ALL" {
				vs, err := listVersions(tx, region, f.Config.FunctionName)
				if err != nil {
					return err
				}
				for _, v := range vs {
					out.Functions = append(out.Functions, v.Config)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}
