package ec2

import "time"

// The stored documents, one per resource at (kind.ns, "<region>/<id>").
// Tags live apart, in nsTags.

// cidrAssoc is one CIDR block associated with a VPC or subnet.
type cidrAssoc struct {
	ID    string `json:"id"`
	CIDR  string `json:"cidr"`
	State string `json:"state"`          // associated, disassociated
	Pool  string `json:"pool,omitempty"` // IPv6: "Amazon"
}

type vpcDoc struct {
	ID                 string      `json:"id"`
	CidrBlock          string      `json:"cidr_block"` // the primary IPv4 block
	CidrAssocs         []cidrAssoc `json:"cidr_assocs"`
	IPv6Assocs         []cidrAssoc `json:"ipv6_assocs,omitempty"`
	DhcpOptionsID      string      `json:"dhcp_options_id"`
	InstanceTenancy    string      `json:"instance_tenancy"`
	EnableDNSSupport   bool        `json:"enable_dns_support"`
	EnableDNSHostnames bool        `json:"enable_dns_hostnames"`
	EnableNAUMetrics   bool        `json:"enable_nau_metrics"`
	MainRouteTableID   string      `json:"main_route_table_id"`
	DefaultSGID        string      `json:"default_sg_id"`
	DefaultACLID       string      `json:"default_acl_id"`
	Created            time.Time   `json:"created"`
}

// ipv4Blocks are the VPC's associated IPv4 blocks.
func (v *vpcDoc) ipv4Blocks() []string {
	var out []string
	for _, a := range v.CidrAssocs {
		if a.State == "associated" {
			out = append(out, a.CIDR)
		}
	}
	return out
}

func (v *vpcDoc) ipv6Blocks() []string {
	var out []string
	for _, a := range v.IPv6Assocs {
		if a.State == "associated" {
			out = append(out, a.CIDR)
		}
	}
	return out
}

type subnetDoc struct {
	ID                          string      `json:"id"`
	VpcID                       string      `json:"vpc_id"`
	CidrBlock                   string      `json:"cidr_block"`
	AZ                          string      `json:"az"`
	AZID                        string      `json:"az_id"`
	IPv6Assocs                  []cidrAssoc `json:"ipv6_assocs,omitempty"`
	IPv6Native                  bool        `json:"ipv6_native,omitempty"`
	MapPublicIPOnLaunch         bool        `json:"map_public_ip_on_launch"`
	AssignIPv6AddressOnCreation bool        `json:"assign_ipv6_on_creation"`
	EnableDNS64                 bool        `json:"enable_dns64"`
	HostnameType                string      `json:"hostname_type"`
	EnableResourceNameDNSA      bool        `json:"enable_rn_dns_a"`
	EnableResourceNameDNSAAAA   bool        `json:"enable_rn_dns_aaaa"`
	ACLAssocID                  string      `json:"acl_assoc_id"` // association with the VPC's default network ACL
}

type igwDoc struct {
	ID    string `json:"id"`
	VpcID string `json:"vpc_id,omitempty"` // attached VPC, if any
}

type eipDoc struct {
	AllocationID       string `json:"allocation_id"`
	PublicIP           string `json:"public_ip"`
	NetworkBorderGroup string `json:"network_border_group"`
	AssociationID      string `json:"association_id,omitempty"`
	NetworkInterfaceID string `json:"network_interface_id,omitempty"`
	PrivateIP          string `json:"private_ip,omitempty"`
	PtrRecord          string `json:"ptr_record,omitempty"`
}

type natDoc struct {
	ID               string     `json:"id"`
	VpcID            string     `json:"vpc_id"`
	SubnetID         string     `json:"subnet_id"`
	ConnectivityType string     `json:"connectivity_type"`
	State            string     `json:"state"` // available, deleted
	Created          time.Time  `json:"created"`
	Deleted          *time.Time `json:"deleted,omitempty"`
	AllocationID     string     `json:"allocation_id,omitempty"`
	AssociationID    string     `json:"association_id,omitempty"`
	PublicIP         string     `json:"public_ip,omitempty"`
	ENIID            string     `json:"eni_id"`
	PrivateIP        string     `json:"private_ip"`
}

// eniDoc is a network interface. The sandbox runs no instances: its only
// interfaces are the ones AWS itself creates (NAT gateways).
type eniDoc struct {
	ID               string   `json:"id"`
	SubnetID         string   `json:"subnet_id"`
	VpcID            string   `json:"vpc_id"`
	AZ               string   `json:"az"`
	AZID             string   `json:"az_id"`
	PrivateIP        string   `json:"private_ip"`
	MAC              string   `json:"mac"`
	Description      string   `json:"description"`
	InterfaceType    string   `json:"interface_type"`
	RequesterID      string   `json:"requester_id,omitempty"`
	RequesterManaged bool     `json:"requester_managed"`
	Groups           []string `json:"groups,omitempty"`
	PublicIP         string   `json:"public_ip,omitempty"`
	AllocationID     string   `json:"allocation_id,omitempty"`
	AssociationID    string   `json:"association_id,omitempty"`
}

type routeDoc struct {
	DestCIDR      string `json:"dest_cidr,omitempty"`
	DestIPv6      string `json:"dest_ipv6,omitempty"`
	DestPrefixLst string `json:"dest_prefix_list,omitempty"`
	GatewayID     string `json:"gateway_id,omitempty"` // igw-… or "local"
	NatGatewayID  string `json:"nat_gateway_id,omitempty"`
	ENIID         string `json:"eni_id,omitempty"`
	Origin        string `json:"origin"` // CreateRouteTable, CreateRoute
}

// dest is the route's destination, whichever kind it is.
func (r routeDoc) dest() string {
	switch {
	case r.DestCIDR != "":
		return r.DestCIDR
	case r.DestIPv6 != "":
		return r.DestIPv6
	}
	return r.DestPrefixLst
}

type rtbAssocDoc struct {
	ID        string `json:"id"`
	SubnetID  string `json:"subnet_id,omitempty"`
	GatewayID string `json:"gateway_id,omitempty"`
	Main      bool   `json:"main"`
}

type rtbDoc struct {
	ID     string        `json:"id"`
	VpcID  string        `json:"vpc_id"`
	Routes []routeDoc    `json:"routes"`
	Assocs []rtbAssocDoc `json:"assocs,omitempty"`
}

func (t *rtbDoc) isMain() bool {
	for _, a := range t.Assocs {
		if a.Main {
			return true
		}
	}
	return false
}

// ruleDoc is one security group rule: one protocol/port range and exactly
// one peer (IPv4 CIDR, IPv6 CIDR, prefix list or group), as EC2 stores
// them since security group rule ids exist.
type ruleDoc struct {
	ID          string `json:"id"`
	Protocol    string `json:"protocol"` // tcp, udp, icmp, icmpv6, -1 or a number
	FromPort    int    `json:"from_port"`
	ToPort      int    `json:"to_port"`
	CidrIPv4    string `json:"cidr_ipv4,omitempty"`
	CidrIPv6    string `json:"cidr_ipv6,omitempty"`
	PrefixList  string `json:"prefix_list,omitempty"`
	RefGroupID  string `json:"ref_group_id,omitempty"`
	RefUserID   string `json:"ref_user_id,omitempty"`
	Description string `json:"description,omitempty"`
}

type sgDoc struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	VpcID       string    `json:"vpc_id"`
	Ingress     []ruleDoc `json:"ingress"`
	Egress      []ruleDoc `json:"egress"`
}

// sgrIndexDoc finds a rule's group by the rule id.
type sgrIndexDoc struct {
	GroupID string `json:"group_id"`
	Egress  bool   `json:"egress"`
}

type aclEntryDoc struct {
	RuleNumber int    `json:"rule_number"`
	Protocol   string `json:"protocol"`
	Action     string `json:"action"`
	Egress     bool   `json:"egress"`
	CidrBlock  string `json:"cidr_block,omitempty"`
	IPv6Block  string `json:"ipv6_block,omitempty"`
}

type aclDoc struct {
	ID      string        `json:"id"`
	VpcID   string        `json:"vpc_id"`
	Default bool          `json:"default"`
	Entries []aclEntryDoc `json:"entries"`
}

type destOptionsDoc struct {
	FileFormat               string `json:"file_format"`
	HiveCompatiblePartitions bool   `json:"hive_compatible_partitions"`
	PerHourPartition         bool   `json:"per_hour_partition"`
}

type flowLogDoc struct {
	ID                       string          `json:"id"`
	ResourceID               string          `json:"resource_id"`
	TrafficType              string          `json:"traffic_type,omitempty"`
	LogDestinationType       string          `json:"log_destination_type"`
	LogDestination           string          `json:"log_destination,omitempty"`
	LogGroupName             string          `json:"log_group_name,omitempty"`
	DeliverLogsPermissionArn string          `json:"deliver_logs_permission_arn,omitempty"`
	DeliverCrossAccountRole  string          `json:"deliver_cross_account_role,omitempty"`
	LogFormat                string          `json:"log_format"`
	MaxAggregationInterval   int             `json:"max_aggregation_interval"`
	DestinationOptions       *destOptionsDoc `json:"destination_options,omitempty"`
	Created                  time.Time       `json:"created"`
}

type doptDoc struct {
	ID         string `json:"id"`
	DomainName string `json:"domain_name"`
}
