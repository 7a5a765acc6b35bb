package lambda_test

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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/synthetics"
	synthtypes "github.com/aws/aws-sdk-go-v2/service/synthetics/types"

	"github.com/vigil-sre/vigil/internal/sandbox/events"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TestTerraformRemediation applies testdata/terraform (IAM roles, an SNS
// topic, a Lambda function with alias, permission and async invoke config,
// two EventBridge rules, one with two targets, and a started Synthetics
// canary with its S3 bucket) with the real AWS provider; checks that a
// second plan has no changes; changes the function's zip and checks that
// the plan updates its code, the apply stores the new CodeSha256, and the
// plan after it is clean again; destroys and checks nothing is left.
func TestTerraformRemediation(t *testing.T) {
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
	fnZip, canaryZip := filepath.Join(dir, "remediator.zip"), filepath.Join(dir, "canary.zip")
	writeZip := func(path, content string) []byte {
		z := makeZip(t, content)
		if err := os.WriteFile(path, z, 0o644); err != nil {
			t.Fatal(err)
		}
		return z
	}
	writeZip(fnZip, "#!/bin/sh\necho remediate v1\n")
	writeZip(canaryZip, "exports.handler = async () => 'ok';\n")
	vars := []string{"-var", "lambda_zip_path=" + fnZip, "-var", "canary_zip_path=" + canaryZip}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
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
	run := func(wantExit int, cmd string, extra ...string) string {
		t.Helper()
		args := append([]string{cmd, "-input=false", "-no-color"}, extra...)
		if cmd != "init" && cmd != "output" {
			args = append(args, vars...)
		}
		return tf(wantExit, args...)
	}

	run(0, "init")
	run(0, "apply", "-auto-approve")
	run(0, "plan", "-detailed-exitcode")

	cfg := sb.AWSConfig()
	lc := awslambda.NewFromConfig(cfg)
	fn, err := lc.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("vigil-remediator")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(fn.Configuration.CodeSha256) != sha(mustRead(t, fnZip)) || fn.Concurrency == nil ||
		fn.Configuration.Environment.Variables["CLUSTER"] != "vigil-dev" {
		t.Errorf("function after apply = %+v", fn.Configuration)
	}
	canary, err := synthetics.NewFromConfig(cfg).GetCanary(ctx, &synthetics.GetCanaryInput{Name: aws.String("vigil-api-health")})
	if err != nil || canary.Canary.Status.State != synthtypes.CanaryStateRunning {
		t.Fatalf("canary after apply = %+v, %v", canary, err)
	}

	// An alarm entering ALARM, as CloudWatch would emit it, matches the
	// rule the provider created (delivery to its targets: internal/sandbox/delivery_test.go).
	st, err := state.Open(sb.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ruleARN := strings.TrimSpace(tf(0, "output", "-raw", "rule_arn"))
	env2 := service.Env{State: st, AccountID: sb.AccountID(), Region: "us-east-1", Now: time.Now}
	rec, err := events.Emit(ctx, env2, "us-east-1", events.Entry{Source: "aws.cloudwatch", DetailType: "CloudWatch Alarm State Change",
		Detail: `{"alarmName":"vigil-dev-api-5xx","state":{"value":"ALARM"},"previousState":{"value":"OK"}}`})
	if err != nil || strings.Join(rec.MatchedRules, ",") != ruleARN {
		t.Errorf("emitted alarm event matched %v (%v), want %s", rec.MatchedRules, err, ruleARN)
	}

	// New code: the plan updates the function (and the alias to the new
	// published version); the apply stores the new hash.
	z2 := writeZip(fnZip, "#!/bin/sh\necho remediate v2\n")
	plan := run(2, "plan", "-detailed-exitcode")
	if !strings.Contains(plan, "aws_lambda_function.remediator will be updated in-place") || !strings.Contains(plan, "source_code_hash") {
		t.Errorf("plan after a code change does not update the function's code:\n%s", plan)
	}
	apply := run(0, "apply", "-auto-approve")
	if !strings.Contains(apply, "aws_lambda_function.remediator: Modifications complete") {
		t.Errorf("apply after a code change:\n%s", apply)
	}
	run(0, "plan", "-detailed-exitcode")
	fn, err = lc.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("vigil-remediator")})
	if err != nil || aws.ToString(fn.Configuration.CodeSha256) != sha(z2) {
		t.Fatalf("CodeSha256 after the code update = %s, want %s (%v)", aws.ToString(fn.Configuration.CodeSha256), sha(z2), err)
	}
	alias, err := lc.GetAlias(ctx, &awslambda.GetAliasInput{FunctionName: aws.String("vigil-remediator"), Name: aws.String("live")})
	if err != nil || aws.ToString(alias.FunctionVersion) != "2" {
		t.Errorf("alias after the code update = %+v, %v", alias, err)
	}

	run(0, "destroy", "-auto-approve")
	fns, err := lc.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	if err != nil || len(fns.Functions) != 0 {
		t.Errorf("functions after destroy = %+v, %v", fns, err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	rules, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{})
	if err != nil || len(rules.Rules) != 0 {
		t.Errorf("rules after destroy = %+v, %v", rules, err)
	}
	buses, err := eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil || len(buses.EventBuses) != 1 {
		t.Errorf("event buses after destroy = %+v, %v", buses, err)
	}
	canaries, err := synthetics.NewFromConfig(cfg).DescribeCanaries(ctx, &synthetics.DescribeCanariesInput{})
	if err != nil || len(canaries.Canaries) != 0 {
		t.Errorf("canaries after destroy = %+v, %v", canaries, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
