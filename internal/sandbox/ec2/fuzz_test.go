package ec2_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// FuzzEC2Query posts arbitrary form bodies to the sandbox's EC2. Whatever
// the body, the answer is a success or an EC2-shaped error
// (<Response><Errors><Error><Code>…) with a 4xx status (or 501 for an
// action the sandbox lacks) — never a 500 (a panic or an unhandled error)
// and never a hang.
func FuzzEC2Query(f *testing.F) {
	seeds := []string{
		"",
		"Action=",
		"Action=DescribeVpcs&Version=2016-11-15",
		"Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0/16",
		"Action=CreateVpc&CidrBlock=10.0.0.0/33",
		"Action=CreateVpc&CidrBlock=%zz",
		"Action=CreateVpc&CidrBlock=10.0.0.0/16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=x",
		"Action=CreateVpc&CidrBlock=10.0.0.0/16&TagSpecification.1.ResourceType=subnet",
		"Action=CreateVpc&CidrBlock=10.0.0.0/16&AmazonProvidedIpv6CidrBlock=maybe",
		"Action=DescribeVpcs&VpcId.1=vpc-0123456789abcdef0",
		"Action=DescribeVpcs&VpcId.99999999999999999999=vpc-1",
		"Action=DescribeVpcs&Filter.1.Name=tag:Name&Filter.1.Value.1=*a?b\\",
		"Action=DescribeVpcs&Filter.1.Value.1=x",
		"Action=DescribeVpcs&MaxResults=-1&NextToken=%00",
		"Action=DescribeVpcs&MaxResults=99999999999999999999",
		"Action=DescribeVpcAttribute&VpcId=vpc-0123456789abcdef0&Attribute=enableDnsSupport",
		"Action=ModifyVpcAttribute&VpcId=vpc-0123456789abcdef0&EnableDnsHostnames.Value=true",
		"Action=CreateSubnet&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.1.0/24&AvailabilityZone=us-east-1a",
		"Action=CreateSubnet&Ipv6Native=true",
		"Action=ModifySubnetAttribute&SubnetId=subnet-1&MapPublicIpOnLaunch.Value=true",
		"Action=CreateSecurityGroup&GroupName=web&GroupDescription=d&VpcId=vpc-0123456789abcdef0",
		"Action=AuthorizeSecurityGroupIngress&GroupId=sg-0123456789abcdef0&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0",
		"Action=AuthorizeSecurityGroupIngress&GroupId=sg-1&IpProtocol=-1&CidrIp=300.0.0.0/0",
		"Action=RevokeSecurityGroupEgress&GroupId=sg-1&SecurityGroupRuleId.1=sgr-1",
		"Action=ModifySecurityGroupRules&GroupId=sg-1&SecurityGroupRule.1.SecurityGroupRuleId=sgr-1&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp",
		"Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=sgr-0123456789abcdef0",
		"Action=CreateRoute&RouteTableId=rtb-1&DestinationCidrBlock=0.0.0.0/0&GatewayId=igw-1&NatGatewayId=nat-1",
		"Action=AssociateRouteTable&RouteTableId=rtb-1",
		"Action=CreateNatGateway&SubnetId=subnet-1&ConnectivityType=private&PrivateIpAddress=10.0.0.999",
		"Action=AllocateAddress&Domain=standard",
		"Action=CreateFlowLogs&ResourceId.1=vpc-1&ResourceType=VPC&TrafficType=ALL&LogDestinationType=s3&LogDestination=arn:aws:s3:::b",
		"Action=CreateFlowLogs&ResourceId.1=vpc-1&ResourceType=VPC&TrafficType=ALL&LogDestination=arn:aws:logs",
		"Action=CreateTags&ResourceId.1=vpc-1&Tag.1.Key=aws:x",
		"Action=DeleteTags&ResourceId.1=banana",
		"Action=DescribeTags&Filter.1.Name=key&Filter.1.Value.1=*",
		"Action=DescribeAvailabilityZones&ZoneName.1=us-east-1z",
		"Action=DescribeAvailabilityZones&AllAvailabilityZones=1",
		"Action=CreateVpc&CidrBlock=10.0.0.0/16&DryRun=true",
		"Action=RunInstances&ImageId=ami-1",
		"Action=DescribeNetworkInterfaces&Filter.1.Name=description&Filter.1.Value.1=ELB*",
		"Action=ReplaceRouteTableAssociation&AssociationId=rtbassoc-1&RouteTableId=rtb-1",
		"Action=DescribeAddressesAttribute&Attribute=domain-name&AllocationId.1=eipalloc-1",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	sb := sandboxtest.Start(f)
	client := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := http.NewRequest(http.MethodPost, sb.URL()+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSANDBOX/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request failed (hang or crash?): %v", err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK {
			return
		}
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			t.Fatalf("status %d for %q:\n%s", resp.StatusCode, body, out)
		}
		var doc struct {
			XMLName xml.Name `xml:"Response"`
			Errors  []struct {
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Errors>Error"`
			RequestID string `xml:"RequestID"`
		}
		if err := xml.NewDecoder(bytes.NewReader(out)).Decode(&doc); err != nil || len(doc.Errors) != 1 || doc.Errors[0].Code == "" || doc.RequestID == "" {
			t.Fatalf("status %d with a body that is not an EC2 error (%v) for %q:\n%s", resp.StatusCode, err, body, out)
		}
		if resp.StatusCode == http.StatusNotImplemented && doc.Errors[0].Code != "NotImplemented" {
			t.Fatalf("501 with code %s", doc.Errors[0].Code)
		}
	})
}
