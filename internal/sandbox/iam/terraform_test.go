package iam_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// TestTerraformIAM applies testdata/terraform (OIDC provider, roles with
// inline, customer-managed and AWS-managed policies, an instance profile,
// policy documents and the caller identity) with the real AWS provider,
// then checks that a second plan has no changes and that destroy leaves
// nothing behind.
func TestTerraformIAM(t *testing.T) {
	bin, env := sandboxtest.Terraform(t)
	sb := sandboxtest.Start(t)
	env = append(env, sb.Env()...)
	if p := os.Getenv("VIGIL_TEST_TF_LOG"); p != "" {
		env = append(env, "TF_LOG=debug", "TF_LOG_PATH="+p)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "terraform", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tf := func(wantExit int, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("terraform %s: %v", args[0], err)
		}
		if code != wantExit {
			t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), code, wantExit, out.String())
		}
		return out.String()
	}

	tf(0, "init", "-input=false", "-no-color")
	tf(0, "apply", "-auto-approve", "-input=false", "-no-color")
	tf(0, "plan", "-detailed-exitcode", "-input=false", "-no-color")

	// Change what can change in place: descriptions, tags, documents,
	// client ids and thumbprints.
	changed := string(src)
	for _, r := range [][2]string{
		{`"Assumed by GitHub Actions to deploy vigil stacks"`, `"Assumed by GitHub Actions to deploy vigil stacks (v2)"`},
		{`max_session_duration = 7200`, `max_session_duration = 3600`},
		{`{ Role = "deploy" }`, `{ Role = "deploy", Stage = "two" }`},
		{`"repo:vigil-sre/vigil:environment:*"`, `"repo:vigil-sre/vigil:environment:prod"`},
		{`["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinition"]`, `["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]`},
		{`actions   = ["s3:ListBucket"]`, `actions   = ["s3:ListBucket", "s3:GetBucketVersioning"]`},
		{`client_id_list  = ["sts.amazonaws.com"]`, `client_id_list  = ["sts.amazonaws.com", "vigil"]`},
		{`thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]`, `thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]`},
		{"role = aws_iam_role.node.name\n  tags = local.tags", "role = aws_iam_role.node.name\n  tags = merge(local.tags, { Stage = \"two\" })"},
	} {
		if !strings.Contains(changed, r[0]) {
			t.Fatalf("testdata/terraform/main.tf no longer contains %q", r[0])
		}
		changed = strings.Replace(changed, r[0], r[1], 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	tf(2, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	tf(0, "apply", "-auto-approve", "-input=false", "-no-color")
	tf(0, "plan", "-detailed-exitcode", "-input=false", "-no-color")

	if got := strings.TrimSpace(tf(0, "output", "-raw", "account_id")); got != sb.AccountID() {
		t.Errorf("account_id output = %q, want %q", got, sb.AccountID())
	}

	c := iam.NewFromConfig(sb.AWSConfig())
	role := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("vigil-deploy")}))(t).Role
	if aws.ToString(role.Path) != "/ci/" || aws.ToInt32(role.MaxSessionDuration) != 3600 || len(role.Tags) != 4 {
		t.Errorf("deploy role = %+v", role)
	}
	att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("vigil-deploy")}))(t).AttachedPolicies
	if len(att) != 2 {
		t.Errorf("deploy role attachments = %+v", att)
	}
	inline := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("vigil-deploy")}))(t).PolicyNames
	if strings.Join(inline, ",") != "terraform-state" {
		t.Errorf("deploy role inline policies = %v", inline)
	}
	pol := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + sb.AccountID() + ":policy/ci/vigil-deploy")}))(t).Policy
	if aws.ToString(pol.DefaultVersionId) != "v2" || aws.ToInt32(pol.AttachmentCount) != 1 {
		t.Errorf("deploy policy after update = %+v", pol)
	}
	oidc := must(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::" + sb.AccountID() + ":oidc-provider/token.actions.githubusercontent.com")}))(t)
	if len(oidc.ClientIDList) != 2 || len(oidc.ThumbprintList) != 2 {
		t.Errorf("OIDC provider after update = %+v", oidc)
	}
	ip := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("vigil-node")}))(t).InstanceProfile
	if len(ip.Roles) != 1 || aws.ToString(ip.Roles[0].RoleName) != "vigil-node" {
		t.Errorf("instance profile = %+v", ip)
	}

	tf(0, "destroy", "-auto-approve", "-input=false", "-no-color")
	if roles := must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t).Roles; len(roles) != 0 {
		t.Errorf("roles left after destroy: %d", len(roles))
	}
	if ps := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t).Policies; len(ps) != 0 {
		t.Errorf("policies left after destroy: %d", len(ps))
	}
	if ps := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true}))(t).Policies; len(ps) != 0 {
		t.Errorf("attached policies left after destroy: %d", len(ps))
	}
	if ps := must(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}))(t).OpenIDConnectProviderList; len(ps) != 0 {
		t.Errorf("OIDC providers left after destroy: %d", len(ps))
	}
	if ps := must(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{}))(t).InstanceProfiles; len(ps) != 0 {
		t.Errorf("instance profiles left after destroy: %d", len(ps))
	}
}
