package elbv2

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type lbSubnet struct {
	SubnetID     string `json:"subnet_id"`
	AZ           string `json:"az"`
	AllocationID string `json:"allocation_id,omitempty"`
	PrivateIPv4  string `json:"private_ipv4,omitempty"`
	IPv6         string `json:"ipv6,omitempty"`
}

type lbDoc struct {
	ARN                   string            `json:"arn"`
	Name                  string            `json:"name"`
	Type                  string            `json:"type"`   // application, network, gateway
	Scheme                string            `json:"scheme"` // internet-facing, internal
	VpcID                 string            `json:"vpc_id"`
	DNSName               string            `json:"dns_name"`
	HostedZone            string            `json:"hosted_zone"`
	IPAddressType         string            `json:"ip_address_type"`
	Created               time.Time         `json:"created"`
	Subnets               []lbSubnet        `json:"subnets"`
	SecurityGroups        []string          `json:"security_groups,omitempty"`
	EnforceSGPrivateLink  string            `json:"enforce_sg_private_link,omitempty"`
	CustomerOwnedIPv4Pool string            `json:"coip_pool,omitempty"`
	Attributes            map[string]string `json:"attributes"`
	Tags                  []tag             `json:"tags,omitempty"`
	CapacityUnits         int               `json:"capacity_units,omitempty"`
	CapacityModified      *time.Time        `json:"capacity_modified,omitempty"`
	CapacityDecreases     int               `json:"capacity_decreases,omitempty"`
}

// typeCode is the type's part of the ARN: app, net, gwy.
func typeCode(t string) string {
	switch t {
	case "network":
		return "net"
	case "gateway":
		return "gwy"
	}
	return "app"
}

// Canonical hosted zones of load balancers per region (the zone an alias
// record to the load balancer names).
var (
	albZones = map[string]string{
		"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
		"us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8",
		"eu-central-1": "Z215JYRZR1TBD5", "ap-southeast-1": "Z1LMS91P8CMLE5", "ap-southeast-2": "Z1GM3OXH4ZPM65",
		"ap-northeast-1": "Z14GRHDCWA56QT",
	}
	nlbZones = map[string]string{
		"us-east-1": "Z26RNL4JYFTOTI", "us-east-2": "ZLMOA37VPKANP", "us-west-1": "Z24FKFUX50B4VW",
		"us-west-2": "Z18D5FSROUN65G", "eu-west-1": "Z2IFOLAFXWLO4F", "eu-west-2": "ZD4D7Y8KGAS4G",
		"eu-central-1": "Z3F0SRJ5LGBH90", "ap-southeast-1": "ZKVM4W9LS7TM", "ap-southeast-2": "ZCT6FZBF4DROD",
		"ap-northeast-1": "Z31USIVHYNEOWT",
	}
)

func hostedZone(region, lbType string) string {
	zones := albZones
	if lbType != "application" {
		zones = nlbZones
	}
	if z, ok := zones[region]; ok {
		return z
	}
	return zones["us-east-1"]
}

var lbNameRE = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)

func validLBName(name string) error {
	if !lbNameRE.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "internal-") {
		return errValidation("The load balancer name '%s' is not valid: it must be 1-32 letters, digits and hyphens, must not begin or end with a hyphen and must not begin with 'internal-'", name)
	}
	return nil
}

// lbByARN loads a load balancer by ARN, answering LoadBalancerNotFound.
func lbByARN(tx *state.Tx, a string) (*lbDoc, error) {
	p, ok := parseARN(a)
	if !ok || p.Kind != "loadbalancer" {
		return nil, errValidation("'%s' is not a valid load balancer ARN", a)
	}
	parts := strings.Split(p.Resource, "/")
	if len(parts) != 3 {
		return nil, errValidation("'%s' is not a valid load balancer ARN", a)
	}
	lb, err := getDoc[lbDoc](tx, nsLB, p.Region+"/"+parts[1])
	if isNotFound(err) || (err == nil && lb.ARN != a) {
		return nil, errLBNotFound("Load balancer '%s' not found", a)
	}
	return lb, err
}

func lbKey(lb *lbDoc) string {
	p, _ := parseARN(lb.ARN)
	return p.Region + "/" + lb.Name
}

// lbPrefix is the key prefix of the listeners (and rules) of a load balancer.
func lbChildPrefix(lbARN string) string {
	p, _ := parseARN(lbARN)
	return p.Region + "/" + p.Resource + "/"
}

type subnetMapping struct {
	SubnetID, AllocationID, PrivateIPv4, IPv6 string
}

func parseSubnetMappings(form url.Values) []subnetMapping {
	var out []subnetMapping
	for _, id := range list(form, "Subnets") {
		out = append(out, subnetMapping{SubnetID: id})
	}
	for _, m := range members(form, "SubnetMappings") {
		out = append(out, subnetMapping{SubnetID: m.Get("SubnetId"), AllocationID: m.Get("AllocationId"),
			PrivateIPv4: m.Get("PrivateIPv4Address"), IPv6: m.Get("IPv6Address")})
	}
	return out
}

// resolveSubnets checks the subnets against the sandbox's EC2 and the rules
// of the load balancer type.
func resolveSubnets(tx *state.Tx, region, lbType string, maps []subnetMapping) ([]lbSubnet, string, error) {
	if len(maps) == 0 {
		return nil, "", errValidation("At least one subnet must be specified")
	}
	var out []lbSubnet
	vpc := ""
	azs := map[string]bool{}
	for _, m := range maps {
		sn, ok, err := LookupSubnet(tx, region, m.SubnetID)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return nil, "", protocol.Errorf(http.StatusBadRequest, "SubnetNotFound", "The subnet ID '%s' is not valid", m.SubnetID)
		}
		if vpc == "" {
			vpc = sn.VpcID
		} else if sn.VpcID != vpc {
			return nil, "", errInvalidConfig("The subnets '%s' and '%s' are in different VPCs", out[0].SubnetID, sn.ID)
		}
		if azs[sn.AZ] {
			return nil, "", errInvalidConfig("A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		azs[sn.AZ] = true
		out = append(out, lbSubnet{SubnetID: sn.ID, AZ: sn.AZ, AllocationID: m.AllocationID, PrivateIPv4: m.PrivateIPv4, IPv6: m.IPv6})
	}
	if lbType == "application" && len(azs) < 2 {
		return nil, "", errValidation("At least two subnets in two different Availability Zones must be specified")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AZ < out[j].AZ })
	return out, vpc, nil
}

// resolveSecurityGroups checks security groups exist in the VPC.
func resolveSecurityGroups(tx *state.Tx, region, vpc string, ids []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		sg, ok, err := LookupSecurityGroup(tx, region, id)
		if err != nil {
			return nil, err
		}
		if !ok || sg.VpcID != vpc {
			return nil, protocol.Errorf(http.StatusBadRequest, "InvalidSecurityGroup", "One or more security groups are invalid: '%s'", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// ---- XML shapes ----

type xmlLBAddress struct {
	IPAddress          string `xml:"IpAddress,omitempty"`
	AllocationID       string `xml:"AllocationId,omitempty"`
	PrivateIPv4Address string `xml:"PrivateIPv4Address,omitempty"`
	IPv6Address        string `xml:"IPv6Address,omitempty"`
}

type xmlAZ struct {
	ZoneName              string                `xml:"ZoneName"`
	SubnetID              string                `xml:"SubnetId"`
	LoadBalancerAddresses xmlList[xmlLBAddress] `xml:"LoadBalancerAddresses"`
}

type xmlState struct {
	Code   string `xml:"Code"`
	Reason string `xml:"Reason,omitempty"`
}

type xmlLB struct {
	LoadBalancerArn       string          `xml:"LoadBalancerArn"`
	DNSName               string          `xml:"DNSName"`
	CanonicalHostedZoneID string          `xml:"CanonicalHostedZoneId"`
	CreatedTime           string          `xml:"CreatedTime"`
	LoadBalancerName      string          `xml:"LoadBalancerName"`
	Scheme                string          `xml:"Scheme"`
	VpcID                 string          `xml:"VpcId"`
	State                 xmlState        `xml:"State"`
	Type                  string          `xml:"Type"`
	AvailabilityZones     xmlList[xmlAZ]  `xml:"AvailabilityZones"`
	SecurityGroups        xmlList[string] `xml:"SecurityGroups,omitempty"`
	IPAddressType         string          `xml:"IpAddressType"`
	CustomerOwnedIPv4Pool string          `xml:"CustomerOwnedIpv4Pool,omitempty"`
	EnforceSGPrivateLink  string          `xml:"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,omitempty"`
}

func (lb *lbDoc) xml() xmlLB {
	out := xmlLB{
		LoadBalancerArn: lb.ARN, DNSName: lb.DNSName, CanonicalHostedZoneID: lb.HostedZone,
		CreatedTime: isoTime(lb.Created), LoadBalancerName: lb.Name, Scheme: lb.Scheme, VpcID: lb.VpcID,
		State: xmlState{Code: "active"}, Type: lb.Type, IPAddressType: lb.IPAddressType,
		CustomerOwnedIPv4Pool: lb.CustomerOwnedIPv4Pool, EnforceSGPrivateLink: lb.EnforceSGPrivateLink,
		AvailabilityZones: xmlList[xmlAZ]{},
	}
	for _, sn := range lb.Subnets {
		az := xmlAZ{ZoneName: sn.AZ, SubnetID: sn.SubnetID, LoadBalancerAddresses: xmlList[xmlLBAddress]{}}
		if sn.AllocationID != "" || sn.PrivateIPv4 != "" || sn.IPv6 != "" {
			az.LoadBalancerAddresses = append(az.LoadBalancerAddresses, xmlLBAddress{AllocationID: sn.AllocationID,
				PrivateIPv4Address: sn.PrivateIPv4, IPv6Address: sn.IPv6})
		}
		out.AvailabilityZones = append(out.AvailabilityZones, az)
	}
	if len(lb.SecurityGroups) > 0 {
		out.SecurityGroups = xmlList[string](lb.SecurityGroups)
	}
	return out
}

type lbsResult struct {
	LoadBalancers xmlList[xmlLB] `xml:"LoadBalancers"`
	NextMarker    string         `xml:"NextMarker,omitempty"`
}

// ---- operations ----

func (s *Service) createLoadBalancer(ctx context.Context, r *Request, form url.Values) (any, error) {
	region := s.env.RegionOf(r)
	name, err := required(form, "Name")
	if err != nil {
		return nil, err
	}
	if err := validLBName(name); err != nil {
		return nil, err
	}
	lbType := str(form, "Type")
	if lbType == "" {
		lbType = "application"
	}
	if lbType != "application" && lbType != "network" && lbType != "gateway" {
		return nil, errValidation("Load balancer type '%s' is not valid", lbType)
	}
	scheme := str(form, "Scheme")
	if scheme == "" {
		scheme = "internet-facing"
	}
	if scheme != "internet-facing" && scheme != "internal" {
		return nil, errValidation("Scheme '%s' is not valid", scheme)
	}
	ipType := str(form, "IpAddressType")
	if ipType == "" {
		ipType = "ipv4"
	}
	if ipType != "ipv4" && ipType != "dualstack" && ipType != "dualstack-without-public-ipv4" {
		return nil, errValidation("IP address type '%s' is not valid", ipType)
	}
	tags, err := parseTags(form)
	if err != nil {
		return nil, err
	}
	maps := parseSubnetMappings(form)
	sgIDs := list(form, "SecurityGroups")
	if lbType == "gateway" && len(sgIDs) > 0 {
		return nil, errInvalidConfig("Security groups are not supported for load balancers with type 'gateway'")
	}
	var out *lbDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		subnets, vpc, err := resolveSubnets(tx, region, lbType, maps)
		if err != nil {
			return err
		}
		if lbType == "application" && len(sgIDs) == 0 {
			v, ok, err := LookupVPC(tx, region, vpc)
			if err != nil {
				return err
			}
			if ok && v.DefaultSGID != "" {
				sgIDs = []string{v.DefaultSGID}
			}
		}
		sgs, err := resolveSecurityGroups(tx, region, vpc, sgIDs)
		if err != nil {
			return err
		}
		existing, err := getDoc[lbDoc](tx, nsLB, region+"/"+name)
		if err == nil {
			// CreateLoadBalancer is idempotent for identical requests.
			if existing.Type == lbType && existing.Scheme == scheme && sameSubnets(existing.Subnets, subnets) {
				out = existing
				return nil
			}
			return protocol.Errorf(http.StatusBadRequest, "DuplicateLoadBalancerName", "A load balancer with the same name '%s' exists, but with different settings", name)
		}
		if !isNotFound(err) {
			return err
		}
		id := randHex(16)
		lb := &lbDoc{
			ARN:  arn(s.env, region, "loadbalancer/"+typeCode(lbType)+"/"+name+"/"+id),
			Name: name, Type: lbType, Scheme: scheme, VpcID: vpc, IPAddressType: ipType,
			HostedZone: hostedZone(region, lbType), Created: s.now(), Subnets: subnets, SecurityGroups: sgs,
			CustomerOwnedIPv4Pool: str(form, "CustomerOwnedIpv4Pool"),
			Attributes:            lbDefaultAttributes(lbType), Tags: tags,
		}
		prefix := ""
		if scheme == "internal" {
			prefix = "internal-"
		}
		if lbType == "application" {
			lb.DNSName = prefix + name + "-" + randDigits(10) + "." + region + ".elb.amazonaws.com"
		} else {
			lb.DNSName = prefix + name + "-" + randHex(16) + ".elb." + region + ".amazonaws.com"
		}
		if lbType == "network" && len(sgs) > 0 {
			lb.EnforceSGPrivateLink = "on"
		}
		out = lb
		return tx.Put(nsLB, region+"/"+name, lb)
	})
	if err != nil {
		return nil, err
	}
	return lbsResult{LoadBalancers: xmlList[xmlLB]{out.xml()}}, nil
}

func sameSubnets(a, b []lbSubnet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].SubnetID != b[i].SubnetID {
			return false
		}
	}
	return true
}

func (s *Service) describeLoadBalancers(ctx context.Context, r *Request, form url.Values) (any, error) {
	region := s.env.RegionOf(r)
	arns, names := list(form, "LoadBalancerArns"), list(form, "Names")
	if len(arns) > 0 && len(names) > 0 {
		return nil, errValidation("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	marker, size, err := pageParams(form)
	if err != nil {
		return nil, err
	}
	var lbs []lbDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		switch {
		case len(arns) > 0:
			for _, a := range arns {
				lb, err := lbByARN(tx, a)
				if err != nil {
					return err
				}
				lbs = append(lbs, *lb)
			}
		case len(names) > 0:
			for _, n := range names {
				lb, err := getDoc[lbDoc](tx, nsLB, region+"/"+n)
				if isNotFound(err) {
					return errLBNotFound("Load balancers '[%s]' not found", n)
				}
				if err != nil {
					return err
				}
				lbs = append(lbs, *lb)
			}
		default:
			all, err := listDocs[lbDoc](tx, nsLB, region+"/")
			if err != nil {
				return err
			}
			lbs = all
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(lbs, func(i, j int) bool { return lbs[i].Name < lbs[j].Name })
	pg, next, err := page(lbs, func(l lbDoc) string { return l.Name }, marker, size)
	if err != nil {
		return nil, err
	}
	res := lbsResult{LoadBalancers: xmlList[xmlLB]{}, NextMarker: next}
	for i := range pg {
		res.LoadBalancers = append(res.LoadBalancers, pg[i].xml())
	}
	return res, nil
}

func (s *Service) deleteLoadBalancer(ctx context.Context, r *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err := lbByARN(tx, a)
		if err != nil {
			var pe *protocol.Error
			if asProtocolError(err, &pe) && pe.Code == "LoadBalancerNotFound" {
				return nil // deleting a deleted load balancer succeeds
			}
			return err
		}
		if lb.Attributes["deletion_protection.enabled"] == "true" {
			return errOperationNotPermitted("Load balancer '%s' cannot be deleted because deletion protection is enabled", a)
		}
		prefix := lbChildPrefix(lb.ARN)
		if err := tx.DeletePrefix(nsRule, prefix); err != nil {
			return err
		}
		if err := tx.DeletePrefix(nsListener, prefix); err != nil {
			return err
		}
		return tx.Delete(nsLB, lbKey(lb))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) describeLoadBalancerAttributes(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	var lb *lbDoc
	if err := s.view(ctx, func(tx *state.Tx) error {
		lb, err = lbByARN(tx, a)
		return err
	}); err != nil {
		return nil, err
	}
	return attributesResult{Attributes: attrList(lb.Attributes)}, nil
}

type attributesResult struct {
	Attributes xmlList[attrPair] `xml:"Attributes"`
}

func (s *Service) modifyLoadBalancerAttributes(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	var attrs map[string]string
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err := lbByARN(tx, a)
		if err != nil {
			return err
		}
		attrs, err = applyAttributes(form, lb.Attributes, "Load balancer")
		if err != nil {
			return err
		}
		if lb.Type == "application" && attrs["load_balancing.cross_zone.enabled"] != "true" {
			return errInvalidConfig("Cross-zone load balancing cannot be disabled for Application Load Balancers")
		}
		if attrs["access_logs.s3.enabled"] == "true" && attrs["access_logs.s3.bucket"] == "" {
			return errValidation("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled")
		}
		lb.Attributes = attrs
		return tx.Put(nsLB, lbKey(lb), lb)
	})
	if err != nil {
		return nil, err
	}
	return attributesResult{Attributes: attrList(attrs)}, nil
}

func (s *Service) setSecurityGroups(ctx context.Context, r *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	ids := list(form, "SecurityGroups")
	enforce := str(form, "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
	if enforce != "" && enforce != "on" && enforce != "off" {
		return nil, errValidation("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic must be 'on' or 'off'")
	}
	var lb *lbDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err = lbByARN(tx, a)
		if err != nil {
			return err
		}
		switch lb.Type {
		case "gateway":
			return errInvalidConfig("Security groups are not supported for load balancers with type 'gateway'")
		case "application":
			if len(ids) == 0 {
				return errValidation("At least one security group must be specified")
			}
		case "network":
			if len(lb.SecurityGroups) == 0 && len(ids) > 0 {
				return errInvalidConfig("You cannot add security groups to a Network Load Balancer that was created without security groups")
			}
			if len(lb.SecurityGroups) > 0 && len(ids) == 0 {
				return errInvalidConfig("You cannot remove all security groups from a Network Load Balancer that was created with security groups")
			}
		}
		sgs, err := resolveSecurityGroups(tx, region, lb.VpcID, ids)
		if err != nil {
			return err
		}
		lb.SecurityGroups = sgs
		if enforce != "" {
			if lb.Type != "network" {
				return errInvalidConfig("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is supported only by Network Load Balancers")
			}
			lb.EnforceSGPrivateLink = enforce
		}
		return tx.Put(nsLB, lbKey(lb), lb)
	})
	if err != nil {
		return nil, err
	}
	return struct {
		SecurityGroupIDs xmlList[string] `xml:"SecurityGroupIds"`
		Enforce          string          `xml:"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,omitempty"`
	}{xmlList[string](lb.SecurityGroups), lb.EnforceSGPrivateLink}, nil
}

func (s *Service) setSubnets(ctx context.Context, r *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	maps := parseSubnetMappings(form)
	ipType := str(form, "IpAddressType")
	var lb *lbDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err = lbByARN(tx, a)
		if err != nil {
			return err
		}
		subnets, vpc, err := resolveSubnets(tx, region, lb.Type, maps)
		if err != nil {
			return err
		}
		if vpc != lb.VpcID {
			return errInvalidConfig("The subnets must be in the load balancer's VPC '%s'", lb.VpcID)
		}
		if lb.Type == "network" {
			have := map[string]bool{}
			for _, sn := range subnets {
				have[sn.SubnetID] = true
			}
			for _, old := range lb.Subnets {
				if !have[old.SubnetID] {
					return errInvalidConfig("Subnets cannot be removed from a Network Load Balancer")
				}
			}
		}
		lb.Subnets = subnets
		if ipType != "" {
			lb.IPAddressType = ipType
		}
		return tx.Put(nsLB, lbKey(lb), lb)
	})
	if err != nil {
		return nil, err
	}
	x := lb.xml()
	return struct {
		AvailabilityZones xmlList[xmlAZ] `xml:"AvailabilityZones"`
		IPAddressType     string         `xml:"IpAddressType"`
	}{x.AvailabilityZones, lb.IPAddressType}, nil
}

func (s *Service) setIPAddressType(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	ipType, err := required(form, "IpAddressType")
	if err != nil {
		return nil, err
	}
	if ipType != "ipv4" && ipType != "dualstack" && ipType != "dualstack-without-public-ipv4" {
		return nil, errValidation("IP address type '%s' is not valid", ipType)
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err := lbByARN(tx, a)
		if err != nil {
			return err
		}
		if lb.Scheme == "internal" && ipType == "dualstack-without-public-ipv4" {
			return errInvalidConfig("Internal load balancers cannot use IP address type '%s'", ipType)
		}
		lb.IPAddressType = ipType
		return tx.Put(nsLB, lbKey(lb), lb)
	})
	if err != nil {
		return nil, err
	}
	return struct {
		IPAddressType string `xml:"IpAddressType"`
	}{ipType}, nil
}

// ---- capacity reservations ----

type xmlCapacityState struct {
	AvailabilityZone string   `xml:"AvailabilityZone"`
	State            xmlState `xml:"State"`
}

type capacityResult struct {
	LastModifiedTime            string `xml:"LastModifiedTime,omitempty"`
	DecreaseRequestsRemaining   *int   `xml:"DecreaseRequestsRemaining,omitempty"`
	MinimumLoadBalancerCapacity *struct {
		CapacityUnits int `xml:"CapacityUnits"`
	} `xml:"MinimumLoadBalancerCapacity,omitempty"`
	CapacityReservationState xmlList[xmlCapacityState] `xml:"CapacityReservationState"`
}

// maxCapacityDecreases is how many decreases AWS allows a day.
const maxCapacityDecreases = 4

func (lb *lbDoc) capacity(now time.Time) capacityResult {
	res := capacityResult{CapacityReservationState: xmlList[xmlCapacityState]{}}
	if lb.CapacityModified != nil {
		res.LastModifiedTime = isoTime(*lb.CapacityModified)
		left := maxCapacityDecreases
		if now.Sub(*lb.CapacityModified) < 24*time.Hour {
			left -= lb.CapacityDecreases
		}
		res.DecreaseRequestsRemaining = &left
	}
	if lb.CapacityUnits > 0 {
		res.MinimumLoadBalancerCapacity = &struct {
			CapacityUnits int `xml:"CapacityUnits"`
		}{lb.CapacityUnits}
		for _, sn := range lb.Subnets {
			res.CapacityReservationState = append(res.CapacityReservationState,
				xmlCapacityState{AvailabilityZone: sn.AZ, State: xmlState{Code: "provisioned"}})
		}
	}
	return res
}

func (s *Service) describeCapacityReservation(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	var lb *lbDoc
	if err := s.view(ctx, func(tx *state.Tx) error {
		lb, err = lbByARN(tx, a)
		return err
	}); err != nil {
		return nil, err
	}
	if lb.Type == "gateway" {
		return nil, errOperationNotPermitted("Capacity reservations are not supported for Gateway Load Balancers")
	}
	return lb.capacity(s.now()), nil
}

func (s *Service) modifyCapacityReservation(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	units, err := optInt(form, "MinimumLoadBalancerCapacity.CapacityUnits")
	if err != nil {
		return nil, err
	}
	reset, err := optBool(form, "ResetCapacityReservation")
	if err != nil {
		return nil, err
	}
	if (units == nil) == (reset == nil || !*reset) {
		return nil, errValidation("Exactly one of MinimumLoadBalancerCapacity and ResetCapacityReservation must be specified")
	}
	now := s.now()
	var lb *lbDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err = lbByARN(tx, a)
		if err != nil {
			return err
		}
		if lb.Type == "gateway" {
			return errOperationNotPermitted("Capacity reservations are not supported for Gateway Load Balancers")
		}
		next := 0
		if units != nil {
			if *units < 1 {
				return errValidation("Capacity units must be at least 1")
			}
			next = *units
		}
		if next < lb.CapacityUnits {
			if lb.CapacityModified != nil && now.Sub(*lb.CapacityModified) >= 24*time.Hour {
				lb.CapacityDecreases = 0
			}
			if lb.CapacityDecreases >= maxCapacityDecreases {
				return protocol.Errorf(http.StatusBadRequest, "CapacityDecreaseRequestsLimitExceeded", "You have reached the limit of capacity decrease requests for the day")
			}
			lb.CapacityDecreases++
		}
		lb.CapacityUnits = next
		lb.CapacityModified = &now
		return tx.Put(nsLB, lbKey(lb), lb)
	})
	if err != nil {
		return nil, err
	}
	return lb.capacity(now), nil
}
