package workload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/sandbox/workload"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// env is a stepped sandbox with a VPC of three zones, an ALB with an HTTP
// listener forwarding to an ip target group, a cluster and a Fargate task
// definition.
type env struct {
	sb      *sandboxtest.Sandbox
	ecs     *ecs.Client
	elb     *elb.Client
	cw      *cloudwatch.Client
	subnets []string
	azs     []string
	sg      string
	lbARN   string
	lbDim   string
	tgARN   string
	tgDim   string
	cluster string
	td      string
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func newEnv(t testing.TB) *env {
	t.Helper()
	sb := sandboxtest.StartStepped(t, t0)
	cfg := sb.AWSConfig()
	e := &env{sb: sb, ecs: ecs.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg)}
	ec := ec2.NewFromConfig(cfg)
	ctx := context.Background()
	vpc := must(ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")}))(t)
	zones := must(ec.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))(t)
	for i := range 3 {
		az := aws.ToString(zones.AvailabilityZones[i].ZoneName)
		sn := must(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(az),
			CidrBlock: aws.String("10.20." + string(rune('0'+i)) + ".0/24")}))(t)
		e.subnets, e.azs = append(e.subnets, aws.ToString(sn.Subnet.SubnetId)), append(e.azs, az)
	}
	e.sg = aws.ToString(must(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("app"), Description: aws.String("app"), VpcId: vpc.Vpc.VpcId}))(t).GroupId)
	lb := must(e.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: e.subnets}))(t).LoadBalancers[0]
	e.lbARN = aws.ToString(lb.LoadBalancerArn)
	e.lbDim = e.lbARN[strings.Index(e.lbARN, "loadbalancer/")+len("loadbalancer/"):]
	tg := must(e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("app"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp, HealthCheckIntervalSeconds: aws.Int32(10),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2), HealthCheckPath: aws.String("/health")}))(t).TargetGroups[0]
	e.tgARN = aws.ToString(tg.TargetGroupArn)
	e.tgDim = e.tgARN[strings.Index(e.tgARN, "targetgroup/"):]
	must(e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))(t)
	e.cluster = aws.ToString(must(e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("main")}))(t).Cluster.ClusterName)
	e.td = e.registerTD(t, "nginx:1")
	return e
}

func (e *env) registerTD(t testing.TB, image string) string {
	t.Helper()
	out := must(e.ecs.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("app"), NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}},
	}))(t)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func (e *env) createService(t testing.TB, name string, desired int32, withLB bool) {
	t.Helper()
	in := &ecs.CreateServiceInput{Cluster: aws.String(e.cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(e.td),
		DesiredCount: aws.Int32(desired), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration:    &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: e.subnets, SecurityGroups: []string{e.sg}}},
		DeploymentConfiguration: &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}}}
	if withLB {
		in.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String(e.tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}
		in.HealthCheckGracePeriodSeconds = aws.Int32(0)
	}
	must(e.ecs.CreateService(context.Background(), in))(t)
}

func (e *env) advance(t *testing.T, d time.Duration) {
	t.Helper()
	if err := e.sb.AdvanceClock(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

func (e *env) service(t *testing.T, name string) types.Service {
	t.Helper()
	out := must(e.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(e.cluster), Services: []string{name}}))(t)
	return out.Services[0]
}

func (e *env) tasks(t *testing.T, name string, status types.DesiredStatus) []types.Task {
	t.Helper()
	ctx := context.Background()
	arns := must(e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(e.cluster), ServiceName: aws.String(name), DesiredStatus: status}))(t).TaskArns
	if len(arns) == 0 {
		return nil
	}
	return must(e.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(e.cluster), Tasks: arns}))(t).Tasks
}

func (e *env) health(t *testing.T) map[string]elbtypes.TargetHealthStateEnum {
	t.Helper()
	out := must(e.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.tgARN)}))(t)
	m := map[string]elbtypes.TargetHealthStateEnum{}
	for _, d := range out.TargetHealthDescriptions {
		m[aws.ToString(d.Target.Id)] = d.TargetHealth.State
	}
	return m
}

// sum is a metric's Sum over the minute starting at m (-1 without data).
func (e *env) stat(t *testing.T, ns, name string, m time.Time, stat cwtypes.Statistic, dims ...string) float64 {
	t.Helper()
	var ds []cwtypes.Dimension
	for i := 0; i < len(dims); i += 2 {
		ds = append(ds, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	out := must(e.cw.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String(ns), MetricName: aws.String(name),
		Dimensions: ds, StartTime: aws.Time(m), EndTime: aws.Time(m.Add(time.Minute)), Period: aws.Int32(60), Statistics: []cwtypes.Statistic{stat}}))(t)
	if len(out.Datapoints) == 0 {
		return -1
	}
	d := out.Datapoints[0]
	switch stat {
	case cwtypes.StatisticSum:
		return aws.ToFloat64(d.Sum)
	case cwtypes.StatisticMaximum:
		return aws.ToFloat64(d.Maximum)
	case cwtypes.StatisticMinimum:
		return aws.ToFloat64(d.Minimum)
	}
	return aws.ToFloat64(d.Average)
}

// status reads GET /_vigil/workload.
func (e *env) status(t *testing.T) workload.Status {
	t.Helper()
	resp := must(http.Get(e.sb.URL() + workload.Path))(t)
	defer resp.Body.Close()
	var st workload.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) albURL(t *testing.T) string {
	t.Helper()
	for _, lb := range e.status(t).LoadBalancers {
		if lb.ARN == e.lbARN && len(lb.Listeners) == 1 && lb.Listeners[0].URL != "" {
			return lb.Listeners[0].URL
		}
	}
	t.Fatalf("no loopback URL for the load balancer in %+v", e.status(t))
	return ""
}

func (e *env) chaos(t *testing.T, body string, wantStatus int) chaos.Listed {
	t.Helper()
	resp := must(http.Post(e.sb.URL()+chaos.Path, "application/json", strings.NewReader(body)))(t)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("POST %s %s = %d %s, want %d", chaos.Path, body, resp.StatusCode, raw, wantStatus)
	}
	var f chaos.Listed
	_ = json.Unmarshal(raw, &f)
	return f
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp := must(http.Get(url))(t)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Vigil-Task")
}

// One service behind the ALB, followed through start-up, traffic, a bad
// task, an unhealthy task, StopTask and the metrics of each minute.
func TestServiceBehindALB(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.createService(t, "api", 3, true)

	// Tasks are PROVISIONING, then PENDING, then RUNNING after the 30 s
	// start delay.
	svc := e.service(t, "api")
	if svc.RunningCount != 0 || svc.PendingCount != 3 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress {
		t.Fatalf("new service: running %d pending %d rollout %s", svc.RunningCount, svc.PendingCount, svc.Deployments[0].RolloutState)
	}
	for _, task := range e.tasks(t, "api", types.DesiredStatusRunning) {
		if aws.ToString(task.LastStatus) != "PROVISIONING" || task.StartedAt != nil {
			t.Errorf("new task: %s startedAt %v", aws.ToString(task.LastStatus), task.StartedAt)
		}
	}
	if h := e.health(t); len(h) != 0 {
		t.Errorf("targets before the tasks run = %v", h)
	}
	e.advance(t, 20*time.Second)
	for _, task := range e.tasks(t, "api", types.DesiredStatusRunning) {
		if aws.ToString(task.LastStatus) != "PENDING" {
			t.Errorf("task after 20s: %s, want PENDING", aws.ToString(task.LastStatus))
		}
	}
	e.advance(t, 15*time.Second) // t0+35s
	svc = e.service(t, "api")
	if svc.RunningCount != 3 || svc.PendingCount != 0 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted {
		t.Fatalf("service after the start delay: running %d pending %d rollout %s", svc.RunningCount, svc.PendingCount, svc.Deployments[0].RolloutState)
	}
	tasks := e.tasks(t, "api", types.DesiredStatusRunning)
	zones := map[string]bool{}
	for _, task := range tasks {
		zones[aws.ToString(task.AvailabilityZone)] = true
		if task.StartedAt == nil || task.HealthStatus != types.HealthStatusUnknown {
			t.Errorf("running task: startedAt %v health %s", task.StartedAt, task.HealthStatus)
		}
	}
	if len(zones) != 3 {
		t.Errorf("tasks spread over zones %v, want 3", zones)
	}
	h := e.health(t)
	if len(h) != 3 {
		t.Fatalf("targets = %v", h)
	}
	for ip, st := range h {
		if st != elbtypes.TargetHealthStateEnumInitial {
			t.Errorf("target %s just registered is %s", ip, st)
		}
	}
	url := e.albURL(t)
	if code, _ := get(t, url); code != http.StatusServiceUnavailable {
		t.Errorf("ALB with only initial targets answered %d, want 503", code)
	}
	// Interval 10 s, healthy threshold 2: healthy 20 s after registration.
	e.advance(t, 25*time.Second) // t0+60s
	for ip, st := range e.health(t) {
		if st != elbtypes.TargetHealthStateEnumHealthy {
			t.Errorf("target %s after two checks is %s", ip, st)
		}
	}
	seen := map[string]int{}
	for range 6 {
		code, task := get(t, url+"/orders?id=1")
		if code != http.StatusOK {
			t.Fatalf("ALB answered %d", code)
		}
		seen[task]++
	}
	if len(seen) != 3 {
		t.Errorf("round-robin over 3 healthy tasks hit %v", seen)
	}
	for id, n := range seen {
		if n != 2 {
			t.Errorf("task %s got %d of 6 requests, want 2", id, n)
		}
	}

	// Minute t0+1m: 120 synthetic requests + 6 real ones, all 2xx.
	e.advance(t, time.Minute) // t0+2m
	m1 := t0.Add(time.Minute)
	if got := e.stat(t, workload.NamespaceALB, "RequestCount", m1, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != 126 {
		t.Errorf("RequestCount{LoadBalancer} at %s = %v, want 126", m1, got)
	}
	if got := e.stat(t, workload.NamespaceALB, "RequestCount", m1, cwtypes.StatisticSum, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim); got != 126 {
		t.Errorf("RequestCount{LoadBalancer,TargetGroup} = %v, want 126", got)
	}
	if got := e.stat(t, workload.NamespaceALB, "HTTPCode_Target_5XX_Count", m1, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != -1 {
		t.Errorf("HTTPCode_Target_5XX_Count in a healthy minute = %v, want no datapoint", got)
	}
	if got := e.stat(t, workload.NamespaceALB, "HealthyHostCount", m1, cwtypes.StatisticMinimum, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim); got != 3 {
		t.Errorf("HealthyHostCount = %v, want 3", got)
	}
	if got := e.stat(t, workload.NamespaceALB, "UnHealthyHostCount", m1, cwtypes.StatisticMaximum, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim); got != 0 {
		t.Errorf("UnHealthyHostCount = %v, want 0", got)
	}
	if got := e.stat(t, workload.NamespaceALB, "TargetResponseTime", m1, cwtypes.StatisticAverage, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim); got < 0.02 || got > 0.06 {
		t.Errorf("TargetResponseTime = %v, want 20-60 ms", got)
	}
	if got := e.stat(t, workload.NamespaceALB, "HTTPCode_ELB_5XX_Count", t0, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != 101 {
		// 10 synthetic requests a step for the 10 steps before the
		// targets were healthy (at t0+55s), and the real one.
		t.Errorf("HTTPCode_ELB_5XX_Count while no target was healthy = %v, want 101", got)
	}
	if got := e.stat(t, workload.NamespaceECS, "CPUUtilization", m1, cwtypes.StatisticAverage, "ClusterName", "main", "ServiceName", "api"); got != workload.DefaultBaseCPUPercent {
		t.Errorf("CPUUtilization = %v, want the base %d", got, workload.DefaultBaseCPUPercent)
	}

	// A bad task (health checks still pass) answers 500: a third of the
	// requests, 40 a minute.
	bad := e.chaos(t, `{"kind":"unhealthy","cluster":"main","service":"api","count":1,"health_check":"pass"}`, http.StatusCreated)
	if len(bad.Tasks) != 1 || bad.Status != "active" {
		t.Fatalf("fault = %+v", bad)
	}
	e.advance(t, time.Minute) // t0+3m
	m2 := t0.Add(2 * time.Minute)
	if got := e.stat(t, workload.NamespaceALB, "HTTPCode_Target_5XX_Count", m2, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != 40 {
		t.Errorf("HTTPCode_Target_5XX_Count with 1 of 3 tasks bad = %v, want 40", got)
	}
	if h := e.health(t); len(h) != 3 || countState(h, elbtypes.TargetHealthStateEnumHealthy) != 3 {
		t.Errorf("health with a bad task that passes its health checks = %v", h)
	}
	fivexx := 0
	for range 9 {
		if code, task := get(t, url); code == 500 {
			fivexx++
			if task != bad.Tasks[0] {
				t.Errorf("500 from task %s, not the bad one %s", task, bad.Tasks[0])
			}
		}
	}
	if fivexx != 3 {
		t.Errorf("real requests answered 500: %d of 9, want 3", fivexx)
	}

	// StopTask of the bad task: it leaves the target group, a
	// replacement starts after the start delay.
	badARN := ""
	for _, task := range tasks {
		if strings.HasSuffix(aws.ToString(task.TaskArn), bad.Tasks[0]) {
			badARN = aws.ToString(task.TaskArn)
		}
	}
	must(e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(e.cluster), Task: aws.String(badARN), Reason: aws.String("remediation: bad task")}))(t)
	svc = e.service(t, "api")
	if svc.RunningCount != 2 || svc.PendingCount != 1 {
		t.Errorf("after StopTask: running %d pending %d, want 2 and 1", svc.RunningCount, svc.PendingCount)
	}
	stopped := e.tasks(t, "api", types.DesiredStatusStopped)
	if len(stopped) != 1 || aws.ToString(stopped[0].StoppedReason) != "remediation: bad task" || stopped[0].StopCode != types.TaskStopCodeUserInitiated {
		t.Errorf("stopped = %+v", stopped)
	}
	if h := e.health(t); countState(h, elbtypes.TargetHealthStateEnumDraining) != 1 {
		t.Errorf("health after StopTask = %v, want one draining", h)
	}
	e.advance(t, 35*time.Second)
	if svc = e.service(t, "api"); svc.RunningCount != 3 || svc.PendingCount != 0 {
		t.Errorf("after the replacement's start delay: running %d pending %d", svc.RunningCount, svc.PendingCount)
	}

	// A task that fails its health checks turns unhealthy after 2 checks
	// and ECS replaces it.
	e.advance(t, 30*time.Second)
	down := e.chaos(t, `{"kind":"unhealthy","service":"api"}`, http.StatusCreated)
	e.advance(t, 25*time.Second)
	stopped = e.tasks(t, "api", types.DesiredStatusStopped)
	found := false
	for _, task := range stopped {
		if strings.HasSuffix(aws.ToString(task.TaskArn), down.Tasks[0]) {
			found = true
			if !strings.HasPrefix(aws.ToString(task.StoppedReason), "Task failed ELB health checks in (target-group "+e.tgARN) {
				t.Errorf("unhealthy task stopped with %q", aws.ToString(task.StoppedReason))
			}
		}
	}
	if !found {
		t.Errorf("the unhealthy task %s was not stopped (health %v)", down.Tasks[0], e.health(t))
	}
	// Unhealthy hosts showed in the minute it happened.
	e.advance(t, time.Minute)
	var maxUnhealthy float64
	for m := t0.Add(4 * time.Minute); m.Before(t0.Add(7 * time.Minute)); m = m.Add(time.Minute) {
		maxUnhealthy = max(maxUnhealthy, e.stat(t, workload.NamespaceALB, "UnHealthyHostCount", m, cwtypes.StatisticMaximum, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim))
	}
	if maxUnhealthy != 1 {
		t.Errorf("max UnHealthyHostCount around the unhealthy task = %v, want 1", maxUnhealthy)
	}
}

func countState(h map[string]elbtypes.TargetHealthStateEnum, s elbtypes.TargetHealthStateEnum) int {
	n := 0
	for _, v := range h {
		if v == s {
			n++
		}
	}
	return n
}

// The load model: CPU is the demand over the running tasks, so a
// scale-out lowers it.
func TestLoadDrivesCPU(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.createService(t, "worker", 3, false)
	e.advance(t, 35*time.Second)
	f := e.chaos(t, `{"kind":"load","cluster":"main","service":"worker","steps":[{"cpu":90,"for":"3m"},{"cpu":30}]}`, http.StatusCreated)
	if f.ReferenceTasks != 3 || f.End != nil {
		t.Fatalf("load fault = %+v", f)
	}
	e.advance(t, 25*time.Second+time.Minute) // t0+2m
	if got := e.stat(t, workload.NamespaceECS, "CPUUtilization", t0.Add(time.Minute), cwtypes.StatisticAverage, "ClusterName", "main", "ServiceName", "worker"); got != 90 {
		t.Errorf("CPU at 90%% load = %v", got)
	}
	if got := e.stat(t, workload.NamespaceECS, "MemoryUtilization", t0.Add(time.Minute), cwtypes.StatisticAverage, "ClusterName", "main", "ServiceName", "worker"); got != workload.Memory(90) {
		t.Errorf("memory at 90%% CPU = %v", got)
	}
	// Scale out to 6 (as Application Auto Scaling does, in-process).
	if err := e.sb.ECS().SetDesiredCount(ctx, "", "main", "worker", 6, "test"); err != nil {
		t.Fatal(err)
	}
	e.advance(t, 35*time.Second)
	e.advance(t, time.Minute-35*time.Second) // t0+3m
	if got := e.stat(t, workload.NamespaceECS, "CPUUtilization", t0.Add(2*time.Minute), cwtypes.StatisticMaximum, "ClusterName", "main", "ServiceName", "worker"); got != 90 {
		t.Errorf("max CPU in the minute of the scale-out = %v, want 90 before the new tasks ran", got)
	}
	if got := e.stat(t, workload.NamespaceECS, "CPUUtilization", t0.Add(2*time.Minute), cwtypes.StatisticMinimum, "ClusterName", "main", "ServiceName", "worker"); got != 45 {
		t.Errorf("min CPU once 6 tasks run = %v, want 45", got)
	}
	e.advance(t, 2*time.Minute) // the profile's second step: 30% of 3 tasks over 6
	if got := e.stat(t, workload.NamespaceECS, "CPUUtilization", t0.Add(4*time.Minute), cwtypes.StatisticAverage, "ClusterName", "main", "ServiceName", "worker"); got != 15 {
		t.Errorf("CPU at 30%% of 3 tasks over 6 = %v, want 15", got)
	}
	st := e.status(t)
	if len(st.Services) != 1 || st.Services[0].Running != 6 || st.Services[0].CPUPercent != 15 {
		t.Errorf("workload status = %+v", st.Services)
	}

	// A container health check makes the task's healthStatus; failing it
	// stops the task and ECS replaces it.
	td := must(e.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("checked"), NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app:1"),
			HealthCheck: &types.HealthCheck{Command: []string{"CMD-SHELL", "curl -f localhost/health"}}}},
	}))(t).TaskDefinition
	must(e.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(e.cluster), ServiceName: aws.String("checked"), TaskDefinition: td.TaskDefinitionArn,
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: e.subnets}}}))(t)
	if tasks := e.tasks(t, "checked", types.DesiredStatusRunning); len(tasks) != 1 || tasks[0].HealthStatus != types.HealthStatusUnknown {
		t.Fatalf("new checked task = %+v", tasks)
	}
	e.advance(t, 35*time.Second)
	first := e.tasks(t, "checked", types.DesiredStatusRunning)
	if len(first) != 1 || first[0].HealthStatus != types.HealthStatusHealthy || first[0].Containers[0].HealthStatus != types.HealthStatusHealthy {
		t.Fatalf("running checked task health = %s", first[0].HealthStatus)
	}
	e.chaos(t, `{"kind":"unhealthy","service":"checked"}`, http.StatusCreated)
	e.advance(t, 5*time.Second)
	stopped := e.tasks(t, "checked", types.DesiredStatusStopped)
	if len(stopped) != 1 || aws.ToString(stopped[0].StoppedReason) != "Task failed container health checks" || stopped[0].HealthStatus != types.HealthStatusUnhealthy {
		t.Errorf("stopped = %+v", stopped)
	}
	if svc := e.service(t, "checked"); svc.PendingCount != 1 {
		t.Errorf("no replacement of the unhealthy task: pending %d", svc.PendingCount)
	}
}

// A deployment whose tasks fail to start trips the circuit breaker and
// rolls back; an AZ outage moves tasks to the other zones.
func TestCircuitBreakerAndAZOutage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.createService(t, "api", 3, false)
	e.advance(t, 35*time.Second)
	first := e.service(t, "api").Deployments[0]
	if first.RolloutState != types.DeploymentRolloutStateCompleted {
		t.Fatalf("first deployment = %s", first.RolloutState)
	}
	td2 := e.registerTD(t, "nginx:broken")
	e.chaos(t, `{"kind":"start-failure","cluster":"main","service":"api","task_definition":"`+td2+`"}`, http.StatusCreated)
	must(e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(e.cluster), Service: aws.String("api"), TaskDefinition: aws.String(td2)}))(t)
	// Each attempt takes the start delay; 3 failures trip the breaker.
	var svc types.Service
	for range 8 {
		e.advance(t, 35*time.Second)
		svc = e.service(t, "api")
		if len(svc.Deployments) > 0 && aws.ToString(svc.TaskDefinition) == e.td && svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted {
			break
		}
	}
	if aws.ToString(svc.TaskDefinition) != e.td || len(svc.Deployments) != 1 || svc.RunningCount != 3 {
		t.Fatalf("after the failed deployment: td %s deployments %+v running %d", aws.ToString(svc.TaskDefinition), svc.Deployments, svc.RunningCount)
	}
	events := ""
	for _, ev := range svc.Events {
		events += aws.ToString(ev.Message) + "\n"
	}
	if !strings.Contains(events, "deployment failed: tasks failed to start") || !strings.Contains(events, "rolling back") {
		t.Errorf("events = %s", events)
	}
	failedStarts := 0
	for _, task := range e.tasks(t, "api", types.DesiredStatusStopped) {
		if task.StopCode == types.TaskStopCodeTaskFailedToStart && aws.ToString(task.TaskDefinitionArn) == td2 {
			failedStarts++
			if !strings.HasPrefix(aws.ToString(task.StoppedReason), "CannotPullContainerError") {
				t.Errorf("failed start reason %q", aws.ToString(task.StoppedReason))
			}
		}
	}
	if failedStarts < 3 {
		t.Errorf("failed starts = %d, want at least the threshold 3", failedStarts)
	}
	for _, task := range e.tasks(t, "api", types.DesiredStatusRunning) {
		if aws.ToString(task.TaskDefinitionArn) != e.td {
			t.Errorf("a running task runs %s", aws.ToString(task.TaskDefinitionArn))
		}
	}

	// AZ outage: the zone's tasks die, replacements go elsewhere.
	out := e.chaos(t, `{"kind":"az-outage","az":"`+e.azs[0]+`","duration":"10m"}`, http.StatusCreated)
	if out.End == nil || !out.End.Equal(out.Start.Add(10*time.Minute)) {
		t.Errorf("outage fault = %+v", out)
	}
	e.advance(t, 40*time.Second)
	running := e.tasks(t, "api", types.DesiredStatusRunning)
	if len(running) != 3 {
		t.Fatalf("running after the outage = %d", len(running))
	}
	for _, task := range running {
		if aws.ToString(task.AvailabilityZone) == e.azs[0] {
			t.Errorf("task %s still in the impaired zone", aws.ToString(task.TaskArn))
		}
	}
	dead := 0
	for _, task := range e.tasks(t, "api", types.DesiredStatusStopped) {
		if strings.Contains(aws.ToString(task.StoppedReason), "impaired") {
			dead++
		}
	}
	if dead != 1 {
		t.Errorf("tasks stopped by the outage = %d, want the one in %s", dead, e.azs[0])
	}
	// The fault is listed, and clearing it ends it.
	list := must(chaosClient(e).List(ctx))(t)
	if len(list.Faults) != 2 || list.Faults[1].Status != "active" {
		t.Errorf("faults = %+v", list.Faults)
	}
	cleared := must(chaosClient(e).Clear(ctx, out.ID))(t)
	if len(cleared.Cleared) != 1 || cleared.Cleared[0].Status != "ended" {
		t.Errorf("cleared = %+v", cleared)
	}
	if _, err := chaosClient(e).Clear(ctx, "fault-nope"); err == nil || !strings.Contains(err.Error(), "no fault") {
		t.Errorf("clearing an unknown fault: %v", err)
	}
}

func chaosClient(e *env) *chaos.Client { return &chaos.Client{BaseURL: e.sb.URL()} }

// Junk is refused with a reason; latency and 5xx bursts show in the
// metrics; faults and tasks survive a restart.
func TestChaosAPIAndRestart(t *testing.T) {
	e := newEnv(t)
	e.createService(t, "api", 3, true)
	e.advance(t, 60*time.Second) // healthy at t0+55s
	for _, tt := range []struct{ body, want string }{
		{`not json`, "cannot read the fault"},
		{`{"kind":"meteor"}`, "unknown kind"},
		{`{}`, "kind is required"},
		{`{"kind":"unhealthy"}`, "needs a service"},
		{`{"kind":"unhealthy","service":"nope"}`, "no ACTIVE ECS service"},
		{`{"kind":"unhealthy","service":"api","count":9}`, "cannot make 9 unhealthy"},
		{`{"kind":"unhealthy","service":"api","count":1,"task":"x"}`, "not both"},
		{`{"kind":"5xx-burst","load_balancer":"web"}`, "percent"},
		{`{"kind":"5xx-burst","load_balancer":"nope","percent":10}`, "no load balancer"},
		{`{"kind":"latency","service":"api"}`, "needs latency"},
		{`{"kind":"load","service":"api","steps":[{"cpu":50},{"cpu":60}]}`, "needs a positive"},
		{`{"kind":"az-outage","az":"moon"}`, "Availability Zone name"},
		{`{"kind":"az-outage","az":"us-east-1a","service":"api"}`, "does not apply"},
		{`{"kind":"unhealthy","service":"api","id":"mine"}`, "set by the sandbox"},
		{`{"kind":"unhealthy","service":"api","duration":"soon"}`, "not like"},
		{`{"kind":"unhealthy","service":"api","bogus":1}`, "unknown field"},
	} {
		resp := must(http.Post(e.sb.URL()+chaos.Path, "application/json", strings.NewReader(tt.body)))(t)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), tt.want) {
			t.Errorf("POST %s = %d %s, want 400 with %q", tt.body, resp.StatusCode, raw, tt.want)
		}
	}
	req, _ := http.NewRequest(http.MethodPatch, e.sb.URL()+chaos.Path, nil)
	if resp := must(http.DefaultClient.Do(req))(t); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PATCH = %d", resp.StatusCode)
	}
	if resp := must(http.Post(e.sb.URL()+workload.Path, "application/json", bytes.NewReader([]byte(`{"requests_per_minute":-1}`))))(t); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("negative request rate = %d", resp.StatusCode)
	}

	// 50% 5xx for 2 minutes and +2s latency on every request.
	e.chaos(t, `{"kind":"5xx-burst","load_balancer":"web","percent":50,"duration":"2m"}`, http.StatusCreated)
	e.chaos(t, `{"kind":"latency","service":"api","latency":"2s"}`, http.StatusCreated)
	e.advance(t, 2*time.Minute) // t0+3m
	m := t0.Add(2 * time.Minute)
	if got := e.stat(t, workload.NamespaceALB, "HTTPCode_Target_5XX_Count", m, cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != 60 {
		t.Errorf("5xx at a 50%% burst = %v, want 60", got)
	}
	if got := e.stat(t, workload.NamespaceALB, "TargetResponseTime", m, cwtypes.StatisticMinimum, "LoadBalancer", e.lbDim, "TargetGroup", e.tgDim); got < 2 {
		t.Errorf("min response time with +2s = %v", got)
	}
	e.advance(t, time.Minute) // the burst ended at t0+3m
	if got := e.stat(t, workload.NamespaceALB, "HTTPCode_Target_5XX_Count", t0.Add(3*time.Minute), cwtypes.StatisticSum, "LoadBalancer", e.lbDim); got != -1 {
		t.Errorf("5xx after the burst = %v, want none", got)
	}
	// The 2 s latency is under the 5 s health check timeout: still healthy.
	if h := e.health(t); countState(h, elbtypes.TargetHealthStateEnumHealthy) != 3 {
		t.Errorf("health with +2s latency = %v", h)
	}

	before := e.tasks(t, "api", types.DesiredStatusRunning)
	url := e.albURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sb2 := sandboxtest.StartIn(t, e.sb.Dir)
	e.sb = sb2
	cfg := sb2.AWSConfig()
	e.ecs, e.elb = ecs.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	after := e.tasks(t, "api", types.DesiredStatusRunning)
	if len(after) != 3 || aws.ToString(after[0].TaskArn) != aws.ToString(before[0].TaskArn) || aws.ToString(after[0].LastStatus) != "RUNNING" {
		t.Errorf("tasks after restart = %d", len(after))
	}
	if h := e.health(t); countState(h, elbtypes.TargetHealthStateEnumHealthy) != 3 {
		t.Errorf("target health after restart = %v", h)
	}
	list := must(chaosClient(e).List(context.Background()))(t)
	if len(list.Faults) != 2 || list.Faults[1].Kind != chaos.KindLatency || list.Faults[1].Status != "active" {
		t.Errorf("faults after restart = %+v", list.Faults)
	}
	if got := e.albURL(t); got != url {
		t.Logf("load balancer URL moved from %s to %s (port taken)", url, got)
	}
	if code, task := get(t, e.albURL(t)); code != http.StatusOK || task == "" {
		t.Errorf("ALB after restart answered %d from %q", code, task)
	}
}
