package e2e_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/testutil"
)

var blueprintServices = []string{"s3", "sts", "dynamodb", "kms", "iam", "ec2", "logs", "monitoring", "sns", "events", "lambda", "ecs", "elasticloadbalancing", "application-autoscaling"}

// TestBlueprintDevLayerByLayer applies blueprint/live/dev to a fresh
// sandbox with plain terraform (the way `vigil sandbox env` users would):
// the state backend first, then the four layers in order, each followed by
// a plan that must show no changes; then destroys in reverse order and
// checks that only the state backend is left.
func TestBlueprintDevLayerByLayer(t *testing.T) {
	sb := sandboxtest.Start(t)
	needServices(t, sb, blueprintServices...)
	x := newTF(t, sb)

	work := t.TempDir()
	testutil.CopyTree(t, filepath.Join(repoRoot(t), "blueprint"), work)
	writeZip(t, filepath.Join(work, "live", "dev", "remediation", "remediator.zip"), "#!/bin/sh\n# e2e fixture: the sandbox stores Lambda code; it does not run it in this test\n")

	boot := filepath.Join(work, "bootstrap", "dev")
	x.init(boot)
	x.apply(boot)
	x.planClean(boot)

	layers := []string{"foundation", "workload", "observability", "remediation"}
	for _, layer := range layers {
		dir := filepath.Join(work, "live", "dev", layer)
		t.Logf("apply dev/%s", layer)
		x.init(dir)
		x.apply(dir)
		x.planClean(dir)
	}

	// Every state object is in the bucket.
	ctx := context.Background()
	cfg := sb.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	objs, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: ptr("vigil-dev-tfstate"), Prefix: ptr("dev/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs.Contents {
		keys = append(keys, *o.Key)
	}
	for _, layer := range layers {
		want := "dev/" + layer + "/terraform.tfstate"
		if !contains(keys, want) {
			t.Errorf("state object %s missing from the bucket; have %v", want, keys)
		}
	}

	for i := len(layers) - 1; i >= 0; i-- {
		dir := filepath.Join(work, "live", "dev", layers[i])
		t.Logf("destroy dev/%s", layers[i])
		x.destroy(dir)
	}
	assertOnlyStateBackendLeftExcept(t, sb, true)
}

// assertOnlyStateBackendLeftExcept checks that no resource of the kinds the
// blueprint creates is left; the state backend's lock table is expected
// when withLockTable is set.
func assertOnlyStateBackendLeftExcept(t *testing.T, sb *sandboxtest.Sandbox, withLockTable bool) {
	t.Helper()
	ctx := context.Background()
	cfg := sb.AWSConfig()
	left := func(kind string, names []string) {
		if len(names) > 0 {
			t.Errorf("after destroy, %s left behind: %v", kind, names)
		}
	}
	vpcs, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var v []string
	for _, x := range vpcs.Vpcs {
		v = append(v, *x.VpcId)
	}
	left("VPCs", v)

	clusters, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(clusters.ClusterArns) > 0 {
		d, err := ecs.NewFromConfig(cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: clusters.ClusterArns})
		if err != nil {
			t.Fatal(err)
		}
		var active []string
		for _, c := range d.Clusters {
			if *c.Status == "ACTIVE" {
				active = append(active, *c.ClusterName)
			}
		}
		left("ECS clusters", active)
	}

	lbs, err := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var l []string
	for _, x := range lbs.LoadBalancers {
		l = append(l, *x.LoadBalancerName)
	}
	left("load balancers", l)

	topics, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var tp []string
	for _, x := range topics.Topics {
		tp = append(tp, *x.TopicArn)
	}
	left("SNS topics", tp)

	alarms, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var al []string
	for _, x := range alarms.MetricAlarms {
		al = append(al, *x.AlarmName)
	}
	left("alarms", al)

	fns, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var fn []string
	for _, x := range fns.Functions {
		fn = append(fn, *x.FunctionName)
	}
	left("Lambda functions", fn)

	rules, err := eventbridge.NewFromConfig(cfg).ListRules(ctx, &eventbridge.ListRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ru []string
	for _, x := range rules.Rules {
		ru = append(ru, *x.Name)
	}
	left("EventBridge rules", ru)

	groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var lg []string
	for _, x := range groups.LogGroups {
		lg = append(lg, *x.LogGroupName)
	}
	left("log groups", lg)

	roles, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var rl []string
	for _, x := range roles.Roles {
		if !strings.HasPrefix(*x.Path, "/aws-service-role/") {
			rl = append(rl, *x.RoleName)
		}
	}
	left("IAM roles", rl)

	tables, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	if withLockTable {
		want = 1
	}
	if len(tables.TableNames) != want {
		t.Errorf("after destroy, want %d DynamoDB tables (the state lock table); have %v", want, tables.TableNames)
	}
}

func ptr[T any](v T) *T { return &v }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
