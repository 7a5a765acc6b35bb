package ec2

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// ---- network ACLs (the default ACL of each VPC; read-only) ----

type portRangeXML struct {
	From int `xml:"from"`
	To   int `xml:"to"`
}

type aclEntryXML struct {
	RuleNumber int           `xml:"ruleNumber"`
	Protocol   string        `xml:"protocol"`
	RuleAction string        `xml:"ruleAction"`
	Egress     bool          `xml:"egress"`
	CidrBlock  string        `xml:"cidrBlock,omitempty"`
	IPv6Block  string        `xml:"ipv6CidrBlock,omitempty"`
	PortRange  *portRangeXML `xml:"portRange,omitempty"`
}

type aclAssocXML struct {
	ID           string `xml:"networkAclAssociationId"`
	NetworkAclID string `xml:"networkAclId"`
	SubnetID     string `xml:"subnetId"`
}

type networkACLXML struct {
	NetworkAclID string           `xml:"networkAclId"`
	VpcID        string           `xml:"vpcId"`
	Default      bool             `xml:"default"`
	Entries      set[aclEntryXML] `xml:"entrySet"`
	Assocs       set[aclAssocXML] `xml:"associationSet"`
	Tags         *set[tagXML]     `xml:"tagSet,omitempty"`
	OwnerID      string           `xml:"ownerId"`
}

type describeNetworkAclsOut struct {
	ACLs      set[networkACLXML] `xml:"networkAclSet"`
	NextToken string             `xml:"nextToken,omitempty"`
}

func (s *Service) describeNetworkAcls(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "association.association-id", "association.network-acl-id", "association.subnet-id",
		"default", "entry.cidr", "entry.egress", "entry.icmp.code", "entry.icmp.type", "entry.ipv6-cidr",
		"entry.port-range.from", "entry.port-range.to", "entry.protocol", "entry.rule-action", "entry.rule-number",
		"network-acl-id", "owner-id", "vpc-id"); err != nil {
		return nil, err
	}
	var items []networkACLXML
	err = s.view(ctx, func(tx *state.Tx) error {
		acls, err := byIDs[aclDoc](tx, kACL, region, p.strs("NetworkAclId"))
		if err != nil {
			return err
		}
		subnets, err := all[subnetDoc](tx, kSubnet, region)
		if err != nil {
			return err
		}
		for _, a := range acls {
			tags, err := loadTags(tx, region, a.ID)
			if err != nil {
				return err
			}
			x := networkACLXML{NetworkAclID: a.ID, VpcID: a.VpcID, Default: a.Default, Tags: tagSet(tags), OwnerID: s.env.AccountID}
			f := fields{}
			f.set("network-acl-id", a.ID)
			f.set("vpc-id", a.VpcID)
			f.setBool("default", a.Default)
			f.set("owner-id", s.env.AccountID)
			for _, e := range a.Entries {
				x.Entries.Items = append(x.Entries.Items, aclEntryXML{RuleNumber: e.RuleNumber, Protocol: e.Protocol,
					RuleAction: e.Action, Egress: e.Egress, CidrBlock: e.CidrBlock, IPv6Block: e.IPv6Block})
				f.set("entry.cidr", e.CidrBlock)
				f.set("entry.ipv6-cidr", e.IPv6Block)
				f.set("entry.egress", strconv.FormatBool(e.Egress))
				f.set("entry.protocol", e.Protocol)
				f.set("entry.rule-action", e.Action)
				f.set("entry.rule-number", strconv.Itoa(e.RuleNumber))
			}
			if a.Default {
				// Every subnet of the VPC is associated with its default ACL.
				for _, sn := range subnets {
					if sn.VpcID != a.VpcID {
						continue
					}
					x.Assocs.Items = append(x.Assocs.Items, aclAssocXML{ID: sn.ACLAssocID, NetworkAclID: a.ID, SubnetID: sn.ID})
					f.set("association.association-id", sn.ACLAssocID)
					f.set("association.network-acl-id", a.ID)
					f.set("association.subnet-id", sn.ID)
				}
			}
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
	pg, next, err := page(p, items, func(x networkACLXML) string { return x.NetworkAclID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeNetworkAclsOut{ACLs: set[networkACLXML]{Items: pg}, NextToken: next}, nil
}

// ---- network interfaces (those AWS creates for NAT gateways) ----

type eniAssociationXML struct {
	PublicIP      string `xml:"publicIp"`
	PublicDNSName string `xml:"publicDnsName,omitempty"`
	IPOwnerID     string `xml:"ipOwnerId"`
	AllocationID  string `xml:"allocationId,omitempty"`
	AssociationID string `xml:"associationId,omitempty"`
}

type eniPrivateIPXML struct {
	PrivateIPAddress string             `xml:"privateIpAddress"`
	PrivateDNSName   string             `xml:"privateDnsName"`
	Primary          bool               `xml:"primary"`
	Association      *eniAssociationXML `xml:"association,omitempty"`
}

type groupIdentifierXML struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type eniXML struct {
	NetworkInterfaceID string                  `xml:"networkInterfaceId"`
	SubnetID           string                  `xml:"subnetId"`
	VpcID              string                  `xml:"vpcId"`
	AvailabilityZone   string                  `xml:"availabilityZone"`
	AvailabilityZoneID string                  `xml:"availabilityZoneId"`
	Description        string                  `xml:"description"`
	OwnerID            string                  `xml:"ownerId"`
	RequesterID        string                  `xml:"requesterId,omitempty"`
	RequesterManaged   bool                    `xml:"requesterManaged"`
	Status             string                  `xml:"status"`
	MacAddress         string                  `xml:"macAddress"`
	PrivateIPAddress   string                  `xml:"privateIpAddress"`
	PrivateDNSName     string                  `xml:"privateDnsName"`
	SourceDestCheck    bool                    `xml:"sourceDestCheck"`
	InterfaceType      string                  `xml:"interfaceType"`
	Groups             set[groupIdentifierXML] `xml:"groupSet"`
	Association        *eniAssociationXML      `xml:"association,omitempty"`
	PrivateIPs         set[eniPrivateIPXML]    `xml:"privateIpAddressesSet"`
	IPv6Addresses      set[struct{}]           `xml:"ipv6AddressesSet"`
	Tags               *set[tagXML]            `xml:"tagSet,omitempty"`
}

func privateDNSName(region, ip string) string {
	name := "ip-" + dashed(ip)
	if region == "us-east-1" {
		return name + ".ec2.internal"
	}
	return name + "." + region + ".compute.internal"
}

func dashed(ip string) string {
	b := []byte(ip)
	for i := range b {
		if b[i] == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}

func newMAC() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("0e:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4])
}

var eniFilterNames = []string{"addresses.private-ip-address", "addresses.primary", "addresses.association.public-ip",
	"addresses.association.owner-id", "association.association-id", "association.allocation-id",
	"association.ip-owner-id", "association.public-ip", "association.public-dns-name", "attachment.attachment-id",
	"attachment.attach-time", "attachment.delete-on-termination", "attachment.device-index", "attachment.instance-id",
	"attachment.instance-owner-id", "attachment.status", "availability-zone", "description", "group-id", "group-name",
	"interface-type", "ipv6-addresses.ipv6-address", "mac-address", "network-interface-id", "owner-id",
	"private-dns-name", "private-ip-address", "requester-id", "requester-managed", "source-dest-check", "status",
	"subnet-id", "vpc-id"}

type describeENIsOut struct {
	ENIs      set[eniXML] `xml:"networkInterfaceSet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func (s *Service) describeNetworkInterfaces(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, eniFilterNames...); err != nil {
		return nil, err
	}
	var items []eniXML
	err = s.view(ctx, func(tx *state.Tx) error {
		enis, err := byIDs[eniDoc](tx, kENI, region, p.strs("NetworkInterfaceId"))
		if err != nil {
			return err
		}
		for _, e := range enis {
			tags, err := loadTags(tx, region, e.ID)
			if err != nil {
				return err
			}
			dns := privateDNSName(region, e.PrivateIP)
			x := eniXML{NetworkInterfaceID: e.ID, SubnetID: e.SubnetID, VpcID: e.VpcID, AvailabilityZone: e.AZ,
				AvailabilityZoneID: e.AZID, Description: e.Description, OwnerID: s.env.AccountID, RequesterID: e.RequesterID,
				RequesterManaged: e.RequesterManaged, Status: "in-use", MacAddress: e.MAC, PrivateIPAddress: e.PrivateIP,
				PrivateDNSName: dns, SourceDestCheck: false, InterfaceType: e.InterfaceType, Tags: tagSet(tags)}
			if e.PublicIP != "" {
				x.Association = &eniAssociationXML{PublicIP: e.PublicIP, IPOwnerID: s.env.AccountID, AllocationID: e.AllocationID, AssociationID: e.AssociationID}
			}
			x.PrivateIPs.Items = []eniPrivateIPXML{{PrivateIPAddress: e.PrivateIP, PrivateDNSName: dns, Primary: true, Association: x.Association}}
			f := fields{}
			f.set("addresses.private-ip-address", e.PrivateIP)
			f.set("addresses.primary", "true")
			f.set("addresses.association.public-ip", e.PublicIP)
			f.set("association.association-id", e.AssociationID)
			f.set("association.allocation-id", e.AllocationID)
			f.set("association.public-ip", e.PublicIP)
			f.set("availability-zone", e.AZ)
			f.set("description", e.Description)
			for _, g := range e.Groups {
				f.set("group-id", g)
				x.Groups.Items = append(x.Groups.Items, groupIdentifierXML{GroupID: g})
			}
			f.set("interface-type", e.InterfaceType)
			f.set("mac-address", e.MAC)
			f.set("network-interface-id", e.ID)
			f.set("owner-id", s.env.AccountID)
			f.set("private-dns-name", dns)
			f.set("private-ip-address", e.PrivateIP)
			f.set("requester-id", e.RequesterID)
			f.setBool("requester-managed", e.RequesterManaged)
			f.setBool("source-dest-check", false)
			f.set("status", "in-use")
			f.set("subnet-id", e.SubnetID)
			f.set("vpc-id", e.VpcID)
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
	pg, next, err := page(p, items, func(x eniXML) string { return x.NetworkInterfaceID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeENIsOut{ENIs: set[eniXML]{Items: pg}, NextToken: next}, nil
}
