package gameday

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Target is the workload a game day exercises, found in the sandbox.
type Target struct {
	Cluster        string `json:"cluster"`
	Service        string `json:"service"`
	LoadBalancer   string `json:"load_balancer"`
	TargetGroupARN string `json:"target_group_arn"`
	PagerTopicARN  string `json:"pager_topic_arn"`
	// Remediator is the remediation function's name ("" if none), whose
	// log group holds its incident records.
	Remediator string `json:"remediator,omitempty"`
}

// Discover finds the workload in the sandbox: the ECS service behind a
// load balancer (exactly one), the SNS topic whose name contains "pager"
// and the Lambda function whose name contains "remediator".
func Discover(ctx context.Context, cfg aws.Config) (Target, error) {
	var t Target
	ec := ecs.NewFromConfig(cfg)
	clusters, err := ec.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		return t, fmt.Errorf("list ECS clusters: %w", err)
	}
	var found []string
	for _, c := range clusters.ClusterArns {
		svcs, err := ec.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(c)})
		if err != nil {
			return t, fmt.Errorf("list ECS services of %s: %w", c, err)
		}
		if len(svcs.ServiceArns) == 0 {
			continue
		}
		desc, err := ec.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(c), Services: svcs.ServiceArns})
		if err != nil {
			return t, fmt.Errorf("describe ECS services of %s: %w", c, err)
		}
		for _, s := range desc.Services {
			if aws.ToString(s.Status) != "ACTIVE" || len(s.LoadBalancers) == 0 {
				continue
			}
			found = append(found, aws.ToString(s.ServiceName))
			t.Cluster, t.Service = lastPart(aws.ToString(s.ClusterArn)), aws.ToString(s.ServiceName)
			t.TargetGroupARN = aws.ToString(s.LoadBalancers[0].TargetGroupArn)
		}
	}
	switch len(found) {
	case 0:
		return t, fmt.Errorf("no ECS service behind a load balancer in the sandbox: apply the environment first (vigil up --env dev)")
	case 1:
	default:
		return t, fmt.Errorf("several ECS services behind load balancers (%s): a game day needs exactly one", strings.Join(found, ", "))
	}
	tgs, err := elbv2.NewFromConfig(cfg).DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{t.TargetGroupARN}})
	if err != nil {
		return t, fmt.Errorf("describe target group %s: %w", t.TargetGroupARN, err)
	}
	if len(tgs.TargetGroups) == 0 || len(tgs.TargetGroups[0].LoadBalancerArns) == 0 {
		return t, fmt.Errorf("target group %s of service %s has no load balancer", t.TargetGroupARN, t.Service)
	}
	t.LoadBalancer = tgs.TargetGroups[0].LoadBalancerArns[0]

	topics, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		return t, fmt.Errorf("list SNS topics: %w", err)
	}
	for _, tp := range topics.Topics {
		if strings.Contains(lastColon(aws.ToString(tp.TopicArn)), "pager") {
			t.PagerTopicARN = aws.ToString(tp.TopicArn)
		}
	}
	if t.PagerTopicARN == "" {
		return t, fmt.Errorf("no SNS topic named like *pager* in the sandbox: apply the observability layer first")
	}
	fns, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		return t, fmt.Errorf("list Lambda functions: %w", err)
	}
	for _, f := range fns.Functions {
		if strings.Contains(aws.ToString(f.FunctionName), "remediator") {
			t.Remediator = aws.ToString(f.FunctionName)
		}
	}
	return t, nil
}

func lastPart(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func lastColon(arn string) string { return arn[strings.LastIndexByte(arn, ':')+1:] }
