// Package ec2 is the sandbox's EC2, limited to networking: the VPCs,
// subnets, gateways, elastic IPs, route tables, security groups and flow
// logs that Terraform's AWS provider and aws-sdk-go-v2 users create, read,
// update and delete — over EC2's own dialect of the query protocol
// (Action=…&Version=2016-11-15, <OpResponse><requestId/>… answers, lists
// as <xxxSet><item/></xxxSet>, errors as <Response><Errors><Error>…).
//
// # What it owns
//
// One document per resource in the sandbox state, at
// (ec2/<kind>, "<region>/<id>"); tags of every kind apart in ec2/tags.
// Resources are regional: a VPC of us-east-1 is invisible from eu-west-1.
// Ids have AWS's shape (vpc-0123456789abcdef0). Like AWS, CreateVpc also
// creates the VPC's main route table, default security group (ingress from
// itself, egress anywhere) and default network ACL, and DeleteVpc removes
// them; a NAT gateway gets a network interface in its subnet and its
// elastic IP's association. Deletes that AWS refuses while something
// depends on the resource answer DependencyViolation here too.
//
// Lifecycles that take minutes on AWS are immediate: a VPC or NAT gateway
// is "pending" in its create answer and "available" when next described; a
// deleted NAT gateway shows as "deleted" for an hour.
//
// # What it does not own
//
// No instances, no default VPC (DescribeAccountAttributes says
// default-vpc none; CreateSecurityGroup without VpcId answers
// VPCIdNotSpecified), no IPAM, no transit gateways, peering or endpoints:
// routes to such targets answer their NotFound error, and operations the
// sandbox lacks answer NotImplemented. Flow log destinations (CloudWatch
// Logs, S3) belong to other services and are recorded, not checked.
//
// # Example
//
//	svc := ec2.New(env) // registered in sandbox.newServices
//	// aws-sdk-go-v2: ec2.NewFromConfig(cfg).CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
package ec2
