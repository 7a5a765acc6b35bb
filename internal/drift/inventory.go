package drift

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/target"
)

// AWSInventory lists tagged resources through the AWS APIs (the Resource
// Groups Tagging API would do it in one call, but the sandbox does not
// serve it, and it misses IAM). It covers the kinds of resource the
// blueprint creates and that outlive a stack by mistake: SNS topics,
// CloudWatch metric and composite alarms, CloudWatch Logs log groups,
// Lambda functions, ECS clusters and services, load balancers and target
// groups, VPCs, subnets, security groups, EventBridge rules (default bus)
// and IAM roles (service-linked ones aside). KMS keys (listed for weeks
// while pending deletion), S3 buckets and DynamoDB tables (the state
// bucket and lock table bootstrap makes) are not listed.
type AWSInventory struct {
	cfg aws.Config
}

// NewAWSInventory returns an inventory of the account cfg points at.
func NewAWSInventory(cfg aws.Config) *AWSInventory {
	return &AWSInventory{cfg: cfg}
}

// AWSConfig builds an aws-sdk-go-v2 config for a resolved target: the
// sandbox's endpoint and credentials, or the standard credential chain of
// the environment's region for AWS.
func AWSConfig(ctx context.Context, t *target.Target) (aws.Config, error) {
	region := t.Region
	if region == "" {
		region = t.Env["AWS_REGION"]
	}
	if url := t.Env["AWS_ENDPOINT_URL"]; url != "" {
		return aws.Config{
			Region:       region,
			Credentials:  credentials.NewStaticCredentialsProvider(t.Env["AWS_ACCESS_KEY_ID"], t.Env["AWS_SECRET_ACCESS_KEY"], t.Env["AWS_SESSION_TOKEN"]),
			BaseEndpoint: aws.String(url),
		}, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS credentials for the unmanaged-resource check: %w", err)
	}
	return cfg, nil
}

// lister lists one kind of resource with its tags.
type lister struct {
	types []string
	list  func(inv *AWSInventory, ctx context.Context, tags map[string]string) ([]Resource, error)
}

var listers = []lister{
	{[]string{"aws_sns_topic"}, (*AWSInventory).snsTopics},
	{[]string{"aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm"}, (*AWSInventory).alarms},
	{[]string{"aws_cloudwatch_log_group"}, (*AWSInventory).logGroups},
	{[]string{"aws_lambda_function"}, (*AWSInventory).functions},
	{[]string{"aws_ecs_cluster", "aws_ecs_service"}, (*AWSInventory).ecs},
	{[]string{"aws_lb", "aws_lb_target_group"}, (*AWSInventory).loadBalancers},
	{[]string{"aws_vpc", "aws_subnet", "aws_security_group"}, (*AWSInventory).network},
	{[]string{"aws_cloudwatch_event_rule"}, (*AWSInventory).rules},
	{[]string{"aws_iam_role"}, (*AWSInventory).roles},
}

// Kinds are the resource types the inventory lists.
func (inv *AWSInventory) Kinds() []string {
	var out []string
	for _, l := range listers {
		out = append(out, l.types...)
	}
	return out
}

// Tagged lists every resource of the covered kinds that carries all the
// tags. Listings run in parallel; one that fails leaves the others'
// results standing and is named in the error.
func (inv *AWSInventory) Tagged(ctx context.Context, tags map[string]string) ([]Resource, error) {
	var (
		mu   sync.Mutex
		out  []Resource
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, 4)
	for _, l := range listers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rs, err := l.list(inv, ctx, tags)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("list %s: %w", strings.Join(l.types, ", "), err))
			}
			for _, r := range rs {
				if hasTags(r.Tags, tags) {
					out = append(out, r)
				}
			}
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].ID < out[j].ID
	})
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return out, errors.Join(errs...)
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// eachTags runs fetch for every item, 8 at a time, and keeps the items
// whose tags match; fetch returns the tags of one item.
func eachTags(ctx context.Context, items []Resource, want map[string]string, fetch func(ctx context.Context, r Resource) (map[string]string, error)) ([]Resource, error) {
	var (
		mu   sync.Mutex
		out  []Resource
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tags, err := fetch(ctx, it)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if len(errs) < 3 {
					errs = append(errs, err)
				}
				return
			}
			it.Tags = tags
			if hasTags(tags, want) {
				out = append(out, it)
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (inv *AWSInventory) snsTopics(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := sns.NewFromConfig(inv.cfg)
	var items []Resource
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Topics {
			arn := aws.ToString(t.TopicArn)
			items = append(items, Resource{Type: "aws_sns_topic", ID: arn, ARN: arn})
		}
	}
	return eachTags(ctx, items, want, func(ctx context.Context, r Resource) (map[string]string, error) {
		out, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(r.ARN)})
		if err != nil {
			return nil, err
		}
		tags := map[string]string{}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return tags, nil
	})
}

func (inv *AWSInventory) alarms(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := cloudwatch.NewFromConfig(inv.cfg)
	var items []Resource
	p := cloudwatch.NewDescribeAlarmsPaginator(c, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.MetricAlarms {
			items = append(items, Resource{Type: "aws_cloudwatch_metric_alarm", ID: aws.ToString(a.AlarmName), ARN: aws.ToString(a.AlarmArn)})
		}
		for _, a := range page.CompositeAlarms {
			items = append(items, Resource{Type: "aws_cloudwatch_composite_alarm", ID: aws.ToString(a.AlarmName), ARN: aws.ToString(a.AlarmArn)})
		}
	}
	return eachTags(ctx, items, want, func(ctx context.Context, r Resource) (map[string]string, error) {
		out, err := c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(r.ARN)})
		if err != nil {
			return nil, err
		}
		tags := map[string]string{}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return tags, nil
	})
}

func (inv *AWSInventory) logGroups(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := cloudwatchlogs.NewFromConfig(inv.cfg)
	var items []Resource
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.LogGroups {
			arn := aws.ToString(g.LogGroupArn)
			if arn == "" {
				arn = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
			}
			items = append(items, Resource{Type: "aws_cloudwatch_log_group", ID: aws.ToString(g.LogGroupName), ARN: arn})
		}
	}
	return eachTags(ctx, items, want, func(ctx context.Context, r Resource) (map[string]string, error) {
		out, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(r.ARN)})
		if err != nil {
			return nil, err
		}
		return out.Tags, nil
	})
}

func (inv *AWSInventory) functions(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := lambda.NewFromConfig(inv.cfg)
	var items []Resource
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range page.Functions {
			items = append(items, Resource{Type: "aws_lambda_function", ID: aws.ToString(f.FunctionName), ARN: aws.ToString(f.FunctionArn)})
		}
	}
	return eachTags(ctx, items, want, func(ctx context.Context, r Resource) (map[string]string, error) {
		out, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(r.ARN)})
		if err != nil {
			return nil, err
		}
		return out.Tags, nil
	})
}

func ecsTags(ts []ecstypes.Tag) map[string]string {
	tags := map[string]string{}
	for _, t := range ts {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

func (inv *AWSInventory) ecs(ctx context.Context, _ map[string]string) ([]Resource, error) {
	c := ecs.NewFromConfig(inv.cfg)
	var arns []string
	p := ecs.NewListClustersPaginator(c, &ecs.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		arns = append(arns, page.ClusterArns...)
	}
	var out []Resource
	for _, batch := range chunks(arns, 100) {
		d, err := c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: batch, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
		if err != nil {
			return out, err
		}
		for _, cl := range d.Clusters {
			arn := aws.ToString(cl.ClusterArn)
			out = append(out, Resource{Type: "aws_ecs_cluster", ID: arn, ARN: arn, Tags: ecsTags(cl.Tags)})
		}
	}
	for _, cluster := range arns {
		var svcs []string
		sp := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
		for sp.HasMorePages() {
			page, err := sp.NextPage(ctx)
			if err != nil {
				return out, err
			}
			svcs = append(svcs, page.ServiceArns...)
		}
		for _, batch := range chunks(svcs, 10) {
			d, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
			if err != nil {
				return out, err
			}
			for _, s := range d.Services {
				if aws.ToString(s.Status) == "INACTIVE" {
					continue
				}
				arn := aws.ToString(s.ServiceArn)
				out = append(out, Resource{Type: "aws_ecs_service", ID: arn, ARN: arn, Tags: ecsTags(s.Tags)})
			}
		}
	}
	return out, nil
}

func (inv *AWSInventory) loadBalancers(ctx context.Context, _ map[string]string) ([]Resource, error) {
	c := elbv2.NewFromConfig(inv.cfg)
	var items []Resource
	lp := elbv2.NewDescribeLoadBalancersPaginator(c, &elbv2.DescribeLoadBalancersInput{})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, lb := range page.LoadBalancers {
			arn := aws.ToString(lb.LoadBalancerArn)
			items = append(items, Resource{Type: "aws_lb", ID: arn, ARN: arn})
		}
	}
	tp := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tg := range page.TargetGroups {
			arn := aws.ToString(tg.TargetGroupArn)
			items = append(items, Resource{Type: "aws_lb_target_group", ID: arn, ARN: arn})
		}
	}
	byARN := map[string]int{}
	arns := make([]string, len(items))
	for i, it := range items {
		byARN[it.ARN] = i
		arns[i] = it.ARN
	}
	for _, batch := range chunks(arns, 20) {
		d, err := c.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: batch})
		if err != nil {
			return nil, err
		}
		for _, td := range d.TagDescriptions {
			if i, ok := byARN[aws.ToString(td.ResourceArn)]; ok {
				items[i].Tags = elbTags(td.Tags)
			}
		}
	}
	return items, nil
}

func elbTags(ts []elbtypes.Tag) map[string]string {
	tags := map[string]string{}
	for _, t := range ts {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

func ec2Tags(ts []ec2types.Tag) map[string]string {
	tags := map[string]string{}
	for _, t := range ts {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

func (inv *AWSInventory) network(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := ec2.NewFromConfig(inv.cfg)
	var filters []ec2types.Filter
	for k, v := range want {
		filters = append(filters, ec2types.Filter{Name: aws.String("tag:" + k), Values: []string{v}})
	}
	region, account := inv.cfg.Region, ""
	arn := func(kind, id, owner string) string {
		if owner == "" {
			owner = account
		}
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", region, owner, kind, id)
	}
	var out []Resource
	vp := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{Filters: filters})
	for vp.HasMorePages() {
		page, err := vp.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, v := range page.Vpcs {
			id := aws.ToString(v.VpcId)
			out = append(out, Resource{Type: "aws_vpc", ID: id, ARN: arn("vpc", id, aws.ToString(v.OwnerId)), Tags: ec2Tags(v.Tags)})
		}
	}
	sp := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{Filters: filters})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, s := range page.Subnets {
			id := aws.ToString(s.SubnetId)
			a := aws.ToString(s.SubnetArn)
			if a == "" {
				a = arn("subnet", id, aws.ToString(s.OwnerId))
			}
			out = append(out, Resource{Type: "aws_subnet", ID: id, ARN: a, Tags: ec2Tags(s.Tags)})
		}
	}
	gp := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{Filters: filters})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, g := range page.SecurityGroups {
			id := aws.ToString(g.GroupId)
			a := aws.ToString(g.SecurityGroupArn)
			if a == "" {
				a = arn("security-group", id, aws.ToString(g.OwnerId))
			}
			out = append(out, Resource{Type: "aws_security_group", ID: id, ARN: a, Tags: ec2Tags(g.Tags)})
		}
	}
	return out, nil
}

func (inv *AWSInventory) rules(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := eventbridge.NewFromConfig(inv.cfg)
	var items []Resource
	var token *string
	for {
		page, err := c.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: token})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rules {
			items = append(items, Resource{Type: "aws_cloudwatch_event_rule", ID: aws.ToString(r.Name), ARN: aws.ToString(r.Arn)})
		}
		if token = page.NextToken; token == nil || *token == "" {
			break
		}
	}
	return eachTags(ctx, items, want, func(ctx context.Context, r Resource) (map[string]string, error) {
		out, err := c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(r.ARN)})
		if err != nil {
			return nil, err
		}
		tags := map[string]string{}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return tags, nil
	})
}

func (inv *AWSInventory) roles(ctx context.Context, want map[string]string) ([]Resource, error) {
	c := iam.NewFromConfig(inv.cfg)
	var items []Resource
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Roles {
			if strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/") {
				continue
			}
			items = append(items, Resource{Type: "aws_iam_role", ID: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn)})
		}
	}
	return eachTags(ctx, items, want, func(ctx context.Context, r Resource) (map[string]string, error) {
		tags := map[string]string{}
		tp := iam.NewListRoleTagsPaginator(c, &iam.ListRoleTagsInput{RoleName: aws.String(r.ID)})
		for tp.HasMorePages() {
			page, err := tp.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, t := range page.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		return tags, nil
	})
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
