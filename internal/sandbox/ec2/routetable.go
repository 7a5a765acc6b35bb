package ec2

import (
	"context"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type routeXML struct {
	DestinationCidrBlock     string `xml:"destinationCidrBlock,omitempty"`
	DestinationIPv6CidrBlock string `xml:"destinationIpv6CidrBlock,omitempty"`
	DestinationPrefixListID  string `xml:"destinationPrefixListId,omitempty"`
	GatewayID                string `xml:"gatewayId,omitempty"`
	NatGatewayID             string `xml:"natGatewayId,omitempty"`
	NetworkInterfaceID       string `xml:"networkInterfaceId,omitempty"`
	State                    string `xml:"state"`
	Origin                   string `xml:"origin"`
}

type assocStateXML struct {
	State string `xml:"state"`
}

type rtbAssocXML struct {
	ID           string        `xml:"routeTableAssociationId"`
	RouteTableID string        `xml:"routeTableId"`
	SubnetID     string        `xml:"subnetId,omitempty"`
	GatewayID    string        `xml:"gatewayId,omitempty"`
	Main         bool          `xml:"main"`
	State        assocStateXML `xml:"associationState"`
}

type routeTableXML struct {
	RouteTableID    string           `xml:"routeTableId"`
	VpcID           string           `xml:"vpcId"`
	OwnerID         string           `xml:"ownerId"`
	Routes          set[routeXML]    `xml:"routeSet"`
	Assocs          set[rtbAssocXML] `xml:"associationSet"`
	PropagatingVgws set[struct{}]    `xml:"propagatingVgwSet"`
	Tags            *set[tagXML]     `xml:"tagSet,omitempty"`
}

// routeState is "active" while the target exists (an internet gateway
// still attached to the VPC, a NAT gateway not deleted), else "blackhole".
func routeState(tx *state.Tx, region, vpcID string, r routeDoc) (string, error) {
	switch {
	case r.GatewayID == "local":
		return "active", nil
	case strings.HasPrefix(r.GatewayID, "igw-"):
		g, ok, err := get[igwDoc](tx, kIGW, region, r.GatewayID)
		if err != nil {
			return "", err
		}
		if ok && g.VpcID == vpcID {
			return "active", nil
		}
	case r.NatGatewayID != "":
		n, ok, err := get[natDoc](tx, kNAT, region, r.NatGatewayID)
		if err != nil {
			return "", err
		}
		if ok && n.State == "available" {
			return "active", nil
		}
	case r.ENIID != "":
		ok, err := tx.Exists(kENI.ns, key(region, r.ENIID))
		if err != nil {
			return "", err
		}
		if ok {
			return "active", nil
		}
	}
	return "blackhole", nil
}

func (s *Service) routeTableXML(tx *state.Tx, region string, t *rtbDoc, tags map[string]string) (routeTableXML, error) {
	x := routeTableXML{RouteTableID: t.ID, VpcID: t.VpcID, OwnerID: s.env.AccountID, Tags: tagSet(tags)}
	for _, r := range t.Routes {
		st, err := routeState(tx, region, t.VpcID, r)
		if err != nil {
			return x, err
		}
		x.Routes.Items = append(x.Routes.Items, routeXML{DestinationCidrBlock: r.DestCIDR, DestinationIPv6CidrBlock: r.DestIPv6,
			DestinationPrefixListID: r.DestPrefixLst, GatewayID: r.GatewayID, NatGatewayID: r.NatGatewayID,
			NetworkInterfaceID: r.ENIID, State: st, Origin: r.Origin})
	}
	for _, a := range t.Assocs {
		x.Assocs.Items = append(x.Assocs.Items, rtbAssocXML{ID: a.ID, RouteTableID: t.ID, SubnetID: a.SubnetID,
			GatewayID: a.GatewayID, Main: a.Main, State: assocStateXML{"associated"}})
	}
	return x, nil
}

type createRouteTableOut struct {
	ClientToken string        `xml:"clientToken,omitempty"`
	RouteTable  routeTableXML `xml:"routeTable"`
}

func (s *Service) createRouteTable(ctx context.Context, region string, p params) (any, error) {
	vpcID, err := p.required("VpcId")
	if err != nil {
		return nil, err
	}
	tags, err := p.tagSpecs("route-table")
	if err != nil {
		return nil, err
	}
	token := p.str("ClientToken")
	var out createRouteTableOut
	err = s.update(ctx, func(tx *state.Tx) error {
		var t *rtbDoc
		if id, found, err := tokenLookup(tx, region, "CreateRouteTable", token); err != nil {
			return err
		} else if found {
			if t, err = mustGet[rtbDoc](tx, kRTB, region, id); err != nil {
				return err
			}
			if tags, err = loadTags(tx, region, id); err != nil {
				return err
			}
		} else {
			v, err := mustGet[vpcDoc](tx, kVPC, region, vpcID)
			if err != nil {
				return err
			}
			t = &rtbDoc{ID: newID("rtb"), VpcID: vpcID}
			for _, c := range v.ipv4Blocks() {
				t.Routes = append(t.Routes, routeDoc{DestCIDR: c, GatewayID: "local", Origin: "CreateRouteTable"})
			}
			for _, c := range v.ipv6Blocks() {
				t.Routes = append(t.Routes, routeDoc{DestIPv6: c, GatewayID: "local", Origin: "CreateRouteTable"})
			}
			if err := put(tx, kRTB, region, t.ID, t); err != nil {
				return err
			}
			if err := tokenRecord(tx, region, "CreateRouteTable", token, t.ID); err != nil {
				return err
			}
			if err := saveTags(tx, region, t.ID, tags); err != nil {
				return err
			}
		}
		x, err := s.routeTableXML(tx, region, t, tags)
		out = createRouteTableOut{ClientToken: token, RouteTable: x}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var rtbFilterNames = []string{"association.gateway-id", "association.route-table-association-id",
	"association.route-table-id", "association.subnet-id", "association.main", "association.association-state",
	"owner-id", "route-table-id", "route.destination-cidr-block", "route.destination-ipv6-cidr-block",
	"route.destination-prefix-list-id", "route.egress-only-internet-gateway-id", "route.gateway-id",
	"route.instance-id", "route.nat-gateway-id", "route.network-interface-id", "route.transit-gateway-id",
	"route.origin", "route.state", "route.vpc-peering-connection-id", "vpc-id"}

type describeRouteTablesOut struct {
	RouteTables set[routeTableXML] `xml:"routeTableSet"`
	NextToken   string             `xml:"nextToken,omitempty"`
}

func (s *Service) describeRouteTables(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, rtbFilterNames...); err != nil {
		return nil, err
	}
	var items []routeTableXML
	err = s.view(ctx, func(tx *state.Tx) error {
		rtbs, err := byIDs[rtbDoc](tx, kRTB, region, p.strs("RouteTableId"))
		if err != nil {
			return err
		}
		for _, t := range rtbs {
			tags, err := loadTags(tx, region, t.ID)
			if err != nil {
				return err
			}
			x, err := s.routeTableXML(tx, region, t, tags)
			if err != nil {
				return err
			}
			f := fields{}
			f.set("route-table-id", t.ID)
			f.set("vpc-id", t.VpcID)
			f.set("owner-id", s.env.AccountID)
			for _, a := range x.Assocs.Items {
				f.set("association.route-table-association-id", a.ID)
				f.set("association.route-table-id", t.ID)
				f.set("association.subnet-id", a.SubnetID)
				f.set("association.gateway-id", a.GatewayID)
				f.set("association.main", boolStr(a.Main))
				f.set("association.association-state", "associated")
			}
			if len(x.Assocs.Items) > 0 && !t.isMain() {
				f.set("association.main", "false")
			}
			for _, r := range x.Routes.Items {
				f.set("route.destination-cidr-block", r.DestinationCidrBlock)
				f.set("route.destination-ipv6-cidr-block", r.DestinationIPv6CidrBlock)
				f.set("route.destination-prefix-list-id", r.DestinationPrefixListID)
				f.set("route.gateway-id", r.GatewayID)
				f.set("route.nat-gateway-id", r.NatGatewayID)
				f.set("route.network-interface-id", r.NetworkInterfaceID)
				f.set("route.origin", r.Origin)
				f.set("route.state", r.State)
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
	pg, next, err := page(p, items, func(x routeTableXML) string { return x.RouteTableID }, 5, 100)
	if err != nil {
		return nil, err
	}
	return describeRouteTablesOut{RouteTables: set[routeTableXML]{Items: pg}, NextToken: next}, nil
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (s *Service) deleteRouteTable(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		t, err := mustGet[rtbDoc](tx, kRTB, region, id)
		if err != nil {
			return err
		}
		if len(t.Assocs) > 0 {
			return errDependency("The routeTable '%s' has dependencies and cannot be deleted.", id)
		}
		return del(tx, kRTB, region, id)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// ---- routes ----

// routeTarget reads and validates CreateRoute/ReplaceRoute's target:
// exactly one of the targets the sandbox models, existing and in the route
// table's VPC. Targets of kinds the sandbox cannot create (transit
// gateways, peering connections, …) cannot exist, so they are not found.
func routeTarget(tx *state.Tx, region string, t *rtbDoc, p params) (routeDoc, error) {
	var r routeDoc
	targets := map[string]string{}
	for _, name := range []string{"GatewayId", "NatGatewayId", "NetworkInterfaceId", "EgressOnlyInternetGatewayId",
		"InstanceId", "TransitGatewayId", "VpcPeeringConnectionId", "LocalGatewayId", "CarrierGatewayId",
		"VpcEndpointId", "CoreNetworkArn", "OdbNetworkArn"} {
		if v := p.str(name); v != "" {
			targets[name] = v
		}
	}
	if len(targets) == 0 {
		return r, errMissing("target (GatewayId, NatGatewayId, NetworkInterfaceId, …)")
	}
	if len(targets) > 1 {
		return r, errCombination("Only one of %s may be specified", joinComma(sortedKeys(targets)))
	}
	for name, id := range targets {
		switch name {
		case "GatewayId":
			if strings.HasPrefix(id, "vgw-") {
				return r, errf("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", id)
			}
			if id == "local" {
				return r, errInvalidParam("Cannot create a route to the local target; local routes are managed by EC2")
			}
			g, ok, err := get[igwDoc](tx, kIGW, region, id)
			if err != nil {
				return r, err
			}
			if !ok {
				return r, errf("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", id)
			}
			if g.VpcID != t.VpcID {
				return r, errInvalidParam("route table %s and network gateway %s belong to different networks", t.ID, id)
			}
			r.GatewayID = id
		case "NatGatewayId":
			n, ok, err := get[natDoc](tx, kNAT, region, id)
			if err != nil {
				return r, err
			}
			if !ok || n.State == "deleted" {
				return r, errf("InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist", id)
			}
			if n.VpcID != t.VpcID {
				return r, errInvalidParam("route table %s and NAT gateway %s belong to different networks", t.ID, id)
			}
			r.NatGatewayID = id
		case "NetworkInterfaceId":
			e, ok, err := get[eniDoc](tx, kENI, region, id)
			if err != nil {
				return r, err
			}
			if !ok {
				return r, kENI.errNotFound(id)
			}
			if e.VpcID != t.VpcID {
				return r, errInvalidParam("route table %s and interface %s belong to different networks", t.ID, id)
			}
			r.ENIID = id
		case "EgressOnlyInternetGatewayId":
			return r, errf("InvalidEgressOnlyInternetGatewayId.NotFound", "The egress-only internet gateway ID '%s' does not exist", id)
		case "InstanceId":
			return r, errf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		case "TransitGatewayId":
			return r, errf("InvalidTransitGatewayID.NotFound", "Transit Gateway %s was deleted or does not exist.", id)
		case "VpcPeeringConnectionId":
			return r, errf("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '%s' does not exist", id)
		case "VpcEndpointId":
			return r, errf("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
		default:
			return r, errf("InvalidParameterValue", "The %s '%s' does not exist", name, id)
		}
	}
	return r, nil
}

// routeDest reads the destination: exactly one of an IPv4 CIDR, an IPv6
// CIDR or a prefix list.
func routeDest(p params) (routeDoc, error) {
	var r routeDoc
	n := 0
	if c := p.str("DestinationCidrBlock"); c != "" {
		pfx, err := parseCIDR("destinationCidrBlock", c, true)
		if err != nil {
			return r, err
		}
		r.DestCIDR = pfx.String()
		n++
	}
	if c := p.str("DestinationIpv6CidrBlock"); c != "" {
		pfx, err := parseCIDR("destinationIpv6CidrBlock", c, false)
		if err != nil {
			return r, err
		}
		r.DestIPv6 = pfx.String()
		n++
	}
	if pl := p.str("DestinationPrefixListId"); pl != "" {
		if !validID("pl", pl) {
			return r, errf("InvalidPrefixListId.Malformed", "The prefix list ID '%s' is malformed", pl)
		}
		r.DestPrefixLst = pl
		n++
	}
	switch {
	case n == 0:
		return r, errMissing("destinationCidrBlock")
	case n > 1:
		return r, errCombination("Only one of DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId may be specified")
	}
	return r, nil
}

func (s *Service) createRoute(ctx context.Context, region string, p params) (any, error) {
	return s.putRoute(ctx, region, p, false)
}

func (s *Service) replaceRoute(ctx context.Context, region string, p params) (any, error) {
	return s.putRoute(ctx, region, p, true)
}

func (s *Service) putRoute(ctx context.Context, region string, p params, replace bool) (any, error) {
	id, err := p.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	dest, err := routeDest(p)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		t, err := mustGet[rtbDoc](tx, kRTB, region, id)
		if err != nil {
			return err
		}
		target, err := routeTarget(tx, region, t, p)
		if err != nil {
			return err
		}
		r := dest
		r.GatewayID, r.NatGatewayID, r.ENIID = target.GatewayID, target.NatGatewayID, target.ENIID
		r.Origin = "CreateRoute"
		for i, old := range t.Routes {
			if old.dest() != r.dest() {
				continue
			}
			if old.GatewayID == "local" {
				if replace {
					return errInvalidParam("cannot replace local route %s in route table %s", old.dest(), id)
				}
				return errf("RouteAlreadyExists", "The route identified by %s already exists.", r.dest())
			}
			if !replace {
				return errf("RouteAlreadyExists", "The route identified by %s already exists.", r.dest())
			}
			t.Routes[i] = r
			return put(tx, kRTB, region, id, t)
		}
		if replace {
			return errInvalidParam("There is no route defined for '%s' in the route table. Use CreateRoute instead.", r.dest())
		}
		if len(t.Routes) >= 500 {
			return errf("RouteLimitExceeded", "The maximum number of routes has been reached.")
		}
		t.Routes = append(t.Routes, r)
		return put(tx, kRTB, region, id, t)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Service) deleteRoute(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	dest, err := routeDest(p)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		t, err := mustGet[rtbDoc](tx, kRTB, region, id)
		if err != nil {
			return err
		}
		for i, r := range t.Routes {
			if r.dest() != dest.dest() {
				continue
			}
			if r.GatewayID == "local" {
				return errInvalidParam("cannot remove local route %s in route table %s", r.dest(), id)
			}
			t.Routes = append(t.Routes[:i], t.Routes[i+1:]...)
			return put(tx, kRTB, region, id, t)
		}
		what := "destination-cidr-block"
		switch {
		case dest.DestIPv6 != "":
			what = "destination-ipv6-cidr-block"
		case dest.DestPrefixLst != "":
			what = "destination-prefix-list-id"
		}
		return errf("InvalidRoute.NotFound", "no route with %s %s in route table %s", what, dest.dest(), id)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

// ---- associations ----

// findAssoc finds the route table holding an association id.
func findAssoc(tx *state.Tx, region, assocID string) (*rtbDoc, int, error) {
	rtbs, err := all[rtbDoc](tx, kRTB, region)
	if err != nil {
		return nil, 0, err
	}
	for _, t := range rtbs {
		for i, a := range t.Assocs {
			if a.ID == assocID {
				return t, i, nil
			}
		}
	}
	return nil, 0, errf("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assocID)
}

type associateRouteTableOut struct {
	AssociationID string        `xml:"associationId"`
	State         assocStateXML `xml:"associationState"`
}

func (s *Service) associateRouteTable(ctx context.Context, region string, p params) (any, error) {
	id, err := p.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	subnetID, gatewayID := p.str("SubnetId"), p.str("GatewayId")
	if (subnetID == "") == (gatewayID == "") {
		return nil, errCombination("Exactly one of SubnetId or GatewayId must be specified")
	}
	if p.str("PublicIpv4Pool") != "" {
		return nil, notImplementedParam("AssociateRouteTable", "PublicIpv4Pool")
	}
	assocID := newID("rtbassoc")
	err = s.update(ctx, func(tx *state.Tx) error {
		t, err := mustGet[rtbDoc](tx, kRTB, region, id)
		if err != nil {
			return err
		}
		a := rtbAssocDoc{ID: assocID}
		if subnetID != "" {
			sn, err := mustGet[subnetDoc](tx, kSubnet, region, subnetID)
			if err != nil {
				return err
			}
			if sn.VpcID != t.VpcID {
				return errInvalidParam("route table %s and subnet %s belong to different networks", id, subnetID)
			}
			a.SubnetID = subnetID
		} else {
			g, err := mustGet[igwDoc](tx, kIGW, region, gatewayID)
			if err != nil {
				return err
			}
			if g.VpcID != t.VpcID {
				return errInvalidParam("route table %s and gateway %s belong to different networks", id, gatewayID)
			}
			a.GatewayID = gatewayID
		}
		rtbs, err := all[rtbDoc](tx, kRTB, region)
		if err != nil {
			return err
		}
		for _, other := range rtbs {
			for _, o := range other.Assocs {
				if (a.SubnetID != "" && o.SubnetID == a.SubnetID) || (a.GatewayID != "" && o.GatewayID == a.GatewayID) {
					return errf("Resource.AlreadyAssociated", "the specified association for route table %s conflicts with an existing association", id)
				}
			}
		}
		t.Assocs = append(t.Assocs, a)
		return put(tx, kRTB, region, id, t)
	})
	if err != nil {
		return nil, err
	}
	return associateRouteTableOut{AssociationID: assocID, State: assocStateXML{"associated"}}, nil
}

func (s *Service) disassociateRouteTable(ctx context.Context, region string, p params) (any, error) {
	assocID, err := p.required("AssociationId")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		t, i, err := findAssoc(tx, region, assocID)
		if err != nil {
			return err
		}
		if t.Assocs[i].Main {
			return errInvalidParam("cannot disassociate the main route table association %s", assocID)
		}
		t.Assocs = append(t.Assocs[:i], t.Assocs[i+1:]...)
		return put(tx, kRTB, region, t.ID, t)
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

type replaceRouteTableAssociationOut struct {
	NewAssociationID string        `xml:"newAssociationId"`
	State            assocStateXML `xml:"associationState"`
}

// replaceRouteTableAssociation moves an association (the main one
// included) to another route table of the same VPC, under a new id.
func (s *Service) replaceRouteTableAssociation(ctx context.Context, region string, p params) (any, error) {
	assocID, err := p.required("AssociationId")
	if err != nil {
		return nil, err
	}
	id, err := p.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	newAssoc := newID("rtbassoc")
	err = s.update(ctx, func(tx *state.Tx) error {
		from, i, err := findAssoc(tx, region, assocID)
		if err != nil {
			return err
		}
		to, err := mustGet[rtbDoc](tx, kRTB, region, id)
		if err != nil {
			return err
		}
		if to.VpcID != from.VpcID {
			return errInvalidParam("route table %s and association %s belong to different networks", id, assocID)
		}
		a := from.Assocs[i]
		a.ID = newAssoc
		from.Assocs = append(from.Assocs[:i], from.Assocs[i+1:]...)
		if from.ID == to.ID {
			to = from
		}
		to.Assocs = append(to.Assocs, a)
		if err := put(tx, kRTB, region, from.ID, from); err != nil {
			return err
		}
		if err := put(tx, kRTB, region, to.ID, to); err != nil {
			return err
		}
		if a.Main {
			v, err := mustGet[vpcDoc](tx, kVPC, region, to.VpcID)
			if err != nil {
				return err
			}
			v.MainRouteTableID = to.ID
			return put(tx, kVPC, region, v.ID, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return replaceRouteTableAssociationOut{NewAssociationID: newAssoc, State: assocStateXML{"associated"}}, nil
}
