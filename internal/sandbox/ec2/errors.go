package ec2

import (
	"fmt"
	"net/http"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// EC2 answers every client error with HTTP 400 and a specific code.
func errf(code, format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, code, format, args...)
}

func errMissing(name string) *protocol.Error {
	return errf("MissingParameter", "The request must contain the parameter %s", name)
}

func errInvalidValue(name, value string) *protocol.Error {
	return errf("InvalidParameterValue", "Value (%s) for parameter %s is invalid.", value, name)
}

func errInvalidParam(format string, args ...any) *protocol.Error {
	return errf("InvalidParameterValue", format, args...)
}

func errCombination(format string, args ...any) *protocol.Error {
	return errf("InvalidParameterCombination", format, args...)
}

func errTagLimit() *protocol.Error {
	return errf("TagLimitExceeded", "The maximum number of tags (%d) per resource has been exceeded", maxTags)
}

func errDependency(format string, args ...any) *protocol.Error {
	return errf("DependencyViolation", format, args...)
}

// kind describes one EC2 resource type: its id prefix, its state namespace
// and the error codes EC2 uses when an id of that type is wrong.
type kind struct {
	prefix      string                 // "vpc"
	ns          string                 // state namespace
	noun        string                 // as EC2's messages name it: "vpc", "subnet", "internetGateway"
	notFound    string                 // error code for a well-formed id that does not exist
	malformed   string                 // error code for an id that is not of this type
	tagType     string                 // DescribeTags resource-type
	notFoundMsg func(id string) string // message override
}

func (k kind) errNotFound(id string) *protocol.Error {
	if k.notFoundMsg != nil {
		return errf(k.notFound, "%s", k.notFoundMsg(id))
	}
	return errf(k.notFound, "The %s ID '%s' does not exist", k.noun, id)
}

func (k kind) errMalformed(id string) *protocol.Error {
	return errf(k.malformed, "Invalid id: \"%s\" (expecting \"%s-...\")", id, k.prefix)
}

// The resource kinds. Each document lives at (ns, "<region>/<id>").
var (
	kVPC = kind{prefix: "vpc", ns: "ec2/vpc", noun: "vpc", notFound: "InvalidVpcID.NotFound",
		malformed: "InvalidVpcID.Malformed", tagType: "vpc"}
	kSubnet = kind{prefix: "subnet", ns: "ec2/subnet", noun: "subnet", notFound: "InvalidSubnetID.NotFound",
		malformed: "InvalidSubnetID.Malformed", tagType: "subnet"}
	kIGW = kind{prefix: "igw", ns: "ec2/igw", noun: "internetGateway", notFound: "InvalidInternetGatewayID.NotFound",
		malformed: "InvalidInternetGatewayId.Malformed", tagType: "internet-gateway"}
	kEIP = kind{prefix: "eipalloc", ns: "ec2/eip", noun: "allocation", notFound: "InvalidAllocationID.NotFound",
		malformed: "InvalidAllocationID.Malformed", tagType: "elastic-ip"}
	kNAT = kind{prefix: "nat", ns: "ec2/nat", noun: "natGateway", notFound: "NatGatewayNotFound",
		malformed: "InvalidNatGatewayID.Malformed", tagType: "natgateway",
		notFoundMsg: func(id string) string { return fmt.Sprintf("The Nat Gateway %s was not found", id) }}
	kRTB = kind{prefix: "rtb", ns: "ec2/rtb", noun: "routeTable", notFound: "InvalidRouteTableID.NotFound",
		malformed: "InvalidRouteTableId.Malformed", tagType: "route-table"}
	kSG = kind{prefix: "sg", ns: "ec2/sg", noun: "security group", notFound: "InvalidGroup.NotFound",
		malformed: "InvalidGroupId.Malformed", tagType: "security-group",
		notFoundMsg: func(id string) string { return fmt.Sprintf("The security group '%s' does not exist", id) }}
	kSGR = kind{prefix: "sgr", ns: "ec2/sgrule", noun: "security group rule", notFound: "InvalidSecurityGroupRuleId.NotFound",
		malformed: "InvalidSecurityGroupRuleId.Malformed", tagType: "security-group-rule",
		notFoundMsg: func(id string) string { return fmt.Sprintf("The security group rule ID '%s' does not exist", id) }}
	kACL = kind{prefix: "acl", ns: "ec2/acl", noun: "networkAcl", notFound: "InvalidNetworkAclID.NotFound",
		malformed: "InvalidNetworkAclId.Malformed", tagType: "network-acl"}
	kENI = kind{prefix: "eni", ns: "ec2/eni", noun: "networkInterface", notFound: "InvalidNetworkInterfaceID.NotFound",
		malformed: "InvalidNetworkInterfaceId.Malformed", tagType: "network-interface"}
	kFlowLog = kind{prefix: "fl", ns: "ec2/flowlog", noun: "flow log", notFound: "InvalidFlowLogId.NotFound",
		malformed: "InvalidFlowLogId.Malformed", tagType: "vpc-flow-log",
		notFoundMsg: func(id string) string { return fmt.Sprintf("Flow log %s does not exist", id) }}
	kDopt = kind{prefix: "dopt", ns: "ec2/dopt", noun: "dhcpOption", notFound: "InvalidDhcpOptionID.NotFound",
		malformed: "InvalidDhcpOptionsId.Malformed", tagType: "dhcp-options"}
)

// kinds lists the taggable kinds, for CreateTags/DeleteTags dispatch.
func kinds() []kind {
	return []kind{kVPC, kSubnet, kIGW, kEIP, kNAT, kRTB, kSG, kSGR, kACL, kENI, kFlowLog}
}

// kindOf finds the kind of an id by its prefix.
func kindOf(id string) (kind, bool) {
	for _, k := range kinds() {
		if validID(k.prefix, id) {
			return k, true
		}
	}
	return kind{}, false
}
