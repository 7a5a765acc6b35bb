package synthetics

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/iam"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// nsCanary holds canaries: "<region>/<name>" → canaryDoc. Script zips are
// blobs the canary references.
const nsCanary = "synthetics/canary"

// maxZip bounds a canary script zip sent inline.
const maxZip = 50 << 20

var (
	canaryNameRE = regexp.MustCompile(`^[0-9a-z_\-]{1,255}$`)
	roleARNRE    = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	handlerRE    = regexp.MustCompile(`^[0-9A-Za-z_\-/\.]+\.[A-Za-z_][A-Za-z0-9_]*$`)
	rateRE       = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours)\)$`)
	canaryARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:synthetics:([a-z0-9-]+):(\d{12}):canary:([0-9a-z_\-]+)$`)
	anyARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:synthetics:[a-z0-9-]*:\d{12}:.+$`)
)

// Status is a canary's state, the shape the provider waits on.
type Status struct {
	State           string `json:"State"`
	StateReason     string `json:"StateReason,omitempty"`
	StateReasonCode string `json:"StateReasonCode,omitempty"`
}

// Schedule is how often the canary runs.
type Schedule struct {
	Expression        string `json:"Expression"`
	DurationInSeconds int64  `json:"DurationInSeconds"`
}

// RunConfig is how a run is executed.
type RunConfig struct {
	TimeoutInSeconds int  `json:"TimeoutInSeconds"`
	MemoryInMB       int  `json:"MemoryInMB"`
	ActiveTracing    bool `json:"ActiveTracing"`
	EphemeralStorage int  `json:"EphemeralStorage"`
}

// VpcConfig attaches a canary to subnets.
type VpcConfig struct {
	VpcId                   string   `json:"VpcId,omitempty"`
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	Ipv6AllowedForDualStack *bool    `json:"Ipv6AllowedForDualStack,omitempty"`
}

// ArtifactConfig is how artifacts are encrypted.
type ArtifactConfig struct {
	S3Encryption *S3Encryption `json:"S3Encryption,omitempty"`
}

// S3Encryption is the artifacts' encryption.
type S3Encryption struct {
	EncryptionMode string `json:"EncryptionMode,omitempty"`
	KmsKeyArn      string `json:"KmsKeyArn,omitempty"`
}

type canaryCode struct {
	Handler   string `json:"handler"`
	Blob      string `json:"blob,omitempty"` // inline zip
	S3Bucket  string `json:"s3_bucket,omitempty"`
	S3Key     string `json:"s3_key,omitempty"`
	S3Version string `json:"s3_version,omitempty"`
	Layer     int    `json:"layer"` // version of the code layer
}

type canaryDoc struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	Region             string            `json:"region"`
	Code               canaryCode        `json:"code"`
	ExecutionRoleArn   string            `json:"execution_role_arn"`
	Schedule           Schedule          `json:"schedule"`
	RunConfig          RunConfig         `json:"run_config"`
	Environment        map[string]string `json:"environment,omitempty"`
	SuccessRetention   int               `json:"success_retention"`
	FailureRetention   int               `json:"failure_retention"`
	Status             Status            `json:"status"`
	Created            time.Time         `json:"created"`
	LastModified       time.Time         `json:"last_modified"`
	LastStarted        time.Time         `json:"last_started"`
	LastStopped        time.Time         `json:"last_stopped"`
	ArtifactS3Location string            `json:"artifact_s3_location"`
	RuntimeVersion     string            `json:"runtime_version"`
	VpcConfig          *VpcConfig        `json:"vpc_config,omitempty"`
	ArtifactConfig     *ArtifactConfig   `json:"artifact_config,omitempty"`
	Cleanup            string            `json:"cleanup,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// CanaryOutput is a canary on the wire.
type CanaryOutput struct {
	Id                           string            `json:"Id"`
	Name                         string            `json:"Name"`
	Code                         map[string]string `json:"Code"`
	ExecutionRoleArn             string            `json:"ExecutionRoleArn"`
	Schedule                     Schedule          `json:"Schedule"`
	RunConfig                    RunConfig         `json:"RunConfig"`
	SuccessRetentionPeriodInDays int               `json:"SuccessRetentionPeriodInDays"`
	FailureRetentionPeriodInDays int               `json:"FailureRetentionPeriodInDays"`
	Status                       Status            `json:"Status"`
	Timeline                     map[string]any    `json:"Timeline"`
	ArtifactS3Location           string            `json:"ArtifactS3Location"`
	EngineArn                    string            `json:"EngineArn"`
	RuntimeVersion               string            `json:"RuntimeVersion"`
	VpcConfig                    *VpcConfig        `json:"VpcConfig,omitempty"`
	ArtifactConfig               *ArtifactConfig   `json:"ArtifactConfig,omitempty"`
	ProvisionedResourceCleanup   string            `json:"ProvisionedResourceCleanup,omitempty"`
	Tags                         map[string]string `json:"Tags,omitempty"`
}

func (s *Service) canaryARN(region, name string) string {
	return s.env.ARN("synthetics", region, "canary:"+name)
}

// lambdaName is the name of the function and layer AWS creates for a
// canary.
func (c *canaryDoc) lambdaName() string {
	id := strings.ReplaceAll(c.ID, "-", "")
	n := c.Name
	if len(n) > 21 {
		n = n[:21]
	}
	return "cwsyn-" + n + "-" + id
}

func (s *Service) output(c *canaryDoc) CanaryOutput {
	v := strconv.Itoa(c.Code.Layer)
	tl := map[string]any{"Created": epoch(c.Created)}
	for k, t := range map[string]time.Time{"LastModified": c.LastModified, "LastStarted": c.LastStarted, "LastStopped": c.LastStopped} {
		if e := epoch(t); e != nil {
			tl[k] = e
		}
	}
	return CanaryOutput{
		Id: c.ID, Name: c.Name,
		Code: map[string]string{"Handler": c.Code.Handler,
			"SourceLocationArn": s.env.ARN("lambda", c.Region, "layer:"+c.lambdaName()+":"+v)},
		ExecutionRoleArn: c.ExecutionRoleArn, Schedule: c.Schedule, RunConfig: c.RunConfig,
		SuccessRetentionPeriodInDays: c.SuccessRetention, FailureRetentionPeriodInDays: c.FailureRetention,
		Status: c.Status, Timeline: tl, ArtifactS3Location: c.ArtifactS3Location,
		EngineArn:      s.env.ARN("lambda", c.Region, "function:"+c.lambdaName()+":"+v),
		RuntimeVersion: c.RuntimeVersion, VpcConfig: c.VpcConfig, ArtifactConfig: c.ArtifactConfig,
		ProvisionedResourceCleanup: c.Cleanup, Tags: c.Tags,
	}
}

type codeInput struct {
	Handler   string `json:"Handler"`
	ZipFile   []byte `json:"ZipFile"`
	S3Bucket  string `json:"S3Bucket"`
	S3Key     string `json:"S3Key"`
	S3Version string `json:"S3Version"`
}

type runConfigInput struct {
	TimeoutInSeconds     *int              `json:"TimeoutInSeconds"`
	MemoryInMB           *int              `json:"MemoryInMB"`
	ActiveTracing        *bool             `json:"ActiveTracing"`
	EnvironmentVariables map[string]string `json:"EnvironmentVariables"`
	EphemeralStorage     *int              `json:"EphemeralStorage"`
}

type scheduleInput struct {
	Expression        string `json:"Expression"`
	DurationInSeconds *int64 `json:"DurationInSeconds"`
}

type canaryInput struct {
	Name                         string            `json:"Name"`
	Code                         *codeInput        `json:"Code"`
	ArtifactS3Location           *string           `json:"ArtifactS3Location"`
	ExecutionRoleArn             *string           `json:"ExecutionRoleArn"`
	Schedule                     *scheduleInput    `json:"Schedule"`
	RunConfig                    *runConfigInput   `json:"RunConfig"`
	SuccessRetentionPeriodInDays *int              `json:"SuccessRetentionPeriodInDays"`
	FailureRetentionPeriodInDays *int              `json:"FailureRetentionPeriodInDays"`
	RuntimeVersion               *string           `json:"RuntimeVersion"`
	VpcConfig                    *VpcConfig        `json:"VpcConfig"`
	ArtifactConfig               *ArtifactConfig   `json:"ArtifactConfig"`
	ProvisionedResourceCleanup   string            `json:"ProvisionedResourceCleanup"`
	Tags                         map[string]string `json:"Tags"`
}

// normalizeSchedule validates a schedule expression and returns it as
// Synthetics stores it ("rate(0 minute)", run once, becomes
// "rate(0 hour)"), with the run timeout it implies by default.
func normalizeSchedule(expr string) (string, int, error) {
	bad := errValidation("Invalid schedule expression %q: use rate(n minute|minutes|hour|hours) or cron(…)", expr)
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return "", 0, bad
		}
		if n == 0 {
			if strings.HasPrefix(m[2], "minute") {
				return "rate(0 hour)", 840, nil
			}
			return expr, 840, nil
		}
		if (n == 1) == strings.HasSuffix(m[2], "s") {
			return "", 0, bad
		}
		if strings.HasPrefix(m[2], "minute") {
			if n > 60 {
				return "", 0, bad
			}
			return expr, min(n*60, 840), nil
		}
		if n > 24 {
			return "", 0, bad
		}
		return expr, 840, nil
	}
	if strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")") && len(strings.Fields(expr[5:len(expr)-1])) == 6 {
		return expr, 840, nil
	}
	return "", 0, bad
}

// apply validates in and applies it to c; blob is the script zip stored
// for this call, if any.
func (s *Service) apply(tx *state.Tx, c *canaryDoc, in *canaryInput, blob string) error {
	if in.Code != nil {
		if !handlerRE.MatchString(in.Code.Handler) {
			return errValidation("Invalid handler %q: expected file.function, such as index.handler.", in.Code.Handler)
		}
		c.Code = canaryCode{Handler: in.Code.Handler, Blob: blob, S3Bucket: in.Code.S3Bucket, S3Key: in.Code.S3Key,
			S3Version: in.Code.S3Version, Layer: c.Code.Layer + 1}
	}
	if in.ArtifactS3Location != nil {
		loc := strings.TrimPrefix(*in.ArtifactS3Location, "s3://")
		bucket, _, _ := strings.Cut(loc, "/")
		if bucket == "" || len(loc) > 1024 {
			return errValidation("Invalid ArtifactS3Location %q: expected s3://bucket/prefix.", *in.ArtifactS3Location)
		}
		c.ArtifactS3Location = loc
	}
	if in.ExecutionRoleArn != nil {
		if !roleARNRE.MatchString(*in.ExecutionRoleArn) {
			return errValidation("Invalid ExecutionRoleArn %q.", *in.ExecutionRoleArn)
		}
		ok, err := iam.RoleExists(tx, *in.ExecutionRoleArn)
		if err != nil {
			return err
		}
		if !ok {
			return errValidation("The role defined for the function cannot be assumed by Lambda: role %s does not exist.", *in.ExecutionRoleArn)
		}
		c.ExecutionRoleArn = *in.ExecutionRoleArn
	}
	defaultTimeout := 0
	if in.Schedule != nil {
		expr, timeout, err := normalizeSchedule(in.Schedule.Expression)
		if err != nil {
			return err
		}
		c.Schedule.Expression, defaultTimeout = expr, timeout
		if d := in.Schedule.DurationInSeconds; d != nil {
			if *d < 0 || *d > 31622400 {
				return errValidation("DurationInSeconds must be between 0 and 31622400.")
			}
			c.Schedule.DurationInSeconds = *d
		}
	}
	if in.RunConfig != nil || c.RunConfig.MemoryInMB == 0 {
		rc := RunConfig{MemoryInMB: 1000, EphemeralStorage: 1024, TimeoutInSeconds: defaultTimeout}
		if rc.TimeoutInSeconds == 0 {
			_, rc.TimeoutInSeconds, _ = normalizeSchedule(c.Schedule.Expression)
		}
		if ri := in.RunConfig; ri != nil {
			if v := ri.TimeoutInSeconds; v != nil {
				if *v < 3 || *v > 840 {
					return errValidation("TimeoutInSeconds must be between 3 and 840.")
				}
				rc.TimeoutInSeconds = *v
			}
			if v := ri.MemoryInMB; v != nil {
				if *v < 960 || *v > 3008 || *v%64 != 0 {
					return errValidation("MemoryInMB must be a multiple of 64 between 960 and 3008.")
				}
				rc.MemoryInMB = *v
			}
			if v := ri.EphemeralStorage; v != nil {
				if *v < 1024 || *v > 5120 {
					return errValidation("EphemeralStorage must be between 1024 and 5120.")
				}
				rc.EphemeralStorage = *v
			}
			if ri.ActiveTracing != nil {
				rc.ActiveTracing = *ri.ActiveTracing
			}
			if ri.EnvironmentVariables != nil {
				c.Environment = ri.EnvironmentVariables
			}
		}
		c.RunConfig = rc
	}
	for _, p := range []struct {
		v   *int
		dst *int
	}{{in.SuccessRetentionPeriodInDays, &c.SuccessRetention}, {in.FailureRetentionPeriodInDays, &c.FailureRetention}} {
		if p.v != nil {
			if *p.v < 1 || *p.v > 455 {
				return errValidation("Retention periods must be between 1 and 455 days.")
			}
			*p.dst = *p.v
		}
	}
	if in.RuntimeVersion != nil {
		if !strings.HasPrefix(*in.RuntimeVersion, "syn-") || len(*in.RuntimeVersion) > 1024 {
			return errValidation("Invalid runtime version %q.", *in.RuntimeVersion)
		}
		c.RuntimeVersion = *in.RuntimeVersion
	}
	if in.VpcConfig != nil {
		if len(in.VpcConfig.SubnetIds) == 0 && len(in.VpcConfig.SecurityGroupIds) == 0 {
			c.VpcConfig = nil
		} else {
			v := *in.VpcConfig
			v.VpcId = ""
			c.VpcConfig = &v
		}
	}
	if in.ArtifactConfig != nil {
		if e := in.ArtifactConfig.S3Encryption; e != nil && e.EncryptionMode != "" && e.EncryptionMode != "SSE_S3" && e.EncryptionMode != "SSE_KMS" {
			return errValidation("EncryptionMode must be SSE_S3 or SSE_KMS.")
		}
		if in.ArtifactConfig.S3Encryption == nil {
			c.ArtifactConfig = nil
		} else {
			c.ArtifactConfig = in.ArtifactConfig
		}
	}
	if in.ProvisionedResourceCleanup != "" {
		if in.ProvisionedResourceCleanup != "AUTOMATIC" && in.ProvisionedResourceCleanup != "OFF" {
			return errValidation("ProvisionedResourceCleanup must be AUTOMATIC or OFF.")
		}
		c.Cleanup = in.ProvisionedResourceCleanup
	}
	return nil
}

// storeZip validates and stores an inline script zip ("" when the code
// comes from S3).
func (s *Service) storeZip(in *codeInput) (string, error) {
	if in == nil {
		return "", nil
	}
	if len(in.ZipFile) == 0 {
		if in.S3Bucket == "" || in.S3Key == "" {
			return "", errValidation("Code must have a ZipFile or an S3Bucket and S3Key.")
		}
		return "", nil
	}
	if in.S3Bucket != "" || in.S3Key != "" {
		return "", errValidation("Code must have a ZipFile or an S3 location, not both.")
	}
	if len(in.ZipFile) > maxZip {
		return "", protocol.Errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "The canary script zip is larger than %d bytes.", maxZip)
	}
	if _, err := zip.NewReader(bytes.NewReader(in.ZipFile), int64(len(in.ZipFile))); err != nil {
		return "", errValidation("Code.ZipFile is not a valid zip file.")
	}
	b, err := s.env.State.WriteBlob(bytes.NewReader(in.ZipFile), maxZip)
	if err != nil {
		return "", err
	}
	return b.ID, nil
}

func checkTags(existing, add map[string]string) error {
	n := len(existing)
	for k, v := range add {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errValidation("Invalid tag %q: keys are 1 to 128 characters, not starting with aws:, values at most 256.", k)
		}
		if _, ok := existing[k]; !ok {
			n++
		}
	}
	if n > 50 {
		return errValidation("A canary can have at most 50 tags.")
	}
	return nil
}

func canaryKey(region, name string) string { return region + "/" + name }

func (s *Service) mustCanary(tx *state.Tx, region, name string) (*canaryDoc, error) {
	var c canaryDoc
	err := tx.Get(nsCanary, canaryKey(region, name), &c)
	if errors.Is(err, state.ErrNotFound) {
		return nil, errNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Service) createCanary(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	var in canaryInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	switch {
	case !canaryNameRE.MatchString(in.Name):
		return fail(errValidation("Invalid canary name %q: 1 to 255 lowercase letters, digits, hyphens and underscores.", in.Name))
	case in.Code == nil:
		return fail(errValidation("Code is required."))
	case in.ArtifactS3Location == nil:
		return fail(errValidation("ArtifactS3Location is required."))
	case in.ExecutionRoleArn == nil:
		return fail(errValidation("ExecutionRoleArn is required."))
	case in.Schedule == nil:
		return fail(errValidation("Schedule is required."))
	case in.RuntimeVersion == nil:
		return fail(errValidation("RuntimeVersion is required."))
	}
	if err := checkTags(nil, in.Tags); err != nil {
		return fail(err)
	}
	blob, err := s.storeZip(in.Code)
	if err != nil {
		return fail(err)
	}
	region := s.env.RegionOf(r)
	now := s.now()
	var out CanaryOutput
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		exists, err := tx.Exists(nsCanary, canaryKey(region, in.Name))
		if err != nil {
			return err
		}
		if exists {
			return errConflict("Canary %s already exists.", in.Name)
		}
		cd := &canaryDoc{ID: newID(), Name: in.Name, Region: region, SuccessRetention: 31, FailureRetention: 31,
			Status: Status{State: "READY"}, Created: now, LastModified: now, Tags: in.Tags}
		if err := s.apply(tx, cd, &in, blob); err != nil {
			return err
		}
		out = s.output(cd)
		return tx.Put(nsCanary, canaryKey(region, in.Name), cd)
	})
	if err != nil {
		_ = s.env.State.DeleteBlob(blob)
		return fail(err)
	}
	return ok(map[string]any{"Canary": out})
}

func (s *Service) canaryName(c *service.RESTCall) (string, error) {
	name := c.Path["Name"]
	if !canaryNameRE.MatchString(name) {
		return "", errValidation("Invalid canary name %q.", name)
	}
	return name, nil
}

func (s *Service) getCanary(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	name, err := s.canaryName(c)
	if err != nil {
		return fail(err)
	}
	var out CanaryOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		cd, err := s.mustCanary(tx, s.env.RegionOf(r), name)
		if err != nil {
			return err
		}
		out = s.output(cd)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"Canary": out})
}

func (s *Service) updateCanary(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	name, err := s.canaryName(c)
	if err != nil {
		return fail(err)
	}
	var in canaryInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if len(in.Tags) > 0 {
		return fail(errValidation("UpdateCanary does not change tags; use TagResource."))
	}
	blob, err := s.storeZip(in.Code)
	if err != nil {
		return fail(err)
	}
	region := s.env.RegionOf(r)
	var orphan string
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		cd, err := s.mustCanary(tx, region, name)
		if err != nil {
			return err
		}
		old := cd.Code.Blob
		if err := s.apply(tx, cd, &in, blob); err != nil {
			return err
		}
		if in.Code != nil {
			orphan = old
		}
		cd.LastModified = s.now()
		return tx.Put(nsCanary, canaryKey(region, name), cd)
	})
	if err != nil {
		_ = s.env.State.DeleteBlob(blob)
		return fail(err)
	}
	_ = s.env.State.DeleteBlob(orphan)
	return ok(struct{}{})
}

func (s *Service) deleteCanary(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	name, err := s.canaryName(c)
	if err != nil {
		return fail(err)
	}
	region := s.env.RegionOf(r)
	var blob string
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		cd, err := s.mustCanary(tx, region, name)
		if err != nil {
			return err
		}
		if cd.Status.State == "RUNNING" {
			return errConflict("Canary %s is RUNNING; stop it before deleting it.", name)
		}
		blob = cd.Code.Blob
		return tx.Delete(nsCanary, canaryKey(region, name))
	})
	if err != nil {
		return fail(err)
	}
	_ = s.env.State.DeleteBlob(blob)
	return ok(struct{}{})
}

// setState moves a canary from one of the from states to to.
func (s *Service) setState(ctx context.Context, r *service.Request, c *service.RESTCall, to string, from ...string) (service.RESTResult, error) {
	name, err := s.canaryName(c)
	if err != nil {
		return fail(err)
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		cd, err := s.mustCanary(tx, region, name)
		if err != nil {
			return err
		}
		okState := false
		for _, f := range from {
			okState = okState || cd.Status.State == f
		}
		if !okState {
			return errConflict("Canary %s is in state %s and cannot move to %s.", name, cd.Status.State, to)
		}
		now := s.now()
		cd.Status = Status{State: to}
		switch to {
		case "RUNNING":
			cd.LastStarted = now
		case "STOPPED":
			cd.LastStopped = now
			cd.Status.StateReason = "Canary stopped by the user."
		}
		return tx.Put(nsCanary, canaryKey(region, name), cd)
	})
	if err != nil {
		return fail(err)
	}
	return ok(struct{}{})
}

func (s *Service) startCanary(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	return s.setState(ctx, r, c, "RUNNING", "READY", "STOPPED")
}

func (s *Service) stopCanary(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	return s.setState(ctx, r, c, "STOPPED", "RUNNING")
}

// getCanaryRuns lists the canary's runs: the sandbox does not execute
// canary scripts, so there are none.
func (s *Service) getCanaryRuns(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	name, err := s.canaryName(c)
	if err != nil {
		return fail(err)
	}
	var in struct {
		MaxResults *int `json:"MaxResults"`
	}
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100) {
		return fail(errValidation("MaxResults must be between 1 and 100."))
	}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		_, err := s.mustCanary(tx, s.env.RegionOf(r), name)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"CanaryRuns": []any{}})
}

func (s *Service) describeCanaries(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	var in struct {
		MaxResults *int     `json:"MaxResults"`
		NextToken  string   `json:"NextToken"`
		Names      []string `json:"Names"`
	}
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	limit := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			return fail(errValidation("MaxResults must be between 1 and 20."))
		}
		limit = *in.MaxResults
	}
	if len(in.Names) > 5 {
		return fail(errValidation("Names can list at most 5 canaries."))
	}
	region := s.env.RegionOf(r)
	var all []CanaryOutput
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		ents, err := tx.List(state.ListParams{NS: nsCanary, Prefix: region + "/"})
		if err != nil {
			return err
		}
		for _, e := range ents {
			var cd canaryDoc
			if err := json.Unmarshal(e.Value, &cd); err != nil {
				return err
			}
			if len(in.Names) > 0 && !contains(in.Names, cd.Name) {
				continue
			}
			all = append(all, s.output(&cd))
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	start := 0
	if in.NextToken != "" {
		start = len(all)
		for i, cd := range all {
			if cd.Name > in.NextToken {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(all))
	out := map[string]any{"Canaries": append([]CanaryOutput{}, all[start:end]...)}
	if end < len(all) {
		out["NextToken"] = all[end-1].Name
	}
	return ok(out)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Tagging answers with its own error codes: NotFoundException and
// BadRequestException.
func errTagNotFound(arn string) error {
	return protocol.Errorf(http.StatusNotFound, "NotFoundException", "Resource %s does not exist.", arn)
}

func errBadRequest(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, "BadRequestException", format, args...)
}

// tagTarget reads the canary a tagging ARN names.
func (s *Service) tagTarget(c *service.RESTCall) (region, name string, err error) {
	arn := c.Path["ResourceArn"]
	m := canaryARNRE.FindStringSubmatch(arn)
	if m == nil {
		if anyARNRE.MatchString(arn) {
			return "", "", errTagNotFound(arn)
		}
		return "", "", errBadRequest("Invalid resource ARN %q.", arn)
	}
	if m[2] != s.env.AccountID {
		return "", "", errTagNotFound(arn)
	}
	return m[1], m[3], nil
}

// tagCanary reads the canary a tagging call names, with tagging's error.
func (s *Service) tagCanary(tx *state.Tx, region, name string) (*canaryDoc, error) {
	cd, err := s.mustCanary(tx, region, name)
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code == codeNotFound {
		return nil, errTagNotFound(s.canaryARN(region, name))
	}
	return cd, err
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	region, name, err := s.tagTarget(c)
	if err != nil {
		return fail(err)
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if len(in.Tags) == 0 {
		return fail(errBadRequest("Tags must not be empty."))
	}
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		cd, err := s.tagCanary(tx, region, name)
		if err != nil {
			return err
		}
		if err := checkTags(cd.Tags, in.Tags); err != nil {
			return errBadRequest("%s", protocol.AsError(err).Message)
		}
		if cd.Tags == nil {
			cd.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			cd.Tags[k] = v
		}
		return tx.Put(nsCanary, canaryKey(region, name), cd)
	})
	if err != nil {
		return fail(err)
	}
	return ok(struct{}{})
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	region, name, err := s.tagTarget(c)
	if err != nil {
		return fail(err)
	}
	keys := c.Query["tagKeys"]
	if len(keys) == 0 {
		return fail(errBadRequest("tagKeys must not be empty."))
	}
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		cd, err := s.tagCanary(tx, region, name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			delete(cd.Tags, k)
		}
		return tx.Put(nsCanary, canaryKey(region, name), cd)
	})
	if err != nil {
		return fail(err)
	}
	return ok(struct{}{})
}

func (s *Service) listTags(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	region, name, err := s.tagTarget(c)
	if err != nil {
		return fail(err)
	}
	tags := map[string]string{}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		cd, err := s.tagCanary(tx, region, name)
		if err != nil {
			return err
		}
		for k, v := range cd.Tags {
			tags[k] = v
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"Tags": tags})
}
