package ec2

import (
	"context"
	"net/netip"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// ---- internet gateways ----

type igwAttachmentXML struct {
	State string `xml:"state"`
	VpcID string `xml:"vpcId"`
}

type igwXML struct {
	InternetGatewayID string                `xml:"internetGatewayId"`
	OwnerID           string                `xml:"ownerId"`
	Attachments       set[igwAttachmentXML] `xml:"attachmentSet"`
	Tags              *set[tagXML]          `xml:"tagSet,omitempty"`
}

func (s *Service) igwXML(g *igwDoc, tags map[string]string) igwXML {
	x := igwXML{InternetGatewayID: g.ID, OwnerID: s.env.AccountID, Tags: tagSet(tags)}
	if g.VpcID != "" {
		// EC2 reports an attached internet gateway's attachment as "available".
		x.Attachments.Items = []igwAttachmentXML{{State: "available", VpcID: g.VpcID}}
	}
	return x
}

type createIGWOut struct {
	InternetGateway igwXML `xml:"internetGateway"`
}

func (s *Service) createInternetGateway(ctx context.Context, region string, p params) (any, error) {
	tags, err := p.tagSpecs("internet-gateway")
	if err != nil {
		return nil, err
	}
	g := &igwDoc{ID: newID("igw")}
	err = s.update(ctx, func(tx *state.Tx) error {
		if err := put(tx, kIGW, region, g.ID, g); err != nil {
			return err
		}
		return saveTags(tx, region, g.ID, tags)
	})
	if err != nil {
		return nil, err
	}
	return createIGWOut{InternetGateway: s.igwXML(g, tags)}, nil
}

type describeIGWsOut struct {
	IGWs      set[igwXML] `xml:"internetGatewaySet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func (s *Service) describeInternetGateways(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "attachment.state", "attachment.vpc-id", "internet-gateway-id", "owner-id"); err != nil {
		return nil, err
	}
	var items []igwXML
	err = s.view(ctx, func(tx *state.Tx) error {
		igws, err := byIDs[igwDoc](tx, kIGW, region, p.strs("InternetGatewayId"))
		if err != nil {
			return err
		}
		for _, g := range igws {
			tags, err := loadTags(tx, region, g.ID)
			if err != nil {
				return err
			}
			f := fields{}
			f.set("internet-gateway-id", g.ID)
			f.set("owner-id", s.env.AccountID)
			if g.VpcID != "" {
				f.set("attachment.state", "available")
				f.set("attachment.vpc-id", g.VpcID)
			}
			f.tags(tags)
			if f.matches(fs) {
				items = append(items, s.igwXML(g, tags))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(x igwXML) string { return x.InternetGatewayID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeIGWsOut{IGWs: set[igwXML]{Items: pg}, NextToken: next}, nil
}

func (s *Service) deleteInternetGateway(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("InternetGatewayId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[igwDoc](tx, kIGW, region, id)
		if err != nil {
			return err
		}
		if g.VpcID != "" {
			return errDependency("The internetGateway '%s' has dependencies and cannot be deleted.", id)
		}
		return del(tx, kIGW, region, id)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Service) attachInternetGateway(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("InternetGatewayId")
	if err != nil {
		return nil, err
	}
	vpcID, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[igwDoc](tx, kIGW, region, id)
		if err != nil {
			return err
		}
		if _, err := mustGet[vpcDoc](tx, kVPC, region, vpcID); err != nil {
			return err
		}
		if g.VpcID != "" {
			return errf("Resource.AlreadyAssociated", "resource %s is already attached to network %s", id, g.VpcID)
		}
		igws, err := all[igwDoc](tx, kIGW, region)
		if err != nil {
			return err
		}
		for _, other := range igws {
			if other.VpcID == vpcID {
				return errInvalidParam("Network %s already has an internet gateway attached", vpcID)
			}
		}
		g.VpcID = vpcID
		return put(tx, kIGW, region, id, g)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Service) detachInternetGateway(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("InternetGatewayId")
	if err != nil {
		return nil, err
	}
	vpcID, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[igwDoc](tx, kIGW, region, id)
		if err != nil {
			return err
		}
		if _, err := mustGet[vpcDoc](tx, kVPC, region, vpcID); err != nil {
			return err
		}
		if g.VpcID != vpcID {
			return errf("Gateway.NotAttached", "resource %s is not attached to network %s", id, vpcID)
		}
		// Public addresses mapped in the VPC (NAT gateways) need the gateway.
		enis, err := all[eniDoc](tx, kENI, region)
		if err != nil {
			return err
		}
		for _, e := range enis {
			if e.VpcID == vpcID && e.PublicIP != "" {
				return errDependency("Network %s has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.", vpcID)
			}
		}
		g.VpcID = ""
		return put(tx, kIGW, region, id, g)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// ---- elastic IPs ----

// publicPools are where the sandbox's elastic IPs come from: the three
// documentation ranges (RFC 5737), so they can never be mistaken for real
// addresses.
func publicPools() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
	}
}

type addressXML struct {
	PublicIP                string       `xml:"publicIp"`
	AllocationID            string       `xml:"allocationId"`
	Domain                  string       `xml:"domain"`
	AssociationID           string       `xml:"associationId,omitempty"`
	NetworkInterfaceID      string       `xml:"networkInterfaceId,omitempty"`
	NetworkInterfaceOwnerID string       `xml:"networkInterfaceOwnerId,omitempty"`
	PrivateIPAddress        string       `xml:"privateIpAddress,omitempty"`
	PublicIPv4Pool          string       `xml:"publicIpv4Pool"`
	NetworkBorderGroup      string       `xml:"networkBorderGroup"`
	Tags                    *set[tagXML] `xml:"tagSet,omitempty"`
}

func (s *Service) addressXML(a *eipDoc, tags map[string]string) addressXML {
	x := addressXML{PublicIP: a.PublicIP, AllocationID: a.AllocationID, Domain: "vpc", AssociationID: a.AssociationID,
		NetworkInterfaceID: a.NetworkInterfaceID, PrivateIPAddress: a.PrivateIP, PublicIPv4Pool: "amazon",
		NetworkBorderGroup: a.NetworkBorderGroup, Tags: tagSet(tags)}
	if a.NetworkInterfaceID != "" {
		x.NetworkInterfaceOwnerID = s.env.AccountID
	}
	return x
}

type allocateAddressOut struct {
	PublicIP           string `xml:"publicIp"`
	AllocationID       string `xml:"allocationId"`
	Domain             string `xml:"domain"`
	PublicIPv4Pool     string `xml:"publicIpv4Pool"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
}

func (s *Service) allocateAddress(ctx context.Context, region string, p params) (any, error) {
	for _, unsupported := range []string{"Address", "CustomerOwnedIpv4Pool", "IpamPoolId"} {
		if p.str(unsupported) != "" {
			return nil, notImplementedParam("AllocateAddress", unsupported)
		}
	}
	switch d := p.str("Domain"); d {
	case "", "vpc":
	case "standard":
		return nil, errInvalidParam("EC2-Classic has been retired; the standard domain is not available")
	default:
		return nil, errInvalidValue("domain", d)
	}
	if pool := p.str("PublicIpv4Pool"); pool != "" && pool != "amazon" {
		return nil, errf("InvalidPublicIpv4PoolID.NotFound", "The public IPv4 pool ID '%s' does not exist", pool)
	}
	if nbg := p.str("NetworkBorderGroup"); nbg != "" && nbg != region {
		return nil, errInvalidValue("networkBorderGroup", nbg)
	}
	tags, err := p.tagSpecs("elastic-ip")
	if err != nil {
		return nil, err
	}
	a := &eipDoc{AllocationID: newID("eipalloc"), NetworkBorderGroup: region}
	err = s.update(ctx, func(tx *state.Tx) error {
		eips, err := all[eipDoc](tx, kEIP, region)
		if err != nil {
			return err
		}
		used := map[string]bool{}
		for _, e := range eips {
			used[e.PublicIP] = true
		}
		for _, pool := range publicPools() {
			for n := 1; n < size(pool)-1 && a.PublicIP == ""; n++ {
				if ip := nthAddr(pool, n).String(); !used[ip] {
					a.PublicIP = ip
				}
			}
		}
		if a.PublicIP == "" {
			return errf("AddressLimitExceeded", "The maximum number of addresses has been reached.")
		}
		if err := put(tx, kEIP, region, a.AllocationID, a); err != nil {
			return err
		}
		return saveTags(tx, region, a.AllocationID, tags)
	})
	if err != nil {
		return nil, err
	}
	return allocateAddressOut{PublicIP: a.PublicIP, AllocationID: a.AllocationID, Domain: "vpc", PublicIPv4Pool: "amazon", NetworkBorderGroup: region}, nil
}

type describeAddressesOut struct {
	Addresses set[addressXML] `xml:"addressesSet"`
}

func (s *Service) describeAddresses(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "allocation-id", "association-id", "domain", "instance-id", "network-border-group",
		"network-interface-id", "network-interface-owner-id", "private-ip-address", "public-ip"); err != nil {
		return nil, err
	}
	ips := p.strs("PublicIp")
	var out describeAddressesOut
	err = s.view(ctx, func(tx *state.Tx) error {
		eips, err := byIDs[eipDoc](tx, kEIP, region, p.strs("AllocationId"))
		if err != nil {
			return err
		}
		for _, ip := range ips {
			found := false
			for _, e := range eips {
				found = found || e.PublicIP == ip
			}
			if !found {
				return errf("InvalidAddress.NotFound", "Address %s not found.", ip)
			}
		}
		for _, e := range eips {
			if len(ips) > 0 && !contains(ips, e.PublicIP) {
				continue
			}
			tags, err := loadTags(tx, region, e.AllocationID)
			if err != nil {
				return err
			}
			f := fields{}
			f.set("allocation-id", e.AllocationID)
			f.set("association-id", e.AssociationID)
			f.set("domain", "vpc")
			f.set("network-border-group", e.NetworkBorderGroup)
			f.set("network-interface-id", e.NetworkInterfaceID)
			if e.NetworkInterfaceID != "" {
				f.set("network-interface-owner-id", s.env.AccountID)
			}
			f.set("private-ip-address", e.PrivateIP)
			f.set("public-ip", e.PublicIP)
			f.tags(tags)
			if f.matches(fs) {
				out.Addresses.Items = append(out.Addresses.Items, s.addressXML(e, tags))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) releaseAddress(ctx context.Context, region string, p params) (any, error) {
	id := p.str("AllocationId")
	if id == "" {
		if p.str("PublicIp") != "" {
			return nil, errInvalidParam("EC2-Classic has been retired; release a VPC address by AllocationId")
		}
		return nil, errMissing("AllocationId")
	}
	if nbg := p.str("NetworkBorderGroup"); nbg != "" && nbg != region {
		return nil, errInvalidValue("networkBorderGroup", nbg)
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		a, err := mustGet[eipDoc](tx, kEIP, region, id)
		if err != nil {
			return err
		}
		if a.AssociationID != "" {
			return errf("InvalidIPAddress.InUse", "Address %s is in use.", a.PublicIP)
		}
		return del(tx, kEIP, region, id)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// disassociateAddress removes an elastic IP's association. The sandbox's
// only associations are NAT gateways', which EC2 does not let users break:
// they end when the NAT gateway is deleted.
func (s *Service) disassociateAddress(ctx context.Context, region string, p params) (any, error) {
	assocID := p.str("AssociationId")
	if assocID == "" {
		if p.str("PublicIp") != "" {
			return nil, errInvalidParam("EC2-Classic has been retired; disassociate a VPC address by AssociationId")
		}
		return nil, errMissing("AssociationId")
	}
	err := s.view(ctx, func(tx *state.Tx) error {
		eips, err := all[eipDoc](tx, kEIP, region)
		if err != nil {
			return err
		}
		for _, e := range eips {
			if e.AssociationID == assocID {
				return errf("OperationNotPermitted", "The association %s of %s belongs to a NAT gateway; delete the NAT gateway to release the address", assocID, e.PublicIP)
			}
		}
		return errf("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assocID)
	})
	return nil, err
}

type addressAttributeXML struct {
	PublicIP     string `xml:"publicIp"`
	AllocationID string `xml:"allocationId"`
	PtrRecord    string `xml:"ptrRecord,omitempty"`
}

type describeAddressesAttributeOut struct {
	Addresses set[addressAttributeXML] `xml:"addressSet"`
	NextToken string                   `xml:"nextToken,omitempty"`
}

// describeAddressesAttribute reports the reverse DNS (domain-name)
// attribute: addresses appear only once a PTR record was set on them.
func (s *Service) describeAddressesAttribute(ctx context.Context, region string, p params) (any, error) {
	if attr := p.str("Attribute"); attr != "domain-name" {
		if attr == "" {
			return nil, errMissing("Attribute")
		}
		return nil, errInvalidValue("attribute", attr)
	}
	var items []addressAttributeXML
	err := s.view(ctx, func(tx *state.Tx) error {
		eips, err := byIDs[eipDoc](tx, kEIP, region, p.strs("AllocationId"))
		if err != nil {
			return err
		}
		for _, e := range eips {
			if e.PtrRecord != "" {
				items = append(items, addressAttributeXML{PublicIP: e.PublicIP, AllocationID: e.AllocationID, PtrRecord: e.PtrRecord})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(x addressAttributeXML) string { return x.AllocationID }, 1, 1000)
	if err != nil {
		return nil, err
	}
	return describeAddressesAttributeOut{Addresses: set[addressAttributeXML]{Items: pg}, NextToken: next}, nil
}

type modifyAddressAttributeOut struct {
	Address addressAttributeXML `xml:"address"`
}

func (s *Service) modifyAddressAttribute(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("AllocationId")
	if err != nil {
		return nil, err
	}
	name, err := p.required("DomainName")
	if err != nil {
		return nil, err
	}
	return s.setPtr(ctx, region, id, name+".")
}

func (s *Service) resetAddressAttribute(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("AllocationId")
	if err != nil {
		return nil, err
	}
	if attr := p.str("Attribute"); attr != "domain-name" {
		return nil, errInvalidValue("attribute", attr)
	}
	return s.setPtr(ctx, region, id, "")
}

func (s *Service) setPtr(ctx context.Context, region, id, ptr string) (any, error) {
	var out modifyAddressAttributeOut
	err := s.update(ctx, func(tx *state.Tx) error {
		a, err := mustGet[eipDoc](tx, kEIP, region, id)
		if err != nil {
			return err
		}
		a.PtrRecord = ptr
		out.Address = addressAttributeXML{PublicIP: a.PublicIP, AllocationID: a.AllocationID, PtrRecord: ptr}
		return put(tx, kEIP, region, id, a)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- NAT gateways ----

// deletedNATVisible is how long a deleted NAT gateway stays visible in
// DescribeNatGateways, as on AWS.
const deletedNATVisible = time.Hour

type natAddressXML struct {
	AllocationID       string `xml:"allocationId,omitempty"`
	NetworkInterfaceID string `xml:"networkInterfaceId"`
	PrivateIP          string `xml:"privateIp"`
	PublicIP           string `xml:"publicIp,omitempty"`
	AssociationID      string `xml:"associationId,omitempty"`
	IsPrimary          bool   `xml:"isPrimary"`
	Status             string `xml:"status"`
}

type natXML struct {
	CreateTime       string             `xml:"createTime"`
	DeleteTime       string             `xml:"deleteTime,omitempty"`
	Addresses        set[natAddressXML] `xml:"natGatewayAddressSet"`
	NatGatewayID     string             `xml:"natGatewayId"`
	State            string             `xml:"state"`
	SubnetID         string             `xml:"subnetId"`
	VpcID            string             `xml:"vpcId"`
	Tags             *set[tagXML]       `xml:"tagSet,omitempty"`
	ConnectivityType string             `xml:"connectivityType"`
}

func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func natXMLOf(n *natDoc, tags map[string]string, st string) natXML {
	x := natXML{CreateTime: awsTime(n.Created), NatGatewayID: n.ID, State: st, SubnetID: n.SubnetID, VpcID: n.VpcID,
		Tags: tagSet(tags), ConnectivityType: n.ConnectivityType}
	if n.Deleted != nil {
		x.DeleteTime = awsTime(*n.Deleted)
	}
	status := "succeeded"
	if st == "pending" {
		status = "associating"
	}
	x.Addresses.Items = []natAddressXML{{AllocationID: n.AllocationID, NetworkInterfaceID: n.ENIID, PrivateIP: n.PrivateIP,
		PublicIP: n.PublicIP, AssociationID: n.AssociationID, IsPrimary: true, Status: status}}
	return x
}

type createNatGatewayOut struct {
	ClientToken string `xml:"clientToken,omitempty"`
	NatGateway  natXML `xml:"natGateway"`
}

func (s *Service) createNatGateway(ctx context.Context, region string, p params) (any, error) {
	for _, unsupported := range []string{"SecondaryPrivateIpAddressCount", "AvailabilityMode", "VpcId"} {
		if p.str(unsupported) != "" {
			return nil, notImplementedParam("CreateNatGateway", unsupported)
		}
	}
	if len(p.strs("SecondaryAllocationId")) > 0 || len(p.strs("SecondaryPrivateIpAddress")) > 0 || len(p.list("AvailabilityZoneAddress")) > 0 {
		return nil, notImplementedParam("CreateNatGateway", "secondary addresses")
	}
	subnetID, err := p.required("SubnetId")
	if err != nil {
		return nil, err
	}
	conn := p.str("ConnectivityType")
	switch conn {
	case "":
		conn = "public"
	case "public", "private":
	default:
		return nil, errInvalidValue("connectivityType", conn)
	}
	allocID := p.str("AllocationId")
	if conn == "public" && allocID == "" {
		return nil, errMissing("AllocationId")
	}
	if conn == "private" && allocID != "" {
		return nil, errCombination("A private NAT gateway cannot have an Elastic IP address (AllocationId)")
	}
	tags, err := p.tagSpecs("natgateway")
	if err != nil {
		return nil, err
	}
	token := p.str("ClientToken")
	var n *natDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		if id, found, err := tokenLookup(tx, region, "CreateNatGateway", token); err != nil {
			return err
		} else if found {
			n, err = mustGet[natDoc](tx, kNAT, region, id)
			if err != nil {
				return err
			}
			tags, err = loadTags(tx, region, id)
			return err
		}
		if err := s.purgeDeletedNATs(tx, region); err != nil {
			return err
		}
		sn, err := mustGet[subnetDoc](tx, kSubnet, region, subnetID)
		if err != nil {
			return err
		}
		if sn.CidrBlock == "" {
			return errInvalidParam("Subnet %s has no IPv4 CIDR block", subnetID)
		}
		n = &natDoc{ID: newID("nat"), VpcID: sn.VpcID, SubnetID: sn.ID, ConnectivityType: conn, State: "available",
			Created: s.now(), ENIID: newID("eni")}
		var eip *eipDoc
		if conn == "public" {
			igws, err := all[igwDoc](tx, kIGW, region)
			if err != nil {
				return err
			}
			attached := false
			for _, g := range igws {
				attached = attached || g.VpcID == sn.VpcID
			}
			if !attached {
				return errf("Gateway.NotAttached", "Network %s has no Internet gateway attached", sn.VpcID)
			}
			if eip, err = mustGet[eipDoc](tx, kEIP, region, allocID); err != nil {
				return err
			}
			if eip.AssociationID != "" {
				return errf("Resource.AlreadyAssociated", "Elastic IP address [%s] is already associated", allocID)
			}
		}
		ip, err := pickPrivateIP(tx, region, sn, p.str("PrivateIpAddress"))
		if err != nil {
			return err
		}
		n.PrivateIP = ip
		e := &eniDoc{ID: n.ENIID, SubnetID: sn.ID, VpcID: sn.VpcID, AZ: sn.AZ, AZID: sn.AZID, PrivateIP: ip, MAC: newMAC(),
			Description: "Interface for NAT Gateway " + n.ID, InterfaceType: "nat_gateway", RequesterID: "AWS",
			RequesterManaged: true}
		if eip != nil {
			n.AllocationID, n.PublicIP, n.AssociationID = eip.AllocationID, eip.PublicIP, newID("eipassoc")
			eip.AssociationID, eip.NetworkInterfaceID, eip.PrivateIP = n.AssociationID, e.ID, ip
			e.PublicIP, e.AllocationID, e.AssociationID = eip.PublicIP, eip.AllocationID, n.AssociationID
			if err := put(tx, kEIP, region, eip.AllocationID, eip); err != nil {
				return err
			}
		}
		if err := put(tx, kENI, region, e.ID, e); err != nil {
			return err
		}
		if err := put(tx, kNAT, region, n.ID, n); err != nil {
			return err
		}
		if err := tokenRecord(tx, region, "CreateNatGateway", token, n.ID); err != nil {
			return err
		}
		return saveTags(tx, region, n.ID, tags)
	})
	if err != nil {
		return nil, err
	}
	st := n.State
	if st == "available" {
		// "pending" in CreateNatGateway's answer; available when next described.
		st = "pending"
	}
	return createNatGatewayOut{ClientToken: token, NatGateway: natXMLOf(n, tags, st)}, nil
}

// pickPrivateIP returns want (if free and inside the subnet) or the first
// free address after the four AWS reserves.
func pickPrivateIP(tx *state.Tx, region string, sn *subnetDoc, want string) (string, error) {
	pfx := netip.MustParsePrefix(sn.CidrBlock)
	used, err := ipsInUse(tx, region)
	if err != nil {
		return "", err
	}
	inUse := used[sn.ID]
	if want != "" {
		a, err := netip.ParseAddr(want)
		if err != nil || !a.Is4() {
			return "", errInvalidValue("privateIpAddress", want)
		}
		first, last := nthAddr(pfx, 4), nthAddr(pfx, size(pfx)-2)
		if !pfx.Contains(a) || a.Less(first) || last.Less(a) {
			return "", errInvalidParam("Address %s does not fall within the subnet's address range", want)
		}
		if inUse[want] {
			return "", errf("InvalidIPAddress.InUse", "Address %s is in use.", want)
		}
		return want, nil
	}
	for n := 4; n < size(pfx)-1; n++ {
		if ip := nthAddr(pfx, n).String(); !inUse[ip] {
			return ip, nil
		}
	}
	return "", errf("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.ID)
}

// natVisible is whether a NAT gateway still shows in DescribeNatGateways.
func (s *Service) natVisible(n *natDoc) bool {
	return n.Deleted == nil || s.now().Sub(*n.Deleted) < deletedNATVisible
}

// purgeDeletedNATs forgets NAT gateways deleted long enough ago that
// DescribeNatGateways no longer shows them.
func (s *Service) purgeDeletedNATs(tx *state.Tx, region string) error {
	nats, err := all[natDoc](tx, kNAT, region)
	if err != nil {
		return err
	}
	for _, n := range nats {
		if !s.natVisible(n) {
			if err := del(tx, kNAT, region, n.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

type describeNatGatewaysOut struct {
	NATs      set[natXML] `xml:"natGatewaySet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func (s *Service) describeNatGateways(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "nat-gateway-id", "state", "subnet-id", "vpc-id"); err != nil {
		return nil, err
	}
	var items []natXML
	err = s.view(ctx, func(tx *state.Tx) error {
		ids := p.strs("NatGatewayId")
		nats, err := byIDs[natDoc](tx, kNAT, region, ids)
		if err != nil {
			return err
		}
		for _, n := range nats {
			if !s.natVisible(n) {
				if len(ids) > 0 {
					return kNAT.errNotFound(n.ID)
				}
				continue
			}
			tags, err := loadTags(tx, region, n.ID)
			if err != nil {
				return err
			}
			f := fields{}
			f.set("nat-gateway-id", n.ID)
			f.set("state", n.State)
			f.set("subnet-id", n.SubnetID)
			f.set("vpc-id", n.VpcID)
			f.tags(tags)
			if f.matches(fs) {
				items = append(items, natXMLOf(n, tags, n.State))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(x natXML) string { return x.NatGatewayID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeNatGatewaysOut{NATs: set[natXML]{Items: pg}, NextToken: next}, nil
}

type deleteNatGatewayOut struct {
	NatGatewayID string `xml:"natGatewayId"`
}

// deleteNatGateway releases the gateway's interface and elastic IP at once;
// the gateway stays visible as "deleted" for an hour.
func (s *Service) deleteNatGateway(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("NatGatewayId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		n, err := mustGet[natDoc](tx, kNAT, region, id)
		if err != nil {
			return err
		}
		if !s.natVisible(n) {
			return kNAT.errNotFound(id)
		}
		if n.State == "deleted" {
			return nil
		}
		if n.AllocationID != "" {
			if eip, ok, err := get[eipDoc](tx, kEIP, region, n.AllocationID); err != nil {
				return err
			} else if ok {
				eip.AssociationID, eip.NetworkInterfaceID, eip.PrivateIP = "", "", ""
				if err := put(tx, kEIP, region, eip.AllocationID, eip); err != nil {
					return err
				}
			}
		}
		if err := del(tx, kENI, region, n.ENIID); err != nil {
			return err
		}
		now := s.now()
		n.State, n.Deleted = "deleted", &now
		return put(tx, kNAT, region, id, n)
	})
	if err != nil {
		return nil, err
	}
	return deleteNatGatewayOut{NatGatewayID: id}, nil
}

// ---- client tokens (idempotent creates) ----

const nsToken = "ec2/client-token"

func tokenLookup(tx *state.Tx, region, op, token string) (string, bool, error) {
	if token == "" {
		return "", false, nil
	}
	var id string
	err := tx.Get(nsToken, region+"/"+op+"/"+token, &id)
	if isNotFound(err) {
		return "", false, nil
	}
	return id, err == nil, err
}

func tokenRecord(tx *state.Tx, region, op, token, id string) error {
	if token == "" {
		return nil
	}
	return tx.Put(nsToken, region+"/"+op+"/"+token, id)
}
