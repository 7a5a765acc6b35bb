package ec2_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func newClient(t *testing.T) (*ec2.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return ec2.NewFromConfig(sb.AWSConfig()), sb
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// code is the AWS error code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

// must(call)(t) fails the test when call returned an error and returns its
// value otherwise.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func tagSpec(rt types.ResourceType, kv ...string) []types.TagSpecification {
	var tags []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return []types.TagSpecification{{ResourceType: rt, Tags: tags}}
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func createVPC(t *testing.T, c *ec2.Client, cidr string) string {
	t.Helper()
	out := must(c.CreateVpc(ctxT(t), &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)}))(t)
	return aws.ToString(out.Vpc.VpcId)
}

func createSubnet(t *testing.T, c *ec2.Client, vpc, cidr, az string) string {
	t.Helper()
	out := must(c.CreateSubnet(ctxT(t), &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(az)}))(t)
	return aws.ToString(out.Subnet.SubnetId)
}

func TestAvailabilityZones(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	all := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []types.Filter{filter("state", "available"), filter("opt-in-status", "opt-in-not-required")},
	}))(t)
	if len(all.AvailabilityZones) < 3 {
		t.Fatalf("want at least 3 zones, got %d", len(all.AvailabilityZones))
	}
	for i, z := range all.AvailabilityZones {
		if z.State != types.AvailabilityZoneStateAvailable || aws.ToString(z.RegionName) != "us-east-1" ||
			z.OptInStatus != types.AvailabilityZoneOptInStatusOptInNotRequired {
			t.Errorf("zone %d = %+v", i, z)
		}
	}
	if got := aws.ToString(all.AvailabilityZones[0].ZoneName); got != "us-east-1a" {
		t.Errorf("first zone = %s", got)
	}
	if got := aws.ToString(all.AvailabilityZones[0].ZoneId); got != "use1-az1" {
		t.Errorf("first zone id = %s", got)
	}

	tests := []struct {
		name     string
		in       ec2.DescribeAvailabilityZonesInput
		want     []string
		wantCode string
	}{
		{name: "by name filter", in: ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("zone-name", "us-east-1b")}}, want: []string{"us-east-1b"}},
		{name: "wildcard", in: ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("zone-name", "us-east-1[ab]", "*-1c")}}, want: []string{"us-east-1c"}},
		{name: "by id", in: ec2.DescribeAvailabilityZonesInput{ZoneIds: []string{"use1-az2"}}, want: []string{"us-east-1b"}},
		{name: "impaired none", in: ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("state", "impaired")}}, want: nil},
		{name: "unknown filter", in: ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("colour", "blue")}}, wantCode: "InvalidParameterValue"},
		{name: "unknown zone", in: ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1z"}}, wantCode: "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeAvailabilityZones(ctx, &tt.in)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			var got []string
			for _, z := range out.AvailabilityZones {
				got = append(got, aws.ToString(z.ZoneName))
			}
			if !equal(got, tt.want) {
				t.Errorf("zones = %v, want %v", got, tt.want)
			}
		})
	}

	// Another region has its own zones.
	west := must(c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}, func(o *ec2.Options) { o.Region = "eu-west-1" }))(t)
	if len(west.AvailabilityZones) < 3 || aws.ToString(west.AvailabilityZones[0].ZoneName) != "eu-west-1a" {
		t.Errorf("eu-west-1 zones = %+v", west.AvailabilityZones)
	}
	regions := must(c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"us-west-2"}}))(t)
	if len(regions.Regions) != 1 || aws.ToString(regions.Regions[0].Endpoint) != "ec2.us-west-2.amazonaws.com" {
		t.Errorf("regions = %+v", regions.Regions)
	}
	attrs := must(c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{AttributeNames: []types.AccountAttributeName{"default-vpc"}}))(t)
	if len(attrs.AccountAttributes) != 1 || aws.ToString(attrs.AccountAttributes[0].AttributeValues[0].AttributeValue) != "none" {
		t.Errorf("account attributes = %+v", attrs.AccountAttributes)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestVPCLifecycle(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	created := must(c.CreateVpc(ctx, &ec2.CreateVpcInput{
		CidrBlock: aws.String("10.1.0.0/16"), TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "main", "env", "test"),
	}))(t)
	id := aws.ToString(created.Vpc.VpcId)
	if !validVPCID(id) || created.Vpc.State != types.VpcStatePending {
		t.Fatalf("created vpc = %s, state %s", id, created.Vpc.State)
	}
	out := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}}))(t)
	v := out.Vpcs[0]
	if v.State != types.VpcStateAvailable || aws.ToString(v.CidrBlock) != "10.1.0.0/16" || aws.ToString(v.OwnerId) != "123456789012" ||
		v.InstanceTenancy != types.TenancyDefault || aws.ToBool(v.IsDefault) || aws.ToString(v.DhcpOptionsId) == "" {
		t.Errorf("vpc = %+v", v)
	}
	if len(v.CidrBlockAssociationSet) != 1 || v.CidrBlockAssociationSet[0].CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated {
		t.Errorf("cidr associations = %+v", v.CidrBlockAssociationSet)
	}
	if tags := tagMap(v.Tags); tags["Name"] != "main" || tags["env"] != "test" {
		t.Errorf("tags = %v", tags)
	}

	// What the Terraform provider reads for an aws_vpc.
	attr := func(name types.VpcAttributeName) bool {
		out := must(c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: name}))(t)
		switch name {
		case types.VpcAttributeNameEnableDnsSupport:
			return aws.ToBool(out.EnableDnsSupport.Value)
		case types.VpcAttributeNameEnableDnsHostnames:
			return aws.ToBool(out.EnableDnsHostnames.Value)
		}
		return aws.ToBool(out.EnableNetworkAddressUsageMetrics.Value)
	}
	if !attr(types.VpcAttributeNameEnableDnsSupport) || attr(types.VpcAttributeNameEnableDnsHostnames) || attr(types.VpcAttributeNameEnableNetworkAddressUsageMetrics) {
		t.Error("default attributes are not dnsSupport=true, hostnames=false, metrics=false")
	}
	must(c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))(t)
	if !attr(types.VpcAttributeNameEnableDnsHostnames) {
		t.Error("enableDnsHostnames not set")
	}
	_, err := c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}, EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidParameterCombination")

	acls := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{filter("default", "true"), filter("vpc-id", id)}}))(t)
	if len(acls.NetworkAcls) != 1 || len(acls.NetworkAcls[0].Entries) != 4 {
		t.Errorf("default network ACLs = %+v", acls.NetworkAcls)
	}
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("association.main", "true"), filter("vpc-id", id)}}))(t)
	if len(rts.RouteTables) != 1 || aws.ToString(rts.RouteTables[0].Routes[0].GatewayId) != "local" ||
		aws.ToString(rts.RouteTables[0].Routes[0].DestinationCidrBlock) != "10.1.0.0/16" {
		t.Errorf("main route table = %+v", rts.RouteTables)
	}
	sgs := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", "default"), filter("vpc-id", id)}}))(t)
	if len(sgs.SecurityGroups) != 1 {
		t.Fatalf("default security groups = %+v", sgs.SecurityGroups)
	}
	def := sgs.SecurityGroups[0]
	if len(def.IpPermissions) != 1 || aws.ToString(def.IpPermissions[0].UserIdGroupPairs[0].GroupId) != aws.ToString(def.GroupId) ||
		len(def.IpPermissionsEgress) != 1 || aws.ToString(def.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" ||
		def.IpPermissionsEgress[0].FromPort != nil {
		t.Errorf("default group rules = %+v / %+v", def.IpPermissions, def.IpPermissionsEgress)
	}

	// Filters.
	for _, tt := range []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"tag", []types.Filter{filter("tag:Name", "main")}, 1},
		{"tag wildcard", []types.Filter{filter("tag:Name", "ma*")}, 1},
		{"tag-key", []types.Filter{filter("tag-key", "env")}, 1},
		{"tag miss", []types.Filter{filter("tag:Name", "other")}, 0},
		{"cidr", []types.Filter{filter("cidr-block", "10.1.0.0/16")}, 1},
		{"and", []types.Filter{filter("cidr-block", "10.1.0.0/16"), filter("tag:env", "prod")}, 0},
		{"state", []types.Filter{filter("state", "available"), filter("is-default", "false")}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: tt.filters}))(t)
			if len(out.Vpcs) != tt.want {
				t.Errorf("got %d vpcs, want %d", len(out.Vpcs), tt.want)
			}
		})
	}

	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)}))(t)
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	// The default security group went with the VPC.
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(def.GroupId)}})
	wantCode(t, err, "InvalidGroup.NotFound")
}

func validVPCID(id string) bool {
	if len(id) != len("vpc-")+17 || id[:4] != "vpc-" {
		return false
	}
	for _, c := range id[4:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func TestVPCErrors(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"too big", func() error {
			_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
			return err
		}, "InvalidVpc.Range"},
		{"not a cidr", func() error {
			_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("ten/16")})
			return err
		}, "InvalidParameterValue"},
		{"host bits", func() error {
			_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.1/16")})
			return err
		}, "InvalidParameterValue"},
		{"missing cidr", func() error {
			_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{})
			return err
		}, "MissingParameter"},
		{"bad tenancy", func() error {
			_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), InstanceTenancy: "host"})
			return err
		}, "InvalidParameterValue"},
		{"describe missing", func() error {
			_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
			return err
		}, "InvalidVpcID.NotFound"},
		{"describe malformed", func() error {
			_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"my-vpc"}})
			return err
		}, "InvalidVpcID.Malformed"},
		{"delete missing", func() error {
			_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String("vpc-0123456789abcdef0")})
			return err
		}, "InvalidVpcID.NotFound"},
		{"attribute unknown", func() error {
			id := createVPC(t, c, "10.9.0.0/16")
			_, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: "colour"})
			return err
		}, "InvalidParameterValue"},
		{"bad filter", func() error {
			_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("flavour", "x")}})
			return err
		}, "InvalidParameterValue"},
		{"dry run", func() error {
			_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
		{"not implemented", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
}

func TestVPCIPv6AndSecondaryCIDR(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	out := must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)}))(t)
	id := aws.ToString(out.Vpc.VpcId)
	v := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}}))(t).Vpcs[0]
	if len(v.Ipv6CidrBlockAssociationSet) != 1 || v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated ||
		aws.ToString(v.Ipv6CidrBlockAssociationSet[0].Ipv6Pool) != "Amazon" {
		t.Fatalf("ipv6 associations = %+v", v.Ipv6CidrBlockAssociationSet)
	}
	block := aws.ToString(v.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock)
	subnet64 := block[:len(block)-len("::/56")] + "::/64"
	sn := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String("10.2.1.0/24"), Ipv6CidrBlock: aws.String(subnet64)}))(t)
	if len(sn.Subnet.Ipv6CidrBlockAssociationSet) != 1 {
		t.Errorf("subnet ipv6 = %+v", sn.Subnet.Ipv6CidrBlockAssociationSet)
	}
	// New groups in an IPv6 VPC may also send anywhere over IPv6.
	g := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("six"), Description: aws.String("d"), VpcId: aws.String(id)}))(t)
	groups := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(g.GroupId)}}))(t)
	if e := groups.SecurityGroups[0].IpPermissionsEgress; len(e) != 1 || len(e[0].IpRanges) != 1 || len(e[0].Ipv6Ranges) != 1 {
		t.Errorf("egress = %+v", e)
	}

	sec := must(c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(id), CidrBlock: aws.String("10.3.0.0/16")}))(t)
	createSubnet(t, c, id, "10.3.0.0/24", "us-east-1a")
	_, err := c.DisassociateVpcCidrBlock(ctx, &ec2.DisassociateVpcCidrBlockInput{AssociationId: sec.CidrBlockAssociation.AssociationId})
	wantCode(t, err, "InvalidCidrBlock.InUse")
	_, err = c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(id), CidrBlock: aws.String("10.3.128.0/17")})
	wantCode(t, err, "InvalidVpc.Range")
	rts := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", id)}}))(t)
	if n := len(rts.RouteTables[0].Routes); n != 3 {
		t.Errorf("main route table has %d local routes, want 3 (two IPv4 blocks and one IPv6)", n)
	}
}

func TestSubnets(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	var ids []string
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		out := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: aws.String(vpc), CidrBlock: aws.String("10.0." + string(rune('0'+i)) + ".0/24"), AvailabilityZone: aws.String(az),
			TagSpecifications: tagSpec(types.ResourceTypeSubnet, "tier", "private"),
		}))(t)
		ids = append(ids, aws.ToString(out.Subnet.SubnetId))
	}
	out := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", vpc), filter("tag:tier", "private")}}))(t)
	if len(out.Subnets) != 3 {
		t.Fatalf("got %d subnets", len(out.Subnets))
	}
	sort.Slice(out.Subnets, func(i, j int) bool {
		return aws.ToString(out.Subnets[i].CidrBlock) < aws.ToString(out.Subnets[j].CidrBlock)
	})
	s0 := out.Subnets[0]
	if aws.ToInt32(s0.AvailableIpAddressCount) != 251 || aws.ToString(s0.AvailabilityZone) != "us-east-1a" ||
		aws.ToString(s0.AvailabilityZoneId) != "use1-az1" || s0.State != types.SubnetStateAvailable || aws.ToBool(s0.MapPublicIpOnLaunch) ||
		s0.PrivateDnsNameOptionsOnLaunch == nil || s0.PrivateDnsNameOptionsOnLaunch.HostnameType != types.HostnameTypeIpName ||
		aws.ToString(s0.SubnetArn) != "arn:aws:ec2:us-east-1:123456789012:subnet/"+aws.ToString(s0.SubnetId) {
		t.Errorf("subnet = %+v", s0)
	}

	must(c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String(ids[0]), MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))(t)
	got := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{ids[0]}}))(t)
	if !aws.ToBool(got.Subnets[0].MapPublicIpOnLaunch) {
		t.Error("MapPublicIpOnLaunch not set")
	}

	tests := []struct {
		name string
		in   ec2.CreateSubnetInput
		want string
	}{
		{"conflict", ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.0.0.128/25")}, "InvalidSubnet.Conflict"},
		{"outside vpc", ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.1.0.0/24")}, "InvalidSubnet.Range"},
		{"too small", ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.0.9.0/29")}, "InvalidSubnet.Range"},
		{"bad az", ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.0.9.0/24"), AvailabilityZone: aws.String("us-east-1z")}, "InvalidParameterValue"},
		{"no vpc", ec2.CreateSubnetInput{VpcId: aws.String("vpc-0123456789abcdef0"), CidrBlock: aws.String("10.0.9.0/24")}, "InvalidVpcID.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateSubnet(ctx, &tt.in)
			wantCode(t, err, tt.want)
		})
	}
	// By zone id.
	byID := must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.0.10.0/24"), AvailabilityZoneId: aws.String("use1-az3")}))(t)
	if aws.ToString(byID.Subnet.AvailabilityZone) != "us-east-1c" {
		t.Errorf("zone of use1-az3 = %s", aws.ToString(byID.Subnet.AvailabilityZone))
	}

	_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)})
	wantCode(t, err, "DependencyViolation")
	for _, id := range append(ids, aws.ToString(byID.Subnet.SubnetId)) {
		must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)}))(t)
	}
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(ids[0])})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{ids[1]}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}))(t)
}

func TestInternetGatewayNATAndElasticIP(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	public := createSubnet(t, c, vpc, "10.0.0.0/24", "us-east-1a")

	eip := must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc, TagSpecifications: tagSpec(types.ResourceTypeElasticIp, "Name", "nat")}))(t)
	alloc := aws.ToString(eip.AllocationId)
	if aws.ToString(eip.PublicIp) == "" || eip.Domain != types.DomainTypeVpc {
		t.Fatalf("allocate = %+v", eip)
	}

	_, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(public), AllocationId: aws.String(alloc)})
	wantCode(t, err, "Gateway.NotAttached")

	igw := aws.ToString(must(c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{}))(t).InternetGateway.InternetGatewayId)
	must(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}))(t)
	_, err = c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)})
	wantCode(t, err, "Resource.AlreadyAssociated")
	igws := must(c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []types.Filter{filter("attachment.vpc-id", vpc)}}))(t)
	if len(igws.InternetGateways) != 1 || igws.InternetGateways[0].Attachments[0].State != "available" {
		t.Fatalf("igws = %+v", igws.InternetGateways)
	}
	_, err = c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)})
	wantCode(t, err, "DependencyViolation")

	nat := must(c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(public), AllocationId: aws.String(alloc),
		ClientToken: aws.String("token-1"), TagSpecifications: tagSpec(types.ResourceTypeNatgateway, "Name", "a")}))(t)
	natID := aws.ToString(nat.NatGateway.NatGatewayId)
	if nat.NatGateway.State != types.NatGatewayStatePending {
		t.Errorf("create state = %s", nat.NatGateway.State)
	}
	again := must(c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(public), AllocationId: aws.String(alloc), ClientToken: aws.String("token-1")}))(t)
	if aws.ToString(again.NatGateway.NatGatewayId) != natID {
		t.Errorf("same client token made a second NAT gateway %s", aws.ToString(again.NatGateway.NatGatewayId))
	}
	// The waiter the provider uses.
	w := ec2.NewNatGatewayAvailableWaiter(c, func(o *ec2.NatGatewayAvailableWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 20 * time.Millisecond
	})
	if err := w.Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{natID}}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	nats := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{natID}}))(t)
	n := nats.NatGateways[0]
	addr := n.NatGatewayAddresses[0]
	if aws.ToString(addr.AllocationId) != alloc || aws.ToString(addr.PublicIp) != aws.ToString(eip.PublicIp) ||
		aws.ToString(addr.PrivateIp) != "10.0.0.4" || !aws.ToBool(addr.IsPrimary) || aws.ToString(n.VpcId) != vpc ||
		n.ConnectivityType != types.ConnectivityTypePublic || tagMap(n.Tags)["Name"] != "a" {
		t.Errorf("nat = %+v addr %+v", n, addr)
	}
	addrs := must(c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{alloc}}))(t)
	if a := addrs.Addresses[0]; aws.ToString(a.AssociationId) == "" || aws.ToString(a.NetworkInterfaceId) != aws.ToString(addr.NetworkInterfaceId) || tagMap(a.Tags)["Name"] != "nat" {
		t.Errorf("address = %+v", a)
	}
	enis := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter("subnet-id", public)}}))(t)
	if len(enis.NetworkInterfaces) != 1 || string(enis.NetworkInterfaces[0].InterfaceType) != "nat_gateway" {
		t.Errorf("interfaces = %+v", enis.NetworkInterfaces)
	}
	sn := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{public}}))(t)
	if got := aws.ToInt32(sn.Subnets[0].AvailableIpAddressCount); got != 250 {
		t.Errorf("available addresses with a NAT gateway = %d, want 250", got)
	}

	for _, tt := range []struct {
		name string
		call func() error
		want string
	}{
		{"subnet in use", func() error {
			_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(public)})
			return err
		}, "DependencyViolation"},
		{"detach with mapped address", func() error {
			_, err := c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)})
			return err
		}, "DependencyViolation"},
		{"release in use", func() error {
			_, err := c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(alloc)})
			return err
		}, "InvalidIPAddress.InUse"},
		{"second nat same eip", func() error {
			_, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(public), AllocationId: aws.String(alloc)})
			return err
		}, "Resource.AlreadyAssociated"},
		{"missing nat", func() error {
			_, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{"nat-0123456789abcdef0"}})
			return err
		}, "NatGatewayNotFound"},
		{"missing eip", func() error {
			_, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{"eipalloc-0123456789abcdef0"}})
			return err
		}, "InvalidAllocationID.NotFound"},
		{"missing igw", func() error {
			_, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{"igw-0123456789abcdef0"}})
			return err
		}, "InvalidInternetGatewayID.NotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}

	del := must(c.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(natID)}))(t)
	if aws.ToString(del.NatGatewayId) != natID {
		t.Errorf("delete answered %s", aws.ToString(del.NatGatewayId))
	}
	gone := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{natID}}))(t)
	if gone.NatGateways[0].State != types.NatGatewayStateDeleted {
		t.Errorf("after delete state = %s", gone.NatGateways[0].State)
	}
	must(c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(alloc)}))(t)
	must(c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}))(t)
	_, err = c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)})
	wantCode(t, err, "Gateway.NotAttached")
	must(c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)}))(t)
	must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(public)}))(t)
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}))(t)
}

func TestRouteTables(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	other := createVPC(t, c, "10.1.0.0/16")
	subnet := createSubnet(t, c, vpc, "10.0.1.0/24", "us-east-1a")
	igw := aws.ToString(must(c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{}))(t).InternetGateway.InternetGatewayId)
	must(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}))(t)

	rt := must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc), TagSpecifications: tagSpec(types.ResourceTypeRouteTable, "Name", "public")}))(t)
	rtID := aws.ToString(rt.RouteTable.RouteTableId)
	if len(rt.RouteTable.Routes) != 1 || aws.ToString(rt.RouteTable.Routes[0].GatewayId) != "local" {
		t.Fatalf("new route table routes = %+v", rt.RouteTable.Routes)
	}
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)}))(t)
	assoc := must(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(rtID), SubnetId: aws.String(subnet)}))(t)
	if assoc.AssociationState.State != types.RouteTableAssociationStateCodeAssociated {
		t.Errorf("association state = %+v", assoc.AssociationState)
	}
	byAssoc := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("association.route-table-association-id", aws.ToString(assoc.AssociationId))}}))(t)
	if len(byAssoc.RouteTables) != 1 || aws.ToString(byAssoc.RouteTables[0].RouteTableId) != rtID {
		t.Fatalf("by association = %+v", byAssoc.RouteTables)
	}
	routes := byAssoc.RouteTables[0].Routes
	if len(routes) != 2 || aws.ToString(routes[1].GatewayId) != igw || routes[1].State != types.RouteStateActive || routes[1].Origin != types.RouteOriginCreateRoute {
		t.Errorf("routes = %+v", routes)
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"duplicate route", func() error {
			_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
			return err
		}, "RouteAlreadyExists"},
		{"igw of another vpc", func() error {
			rt2 := must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(other)}))(t)
			_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt2.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
			return err
		}, "InvalidParameterValue"},
		{"missing gateway", func() error {
			_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("10.9.0.0/16"), GatewayId: aws.String("igw-0123456789abcdef0")})
			return err
		}, "InvalidGatewayID.NotFound"},
		{"missing nat", func() error {
			_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("10.9.0.0/16"), NatGatewayId: aws.String("nat-0123456789abcdef0")})
			return err
		}, "InvalidNatGatewayID.NotFound"},
		{"no target", func() error {
			_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("10.9.0.0/16")})
			return err
		}, "MissingParameter"},
		{"delete local", func() error {
			_, err := c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("10.0.0.0/16")})
			return err
		}, "InvalidParameterValue"},
		{"delete missing route", func() error {
			_, err := c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("10.9.0.0/16")})
			return err
		}, "InvalidRoute.NotFound"},
		{"replace missing route", func() error {
			_, err := c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("10.9.0.0/16"), GatewayId: aws.String(igw)})
			return err
		}, "InvalidParameterValue"},
		{"subnet already associated", func() error {
			rt3 := must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc)}))(t)
			_, err := c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt3.RouteTable.RouteTableId, SubnetId: aws.String(subnet)})
			return err
		}, "Resource.AlreadyAssociated"},
		{"delete associated table", func() error {
			_, err := c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(rtID)})
			return err
		}, "DependencyViolation"},
		{"missing table", func() error {
			_, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-0123456789abcdef0"}})
			return err
		}, "InvalidRouteTableID.NotFound"},
		{"missing association", func() error {
			_, err := c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: aws.String("rtbassoc-0123456789abcdef0")})
			return err
		}, "InvalidAssociationID.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}

	// Detaching the gateway leaves a blackhole route, as on AWS.
	must(c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}))(t)
	after := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{rtID}}))(t)
	if st := after.RouteTables[0].Routes[1].State; st != types.RouteStateBlackhole {
		t.Errorf("route to detached gateway is %s, want blackhole", st)
	}
	must(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}))(t)

	// Replace the main association, as aws_main_route_table_association does.
	main := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("association.main", "true"), filter("vpc-id", vpc)}}))(t)
	mainAssoc := main.RouteTables[0].Associations[0].RouteTableAssociationId
	replaced := must(c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: mainAssoc, RouteTableId: aws.String(rtID)}))(t)
	nowMain := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("association.main", "true"), filter("vpc-id", vpc)}}))(t)
	if aws.ToString(nowMain.RouteTables[0].RouteTableId) != rtID {
		t.Errorf("main route table after replace = %s", aws.ToString(nowMain.RouteTables[0].RouteTableId))
	}
	must(c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: replaced.NewAssociationId, RouteTableId: main.RouteTables[0].RouteTableId}))(t)

	must(c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)}))(t)
	must(c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(rtID), DestinationCidrBlock: aws.String("0.0.0.0/0")}))(t)
	must(c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: assoc.AssociationId}))(t)
	must(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(rtID)}))(t)
	_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)})
	wantCode(t, err, "DependencyViolation")
}

func TestSecurityGroups(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	mk := func(name string) string {
		out := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name + " group"),
			VpcId: aws.String(vpc), TagSpecifications: tagSpec(types.ResourceTypeSecurityGroup, "Name", name)}))(t)
		if aws.ToString(out.SecurityGroupArn) != "arn:aws:ec2:us-east-1:123456789012:security-group/"+aws.ToString(out.GroupId) {
			t.Errorf("arn = %s", aws.ToString(out.SecurityGroupArn))
		}
		return aws.ToString(out.GroupId)
	}
	alb, tasks := mk("alb"), mk("tasks")

	// Revoke the default egress rule the way the Terraform provider does.
	must(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("-1"), FromPort: aws.Int32(0), ToPort: aws.Int32(0), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}))(t)
	_, err := c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("-1"), FromPort: aws.Int32(0), ToPort: aws.Int32(0), Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}}}})
	wantCode(t, err, "InvalidPermission.NotFound")

	in := must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String("https")}, {CidrIp: aws.String("10.0.0.0/8")}},
			Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
		{IpProtocol: aws.String("6"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String("pl-63a5400a")}}},
	}, TagSpecifications: tagSpec(types.ResourceTypeSecurityGroupRule, "rule", "yes")}))(t)
	if len(in.SecurityGroupRules) != 4 || !aws.ToBool(in.Return) {
		t.Fatalf("authorized rules = %+v", in.SecurityGroupRules)
	}
	out := must(c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(tasks)}}}}}))(t)
	egressRule := aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
	if !aws.ToBool(out.SecurityGroupRules[0].IsEgress) || aws.ToString(out.SecurityGroupRules[0].ReferencedGroupInfo.GroupId) != tasks {
		t.Errorf("egress rule = %+v", out.SecurityGroupRules[0])
	}

	g := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{alb}}))(t).SecurityGroups[0]
	if len(g.IpPermissions) != 2 {
		t.Fatalf("ingress permissions = %+v", g.IpPermissions)
	}
	https := g.IpPermissions[0]
	if aws.ToString(https.IpProtocol) != "tcp" || aws.ToInt32(https.FromPort) != 443 || len(https.IpRanges) != 2 || len(https.Ipv6Ranges) != 1 ||
		aws.ToString(https.IpRanges[0].Description) != "https" {
		t.Errorf("https permission = %+v", https)
	}
	if http := g.IpPermissions[1]; aws.ToString(http.IpProtocol) != "tcp" || aws.ToString(http.PrefixListIds[0].PrefixListId) != "pl-63a5400a" {
		t.Errorf("http permission = %+v", http)
	}
	if len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].UserIdGroupPairs[0].UserId) != "123456789012" {
		t.Errorf("egress = %+v", g.IpPermissionsEgress)
	}

	rules := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", alb)}}))(t)
	if len(rules.SecurityGroupRules) != 5 {
		t.Errorf("rules of alb = %d, want 5", len(rules.SecurityGroupRules))
	}
	one := must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{aws.ToString(in.SecurityGroupRules[0].SecurityGroupRuleId)}}))(t)
	if r := one.SecurityGroupRules[0]; aws.ToString(r.CidrIpv4) != "0.0.0.0/0" || aws.ToBool(r.IsEgress) || tagMap(r.Tags)["rule"] != "yes" ||
		aws.ToInt32(r.FromPort) != 443 || aws.ToString(r.GroupId) != alb {
		t.Errorf("rule = %+v", r)
	}
	// ModifySecurityGroupRules keeps the id, as aws_vpc_security_group_ingress_rule updates do.
	must(c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(alb), SecurityGroupRules: []types.SecurityGroupRuleUpdate{{
		SecurityGroupRuleId: in.SecurityGroupRules[0].SecurityGroupRuleId,
		SecurityGroupRule:   &types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443), CidrIpv4: aws.String("0.0.0.0/0"), Description: aws.String("alt")},
	}}}))(t)
	one = must(c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{aws.ToString(in.SecurityGroupRules[0].SecurityGroupRuleId)}}))(t)
	if r := one.SecurityGroupRules[0]; aws.ToInt32(r.FromPort) != 8443 || aws.ToString(r.Description) != "alt" {
		t.Errorf("modified rule = %+v", r)
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"duplicate rule", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
			return err
		}, "InvalidPermission.Duplicate"},
		{"duplicate name", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("alb"), Description: aws.String("d"), VpcId: aws.String(vpc)})
			return err
		}, "InvalidGroup.Duplicate"},
		{"no vpc", func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("d")})
			return err
		}, "VPCIdNotSpecified"},
		{"missing group", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
			return err
		}, "InvalidGroup.NotFound"},
		{"reference to missing group", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(1), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0123456789abcdef0")}}}}})
			return err
		}, "InvalidGroup.NotFound"},
		{"bad port range", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(90), ToPort: aws.Int32(80), IpRanges: []types.IpRange{{CidrIp: aws.String("1.2.3.4/32")}}}}})
			return err
		}, "InvalidParameterValue"},
		{"bad protocol", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("carrier-pigeon"), IpRanges: []types.IpRange{{CidrIp: aws.String("1.2.3.4/32")}}}}})
			return err
		}, "InvalidParameterValue"},
		{"revoke missing rule id", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(alb), SecurityGroupRuleIds: []string{"sgr-0123456789abcdef0"}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound"},
		{"describe missing rule", func() error {
			_, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-0123456789abcdef0"}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound"},
		{"delete referenced group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(tasks)})
			return err
		}, "DependencyViolation"},
		{"delete default group", func() error {
			def := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpc), filter("group-name", "default")}}))(t)
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: def.SecurityGroups[0].GroupId})
			return err
		}, "CannotDelete"},
		{"delete vpc with groups", func() error {
			_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)})
			return err
		}, "DependencyViolation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}

	// Filters over permissions.
	byPeer := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("egress.ip-permission.group-id", tasks)}}))(t)
	if len(byPeer.SecurityGroups) != 1 || aws.ToString(byPeer.SecurityGroups[0].GroupId) != alb {
		t.Errorf("groups sending to tasks = %+v", byPeer.SecurityGroups)
	}

	must(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(alb), SecurityGroupRuleIds: []string{egressRule}}))(t)
	rev := must(c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(alb), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}, {CidrIp: aws.String("192.0.2.0/24")}}}}}))(t)
	if len(rev.RevokedSecurityGroupRules) != 1 || len(rev.UnknownIpPermissions) != 1 {
		t.Errorf("revoke = %+v unknown %+v", rev.RevokedSecurityGroupRules, rev.UnknownIpPermissions)
	}
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(tasks)}))(t)
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(alb)}))(t)
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(alb)})
	wantCode(t, err, "InvalidGroup.NotFound")
	// The rules' ids went with the group.
	_, err = c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{aws.ToString(in.SecurityGroupRules[1].SecurityGroupRuleId)}})
	wantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}))(t)
}

func TestFlowLogs(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	cw := must(c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{
		ResourceIds: []string{vpc}, ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeAll,
		LogDestinationType: types.LogDestinationTypeCloudWatchLogs, LogDestination: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/vpc/flow"),
		DeliverLogsPermissionArn: aws.String("arn:aws:iam::123456789012:role/flow"), MaxAggregationInterval: aws.Int32(60),
		TagSpecifications: tagSpec(types.ResourceTypeVpcFlowLog, "Name", "cw"),
	}))(t)
	if len(cw.FlowLogIds) != 1 || len(cw.Unsuccessful) != 0 {
		t.Fatalf("create = %+v", cw)
	}
	s3 := must(c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{
		ResourceIds: []string{vpc, "vpc-0123456789abcdef0"}, ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeReject,
		LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::flow-bucket/prefix"),
	}))(t)
	if len(s3.FlowLogIds) != 1 || len(s3.Unsuccessful) != 1 || aws.ToString(s3.Unsuccessful[0].Error.Code) != "InvalidVpcID.NotFound" {
		t.Fatalf("create s3 = %+v", s3)
	}
	dup := must(c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{
		ResourceIds: []string{vpc}, ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeReject,
		LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::flow-bucket/prefix"),
	}))(t)
	if len(dup.Unsuccessful) != 1 || aws.ToString(dup.Unsuccessful[0].Error.Code) != "FlowLogAlreadyExists" {
		t.Errorf("duplicate = %+v", dup.Unsuccessful)
	}
	_, err := c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{vpc}, ResourceType: types.FlowLogsResourceTypeVpc,
		TrafficType: types.TrafficTypeAll, LogGroupName: aws.String("/x")})
	wantCode(t, err, "InvalidParameterValue") // no DeliverLogsPermissionArn

	logs := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{filter("resource-id", vpc)}}))(t)
	if len(logs.FlowLogs) != 2 {
		t.Fatalf("flow logs = %+v", logs.FlowLogs)
	}
	one := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: cw.FlowLogIds}))(t)
	f := one.FlowLogs[0]
	if aws.ToString(f.LogGroupName) != "/vpc/flow" || aws.ToInt32(f.MaxAggregationInterval) != 60 || f.TrafficType != types.TrafficTypeAll ||
		!contains(aws.ToString(f.LogFormat), "${srcaddr}") || aws.ToString(f.FlowLogStatus) != "ACTIVE" || tagMap(f.Tags)["Name"] != "cw" ||
		f.DestinationOptions != nil {
		t.Errorf("cw flow log = %+v", f)
	}
	s3log := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: s3.FlowLogIds}))(t).FlowLogs[0]
	if s3log.DestinationOptions == nil || s3log.DestinationOptions.FileFormat != types.DestinationFileFormatPlainText || aws.ToInt32(s3log.MaxAggregationInterval) != 600 {
		t.Errorf("s3 flow log = %+v", s3log)
	}
	del := must(c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: append(cw.FlowLogIds, "fl-0123456789abcdef0")}))(t)
	if len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].Error.Code) != "InvalidFlowLogId.NotFound" {
		t.Errorf("delete = %+v", del.Unsuccessful)
	}
	// The VPC's remaining flow log goes with it.
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}))(t)
	left := must(c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}))(t)
	if len(left.FlowLogs) != 0 {
		t.Errorf("flow logs after vpc delete = %+v", left.FlowLogs)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestTags(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	subnet := createSubnet(t, c, vpc, "10.0.0.0/24", "us-east-1a")
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc, subnet}, Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("sre")}, {Key: aws.String("cost"), Value: aws.String("42")}}}))(t)
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{subnet}, Tags: []types.Tag{{Key: aws.String("cost"), Value: aws.String("wrong")}}}))(t)
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{vpc}, Tags: []types.Tag{{Key: aws.String("cost")}}}))(t)

	tests := []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"all", nil, 3},
		{"by resource", []types.Filter{filter("resource-id", subnet)}, 2},
		{"by type", []types.Filter{filter("resource-type", "vpc")}, 1},
		{"by key", []types.Filter{filter("key", "cost")}, 1},
		{"by value wildcard", []types.Filter{filter("value", "s?e")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: tt.filters}))(t)
			if len(out.Tags) != tt.want {
				t.Errorf("got %d tags (%+v), want %d", len(out.Tags), out.Tags, tt.want)
			}
		})
	}
	_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpc-0123456789abcdef0"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"banana"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, err, "InvalidID")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc}, Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("b")}}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestPagination(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := ctxT(t)
	want := map[string]bool{}
	for i := 0; i < 7; i++ {
		want[createVPC(t, c, "10.0.0.0/16")] = true
	}
	pages := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	got := map[string]bool{}
	n := 0
	for pages.HasMorePages() {
		page := must(pages.NextPage(ctx))(t)
		n++
		for _, v := range page.Vpcs {
			if got[aws.ToString(v.VpcId)] {
				t.Errorf("vpc %s on two pages", aws.ToString(v.VpcId))
			}
			got[aws.ToString(v.VpcId)] = true
		}
	}
	if n != 2 || len(got) != len(want) {
		t.Errorf("%d pages, %d vpcs; want 2 pages, %d vpcs", n, len(got), len(want))
	}
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{NextToken: aws.String("!!!")})
	wantCode(t, err, "InvalidNextToken")
}

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sb := sandboxtest.StartIn(t, dir)
	c := ec2.NewFromConfig(sb.AWSConfig())
	vpc := createVPC(t, c, "10.0.0.0/16")
	subnet := createSubnet(t, c, vpc, "10.0.0.0/24", "us-east-1b")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sb2 := sandboxtest.StartIn(t, dir)
	c2 := ec2.NewFromConfig(sb2.AWSConfig())
	out := must(c2.DescribeSubnets(ctxT(t), &ec2.DescribeSubnetsInput{SubnetIds: []string{subnet}}))(t)
	if aws.ToString(out.Subnets[0].VpcId) != vpc || aws.ToString(out.Subnets[0].AvailabilityZone) != "us-east-1b" {
		t.Errorf("subnet after restart = %+v", out.Subnets[0])
	}
}

// TestDeletedNATGatewayExpires: a deleted NAT gateway shows as "deleted"
// for an hour, then is gone (and its tags with it).
func TestDeletedNATGatewayExpires(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dir := t.TempDir()
	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	c := ec2.NewFromConfig((&sandboxtest.Sandbox{Server: srv, Dir: dir}).AWSConfig())
	ctx := ctxT(t)
	vpc := createVPC(t, c, "10.0.0.0/16")
	subnet := createSubnet(t, c, vpc, "10.0.0.0/24", "us-east-1a")
	nat := must(c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnet), ConnectivityType: types.ConnectivityTypePrivate,
		TagSpecifications: tagSpec(types.ResourceTypeNatgateway, "Name", "private")}))(t).NatGateway
	if got := aws.ToTime(nat.CreateTime); !got.Equal(now) {
		t.Errorf("create time = %v, want %v", got, now)
	}
	must(c.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: nat.NatGatewayId}))(t)
	mu.Lock()
	now = now.Add(59 * time.Minute)
	mu.Unlock()
	if n := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{aws.ToString(nat.NatGatewayId)}}))(t).NatGateways; n[0].State != types.NatGatewayStateDeleted {
		t.Errorf("after 59 minutes state = %s", n[0].State)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	_, err = c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{aws.ToString(nat.NatGatewayId)}})
	wantCode(t, err, "NatGatewayNotFound")
	if tags := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-type", "natgateway")}}))(t).Tags; len(tags) != 0 {
		t.Errorf("tags of the expired NAT gateway = %+v", tags)
	}
}
