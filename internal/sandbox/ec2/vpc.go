package ec2

import (
	"context"
	"net/netip"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type cidrStateXML struct {
	State string `xml:"state"`
}

type vpcCidrAssocXML struct {
	AssociationID string       `xml:"associationId"`
	CidrBlock     string       `xml:"cidrBlock"`
	State         cidrStateXML `xml:"cidrBlockState"`
}

type vpcIPv6AssocXML struct {
	AssociationID      string       `xml:"associationId"`
	IPv6CidrBlock      string       `xml:"ipv6CidrBlock"`
	State              cidrStateXML `xml:"ipv6CidrBlockState"`
	NetworkBorderGroup string       `xml:"networkBorderGroup,omitempty"`
	IPv6Pool           string       `xml:"ipv6Pool,omitempty"`
}

type vpcXML struct {
	VpcID           string                `xml:"vpcId"`
	OwnerID         string                `xml:"ownerId"`
	State           string                `xml:"state"`
	CidrBlock       string                `xml:"cidrBlock"`
	CidrAssocs      set[vpcCidrAssocXML]  `xml:"cidrBlockAssociationSet"`
	IPv6Assocs      *set[vpcIPv6AssocXML] `xml:"ipv6CidrBlockAssociationSet,omitempty"`
	DhcpOptionsID   string                `xml:"dhcpOptionsId"`
	Tags            *set[tagXML]          `xml:"tagSet,omitempty"`
	InstanceTenancy string                `xml:"instanceTenancy"`
	IsDefault       bool                  `xml:"isDefault"`
}

func (s *Service) vpcXML(region string, v *vpcDoc, tags map[string]string, st string) vpcXML {
	out := vpcXML{
		VpcID: v.ID, OwnerID: s.env.AccountID, State: st, CidrBlock: v.CidrBlock,
		DhcpOptionsID: v.DhcpOptionsID, Tags: tagSet(tags), InstanceTenancy: v.InstanceTenancy,
	}
	for _, a := range v.CidrAssocs {
		out.CidrAssocs.Items = append(out.CidrAssocs.Items, vpcCidrAssocXML{AssociationID: a.ID, CidrBlock: a.CIDR, State: cidrStateXML{a.State}})
	}
	if len(v.IPv6Assocs) > 0 {
		out.IPv6Assocs = &set[vpcIPv6AssocXML]{}
		for _, a := range v.IPv6Assocs {
			out.IPv6Assocs.Items = append(out.IPv6Assocs.Items, ipv6AssocXML(region, a))
		}
	}
	return out
}

func ipv6AssocXML(region string, a cidrAssoc) vpcIPv6AssocXML {
	return vpcIPv6AssocXML{AssociationID: a.ID, IPv6CidrBlock: a.CIDR, State: cidrStateXML{a.State},
		NetworkBorderGroup: region, IPv6Pool: a.Pool}
}

type createVpcOut struct {
	Vpc vpcXML `xml:"vpc"`
}

func (s *Service) createVpc(ctx context.Context, region string, p params) (any, error) {
	for _, unsupported := range []string{"Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength", "Ipv6Pool", "Ipv6CidrBlock"} {
		if p.str(unsupported) != "" {
			return nil, notImplementedParam("CreateVpc", unsupported)
		}
	}
	cidr, err := p.required("CidrBlock")
	if err != nil {
		return nil, err
	}
	pfx, err := parseCIDR("cidrBlock", cidr, true)
	if err != nil {
		return nil, err
	}
	if pfx.Bits() < 16 || pfx.Bits() > 28 {
		return nil, errf("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
	}
	tenancy := p.str("InstanceTenancy")
	switch tenancy {
	case "":
		tenancy = "default"
	case "default", "dedicated":
	default:
		return nil, errInvalidValue("instanceTenancy", tenancy)
	}
	ipv6, err := p.optBool("AmazonProvidedIpv6CidrBlock")
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecs("vpc")
	if err != nil {
		return nil, err
	}
	v := &vpcDoc{
		ID: newID("vpc"), CidrBlock: pfx.String(), InstanceTenancy: tenancy,
		CidrAssocs:       []cidrAssoc{{ID: newID("vpc-cidr-assoc"), CIDR: pfx.String(), State: "associated"}},
		EnableDNSSupport: true, Created: s.now(),
	}
	if ipv6 != nil && *ipv6 {
		v.IPv6Assocs = []cidrAssoc{{ID: newID("vpc-cidr-assoc"), CIDR: newIPv6Block(), State: "associated", Pool: "Amazon"}}
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		dopt, err := s.defaultDhcpOptions(tx, region)
		if err != nil {
			return err
		}
		v.DhcpOptionsID = dopt
		if v.MainRouteTableID, err = createMainRouteTable(tx, region, v); err != nil {
			return err
		}
		if v.DefaultACLID, err = createDefaultACL(tx, region, v); err != nil {
			return err
		}
		if v.DefaultSGID, err = s.createDefaultSG(tx, region, v); err != nil {
			return err
		}
		if err := put(tx, kVPC, region, v.ID, v); err != nil {
			return err
		}
		return saveTags(tx, region, v.ID, tags)
	})
	if err != nil {
		return nil, err
	}
	// A new VPC is "pending" in CreateVpc's answer and "available" as soon
	// as anyone looks.
	return createVpcOut{Vpc: s.vpcXML(region, v, tags, "pending")}, nil
}

// defaultDhcpOptions returns the region's default DHCP options set,
// creating its id the first time (every VPC of a region shares it, as on
// AWS).
func (s *Service) defaultDhcpOptions(tx *state.Tx, region string) (string, error) {
	var d doptDoc
	err := tx.Get(kDopt.ns, region+"/default", &d)
	if err == nil {
		return d.ID, nil
	}
	if !isNotFound(err) {
		return "", err
	}
	d = doptDoc{ID: newID("dopt"), DomainName: domainName(region)}
	return d.ID, tx.Put(kDopt.ns, region+"/default", d)
}

func domainName(region string) string {
	if region == "us-east-1" {
		return "ec2.internal"
	}
	return region + ".compute.internal"
}

func createMainRouteTable(tx *state.Tx, region string, v *vpcDoc) (string, error) {
	t := &rtbDoc{ID: newID("rtb"), VpcID: v.ID}
	for _, c := range v.ipv4Blocks() {
		t.Routes = append(t.Routes, routeDoc{DestCIDR: c, GatewayID: "local", Origin: "CreateRouteTable"})
	}
	for _, c := range v.ipv6Blocks() {
		t.Routes = append(t.Routes, routeDoc{DestIPv6: c, GatewayID: "local", Origin: "CreateRouteTable"})
	}
	t.Assocs = []rtbAssocDoc{{ID: newID("rtbassoc"), Main: true}}
	return t.ID, put(tx, kRTB, region, t.ID, t)
}

func createDefaultACL(tx *state.Tx, region string, v *vpcDoc) (string, error) {
	a := &aclDoc{ID: newID("acl"), VpcID: v.ID, Default: true}
	for _, egress := range []bool{false, true} {
		a.Entries = append(a.Entries,
			aclEntryDoc{RuleNumber: 100, Protocol: "-1", Action: "allow", Egress: egress, CidrBlock: "0.0.0.0/0"},
			aclEntryDoc{RuleNumber: 32767, Protocol: "-1", Action: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
		if len(v.ipv6Blocks()) > 0 {
			a.Entries = append(a.Entries,
				aclEntryDoc{RuleNumber: 101, Protocol: "-1", Action: "allow", Egress: egress, IPv6Block: "::/0"},
				aclEntryDoc{RuleNumber: 32768, Protocol: "-1", Action: "deny", Egress: egress, IPv6Block: "::/0"})
		}
	}
	return a.ID, put(tx, kACL, region, a.ID, a)
}

func (s *Service) vpcFields(v *vpcDoc, tags map[string]string) fields {
	f := fields{}
	f.set("vpc-id", v.ID)
	f.set("cidr", v.CidrBlock)
	f.set("cidr-block", v.CidrBlock)
	for _, a := range v.CidrAssocs {
		f.set("cidr-block-association.cidr-block", a.CIDR)
		f.set("cidr-block-association.association-id", a.ID)
		f.set("cidr-block-association.state", a.State)
	}
	for _, a := range v.IPv6Assocs {
		f.set("ipv6-cidr-block-association.ipv6-cidr-block", a.CIDR)
		f.set("ipv6-cidr-block-association.association-id", a.ID)
		f.set("ipv6-cidr-block-association.state", a.State)
		f.set("ipv6-cidr-block-association.ipv6-pool", a.Pool)
	}
	f.set("dhcp-options-id", v.DhcpOptionsID)
	f.setBool("is-default", false)
	f.set("owner-id", s.env.AccountID)
	f.set("state", "available")
	f.set("instance-tenancy", v.InstanceTenancy)
	f.tags(tags)
	return f
}

var vpcFilterNames = []string{"vpc-id", "cidr", "cidr-block", "cidr-block-association.cidr-block",
	"cidr-block-association.association-id", "cidr-block-association.state",
	"ipv6-cidr-block-association.ipv6-cidr-block", "ipv6-cidr-block-association.association-id",
	"ipv6-cidr-block-association.state", "ipv6-cidr-block-association.ipv6-pool", "dhcp-options-id",
	"is-default", "owner-id", "state", "instance-tenancy"}

type describeVpcsOut struct {
	Vpcs      set[vpcXML] `xml:"vpcSet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func (s *Service) describeVpcs(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, vpcFilterNames...); err != nil {
		return nil, err
	}
	var items []vpcXML
	err = s.view(ctx, func(tx *state.Tx) error {
		vpcs, err := byIDs[vpcDoc](tx, kVPC, region, p.strs("VpcId"))
		if err != nil {
			return err
		}
		for _, v := range vpcs {
			tags, err := loadTags(tx, region, v.ID)
			if err != nil {
				return err
			}
			if s.vpcFields(v, tags).matches(fs) {
				items = append(items, s.vpcXML(region, v, tags, "available"))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(v vpcXML) string { return v.VpcID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeVpcsOut{Vpcs: set[vpcXML]{Items: pg}, NextToken: next}, nil
}

func (s *Service) deleteVpc(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		v, err := mustGet[vpcDoc](tx, kVPC, region, id)
		if err != nil {
			return err
		}
		dependency := errDependency("The vpc '%s' has dependencies and cannot be deleted.", id)
		subnets, err := all[subnetDoc](tx, kSubnet, region)
		if err != nil {
			return err
		}
		for _, sn := range subnets {
			if sn.VpcID == id {
				return dependency
			}
		}
		igws, err := all[igwDoc](tx, kIGW, region)
		if err != nil {
			return err
		}
		for _, g := range igws {
			if g.VpcID == id {
				return dependency
			}
		}
		sgs, err := all[sgDoc](tx, kSG, region)
		if err != nil {
			return err
		}
		for _, g := range sgs {
			if g.VpcID == id && g.ID != v.DefaultSGID {
				return dependency
			}
		}
		rtbs, err := all[rtbDoc](tx, kRTB, region)
		if err != nil {
			return err
		}
		for _, t := range rtbs {
			if t.VpcID == id && t.ID != v.MainRouteTableID {
				return dependency
			}
		}
		enis, err := all[eniDoc](tx, kENI, region)
		if err != nil {
			return err
		}
		for _, e := range enis {
			if e.VpcID == id {
				return dependency
			}
		}
		// What AWS removes with the VPC: its main route table, default
		// security group and network ACL, and its flow logs.
		if err := del(tx, kRTB, region, v.MainRouteTableID); err != nil {
			return err
		}
		if err := deleteSGDoc(tx, region, v.DefaultSGID); err != nil {
			return err
		}
		if err := del(tx, kACL, region, v.DefaultACLID); err != nil {
			return err
		}
		if err := deleteFlowLogsOf(tx, region, id); err != nil {
			return err
		}
		return del(tx, kVPC, region, id)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// vpcAttributes are ModifyVpcAttribute's and DescribeVpcAttribute's
// attributes: the form parameter, the attribute name, and the field.
func vpcAttributes(v *vpcDoc) []struct {
	param, name string
	field       *bool
} {
	return []struct {
		param, name string
		field       *bool
	}{
		{"EnableDnsSupport", "enableDnsSupport", &v.EnableDNSSupport},
		{"EnableDnsHostnames", "enableDnsHostnames", &v.EnableDNSHostnames},
		{"EnableNetworkAddressUsageMetrics", "enableNetworkAddressUsageMetrics", &v.EnableNAUMetrics},
	}
}

func (s *Service) modifyVpcAttribute(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		v, err := mustGet[vpcDoc](tx, kVPC, region, id)
		if err != nil {
			return err
		}
		var set []string
		for _, a := range vpcAttributes(v) {
			val, err := p.optBool(a.param + ".Value")
			if err != nil {
				return err
			}
			if val == nil {
				continue
			}
			set = append(set, a.name)
			*a.field = *val
		}
		switch {
		case len(set) == 0:
			return errf("InvalidParameterCombination", "No attributes specified.")
		case len(set) > 1:
			return errf("InvalidParameterCombination", "Fields for multiple attribute types specified: %s", joinComma(set))
		}
		return put(tx, kVPC, region, id, v)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

type boolValueXML struct {
	Value bool `xml:"value"`
}

type describeVpcAttributeOut struct {
	VpcID              string        `xml:"vpcId"`
	EnableDNSSupport   *boolValueXML `xml:"enableDnsSupport,omitempty"`
	EnableDNSHostnames *boolValueXML `xml:"enableDnsHostnames,omitempty"`
	EnableNAUMetrics   *boolValueXML `xml:"enableNetworkAddressUsageMetrics,omitempty"`
}

func (s *Service) describeVpcAttribute(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	attr, err := p.required("Attribute")
	if err != nil {
		return nil, err
	}
	var out describeVpcAttributeOut
	err = s.view(ctx, func(tx *state.Tx) error {
		v, err := mustGet[vpcDoc](tx, kVPC, region, id)
		if err != nil {
			return err
		}
		out.VpcID = id
		switch attr {
		case "enableDnsSupport":
			out.EnableDNSSupport = &boolValueXML{v.EnableDNSSupport}
		case "enableDnsHostnames":
			out.EnableDNSHostnames = &boolValueXML{v.EnableDNSHostnames}
		case "enableNetworkAddressUsageMetrics":
			out.EnableNAUMetrics = &boolValueXML{v.EnableNAUMetrics}
		default:
			return errf("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type vpcCidrAssocOut struct {
	VpcID string           `xml:"vpcId"`
	IPv4  *vpcCidrAssocXML `xml:"cidrBlockAssociation,omitempty"`
	IPv6  *vpcIPv6AssocXML `xml:"ipv6CidrBlockAssociation,omitempty"`
}

// associateVpcCidrBlock adds a secondary IPv4 block or an Amazon-provided
// IPv6 /56.
func (s *Service) associateVpcCidrBlock(ctx context.Context, region string, p params) (any, error) {
	for _, unsupported := range []string{"Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength", "Ipv6Pool", "Ipv6CidrBlock"} {
		if p.str(unsupported) != "" {
			return nil, notImplementedParam("AssociateVpcCidrBlock", unsupported)
		}
	}
	id, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	ipv6, err := p.optBool("AmazonProvidedIpv6CidrBlock")
	if err != nil {
		return nil, err
	}
	cidr := p.str("CidrBlock")
	wantIPv6 := ipv6 != nil && *ipv6
	if wantIPv6 == (cidr != "") {
		return nil, errCombination("Exactly one of CidrBlock or AmazonProvidedIpv6CidrBlock must be specified.")
	}
	out := vpcCidrAssocOut{VpcID: id}
	err = s.update(ctx, func(tx *state.Tx) error {
		v, err := mustGet[vpcDoc](tx, kVPC, region, id)
		if err != nil {
			return err
		}
		if wantIPv6 {
			if len(v.ipv6Blocks()) > 0 {
				return errf("CidrLimitExceeded", "This network '%s' has met its maximum number of allowed CIDRs: 1", id)
			}
			a := cidrAssoc{ID: newID("vpc-cidr-assoc"), CIDR: newIPv6Block(), State: "associated", Pool: "Amazon"}
			v.IPv6Assocs = append(v.IPv6Assocs, a)
			x := ipv6AssocXML(region, a)
			x.State.State = "associating"
			out.IPv6 = &x
			if err := addLocalRoute(tx, region, v, routeDoc{DestIPv6: a.CIDR}); err != nil {
				return err
			}
			return put(tx, kVPC, region, id, v)
		}
		pfx, err := parseCIDR("cidrBlock", cidr, true)
		if err != nil {
			return err
		}
		if pfx.Bits() < 16 || pfx.Bits() > 28 {
			return errf("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
		}
		if len(v.ipv4Blocks()) >= 5 {
			return errf("CidrLimitExceeded", "This network '%s' has met its maximum number of allowed CIDRs: 5", id)
		}
		for _, c := range v.ipv4Blocks() {
			if netip.MustParsePrefix(c).Overlaps(pfx) {
				return errf("InvalidVpc.Range", "The CIDR '%s' conflicts with another CIDR block of the VPC.", cidr)
			}
		}
		a := cidrAssoc{ID: newID("vpc-cidr-assoc"), CIDR: pfx.String(), State: "associated"}
		v.CidrAssocs = append(v.CidrAssocs, a)
		out.IPv4 = &vpcCidrAssocXML{AssociationID: a.ID, CidrBlock: a.CIDR, State: cidrStateXML{"associating"}}
		if err := addLocalRoute(tx, region, v, routeDoc{DestCIDR: a.CIDR}); err != nil {
			return err
		}
		return put(tx, kVPC, region, id, v)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) disassociateVpcCidrBlock(ctx context.Context, region string, p params) (any, error) {
	assocID, err := p.required("AssociationId")
	if err != nil {
		return nil, err
	}
	var out vpcCidrAssocOut
	err = s.update(ctx, func(tx *state.Tx) error {
		vpcs, err := all[vpcDoc](tx, kVPC, region)
		if err != nil {
			return err
		}
		for _, v := range vpcs {
			for i, a := range v.CidrAssocs {
				if a.ID != assocID || a.State != "associated" {
					continue
				}
				if i == 0 {
					return errf("OperationNotPermitted", "The vpc CIDR block with association ID %s may not be disassociated. It is the primary IPv4 CIDR block of the VPC", assocID)
				}
				if err := s.requireCidrUnused(tx, region, v.ID, a.CIDR); err != nil {
					return err
				}
				v.CidrAssocs = append(v.CidrAssocs[:i], v.CidrAssocs[i+1:]...)
				out = vpcCidrAssocOut{VpcID: v.ID, IPv4: &vpcCidrAssocXML{AssociationID: a.ID, CidrBlock: a.CIDR, State: cidrStateXML{"disassociating"}}}
				if err := removeLocalRoute(tx, region, v, a.CIDR); err != nil {
					return err
				}
				return put(tx, kVPC, region, v.ID, v)
			}
			for i, a := range v.IPv6Assocs {
				if a.ID != assocID || a.State != "associated" {
					continue
				}
				if err := s.requireCidrUnused(tx, region, v.ID, a.CIDR); err != nil {
					return err
				}
				v.IPv6Assocs = append(v.IPv6Assocs[:i], v.IPv6Assocs[i+1:]...)
				x := ipv6AssocXML(region, a)
				x.State.State = "disassociating"
				out = vpcCidrAssocOut{VpcID: v.ID, IPv6: &x}
				if err := removeLocalRoute(tx, region, v, a.CIDR); err != nil {
					return err
				}
				return put(tx, kVPC, region, v.ID, v)
			}
		}
		return errf("InvalidVpcCidrBlockAssociationID.NotFound", "The vpc CIDR block association ID '%s' does not exist", assocID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// requireCidrUnused refuses to remove a VPC block that a subnet still uses.
func (s *Service) requireCidrUnused(tx *state.Tx, region, vpcID, cidr string) error {
	block := netip.MustParsePrefix(cidr)
	subnets, err := all[subnetDoc](tx, kSubnet, region)
	if err != nil {
		return err
	}
	for _, sn := range subnets {
		if sn.VpcID != vpcID {
			continue
		}
		used := []string{sn.CidrBlock}
		for _, a := range sn.IPv6Assocs {
			used = append(used, a.CIDR)
		}
		for _, c := range used {
			if c != "" && block.Overlaps(netip.MustParsePrefix(c)) {
				return errf("InvalidCidrBlock.InUse", "The vpc %s currently has a subnet within CIDR block %s", vpcID, cidr)
			}
		}
	}
	return nil
}

// addLocalRoute adds the local route of a new VPC block to every route
// table of the VPC; removeLocalRoute removes it.
func addLocalRoute(tx *state.Tx, region string, v *vpcDoc, r routeDoc) error {
	r.GatewayID, r.Origin = "local", "CreateRouteTable"
	rtbs, err := all[rtbDoc](tx, kRTB, region)
	if err != nil {
		return err
	}
	for _, t := range rtbs {
		if t.VpcID == v.ID {
			t.Routes = append(t.Routes, r)
			if err := put(tx, kRTB, region, t.ID, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func removeLocalRoute(tx *state.Tx, region string, v *vpcDoc, cidr string) error {
	rtbs, err := all[rtbDoc](tx, kRTB, region)
	if err != nil {
		return err
	}
	for _, t := range rtbs {
		if t.VpcID != v.ID {
			continue
		}
		kept := t.Routes[:0]
		for _, r := range t.Routes {
			if !(r.GatewayID == "local" && r.dest() == cidr) {
				kept = append(kept, r)
			}
		}
		t.Routes = kept
		if err := put(tx, kRTB, region, t.ID, t); err != nil {
			return err
		}
	}
	return nil
}

func notImplementedParam(op, param string) *protocol.Error {
	e := protocol.NotImplemented("ec2", op)
	e.Message = "the vigil sandbox does not implement ec2:" + op + " with " + param
	return e
}

func joinComma(list []string) string {
	out := ""
	for i, s := range list {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
