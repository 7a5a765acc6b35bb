package elbv2

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type mtlsDoc struct {
	Mode                          string `json:"mode"`
	TrustStoreArn                 string `json:"trust_store_arn,omitempty"`
	IgnoreClientCertificateExpiry bool   `json:"ignore_expiry"`
	AdvertiseTrustStoreCaNames    string `json:"advertise_ca_names,omitempty"`
}

type listenerDoc struct {
	ARN             string            `json:"arn"`
	LoadBalancerARN string            `json:"lb_arn"`
	Port            int               `json:"port,omitempty"`
	Protocol        string            `json:"protocol,omitempty"`
	SslPolicy       string            `json:"ssl_policy,omitempty"`
	Certificates    []string          `json:"certificates,omitempty"`
	AlpnPolicy      []string          `json:"alpn_policy,omitempty"`
	DefaultActions  []actionDoc       `json:"default_actions"`
	MutualAuth      *mtlsDoc          `json:"mutual_auth,omitempty"`
	Attributes      map[string]string `json:"attributes"`
	DefaultRuleID   string            `json:"default_rule_id"`
	Tags            []tag             `json:"tags,omitempty"`
}

// listenerKey is region/<lb resource>/<listener id>, the ARN's tail.
func listenerKeyOf(a string) (string, bool) {
	p, ok := parseARN(a)
	if !ok || p.Kind != "listener" || strings.Count(p.Resource, "/") != 3 {
		return "", false
	}
	return p.Region + "/" + p.Resource, true
}

func listenerByARN(tx *state.Tx, a string) (*listenerDoc, error) {
	k, ok := listenerKeyOf(a)
	if !ok {
		return nil, errValidation("'%s' is not a valid listener ARN", a)
	}
	l, err := getDoc[listenerDoc](tx, nsListener, k)
	if isNotFound(err) {
		return nil, errListenerNotFound("One or more listeners not found")
	}
	return l, err
}

func (l *listenerDoc) key() string {
	k, _ := listenerKeyOf(l.ARN)
	return k
}

func (l *listenerDoc) defaultRuleARN() string {
	return strings.Replace(l.ARN, ":listener/", ":listener-rule/", 1) + "/" + l.DefaultRuleID
}

var protocolsByLB = map[string]map[string]bool{
	"application": {"HTTP": true, "HTTPS": true},
	"network":     {"TCP": true, "TLS": true, "UDP": true, "TCP_UDP": true},
	"gateway":     {"GENEVE": true},
}

// listenerSettings reads the members CreateListener and ModifyListener share
// into l.
func listenerSettings(tx *state.Tx, form url.Values, l *listenerDoc, lb *lbDoc, create bool) error {
	if v := str(form, "Protocol"); v != "" {
		l.Protocol = strings.ToUpper(v)
	}
	if lb.Type == "gateway" {
		if l.Protocol != "" && l.Protocol != "GENEVE" {
			return errValidation("Listeners of Gateway Load Balancers cannot specify a protocol")
		}
		l.Protocol = ""
	} else {
		if l.Protocol == "" {
			return errValidation("A protocol must be specified for listeners of %s load balancers", lb.Type)
		}
		if !protocolsByLB[lb.Type][l.Protocol] {
			return errValidation("Protocol '%s' is not supported by load balancers of type '%s'", l.Protocol, lb.Type)
		}
		port, err := optInt(form, "Port")
		if err != nil {
			return err
		}
		if port != nil {
			if *port < 1 || *port > 65535 {
				return errValidation("Value '%d' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535", *port)
			}
			l.Port = *port
		}
		if l.Port == 0 {
			return errValidation("A port must be specified for listeners of %s load balancers", lb.Type)
		}
	}
	if present(form, "Certificates") {
		l.Certificates = nil
		for _, m := range members(form, "Certificates") {
			c := m.Get("CertificateArn")
			if !strings.HasPrefix(c, "arn:aws:acm:") && !strings.HasPrefix(c, "arn:aws:iam::") {
				return protocol.Errorf(http.StatusBadRequest, "CertificateNotFound", "Certificate '%s' not found", c)
			}
			l.Certificates = append(l.Certificates, c)
		}
	}
	secure := l.Protocol == "HTTPS" || l.Protocol == "TLS"
	if secure {
		if len(l.Certificates) == 0 {
			return errValidation("A certificate must be specified for %s listeners", l.Protocol)
		}
		if v := str(form, "SslPolicy"); v != "" {
			if !strings.HasPrefix(v, "ELBSecurityPolicy-") {
				return protocol.Errorf(http.StatusBadRequest, "SSLPolicyNotFound", "SSL policy '%s' not found", v)
			}
			l.SslPolicy = v
		}
		if l.SslPolicy == "" {
			l.SslPolicy = "ELBSecurityPolicy-2016-08"
		}
	} else {
		if str(form, "SslPolicy") != "" || (create && len(l.Certificates) > 0) {
			return errValidation("Certificates and SSL policies can be specified only for HTTPS and TLS listeners")
		}
		l.SslPolicy, l.Certificates = "", nil
	}
	if present(form, "AlpnPolicy") {
		l.AlpnPolicy = list(form, "AlpnPolicy")
		if len(l.AlpnPolicy) > 0 && l.Protocol != "TLS" {
			return errValidation("ALPN policies can be specified only for TLS listeners")
		}
	}
	if present(form, "MutualAuthentication") {
		if l.Protocol != "HTTPS" {
			return errValidation("Mutual authentication can be configured only for HTTPS listeners")
		}
		m := &mtlsDoc{Mode: str(form, "MutualAuthentication.Mode"), TrustStoreArn: str(form, "MutualAuthentication.TrustStoreArn"),
			IgnoreClientCertificateExpiry: str(form, "MutualAuthentication.IgnoreClientCertificateExpiry") == "true",
			AdvertiseTrustStoreCaNames:    str(form, "MutualAuthentication.AdvertiseTrustStoreCaNames")}
		switch m.Mode {
		case "off", "passthrough":
		case "verify":
			if m.TrustStoreArn == "" {
				return errValidation("A trust store must be specified for mutual authentication mode 'verify'")
			}
			if m.AdvertiseTrustStoreCaNames == "" {
				m.AdvertiseTrustStoreCaNames = "off"
			}
		default:
			return errValidation("Mutual authentication mode '%s' is not valid", m.Mode)
		}
		l.MutualAuth = m
	}
	if l.Protocol == "HTTPS" && l.MutualAuth == nil {
		l.MutualAuth = &mtlsDoc{Mode: "off"}
	}
	if l.Protocol != "HTTPS" {
		l.MutualAuth = nil
	}
	return nil
}

// checkPortFree answers DuplicateListener when another listener of the load
// balancer uses the port.
func checkPortFree(tx *state.Tx, lb *lbDoc, l *listenerDoc) error {
	if l.Port == 0 {
		return nil
	}
	others, err := listDocs[listenerDoc](tx, nsListener, lbChildPrefix(lb.ARN))
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ARN != l.ARN && o.Port == l.Port && strings.Count(o.key(), "/") == 4 {
			return protocol.Errorf(http.StatusBadRequest, "DuplicateListener", "A listener already exists on this port for this load balancer '%s'", lb.ARN)
		}
	}
	return nil
}

type xmlCert struct {
	CertificateArn string `xml:"CertificateArn"`
}

type xmlMTLS struct {
	Mode                          string `xml:"Mode"`
	TrustStoreArn                 string `xml:"TrustStoreArn,omitempty"`
	IgnoreClientCertificateExpiry bool   `xml:"IgnoreClientCertificateExpiry"`
	TrustStoreAssociationStatus   string `xml:"TrustStoreAssociationStatus,omitempty"`
	AdvertiseTrustStoreCaNames    string `xml:"AdvertiseTrustStoreCaNames,omitempty"`
}

type xmlListener struct {
	ListenerArn          string             `xml:"ListenerArn"`
	LoadBalancerArn      string             `xml:"LoadBalancerArn"`
	Port                 *int               `xml:"Port,omitempty"`
	Protocol             string             `xml:"Protocol,omitempty"`
	Certificates         *xmlList[xmlCert]  `xml:"Certificates,omitempty"`
	SslPolicy            string             `xml:"SslPolicy,omitempty"`
	DefaultActions       xmlList[xmlAction] `xml:"DefaultActions"`
	AlpnPolicy           *xmlList[string]   `xml:"AlpnPolicy,omitempty"`
	MutualAuthentication *xmlMTLS           `xml:"MutualAuthentication,omitempty"`
}

func (l *listenerDoc) xml() xmlListener {
	x := xmlListener{ListenerArn: l.ARN, LoadBalancerArn: l.LoadBalancerARN, Protocol: l.Protocol, SslPolicy: l.SslPolicy,
		DefaultActions: actionsXML(l.DefaultActions)}
	if l.Port != 0 {
		p := l.Port
		x.Port = &p
	}
	if len(l.Certificates) > 0 {
		cs := xmlList[xmlCert]{}
		for _, c := range l.Certificates {
			cs = append(cs, xmlCert{CertificateArn: c})
		}
		x.Certificates = &cs
	}
	if len(l.AlpnPolicy) > 0 {
		ap := xmlList[string](l.AlpnPolicy)
		x.AlpnPolicy = &ap
	}
	if m := l.MutualAuth; m != nil {
		x.MutualAuthentication = &xmlMTLS{Mode: m.Mode, TrustStoreArn: m.TrustStoreArn,
			IgnoreClientCertificateExpiry: m.IgnoreClientCertificateExpiry, AdvertiseTrustStoreCaNames: m.AdvertiseTrustStoreCaNames}
		if m.TrustStoreArn != "" {
			x.MutualAuthentication.TrustStoreAssociationStatus = "active"
		}
	}
	return x
}

type listenersResult struct {
	Listeners  xmlList[xmlListener] `xml:"Listeners"`
	NextMarker string               `xml:"NextMarker,omitempty"`
}

func (s *Service) createListener(ctx context.Context, _ *Request, form url.Values) (any, error) {
	lbARN, err := required(form, "LoadBalancerArn")
	if err != nil {
		return nil, err
	}
	tags, err := parseTags(form)
	if err != nil {
		return nil, err
	}
	var l *listenerDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		lb, err := lbByARN(tx, lbARN)
		if err != nil {
			return err
		}
		l = &listenerDoc{LoadBalancerARN: lb.ARN, Tags: tags}
		if err := listenerSettings(tx, form, l, lb, true); err != nil {
			return err
		}
		if l.DefaultActions, err = parseActions(tx, form, "DefaultActions", lb); err != nil {
			return err
		}
		// CreateListener is idempotent for an identical listener on the port.
		others, err := listDocs[listenerDoc](tx, nsListener, lbChildPrefix(lb.ARN))
		if err != nil {
			return err
		}
		for _, o := range others {
			if strings.Count(o.key(), "/") == 4 && o.Port == l.Port && l.Port != 0 {
				if o.Protocol == l.Protocol && sameActions(o.DefaultActions, l.DefaultActions) {
					*l = o
					return nil
				}
				return protocol.Errorf(http.StatusBadRequest, "DuplicateListener", "A listener already exists on this port for this load balancer '%s'", lb.ARN)
			}
		}
		p, _ := parseARN(lb.ARN)
		l.ARN = arn(s.env, p.Region, "listener/"+p.Resource+"/"+randHex(16))
		l.DefaultRuleID = randHex(16)
		l.Attributes = listenerDefaultAttributes(l.Protocol)
		return tx.Put(nsListener, l.key(), l)
	})
	if err != nil {
		return nil, err
	}
	return listenersResult{Listeners: xmlList[xmlListener]{l.xml()}}, nil
}

func sameActions(a, b []actionDoc) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].TargetGroupARN != b[i].TargetGroupARN {
			return false
		}
	}
	return true
}

func (s *Service) describeListeners(ctx context.Context, _ *Request, form url.Values) (any, error) {
	lbARN := str(form, "LoadBalancerArn")
	arns := list(form, "ListenerArns")
	if lbARN == "" && len(arns) == 0 {
		return nil, errValidation("A load balancer ARN or listener ARNs must be specified")
	}
	if lbARN != "" && len(arns) > 0 {
		return nil, errValidation("A load balancer ARN and listener ARNs cannot be specified at the same time")
	}
	marker, size, err := pageParams(form)
	if err != nil {
		return nil, err
	}
	var ls []listenerDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		if lbARN != "" {
			lb, err := lbByARN(tx, lbARN)
			if err != nil {
				return err
			}
			all, err := listDocs[listenerDoc](tx, nsListener, lbChildPrefix(lb.ARN))
			if err != nil {
				return err
			}
			for _, l := range all {
				if strings.Count(l.key(), "/") == 4 {
					ls = append(ls, l)
				}
			}
			return nil
		}
		for _, a := range arns {
			l, err := listenerByARN(tx, a)
			if err != nil {
				return err
			}
			ls = append(ls, *l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].ARN < ls[j].ARN })
	pg, next, err := page(ls, func(l listenerDoc) string { return l.ARN }, marker, size)
	if err != nil {
		return nil, err
	}
	res := listenersResult{Listeners: xmlList[xmlListener]{}, NextMarker: next}
	for i := range pg {
		res.Listeners = append(res.Listeners, pg[i].xml())
	}
	return res, nil
}

func (s *Service) modifyListener(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "ListenerArn")
	if err != nil {
		return nil, err
	}
	var l *listenerDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		l, err = listenerByARN(tx, a)
		if err != nil {
			return err
		}
		lb, err := lbByARN(tx, l.LoadBalancerARN)
		if err != nil {
			return err
		}
		oldProtocol := l.Protocol
		if err := listenerSettings(tx, form, l, lb, false); err != nil {
			return err
		}
		if err := checkPortFree(tx, lb, l); err != nil {
			return err
		}
		if present(form, "DefaultActions") {
			if l.DefaultActions, err = parseActions(tx, form, "DefaultActions", lb); err != nil {
				return err
			}
		}
		if l.Protocol != oldProtocol {
			l.Attributes = listenerDefaultAttributes(l.Protocol)
		}
		return tx.Put(nsListener, l.key(), l)
	})
	if err != nil {
		return nil, err
	}
	return listenersResult{Listeners: xmlList[xmlListener]{l.xml()}}, nil
}

func (s *Service) deleteListener(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "ListenerArn")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		l, err := listenerByARN(tx, a)
		if err != nil {
			return err
		}
		if err := tx.DeletePrefix(nsRule, l.key()+"/"); err != nil {
			return err
		}
		return tx.Delete(nsListener, l.key())
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) describeListenerAttributes(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "ListenerArn")
	if err != nil {
		return nil, err
	}
	var l *listenerDoc
	if err := s.view(ctx, func(tx *state.Tx) error {
		l, err = listenerByARN(tx, a)
		return err
	}); err != nil {
		return nil, err
	}
	if l.Protocol == "TLS" || l.Protocol == "UDP" || l.Protocol == "TCP_UDP" {
		return nil, errInvalidConfig("Listener attributes are not supported for %s listeners", l.Protocol)
	}
	return attributesResult{Attributes: attrList(l.Attributes)}, nil
}

func (s *Service) modifyListenerAttributes(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "ListenerArn")
	if err != nil {
		return nil, err
	}
	var attrs map[string]string
	err = s.update(ctx, func(tx *state.Tx) error {
		l, err := listenerByARN(tx, a)
		if err != nil {
			return err
		}
		if l.Protocol == "TLS" || l.Protocol == "UDP" || l.Protocol == "TCP_UDP" {
			return errInvalidConfig("Listener attributes are not supported for %s listeners", l.Protocol)
		}
		attrs, err = applyAttributes(form, l.Attributes, "Listener")
		if err != nil {
			return err
		}
		if v := attrs["routing.http.response.access_control_max_age.header_value"]; v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return errValidation("Listener attribute 'routing.http.response.access_control_max_age.header_value' must be a number of seconds")
			}
		}
		l.Attributes = attrs
		return tx.Put(nsListener, l.key(), l)
	})
	if err != nil {
		return nil, err
	}
	return attributesResult{Attributes: attrList(attrs)}, nil
}
