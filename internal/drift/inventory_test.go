package drift_test

import (
	"archive/zip"
	"bytes"
	"context"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// TestAWSInventory creates one resource of every listed kind with the
// environment's tags, and one with another environment's, in the sandbox
// (no terraform), and checks the inventory finds exactly the first ones,
// with the ids Terraform uses.
func TestAWSInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox")
	}
	sb := sandboxtest.Start(t)
	cfg := sb.AWSConfig()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tagsFor := func(env string) map[string]string {
		return map[string]string{"vigil:env": env, "managed-by": "vigil", "vigil:layer": "x"}
	}
	var want []string
	for _, env := range []string{"dev", "prod"} {
		tags := tagsFor(env)
		name := env + "-thing"
		keep := func(typ, id string) {
			if env == "dev" {
				want = append(want, typ+" "+id)
			}
		}

		topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: snsTags(tags)})
		must(topic, err)
		keep("aws_sns_topic", aws.ToString(topic.TopicArn))

		cw := cloudwatch.NewFromConfig(cfg)
		must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("HTTPCode_Target_5XX_Count"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(25), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, Tags: cwTags(tags)}))
		keep("aws_cloudwatch_metric_alarm", name)

		must(cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/vigil/" + name), Tags: tags}))
		keep("aws_cloudwatch_log_group", "/vigil/"+name)

		role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), Tags: iamTags(tags)})
		must(role, err)
		keep("aws_iam_role", name)

		must(lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: bootstrapZip(t)}, Tags: tags}))
		keep("aws_lambda_function", name)

		cl, err := ecs.NewFromConfig(cfg).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Tags: ecsTags(tags)})
		must(cl, err)
		keep("aws_ecs_cluster", aws.ToString(cl.Cluster.ClusterArn))

		ec := ec2.NewFromConfig(cfg)
		vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), TagSpecifications: ec2Tags(ec2types.ResourceTypeVpc, tags)})
		must(vpc, err)
		vpcID := aws.ToString(vpc.Vpc.VpcId)
		keep("aws_vpc", vpcID)
		sub, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.1.1.0/24"), TagSpecifications: ec2Tags(ec2types.ResourceTypeSubnet, tags)})
		must(sub, err)
		keep("aws_subnet", aws.ToString(sub.Subnet.SubnetId))
		sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String("x"), VpcId: aws.String(vpcID), TagSpecifications: ec2Tags(ec2types.ResourceTypeSecurityGroup, tags)})
		must(sg, err)
		keep("aws_security_group", aws.ToString(sg.GroupId))

		tg, err := elbv2.NewFromConfig(cfg).CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp, Tags: elbTags(tags)})
		must(tg, err)
		keep("aws_lb_target_group", aws.ToString(tg.TargetGroups[0].TargetGroupArn))

		rule, err := eventbridge.NewFromConfig(cfg).PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(`{"source":["aws.cloudwatch"]}`), Tags: ebTags(tags)})
		must(rule, err)
		keep("aws_cloudwatch_event_rule", name)
	}
	// Untagged: never listed.
	must(sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("untagged")}))

	inv := drift.NewAWSInventory(cfg)
	found, err := inv.Tagged(ctx, map[string]string{"vigil:env": "dev", "managed-by": "vigil"})
	if err != nil {
		t.Fatalf("Tagged: %v", err)
	}
	var got []string
	for _, r := range found {
		got = append(got, r.Type+" "+r.ID)
		if r.ARN == "" {
			t.Errorf("%s %s has no ARN", r.Type, r.ID)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("found:\n%v\nwant:\n%v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("found %q, want %q", got[i], want[i])
		}
	}
}

func bootstrapZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func snsTags(m map[string]string) (out []snstypes.Tag) {
	for k, v := range m {
		out = append(out, snstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func cwTags(m map[string]string) (out []cwtypes.Tag) {
	for k, v := range m {
		out = append(out, cwtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func iamTags(m map[string]string) (out []iamtypes.Tag) {
	for k, v := range m {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func ecsTags(m map[string]string) (out []ecstypes.Tag) {
	for k, v := range m {
		out = append(out, ecstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func ec2Tags(rt ec2types.ResourceType, m map[string]string) []ec2types.TagSpecification {
	var tags []ec2types.Tag
	for k, v := range m {
		tags = append(tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: tags}}
}

func elbTags(m map[string]string) (out []elbtypes.Tag) {
	for k, v := range m {
		out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func ebTags(m map[string]string) (out []ebtypes.Tag) {
	for k, v := range m {
		out = append(out, ebtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}
