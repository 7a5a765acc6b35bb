package ecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/sandbox/workload"
)

// fixture is a sandbox with a VPC (two subnets in two zones, a security
// group), a cluster and a Fargate task definition.
type fixture struct {
	ecs     *ecs.Client
	ec2     *ec2.Client
	elb     *elb.Client
	vpc     string
	subnets []string
	cidrs   []string
	sg      string
	cluster string
	td      string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sb := sandboxtest.Start(t)
	instantTasks(t, sb)
	cfg := sb.AWSConfig()
	f := &fixture{ecs: ecs.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg)}
	ctx := context.Background()
	vpc := must(f.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")}))(t)
	f.vpc = aws.ToString(vpc.Vpc.VpcId)
	azs := must(f.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}))(t)
	for i, cidr := range []string{"10.9.0.0/24", "10.9.1.0/24"} {
		sn := must(f.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(f.vpc), CidrBlock: aws.String(cidr), AvailabilityZone: azs.AvailabilityZones[i].ZoneName}))(t)
		f.subnets = append(f.subnets, aws.ToString(sn.Subnet.SubnetId))
		f.cidrs = append(f.cidrs, cidr)
	}
	sg := must(f.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("tasks"), Description: aws.String("tasks"), VpcId: aws.String(f.vpc)}))(t)
	f.sg = aws.ToString(sg.GroupId)
	c := must(f.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("main")}))(t)
	f.cluster = aws.ToString(c.Cluster.ClusterArn)
	f.td = f.registerTD(t, "app", "nginx:1")
	return f
}

// instantTasks makes tasks RUNNING as soon as they are placed: these tests
// check the API; the timed behaviour (start delay, health, circuit
// breaker) is tested in internal/sandbox/workload.
func instantTasks(t *testing.T, sb *sandboxtest.Sandbox) {
	t.Helper()
	zero := chaos.Duration(0)
	if _, err := sb.Workload().Configure(context.Background(), workload.SettingsUpdate{TaskStartDelay: &zero}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) registerTD(t *testing.T, family, image string) string {
	t.Helper()
	out := must(f.ecs.RegisterTaskDefinition(context.Background(), fargateTD(family, image)))(t)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func fargateTD(family, image string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"), ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image),
			PortMappings:     []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "g"}}}},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}},
	}
}

func (f *fixture) network() *types.NetworkConfiguration {
	return &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets, SecurityGroups: []string{f.sg}}}
}

func (f *fixture) createService(t *testing.T, name string, desired int32, mod func(*ecs.CreateServiceInput)) types.Service {
	t.Helper()
	in := &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(f.td),
		DesiredCount: aws.Int32(desired), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network()}
	if mod != nil {
		mod(in)
	}
	return *must(f.ecs.CreateService(context.Background(), in))(t).Service
}

func (f *fixture) describeService(t *testing.T, name string) types.Service {
	t.Helper()
	out := must(f.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(f.cluster), Services: []string{name}, Include: []types.ServiceField{types.ServiceFieldTags}}))(t)
	if len(out.Services) != 1 {
		t.Fatalf("DescribeServices(%s) = %+v", name, out)
	}
	return out.Services[0]
}

func (f *fixture) serviceTasks(t *testing.T, name string, status types.DesiredStatus) []types.Task {
	t.Helper()
	ctx := context.Background()
	arns := must(f.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(f.cluster), ServiceName: aws.String(name), DesiredStatus: status}))(t).TaskArns
	if len(arns) == 0 {
		return nil
	}
	return must(f.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(f.cluster), Tasks: arns, Include: []types.TaskField{types.TaskFieldTags}}))(t).Tasks
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

func TestClusterLifecycle(t *testing.T) {
	sb := sandboxtest.Start(t)
	c := ecs.NewFromConfig(sb.AWSConfig())
	ctx := context.Background()
	out := must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod"),
		Settings:      []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
		Configuration: &types.ClusterConfiguration{ExecuteCommandConfiguration: &types.ExecuteCommandConfiguration{Logging: types.ExecuteCommandLoggingDefault}},
		Tags:          []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t).Cluster
	arn := aws.ToString(out.ClusterArn)
	if arn != "arn:aws:ecs:us-east-1:123456789012:cluster/prod" || aws.ToString(out.Status) != "ACTIVE" {
		t.Fatalf("created cluster = %+v", out)
	}
	again := must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))(t).Cluster
	if aws.ToString(again.ClusterArn) != arn || aws.ToString(again.Settings[0].Value) != "enabled" {
		t.Errorf("CreateCluster of an existing cluster = %+v", again)
	}

	d := must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod", "nope"},
		Include: []types.ClusterField{types.ClusterFieldSettings, types.ClusterFieldTags, types.ClusterFieldConfigurations}}))(t)
	if len(d.Clusters) != 1 || len(d.Failures) != 1 || aws.ToString(d.Failures[0].Reason) != "MISSING" ||
		aws.ToString(d.Failures[0].Arn) != "arn:aws:ecs:us-east-1:123456789012:cluster/nope" {
		t.Fatalf("DescribeClusters = %+v", d)
	}
	got := d.Clusters[0]
	if len(got.Tags) != 1 || got.Configuration == nil || got.Configuration.ExecuteCommandConfiguration.Logging != types.ExecuteCommandLoggingDefault {
		t.Errorf("described cluster = %+v", got)
	}
	plain := must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{arn}}))(t).Clusters[0]
	if len(plain.Tags) != 0 || len(plain.Settings) != 0 {
		t.Errorf("describe without include returned tags or settings: %+v", plain)
	}

	upd := must(c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("prod"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("disabled")}}}))(t).Cluster
	if aws.ToString(upd.Settings[0].Value) != "disabled" {
		t.Errorf("UpdateClusterSettings = %+v", upd.Settings)
	}
	must(c.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String(arn),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enhanced")}}}))(t)
	cp := must(c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("prod"), CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1, Base: 1}}}))(t).Cluster
	if len(cp.CapacityProviders) != 2 || len(cp.DefaultCapacityProviderStrategy) != 1 {
		t.Errorf("PutClusterCapacityProviders = %+v", cp)
	}
	_, err := c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("prod"), CapacityProviders: []string{"mine"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("custom capacity provider: %v, want InvalidParameterException", err)
	}

	dcp := must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"FARGATE", "mine"}}))(t)
	if len(dcp.CapacityProviders) != 1 || aws.ToString(dcp.CapacityProviders[0].Name) != "FARGATE" || len(dcp.Failures) != 1 {
		t.Errorf("DescribeCapacityProviders = %+v", dcp)
	}

	must(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}}))(t)
	must(c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}}))(t)
	tags := must(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "owner" {
		t.Errorf("tags = %+v", tags)
	}

	list := must(c.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	if len(list.ClusterArns) != 1 || list.ClusterArns[0] != arn {
		t.Errorf("ListClusters = %v", list.ClusterArns)
	}
	del := must(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")}))(t).Cluster
	if aws.ToString(del.Status) != "INACTIVE" {
		t.Errorf("DeleteCluster status = %s", aws.ToString(del.Status))
	}
	d = must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod"}}))(t)
	if len(d.Clusters) != 1 || aws.ToString(d.Clusters[0].Status) != "INACTIVE" {
		t.Errorf("deleted cluster = %+v", d)
	}
	_, err = c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")})
	var cnf *types.ClusterNotFoundException
	if !errors.As(err, &cnf) {
		t.Errorf("delete deleted cluster: %v, want ClusterNotFoundException", err)
	}
	_, err = c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bad name!")})
	wantCode(t, err, "InvalidParameterException")
}

func TestTaskDefinitions(t *testing.T) {
	sb := sandboxtest.Start(t)
	c := ecs.NewFromConfig(sb.AWSConfig())
	ctx := context.Background()
	out := must(c.RegisterTaskDefinition(ctx, fargateTD("web", "nginx:1")))(t)
	td := out.TaskDefinition
	if aws.ToString(td.TaskDefinitionArn) != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1" || td.Revision != 1 ||
		td.Status != types.TaskDefinitionStatusActive || len(out.Tags) != 1 {
		t.Fatalf("registered = %+v", td)
	}
	cd := td.ContainerDefinitions[0]
	if !aws.ToBool(cd.Essential) || aws.ToInt32(cd.PortMappings[0].HostPort) != 8080 || cd.PortMappings[0].Protocol != types.TransportProtocolTcp {
		t.Errorf("registration defaults not applied: %+v", cd)
	}
	fargate := false
	for _, c := range td.Compatibilities {
		fargate = fargate || c == types.CompatibilityFargate
	}
	if !fargate {
		t.Errorf("compatibilities = %v", td.Compatibilities)
	}
	must(c.RegisterTaskDefinition(ctx, fargateTD("web", "nginx:2")))(t)
	latest := must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web"), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}}))(t)
	if latest.TaskDefinition.Revision != 2 || aws.ToString(latest.TaskDefinition.ContainerDefinitions[0].Image) != "nginx:2" || len(latest.Tags) != 1 {
		t.Errorf("latest revision = %+v", latest.TaskDefinition)
	}
	first := must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1")}))(t)
	if aws.ToString(first.TaskDefinition.ContainerDefinitions[0].Image) != "nginx:1" || len(first.Tags) != 0 {
		t.Errorf("revision 1 = %+v (tags %v)", first.TaskDefinition, first.Tags)
	}

	invalid := []struct {
		name string
		mod  func(*ecs.RegisterTaskDefinitionInput)
	}{
		{"fargate size", func(in *ecs.RegisterTaskDefinitionInput) { in.Memory = aws.String("4096") }},
		{"fargate without cpu", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu = nil }},
		{"fargate bridge mode", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = types.NetworkModeBridge }},
		{"awslogs without execution role", func(in *ecs.RegisterTaskDefinitionInput) { in.ExecutionRoleArn = nil }},
		{"no image", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Image = nil }},
		{"duplicate container", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions = append(in.ContainerDefinitions, in.ContainerDefinitions[0])
		}},
		{"host port differs in awsvpc", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(80)
		}},
		{"bad role", func(in *ecs.RegisterTaskDefinitionInput) { in.TaskRoleArn = aws.String("role") }},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			in := fargateTD("bad", "nginx")
			tt.mod(in)
			_, err := c.RegisterTaskDefinition(ctx, in)
			var ce *types.ClientException
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want ClientException", err)
			}
		})
	}
	// "1 vCPU" and "2 GB" are normalised to units.
	units := fargateTD("units", "nginx")
	units.Cpu, units.Memory = aws.String("1 vCPU"), aws.String("2 GB")
	ut := must(c.RegisterTaskDefinition(ctx, units))(t).TaskDefinition
	if aws.ToString(ut.Cpu) != "1024" || aws.ToString(ut.Memory) != "2048" {
		t.Errorf("cpu/memory = %s/%s", aws.ToString(ut.Cpu), aws.ToString(ut.Memory))
	}

	_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nope")})
	var ce *types.ClientException
	if !errors.As(err, &ce) {
		t.Errorf("describe missing: %v, want ClientException", err)
	}
	dereg := must(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:2")}))(t).TaskDefinition
	if dereg.Status != types.TaskDefinitionStatusInactive || dereg.DeregisteredAt == nil {
		t.Errorf("deregistered = %+v", dereg)
	}
	if td := must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")}))(t).TaskDefinition; td.Revision != 1 {
		t.Errorf("latest ACTIVE after deregistering 2 = revision %d", td.Revision)
	}
	_, err = c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web")})
	wantCode(t, err, "ClientException")

	list := must(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web")}))(t)
	if len(list.TaskDefinitionArns) != 1 || !strings.HasSuffix(list.TaskDefinitionArns[0], "web:1") {
		t.Errorf("ListTaskDefinitions = %v", list.TaskDefinitionArns)
	}
	all := must(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Sort: types.SortOrderDesc}))(t).TaskDefinitionArns
	if len(all) != 2 || !strings.HasSuffix(all[0], "web:1") {
		t.Errorf("ListTaskDefinitions DESC = %v", all)
	}
	fams := must(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{}))(t)
	if len(fams.Families) != 2 {
		t.Errorf("families = %v", fams.Families)
	}

	del := must(c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"web:1", "web:2"}}))(t)
	if len(del.TaskDefinitions) != 1 || len(del.Failures) != 1 || del.TaskDefinitions[0].Status != types.TaskDefinitionStatusDeleteInProgress {
		t.Errorf("DeleteTaskDefinitions = %+v", del)
	}
	// A new registration never reuses a revision number.
	if td := must(c.RegisterTaskDefinition(ctx, fargateTD("web", "nginx:3")))(t).TaskDefinition; td.Revision != 3 {
		t.Errorf("revision after 2 = %d", td.Revision)
	}
}

func TestServiceLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.createService(t, "api", 3, func(in *ecs.CreateServiceInput) {
		in.DeploymentConfiguration = &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}}
		in.PropagateTags = types.PropagateTagsService
		in.EnableECSManagedTags = true
		in.Tags = []types.Tag{{Key: aws.String("app"), Value: aws.String("api")}}
	})
	if svc.RunningCount != 3 || svc.DesiredCount != 3 || aws.ToString(svc.Status) != "ACTIVE" || len(svc.Deployments) != 1 ||
		svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted || aws.ToString(svc.PlatformVersion) != "LATEST" ||
		!svc.DeploymentConfiguration.DeploymentCircuitBreaker.Enable || aws.ToInt32(svc.DeploymentConfiguration.MaximumPercent) != 200 ||
		svc.PropagateTags != types.PropagateTagsService || svc.AvailabilityZoneRebalancing != types.AvailabilityZoneRebalancingDisabled {
		t.Fatalf("created service = %+v", svc)
	}
	tasks := f.serviceTasks(t, "api", types.DesiredStatusRunning)
	if len(tasks) != 3 {
		t.Fatalf("tasks = %d, want 3", len(tasks))
	}
	zones := map[string]bool{}
	for _, task := range tasks {
		zones[aws.ToString(task.AvailabilityZone)] = true
		if aws.ToString(task.LastStatus) != "RUNNING" || aws.ToString(task.Group) != "service:api" || task.LaunchType != types.LaunchTypeFargate {
			t.Errorf("task = %+v", task)
		}
		ip := aws.ToString(task.Containers[0].NetworkInterfaces[0].PrivateIpv4Address)
		in := false
		for _, cidr := range f.cidrs {
			_, n, _ := net.ParseCIDR(cidr)
			in = in || n.Contains(net.ParseIP(ip))
		}
		if !in {
			t.Errorf("task address %s is in none of the subnets %v", ip, f.cidrs)
		}
		tags := map[string]string{}
		for _, tg := range task.Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if tags["app"] != "api" || tags["aws:ecs:serviceName"] != "api" {
			t.Errorf("task tags = %v", tags)
		}
	}
	if len(zones) != 2 {
		t.Errorf("tasks are in zones %v, want both", zones)
	}

	// Stopping a task starts a replacement.
	must(f.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(f.cluster), Task: tasks[0].TaskArn, Reason: aws.String("test")}))(t)
	if s := f.describeService(t, "api"); s.RunningCount != 3 {
		t.Errorf("running after StopTask = %d, want 3", s.RunningCount)
	}
	stopped := f.serviceTasks(t, "api", types.DesiredStatusStopped)
	if len(stopped) != 1 || aws.ToString(stopped[0].StoppedReason) != "test" || aws.ToString(stopped[0].LastStatus) != "STOPPED" {
		t.Errorf("stopped tasks = %+v", stopped)
	}

	upd := must(f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api"), DesiredCount: aws.Int32(5)}))(t).Service
	if upd.RunningCount != 5 || len(upd.Deployments) != 1 {
		t.Errorf("after scaling to 5 = %+v", upd)
	}
	firstDeployment := aws.ToString(upd.Deployments[0].Id)
	td2 := f.registerTD(t, "app", "nginx:2")
	upd = must(f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api"), TaskDefinition: aws.String(td2)}))(t).Service
	if aws.ToString(upd.TaskDefinition) != td2 || len(upd.Deployments) != 1 || aws.ToString(upd.Deployments[0].Id) == firstDeployment ||
		upd.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted || upd.RunningCount != 5 {
		t.Errorf("after the new task definition = %+v", upd)
	}
	for _, task := range f.serviceTasks(t, "api", types.DesiredStatusRunning) {
		if aws.ToString(task.TaskDefinitionArn) != td2 {
			t.Errorf("task %s still runs %s", aws.ToString(task.TaskArn), aws.ToString(task.TaskDefinitionArn))
		}
	}

	_, err := f.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api")})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("delete a scaled service: %v, want InvalidParameterException", err)
	}
	_, err = f.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(f.cluster)})
	var ccs *types.ClusterContainsServicesException
	if !errors.As(err, &ccs) {
		t.Errorf("delete a cluster with a service: %v, want ClusterContainsServicesException", err)
	}
	must(f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api"), DesiredCount: aws.Int32(0)}))(t)
	del := must(f.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api")}))(t).Service
	if aws.ToString(del.Status) != "DRAINING" {
		t.Errorf("DeleteService status = %s, want DRAINING", aws.ToString(del.Status))
	}
	if s := f.describeService(t, "api"); aws.ToString(s.Status) != "INACTIVE" {
		t.Errorf("deleted service status = %s, want INACTIVE", aws.ToString(s.Status))
	}
	_, err = f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api"), DesiredCount: aws.Int32(1)})
	var sna *types.ServiceNotActiveException
	if !errors.As(err, &sna) {
		t.Errorf("update a deleted service: %v, want ServiceNotActiveException", err)
	}
	_, err = f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("nope"), DesiredCount: aws.Int32(1)})
	var snf *types.ServiceNotFoundException
	if !errors.As(err, &snf) {
		t.Errorf("update a missing service: %v, want ServiceNotFoundException", err)
	}
	missing := must(f.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(f.cluster), Services: []string{"nope"}}))(t)
	if len(missing.Services) != 0 || len(missing.Failures) != 1 || aws.ToString(missing.Failures[0].Reason) != "MISSING" {
		t.Errorf("describe a missing service = %+v", missing)
	}
	_, err = f.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"api"}})
	var cnf *types.ClusterNotFoundException
	if !errors.As(err, &cnf) {
		t.Errorf("describe in a missing cluster: %v, want ClusterNotFoundException", err)
	}
	// The name of an INACTIVE service can be used again.
	f.createService(t, "api", 1, nil)
	// Force-deleting a scaled service works.
	must(f.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("api"), Force: aws.Bool(true)}))(t)
	must(f.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(f.cluster)}))(t)
}

func TestCreateServiceErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bridge := must(f.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("bridge"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("c"), Image: aws.String("i"), Memory: aws.Int32(128)}}}))(t)
	tests := []struct {
		name string
		mod  func(*ecs.CreateServiceInput)
		code string
	}{
		{"missing cluster", func(in *ecs.CreateServiceInput) { in.Cluster = aws.String("nope") }, "ClusterNotFoundException"},
		{"missing task definition", func(in *ecs.CreateServiceInput) { in.TaskDefinition = aws.String("nope:1") }, "InvalidParameterException"},
		{"no network configuration", func(in *ecs.CreateServiceInput) { in.NetworkConfiguration = nil }, "InvalidParameterException"},
		{"unknown subnet", func(in *ecs.CreateServiceInput) {
			in.NetworkConfiguration.AwsvpcConfiguration.Subnets = []string{"subnet-0123456789abcdef0"}
		}, "InvalidParameterException"},
		{"fargate with a bridge task definition", func(in *ecs.CreateServiceInput) {
			in.TaskDefinition, in.NetworkConfiguration = bridge.TaskDefinition.TaskDefinitionArn, nil
		}, "InvalidParameterException"},
		{"grace period without load balancer", func(in *ecs.CreateServiceInput) { in.HealthCheckGracePeriodSeconds = aws.Int32(60) }, "InvalidParameterException"},
		{"launch type and capacity providers", func(in *ecs.CreateServiceInput) {
			in.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE")}}
		}, "InvalidParameterException"},
		{"bad name", func(in *ecs.CreateServiceInput) { in.ServiceName = aws.String("a b") }, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String("svc"), TaskDefinition: aws.String(f.td),
				DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network()}
			tt.mod(in)
			_, err := f.ecs.CreateService(ctx, in)
			wantCode(t, err, tt.code)
		})
	}
	f.createService(t, "svc", 1, nil)
	_, err := f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String("svc"), TaskDefinition: aws.String(f.td),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network()})
	wantCode(t, err, "InvalidParameterException")

	// EC2 launch type: accepted, but the sandbox has no instances to place
	// tasks on, and says so.
	ec2svc := f.createService(t, "on-ec2", 2, func(in *ecs.CreateServiceInput) {
		in.LaunchType, in.TaskDefinition, in.NetworkConfiguration = types.LaunchTypeEc2, bridge.TaskDefinition.TaskDefinitionArn, nil
	})
	if ec2svc.RunningCount != 0 || len(ec2svc.Events) == 0 || !strings.Contains(aws.ToString(ec2svc.Events[0].Message), "unable to place") {
		t.Errorf("EC2 service = %+v", ec2svc)
	}
}

func TestServiceWithLoadBalancer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lb := must(f.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: f.subnets}))(t).LoadBalancers[0]
	tg := must(f.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("app"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(f.vpc), TargetType: elbtypes.TargetTypeEnumIp}))(t).TargetGroups[0]
	lbs := []types.LoadBalancer{{TargetGroupArn: tg.TargetGroupArn, ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}

	_, err := f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String("web"), TaskDefinition: aws.String(f.td),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network(), LoadBalancers: lbs})
	wantCode(t, err, "InvalidParameterException")
	if !strings.Contains(err.Error(), "does not have an associated load balancer") {
		t.Errorf("error = %v", err)
	}

	must(f.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))(t)
	for _, bad := range []types.LoadBalancer{
		{TargetGroupArn: tg.TargetGroupArn, ContainerName: aws.String("other"), ContainerPort: aws.Int32(8080)},
		{TargetGroupArn: tg.TargetGroupArn, ContainerName: aws.String("app"), ContainerPort: aws.Int32(9999)},
	} {
		_, err = f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String("web"), TaskDefinition: aws.String(f.td),
			DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network(), LoadBalancers: []types.LoadBalancer{bad}})
		wantCode(t, err, "InvalidParameterException")
	}

	svc := f.createService(t, "web", 2, func(in *ecs.CreateServiceInput) {
		in.LoadBalancers, in.HealthCheckGracePeriodSeconds = lbs, aws.Int32(30)
	})
	if aws.ToInt32(svc.HealthCheckGracePeriodSeconds) != 30 || !strings.HasSuffix(aws.ToString(svc.RoleArn), "AWSServiceRoleForECS") {
		t.Errorf("service = %+v", svc)
	}
	targets := func() map[string]bool {
		out := must(f.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn}))(t)
		m := map[string]bool{}
		for _, d := range out.TargetHealthDescriptions {
			if d.TargetHealth.State != elbtypes.TargetHealthStateEnumDraining {
				m[aws.ToString(d.Target.Id)] = true
			}
		}
		return m
	}
	tasks := f.serviceTasks(t, "web", types.DesiredStatusRunning)
	got := targets()
	if len(got) != 2 {
		t.Fatalf("registered targets = %v, want the 2 tasks", got)
	}
	for _, task := range tasks {
		if ip := aws.ToString(task.Containers[0].NetworkInterfaces[0].PrivateIpv4Address); !got[ip] {
			t.Errorf("task address %s is not a target (%v)", ip, got)
		}
	}
	// A stopped task leaves the target group; its replacement joins it.
	must(f.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(f.cluster), Task: tasks[0].TaskArn}))(t)
	got = targets()
	if len(got) != 2 || got[aws.ToString(tasks[0].Containers[0].NetworkInterfaces[0].PrivateIpv4Address)] {
		t.Errorf("targets after StopTask = %v", got)
	}
	must(f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("web"), DesiredCount: aws.Int32(0)}))(t)
	if got := targets(); len(got) != 0 {
		t.Errorf("targets after scaling to 0 = %v", got)
	}

	inst := must(f.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("inst"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(f.vpc)}))(t).TargetGroups[0]
	must(f.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(81),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: inst.TargetGroupArn}}}))(t)
	_, err = f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String("inst"), TaskDefinition: aws.String(f.td),
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network(),
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: inst.TargetGroupArn, ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}})
	wantCode(t, err, "InvalidParameterException")
}

func TestRunAndStopTasks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	run := must(f.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(f.cluster), TaskDefinition: aws.String("app"), Count: aws.Int32(2),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: f.network(), StartedBy: aws.String("batch")}))(t)
	if len(run.Tasks) != 2 || len(run.Failures) != 0 {
		t.Fatalf("RunTask = %+v", run)
	}
	listed := must(f.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(f.cluster), StartedBy: aws.String("batch")}))(t)
	if len(listed.TaskArns) != 2 {
		t.Errorf("ListTasks startedBy = %v", listed.TaskArns)
	}
	byFamily := must(f.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(f.cluster), Family: aws.String("app")}))(t)
	if len(byFamily.TaskArns) != 2 {
		t.Errorf("ListTasks family = %v", byFamily.TaskArns)
	}
	_, err := f.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(f.cluster)})
	var cct *types.ClusterContainsTasksException
	if !errors.As(err, &cct) {
		t.Errorf("delete a cluster with tasks: %v, want ClusterContainsTasksException", err)
	}
	id := run.Tasks[0].TaskArn
	stopped := must(f.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(f.cluster), Task: id}))(t).Task
	if aws.ToString(stopped.LastStatus) != "STOPPED" || stopped.StopCode != types.TaskStopCodeUserInitiated {
		t.Errorf("stopped task = %+v", stopped)
	}
	d := must(f.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(f.cluster), Tasks: []string{aws.ToString(id), "0123456789abcdef0123456789abcdef"}}))(t)
	if len(d.Tasks) != 1 || len(d.Failures) != 1 || aws.ToString(d.Failures[0].Reason) != "MISSING" {
		t.Errorf("DescribeTasks = %+v", d)
	}
	_, err = f.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(f.cluster), Task: aws.String("0123456789abcdef0123456789abcdef")})
	wantCode(t, err, "InvalidParameterException")
	_, err = f.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(f.cluster), ServiceName: aws.String("nope")})
	var snf *types.ServiceNotFoundException
	if !errors.As(err, &snf) {
		t.Errorf("ListTasks of a missing service: %v", err)
	}
}

func TestAccountSettings(t *testing.T) {
	sb := sandboxtest.Start(t)
	c := ecs.NewFromConfig(sb.AWSConfig())
	ctx := context.Background()
	eff := must(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{Name: types.SettingNameContainerInsights, EffectiveSettings: true}))(t)
	if len(eff.Settings) != 1 || aws.ToString(eff.Settings[0].Value) != "disabled" {
		t.Fatalf("effective containerInsights = %+v", eff.Settings)
	}
	must(c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameContainerInsights, Value: aws.String("enabled")}))(t)
	cl := must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("x")}))(t).Cluster
	if aws.ToString(cl.Settings[0].Value) != "enabled" {
		t.Errorf("new cluster's containerInsights = %s, want the account default", aws.ToString(cl.Settings[0].Value))
	}
	_, err := c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameContainerInsights, Value: aws.String("maybe")})
	wantCode(t, err, "InvalidParameterException")
	must(c.DeleteAccountSetting(ctx, &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights}))(t)
	set := must(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{}))(t)
	if len(set.Settings) != 0 {
		t.Errorf("explicit settings after delete = %+v", set.Settings)
	}
}

// Container definitions come back as sent, plus only the registration
// defaults the Terraform provider's equivalence check ignores.
func TestContainerDefinitionsRoundTrip(t *testing.T) {
	sb := sandboxtest.Start(t)
	c := ecs.NewFromConfig(sb.AWSConfig())
	ctx := context.Background()
	in := fargateTD("rt", "nginx")
	in.ContainerDefinitions[0].Environment = []types.KeyValuePair{{Name: aws.String("B"), Value: aws.String("2")}, {Name: aws.String("A"), Value: aws.String("1")}}
	in.ContainerDefinitions[0].HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}}
	in.ContainerDefinitions[0].Secrets = []types.Secret{{Name: aws.String("S"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/s")}}
	in.ContainerDefinitions[0].DockerLabels = map[string]string{"x": "y"}
	td := must(c.RegisterTaskDefinition(ctx, in))(t).TaskDefinition
	cd := td.ContainerDefinitions[0]
	b, _ := json.Marshal(cd)
	if cd.HealthCheck == nil || len(cd.HealthCheck.Command) != 2 || len(cd.Secrets) != 1 || cd.DockerLabels["x"] != "y" ||
		len(cd.Environment) != 2 || aws.ToString(cd.Environment[0].Name) != "B" {
		t.Errorf("container definition lost fields: %s", b)
	}
	if cd.HealthCheck.Interval != nil {
		t.Errorf("health check interval was added: %s", b)
	}
}

// Clusters, services and their tasks are durable: a restarted sandbox on the
// same data directory answers the same.
func TestSurvivesRestart(t *testing.T) {
	sb := sandboxtest.Start(t)
	instantTasks(t, sb)
	cfg := sb.AWSConfig()
	f := &fixture{ecs: ecs.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg)}
	ctx := context.Background()
	vpc := must(f.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.3.0.0/16")}))(t)
	sn := must(f.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.3.0.0/24")}))(t)
	f.subnets = []string{aws.ToString(sn.Subnet.SubnetId)}
	f.cluster = aws.ToString(must(f.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("keep")}))(t).Cluster.ClusterArn)
	f.td = f.registerTD(t, "keep", "nginx")
	f.createService(t, "svc", 2, func(in *ecs.CreateServiceInput) {
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: f.subnets}}
	})
	before := f.serviceTasks(t, "svc", types.DesiredStatusRunning)

	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sb.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	sb2 := sandboxtest.StartIn(t, sb.Dir)
	f.ecs = ecs.NewFromConfig(sb2.AWSConfig())
	if s := f.describeService(t, "svc"); s.RunningCount != 2 || aws.ToString(s.TaskDefinition) != f.td {
		t.Errorf("service after restart = %+v", s)
	}
	after := f.serviceTasks(t, "svc", types.DesiredStatusRunning)
	if len(after) != 2 || aws.ToString(after[0].TaskArn) != aws.ToString(before[0].TaskArn) {
		t.Errorf("tasks after restart = %d (first %s, was %s)", len(after), aws.ToString(after[0].TaskArn), aws.ToString(before[0].TaskArn))
	}
	if td := must(f.ecs.RegisterTaskDefinition(ctx, fargateTD("keep", "nginx:2")))(t).TaskDefinition; td.Revision != 2 {
		t.Errorf("revision after restart = %d, want 2", td.Revision)
	}
}
