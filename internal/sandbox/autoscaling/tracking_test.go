package autoscaling_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// TestTargetTracking drives a target tracking policy with the alarms the
// sandbox creates for it, on a stepped virtual clock: the test plays the
// load (a fixed amount of work shared by the service's desired tasks,
// published as a custom metric each minute) and watches the desired count.
func TestTargetTracking(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	sb := sandboxtest.StartStepped(t, start)
	cfg := sb.AWSConfig()
	ctx := context.Background()
	f := &fixture{aas: aas.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg)}
	cw := cloudwatch.NewFromConfig(cfg)
	ec := ec2.NewFromConfig(cfg)
	vpc := must(ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.6.0.0/16")}))(t)
	sn := must(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.6.0.0/24")}))(t)
	must(f.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("main")}))(t)
	td := must(f.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("api"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("api"), Image: aws.String("api:1")}}}))(t)
	must(f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("main"), ServiceName: aws.String("api"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{aws.ToString(sn.Subnet.SubnetId)}}}}))(t)
	f.register(t, 3, 20)

	// The policy the blueprint's workload declares, on a metric the test
	// publishes (so nothing else writes it), with a 120 s scale-out
	// cooldown to show it at work between one-minute evaluations.
	custom := &types.CustomizedMetricSpecification{Namespace: aws.String("Test/Load"), MetricName: aws.String("CPU"),
		Statistic: types.MetricStatisticAverage, Dimensions: []types.MetricDimension{{Name: aws.String("Service"), Value: aws.String("api")}}}
	put := must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("cpu"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension, PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(60),
			ScaleOutCooldown: aws.Int32(120), ScaleInCooldown: aws.Int32(300), CustomizedMetricSpecification: custom}}))(t)
	high, low := aws.ToString(put.Alarms[0].AlarmName), aws.ToString(put.Alarms[1].AlarmName)

	// The two alarms exist in CloudWatch with AWS's shape.
	alarms := must(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-service/main/api-")}))(t).MetricAlarms
	if len(alarms) != 2 {
		t.Fatalf("DescribeAlarms found %d target tracking alarms, want 2", len(alarms))
	}
	for _, a := range alarms {
		name := aws.ToString(a.AlarmName)
		wantOp, wantThreshold, wantN := cwtypes.ComparisonOperatorGreaterThanThreshold, 60.0, int32(3)
		if name == low {
			wantOp, wantThreshold, wantN = cwtypes.ComparisonOperatorLessThanThreshold, 54.0, 15
		} else if name != high {
			t.Errorf("unexpected alarm %s", name)
		}
		if a.ComparisonOperator != wantOp || aws.ToFloat64(a.Threshold) != wantThreshold || aws.ToInt32(a.EvaluationPeriods) != wantN ||
			aws.ToInt32(a.DatapointsToAlarm) != wantN || aws.ToInt32(a.Period) != 60 || aws.ToString(a.MetricName) != "CPU" ||
			len(a.AlarmActions) != 1 || a.AlarmActions[0] != aws.ToString(put.PolicyARN) ||
			aws.ToString(a.AlarmDescription) != "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "+aws.ToString(put.PolicyARN)+"." {
			t.Errorf("alarm %s = %+v", name, a)
		}
	}

	// load is the work in task-percent; each minute the test publishes
	// load / desired (at most 100) and moves the clock a minute.
	var load float64
	minute := 0
	var history []int32
	step := func() {
		t.Helper()
		d, _ := f.desired(t)
		cpu := min(100, load/float64(d))
		at := start.Add(time.Duration(minute)*time.Minute + 30*time.Second)
		must(cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Test/Load"), MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String("CPU"), Dimensions: []cwtypes.Dimension{{Name: aws.String("Service"), Value: aws.String("api")}},
			Timestamp: aws.Time(at), Value: aws.Float64(cpu)}}}))(t)
		if err := sb.AdvanceClock(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		minute++
		d, _ = f.desired(t)
		history = append(history, d)
		if d < 3 || d > 20 {
			t.Fatalf("minute %d: desired %d outside [3, 20]", minute, d)
		}
	}
	want := func(d int32) {
		t.Helper()
		if got := history[len(history)-1]; got != d {
			t.Fatalf("after minute %d: desired %d, want %d (history %v)", minute, got, d, history)
		}
	}

	// 420 task-percent: 100% CPU on 3 tasks. AlarmHigh needs three
	// breaching minutes: nothing after two, then ceil(3 × 100 / 60) = 5.
	load = 420
	step()
	step()
	want(3)
	step()
	want(5)
	// On 5 tasks CPU is 84%: the alarm stays in ALARM and the policy is
	// invoked again a minute later, but within the 120 s cooldown the
	// capacity just added counts (ceil(3 × 84 / 60) = 5): no change.
	step()
	want(5)
	// The cooldown is over: ceil(5 × 84 / 60) = 7, where CPU is 60%.
	step()
	want(7)
	step()
	want(7)

	// 210 task-percent: 30% on 7 tasks. AlarmLow needs 15 minutes below
	// 54%; then one task goes (conservative scale-in), and the next only
	// after the 300 s scale-in cooldown.
	load = 210
	for range 14 {
		step()
		want(7)
	}
	step()
	want(6)
	for range 4 {
		step()
		want(6)
	}
	step()
	want(5)

	// Every change is a scaling activity with AWS's cause.
	acts := must(f.aas.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(resource)}))(t).ScalingActivities
	var got []string
	for _, a := range acts {
		got = append(got, aws.ToString(a.Description)+" | "+aws.ToString(a.Cause))
	}
	wantActs := []string{
		"Setting desired count to 5. | monitor alarm " + low + " in state ALARM triggered policy cpu",
		"Setting desired count to 6. | monitor alarm " + low + " in state ALARM triggered policy cpu",
		"Setting desired count to 7. | monitor alarm " + high + " in state ALARM triggered policy cpu",
		"Setting desired count to 5. | monitor alarm " + high + " in state ALARM triggered policy cpu",
	}
	if len(got) < len(wantActs) || strings.Join(got[:len(wantActs)], "\n") != strings.Join(wantActs, "\n") {
		t.Errorf("scaling activities (newest first):\n%s\nwant first:\n%s", strings.Join(got, "\n"), strings.Join(wantActs, "\n"))
	}

	// The alarm history shows the policy run as the alarm's action.
	hist := must(cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(high), HistoryItemType: cwtypes.HistoryItemTypeAction}))(t).AlarmHistoryItems
	if len(hist) == 0 || !strings.Contains(aws.ToString(hist[0].HistorySummary), "Successfully executed action "+aws.ToString(put.PolicyARN)) {
		t.Errorf("action history of %s = %d items, first %q", high, len(hist), aws.ToString(hist[0].HistorySummary))
	}

	// Deleting the policy deletes its alarms.
	must(f.aas.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("cpu"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(resource), ScalableDimension: dimension}))(t)
	if left := must(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-")}))(t).MetricAlarms; len(left) != 0 {
		t.Errorf("alarms left after deleting the policy: %d", len(left))
	}
}
