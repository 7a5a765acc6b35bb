package ec2

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxRulesPerDirection is EC2's default quota of inbound (and of
// outbound) rules per security group.
const maxRulesPerDirection = 60

// ---- XML ----

type ipRangeXML struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ipv6RangeXML struct {
	CidrIPv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type prefixListIDXML struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

type groupPairXML struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type ipPermissionXML struct {
	IPProtocol    string               `xml:"ipProtocol"`
	FromPort      *int                 `xml:"fromPort,omitempty"`
	ToPort        *int                 `xml:"toPort,omitempty"`
	Groups        set[groupPairXML]    `xml:"groups"`
	IPRanges      set[ipRangeXML]      `xml:"ipRanges"`
	IPv6Ranges    set[ipv6RangeXML]    `xml:"ipv6Ranges"`
	PrefixListIDs set[prefixListIDXML] `xml:"prefixListIds"`
}

type securityGroupXML struct {
	OwnerID       string               `xml:"ownerId"`
	GroupID       string               `xml:"groupId"`
	GroupName     string               `xml:"groupName"`
	Description   string               `xml:"groupDescription"`
	VpcID         string               `xml:"vpcId"`
	IPPermissions set[ipPermissionXML] `xml:"ipPermissions"`
	Egress        set[ipPermissionXML] `xml:"ipPermissionsEgress"`
	Tags          *set[tagXML]         `xml:"tagSet,omitempty"`
	ARN           string               `xml:"securityGroupArn"`
}

type referencedGroupXML struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type sgRuleXML struct {
	ID          string              `xml:"securityGroupRuleId"`
	GroupID     string              `xml:"groupId"`
	GroupOwner  string              `xml:"groupOwnerId"`
	IsEgress    bool                `xml:"isEgress"`
	IPProtocol  string              `xml:"ipProtocol"`
	FromPort    int                 `xml:"fromPort"`
	ToPort      int                 `xml:"toPort"`
	CidrIPv4    string              `xml:"cidrIpv4,omitempty"`
	CidrIPv6    string              `xml:"cidrIpv6,omitempty"`
	PrefixList  string              `xml:"prefixListId,omitempty"`
	Referenced  *referencedGroupXML `xml:"referencedGroupInfo,omitempty"`
	Description string              `xml:"description,omitempty"`
	Tags        *set[tagXML]        `xml:"tagSet,omitempty"`
	ARN         string              `xml:"securityGroupRuleArn"`
}

type revokedRuleXML struct {
	ID          string `xml:"securityGroupRuleId"`
	GroupID     string `xml:"groupId"`
	IsEgress    bool   `xml:"isEgress"`
	IPProtocol  string `xml:"ipProtocol"`
	FromPort    int    `xml:"fromPort"`
	ToPort      int    `xml:"toPort"`
	CidrIPv4    string `xml:"cidrIpv4,omitempty"`
	CidrIPv6    string `xml:"cidrIpv6,omitempty"`
	PrefixList  string `xml:"prefixListId,omitempty"`
	RefGroupID  string `xml:"referencedGroupId,omitempty"`
	Description string `xml:"description,omitempty"`
}

func (s *Service) ruleXML(region, groupID string, egress bool, r ruleDoc, tags map[string]string) sgRuleXML {
	x := sgRuleXML{
		ID: r.ID, GroupID: groupID, GroupOwner: s.env.AccountID, IsEgress: egress, IPProtocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, CidrIPv4: r.CidrIPv4, CidrIPv6: r.CidrIPv6, PrefixList: r.PrefixList,
		Description: r.Description, Tags: tagSet(tags), ARN: s.arn(region, "security-group-rule/"+r.ID),
	}
	if r.RefGroupID != "" {
		x.Referenced = &referencedGroupXML{GroupID: r.RefGroupID, UserID: s.refUser(r)}
	}
	return x
}

func (s *Service) refUser(r ruleDoc) string {
	if r.RefUserID != "" {
		return r.RefUserID
	}
	return s.env.AccountID
}

// permissionsXML groups rules the way DescribeSecurityGroups shows them:
// one IpPermission per protocol and port range, listing its peers.
func (s *Service) permissionsXML(rules []ruleDoc) set[ipPermissionXML] {
	var out set[ipPermissionXML]
	index := map[string]int{}
	for _, r := range rules {
		k := r.Protocol + "|" + strconv.Itoa(r.FromPort) + "|" + strconv.Itoa(r.ToPort)
		i, ok := index[k]
		if !ok {
			perm := ipPermissionXML{IPProtocol: r.Protocol}
			if portsApply(r.Protocol) {
				from, to := r.FromPort, r.ToPort
				perm.FromPort, perm.ToPort = &from, &to
			}
			out.Items = append(out.Items, perm)
			i = len(out.Items) - 1
			index[k] = i
		}
		perm := &out.Items[i]
		switch {
		case r.CidrIPv4 != "":
			perm.IPRanges.Items = append(perm.IPRanges.Items, ipRangeXML{r.CidrIPv4, r.Description})
		case r.CidrIPv6 != "":
			perm.IPv6Ranges.Items = append(perm.IPv6Ranges.Items, ipv6RangeXML{r.CidrIPv6, r.Description})
		case r.PrefixList != "":
			perm.PrefixListIDs.Items = append(perm.PrefixListIDs.Items, prefixListIDXML{r.PrefixList, r.Description})
		case r.RefGroupID != "":
			perm.Groups.Items = append(perm.Groups.Items, groupPairXML{UserID: s.refUser(r), GroupID: r.RefGroupID, Description: r.Description})
		}
	}
	return out
}

func (s *Service) sgXML(region string, g *sgDoc, tags map[string]string) securityGroupXML {
	return securityGroupXML{
		OwnerID: s.env.AccountID, GroupID: g.ID, GroupName: g.Name, Description: g.Description, VpcID: g.VpcID,
		IPPermissions: s.permissionsXML(g.Ingress), Egress: s.permissionsXML(g.Egress),
		Tags: tagSet(tags), ARN: s.arn(region, "security-group/"+g.ID),
	}
}

// ---- rules: parsing and normalising ----

// normProtocol maps a protocol as users write it to what EC2 stores:
// names for tcp/udp/icmp/icmpv6, -1 for all, else the number.
func normProtocol(p string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	case "":
		return "", errMissing("IpProtocol")
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 255 {
		return "", errInvalidParam("Invalid value '%s' for IP protocol. Unknown protocol.", p)
	}
	return strconv.Itoa(n), nil
}

// portsApply reports whether EC2 keeps a port range for the protocol.
func portsApply(protocol string) bool {
	switch protocol {
	case "tcp", "udp", "icmp", "icmpv6":
		return true
	}
	return false
}

// normPorts validates a rule's ports for its protocol.
func normPorts(protocol string, from, to *int) (int, int, error) {
	switch protocol {
	case "tcp", "udp":
		if from == nil || to == nil {
			return 0, 0, errInvalidParam("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange")
		}
		if *from < 0 || *from > 65535 || *to < 0 || *to > 65535 {
			return 0, 0, errInvalidParam("Invalid value '%d-%d' for portRange. Ports must be between 0 and 65535.", *from, *to)
		}
		if *from > *to {
			return 0, 0, errInvalidParam("Invalid TCP/UDP port range %d-%d: the from port is greater than the to port.", *from, *to)
		}
		return *from, *to, nil
	case "icmp", "icmpv6":
		f, t := -1, -1
		if from != nil {
			f = *from
		}
		if to != nil {
			t = *to
		}
		if f < -1 || f > 255 || t < -1 || t > 255 {
			return 0, 0, errInvalidParam("Invalid value '%d' for ICMP type or code '%d'.", f, t)
		}
		return f, t, nil
	}
	// All traffic or another protocol: EC2 ignores the ports.
	return -1, -1, nil
}

// peerKey identifies a rule for duplicate detection and revoke matching.
func (r ruleDoc) peerKey() string {
	peer := ""
	switch {
	case r.CidrIPv4 != "":
		peer = "4:" + r.CidrIPv4
	case r.CidrIPv6 != "":
		peer = "6:" + r.CidrIPv6
	case r.PrefixList != "":
		peer = "pl:" + r.PrefixList
	case r.RefGroupID != "":
		peer = "sg:" + r.RefGroupID
	}
	return r.Protocol + "|" + strconv.Itoa(r.FromPort) + "|" + strconv.Itoa(r.ToPort) + "|" + peer
}

// describe renders a rule as EC2's InvalidPermission.Duplicate message does.
func (r ruleDoc) describe() string {
	peer := r.CidrIPv4 + r.CidrIPv6 + r.PrefixList + r.RefGroupID
	proto := strings.ToUpper(r.Protocol)
	if r.Protocol == "-1" {
		proto = "ALL"
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, proto, r.FromPort, r.ToPort)
}

// parsePermissions reads IpPermissions.N (and the legacy top-level
// CidrIp/IpProtocol/FromPort/ToPort form) into one rule per peer. It
// checks referenced groups exist.
func (s *Service) parsePermissions(tx *state.Tx, region string, p params) ([]ruleDoc, error) {
	perms := p.list("IpPermissions")
	if p.str("IpProtocol") != "" || p.str("CidrIp") != "" {
		legacy := params{map[string][]string{
			"IpProtocol": {p.str("IpProtocol")}, "FromPort": {p.str("FromPort")}, "ToPort": {p.str("ToPort")},
		}}
		if c := p.str("CidrIp"); c != "" {
			legacy.Values["IpRanges.1.CidrIp"] = []string{c}
		}
		perms = append(perms, legacy)
	}
	if p.str("SourceSecurityGroupName") != "" {
		return nil, errInvalidParam("SourceSecurityGroupName is only supported for EC2-Classic and default VPC security groups; use IpPermissions with a group id")
	}
	var out []ruleDoc
	for _, perm := range perms {
		proto, err := normProtocol(perm.str("IpProtocol"))
		if err != nil {
			return nil, err
		}
		from, err := perm.optInt("FromPort")
		if err != nil {
			return nil, err
		}
		to, err := perm.optInt("ToPort")
		if err != nil {
			return nil, err
		}
		fp, tp, err := normPorts(proto, from, to)
		if err != nil {
			return nil, err
		}
		base := ruleDoc{Protocol: proto, FromPort: fp, ToPort: tp}
		n := len(out)
		for _, r := range perm.list("IpRanges") {
			c, err := parseCIDR("cidrIp", r.str("CidrIp"), true)
			if err != nil {
				return nil, errInvalidParam("CIDR block %s is malformed", r.str("CidrIp"))
			}
			rule := base
			rule.CidrIPv4, rule.Description = c.String(), r.Get("Description")
			out = append(out, rule)
		}
		for _, r := range perm.list("Ipv6Ranges") {
			c, err := parseCIDR("cidrIpv6", r.str("CidrIpv6"), false)
			if err != nil {
				return nil, errInvalidParam("CIDR block %s is malformed", r.str("CidrIpv6"))
			}
			rule := base
			rule.CidrIPv6, rule.Description = c.String(), r.Get("Description")
			out = append(out, rule)
		}
		for _, r := range perm.list("PrefixListIds") {
			pl := r.str("PrefixListId")
			if !validID("pl", pl) {
				return nil, errf("InvalidPrefixListId.Malformed", "The prefix list ID '%s' is malformed", pl)
			}
			rule := base
			rule.PrefixList, rule.Description = pl, r.Get("Description")
			out = append(out, rule)
		}
		for _, r := range perm.list("Groups") {
			gid := r.str("GroupId")
			if gid == "" {
				return nil, errInvalidParam("Security group references must name a GroupId (group names are only for EC2-Classic and default VPCs)")
			}
			user := r.str("UserId")
			if user == "" || user == s.env.AccountID {
				if _, err := mustGet[sgDoc](tx, kSG, region, gid); err != nil {
					return nil, err
				}
				user = ""
			}
			rule := base
			rule.RefGroupID, rule.RefUserID, rule.Description = gid, user, r.Get("Description")
			out = append(out, rule)
		}
		if len(out) == n {
			return nil, errInvalidParam("The IpPermission for protocol %s names no CIDR, IPv6 CIDR, prefix list or security group", perm.str("IpProtocol"))
		}
	}
	if len(out) == 0 {
		return nil, errMissing("IpPermissions")
	}
	return out, nil
}

// ---- groups ----

func (s *Service) newGroup(tx *state.Tx, region string, v *vpcDoc, name, description string, isDefault bool) (*sgDoc, error) {
	g := &sgDoc{ID: newID("sg"), Name: name, Description: description, VpcID: v.ID}
	g.Egress = append(g.Egress, ruleDoc{ID: newID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CidrIPv4: "0.0.0.0/0"})
	if len(v.ipv6Blocks()) > 0 {
		g.Egress = append(g.Egress, ruleDoc{ID: newID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CidrIPv6: "::/0"})
	}
	if isDefault {
		g.Ingress = append(g.Ingress, ruleDoc{ID: newID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, RefGroupID: g.ID})
	}
	if err := saveGroup(tx, region, g, nil); err != nil {
		return nil, err
	}
	return g, nil
}

func (s *Service) createDefaultSG(tx *state.Tx, region string, v *vpcDoc) (string, error) {
	g, err := s.newGroup(tx, region, v, "default", "default VPC security group", true)
	if err != nil {
		return "", err
	}
	return g.ID, nil
}

// saveGroup writes a group and keeps the rule-id index in step: rules in
// old but not in g lose their index entry (and tags).
func saveGroup(tx *state.Tx, region string, g *sgDoc, old *sgDoc) error {
	keep := map[string]bool{}
	for _, egress := range []bool{false, true} {
		rules := g.Ingress
		if egress {
			rules = g.Egress
		}
		for _, r := range rules {
			keep[r.ID] = true
			if err := put(tx, kSGR, region, r.ID, sgrIndexDoc{GroupID: g.ID, Egress: egress}); err != nil {
				return err
			}
		}
	}
	if old != nil {
		for _, r := range append(append([]ruleDoc{}, old.Ingress...), old.Egress...) {
			if !keep[r.ID] {
				if err := del(tx, kSGR, region, r.ID); err != nil {
					return err
				}
			}
		}
	}
	return put(tx, kSG, region, g.ID, g)
}

// deleteSGDoc removes a group, its rules' index entries and all their tags.
func deleteSGDoc(tx *state.Tx, region, id string) error {
	g, ok, err := get[sgDoc](tx, kSG, region, id)
	if err != nil || !ok {
		return err
	}
	for _, r := range append(append([]ruleDoc{}, g.Ingress...), g.Egress...) {
		if err := del(tx, kSGR, region, r.ID); err != nil {
			return err
		}
	}
	return del(tx, kSG, region, id)
}

type createSecurityGroupOut struct {
	GroupID string       `xml:"groupId"`
	Tags    *set[tagXML] `xml:"tagSet,omitempty"`
	ARN     string       `xml:"securityGroupArn"`
}

func (s *Service) createSecurityGroup(ctx context.Context, region string, p params) (any, error) {
	name, err := p.required("GroupName")
	if err != nil {
		return nil, err
	}
	desc, err := p.required("GroupDescription")
	if err != nil {
		return nil, err
	}
	switch {
	case len(name) > 255:
		return nil, errInvalidParam("Group name must be at most 255 characters")
	case len(desc) > 255:
		return nil, errInvalidParam("Group description must be at most 255 characters")
	case strings.HasPrefix(name, "sg-"):
		return nil, errInvalidParam("Group names may not be in the format sg-*.")
	case name == "default":
		return nil, errf("InvalidGroup.Reserved", "The security group 'default' is reserved")
	}
	vpcID := p.str("VpcId")
	if vpcID == "" {
		return nil, errf("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	tags, err := p.tagSpecs("security-group")
	if err != nil {
		return nil, err
	}
	var g *sgDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		v, err := mustGet[vpcDoc](tx, kVPC, region, vpcID)
		if err != nil {
			return err
		}
		groups, err := all[sgDoc](tx, kSG, region)
		if err != nil {
			return err
		}
		for _, other := range groups {
			if other.VpcID == vpcID && other.Name == name {
				return errf("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
			}
		}
		if g, err = s.newGroup(tx, region, v, name, desc, false); err != nil {
			return err
		}
		return saveTags(tx, region, g.ID, tags)
	})
	if err != nil {
		return nil, err
	}
	return createSecurityGroupOut{GroupID: g.ID, Tags: tagSet(tags), ARN: s.arn(region, "security-group/"+g.ID)}, nil
}

func permFields(f fields, prefix string, rules []ruleDoc, owner string) {
	for _, r := range rules {
		f.set(prefix+"protocol", r.Protocol)
		f.set(prefix+"from-port", strconv.Itoa(r.FromPort))
		f.set(prefix+"to-port", strconv.Itoa(r.ToPort))
		f.set(prefix+"cidr", r.CidrIPv4)
		f.set(prefix+"ipv6-cidr", r.CidrIPv6)
		f.set(prefix+"prefix-list-id", r.PrefixList)
		f.set(prefix+"group-id", r.RefGroupID)
		if r.RefGroupID != "" {
			user := r.RefUserID
			if user == "" {
				user = owner
			}
			f.set(prefix+"user-id", user)
		}
	}
}

var sgFilterNames = []string{"description", "group-id", "group-name", "owner-id", "vpc-id",
	"ip-permission.cidr", "ip-permission.from-port", "ip-permission.group-id", "ip-permission.group-name",
	"ip-permission.ipv6-cidr", "ip-permission.prefix-list-id", "ip-permission.protocol", "ip-permission.to-port",
	"ip-permission.user-id", "egress.ip-permission.cidr", "egress.ip-permission.from-port",
	"egress.ip-permission.group-id", "egress.ip-permission.group-name", "egress.ip-permission.ipv6-cidr",
	"egress.ip-permission.prefix-list-id", "egress.ip-permission.protocol", "egress.ip-permission.to-port",
	"egress.ip-permission.user-id"}

type describeSecurityGroupsOut struct {
	Groups    set[securityGroupXML] `xml:"securityGroupInfo"`
	NextToken string                `xml:"nextToken,omitempty"`
}

func (s *Service) describeSecurityGroups(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, sgFilterNames...); err != nil {
		return nil, err
	}
	if names := p.strs("GroupName"); len(names) > 0 {
		return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC 'none'", names[0])
	}
	var items []securityGroupXML
	err = s.view(ctx, func(tx *state.Tx) error {
		groups, err := byIDs[sgDoc](tx, kSG, region, p.strs("GroupId"))
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, g := range groups {
			names[g.ID] = g.Name
		}
		for _, g := range groups {
			tags, err := loadTags(tx, region, g.ID)
			if err != nil {
				return err
			}
			f := fields{}
			f.set("description", g.Description)
			f.set("group-id", g.ID)
			f.set("group-name", g.Name)
			f.set("owner-id", s.env.AccountID)
			f.set("vpc-id", g.VpcID)
			permFields(f, "ip-permission.", g.Ingress, s.env.AccountID)
			permFields(f, "egress.ip-permission.", g.Egress, s.env.AccountID)
			if len(fs) > 0 {
				for _, r := range g.Ingress {
					if r.RefGroupID != "" {
						ref, _, _ := get[sgDoc](tx, kSG, region, r.RefGroupID)
						if ref != nil {
							f.set("ip-permission.group-name", ref.Name)
						}
					}
				}
				for _, r := range g.Egress {
					if r.RefGroupID != "" {
						ref, _, _ := get[sgDoc](tx, kSG, region, r.RefGroupID)
						if ref != nil {
							f.set("egress.ip-permission.group-name", ref.Name)
						}
					}
				}
			}
			f.tags(tags)
			if f.matches(fs) {
				items = append(items, s.sgXML(region, g, tags))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(g securityGroupXML) string { return g.GroupID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeSecurityGroupsOut{Groups: set[securityGroupXML]{Items: pg}, NextToken: next}, nil
}

type deleteSecurityGroupOut struct {
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

func (s *Service) deleteSecurityGroup(ctx context.Context, region string, p params) (any, error) {
	id := p.str("GroupId")
	if id == "" {
		if name := p.str("GroupName"); name != "" {
			return nil, errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC 'none'", name)
		}
		return nil, errMissing("GroupId")
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[sgDoc](tx, kSG, region, id)
		if err != nil {
			return err
		}
		if g.Name == "default" {
			return errf("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
		}
		groups, err := all[sgDoc](tx, kSG, region)
		if err != nil {
			return err
		}
		for _, other := range groups {
			if other.ID == id {
				continue
			}
			for _, r := range append(append([]ruleDoc{}, other.Ingress...), other.Egress...) {
				if r.RefGroupID == id && r.RefUserID == "" {
					return errDependency("resource %s has a dependent object", id)
				}
			}
		}
		enis, err := all[eniDoc](tx, kENI, region)
		if err != nil {
			return err
		}
		for _, e := range enis {
			if contains(e.Groups, id) {
				return errDependency("resource %s has a dependent object", id)
			}
		}
		return deleteSGDoc(tx, region, id)
	})
	if err != nil {
		return nil, err
	}
	return deleteSecurityGroupOut{Return: true, GroupID: id}, nil
}

// ---- authorize / revoke ----

type authorizeOut struct {
	Return bool           `xml:"return"`
	Rules  set[sgRuleXML] `xml:"securityGroupRuleSet"`
}

func (s *Service) authorizeIngress(ctx context.Context, region string, p params) (any, error) {
	return s.authorize(ctx, region, p, false)
}

func (s *Service) authorizeEgress(ctx context.Context, region string, p params) (any, error) {
	return s.authorize(ctx, region, p, true)
}

// groupOf resolves the GroupId (or, for ingress, GroupName) parameter.
func groupParam(p params) (string, error) {
	id := p.str("GroupId")
	if id == "" {
		if name := p.str("GroupName"); name != "" {
			return "", errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC 'none'", name)
		}
		return "", errMissing("GroupId")
	}
	return id, nil
}

func (s *Service) authorize(ctx context.Context, region string, p params, egress bool) (any, error) {
	id, err := groupParam(p)
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecs("security-group-rule")
	if err != nil {
		return nil, err
	}
	var out authorizeOut
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[sgDoc](tx, kSG, region, id)
		if err != nil {
			return err
		}
		old := *g
		rules, err := s.parsePermissions(tx, region, p)
		if err != nil {
			return err
		}
		existing := g.Ingress
		if egress {
			existing = g.Egress
		}
		seen := map[string]bool{}
		for _, r := range existing {
			seen[r.peerKey()] = true
		}
		for i := range rules {
			k := rules[i].peerKey()
			if seen[k] {
				return errf("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", rules[i].describe())
			}
			seen[k] = true
			rules[i].ID = newID("sgr")
		}
		if len(existing)+len(rules) > maxRulesPerDirection {
			return errf("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
		}
		if egress {
			g.Egress = append(append([]ruleDoc{}, g.Egress...), rules...)
		} else {
			g.Ingress = append(append([]ruleDoc{}, g.Ingress...), rules...)
		}
		if err := saveGroup(tx, region, g, &old); err != nil {
			return err
		}
		for _, r := range rules {
			if err := saveTags(tx, region, r.ID, tags); err != nil {
				return err
			}
			out.Rules.Items = append(out.Rules.Items, s.ruleXML(region, g.ID, egress, r, tags))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Return = true
	return out, nil
}

type revokeOut struct {
	Return  bool                  `xml:"return"`
	Unknown *set[ipPermissionXML] `xml:"unknownIpPermissionSet,omitempty"`
	Revoked set[revokedRuleXML]   `xml:"revokedSecurityGroupRuleSet"`
}

func (s *Service) revokeIngress(ctx context.Context, region string, p params) (any, error) {
	return s.revoke(ctx, region, p, false)
}

func (s *Service) revokeEgress(ctx context.Context, region string, p params) (any, error) {
	return s.revoke(ctx, region, p, true)
}

func (s *Service) revoke(ctx context.Context, region string, p params, egress bool) (any, error) {
	id, err := groupParam(p)
	if err != nil {
		return nil, err
	}
	ruleIDs := p.strs("SecurityGroupRuleId")
	var out revokeOut
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[sgDoc](tx, kSG, region, id)
		if err != nil {
			return err
		}
		old := *g
		existing := g.Ingress
		if egress {
			existing = g.Egress
		}
		remove := map[string]bool{}
		if len(ruleIDs) > 0 {
			for _, rid := range ruleIDs {
				found := false
				for _, r := range existing {
					if r.ID == rid {
						found = true
						remove[r.ID] = true
					}
				}
				if !found {
					return kSGR.errNotFound(rid)
				}
			}
		} else {
			wanted, err := s.parsePermissions(tx, region, p)
			if err != nil {
				return err
			}
			var unknown []ruleDoc
			for _, w := range wanted {
				found := false
				for _, r := range existing {
					if r.peerKey() == w.peerKey() {
						found = true
						remove[r.ID] = true
					}
				}
				if !found {
					unknown = append(unknown, w)
				}
			}
			if len(remove) == 0 {
				return errf("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			if len(unknown) > 0 {
				u := s.permissionsXML(unknown)
				out.Unknown = &u
			}
		}
		var kept []ruleDoc
		for _, r := range existing {
			if remove[r.ID] {
				out.Revoked.Items = append(out.Revoked.Items, revokedRuleXML{
					ID: r.ID, GroupID: g.ID, IsEgress: egress, IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort,
					CidrIPv4: r.CidrIPv4, CidrIPv6: r.CidrIPv6, PrefixList: r.PrefixList, RefGroupID: r.RefGroupID, Description: r.Description,
				})
				continue
			}
			kept = append(kept, r)
		}
		if egress {
			g.Egress = kept
		} else {
			g.Ingress = kept
		}
		return saveGroup(tx, region, g, &old)
	})
	if err != nil {
		return nil, err
	}
	out.Return = true
	return out, nil
}

// ---- rules by id ----

type describeSGRulesOut struct {
	Rules     set[sgRuleXML] `xml:"securityGroupRuleSet"`
	NextToken string         `xml:"nextToken,omitempty"`
}

func (s *Service) describeSecurityGroupRules(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "group-id", "security-group-rule-id"); err != nil {
		return nil, err
	}
	ids := p.strs("SecurityGroupRuleId")
	var items []sgRuleXML
	err = s.view(ctx, func(tx *state.Tx) error {
		want := map[string]bool{}
		for _, id := range ids {
			if _, err := mustGet[sgrIndexDoc](tx, kSGR, region, id); err != nil {
				return err
			}
			want[id] = true
		}
		groups, err := all[sgDoc](tx, kSG, region)
		if err != nil {
			return err
		}
		for _, g := range groups {
			for _, egress := range []bool{false, true} {
				rules := g.Ingress
				if egress {
					rules = g.Egress
				}
				for _, r := range rules {
					if len(want) > 0 && !want[r.ID] {
						continue
					}
					tags, err := loadTags(tx, region, r.ID)
					if err != nil {
						return err
					}
					f := fields{}
					f.set("group-id", g.ID)
					f.set("security-group-rule-id", r.ID)
					f.tags(tags)
					if f.matches(fs) {
						items = append(items, s.ruleXML(region, g.ID, egress, r, tags))
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(r sgRuleXML) string { return r.ID }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeSGRulesOut{Rules: set[sgRuleXML]{Items: pg}, NextToken: next}, nil
}

// modifySecurityGroupRules replaces rules in place, keeping their ids.
func (s *Service) modifySecurityGroupRules(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("GroupId")
	if err != nil {
		return nil, err
	}
	updates := p.list("SecurityGroupRule")
	if len(updates) == 0 {
		return nil, errMissing("SecurityGroupRule")
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[sgDoc](tx, kSG, region, id)
		if err != nil {
			return err
		}
		old := *g
		g.Ingress = append([]ruleDoc{}, g.Ingress...)
		g.Egress = append([]ruleDoc{}, g.Egress...)
		for _, u := range updates {
			rid, err := u.required("SecurityGroupRuleId")
			if err != nil {
				return err
			}
			req := params{map[string][]string{}}
			for k, v := range u.Values {
				if rest, ok := strings.CutPrefix(k, "SecurityGroupRule."); ok {
					req.Values[rest] = v
				}
			}
			rule, err := s.ruleFromRequest(tx, region, req)
			if err != nil {
				return err
			}
			rule.ID = rid
			found := false
			for _, rules := range [][]ruleDoc{g.Ingress, g.Egress} {
				for i := range rules {
					if rules[i].ID != rid {
						continue
					}
					found = true
					for j := range rules {
						if j != i && rules[j].peerKey() == rule.peerKey() {
							return errf("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", rule.describe())
						}
					}
					rules[i] = rule
				}
			}
			if !found {
				return kSGR.errNotFound(rid)
			}
		}
		return saveGroup(tx, region, g, &old)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// ruleFromRequest reads a SecurityGroupRuleRequest (ModifySecurityGroupRules).
func (s *Service) ruleFromRequest(tx *state.Tx, region string, req params) (ruleDoc, error) {
	proto, err := normProtocol(req.str("IpProtocol"))
	if err != nil {
		return ruleDoc{}, err
	}
	from, err := req.optInt("FromPort")
	if err != nil {
		return ruleDoc{}, err
	}
	to, err := req.optInt("ToPort")
	if err != nil {
		return ruleDoc{}, err
	}
	fp, tp, err := normPorts(proto, from, to)
	if err != nil {
		return ruleDoc{}, err
	}
	r := ruleDoc{Protocol: proto, FromPort: fp, ToPort: tp, Description: req.Get("Description")}
	peers := 0
	if c := req.str("CidrIpv4"); c != "" {
		pfx, err := parseCIDR("cidrIpv4", c, true)
		if err != nil {
			return ruleDoc{}, err
		}
		r.CidrIPv4 = pfx.String()
		peers++
	}
	if c := req.str("CidrIpv6"); c != "" {
		pfx, err := parseCIDR("cidrIpv6", c, false)
		if err != nil {
			return ruleDoc{}, err
		}
		r.CidrIPv6 = pfx.String()
		peers++
	}
	if pl := req.str("PrefixListId"); pl != "" {
		if !validID("pl", pl) {
			return ruleDoc{}, errf("InvalidPrefixListId.Malformed", "The prefix list ID '%s' is malformed", pl)
		}
		r.PrefixList = pl
		peers++
	}
	if gid := req.str("ReferencedGroupId"); gid != "" {
		if _, err := mustGet[sgDoc](tx, kSG, region, gid); err != nil {
			return ruleDoc{}, err
		}
		r.RefGroupID = gid
		peers++
	}
	if peers != 1 {
		return ruleDoc{}, errCombination("A security group rule must name exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId")
	}
	return r, nil
}

func (s *Service) updateRuleDescriptionsIngress(ctx context.Context, region string, p params) (any, error) {
	return s.updateRuleDescriptions(ctx, region, p, false)
}

func (s *Service) updateRuleDescriptionsEgress(ctx context.Context, region string, p params) (any, error) {
	return s.updateRuleDescriptions(ctx, region, p, true)
}

// updateRuleDescriptions sets rule descriptions, by IpPermissions (matched
// on everything but the description) or by rule id.
func (s *Service) updateRuleDescriptions(ctx context.Context, region string, p params, egress bool) (any, error) {
	id, err := groupParam(p)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		g, err := mustGet[sgDoc](tx, kSG, region, id)
		if err != nil {
			return err
		}
		rules := append([]ruleDoc{}, g.Ingress...)
		if egress {
			rules = append([]ruleDoc{}, g.Egress...)
		}
		byID := p.list("SecurityGroupRuleDescription")
		for _, d := range byID {
			rid := d.str("SecurityGroupRuleId")
			found := false
			for i := range rules {
				if rules[i].ID == rid {
					rules[i].Description, found = d.Get("Description"), true
				}
			}
			if !found {
				return kSGR.errNotFound(rid)
			}
		}
		if len(byID) == 0 {
			wanted, err := s.parsePermissions(tx, region, p)
			if err != nil {
				return err
			}
			for _, w := range wanted {
				found := false
				for i := range rules {
					if rules[i].peerKey() == w.peerKey() {
						rules[i].Description, found = w.Description, true
					}
				}
				if !found {
					return errf("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
				}
			}
		}
		if egress {
			g.Egress = rules
		} else {
			g.Ingress = rules
		}
		return put(tx, kSG, region, g.ID, g)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}
