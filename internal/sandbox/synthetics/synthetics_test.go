package synthetics_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/synthetics"
	"github.com/aws/aws-sdk-go-v2/service/synthetics/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func script(t *testing.T, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("nodejs/node_modules/canary.js")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(w, body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func setup(t *testing.T) (*synthetics.Client, string) {
	t.Helper()
	sb := sandboxtest.Start(t)
	cfg := sb.AWSConfig()
	out, err := awsiam.NewFromConfig(cfg).CreateRole(context.Background(), &awsiam.CreateRoleInput{
		RoleName: aws.String("canary-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	return synthetics.NewFromConfig(cfg), aws.ToString(out.Role.Arn)
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

func createInput(role string, zip []byte) *synthetics.CreateCanaryInput {
	return &synthetics.CreateCanaryInput{
		Name: aws.String("api-health"), ArtifactS3Location: aws.String("s3://canary-artifacts/api/"),
		ExecutionRoleArn: aws.String(role), RuntimeVersion: aws.String("syn-nodejs-puppeteer-9.1"),
		Code:     &types.CanaryCodeInput{Handler: aws.String("canary.handler"), ZipFile: zip},
		Schedule: &types.CanaryScheduleInput{Expression: aws.String("rate(5 minutes)")},
		Tags:     map[string]string{"team": "sre"},
	}
}

func TestCanaryLifecycle(t *testing.T) {
	ctx := context.Background()
	c, role := setup(t)
	out, err := c.CreateCanary(ctx, createInput(role, script(t, "v1")))
	if err != nil {
		t.Fatal(err)
	}
	cn := out.Canary
	if cn.Status.State != types.CanaryStateReady || aws.ToString(cn.ArtifactS3Location) != "canary-artifacts/api/" ||
		aws.ToInt32(cn.RunConfig.TimeoutInSeconds) != 300 || aws.ToInt32(cn.RunConfig.MemoryInMB) != 1000 ||
		aws.ToInt32(cn.SuccessRetentionPeriodInDays) != 31 || aws.ToString(cn.Code.Handler) != "canary.handler" ||
		aws.ToString(cn.RuntimeVersion) != "syn-nodejs-puppeteer-9.1" || cn.Timeline.Created == nil || cn.Tags["team"] != "sre" {
		t.Fatalf("CreateCanary = %+v", cn)
	}
	_, err = c.CreateCanary(ctx, createInput(role, script(t, "v1")))
	wantAPICode(t, err, "ConflictException")

	get, err := c.GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("api-health")})
	if err != nil || aws.ToString(get.Canary.Id) != aws.ToString(cn.Id) {
		t.Fatalf("GetCanary = %+v, %v", get, err)
	}
	layer := aws.ToString(get.Canary.Code.SourceLocationArn)

	// Stopping a canary that is not running is a conflict.
	_, err = c.StopCanary(ctx, &synthetics.StopCanaryInput{Name: aws.String("api-health")})
	wantCode[*types.ConflictException](t, err, "ConflictException")
	if _, err := c.StartCanary(ctx, &synthetics.StartCanaryInput{Name: aws.String("api-health")}); err != nil {
		t.Fatal(err)
	}
	get, _ = c.GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("api-health")})
	if get.Canary.Status.State != types.CanaryStateRunning || get.Canary.Timeline.LastStarted == nil {
		t.Errorf("after start = %+v", get.Canary.Status)
	}
	_, err = c.DeleteCanary(ctx, &synthetics.DeleteCanaryInput{Name: aws.String("api-health")})
	wantCode[*types.ConflictException](t, err, "ConflictException")
	runs, err := c.GetCanaryRuns(ctx, &synthetics.GetCanaryRunsInput{Name: aws.String("api-health")})
	if err != nil || len(runs.CanaryRuns) != 0 {
		t.Fatalf("GetCanaryRuns = %+v, %v", runs, err)
	}
	if _, err := c.StopCanary(ctx, &synthetics.StopCanaryInput{Name: aws.String("api-health")}); err != nil {
		t.Fatal(err)
	}
	get, _ = c.GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("api-health")})
	if get.Canary.Status.State != types.CanaryStateStopped || aws.ToString(get.Canary.Status.StateReason) == "" {
		t.Errorf("after stop = %+v", get.Canary.Status)
	}

	// Update: code and schedule; the state stays.
	if _, err := c.UpdateCanary(ctx, &synthetics.UpdateCanaryInput{Name: aws.String("api-health"),
		Code:      &types.CanaryCodeInput{Handler: aws.String("canary.handler"), ZipFile: script(t, "v2")},
		Schedule:  &types.CanaryScheduleInput{Expression: aws.String("rate(0 minute)")},
		RunConfig: &types.CanaryRunConfigInput{TimeoutInSeconds: aws.Int32(60), MemoryInMB: aws.Int32(1024)}}); err != nil {
		t.Fatal(err)
	}
	get, _ = c.GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("api-health")})
	if get.Canary.Status.State != types.CanaryStateStopped || aws.ToString(get.Canary.Schedule.Expression) != "rate(0 hour)" ||
		aws.ToInt32(get.Canary.RunConfig.TimeoutInSeconds) != 60 || aws.ToString(get.Canary.Code.SourceLocationArn) == layer {
		t.Errorf("after update = %+v %+v %+v", get.Canary.Status, get.Canary.Schedule, get.Canary.Code)
	}

	arn := "arn:aws:synthetics:us-east-1:123456789012:canary:api-health"
	if _, err := c.TagResource(ctx, &synthetics.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &synthetics.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &synthetics.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}

	list, err := c.DescribeCanaries(ctx, &synthetics.DescribeCanariesInput{})
	if err != nil || len(list.Canaries) != 1 {
		t.Fatalf("DescribeCanaries = %+v, %v", list, err)
	}
	if _, err := c.DeleteCanary(ctx, &synthetics.DeleteCanaryInput{Name: aws.String("api-health")}); err != nil {
		t.Fatal(err)
	}
	// GetCanary's model lists no ResourceNotFoundException, so the SDK
	// returns a generic error with that code (the provider matches the
	// code in the message).
	_, err = c.GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("api-health")})
	wantAPICode(t, err, "ResourceNotFoundException")
	_, err = c.ListTagsForResource(ctx, &synthetics.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	wantCode[*types.NotFoundException](t, err, "NotFoundException")
	_, err = c.GetCanaryRuns(ctx, &synthetics.GetCanaryRunsInput{Name: aws.String("api-health")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = c.DeleteCanary(ctx, &synthetics.DeleteCanaryInput{Name: aws.String("api-health")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
}

func TestCreateCanaryErrors(t *testing.T) {
	ctx := context.Background()
	c, role := setup(t)
	zip := script(t, "x")
	tests := []struct {
		name string
		mod  func(*synthetics.CreateCanaryInput)
	}{
		{"uppercase name", func(in *synthetics.CreateCanaryInput) { in.Name = aws.String("API") }},
		{"unknown role", func(in *synthetics.CreateCanaryInput) {
			in.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:role/ghost")
		}},
		{"bad schedule", func(in *synthetics.CreateCanaryInput) {
			in.Schedule = &types.CanaryScheduleInput{Expression: aws.String("every 5 minutes")}
		}},
		{"not a zip", func(in *synthetics.CreateCanaryInput) { in.Code.ZipFile = []byte("text") }},
		{"bad handler", func(in *synthetics.CreateCanaryInput) { in.Code.Handler = aws.String("handler") }},
		{"bad memory", func(in *synthetics.CreateCanaryInput) {
			in.RunConfig = &types.CanaryRunConfigInput{MemoryInMB: aws.Int32(1000)}
		}},
		{"bad runtime", func(in *synthetics.CreateCanaryInput) { in.RuntimeVersion = aws.String("nodejs20.x") }},
		{"no artifact bucket", func(in *synthetics.CreateCanaryInput) { in.ArtifactS3Location = aws.String("s3://") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := createInput(role, zip)
			tt.mod(in)
			_, err := c.CreateCanary(ctx, in)
			wantCode[*types.ValidationException](t, err, "ValidationException")
		})
	}
	_, err := c.GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("ghost")})
	wantAPICode(t, err, "ResourceNotFoundException")
	_, err = c.TagResource(ctx, &synthetics.TagResourceInput{ResourceArn: aws.String("not-an-arn"), Tags: map[string]string{"a": "b"}})
	wantCode[*types.BadRequestException](t, err, "BadRequestException")
	_, err = c.StartCanary(ctx, &synthetics.StartCanaryInput{Name: aws.String("ghost")})
	wantCode[*types.ResourceNotFoundException](t, err, "ResourceNotFoundException")
	_, err = c.ListGroups(ctx, &synthetics.ListGroupsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "NotImplemented" {
		t.Errorf("ListGroups = %v, want NotImplemented", err)
	}
}
