package iam_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

const (
	trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	readS3   = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`
	writeS3  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}}`
)

func newClient(t *testing.T) *iam.Client {
	t.Helper()
	sb := sandboxtest.Start(t)
	return iam.NewFromConfig(sb.AWSConfig())
}

// wantCode checks the AWS error code of err.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want error code %s, got %s (%v)", code, ae.ErrorCode(), err)
	}
}

// must returns v, failing the test at once when err is set:
// must(c.GetRole(ctx, in))(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func createRole(t *testing.T, c *iam.Client, name string) *types.Role {
	t.Helper()
	out := must(c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	return out.Role
}

func TestRoleLifecycle(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	boundary := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"), PolicyDocument: aws.String(readS3)}))(t)

	created := must(c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("deploy"),
		Path:                     aws.String("/ci/"),
		Description:              aws.String("deploys things"),
		MaxSessionDuration:       aws.Int32(7200),
		AssumeRolePolicyDocument: aws.String(trustEC2),
		PermissionsBoundary:      boundary.Policy.Arn,
		Tags:                     []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}},
	}))(t).Role
	if got, want := aws.ToString(created.Arn), "arn:aws:iam::123456789012:role/ci/deploy"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	id := aws.ToString(created.RoleId)
	if !strings.HasPrefix(id, "AROA") || len(id) != 21 || strings.ToUpper(id) != id {
		t.Errorf("RoleId = %q, want AROA + 17 upper-case characters", id)
	}

	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("DEPLOY")}))(t).Role // names ignore case
	raw := aws.ToString(got.AssumeRolePolicyDocument)
	if !strings.HasPrefix(raw, "%7B%22Version%22") {
		t.Errorf("AssumeRolePolicyDocument is not URL-encoded: %s", raw)
	}
	if dec, _ := url.QueryUnescape(raw); dec != trustEC2 {
		t.Errorf("decoded trust policy = %s, want %s", dec, trustEC2)
	}
	if aws.ToString(got.RoleName) != "deploy" || aws.ToString(got.Path) != "/ci/" || aws.ToString(got.Description) != "deploys things" ||
		aws.ToInt32(got.MaxSessionDuration) != 7200 || got.CreateDate == nil || got.RoleLastUsed == nil || aws.ToString(got.RoleId) != id {
		t.Errorf("GetRole = %+v", got)
	}
	if got.PermissionsBoundary == nil || aws.ToString(got.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(boundary.Policy.Arn) ||
		got.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("PermissionsBoundary = %+v", got.PermissionsBoundary)
	}
	if len(got.Tags) != 1 || aws.ToString(got.Tags[0].Key) != "team" {
		t.Errorf("Tags = %+v", got.Tags)
	}

	must(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("deploy"), Description: aws.String("new"), MaxSessionDuration: aws.Int32(3600)}))(t)
	newTrust := strings.Replace(trustEC2, "ec2.amazonaws.com", "lambda.amazonaws.com", 1)
	must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(newTrust)}))(t)
	desc := must(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("deploy"), Description: aws.String("newer")}))(t).Role
	if aws.ToString(desc.Description) != "newer" {
		t.Errorf("UpdateRoleDescription: %+v", desc)
	}
	got = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")}))(t).Role
	if dec, _ := url.QueryUnescape(aws.ToString(got.AssumeRolePolicyDocument)); dec != newTrust || aws.ToInt32(got.MaxSessionDuration) != 3600 {
		t.Errorf("after updates: %+v", got)
	}

	// Tags.
	must(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("deploy"), Tags: []types.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("platform")}, {Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	tags := must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("deploy")}))(t).Tags
	if len(tags) != 2 || aws.ToString(tags[0].Key) != "TEAM" || aws.ToString(tags[0].Value) != "platform" {
		t.Errorf("tags after TagRole = %+v", tags)
	}
	must(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("deploy"), TagKeys: []string{"team"}}))(t)
	tags = must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("deploy")}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "env" {
		t.Errorf("tags after UntagRole = %+v", tags)
	}

	// Boundary.
	must(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("deploy")}))(t)
	if r := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")}))(t).Role; r.PermissionsBoundary != nil {
		t.Errorf("boundary still set: %+v", r.PermissionsBoundary)
	}
	must(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("deploy"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	if p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t).Policy; aws.ToInt32(p.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("PermissionsBoundaryUsageCount = %d", aws.ToInt32(p.PermissionsBoundaryUsageCount))
	}

	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")}))(t)
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetRole after delete: %v, want NoSuchEntityException", err)
	}
	if p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t).Policy; aws.ToInt32(p.PermissionsBoundaryUsageCount) != 0 {
		t.Errorf("PermissionsBoundaryUsageCount after delete = %d", aws.ToInt32(p.PermissionsBoundaryUsageCount))
	}
}

func TestListRolesPagination(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	for _, n := range []string{"a1", "a2", "a3", "a4", "a5"} {
		path := "/x/"
		if n == "a5" {
			path = "/y/"
		}
		must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	}
	var names []string
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{PathPrefix: aws.String("/x/"), MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		pages++
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
			if r.Tags != nil || r.RoleLastUsed != nil {
				t.Errorf("ListRoles returned tags or last use for %s", aws.ToString(r.RoleName))
			}
		}
	}
	if strings.Join(names, ",") != "a1,a2,a3,a4" || pages != 2 {
		t.Errorf("ListRoles = %v in %d pages", names, pages)
	}
	_, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(0)})
	wantCode(t, err, "ValidationError")
}

func TestRoleErrors(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	createRole(t, c, "exists")
	long := strings.Repeat("r", 65)
	tests := []struct {
		name string
		in   iam.CreateRoleInput
		code string
	}{
		{"duplicate ignoring case", iam.CreateRoleInput{RoleName: aws.String("EXISTS"), AssumeRolePolicyDocument: aws.String(trustEC2)}, "EntityAlreadyExists"},
		{"name too long", iam.CreateRoleInput{RoleName: aws.String(long), AssumeRolePolicyDocument: aws.String(trustEC2)}, "ValidationError"},
		{"bad name characters", iam.CreateRoleInput{RoleName: aws.String("a/b"), AssumeRolePolicyDocument: aws.String(trustEC2)}, "ValidationError"},
		{"bad path", iam.CreateRoleInput{RoleName: aws.String("p"), Path: aws.String("nope"), AssumeRolePolicyDocument: aws.String(trustEC2)}, "ValidationError"},
		{"session too short", iam.CreateRoleInput{RoleName: aws.String("s"), MaxSessionDuration: aws.Int32(60), AssumeRolePolicyDocument: aws.String(trustEC2)}, "ValidationError"},
		{"invalid json", iam.CreateRoleInput{RoleName: aws.String("j"), AssumeRolePolicyDocument: aws.String(`{"Version":`)}, "MalformedPolicyDocument"},
		{"resource in trust policy", iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`)}, "MalformedPolicyDocument"},
		{"no principal", iam.CreateRoleInput{RoleName: aws.String("np"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)}, "MalformedPolicyDocument"},
		{"non-sts action", iam.CreateRoleInput{RoleName: aws.String("na"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`)}, "MalformedPolicyDocument"},
		{"bad version", iam.CreateRoleInput{RoleName: aws.String("bv"), AssumeRolePolicyDocument: aws.String(`{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)}, "MalformedPolicyDocument"},
		{"unknown boundary", iam.CreateRoleInput{RoleName: aws.String("ub"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")}, "NoSuchEntity"},
		{"trust policy over quota", iam.CreateRoleInput{RoleName: aws.String("big"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + strings.Repeat("x", 2100) + `"}}}]}`)}, "LimitExceeded"},
		{"principal role does not exist", iam.CreateRoleInput{RoleName: aws.String("ip"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/exists","arn:aws:iam::123456789012:role/ghost"]},"Action":"sts:AssumeRole"}]}`)}, "MalformedPolicyDocument"},
		{"description outside the character set", iam.CreateRoleInput{RoleName: aws.String("d"), Description: aws.String("rocket \U0001F680"), AssumeRolePolicyDocument: aws.String(trustEC2)}, "ValidationError"},
		{"duplicate tag keys", iam.CreateRoleInput{RoleName: aws.String("dt"), AssumeRolePolicyDocument: aws.String(trustEC2), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}}, "InvalidInput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateRole(ctx, &tt.in)
			wantCode(t, err, tt.code)
		})
	}

	// Principals of this account that exist, the account root and other
	// accounts are accepted.
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("trusting"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/exists","arn:aws:iam::123456789012:root","arn:aws:iam::210987654321:role/elsewhere"]},"Action":"sts:AssumeRole"}]}`)}))(t)

	var exists *types.EntityAlreadyExistsException
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exists"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	if !errors.As(err, &exists) {
		t.Errorf("duplicate: %v, want EntityAlreadyExistsException", err)
	}
	var malformed *types.MalformedPolicyDocumentException
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("exists"), PolicyDocument: aws.String("not json")})
	if !errors.As(err, &malformed) {
		t.Errorf("UpdateAssumeRolePolicy bad json: %v, want MalformedPolicyDocumentException", err)
	}
	var nse *types.NoSuchEntityException
	for name, call := range map[string]func() error{
		"GetRole": func() error { _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")}); return err },
		"DeleteRole": func() error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ghost")})
			return err
		},
		"UpdateRole": func() error {
			_, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("ghost")})
			return err
		},
		"ListRoleTags": func() error {
			_, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("ghost")})
			return err
		},
		"ListRolePolicies": func() error {
			_, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ghost")})
			return err
		},
		"ListAttached": func() error {
			_, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ghost")})
			return err
		},
	} {
		if err := call(); !errors.As(err, &nse) {
			t.Errorf("%s of a missing role: %v, want NoSuchEntityException", name, err)
		}
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("")})
	wantCode(t, err, "ValidationError")
}

func TestDeleteRoleConflicts(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	createRole(t, c, "busy")
	var conflict *types.DeleteConflictException

	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("busy"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("busy")}); !errors.As(err, &conflict) {
		t.Fatalf("delete with attached policy: %v, want DeleteConflictException", err)
	}
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("busy"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)

	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("busy"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readS3)}))(t)
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("busy")}); !errors.As(err, &conflict) {
		t.Fatalf("delete with inline policy: %v, want DeleteConflictException", err)
	}
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("busy"), PolicyName: aws.String("inline")}))(t)

	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: aws.String("busy")}))(t)
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("busy")}); !errors.As(err, &conflict) {
		t.Fatalf("delete in instance profile: %v, want DeleteConflictException", err)
	}
	must(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: aws.String("busy")}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("busy")}))(t)
}

func TestInlineRolePolicies(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	createRole(t, c, "app")
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("write"), PolicyDocument: aws.String(writeS3)}))(t)
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read"), PolicyDocument: aws.String(readS3)}))(t)

	got := must(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")}))(t)
	if dec, err := url.QueryUnescape(aws.ToString(got.PolicyDocument)); err != nil || dec != readS3 {
		t.Errorf("GetRolePolicy document = %q (%v)", aws.ToString(got.PolicyDocument), err)
	}
	if strings.Contains(aws.ToString(got.PolicyDocument), "{") {
		t.Errorf("GetRolePolicy document is not URL-encoded")
	}
	names := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app")}))(t).PolicyNames
	if strings.Join(names, ",") != "read,write" {
		t.Errorf("ListRolePolicies = %v", names)
	}
	page := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app"), MaxItems: aws.Int32(1)}))(t)
	if !page.IsTruncated || len(page.PolicyNames) != 1 || page.Marker == nil {
		t.Errorf("first page = %+v", page)
	}
	page = must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app"), MaxItems: aws.Int32(1), Marker: page.Marker}))(t)
	if page.IsTruncated || len(page.PolicyNames) != 1 || page.PolicyNames[0] != "write" {
		t.Errorf("second page = %+v", page)
	}

	tests := []struct {
		name string
		in   iam.PutRolePolicyInput
		code string
	}{
		{"principal in identity policy", iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)}, "MalformedPolicyDocument"},
		{"no resource", iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)}, "MalformedPolicyDocument"},
		{"action without vendor", iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`)}, "MalformedPolicyDocument"},
		{"bad effect", iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`)}, "MalformedPolicyDocument"},
		{"resource not an arn", iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}`)}, "MalformedPolicyDocument"},
		{"missing role", iam.PutRolePolicyInput{RoleName: aws.String("ghost"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readS3)}, "NoSuchEntity"},
		{"aggregate size", iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("huge"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + strings.Repeat("b", 10300) + `"}]}`)}, "LimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutRolePolicy(ctx, &tt.in)
			wantCode(t, err, tt.code)
		})
	}
	var nse *types.NoSuchEntityException
	if _, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("nope")}); !errors.As(err, &nse) {
		t.Errorf("GetRolePolicy missing: %v", err)
	}
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("nope")}); !errors.As(err, &nse) {
		t.Errorf("DeleteRolePolicy missing: %v", err)
	}
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")}))(t)
	if names := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app")}))(t).PolicyNames; len(names) != 1 {
		t.Errorf("after delete: %v", names)
	}
}

func TestManagedPolicies(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("reader"), Path: aws.String("/app/"), Description: aws.String("reads"),
		PolicyDocument: aws.String(readS3), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("sre")}}}))(t).Policy
	arn := aws.ToString(p.Arn)
	if arn != "arn:aws:iam::123456789012:policy/app/reader" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || len(aws.ToString(p.PolicyId)) != 21 ||
		aws.ToString(p.DefaultVersionId) != "v1" || !p.IsAttachable {
		t.Errorf("CreatePolicy = %+v", p)
	}
	if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("READER"), PolicyDocument: aws.String(readS3)}); err == nil {
		t.Error("duplicate policy name accepted")
	} else {
		var e *types.EntityAlreadyExistsException
		if !errors.As(err, &e) {
			t.Errorf("duplicate: %v", err)
		}
	}
	got := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy
	if aws.ToString(got.Description) != "reads" || len(got.Tags) != 1 {
		t.Errorf("GetPolicy = %+v", got)
	}
	v := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}))(t).PolicyVersion
	if dec, _ := url.QueryUnescape(aws.ToString(v.Document)); dec != readS3 || !v.IsDefaultVersion {
		t.Errorf("GetPolicyVersion = %+v", v)
	}

	// Versions: up to five.
	for i := 2; i <= 5; i++ {
		out := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(writeS3), SetAsDefault: i == 3}))(t)
		if aws.ToString(out.PolicyVersion.VersionId) != "v"+string(rune('0'+i)) {
			t.Errorf("version %d id = %s", i, aws.ToString(out.PolicyVersion.VersionId))
		}
	}
	_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(writeS3)})
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("sixth version: %v, want LimitExceededException", err)
	}
	vs := must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)}))(t).Versions
	if len(vs) != 5 || aws.ToString(vs[0].VersionId) != "v5" || aws.ToString(vs[2].VersionId) != "v3" || !vs[2].IsDefaultVersion {
		t.Errorf("ListPolicyVersions = %+v", vs)
	}
	var conflict *types.DeleteConflictException
	if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")}); !errors.As(err, &conflict) {
		t.Errorf("delete default version: %v, want DeleteConflictException", err)
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}); !errors.As(err, &conflict) {
		t.Errorf("delete policy with versions: %v, want DeleteConflictException", err)
	}
	must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}))(t)
	if got := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy; aws.ToString(got.DefaultVersionId) != "v5" {
		t.Errorf("DefaultVersionId = %s", aws.ToString(got.DefaultVersionId))
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("1")})
	wantCode(t, err, "ValidationError")
	for _, id := range []string{"v1", "v2", "v3", "v4"} {
		must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(id)}))(t)
	}

	// Tags.
	must(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
	must(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(arn), TagKeys: []string{"owner"}}))(t)
	tags := must(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "env" {
		t.Errorf("ListPolicyTags = %+v", tags)
	}

	// Attachments.
	createRole(t, c, "worker")
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String(arn)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String(arn)}))(t) // idempotent
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")}))(t)
	att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("worker")}))(t).AttachedPolicies
	if len(att) != 2 || aws.ToString(att[0].PolicyName) != "reader" || aws.ToString(att[1].PolicyName) != "AmazonECSTaskExecutionRolePolicy" {
		t.Errorf("ListAttachedRolePolicies = %+v", att)
	}
	att = must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("worker"), PathPrefix: aws.String("/service-role/")}))(t).AttachedPolicies
	if len(att) != 1 {
		t.Errorf("ListAttachedRolePolicies /service-role/ = %+v", att)
	}
	if got := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy; aws.ToInt32(got.AttachmentCount) != 1 {
		t.Errorf("AttachmentCount = %d", aws.ToInt32(got.AttachmentCount))
	}
	ents := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "worker" || len(ents.PolicyUsers) != 0 {
		t.Errorf("ListEntitiesForPolicy = %+v", ents)
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}); !errors.As(err, &conflict) {
		t.Errorf("delete attached policy: %v, want DeleteConflictException", err)
	}

	// ListPolicies scopes.
	local := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t).Policies
	if len(local) != 1 || aws.ToString(local[0].Arn) != arn || local[0].Tags != nil {
		t.Errorf("ListPolicies Local = %+v", local)
	}
	attached := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true}))(t).Policies
	if len(attached) != 1 || aws.ToString(attached[0].PolicyName) != "AmazonECSTaskExecutionRolePolicy" || aws.ToString(attached[0].Path) != "/service-role/" {
		t.Errorf("ListPolicies AWS attached = %+v", attached)
	}
	total := 0
	for pg := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{MaxItems: aws.Int32(7)}); pg.HasMorePages(); {
		total += len(must(pg.NextPage(ctx))(t).Policies)
	}
	if total < 20 {
		t.Errorf("ListPolicies All paged %d policies, want the catalog and the local one", total)
	}

	// Attachment errors.
	errTests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown aws policy", func() error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
			return err
		}, "NoSuchEntity"},
		{"service-linked role policy", func() error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String("arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy")})
			return err
		}, "PolicyNotAttachable"},
		{"missing role", func() error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ghost"), PolicyArn: aws.String(arn)})
			return err
		}, "NoSuchEntity"},
		{"detach not attached", func() error {
			_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}, "NoSuchEntity"},
		{"get missing policy", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/ghost")})
			return err
		}, "NoSuchEntity"},
		{"policy at the wrong path", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/reader")})
			return err
		}, "NoSuchEntity"},
		{"not an arn", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("this-is-not-an-arn-at-all")})
			return err
		}, "InvalidInput"},
		{"delete aws managed", func() error {
			_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		}, "UnmodifiableEntity"},
		{"malformed policy", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`[]`)})
			return err
		}, "MalformedPolicyDocument"},
		{"policy over quota", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("big"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6200) + `"}]}`)})
			return err
		}, "LimitExceeded"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}

	// Ten attached policies per role.
	for i := 0; i < 8; i++ {
		must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String(catalogARNs[i])}))(t)
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String(catalogARNs[8])})
	wantCode(t, err, "LimitExceeded")

	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("worker"), PolicyArn: aws.String(arn)}))(t)
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetPolicy after delete: %v", err)
	}
}

var catalogARNs = []string{
	"arn:aws:iam::aws:policy/AdministratorAccess",
	"arn:aws:iam::aws:policy/ReadOnlyAccess",
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
	"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
	"arn:aws:iam::aws:policy/AmazonS3FullAccess",
	"arn:aws:iam::aws:policy/IAMFullAccess",
	"arn:aws:iam::aws:policy/PowerUserAccess",
	"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	"arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
}

func TestAWSManagedPolicyCatalog(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	for _, arn := range catalogARNs {
		t.Run(arn, func(t *testing.T) {
			p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy
			if aws.ToString(p.Arn) != arn || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || aws.ToString(p.DefaultVersionId) != "v1" {
				t.Errorf("GetPolicy = %+v", p)
			}
			v := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.DefaultVersionId}))(t).PolicyVersion
			doc, err := url.QueryUnescape(aws.ToString(v.Document))
			if err != nil || !strings.Contains(doc, `"Version": "2012-10-17"`) {
				t.Errorf("document = %q (%v)", doc, err)
			}
		})
	}
	p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t).Policy
	again := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t).Policy
	if aws.ToString(p.PolicyId) != aws.ToString(again.PolicyId) {
		t.Error("AWS-managed policy ids are not stable")
	}
	_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy")}) // wrong path
	wantCode(t, err, "NoSuchEntity")
}

func TestOpenIDConnectProviders(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	const tp1, tp2 = "6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"
	out := must(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{tp1}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("github")}},
	}))(t)
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	if arn != "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" || len(out.Tags) != 1 {
		t.Errorf("CreateOpenIDConnectProvider = %s %+v", arn, out.Tags)
	}
	_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"x"}})
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("duplicate provider: %v, want EntityAlreadyExistsException", err)
	}
	got := must(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	if aws.ToString(got.Url) != "token.actions.githubusercontent.com" || strings.Join(got.ClientIDList, ",") != "sts.amazonaws.com" ||
		strings.Join(got.ThumbprintList, ",") != tp1 || got.CreateDate == nil || len(got.Tags) != 1 {
		t.Errorf("GetOpenIDConnectProvider = %+v", got)
	}
	list := must(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}))(t).OpenIDConnectProviderList
	if len(list) != 1 || aws.ToString(list[0].Arn) != arn {
		t.Errorf("ListOpenIDConnectProviders = %+v", list)
	}
	must(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{tp1, tp2}}))(t)
	must(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("extra")}))(t)
	must(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("extra")}))(t)
	must(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("sts.amazonaws.com")}))(t)
	must(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("absent")}))(t)
	must(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("ci")}}}))(t)
	must(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"Name"}}))(t)
	got = must(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	if strings.Join(got.ClientIDList, ",") != "extra" || len(got.ThumbprintList) != 2 {
		t.Errorf("after updates = %+v", got)
	}
	tags := must(c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "env" {
		t.Errorf("ListOpenIDConnectProviderTags = %+v", tags)
	}

	errTests := []struct {
		name string
		call func() error
		code string
	}{
		{"http url", func() error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://insecure.example.com")})
			return err
		}, "InvalidInput"},
		{"short thumbprint", func() error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ThumbprintList: []string{"abc"}})
			return err
		}, "ValidationError"},
		{"six thumbprints", func() error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{tp1, tp2, tp1[:39] + "0", tp1[:39] + "2", tp1[:39] + "3", tp1[:39] + "4"}})
			return err
		}, "LimitExceeded"},
		{"get missing", func() error {
			_, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::123456789012:oidc-provider/nowhere.example.com")})
			return err
		}, "NoSuchEntity"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}

	must(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("get after delete: %v, want NoSuchEntityException", err)
	}
	// Deleting again is idempotent, as AWS documents.
	must(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
}

func TestInstanceProfiles(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	createRole(t, c, "node")
	createRole(t, c, "other")
	ip := must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("node"), Path: aws.String("/nodes/"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t).InstanceProfile
	if id := aws.ToString(ip.InstanceProfileId); !strings.HasPrefix(id, "AIPA") || len(id) != 21 ||
		aws.ToString(ip.Arn) != "arn:aws:iam::123456789012:instance-profile/nodes/node" || ip.Roles == nil {
		t.Errorf("CreateInstanceProfile = %+v", ip)
	}
	_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("NODE")})
	wantCode(t, err, "EntityAlreadyExists")

	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("node"), RoleName: aws.String("node")}))(t)
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("node"), RoleName: aws.String("other")})
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("second role: %v, want LimitExceededException", err)
	}
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("node"), RoleName: aws.String("ghost")})
	wantCode(t, err, "NoSuchEntity")

	got := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("node")}))(t).InstanceProfile
	if len(got.Roles) != 1 || aws.ToString(got.Roles[0].RoleName) != "node" || len(got.Tags) != 1 {
		t.Errorf("GetInstanceProfile = %+v", got)
	}
	if dec, _ := url.QueryUnescape(aws.ToString(got.Roles[0].AssumeRolePolicyDocument)); dec != trustEC2 {
		t.Errorf("role trust policy in profile = %q", dec)
	}
	for_ := must(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("node")}))(t).InstanceProfiles
	if len(for_) != 1 || aws.ToString(for_[0].InstanceProfileName) != "node" {
		t.Errorf("ListInstanceProfilesForRole = %+v", for_)
	}
	all := must(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/nodes/")}))(t).InstanceProfiles
	if len(all) != 1 {
		t.Errorf("ListInstanceProfiles = %+v", all)
	}
	var conflict *types.DeleteConflictException
	if _, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("node")}); !errors.As(err, &conflict) {
		t.Errorf("delete with role: %v, want DeleteConflictException", err)
	}
	must(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("node"), Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}}))(t)
	must(c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("node"), TagKeys: []string{"k"}}))(t)
	tags := must(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("node")}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "x" {
		t.Errorf("ListInstanceProfileTags = %+v", tags)
	}
	must(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("node"), RoleName: aws.String("node")}))(t)
	_, err = c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("node"), RoleName: aws.String("node")})
	wantCode(t, err, "NoSuchEntity")
	must(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("node")}))(t)
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("node")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("get after delete: %v", err)
	}
}

func TestServiceLinkedRoles(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	tests := []struct {
		service, suffix, name, path string
	}{
		{"ecs.amazonaws.com", "", "AWSServiceRoleForECS", "/aws-service-role/ecs.amazonaws.com/"},
		{"elasticloadbalancing.amazonaws.com", "", "AWSServiceRoleForElasticLoadBalancing", "/aws-service-role/elasticloadbalancing.amazonaws.com/"},
		{"autoscaling.amazonaws.com", "", "AWSServiceRoleForAutoScaling", "/aws-service-role/autoscaling.amazonaws.com/"},
		{"autoscaling.amazonaws.com", "web", "AWSServiceRoleForAutoScaling_web", "/aws-service-role/autoscaling.amazonaws.com/"},
		{"ecs.application-autoscaling.amazonaws.com", "", "AWSServiceRoleForApplicationAutoScaling_ECSService", "/aws-service-role/ecs.application-autoscaling.amazonaws.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(tt.service)}
			if tt.suffix != "" {
				in.CustomSuffix = aws.String(tt.suffix)
			}
			r := must(c.CreateServiceLinkedRole(ctx, in))(t).Role
			if aws.ToString(r.RoleName) != tt.name || aws.ToString(r.Path) != tt.path {
				t.Errorf("role = %s at %s", aws.ToString(r.RoleName), aws.ToString(r.Path))
			}
			att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName}))(t).AttachedPolicies
			if len(att) != 1 || !strings.HasPrefix(aws.ToString(att[0].PolicyArn), "arn:aws:iam::aws:policy/aws-service-role/") {
				t.Errorf("attached = %+v", att)
			}
			_, err := c.CreateServiceLinkedRole(ctx, in)
			wantCode(t, err, "InvalidInput")
		})
	}
	_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	var unmod *types.UnmodifiableEntityException
	if !errors.As(err, &unmod) {
		t.Errorf("DeleteRole of a service-linked role: %v, want UnmodifiableEntityException", err)
	}
	_, err = c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("nothing.amazonaws.com")})
	wantCode(t, err, "InvalidInput")
	_, err = c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com"), CustomSuffix: aws.String("x")})
	wantCode(t, err, "InvalidInput")

	task := must(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForECS")}))(t).DeletionTaskId
	st := must(c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: task}))(t)
	if st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Errorf("deletion status = %s", st.Status)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	wantCode(t, err, "NoSuchEntity")
	if p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy")}))(t).Policy; aws.ToInt32(p.AttachmentCount) != 0 {
		t.Errorf("AttachmentCount after delete = %d", aws.ToInt32(p.AttachmentCount))
	}
	createRole(t, c, "plain")
	_, err = c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")})
	wantCode(t, err, "InvalidInput")
}

func TestUsersAndAccessKeys(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ctx := context.Background()
	u := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci"), Path: aws.String("/bots/"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}))(t).User
	if id := aws.ToString(u.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 || aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/bots/ci" {
		t.Errorf("CreateUser = %+v", u)
	}
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("CI")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "ValidationError")

	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")}))(t).AccessKey
	if id := aws.ToString(k.AccessKeyId); !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(aws.ToString(k.SecretAccessKey)) != 40 || k.Status != types.StatusTypeActive {
		t.Errorf("CreateAccessKey = %+v", k)
	}
	must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")}))(t)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")})
	wantCode(t, err, "LimitExceeded")
	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ci"), AccessKeyId: k.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	keys := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ci")}))(t).AccessKeyMetadata
	if len(keys) != 2 {
		t.Errorf("ListAccessKeys = %+v", keys)
	}

	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readS3)}))(t)
	if d := must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("p")}))(t).PolicyDocument; !strings.HasPrefix(aws.ToString(d), "%7B") {
		t.Errorf("GetUserPolicy document = %s", aws.ToString(d))
	}
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ci"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	ents := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	if len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "ci" {
		t.Errorf("ListEntitiesForPolicy = %+v", ents)
	}

	must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ci"), NewUserName: aws.String("robot")}))(t)
	if att := must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("robot")}))(t).AttachedPolicies; len(att) != 1 {
		t.Errorf("attachments after rename = %+v", att)
	}
	if keys := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("robot")}))(t).AccessKeyMetadata; len(keys) != 2 {
		t.Errorf("keys after rename = %+v", keys)
	}

	var conflict *types.DeleteConflictException
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("robot")}); !errors.As(err, &conflict) {
		t.Errorf("delete user with keys: %v, want DeleteConflictException", err)
	}
	for _, k := range must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("robot")}))(t).AccessKeyMetadata {
		must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("robot"), AccessKeyId: k.AccessKeyId}))(t)
	}
	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("robot"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("robot"), PolicyName: aws.String("p")}))(t)
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("robot"), Tags: []types.Tag{{Key: aws.String("c"), Value: aws.String("d")}}}))(t)
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("robot"), TagKeys: []string{"a"}}))(t)
	if tags := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("robot")}))(t).Tags; len(tags) != 1 {
		t.Errorf("ListUserTags = %+v", tags)
	}
	if users := must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t).Users; len(users) != 1 {
		t.Errorf("ListUsers = %+v", users)
	}
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("robot")}))(t)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robot")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetUser after delete: %v", err)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	var roleID string
	func() {
		sb := sandboxtest.StartIn(t, dir)
		c := iam.NewFromConfig(sb.AWSConfig())
		roleID = aws.ToString(createRole(t, c, "durable").RoleId)
		must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("durable"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
		closeCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := sb.Close(closeCtx); err != nil {
			t.Fatal(err)
		}
	}()
	sb := sandboxtest.StartIn(t, dir)
	c := iam.NewFromConfig(sb.AWSConfig())
	r := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("durable")}))(t).Role
	if aws.ToString(r.RoleId) != roleID {
		t.Errorf("RoleId after restart = %s, want %s", aws.ToString(r.RoleId), roleID)
	}
	if att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("durable")}))(t).AttachedPolicies; len(att) != 1 {
		t.Errorf("attachments after restart = %+v", att)
	}
}

func TestUnknownActionIsNotImplemented(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	_, err := c.CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String("g")})
	wantCode(t, err, "InvalidAction")
}
