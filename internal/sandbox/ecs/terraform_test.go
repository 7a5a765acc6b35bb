package ecs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// tfRunner runs terraform in one working directory against one sandbox.
type tfRunner struct {
	t   *testing.T
	ctx context.Context
	bin string
	dir string
	env []string
}

func newTF(t *testing.T, sb *sandboxtest.Sandbox, files map[string]string) *tfRunner {
	t.Helper()
	bin, env := sandboxtest.Terraform(t)
	env = append(env, sb.Env()...)
	if p := os.Getenv("VIGIL_TEST_TF_LOG"); p != "" {
		env = append(env, "TF_LOG=debug", "TF_LOG_PATH="+p)
	}
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	t.Cleanup(cancel)
	return &tfRunner{t: t, ctx: ctx, bin: bin, dir: dir, env: env}
}

// run runs terraform and fails the test unless it exits with wantExit.
func (r *tfRunner) run(wantExit int, args ...string) string {
	r.t.Helper()
	full := args
	if args[0] != "output" {
		full = append(append([]string{}, args...), "-input=false", "-no-color")
	}
	cmd := exec.CommandContext(r.ctx, r.bin, full...)
	cmd.Dir, cmd.Env = r.dir, r.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		r.t.Fatalf("terraform %s: %v", args[0], err)
	}
	if code != wantExit {
		r.t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), code, wantExit, out.String())
	}
	return out.String()
}

// requireServices skips the test while the sandbox does not serve every
// named service yet (other services are written beside this one).
func requireServices(t *testing.T, sb *sandboxtest.Sandbox, names ...string) {
	t.Helper()
	resp, err := http.Get(sb.URL() + "/_vigil/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Services []string `json:"services"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range h.Services {
		have[s] = true
	}
	for _, n := range names {
		if !have[n] {
			t.Skipf("the sandbox does not serve %q yet; this end-to-end test needs it", n)
		}
	}
}

// TestTerraformFargateServiceBehindALB applies testdata/terraform/main.tf —
// a cluster with container insights, a Fargate task definition, an
// application load balancer with a target group, listener and rule, a
// service of three tasks with a circuit breaker and the load balancer,
// and target tracking auto scaling — with the real AWS provider; a second
// plan has no changes; a new image rolls out a new task definition
// revision in place and plans clean again; destroy leaves nothing behind.
func TestTerraformFargateServiceBehindALB(t *testing.T) {
	sb := sandboxtest.Start(t)
	requireServices(t, sb, "ec2", "iam", "sts")
	// Tasks start after 30 s of virtual time and the service waits for its
	// steady state: run the clock 30 times faster than real time.
	if err := sb.SetClockSpeed(context.Background(), 30); err != nil {
		t.Fatal(err)
	}
	cfg := sb.AWSConfig()
	ecsc, elbc, aasc := ecs.NewFromConfig(cfg), elb.NewFromConfig(cfg), aas.NewFromConfig(cfg)

	tf := newTF(t, sb, map[string]string{"main.tf": readFile(t, "testdata/terraform/main.tf")})
	tf.run(0, "init")
	tf.run(0, "apply", "-auto-approve")
	tf.run(0, "plan", "-detailed-exitcode")

	ctx := context.Background()
	cluster := strings.TrimSpace(tf.run(0, "output", "-raw", "cluster_name"))
	svcName := strings.TrimSpace(tf.run(0, "output", "-raw", "service_name"))
	tgARN := strings.TrimSpace(tf.run(0, "output", "-raw", "target_group_arn"))
	svcs := must(ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{svcName}}))(t)
	if len(svcs.Services) != 1 || svcs.Services[0].RunningCount != 3 || len(svcs.Services[0].Deployments) != 1 {
		t.Fatalf("service after apply = %+v", svcs.Services)
	}
	firstTD := aws.ToString(svcs.Services[0].TaskDefinition)
	tasks := must(ecsc.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(svcName)}))(t)
	if len(tasks.TaskArns) != 3 {
		t.Errorf("tasks = %v, want 3", tasks.TaskArns)
	}
	health := must(elbc.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)}))(t)
	if len(health.TargetHealthDescriptions) != 3 {
		t.Errorf("targets = %d, want the 3 tasks", len(health.TargetHealthDescriptions))
	}
	targets := must(aasc.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs}))(t)
	if len(targets.ScalableTargets) != 1 || aws.ToInt32(targets.ScalableTargets[0].MaxCapacity) != 20 {
		t.Errorf("scalable targets = %+v", targets.ScalableTargets)
	}
	if out := tf.run(0, "output", "-json", "policy_alarms"); !strings.Contains(out, "AlarmHigh") || !strings.Contains(out, "AlarmLow") {
		t.Errorf("policy alarms = %s", out)
	}

	// The load balancer answers real HTTP on loopback: the rule's fixed
	// response, and the tasks once their targets pass the health checks.
	url := albURL(t, sb)
	if code, body := httpGet(t, url+"/ping"); code != http.StatusOK || body != "pong" {
		t.Errorf("GET /ping = %d %q, want the rule's 200 pong", code, body)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, body := httpGet(t, url+"/")
		if code == http.StatusOK && strings.Contains(body, `"service":"`+svcName+`"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load balancer never answered from a task: last %d %q", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A new image: a new task definition revision, rolled out in place.
	tf.run(0, "apply", "-auto-approve", "-var", "image=public.ecr.aws/nginx/nginx:1.28")
	tf.run(0, "plan", "-detailed-exitcode", "-var", "image=public.ecr.aws/nginx/nginx:1.28")
	svcs = must(ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{svcName}}))(t)
	if td := aws.ToString(svcs.Services[0].TaskDefinition); td == firstTD || !strings.HasSuffix(td, ":2") {
		t.Errorf("task definition after the image change = %s (was %s)", td, firstTD)
	}
	if s := svcs.Services[0]; s.RunningCount != 3 || len(s.Deployments) != 1 || s.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("service after the rollout = %+v", s)
	}

	tf.run(0, "destroy", "-auto-approve", "-var", "image=public.ecr.aws/nginx/nginx:1.28")

	clusters := must(ecsc.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	if len(clusters.ClusterArns) != 0 {
		t.Errorf("clusters left after destroy: %v", clusters.ClusterArns)
	}
	tds := must(ecsc.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{}))(t)
	if len(tds.TaskDefinitionArns) != 0 {
		t.Errorf("active task definitions left after destroy: %v", tds.TaskDefinitionArns)
	}
	lbs := must(elbc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}))(t)
	tgs := must(elbc.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{}))(t)
	if len(lbs.LoadBalancers) != 0 || len(tgs.TargetGroups) != 0 {
		t.Errorf("load balancers %d and target groups %d left after destroy", len(lbs.LoadBalancers), len(tgs.TargetGroups))
	}
	targets = must(aasc.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs}))(t)
	if len(targets.ScalableTargets) != 0 {
		t.Errorf("scalable targets left after destroy: %+v", targets.ScalableTargets)
	}
}

// albURL is the loopback URL of the sandbox's one load balancer listener.
func albURL(t *testing.T, sb *sandboxtest.Sandbox) string {
	t.Helper()
	resp := must(http.Get(sb.URL() + "/_vigil/workload"))(t)
	defer resp.Body.Close()
	var st struct {
		LoadBalancers []struct {
			Listeners []struct{ URL string }
		} `json:"load_balancers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.LoadBalancers) != 1 || len(st.LoadBalancers[0].Listeners) != 1 || st.LoadBalancers[0].Listeners[0].URL == "" {
		t.Fatalf("workload status = %+v, want one load balancer with one served listener", st)
	}
	return st.LoadBalancers[0].Listeners[0].URL
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp := must(http.Get(url))(t)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// must returns a function that fails the test on err and returns v.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}
