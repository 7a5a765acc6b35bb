package ec2_test

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
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return &tfRunner{t: t, ctx: ctx, bin: bin, dir: dir, env: env}
}

// run runs terraform and fails the test unless it exits with wantExit.
func (r *tfRunner) run(wantExit int, args ...string) string {
	r.t.Helper()
	cmd := exec.CommandContext(r.ctx, r.bin, append(args, "-input=false", "-no-color")...)
	if args[0] == "output" {
		cmd = exec.CommandContext(r.ctx, r.bin, args...)
	}
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

func readTestdata(t *testing.T, path ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTerraformNetwork applies testdata/terraform/main.tf (VPC, three
// subnets in three zones, internet gateway, elastic IP and NAT gateway,
// public and private routing, security groups with inline rules and with
// rule resources, tags) with the real AWS provider; a second plan must
// have no changes; an update of tags, attributes and rules applies in
// place and plans clean again; destroy leaves nothing behind.
func TestTerraformNetwork(t *testing.T) {
	sb := sandboxtest.Start(t)
	c := ec2.NewFromConfig(sb.AWSConfig())
	ctx := ctxT(t)
	before := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))(t).Vpcs

	src := readTestdata(t, "terraform", "main.tf")
	tf := newTF(t, sb, map[string]string{"main.tf": src})
	tf.run(0, "init")
	tf.run(0, "apply", "-auto-approve")
	tf.run(0, "plan", "-detailed-exitcode")

	vpcID := strings.TrimSpace(tf.run(0, "output", "-raw", "vpc_id"))
	ctx = ctxT(t)
	subnets := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}}))(t).Subnets
	zonesSeen := map[string]bool{}
	for _, s := range subnets {
		zonesSeen[aws.ToString(s.AvailabilityZone)] = true
	}
	if len(subnets) != 3 || len(zonesSeen) != 3 {
		t.Errorf("subnets = %d in zones %v, want 3 in 3", len(subnets), zonesSeen)
	}
	nats := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{filter("vpc-id", vpcID), filter("state", "available")}}))(t).NatGateways
	if len(nats) != 1 || aws.ToString(nats[0].NatGatewayAddresses[0].PublicIp) != strings.TrimSpace(tf.run(0, "output", "-raw", "nat_public_ip")) {
		t.Errorf("NAT gateways = %+v", nats)
	}
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", vpcID), filter("route.nat-gateway-id", aws.ToString(nats[0].NatGatewayId))}}))(t).RouteTables
	if len(rts) != 1 || len(rts[0].Associations) != 2 {
		t.Errorf("private route tables = %+v", rts)
	}
	def := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpcID), filter("group-name", "default")}}))(t).SecurityGroups
	if len(def) != 1 || len(def[0].IpPermissions) != 0 || len(def[0].IpPermissionsEgress) != 0 || tagMap(def[0].Tags)["Name"] != "e2e-default-deny" {
		t.Errorf("default security group after aws_default_security_group = %+v", def)
	}

	// An in-place update: tags, a subnet attribute, a VPC attribute, rules.
	changed := src
	for _, r := range [][2]string{
		{`tags                             = merge(local.tags, { Name = "e2e" })`, `tags                             = merge(local.tags, { Name = "e2e", Stage = "two" })`},
		{`map_public_ip_on_launch = count.index == 0`, `map_public_ip_on_launch = false`},
		{`enable_dns_hostnames             = true`, `enable_dns_hostnames             = false`},
		{`cidr_blocks = [aws_vpc.this.cidr_block, "192.0.2.0/24"]`, `cidr_blocks = [aws_vpc.this.cidr_block, "198.51.100.0/24"]`},
		{`from_port                    = 8080
  to_port                      = 8080`, `from_port                    = 8443
  to_port                      = 8443`},
		{`tags                         = { Name = "app-from-web" }`, `tags                         = { Name = "app-from-web", Stage = "two" }`},
	} {
		if !strings.Contains(changed, r[0]) {
			t.Fatalf("testdata/terraform/main.tf no longer contains %q", r[0])
		}
		changed = strings.Replace(changed, r[0], r[1], 1)
	}
	if err := os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := tf.run(2, "plan", "-detailed-exitcode")
	if strings.Contains(plan, "must be replaced") {
		t.Errorf("the update replaces resources:\n%s", plan)
	}
	tf.run(0, "apply", "-auto-approve")
	tf.run(0, "plan", "-detailed-exitcode")

	ctx = ctxT(t)
	rules := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("tag:Name", "app-from-web")}}))(t).SecurityGroupRules
	if len(rules) != 1 || aws.ToInt32(rules[0].FromPort) != 8443 || tagMap(rules[0].Tags)["Stage"] != "two" {
		t.Errorf("app-from-web rule after update = %+v", rules)
	}

	tf.run(0, "destroy", "-auto-approve")
	ctx = ctxT(t)
	after := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))(t).Vpcs
	if len(after) != len(before) {
		t.Errorf("VPCs after destroy = %d, before apply %d", len(after), len(before))
	}
	assertEmpty(t, c)
}

// assertEmpty checks that no resource of the kinds the tests create is left.
func assertEmpty(t *testing.T, c *ec2.Client) {
	t.Helper()
	ctx := ctxT(t)
	if v := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}))(t).Subnets; len(v) != 0 {
		t.Errorf("subnets left: %d", len(v))
	}
	if v := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}))(t).SecurityGroups; len(v) != 0 {
		t.Errorf("security groups left: %d", len(v))
	}
	if v := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{}))(t).SecurityGroupRules; len(v) != 0 {
		t.Errorf("security group rules left: %d", len(v))
	}
	if v := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{}))(t).RouteTables; len(v) != 0 {
		t.Errorf("route tables left: %d", len(v))
	}
	if v := must(c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{}))(t).InternetGateways; len(v) != 0 {
		t.Errorf("internet gateways left: %d", len(v))
	}
	if v := must(c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}))(t).Addresses; len(v) != 0 {
		t.Errorf("elastic IPs left: %d", len(v))
	}
	if v := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{filter("state", "pending", "available", "deleting")}}))(t).NatGateways; len(v) != 0 {
		t.Errorf("NAT gateways left: %d", len(v))
	}
	if v := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{}))(t).NetworkInterfaces; len(v) != 0 {
		t.Errorf("network interfaces left: %d", len(v))
	}
	if v := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}))(t).FlowLogs; len(v) != 0 {
		t.Errorf("flow logs left: %d", len(v))
	}
	// A deleted NAT gateway shows (with its tags) for an hour, as on AWS.
	for _, tag := range must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{}))(t).Tags {
		if tag.ResourceType == types.ResourceTypeNatgateway {
			n := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{aws.ToString(tag.ResourceId)}}))(t).NatGateways
			if len(n) == 1 && n[0].State == types.NatGatewayStateDeleted {
				continue
			}
		}
		t.Errorf("tag left: %s %s=%s", aws.ToString(tag.ResourceId), aws.ToString(tag.Key), aws.ToString(tag.Value))
	}
}

// servesService asks the sandbox's health endpoint whether a service (by
// signing name) is registered.
func servesService(t *testing.T, sb *sandboxtest.Sandbox, name string) bool {
	t.Helper()
	resp, err := http.Get(sb.URL() + "/_vigil/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h struct {
		Services []string `json:"services"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("health: %v: %s", err, body)
	}
	for _, s := range h.Services {
		if s == name {
			return true
		}
	}
	return false
}

// TestTerraformFlowLogs applies a VPC flow log to each destination the
// sandbox can serve: a KMS-encrypted CloudWatch Logs log group with an IAM
// role, the way the blueprint's network module does it (when CloudWatch
// Logs is registered), and an S3 bucket (when S3 is).
func TestTerraformFlowLogs(t *testing.T) {
	for _, tt := range []struct {
		dest    string
		service string
	}{
		{"cloudwatch", "logs"},
		{"s3", "s3"},
	} {
		t.Run(tt.dest, func(t *testing.T) {
			sb := sandboxtest.Start(t)
			if !servesService(t, sb, tt.service) {
				t.Skipf("the sandbox does not serve %s yet", tt.service)
			}
			tf := newTF(t, sb, map[string]string{
				"main.tf":        readTestdata(t, "flowlogs", "main.tf"),
				"destination.tf": readTestdata(t, "flowlogs", tt.dest+".tf.txt"),
			})
			tf.run(0, "init")
			tf.run(0, "apply", "-auto-approve")
			tf.run(0, "plan", "-detailed-exitcode")

			c := ec2.NewFromConfig(sb.AWSConfig())
			ctx := ctxT(t)
			logs := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}))(t).FlowLogs
			if len(logs) != 1 || aws.ToInt32(logs[0].MaxAggregationInterval) != 60 || tagMap(logs[0].Tags)["Name"] != "e2e" {
				t.Errorf("flow logs = %+v", logs)
			}
			tf.run(0, "destroy", "-auto-approve")
			assertEmpty(t, c)
		})
	}
}

// TestTerraformBlueprintNetwork applies the blueprint's network module
// (one VPC over three zones, public and private subnets, a NAT gateway per
// zone, routing, the default security group taken over, flow logs to a
// KMS-encrypted log group) — every EC2 call it causes must work, and the
// second plan must be empty. It needs the other services the module uses
// (CloudWatch Logs, KMS, IAM, STS).
func TestTerraformBlueprintNetwork(t *testing.T) {
	module, err := filepath.Abs(filepath.Join("..", "..", "..", "blueprint", "modules", "network"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(module, "main.tf")); err != nil {
		t.Skipf("no blueprint network module at %s", module)
	}
	sb := sandboxtest.Start(t)
	for _, svc := range []string{"logs", "kms", "iam", "sts"} {
		if !servesService(t, sb, svc) {
			t.Skipf("the sandbox does not serve %s yet", svc)
		}
	}
	tf := newTF(t, sb, map[string]string{"main.tf": `
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

module "network" {
  source             = "` + filepath.ToSlash(module) + `"
  name               = "vigil-e2e"
  single_nat_gateway = false
  tags               = { Project = "vigil" }
}

output "private_subnet_ids" {
  value = module.network.private_subnet_ids
}
`})
	tf.run(0, "init")
	tf.run(0, "apply", "-auto-approve")
	tf.run(0, "plan", "-detailed-exitcode")

	c := ec2.NewFromConfig(sb.AWSConfig())
	ctx := ctxT(t)
	nats := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{filter("state", "available")}}))(t).NatGateways
	zones := map[string]bool{}
	for _, n := range nats {
		sn := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{aws.ToString(n.SubnetId)}}))(t).Subnets[0]
		zones[aws.ToString(sn.AvailabilityZone)] = true
	}
	if len(nats) != 3 || len(zones) != 3 {
		t.Errorf("NAT gateways = %d in %d zones, want one in each of 3", len(nats), len(zones))
	}
	if logs := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}))(t).FlowLogs; len(logs) != 1 || aws.ToString(logs[0].LogGroupName) != "/vigil/vigil-e2e/vpc-flow-logs" {
		t.Errorf("flow logs = %+v", logs)
	}
	tf.run(0, "destroy", "-auto-approve")
	assertEmpty(t, c)
}
