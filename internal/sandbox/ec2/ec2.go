package ec2

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Service is the sandbox's EC2 (networking).
type Service struct {
	*service.Query
	env service.Env
}

// New builds the EC2 service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.Query = &service.Query{ServiceName: "ec2", EC2: true, Logger: env.Logger, Ops: s.ops()}
	return s
}

// handler is the shape of every EC2 operation: the request's region and
// its form in, an XML-marshallable output or an error out.
type handler func(ctx context.Context, region string, p params) (any, error)

func (s *Service) ops() map[string]service.QueryOp {
	hs := map[string]handler{
		// Regions, zones, account.
		"DescribeAvailabilityZones": s.describeAvailabilityZones,
		"DescribeRegions":           s.describeRegions,
		"DescribeAccountAttributes": s.describeAccountAttributes,
		// VPCs.
		"CreateVpc":                s.createVpc,
		"DescribeVpcs":             s.describeVpcs,
		"DeleteVpc":                s.deleteVpc,
		"ModifyVpcAttribute":       s.modifyVpcAttribute,
		"DescribeVpcAttribute":     s.describeVpcAttribute,
		"AssociateVpcCidrBlock":    s.associateVpcCidrBlock,
		"DisassociateVpcCidrBlock": s.disassociateVpcCidrBlock,
		"DescribeNetworkAcls":      s.describeNetworkAcls,
		// Subnets.
		"CreateSubnet":                s.createSubnet,
		"DescribeSubnets":             s.describeSubnets,
		"DeleteSubnet":                s.deleteSubnet,
		"ModifySubnetAttribute":       s.modifySubnetAttribute,
		"AssociateSubnetCidrBlock":    s.associateSubnetCidrBlock,
		"DisassociateSubnetCidrBlock": s.disassociateSubnetCidrBlock,
		"DescribeNetworkInterfaces":   s.describeNetworkInterfaces,
		// Internet gateways.
		"CreateInternetGateway":    s.createInternetGateway,
		"DescribeInternetGateways": s.describeInternetGateways,
		"DeleteInternetGateway":    s.deleteInternetGateway,
		"AttachInternetGateway":    s.attachInternetGateway,
		"DetachInternetGateway":    s.detachInternetGateway,
		// Elastic IPs.
		"AllocateAddress":            s.allocateAddress,
		"DescribeAddresses":          s.describeAddresses,
		"ReleaseAddress":             s.releaseAddress,
		"DisassociateAddress":        s.disassociateAddress,
		"DescribeAddressesAttribute": s.describeAddressesAttribute,
		"ModifyAddressAttribute":     s.modifyAddressAttribute,
		"ResetAddressAttribute":      s.resetAddressAttribute,
		// NAT gateways.
		"CreateNatGateway":    s.createNatGateway,
		"DescribeNatGateways": s.describeNatGateways,
		"DeleteNatGateway":    s.deleteNatGateway,
		// Route tables.
		"CreateRouteTable":             s.createRouteTable,
		"DescribeRouteTables":          s.describeRouteTables,
		"DeleteRouteTable":             s.deleteRouteTable,
		"CreateRoute":                  s.createRoute,
		"ReplaceRoute":                 s.replaceRoute,
		"DeleteRoute":                  s.deleteRoute,
		"AssociateRouteTable":          s.associateRouteTable,
		"DisassociateRouteTable":       s.disassociateRouteTable,
		"ReplaceRouteTableAssociation": s.replaceRouteTableAssociation,
		// Security groups.
		"CreateSecurityGroup":                        s.createSecurityGroup,
		"DescribeSecurityGroups":                     s.describeSecurityGroups,
		"DeleteSecurityGroup":                        s.deleteSecurityGroup,
		"AuthorizeSecurityGroupIngress":              s.authorizeIngress,
		"AuthorizeSecurityGroupEgress":               s.authorizeEgress,
		"RevokeSecurityGroupIngress":                 s.revokeIngress,
		"RevokeSecurityGroupEgress":                  s.revokeEgress,
		"DescribeSecurityGroupRules":                 s.describeSecurityGroupRules,
		"ModifySecurityGroupRules":                   s.modifySecurityGroupRules,
		"UpdateSecurityGroupRuleDescriptionsIngress": s.updateRuleDescriptionsIngress,
		"UpdateSecurityGroupRuleDescriptionsEgress":  s.updateRuleDescriptionsEgress,
		// Flow logs.
		"CreateFlowLogs":   s.createFlowLogs,
		"DescribeFlowLogs": s.describeFlowLogs,
		"DeleteFlowLogs":   s.deleteFlowLogs,
		// Tags.
		"CreateTags":   s.createTags,
		"DeleteTags":   s.deleteTags,
		"DescribeTags": s.describeTags,
	}
	ops := make(map[string]service.QueryOp, len(hs))
	for name, h := range hs {
		ops[name] = s.adapt(h)
	}
	return ops
}

// adapt turns a handler into a service.QueryOp: it resolves the region and
// answers DryRun requests the way EC2 does (412 DryRunOperation) without
// running the operation.
func (s *Service) adapt(h handler) service.QueryOp {
	return func(ctx context.Context, r *service.Request, form url.Values) (any, error) {
		p := params{form}
		if dry, err := p.optBool("DryRun"); err != nil {
			return nil, err
		} else if dry != nil && *dry {
			return nil, protocol.Errorf(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		}
		return h(ctx, s.env.RegionOf(r), p)
	}
}

func (s *Service) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.Update(ctx, fn)
}

func (s *Service) view(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.View(ctx, fn)
}

func (s *Service) now() time.Time { return s.env.Now().UTC() }

// arn builds a regional EC2 ARN.
func (s *Service) arn(region, resource string) string {
	return s.env.ARN("ec2", region, resource)
}

// returnTrue is the body of the many EC2 operations that answer
// <return>true</return>.
type returnTrue struct {
	Return bool `xml:"return"`
}

func ok() returnTrue { return returnTrue{Return: true} }
