package ec2

import (
	"context"
	"fmt"
	"strings"
)

// regionInfo is one region the sandbox knows: its zone-id code (use1 for
// us-east-1) and its zone letters. Every region has at least three zones
// so that a three-AZ design can be tested anywhere.
type regionInfo struct {
	name    string
	code    string
	letters string
}

// regionTable is the regions the sandbox serves (the commercial regions
// open by default). A region outside the table still works, with three
// zones a, b, c and a zone-id code derived from its name.
func regionTable() []regionInfo {
	return []regionInfo{
		{"us-east-1", "use1", "abcdef"},
		{"us-east-2", "use2", "abc"},
		{"us-west-1", "usw1", "abc"},
		{"us-west-2", "usw2", "abcd"},
		{"ca-central-1", "cac1", "abd"},
		{"eu-west-1", "euw1", "abc"},
		{"eu-west-2", "euw2", "abc"},
		{"eu-west-3", "euw3", "abc"},
		{"eu-central-1", "euc1", "abc"},
		{"eu-north-1", "eun1", "abc"},
		{"ap-south-1", "aps1", "abc"},
		{"ap-northeast-1", "apne1", "acd"},
		{"ap-northeast-2", "apne2", "abcd"},
		{"ap-northeast-3", "apne3", "abc"},
		{"ap-southeast-1", "apse1", "abc"},
		{"ap-southeast-2", "apse2", "abc"},
		{"sa-east-1", "sae1", "abc"},
	}
}

func lookupRegion(region string) regionInfo {
	for _, r := range regionTable() {
		if r.name == region {
			return r
		}
	}
	// us-gov-west-9 → usgw9-ish: first letters of each part plus the digit.
	code := ""
	for _, part := range strings.Split(region, "-") {
		if part == "" {
			continue
		}
		if part[0] >= '0' && part[0] <= '9' {
			code += part
		} else {
			code += part[:1]
		}
	}
	return regionInfo{name: region, code: code, letters: "abc"}
}

// zone is one availability zone.
type zone struct {
	Name string
	ID   string
}

// zones lists a region's availability zones. Zone ids are numbered in
// letter order (AWS maps names to ids per account; the sandbox's account
// sees them in order).
func zones(region string) []zone {
	r := lookupRegion(region)
	out := make([]zone, 0, len(r.letters))
	for i, l := range r.letters {
		out = append(out, zone{Name: region + string(l), ID: fmt.Sprintf("%s-az%d", r.code, i+1)})
	}
	return out
}

// findZone resolves a zone by name or id.
func findZone(region, name, id string) (zone, bool) {
	for _, z := range zones(region) {
		if (name != "" && z.Name == name) || (id != "" && z.ID == id) {
			return z, true
		}
	}
	return zone{}, false
}

func zoneNames(region string) string {
	var names []string
	for _, z := range zones(region) {
		names = append(names, z.Name)
	}
	return strings.Join(names, ", ")
}

type azXML struct {
	ZoneState          string        `xml:"zoneState"`
	OptInStatus        string        `xml:"optInStatus"`
	Messages           set[struct{}] `xml:"messageSet"`
	RegionName         string        `xml:"regionName"`
	ZoneName           string        `xml:"zoneName"`
	ZoneID             string        `xml:"zoneId"`
	GroupName          string        `xml:"groupName"`
	NetworkBorderGroup string        `xml:"networkBorderGroup"`
	ZoneType           string        `xml:"zoneType"`
	GroupLongName      string        `xml:"groupLongName,omitempty"`
}

type describeAZsOut struct {
	Zones set[azXML] `xml:"availabilityZoneInfo"`
}

func (s *Service) describeAvailabilityZones(_ context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "group-name", "group-long-name", "message", "opt-in-status", "parent-zone-id",
		"parent-zone-name", "region-name", "state", "zone-id", "zone-name", "zone-type"); err != nil {
		return nil, err
	}
	names, ids := p.strs("ZoneName"), p.strs("ZoneId")
	for _, n := range names {
		if _, ok := findZone(region, n, ""); !ok {
			return nil, errInvalidParam("The zone '%s' does not exist.", n)
		}
	}
	for _, id := range ids {
		if _, ok := findZone(region, "", id); !ok {
			return nil, errInvalidParam("The zone ID '%s' does not exist.", id)
		}
	}
	if _, err := p.optBool("AllAvailabilityZones"); err != nil {
		return nil, err
	}
	out := describeAZsOut{}
	for _, z := range zones(region) {
		if len(names) > 0 || len(ids) > 0 {
			if !contains(names, z.Name) && !contains(ids, z.ID) {
				continue
			}
		}
		f := fields{}
		f.set("group-name", region)
		f.set("opt-in-status", "opt-in-not-required")
		f.set("region-name", region)
		f.set("state", "available")
		f.set("zone-id", z.ID)
		f.set("zone-name", z.Name)
		f.set("zone-type", "availability-zone")
		if !f.matches(fs) {
			continue
		}
		out.Zones.Items = append(out.Zones.Items, azXML{
			ZoneState: "available", OptInStatus: "opt-in-not-required", RegionName: region,
			ZoneName: z.Name, ZoneID: z.ID, GroupName: region, NetworkBorderGroup: region,
			ZoneType: "availability-zone",
		})
	}
	return out, nil
}

type regionXML struct {
	RegionName  string `xml:"regionName"`
	Endpoint    string `xml:"regionEndpoint"`
	OptInStatus string `xml:"optInStatus"`
}

type describeRegionsOut struct {
	Regions set[regionXML] `xml:"regionInfo"`
}

func (s *Service) describeRegions(_ context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "endpoint", "opt-in-status", "region-name"); err != nil {
		return nil, err
	}
	names := p.strs("RegionName")
	known := map[string]bool{}
	for _, r := range regionTable() {
		known[r.name] = true
	}
	for _, n := range names {
		if !known[n] {
			return nil, errf("InvalidParameterValue", "Invalid region: %s", n)
		}
	}
	out := describeRegionsOut{}
	for _, r := range regionTable() {
		if len(names) > 0 && !contains(names, r.name) {
			continue
		}
		ep := "ec2." + r.name + ".amazonaws.com"
		f := fields{}
		f.set("endpoint", ep)
		f.set("opt-in-status", "opt-in-not-required")
		f.set("region-name", r.name)
		if !f.matches(fs) {
			continue
		}
		out.Regions.Items = append(out.Regions.Items, regionXML{RegionName: r.name, Endpoint: ep, OptInStatus: "opt-in-not-required"})
	}
	return out, nil
}

type attrValueXML struct {
	Value string `xml:"attributeValue"`
}

type accountAttrXML struct {
	Name   string            `xml:"attributeName"`
	Values set[attrValueXML] `xml:"attributeValueSet"`
}

type describeAccountAttrsOut struct {
	Attrs set[accountAttrXML] `xml:"accountAttributeSet"`
}

// describeAccountAttributes reports the sandbox account: VPC only, and no
// default VPC (the sandbox does not create one; create your own).
func (s *Service) describeAccountAttributes(_ context.Context, _ string, p params) (any, error) {
	want := p.strs("AttributeName")
	attrs := []accountAttrXML{
		{Name: "supported-platforms", Values: set[attrValueXML]{Items: []attrValueXML{{"VPC"}}}},
		{Name: "default-vpc", Values: set[attrValueXML]{Items: []attrValueXML{{"none"}}}},
		{Name: "max-instances", Values: set[attrValueXML]{Items: []attrValueXML{{"20"}}}},
		{Name: "vpc-max-security-groups-per-interface", Values: set[attrValueXML]{Items: []attrValueXML{{"5"}}}},
	}
	out := describeAccountAttrsOut{}
	for _, a := range attrs {
		if len(want) == 0 || contains(want, a.Name) {
			out.Attrs.Items = append(out.Attrs.Items, a)
		}
	}
	for _, w := range want {
		found := false
		for _, a := range attrs {
			found = found || a.Name == w
		}
		if !found {
			return nil, errInvalidValue("attributeName", w)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
