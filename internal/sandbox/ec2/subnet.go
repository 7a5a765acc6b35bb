package ec2

import (
	"context"
	"net/netip"
	"strconv"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type subnetIPv6AssocXML struct {
	AssociationID string       `xml:"associationId"`
	IPv6CidrBlock string       `xml:"ipv6CidrBlock"`
	State         cidrStateXML `xml:"ipv6CidrBlockState"`
}

type privateDNSOptionsXML struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

type subnetXML struct {
	SubnetID                    string                  `xml:"subnetId"`
	SubnetArn                   string                  `xml:"subnetArn"`
	State                       string                  `xml:"state"`
	VpcID                       string                  `xml:"vpcId"`
	OwnerID                     string                  `xml:"ownerId"`
	CidrBlock                   string                  `xml:"cidrBlock"`
	IPv6Assocs                  set[subnetIPv6AssocXML] `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount     int                     `xml:"availableIpAddressCount"`
	AvailabilityZone            string                  `xml:"availabilityZone"`
	AvailabilityZoneID          string                  `xml:"availabilityZoneId"`
	DefaultForAz                bool                    `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool                    `xml:"mapPublicIpOnLaunch"`
	MapCustomerOwnedIPOnLaunch  bool                    `xml:"mapCustomerOwnedIpOnLaunch"`
	AssignIPv6AddressOnCreation bool                    `xml:"assignIpv6AddressOnCreation"`
	EnableDNS64                 bool                    `xml:"enableDns64"`
	IPv6Native                  bool                    `xml:"ipv6Native"`
	PrivateDNSNameOptions       privateDNSOptionsXML    `xml:"privateDnsNameOptionsOnLaunch"`
	Tags                        *set[tagXML]            `xml:"tagSet,omitempty"`
}

func (s *Service) subnetXML(region string, sn *subnetDoc, tags map[string]string, used int) subnetXML {
	x := subnetXML{
		SubnetID: sn.ID, SubnetArn: s.arn(region, "subnet/"+sn.ID), State: "available", VpcID: sn.VpcID,
		OwnerID: s.env.AccountID, CidrBlock: sn.CidrBlock, AvailabilityZone: sn.AZ, AvailabilityZoneID: sn.AZID,
		MapPublicIPOnLaunch: sn.MapPublicIPOnLaunch, AssignIPv6AddressOnCreation: sn.AssignIPv6AddressOnCreation,
		EnableDNS64: sn.EnableDNS64, IPv6Native: sn.IPv6Native, Tags: tagSet(tags),
		PrivateDNSNameOptions: privateDNSOptionsXML{HostnameType: sn.HostnameType,
			EnableResourceNameDNSARecord: sn.EnableResourceNameDNSA, EnableResourceNameDNSAAAARecord: sn.EnableResourceNameDNSAAAA},
	}
	if sn.CidrBlock != "" {
		// AWS reserves the first four addresses and the last one.
		x.AvailableIPAddressCount = size(netip.MustParsePrefix(sn.CidrBlock)) - 5 - used
	}
	for _, a := range sn.IPv6Assocs {
		x.IPv6Assocs.Items = append(x.IPv6Assocs.Items, subnetIPv6AssocXML{AssociationID: a.ID, IPv6CidrBlock: a.CIDR, State: cidrStateXML{a.State}})
	}
	return x
}

type createSubnetOut struct {
	Subnet subnetXML `xml:"subnet"`
}

func (s *Service) createSubnet(ctx context.Context, region string, p params) (any, error) {
	for _, unsupported := range []string{"Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength", "OutpostArn"} {
		if p.str(unsupported) != "" {
			return nil, notImplementedParam("CreateSubnet", unsupported)
		}
	}
	vpcID, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	native, err := p.optBool("Ipv6Native")
	if err != nil {
		return nil, err
	}
	ipv6Native := native != nil && *native
	cidr := p.str("CidrBlock")
	ipv6 := p.str("Ipv6CidrBlock")
	if cidr == "" && !ipv6Native {
		return nil, errMissing("CidrBlock")
	}
	if ipv6Native && (cidr != "" || ipv6 == "") {
		return nil, errCombination("An IPv6-native subnet takes an Ipv6CidrBlock and no CidrBlock")
	}
	azName, azID := p.str("AvailabilityZone"), p.str("AvailabilityZoneId")
	if azName != "" && azID != "" {
		return nil, errCombination("Only one of AvailabilityZone or AvailabilityZoneId may be specified")
	}
	var z zone
	switch {
	case azName != "" || azID != "":
		var found bool
		if z, found = findZone(region, azName, azID); !found {
			v := azName
			param := "availabilityZone"
			if v == "" {
				v, param = azID, "availabilityZoneId"
			}
			return nil, errInvalidParam("Value (%s) for parameter %s is invalid. Subnets can currently only be created in the following availability zones: %s.", v, param, zoneNames(region))
		}
	default:
		z = zones(region)[0]
	}
	tags, err := p.tagSpecs("subnet")
	if err != nil {
		return nil, err
	}
	sn := &subnetDoc{ID: newID("subnet"), VpcID: vpcID, AZ: z.Name, AZID: z.ID, HostnameType: "ip-name",
		IPv6Native: ipv6Native, ACLAssocID: newID("aclassoc")}
	err = s.update(ctx, func(tx *state.Tx) error {
		v, err := mustGet[vpcDoc](tx, kVPC, region, vpcID)
		if err != nil {
			return err
		}
		others, err := all[subnetDoc](tx, kSubnet, region)
		if err != nil {
			return err
		}
		if cidr != "" {
			pfx, err := parseCIDR("cidrBlock", cidr, true)
			if err != nil {
				return err
			}
			if err := checkSubnetCIDR(pfx, v.ipv4Blocks(), others, vpcID, 16, 28, false); err != nil {
				return err
			}
			sn.CidrBlock = pfx.String()
		}
		if ipv6 != "" {
			pfx, err := parseCIDR("ipv6CidrBlock", ipv6, false)
			if err != nil {
				return err
			}
			if err := checkSubnetCIDR(pfx, v.ipv6Blocks(), others, vpcID, 44, 64, true); err != nil {
				return err
			}
			sn.IPv6Assocs = []cidrAssoc{{ID: newID("subnet-cidr-assoc"), CIDR: pfx.String(), State: "associated"}}
		}
		if err := put(tx, kSubnet, region, sn.ID, sn); err != nil {
			return err
		}
		return saveTags(tx, region, sn.ID, tags)
	})
	if err != nil {
		return nil, err
	}
	return createSubnetOut{Subnet: s.subnetXML(region, sn, tags, 0)}, nil
}

// checkSubnetCIDR validates a subnet block: its size, that it lies inside
// one of the VPC's blocks and that it overlaps no other subnet of the VPC.
func checkSubnetCIDR(pfx netip.Prefix, vpcBlocks []string, others []*subnetDoc, vpcID string, minBits, maxBits int, v6 bool) error {
	if pfx.Bits() < minBits || pfx.Bits() > maxBits {
		return errf("InvalidSubnet.Range", "The CIDR '%s' is invalid.", pfx)
	}
	inside := false
	for _, b := range vpcBlocks {
		if within(pfx, netip.MustParsePrefix(b)) {
			inside = true
		}
	}
	if !inside {
		return errf("InvalidSubnet.Range", "The CIDR '%s' is invalid.", pfx)
	}
	for _, o := range others {
		if o.VpcID != vpcID {
			continue
		}
		blocks := []string{o.CidrBlock}
		if v6 {
			blocks = nil
			for _, a := range o.IPv6Assocs {
				blocks = append(blocks, a.CIDR)
			}
		}
		for _, b := range blocks {
			if b != "" && netip.MustParsePrefix(b).Overlaps(pfx) {
				return errf("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", pfx)
			}
		}
	}
	return nil
}

var subnetFilterNames = []string{"availability-zone", "availabilityZone", "availability-zone-id", "availabilityZoneId",
	"available-ip-address-count", "cidr", "cidr-block", "cidrBlock", "default-for-az", "defaultForAz",
	"ipv6-cidr-block-association.ipv6-cidr-block", "ipv6-cidr-block-association.association-id",
	"ipv6-cidr-block-association.state", "ipv6-native", "map-public-ip-on-launch", "owner-id", "state",
	"subnet-arn", "subnet-id", "vpc-id"}

type describeSubnetsOut struct {
	Subnets   set[subnetXML] `xml:"subnetSet"`
	NextToken string         `xml:"nextToken,omitempty"`
}

func (s *Service) describeSubnets(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, subnetFilterNames...); err != nil {
		return nil, err
	}
	var items []subnetXML
	err = s.view(ctx, func(tx *state.Tx) error {
		subnets, err := byIDs[subnetDoc](tx, kSubnet, region, p.strs("SubnetId"))
		if err != nil {
			return err
		}
		used, err := ipsInUse(tx, region)
		if err != nil {
			return err
		}
		for _, sn := range subnets {
			tags, err := loadTags(tx, region, sn.ID)
			if err != nil {
				return err
			}
			x := s.subnetXML(region, sn, tags, len(used[sn.ID]))
			f := fields{}
			f.set("availability-zone", sn.AZ)
			f.set("availabilityZone", sn.AZ)
			f.set("availability-zone-id", sn.AZID)
			f.set("availabilityZoneId", sn.AZID)
			f.set("available-ip-address-count", strconv.Itoa(x.AvailableIPAddressCount))
			f.set("cidr", sn.CidrBlock)
			f.set("cidr-block", sn.CidrBlock)
			f.set("cidrBlock", sn.CidrBlock)
			f.setBool("default-for-az", false)
			f.setBool("defaultForAz", false)
			for _, a := range sn.IPv6Assocs {
				f.set("ipv6-cidr-block-association.ipv6-cidr-block", a.CIDR)
				f.set("ipv6-cidr-block-association.association-id", a.ID)
				f.set("ipv6-cidr-block-association.state", a.State)
			}
			f.setBool("ipv6-native", sn.IPv6Native)
			f.setBool("map-public-ip-on-launch", sn.MapPublicIPOnLaunch)
			f.set("owner-id", s.env.AccountID)
			f.set("state", "available")
			f.set("subnet-arn", x.SubnetArn)
			f.set("subnet-id", sn.ID)
			f.set("vpc-id", sn.VpcID)
			f.tags(tags)
			if f.matches(fs) {
				items = append(items, x)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(x subnetXML) string { return x.SubnetID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeSubnetsOut{Subnets: set[subnetXML]{Items: pg}, NextToken: next}, nil
}

// ipsInUse maps subnet id → private IPs its network interfaces hold.
func ipsInUse(tx *state.Tx, region string) (map[string]map[string]bool, error) {
	enis, err := all[eniDoc](tx, kENI, region)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	for _, e := range enis {
		if out[e.SubnetID] == nil {
			out[e.SubnetID] = map[string]bool{}
		}
		out[e.SubnetID][e.PrivateIP] = true
	}
	return out, nil
}

func (s *Service) deleteSubnet(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("SubnetId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		if _, err := mustGet[subnetDoc](tx, kSubnet, region, id); err != nil {
			return err
		}
		enis, err := all[eniDoc](tx, kENI, region)
		if err != nil {
			return err
		}
		for _, e := range enis {
			if e.SubnetID == id {
				return errDependency("The subnet '%s' has dependencies and cannot be deleted.", id)
			}
		}
		// The subnet's explicit route table association goes with it.
		rtbs, err := all[rtbDoc](tx, kRTB, region)
		if err != nil {
			return err
		}
		for _, t := range rtbs {
			kept := t.Assocs[:0]
			changed := false
			for _, a := range t.Assocs {
				if a.SubnetID == id {
					changed = true
					continue
				}
				kept = append(kept, a)
			}
			if changed {
				t.Assocs = kept
				if err := put(tx, kRTB, region, t.ID, t); err != nil {
					return err
				}
			}
		}
		if err := deleteFlowLogsOf(tx, region, id); err != nil {
			return err
		}
		return del(tx, kSubnet, region, id)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Service) modifySubnetAttribute(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("SubnetId")
	if err != nil {
		return nil, err
	}
	for _, outpost := range []string{"MapCustomerOwnedIpOnLaunch.Value", "CustomerOwnedIpv4Pool", "EnableLniAtDeviceIndex", "DisableLniAtDeviceIndex.Value"} {
		if p.has(outpost) {
			return nil, errInvalidParam("%s is only supported for subnets on an Outpost.", outpost)
		}
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		sn, err := mustGet[subnetDoc](tx, kSubnet, region, id)
		if err != nil {
			return err
		}
		attrs := []struct {
			param string
			field *bool
		}{
			{"MapPublicIpOnLaunch.Value", &sn.MapPublicIPOnLaunch},
			{"AssignIpv6AddressOnCreation.Value", &sn.AssignIPv6AddressOnCreation},
			{"EnableDns64.Value", &sn.EnableDNS64},
			{"EnableResourceNameDnsARecordOnLaunch.Value", &sn.EnableResourceNameDNSA},
			{"EnableResourceNameDnsAAAARecordOnLaunch.Value", &sn.EnableResourceNameDNSAAAA},
		}
		n := 0
		for _, a := range attrs {
			v, err := p.optBool(a.param)
			if err != nil {
				return err
			}
			if v == nil {
				continue
			}
			n++
			if a.field == &sn.AssignIPv6AddressOnCreation && *v && len(sn.IPv6Assocs) == 0 {
				return errInvalidParam("Invalid value 'true' for assignIpv6AddressOnCreation. The subnet %s has no IPv6 CIDR block.", id)
			}
			*a.field = *v
		}
		if ht := p.str("PrivateDnsHostnameTypeOnLaunch"); ht != "" {
			if ht != "ip-name" && ht != "resource-name" {
				return errInvalidValue("privateDnsHostnameTypeOnLaunch", ht)
			}
			sn.HostnameType = ht
			n++
		}
		switch {
		case n == 0:
			return errMissing("attribute")
		case n > 1:
			return errCombination("Only one attribute can be modified at a time")
		}
		return put(tx, kSubnet, region, id, sn)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

type subnetCidrAssocOut struct {
	SubnetID string             `xml:"subnetId"`
	IPv6     subnetIPv6AssocXML `xml:"ipv6CidrBlockAssociation"`
}

func (s *Service) associateSubnetCidrBlock(ctx context.Context, region string, p params) (any, error) {
	for _, unsupported := range []string{"Ipv6IpamPoolId", "Ipv6NetmaskLength"} {
		if p.str(unsupported) != "" {
			return nil, notImplementedParam("AssociateSubnetCidrBlock", unsupported)
		}
	}
	id, err := p.required("SubnetId")
	if err != nil {
		return nil, err
	}
	cidr, err := p.required("Ipv6CidrBlock")
	if err != nil {
		return nil, err
	}
	var out subnetCidrAssocOut
	err = s.update(ctx, func(tx *state.Tx) error {
		sn, err := mustGet[subnetDoc](tx, kSubnet, region, id)
		if err != nil {
			return err
		}
		for _, a := range sn.IPv6Assocs {
			if a.State == "associated" {
				return errf("CidrLimitExceeded", "The subnet '%s' already has an IPv6 CIDR block", id)
			}
		}
		v, err := mustGet[vpcDoc](tx, kVPC, region, sn.VpcID)
		if err != nil {
			return err
		}
		pfx, err := parseCIDR("ipv6CidrBlock", cidr, false)
		if err != nil {
			return err
		}
		others, err := all[subnetDoc](tx, kSubnet, region)
		if err != nil {
			return err
		}
		if err := checkSubnetCIDR(pfx, v.ipv6Blocks(), others, v.ID, 44, 64, true); err != nil {
			return err
		}
		a := cidrAssoc{ID: newID("subnet-cidr-assoc"), CIDR: pfx.String(), State: "associated"}
		sn.IPv6Assocs = append(sn.IPv6Assocs, a)
		out = subnetCidrAssocOut{SubnetID: id, IPv6: subnetIPv6AssocXML{AssociationID: a.ID, IPv6CidrBlock: a.CIDR, State: cidrStateXML{"associating"}}}
		return put(tx, kSubnet, region, id, sn)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) disassociateSubnetCidrBlock(ctx context.Context, region string, p params) (any, error) {
	assocID, err := p.required("AssociationId")
	if err != nil {
		return nil, err
	}
	var out subnetCidrAssocOut
	err = s.update(ctx, func(tx *state.Tx) error {
		subnets, err := all[subnetDoc](tx, kSubnet, region)
		if err != nil {
			return err
		}
		for _, sn := range subnets {
			for i, a := range sn.IPv6Assocs {
				if a.ID != assocID {
					continue
				}
				if sn.IPv6Native {
					return errf("OperationNotPermitted", "The IPv6 CIDR block of an IPv6-native subnet cannot be disassociated")
				}
				sn.IPv6Assocs = append(sn.IPv6Assocs[:i], sn.IPv6Assocs[i+1:]...)
				sn.AssignIPv6AddressOnCreation = false
				out = subnetCidrAssocOut{SubnetID: sn.ID, IPv6: subnetIPv6AssocXML{AssociationID: a.ID, IPv6CidrBlock: a.CIDR, State: cidrStateXML{"disassociating"}}}
				return put(tx, kSubnet, region, sn.ID, sn)
			}
		}
		return errf("InvalidSubnetCidrBlockAssociationID.NotFound", "The subnet CIDR block association ID '%s' does not exist", assocID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
