package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// makeZip builds a zip holding one bootstrap file with the given content.
func makeZip(t testing.TB, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, content); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

type fixture struct {
	sb   *sandboxtest.Sandbox
	c    *awslambda.Client
	role string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	sb := sandboxtest.Start(t)
	cfg := sb.AWSConfig()
	out, err := awsiam.NewFromConfig(cfg).CreateRole(context.Background(), &awsiam.CreateRoleInput{
		RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	return &fixture{sb: sb, c: awslambda.NewFromConfig(cfg), role: aws.ToString(out.Role.Arn)}
}

func (f *fixture) create(t *testing.T, name string, zip []byte, mod ...func(*awslambda.CreateFunctionInput)) *awslambda.CreateFunctionOutput {
	t.Helper()
	in := &awslambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(f.role), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip},
	}
	for _, m := range mod {
		m(in)
	}
	out, err := f.c.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

func wantCode[T error](t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("want %T, got %T: %v", typed, err, err)
	}
}

func wantAPICode(t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
}

func TestFunctionLifecycle(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	z := makeZip(t, "#!/bin/sh\necho v1\n")
	out := f.create(t, "api-remediator", z, func(in *awslambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"CLUSTER": "dev"}}
		in.Timeout = aws.Int32(30)
		in.MemorySize = aws.Int32(256)
		in.Tags = map[string]string{"team": "sre"}
		in.Description = aws.String("replaces tasks")
	})
	if got, want := aws.ToString(out.CodeSha256), sha(z); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if out.CodeSize != int64(len(z)) || out.State != types.StateActive || out.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("create output = size %d state %s/%s", out.CodeSize, out.State, out.LastUpdateStatus)
	}
	if got := aws.ToString(out.FunctionArn); got != "arn:aws:lambda:us-east-1:123456789012:function:api-remediator" {
		t.Errorf("FunctionArn = %s", got)
	}

	get, err := f.c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("api-remediator")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := get.Configuration
	if aws.ToInt32(cfg.Timeout) != 30 || aws.ToInt32(cfg.MemorySize) != 256 || cfg.Environment.Variables["CLUSTER"] != "dev" ||
		cfg.Runtime != types.RuntimeProvidedal2023 || aws.ToString(cfg.Handler) != "bootstrap" || aws.ToString(cfg.Description) != "replaces tasks" {
		t.Errorf("configuration = %+v", cfg)
	}
	if len(cfg.Architectures) != 1 || cfg.Architectures[0] != types.ArchitectureX8664 || aws.ToInt32(cfg.EphemeralStorage.Size) != 512 ||
		cfg.TracingConfig.Mode != types.TracingModePassThrough || aws.ToString(cfg.LoggingConfig.LogGroup) != "/aws/lambda/api-remediator" {
		t.Errorf("defaults = arch %v storage %v tracing %v logging %+v", cfg.Architectures, cfg.EphemeralStorage, cfg.TracingConfig, cfg.LoggingConfig)
	}
	if get.Tags["team"] != "sre" || aws.ToString(get.Code.RepositoryType) != "S3" {
		t.Errorf("tags %v code %+v", get.Tags, get.Code)
	}
	// The code location serves the zip.
	resp, err := http.Get(aws.ToString(get.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, z) {
		t.Errorf("download: status %d, %d bytes, want the zip", resp.StatusCode, len(body))
	}

	// Configuration update: only the fields given change.
	rev := aws.ToString(cfg.RevisionId)
	upd, err := f.c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("api-remediator"), Timeout: aws.Int32(60),
		Environment: &types.Environment{Variables: map[string]string{"CLUSTER": "prod", "MAX": "3"}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(upd.Timeout) != 60 || aws.ToInt32(upd.MemorySize) != 256 || upd.Environment.Variables["MAX"] != "3" || aws.ToString(upd.RevisionId) == rev {
		t.Errorf("update = timeout %d memory %d env %v rev %s", aws.ToInt32(upd.Timeout), aws.ToInt32(upd.MemorySize), upd.Environment.Variables, aws.ToString(upd.RevisionId))
	}
	_, err = f.c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("api-remediator"), RevisionId: aws.String(rev), Timeout: aws.Int32(10)})
	wantCode[*types.PreconditionFailedException](t, err, "PreconditionFailedException")

	// Code update: new hash, new revision.
	z2 := makeZip(t, "#!/bin/sh\necho v2\n")
	code, err := f.c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("api-remediator"), ZipFile: z2})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(code.CodeSha256) != sha(z2) || aws.ToString(code.RevisionId) == aws.ToString(upd.RevisionId) {
		t.Errorf("code update = %s rev %s", aws.ToString(code.CodeSha256), aws.ToString(code.RevisionId))
	}
	if n := countBlobs(t, f.sb.Dir); n != 1 {
		t.Errorf("%d code blobs after a code update of an unpublished function, want 1", n)
	}
	conf, err := f.c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("api-remediator")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(conf.CodeSha256) != sha(z2) || aws.ToInt32(conf.Timeout) != 60 {
		t.Errorf("configuration after code update = %s %d", aws.ToString(conf.CodeSha256), aws.ToInt32(conf.Timeout))
	}

	list, err := f.c.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "api-remediator" {
		t.Errorf("ListFunctions = %+v", list.Functions)
	}

	cs, err := f.c.GetFunctionCodeSigningConfig(ctx, &awslambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("api-remediator")})
	if err != nil || aws.ToString(cs.CodeSigningConfigArn) != "" {
		t.Errorf("GetFunctionCodeSigningConfig = %+v, %v", cs, err)
	}

	if _, err := f.c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("api-remediator")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("api-remediator")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = f.c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("api-remediator")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	if n := countBlobs(t, f.sb.Dir); n != 0 {
		t.Errorf("%d code blobs left after DeleteFunction", n)
	}
}

// countBlobs counts the stored blobs of a data directory.
func countBlobs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tmp" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateFunctionErrors(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	z := makeZip(t, "x")
	f.create(t, "taken", z)
	tests := []struct {
		name string
		mod  func(*awslambda.CreateFunctionInput)
		code string
	}{
		{"duplicate", func(in *awslambda.CreateFunctionInput) { in.FunctionName = aws.String("taken") }, "ResourceConflictException"},
		{"unknown role", func(in *awslambda.CreateFunctionInput) {
			in.Role = aws.String("arn:aws:iam::123456789012:role/nobody")
		}, "InvalidParameterValueException"},
		{"malformed role", func(in *awslambda.CreateFunctionInput) { in.Role = aws.String("nobody") }, "ValidationException"},
		{"not a zip", func(in *awslambda.CreateFunctionInput) { in.Code.ZipFile = []byte("plain text") }, "InvalidParameterValueException"},
		{"s3 code", func(in *awslambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k.zip")}
		}, "InvalidParameterValueException"},
		{"bad runtime", func(in *awslambda.CreateFunctionInput) { in.Runtime = "cobol85" }, "ValidationException"},
		{"blocked runtime", func(in *awslambda.CreateFunctionInput) { in.Runtime = types.RuntimePython27 }, "InvalidParameterValueException"},
		{"no handler", func(in *awslambda.CreateFunctionInput) { in.Handler = nil }, "InvalidParameterValueException"},
		{"timeout too long", func(in *awslambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }, "ValidationException"},
		{"memory too small", func(in *awslambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }, "ValidationException"},
		{"bad name", func(in *awslambda.CreateFunctionInput) { in.FunctionName = aws.String("has space") }, "ValidationException"},
		{"reserved env", func(in *awslambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}
		}, "InvalidParameterValueException"},
		{"env too large", func(in *awslambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("x", 5000)}}
		}, "InvalidParameterValueException"},
		{"layers", func(in *awslambda.CreateFunctionInput) {
			in.Layers = []string{"arn:aws:lambda:us-east-1:123456789012:layer:x:1"}
		}, "InvalidParameterValueException"},
		{"image", func(in *awslambda.CreateFunctionInput) {
			in.PackageType = types.PackageTypeImage
			in.Code = &types.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1")}
		}, "InvalidParameterValueException"},
		{"bad dead letter target", func(in *awslambda.CreateFunctionInput) {
			in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:s3:::bucket")}
		}, "InvalidParameterValueException"},
		{"aws tag", func(in *awslambda.CreateFunctionInput) { in.Tags = map[string]string{"aws:x": "y"} }, "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &awslambda.CreateFunctionInput{
				FunctionName: aws.String("fn-" + strings.ReplaceAll(tt.name, " ", "-")), Role: aws.String(f.role),
				Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: z},
			}
			tt.mod(in)
			_, err := f.c.CreateFunction(ctx, in)
			wantAPICode(t, err, tt.code)
		})
	}
	// Nothing half-created.
	list, err := f.c.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 1 {
		t.Errorf("ListFunctions after failures = %d functions, %v", len(list.Functions), err)
	}
}

func TestVersionsAndAliases(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	name := aws.String("fn")
	created := f.create(t, "fn", makeZip(t, "v1"), func(in *awslambda.CreateFunctionInput) { in.Publish = true })
	if aws.ToString(created.Version) != "1" || !strings.HasSuffix(aws.ToString(created.FunctionArn), ":fn:1") {
		t.Errorf("publish on create = version %s arn %s", aws.ToString(created.Version), aws.ToString(created.FunctionArn))
	}
	// Publishing an unchanged $LATEST returns the last version.
	again, err := f.c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: name})
	if err != nil || aws.ToString(again.Version) != "1" {
		t.Fatalf("PublishVersion unchanged = %v, %v", again, err)
	}
	if _, err := f.c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: name, ZipFile: makeZip(t, "v2")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: name, CodeSha256: aws.String("nope")})
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValueException")
	v2, err := f.c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: name, Description: aws.String("second")})
	if err != nil || aws.ToString(v2.Version) != "2" || aws.ToString(v2.Description) != "second" {
		t.Fatalf("PublishVersion = %+v, %v", v2, err)
	}
	vs, err := f.c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: name})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs.Versions {
		got = append(got, aws.ToString(v.Version))
	}
	if strings.Join(got, ",") != "$LATEST,1,2" || !strings.HasSuffix(aws.ToString(vs.Versions[0].FunctionArn), ":$LATEST") {
		t.Errorf("versions = %v", got)
	}
	page, err := f.c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: name, MaxItems: aws.Int32(2)})
	if err != nil || len(page.Versions) != 2 || aws.ToString(page.NextMarker) == "" {
		t.Fatalf("page 1 = %+v, %v", page, err)
	}
	page2, err := f.c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: name, Marker: page.NextMarker})
	if err != nil || len(page2.Versions) != 1 || aws.ToString(page2.Versions[0].Version) != "2" {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
	v1, err := f.c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: name, Qualifier: aws.String("1")})
	if err != nil || aws.ToString(v1.Configuration.CodeSha256) != aws.ToString(created.CodeSha256) {
		t.Fatalf("GetFunction :1 = %v", err)
	}

	// Aliases.
	a, err := f.c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.AliasArn) != "arn:aws:lambda:us-east-1:123456789012:function:fn:live" || a.RoutingConfig.AdditionalVersionWeights["2"] != 0.25 {
		t.Errorf("CreateAlias = %+v", a)
	}
	_, err = f.c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String("1")})
	wantCode[*types.ResourceConflictException](t, err, "ResourceConflictException")
	_, err = f.c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: name, Name: aws.String("dev"), FunctionVersion: aws.String("9")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = f.c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: name, Name: aws.String("123"), FunctionVersion: aws.String("1")})
	wantAPICode(t, err, "ValidationException")

	viaAlias, err := f.c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn:live")})
	if err != nil || aws.ToString(viaAlias.Version) != "1" {
		t.Fatalf("GetFunctionConfiguration fn:live = %+v, %v", viaAlias, err)
	}
	// Clearing the routing config removes it from the alias.
	up, err := f.c.UpdateAlias(ctx, &awslambda.UpdateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{}})
	if err != nil || aws.ToString(up.FunctionVersion) != "2" || up.RoutingConfig != nil {
		t.Fatalf("UpdateAlias = %+v, %v", up, err)
	}
	_, err = f.c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: name, Qualifier: aws.String("2")})
	wantCode[*types.ResourceConflictException](t, err, "ResourceConflictException")
	if _, err := f.c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: name, Qualifier: aws.String("1")}); err != nil {
		t.Fatalf("delete version 1: %v", err)
	}
	as, err := f.c.ListAliases(ctx, &awslambda.ListAliasesInput{FunctionName: name})
	if err != nil || len(as.Aliases) != 1 {
		t.Fatalf("ListAliases = %+v, %v", as, err)
	}
	if _, err := f.c.DeleteAlias(ctx, &awslambda.DeleteAliasInput{FunctionName: name, Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.GetAlias(ctx, &awslambda.GetAliasInput{FunctionName: name, Name: aws.String("live")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestPermissions(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.create(t, "fn", makeZip(t, "x"))
	name := aws.String("fn")
	_, err := f.c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: name})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	ruleARN := "arn:aws:events:us-east-1:123456789012:rule/alarm-state"
	out, err := f.c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: name, StatementId: aws.String("AllowEvents"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceArn: aws.String(ruleARN)})
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Statement)), &st); err != nil {
		t.Fatal(err)
	}
	if st["Sid"] != "AllowEvents" || st["Principal"].(map[string]any)["Service"] != "events.amazonaws.com" ||
		st["Condition"].(map[string]any)["ArnLike"].(map[string]any)["AWS:SourceArn"] != ruleARN {
		t.Errorf("statement = %v", st)
	}
	_, err = f.c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: name, StatementId: aws.String("AllowEvents"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")})
	wantCode[*types.ResourceConflictException](t, err, "ResourceConflictException")
	if _, err := f.c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: name, StatementId: aws.String("Account"),
		Action: aws.String("lambda:*"), Principal: aws.String("210987654321"), SourceAccount: aws.String("123456789012")}); err != nil {
		t.Fatal(err)
	}
	pol, err := f.c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: name})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal any
			Condition map[string]map[string]string
			Resource  string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 2 || doc.Statement[1].Principal.(map[string]any)["AWS"] != "arn:aws:iam::210987654321:root" ||
		doc.Statement[1].Condition["StringEquals"]["AWS:SourceAccount"] != "123456789012" ||
		doc.Statement[0].Resource != "arn:aws:lambda:us-east-1:123456789012:function:fn" {
		t.Errorf("policy = %s", aws.ToString(pol.Policy))
	}
	_, err = f.c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: name, Qualifier: aws.String("nope"), StatementId: aws.String("Q"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = f.c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: name, StatementId: aws.String("Missing")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	for _, sid := range []string{"AllowEvents", "Account"} {
		if _, err := f.c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: name, StatementId: aws.String(sid)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: name})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestEventInvokeConfig(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.create(t, "fn", makeZip(t, "x"))
	name := aws.String("fn")
	_, err := f.c.GetFunctionEventInvokeConfig(ctx, &awslambda.GetFunctionEventInvokeConfigInput{FunctionName: name})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	topic := "arn:aws:sns:us-east-1:123456789012:pager"
	put, err := f.c.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: name,
		MaximumRetryAttempts: aws.Int32(1), MaximumEventAgeInSeconds: aws.Int32(3600),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(topic)}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST" || put.LastModified == nil || put.LastModified.IsZero() {
		t.Errorf("put = %+v", put)
	}
	get, err := f.c.GetFunctionEventInvokeConfig(ctx, &awslambda.GetFunctionEventInvokeConfigInput{FunctionName: name})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(get.MaximumRetryAttempts) != 1 || aws.ToInt32(get.MaximumEventAgeInSeconds) != 3600 ||
		aws.ToString(get.DestinationConfig.OnFailure.Destination) != topic || get.DestinationConfig.OnSuccess.Destination != nil {
		t.Errorf("get = %+v", get)
	}
	upd, err := f.c.UpdateFunctionEventInvokeConfig(ctx, &awslambda.UpdateFunctionEventInvokeConfigInput{FunctionName: name, MaximumRetryAttempts: aws.Int32(0)})
	if err != nil || aws.ToInt32(upd.MaximumRetryAttempts) != 0 || aws.ToInt32(upd.MaximumEventAgeInSeconds) != 3600 {
		t.Fatalf("update = %+v, %v", upd, err)
	}
	_, err = f.c.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: name, MaximumRetryAttempts: aws.Int32(5)})
	wantAPICode(t, err, "ValidationException")
	_, err = f.c.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: name,
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("not-an-arn")}}})
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValueException")
	lst, err := f.c.ListFunctionEventInvokeConfigs(ctx, &awslambda.ListFunctionEventInvokeConfigsInput{FunctionName: name})
	if err != nil || len(lst.FunctionEventInvokeConfigs) != 1 {
		t.Fatalf("list = %+v, %v", lst, err)
	}
	if _, err := f.c.DeleteFunctionEventInvokeConfig(ctx, &awslambda.DeleteFunctionEventInvokeConfigInput{FunctionName: name}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.DeleteFunctionEventInvokeConfig(ctx, &awslambda.DeleteFunctionEventInvokeConfigInput{FunctionName: name})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestConcurrencyAndTags(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	out := f.create(t, "fn", makeZip(t, "x"))
	f.create(t, "other", makeZip(t, "y"))
	name := aws.String("fn")
	c0, err := f.c.GetFunctionConcurrency(ctx, &awslambda.GetFunctionConcurrencyInput{FunctionName: name})
	if err != nil || c0.ReservedConcurrentExecutions != nil {
		t.Fatalf("GetFunctionConcurrency before = %+v, %v", c0, err)
	}
	if _, err := f.c.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: name, ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	get, err := f.c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: name})
	if err != nil || get.Concurrency == nil || aws.ToInt32(get.Concurrency.ReservedConcurrentExecutions) != 5 {
		t.Fatalf("GetFunction concurrency = %+v, %v", get.Concurrency, err)
	}
	_, err = f.c.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("other"), ReservedConcurrentExecutions: aws.Int32(896)})
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValueException")
	if _, err := f.c.DeleteFunctionConcurrency(ctx, &awslambda.DeleteFunctionConcurrencyInput{FunctionName: name}); err != nil {
		t.Fatal(err)
	}

	arn := out.FunctionArn
	if _, err := f.c.TagResource(ctx, &awslambda.TagResourceInput{Resource: arn, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UntagResource(ctx, &awslambda.UntagResourceInput{Resource: arn, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.c.ListTags(ctx, &awslambda.ListTagsInput{Resource: arn})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("ListTags = %+v, %v", tags, err)
	}
	_, err = f.c.ListTags(ctx, &awslambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:ghost")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = f.c.TagResource(ctx, &awslambda.TagResourceInput{Resource: aws.String(aws.ToString(arn) + ":1"), Tags: map[string]string{"a": "1"}})
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValueException")
}

func TestInvokeIsHonest(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	// A bootstrap that is not a program fails as on AWS, never a fake success.
	f.create(t, "fn", makeZip(t, "x"))
	out, err := f.c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte(`{}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Runtime.InvalidEntrypoint") {
		t.Fatalf("Invoke of a broken bootstrap = %+v, %v", out, err)
	}
	f.create(t, "nobootstrap", func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("main.py")
		_, _ = io.WriteString(w, "x")
		_ = zw.Close()
		return buf.Bytes()
	}())
	out, err = f.c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("nobootstrap")})
	if err != nil || !strings.Contains(string(out.Payload), "Couldn't find valid bootstrap") {
		t.Fatalf("Invoke without bootstrap = %+v, %v", out, err)
	}
	_, err = f.c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte(`not json`)})
	wantCode[*types.InvalidRequestContentException](t, err, "InvalidRequestContentException")
	_, err = f.c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("ghost")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = f.c.CreateEventSourceMapping(ctx, &awslambda.CreateEventSourceMappingInput{FunctionName: aws.String("fn")})
	wantAPICode(t, err, "NotImplemented")
}

func TestFunctionNameForms(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.create(t, "fn", makeZip(t, "x"), func(in *awslambda.CreateFunctionInput) { in.Publish = true })
	tests := []struct {
		name, fn, version string
	}{
		{"name", "fn", "$LATEST"},
		{"arn", "arn:aws:lambda:us-east-1:123456789012:function:fn", "$LATEST"},
		{"qualified arn", "arn:aws:lambda:us-east-1:123456789012:function:fn:1", "1"},
		{"partial arn", "123456789012:function:fn", "$LATEST"},
		{"name and version", "fn:1", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(tt.fn)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Version) != tt.version {
				t.Errorf("version = %s, want %s", aws.ToString(out.Version), tt.version)
			}
		})
	}
	_, err := f.c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:999999999999:function:fn")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = f.c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("fn:1"), Qualifier: aws.String("2")})
	wantCode[*types.InvalidParameterValueException](t, err, "InvalidParameterValueException")
}

// TestDurable checks that functions, versions and code survive a restart.
func TestDurable(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	z := makeZip(t, "durable")
	f.create(t, "fn", z, func(in *awslambda.CreateFunctionInput) { in.Publish = true })
	dir := f.sb.Dir
	if err := f.sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sb := sandboxtest.StartIn(t, dir)
	c := awslambda.NewFromConfig(sb.AWSConfig())
	out, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(aws.ToString(out.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, z) || aws.ToString(out.Configuration.CodeSha256) != sha(z) {
		t.Errorf("after restart: %d bytes, sha %s", len(body), aws.ToString(out.Configuration.CodeSha256))
	}
}
