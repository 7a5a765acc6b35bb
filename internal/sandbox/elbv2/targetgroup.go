package elbv2

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type healthCheck struct {
	Enabled   bool   `json:"enabled"`
	Protocol  string `json:"protocol,omitempty"`
	Port      string `json:"port,omitempty"`
	Path      string `json:"path,omitempty"`
	Interval  int    `json:"interval"`
	Timeout   int    `json:"timeout"`
	Healthy   int    `json:"healthy"`
	Unhealthy int    `json:"unhealthy"`
	HTTPCode  string `json:"http_code,omitempty"`
	GRPCCode  string `json:"grpc_code,omitempty"`
}

type tgDoc struct {
	ARN             string            `json:"arn"`
	Name            string            `json:"name"`
	Protocol        string            `json:"protocol,omitempty"`
	ProtocolVersion string            `json:"protocol_version,omitempty"`
	Port            int               `json:"port,omitempty"`
	VpcID           string            `json:"vpc_id,omitempty"`
	TargetType      string            `json:"target_type"`
	IPAddressType   string            `json:"ip_address_type,omitempty"`
	HealthCheck     healthCheck       `json:"health_check"`
	Attributes      map[string]string `json:"attributes"`
	Tags            []tag             `json:"tags,omitempty"`
	Created         time.Time         `json:"created"`
}

var tgNameRE = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)

var (
	albProtocols = map[string]bool{"HTTP": true, "HTTPS": true}
	nlbProtocols = map[string]bool{"TCP": true, "TLS": true, "UDP": true, "TCP_UDP": true}
)

func tgByARN(tx *state.Tx, a string) (*tgDoc, error) {
	p, ok := parseARN(a)
	if !ok || p.Kind != "targetgroup" {
		return nil, errValidation("'%s' is not a valid target group ARN", a)
	}
	name, _, _ := strings.Cut(p.Resource, "/")
	tg, err := getDoc[tgDoc](tx, nsTG, p.Region+"/"+name)
	if isNotFound(err) || (err == nil && tg.ARN != a) {
		return nil, errTGNotFound("Target groups '%s' not found", a)
	}
	return tg, err
}

func tgKey(tg *tgDoc) string {
	p, _ := parseARN(tg.ARN)
	return p.Region + "/" + tg.Name
}

// tgLoadBalancers maps target group ARNs to the load balancers whose
// listeners or rules forward to them.
func tgLoadBalancers(tx *state.Tx, region string) (map[string][]string, error) {
	out := map[string][]string{}
	add := func(tg, lb string) {
		for _, have := range out[tg] {
			if have == lb {
				return
			}
		}
		out[tg] = append(out[tg], lb)
	}
	listeners, err := listDocs[listenerDoc](tx, nsListener, region+"/")
	if err != nil {
		return nil, err
	}
	lbOf := map[string]string{}
	for _, l := range listeners {
		lbOf[l.ARN] = l.LoadBalancerARN
		for _, tg := range actionTargetGroups(l.DefaultActions) {
			add(tg, l.LoadBalancerARN)
		}
	}
	rules, err := listDocs[ruleDoc](tx, nsRule, region+"/")
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		for _, tg := range actionTargetGroups(r.Actions) {
			add(tg, lbOf[r.ListenerARN])
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out, nil
}

// healthCheckDefaults fills the health check settings AWS chooses for a
// protocol and target type.
func healthCheckDefaults(protocol, targetType, version string) healthCheck {
	hc := healthCheck{Enabled: true, Port: "traffic-port", Interval: 30, Healthy: 5, Unhealthy: 2}
	switch {
	case targetType == "lambda":
		hc = healthCheck{Enabled: false, Protocol: "", Path: "/", Interval: 35, Timeout: 30, Healthy: 5, Unhealthy: 2, HTTPCode: "200"}
	case albProtocols[protocol]:
		hc.Protocol, hc.Path, hc.Timeout = protocol, "/", 5
		if version == "GRPC" {
			hc.Path, hc.GRPCCode = "/AWS.ALB/healthcheck", "12"
		} else {
			hc.HTTPCode = "200"
		}
	case protocol == "GENEVE":
		hc.Protocol, hc.Port, hc.Interval, hc.Timeout, hc.Healthy, hc.Unhealthy = "TCP", "80", 10, 5, 5, 2
	default:
		hc.Protocol, hc.Timeout = "TCP", 10
		if protocol == "UDP" || protocol == "TCP_UDP" {
			hc.Protocol = "TCP"
		}
	}
	return hc
}

// applyHealthCheck reads the HealthCheck* members of form over hc.
func applyHealthCheck(form url.Values, hc healthCheck, tgProtocol, targetType string) (healthCheck, error) {
	if v := str(form, "HealthCheckProtocol"); v != "" {
		v = strings.ToUpper(v)
		switch v {
		case "HTTP", "HTTPS", "TCP":
		default:
			return hc, errValidation("Health check protocol '%s' is not supported", v)
		}
		if albProtocols[tgProtocol] && v == "TCP" {
			return hc, errValidation("Health check protocol 'TCP' is not supported for target groups with the '%s' protocol", tgProtocol)
		}
		if v != "TCP" && hc.Protocol == "TCP" {
			if hc.Path == "" {
				hc.Path = "/"
			}
			if hc.HTTPCode == "" {
				hc.HTTPCode = "200-399"
			}
			hc.Timeout = 6
		}
		if v == "TCP" {
			hc.Path, hc.HTTPCode = "", ""
		}
		hc.Protocol = v
	}
	if v := str(form, "HealthCheckPort"); v != "" {
		if v != "traffic-port" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return hc, errValidation("Health check port '%s' is not valid: it must be a port number or 'traffic-port'", v)
			}
		}
		hc.Port = v
	}
	if b, err := optBool(form, "HealthCheckEnabled"); err != nil {
		return hc, err
	} else if b != nil {
		hc.Enabled = *b
	}
	if v, ok := form["HealthCheckPath"]; ok && len(v) > 0 {
		if hc.Protocol == "TCP" && v[0] != "" {
			return hc, errValidation("Health check path cannot be set when the health check protocol is TCP")
		}
		if v[0] != "" && !strings.HasPrefix(v[0], "/") {
			return hc, errValidation("Health check path '%s' must start with '/'", v[0])
		}
		if v[0] != "" {
			hc.Path = v[0]
		}
	}
	type intField struct {
		name   string
		dst    *int
		lo, hi int
	}
	for _, f := range []intField{
		{"HealthCheckIntervalSeconds", &hc.Interval, 5, 300},
		{"HealthCheckTimeoutSeconds", &hc.Timeout, 2, 120},
		{"HealthyThresholdCount", &hc.Healthy, 2, 10},
		{"UnhealthyThresholdCount", &hc.Unhealthy, 2, 10},
	} {
		n, err := optInt(form, f.name)
		if err != nil {
			return hc, err
		}
		if n == nil {
			continue
		}
		if *n < f.lo || *n > f.hi {
			return hc, errValidation("Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", *n, lowerFirst(f.name), f.lo, f.hi)
		}
		*f.dst = *n
	}
	if hc.Timeout >= hc.Interval && targetType != "lambda" {
		return hc, errValidation("Health check timeout '%d' must be smaller than the interval '%d'", hc.Timeout, hc.Interval)
	}
	if v := str(form, "Matcher.HttpCode"); v != "" {
		if hc.Protocol == "TCP" {
			return hc, errValidation("Health check matcher cannot be set when the health check protocol is TCP")
		}
		if !validMatcher(v) {
			return hc, errValidation("Health check matcher HTTP code '%s' must be a code, a list of codes or a range between 200 and 599", v)
		}
		hc.HTTPCode, hc.GRPCCode = v, ""
	}
	if v := str(form, "Matcher.GrpcCode"); v != "" {
		hc.GRPCCode, hc.HTTPCode = v, ""
	}
	return hc, nil
}

var matcherRE = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

func validMatcher(v string) bool {
	if !matcherRE.MatchString(v) {
		return false
	}
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '-' }) {
		n, _ := strconv.Atoi(part)
		if n < 200 || n > 599 {
			return false
		}
	}
	return true
}

type xmlMatcher struct {
	HTTPCode string `xml:"HttpCode,omitempty"`
	GRPCCode string `xml:"GrpcCode,omitempty"`
}

type xmlTG struct {
	TargetGroupArn             string          `xml:"TargetGroupArn"`
	TargetGroupName            string          `xml:"TargetGroupName"`
	Protocol                   string          `xml:"Protocol,omitempty"`
	Port                       *int            `xml:"Port,omitempty"`
	VpcID                      string          `xml:"VpcId,omitempty"`
	HealthCheckProtocol        string          `xml:"HealthCheckProtocol,omitempty"`
	HealthCheckPort            string          `xml:"HealthCheckPort,omitempty"`
	HealthCheckEnabled         bool            `xml:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int             `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int             `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int             `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int             `xml:"UnhealthyThresholdCount"`
	HealthCheckPath            string          `xml:"HealthCheckPath,omitempty"`
	Matcher                    *xmlMatcher     `xml:"Matcher,omitempty"`
	LoadBalancerArns           xmlList[string] `xml:"LoadBalancerArns"`
	TargetType                 string          `xml:"TargetType"`
	ProtocolVersion            string          `xml:"ProtocolVersion,omitempty"`
	IPAddressType              string          `xml:"IpAddressType,omitempty"`
}

func (tg *tgDoc) xml(lbs []string) xmlTG {
	hc := tg.HealthCheck
	out := xmlTG{
		TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: tg.Protocol, VpcID: tg.VpcID,
		HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port, HealthCheckEnabled: hc.Enabled,
		HealthCheckIntervalSeconds: hc.Interval, HealthCheckTimeoutSeconds: hc.Timeout,
		HealthyThresholdCount: hc.Healthy, UnhealthyThresholdCount: hc.Unhealthy, HealthCheckPath: hc.Path,
		LoadBalancerArns: xmlList[string](lbs), TargetType: tg.TargetType, ProtocolVersion: tg.ProtocolVersion,
		IPAddressType: tg.IPAddressType,
	}
	if out.LoadBalancerArns == nil {
		out.LoadBalancerArns = xmlList[string]{}
	}
	if tg.TargetType != "lambda" {
		p := tg.Port
		out.Port = &p
	} else {
		out.HealthCheckPort = ""
	}
	if hc.HTTPCode != "" || hc.GRPCCode != "" {
		out.Matcher = &xmlMatcher{HTTPCode: hc.HTTPCode, GRPCCode: hc.GRPCCode}
	}
	return out
}

type tgsResult struct {
	TargetGroups xmlList[xmlTG] `xml:"TargetGroups"`
	NextMarker   string         `xml:"NextMarker,omitempty"`
}

func (s *Service) createTargetGroup(ctx context.Context, r *Request, form url.Values) (any, error) {
	region := s.env.RegionOf(r)
	name, err := required(form, "Name")
	if err != nil {
		return nil, err
	}
	if !tgNameRE.MatchString(name) {
		return nil, errValidation("Target group name '%s' is not valid: it must be 1-32 letters, digits and hyphens and must not begin or end with a hyphen", name)
	}
	targetType := str(form, "TargetType")
	if targetType == "" {
		targetType = "instance"
	}
	switch targetType {
	case "instance", "ip", "lambda", "alb":
	default:
		return nil, errValidation("Target type '%s' is not valid", targetType)
	}
	tags, err := parseTags(form)
	if err != nil {
		return nil, err
	}
	tg := &tgDoc{Name: name, TargetType: targetType, Tags: tags, Created: s.now()}
	if targetType != "lambda" {
		tg.Protocol = strings.ToUpper(str(form, "Protocol"))
		if tg.Protocol == "" {
			return nil, errValidation("A protocol must be specified for target groups with target type '%s'", targetType)
		}
		if !albProtocols[tg.Protocol] && !nlbProtocols[tg.Protocol] && tg.Protocol != "GENEVE" {
			return nil, errValidation("Protocol '%s' is not valid", tg.Protocol)
		}
		port, err := optInt(form, "Port")
		if err != nil {
			return nil, err
		}
		if port == nil {
			return nil, errValidation("A port must be specified for target groups with target type '%s'", targetType)
		}
		if *port < 1 || *port > 65535 {
			return nil, errValidation("Value '%d' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535", *port)
		}
		tg.Port = *port
		tg.VpcID = str(form, "VpcId")
		if tg.VpcID == "" {
			return nil, errValidation("A VPC ID must be specified for target groups with target type '%s'", targetType)
		}
		if albProtocols[tg.Protocol] {
			tg.ProtocolVersion = strings.ToUpper(str(form, "ProtocolVersion"))
			if tg.ProtocolVersion == "" {
				tg.ProtocolVersion = "HTTP1"
			}
			if tg.ProtocolVersion != "HTTP1" && tg.ProtocolVersion != "HTTP2" && tg.ProtocolVersion != "GRPC" {
				return nil, errValidation("Protocol version '%s' is not valid", tg.ProtocolVersion)
			}
		} else if v := str(form, "ProtocolVersion"); v != "" {
			return nil, errValidation("A protocol version can be specified only for HTTP and HTTPS target groups")
		}
		tg.IPAddressType = str(form, "IpAddressType")
		if tg.IPAddressType == "" {
			tg.IPAddressType = "ipv4"
		}
		if tg.IPAddressType != "ipv4" && tg.IPAddressType != "ipv6" {
			return nil, errValidation("IP address type '%s' is not valid", tg.IPAddressType)
		}
	} else if str(form, "Protocol") != "" || str(form, "Port") != "" || str(form, "VpcId") != "" {
		return nil, errValidation("Protocol, port and VPC ID cannot be specified for target groups with target type 'lambda'")
	}
	tg.HealthCheck, err = applyHealthCheck(form, healthCheckDefaults(tg.Protocol, targetType, tg.ProtocolVersion), tg.Protocol, targetType)
	if err != nil {
		return nil, err
	}
	tg.Attributes = tgDefaultAttributes(tg.Protocol, targetType)
	var out *tgDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		if tg.VpcID != "" {
			_, ok, err := LookupVPC(tx, region, tg.VpcID)
			if err != nil {
				return err
			}
			if !ok {
				return errValidation("The VPC ID '%s' is not found", tg.VpcID)
			}
		}
		existing, err := getDoc[tgDoc](tx, nsTG, region+"/"+name)
		if err == nil {
			if existing.Protocol == tg.Protocol && existing.Port == tg.Port && existing.VpcID == tg.VpcID &&
				existing.TargetType == tg.TargetType && existing.HealthCheck == tg.HealthCheck {
				out = existing
				return nil
			}
			return protocol.Errorf(http.StatusBadRequest, "DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", name)
		}
		if !isNotFound(err) {
			return err
		}
		tg.ARN = arn(s.env, region, "targetgroup/"+name+"/"+randHex(16))
		out = tg
		return tx.Put(nsTG, region+"/"+name, tg)
	})
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: xmlList[xmlTG]{out.xml(nil)}}, nil
}

func (s *Service) describeTargetGroups(ctx context.Context, r *Request, form url.Values) (any, error) {
	region := s.env.RegionOf(r)
	lbARN := str(form, "LoadBalancerArn")
	arns, names := list(form, "TargetGroupArns"), list(form, "Names")
	n := 0
	for _, set := range []bool{lbARN != "", len(arns) > 0, len(names) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, errValidation("Only one of load balancer ARN, target group ARNs and names can be specified")
	}
	marker, size, err := pageParams(form)
	if err != nil {
		return nil, err
	}
	var tgs []tgDoc
	var lbs map[string][]string
	err = s.view(ctx, func(tx *state.Tx) error {
		var err error
		lbs, err = tgLoadBalancers(tx, region)
		if err != nil {
			return err
		}
		switch {
		case len(arns) > 0:
			for _, a := range arns {
				tg, err := tgByARN(tx, a)
				if err != nil {
					return err
				}
				tgs = append(tgs, *tg)
			}
		case len(names) > 0:
			for _, nm := range names {
				tg, err := getDoc[tgDoc](tx, nsTG, region+"/"+nm)
				if isNotFound(err) {
					return errTGNotFound("One or more target groups not found")
				}
				if err != nil {
					return err
				}
				tgs = append(tgs, *tg)
			}
		default:
			if lbARN != "" {
				if _, err := lbByARN(tx, lbARN); err != nil {
					return err
				}
			}
			all, err := listDocs[tgDoc](tx, nsTG, region+"/")
			if err != nil {
				return err
			}
			for _, tg := range all {
				if lbARN != "" && !contains(lbs[tg.ARN], lbARN) {
					continue
				}
				tgs = append(tgs, tg)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(tgs, func(i, j int) bool { return tgs[i].Name < tgs[j].Name })
	pg, next, err := page(tgs, func(t tgDoc) string { return t.Name }, marker, size)
	if err != nil {
		return nil, err
	}
	res := tgsResult{TargetGroups: xmlList[xmlTG]{}, NextMarker: next}
	for i := range pg {
		res.TargetGroups = append(res.TargetGroups, pg[i].xml(lbs[pg[i].ARN]))
	}
	return res, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Service) modifyTargetGroup(ctx context.Context, r *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	var tg *tgDoc
	var lbs map[string][]string
	err = s.update(ctx, func(tx *state.Tx) error {
		tg, err = tgByARN(tx, a)
		if err != nil {
			return err
		}
		hc, err := applyHealthCheck(form, tg.HealthCheck, tg.Protocol, tg.TargetType)
		if err != nil {
			return err
		}
		tg.HealthCheck = hc
		lbs, err = tgLoadBalancers(tx, s.env.RegionOf(r))
		if err != nil {
			return err
		}
		return tx.Put(nsTG, tgKey(tg), tg)
	})
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: xmlList[xmlTG]{tg.xml(lbs[tg.ARN])}}, nil
}

func (s *Service) deleteTargetGroup(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		tg, err := tgByARN(tx, a)
		if err != nil {
			return err
		}
		p, _ := parseARN(a)
		lbs, err := tgLoadBalancers(tx, p.Region)
		if err != nil {
			return err
		}
		if len(lbs[a]) > 0 {
			return errResourceInUse("Target group '%s' is currently in use by a listener or a rule", a)
		}
		if err := tx.DeletePrefix(nsTarget, p.Region+"/"+tg.Name+"/"); err != nil {
			return err
		}
		return tx.Delete(nsTG, tgKey(tg))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) describeTargetGroupAttributes(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	var tg *tgDoc
	if err := s.view(ctx, func(tx *state.Tx) error {
		tg, err = tgByARN(tx, a)
		return err
	}); err != nil {
		return nil, err
	}
	return attributesResult{Attributes: attrList(tg.Attributes)}, nil
}

func (s *Service) modifyTargetGroupAttributes(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	var attrs map[string]string
	err = s.update(ctx, func(tx *state.Tx) error {
		tg, err := tgByARN(tx, a)
		if err != nil {
			return err
		}
		attrs, err = applyAttributes(form, tg.Attributes, "Target group")
		if err != nil {
			return err
		}
		if st := attrs["stickiness.type"]; st != "" {
			ok := false
			switch {
			case albProtocols[tg.Protocol]:
				ok = st == "lb_cookie" || st == "app_cookie"
			case tg.Protocol == "GENEVE":
				ok = st == "source_ip_dest_ip" || st == "source_ip_dest_ip_proto"
			default:
				ok = st == "source_ip"
			}
			if !ok {
				return errInvalidConfig("Stickiness type '%s' is not supported for target groups with the %s protocol", st, tg.Protocol)
			}
		}
		if attrs["stickiness.type"] == "app_cookie" && attrs["stickiness.enabled"] == "true" && attrs["stickiness.app_cookie.cookie_name"] == "" {
			return errValidation("An application cookie name must be specified for app_cookie stickiness")
		}
		tg.Attributes = attrs
		return tx.Put(nsTG, tgKey(tg), tg)
	})
	if err != nil {
		return nil, err
	}
	return attributesResult{Attributes: attrList(attrs)}, nil
}
