package autoscaling_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

const (
	resource  = "service/main/api"
	dimension = types.ScalableDimensionECSServiceDesiredCount
)

type fixture struct {
	aas *aas.Client
	ecs *ecs.Client
}

// newFixture starts a sandbox with a Fargate service main/api of one task.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	sb := sandboxtest.Start(t)
	cfg := sb.AWSConfig()
	f := &fixture{aas: aas.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg)}
	ec := ec2.NewFromConfig(cfg)
	ctx := context.Background()
	vpc := must(ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.5.0.0/16")}))(t)
	sn := must(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.5.0.0/24")}))(t)
	must(f.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("main")}))(t)
	td := must(f.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("api"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("api"), Image: aws.String("api:1")}}}))(t)
	must(f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("main"), ServiceName: aws.String("api"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{aws.ToString(sn.Subnet.SubnetId)}}}}))(t)
	return f
}

func (f *fixture) register(t *testing.T, min, max int32) string {
	t.Helper()
	out := must(f.aas.RegisterScalableTarget(context.Background(), &aas.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, MinCapacity: aws.Int32(min), MaxCapacity: aws.Int32(max),
		Tags: map[string]string{"team": "sre"}}))(t)
	return aws.ToString(out.ScalableTargetARN)
}

func (f *fixture) desired(t *testing.T) (desired, running int32) {
	t.Helper()
	s := must(f.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("main"), Services: []string{"api"}}))(t).Services[0]
	return s.DesiredCount, s.RunningCount
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func TestScalableTargets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	arn := f.register(t, 3, 20)
	if !strings.HasPrefix(arn, "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/") {
		t.Errorf("ARN = %s", arn)
	}
	// Registering moves the service into [min, max] (its tasks start
	// after ECS's start delay).
	if d, _ := f.desired(t); d != 3 {
		t.Errorf("service desired = %d, want 3", d)
	}
	out := must(f.aas.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceIds: []string{resource}, ScalableDimension: dimension}))(t).ScalableTargets
	if len(out) != 1 || aws.ToInt32(out[0].MinCapacity) != 3 || aws.ToInt32(out[0].MaxCapacity) != 20 ||
		!strings.HasSuffix(aws.ToString(out[0].RoleARN), "/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService") ||
		aws.ToString(out[0].ScalableTargetARN) != arn || out[0].CreationTime == nil {
		t.Fatalf("scalable targets = %+v", out)
	}
	acts := must(f.aas.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource)}))(t).ScalingActivities
	if len(acts) != 1 || aws.ToString(acts[0].Description) != "Setting desired count to 3." || acts[0].StatusCode != types.ScalingActivityStatusCodeSuccessful {
		t.Errorf("scaling activities = %+v", acts)
	}

	// Lowering the maximum below the count scales the service in.
	must(f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource),
		ScalableDimension: dimension, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)}))(t)
	if d, _ := f.desired(t); d != 2 {
		t.Errorf("after max 2: desired = %d", d)
	}
	// Only the maximum: the minimum stays.
	must(f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource),
		ScalableDimension: dimension, MaxCapacity: aws.Int32(5), SuspendedState: &types.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)}}))(t)
	got := must(f.aas.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}))(t).ScalableTargets[0]
	if aws.ToInt32(got.MinCapacity) != 1 || aws.ToInt32(got.MaxCapacity) != 5 || !aws.ToBool(got.SuspendedState.ScheduledScalingSuspended) {
		t.Errorf("after a partial update = %+v", got)
	}

	tests := []struct {
		name string
		in   aas.RegisterScalableTargetInput
		code string
	}{
		{"min above max", aas.RegisterScalableTargetInput{ResourceId: aws.String(resource), MinCapacity: aws.Int32(9), MaxCapacity: aws.Int32(2)}, "ValidationException"},
		{"missing service", aas.RegisterScalableTargetInput{ResourceId: aws.String("service/main/nope"), MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)}, "ValidationException"},
		{"new target without capacities", aas.RegisterScalableTargetInput{ResourceId: aws.String("service/other/x")}, "ValidationException"},
		{"bad resource id", aas.RegisterScalableTargetInput{ResourceId: aws.String("cluster/main"), MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ServiceNamespace, tt.in.ScalableDimension = types.ServiceNamespaceEcs, dimension
			_, err := f.aas.RegisterScalableTarget(ctx, &tt.in)
			wantCode(t, err, tt.code)
		})
	}
	_, err := f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceDynamodb,
		ResourceId: aws.String("table/t"), ScalableDimension: types.ScalableDimensionDynamoDBTableReadCapacityUnits, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)})
	wantCode(t, err, "ValidationException")
	if !strings.Contains(err.Error(), "sandbox") {
		t.Errorf("unsupported namespace error does not name the gap: %v", err)
	}

	must(f.aas.TagResource(ctx, &aas.TagResourceInput{ResourceARN: aws.String(arn), Tags: map[string]string{"env": "dev"}}))(t)
	must(f.aas.UntagResource(ctx, &aas.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"team"}}))(t)
	tags := must(f.aas.ListTagsForResource(ctx, &aas.ListTagsForResourceInput{ResourceARN: aws.String(arn)}))(t).Tags
	if len(tags) != 1 || tags["env"] != "dev" {
		t.Errorf("tags = %v", tags)
	}
	_, err = f.aas.ListTagsForResource(ctx, &aas.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("tags of a missing target: %v, want ResourceNotFoundException", err)
	}

	must(f.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension}))(t)
	_, err = f.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension})
	var onf *types.ObjectNotFoundException
	if !errors.As(err, &onf) {
		t.Errorf("deregister twice: %v, want ObjectNotFoundException", err)
	}
}

func TestScalingPolicies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tt := &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(60), ScaleOutCooldown: aws.Int32(60), ScaleInCooldown: aws.Int32(300),
		PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization}}
	_, err := f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("cpu"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: tt})
	var onf *types.ObjectNotFoundException
	if !errors.As(err, &onf) {
		t.Fatalf("policy without a target: %v, want ObjectNotFoundException", err)
	}
	f.register(t, 3, 20)
	put := must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("cpu"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: tt}))(t)
	if len(put.Alarms) != 2 || !strings.HasPrefix(aws.ToString(put.Alarms[0].AlarmName), "TargetTracking-service/main/api-AlarmHigh-") ||
		!strings.HasPrefix(aws.ToString(put.Alarms[1].AlarmName), "TargetTracking-service/main/api-AlarmLow-") ||
		!strings.HasPrefix(aws.ToString(put.PolicyARN), "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:") {
		t.Fatalf("PutScalingPolicy = %+v", put)
	}
	// Updating keeps the ARN and the alarms.
	tt.TargetValue = aws.Float64(70)
	again := must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("cpu"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: tt}))(t)
	if aws.ToString(again.PolicyARN) != aws.ToString(put.PolicyARN) || aws.ToString(again.Alarms[0].AlarmARN) != aws.ToString(put.Alarms[0].AlarmARN) {
		t.Errorf("update changed the ARN or alarms: %+v", again)
	}
	step := must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("step"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, PolicyType: types.PolicyTypeStepScaling,
		StepScalingPolicyConfiguration: &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity, Cooldown: aws.Int32(60),
			MetricAggregationType: types.MetricAggregationTypeAverage,
			StepAdjustments:       []types.StepAdjustment{{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(2)}}}}))(t)
	if len(step.Alarms) != 0 {
		t.Errorf("step policy alarms = %+v, want none", step.Alarms)
	}

	pols := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource)}))(t).ScalingPolicies
	if len(pols) != 2 {
		t.Fatalf("policies = %+v", pols)
	}
	var cpu types.ScalingPolicy
	for _, p := range pols {
		if aws.ToString(p.PolicyName) == "cpu" {
			cpu = p
		}
	}
	c := cpu.TargetTrackingScalingPolicyConfiguration
	if c == nil || aws.ToFloat64(c.TargetValue) != 70 || aws.ToInt32(c.ScaleInCooldown) != 300 || aws.ToInt32(c.ScaleOutCooldown) != 60 ||
		c.PredefinedMetricSpecification.PredefinedMetricType != types.MetricTypeECSServiceAverageCPUUtilization || len(cpu.Alarms) != 2 {
		t.Errorf("described policy = %+v", cpu)
	}
	named := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, PolicyNames: []string{"step"}}))(t).ScalingPolicies
	if len(named) != 1 || named[0].PolicyType != types.PolicyTypeStepScaling {
		t.Errorf("policies named step = %+v", named)
	}

	invalid := []struct {
		name string
		in   aas.PutScalingPolicyInput
	}{
		{"zero target value", aas.PutScalingPolicyInput{PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(0), PredefinedMetricSpecification: tt.PredefinedMetricSpecification}}},
		{"metric of another namespace", aas.PutScalingPolicyInput{PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(50), PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeDynamoDBReadCapacityUtilization}}}},
		{"ALB metric without label", aas.PutScalingPolicyInput{PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(50), PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget}}}},
		{"step without adjustments", aas.PutScalingPolicyInput{PolicyType: types.PolicyTypeStepScaling, StepScalingPolicyConfiguration: &types.StepScalingPolicyConfiguration{
			AdjustmentType: types.AdjustmentTypeChangeInCapacity}}},
		{"step config for a target tracking policy", aas.PutScalingPolicyInput{PolicyType: types.PolicyTypeTargetTrackingScaling}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.PolicyName, tc.in.ServiceNamespace, tc.in.ResourceId, tc.in.ScalableDimension = aws.String("bad"), types.ServiceNamespaceEcs, aws.String(resource), dimension
			_, err := f.aas.PutScalingPolicy(ctx, &tc.in)
			wantCode(t, err, "ValidationException")
		})
	}

	must(f.aas.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("step"), ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension}))(t)
	_, err = f.aas.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("step"), ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension})
	if !errors.As(err, &onf) {
		t.Errorf("delete a deleted policy: %v, want ObjectNotFoundException", err)
	}
	// Deregistering the target removes its policies.
	must(f.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension}))(t)
	if p := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs}))(t).ScalingPolicies; len(p) != 0 {
		t.Errorf("policies after deregistering the target = %+v", p)
	}
}

func TestScheduledActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.register(t, 1, 10)
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	must(f.aas.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ScheduledActionName: aws.String("nightly"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, Schedule: aws.String("cron(0 22 * * ? *)"), Timezone: aws.String("Europe/Paris"),
		StartTime: aws.Time(start), ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)}}))(t)
	must(f.aas.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ScheduledActionName: aws.String("once"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, Schedule: aws.String("at(2030-06-01T08:00:00)"),
		ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(4)}}))(t)
	acts := must(f.aas.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: types.ServiceNamespaceEcs, ScheduledActionNames: []string{"nightly"}}))(t).ScheduledActions
	if len(acts) != 1 || aws.ToString(acts[0].Schedule) != "cron(0 22 * * ? *)" || aws.ToString(acts[0].Timezone) != "Europe/Paris" ||
		!aws.ToTime(acts[0].StartTime).Equal(start) || aws.ToInt32(acts[0].ScalableTargetAction.MaxCapacity) != 2 ||
		!strings.Contains(aws.ToString(acts[0].ScheduledActionARN), ":scheduledAction:") {
		t.Fatalf("scheduled actions = %+v", acts)
	}
	all := must(f.aas.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: types.ServiceNamespaceEcs}))(t).ScheduledActions
	if len(all) != 2 {
		t.Errorf("all scheduled actions = %d", len(all))
	}
	for _, bad := range []string{"rate(1 minutes)", "every day", "at(2030-13-01T00:00:00)"} {
		_, err := f.aas.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ScheduledActionName: aws.String("bad"), ServiceNamespace: types.ServiceNamespaceEcs,
			ResourceId: aws.String(resource), ScalableDimension: dimension, Schedule: aws.String(bad)})
		wantCode(t, err, "ValidationException")
	}
	must(f.aas.DeleteScheduledAction(ctx, &aas.DeleteScheduledActionInput{ScheduledActionName: aws.String("once"), ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension}))(t)
	_, err := f.aas.DeleteScheduledAction(ctx, &aas.DeleteScheduledActionInput{ScheduledActionName: aws.String("once"), ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: dimension})
	var onf *types.ObjectNotFoundException
	if !errors.As(err, &onf) {
		t.Errorf("delete a deleted scheduled action: %v, want ObjectNotFoundException", err)
	}
}

// FuzzAutoScalingJSON: arbitrary bodies get an AWS-style 4xx, never a panic.
func FuzzAutoScalingJSON(f *testing.F) {
	ops := []string{"RegisterScalableTarget", "DescribeScalableTargets", "DeregisterScalableTarget", "PutScalingPolicy",
		"DescribeScalingPolicies", "DeleteScalingPolicy", "PutScheduledAction", "DescribeScheduledActions", "DeleteScheduledAction",
		"DescribeScalingActivities", "TagResource", "UntagResource", "ListTagsForResource"}
	for i, body := range []string{
		`{"ServiceNamespace":"ecs","ResourceId":"service/a/b","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":-1}`,
		`{"ServiceNamespace":"ecs","MaxResults":0}`,
		`{"ServiceNamespace":"x"}`,
		`{"PolicyName":"p","ServiceNamespace":"ecs","ResourceId":"service/a/b","ScalableDimension":"ecs:service:DesiredCount","PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{"CustomizedMetricSpecification":"x"}}`,
		`{"ServiceNamespace":"ecs","NextToken":"zzz"}`,
		`{}`,
		`{"ScheduledActionName":"a","ServiceNamespace":"ecs","ResourceId":"service/a/b","ScalableDimension":"ecs:service:DesiredCount","StartTime":"yesterday"}`,
		`{"ServiceNamespace":"ecs","ResourceId":"service/a/b"}`,
		`[]`,
		`{"ServiceNamespace":"ecs","IncludeNotScaledActivities":"yes"}`,
		`{"ResourceARN":"arn:aws:application-autoscaling:us-east-1:1:scalable-target/x","Tags":{"aws:x":"y"}}`,
		`{"ResourceARN":5}`,
		`{"ResourceARN":"x"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	srv, err := sandbox.Open(sandbox.Options{DataDir: f.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		name := ops[int(op)%len(ops)]
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AnyScaleFrontendService."+name)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/application-autoscaling/aws4_request, SignedHeaders=host, Signature=x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", name, body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusOK && !bytes.Contains(rec.Body.Bytes(), []byte(`"__type"`)) {
			t.Fatalf("%s %q: status %d without an AWS error document", name, body, rec.Code)
		}
	})
}
