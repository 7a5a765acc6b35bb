package elbv2

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Listener and rule actions, as stored and as answered. AWS fills what the
// caller left out: an action's Order, a forward action's ForwardConfig (one
// group, weight 1, stickiness off) or TargetGroupArn (when the config names
// exactly one group), a redirect's #{…} placeholders.

type tgWeight struct {
	ARN    string `json:"arn"`
	Weight int    `json:"weight"`
}

type forwardDoc struct {
	TargetGroups       []tgWeight `json:"target_groups"`
	StickinessEnabled  bool       `json:"stickiness_enabled"`
	StickinessDuration int        `json:"stickiness_duration,omitempty"`
}

type redirectDoc struct {
	Protocol   string `json:"protocol"`
	Port       string `json:"port"`
	Host       string `json:"host"`
	Path       string `json:"path"`
	Query      string `json:"query"`
	StatusCode string `json:"status_code"`
}

type fixedDoc struct {
	MessageBody string `json:"message_body,omitempty"`
	StatusCode  string `json:"status_code"`
	ContentType string `json:"content_type,omitempty"`
}

type authDoc struct {
	// OIDC
	Issuer                string `json:"issuer,omitempty"`
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string `json:"token_endpoint,omitempty"`
	UserInfoEndpoint      string `json:"user_info_endpoint,omitempty"`
	ClientID              string `json:"client_id,omitempty"`
	// Cognito
	UserPoolArn      string `json:"user_pool_arn,omitempty"`
	UserPoolClientID string `json:"user_pool_client_id,omitempty"`
	UserPoolDomain   string `json:"user_pool_domain,omitempty"`
	// Both
	SessionCookieName        string            `json:"session_cookie_name"`
	Scope                    string            `json:"scope"`
	SessionTimeout           int               `json:"session_timeout"`
	OnUnauthenticatedRequest string            `json:"on_unauthenticated_request"`
	ExtraParams              map[string]string `json:"extra_params,omitempty"`
}

type actionDoc struct {
	Type           string       `json:"type"`
	Order          int          `json:"order"`
	TargetGroupARN string       `json:"target_group_arn,omitempty"`
	Forward        *forwardDoc  `json:"forward,omitempty"`
	Redirect       *redirectDoc `json:"redirect,omitempty"`
	Fixed          *fixedDoc    `json:"fixed,omitempty"`
	OIDC           *authDoc     `json:"oidc,omitempty"`
	Cognito        *authDoc     `json:"cognito,omitempty"`
}

// actionTargetGroups lists the target groups a set of actions forwards to.
func actionTargetGroups(actions []actionDoc) []string {
	var out []string
	for _, a := range actions {
		if a.Type != "forward" {
			continue
		}
		if a.Forward != nil {
			for _, tg := range a.Forward.TargetGroups {
				out = append(out, tg.ARN)
			}
		} else if a.TargetGroupARN != "" {
			out = append(out, a.TargetGroupARN)
		}
	}
	return out
}

var statusCodeRE = regexp.MustCompile(`^[245]\d\d$`)

// parseActions reads Prefix.member.N actions and checks them against the
// load balancer they belong to.
func parseActions(tx *state.Tx, form url.Values, prefix string, lb *lbDoc) ([]actionDoc, error) {
	ms := members(form, prefix)
	if len(ms) == 0 {
		return nil, errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(prefix))
	}
	var out []actionDoc
	for i, m := range ms {
		a := actionDoc{Type: strings.ToLower(m.Get("Type"))}
		if o := m.Get("Order"); o != "" {
			n, err := strconv.Atoi(o)
			if err != nil || n < 1 || n > 50000 {
				return nil, errValidation("Action order '%s' must be between 1 and 50000", o)
			}
			a.Order = n
		} else {
			a.Order = i + 1
		}
		switch a.Type {
		case "forward":
			a.TargetGroupARN = m.Get("TargetGroupArn")
			fc := protocol.QueryList(m, "ForwardConfig.TargetGroups.member")
			if len(fc) > 0 {
				f := &forwardDoc{}
				for _, t := range fc {
					w := 1
					if v := t.Get("Weight"); v != "" {
						n, err := strconv.Atoi(v)
						if err != nil || n < 0 || n > 999 {
							return nil, errValidation("Target group weight '%s' must be between 0 and 999", v)
						}
						w = n
					}
					f.TargetGroups = append(f.TargetGroups, tgWeight{ARN: t.Get("TargetGroupArn"), Weight: w})
				}
				if v := m.Get("ForwardConfig.TargetGroupStickinessConfig.Enabled"); v != "" {
					f.StickinessEnabled = v == "true"
				}
				if v := m.Get("ForwardConfig.TargetGroupStickinessConfig.DurationSeconds"); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil || n < 1 || n > 604800 {
						return nil, errValidation("Stickiness duration '%s' must be between 1 and 604800 seconds", v)
					}
					f.StickinessDuration = n
				}
				if f.StickinessEnabled && f.StickinessDuration == 0 {
					return nil, errValidation("A stickiness duration must be specified when target group stickiness is enabled")
				}
				if a.TargetGroupARN != "" && (len(f.TargetGroups) != 1 || f.TargetGroups[0].ARN != a.TargetGroupARN) {
					return nil, errValidation("You cannot specify both a target group ARN and a forward config naming other target groups")
				}
				if len(f.TargetGroups) > 5 {
					return nil, errValidation("A forward action can name at most 5 target groups")
				}
				if len(f.TargetGroups) == 1 {
					a.TargetGroupARN = f.TargetGroups[0].ARN
				}
				a.Forward = f
			} else if a.TargetGroupARN != "" {
				a.Forward = &forwardDoc{TargetGroups: []tgWeight{{ARN: a.TargetGroupARN, Weight: 1}}}
			} else {
				return nil, errValidation("A target group ARN or forward config must be specified for forward actions")
			}
			for _, tg := range a.Forward.TargetGroups {
				if err := checkForwardTarget(tx, tg.ARN, lb); err != nil {
					return nil, err
				}
			}
		case "redirect":
			if lb.Type != "application" {
				return nil, errValidation("Redirect actions are supported only by Application Load Balancers")
			}
			rd := &redirectDoc{Protocol: "#{protocol}", Port: "#{port}", Host: "#{host}", Path: "/#{path}", Query: "#{query}"}
			for k, dst := range map[string]*string{"Protocol": &rd.Protocol, "Port": &rd.Port, "Host": &rd.Host, "Path": &rd.Path} {
				if v := m.Get("RedirectConfig." + k); v != "" {
					*dst = v
				}
			}
			if v, ok := m["RedirectConfig.Query"]; ok {
				rd.Query = v[0]
			}
			rd.StatusCode = m.Get("RedirectConfig.StatusCode")
			if rd.StatusCode != "HTTP_301" && rd.StatusCode != "HTTP_302" {
				return nil, errValidation("Redirect status code must be HTTP_301 or HTTP_302")
			}
			if rd.Protocol != "#{protocol}" && rd.Protocol != "HTTP" && rd.Protocol != "HTTPS" {
				return nil, errValidation("Redirect protocol '%s' is not valid", rd.Protocol)
			}
			if rd.Protocol == "#{protocol}" && rd.Port == "#{port}" && rd.Host == "#{host}" && rd.Path == "/#{path}" && rd.Query == "#{query}" {
				return nil, errInvalidConfig("The redirect must change at least one of protocol, port, host, path or query, to avoid a loop")
			}
			a.Redirect = rd
		case "fixed-response":
			if lb.Type != "application" {
				return nil, errValidation("Fixed-response actions are supported only by Application Load Balancers")
			}
			fr := &fixedDoc{StatusCode: m.Get("FixedResponseConfig.StatusCode"), ContentType: m.Get("FixedResponseConfig.ContentType"),
				MessageBody: m.Get("FixedResponseConfig.MessageBody")}
			if !statusCodeRE.MatchString(fr.StatusCode) {
				return nil, errValidation("Fixed response status code '%s' must be a 2XX, 4XX or 5XX code", fr.StatusCode)
			}
			switch fr.ContentType {
			case "", "text/plain", "text/css", "text/html", "application/javascript", "application/json":
			default:
				return nil, errValidation("Fixed response content type '%s' is not valid", fr.ContentType)
			}
			if len(fr.MessageBody) > 1024 {
				return nil, errValidation("Fixed response message body must be at most 1024 characters")
			}
			a.Fixed = fr
		case "authenticate-oidc", "authenticate-cognito":
			if lb.Type != "application" {
				return nil, errValidation("Authentication actions are supported only by Application Load Balancers")
			}
			cfg := "AuthenticateOidcConfig."
			if a.Type == "authenticate-cognito" {
				cfg = "AuthenticateCognitoConfig."
			}
			ad := &authDoc{SessionCookieName: "AWSELBAuthSessionCookie", Scope: "openid", SessionTimeout: 604800, OnUnauthenticatedRequest: "authenticate"}
			get := func(k string) string { return m.Get(cfg + k) }
			if v := get("SessionCookieName"); v != "" {
				ad.SessionCookieName = v
			}
			if v := get("Scope"); v != "" {
				ad.Scope = v
			}
			if v := get("SessionTimeout"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 604800 {
					return nil, errValidation("Session timeout '%s' must be between 1 and 604800 seconds", v)
				}
				ad.SessionTimeout = n
			}
			if v := get("OnUnauthenticatedRequest"); v != "" {
				switch v {
				case "deny", "allow", "authenticate":
				default:
					return nil, errValidation("OnUnauthenticatedRequest '%s' is not valid", v)
				}
				ad.OnUnauthenticatedRequest = v
			}
			for _, e := range protocol.QueryList(m, cfg+"AuthenticationRequestExtraParams.entry") {
				if ad.ExtraParams == nil {
					ad.ExtraParams = map[string]string{}
				}
				ad.ExtraParams[e.Get("key")] = e.Get("value")
			}
			if a.Type == "authenticate-oidc" {
				ad.Issuer, ad.AuthorizationEndpoint, ad.TokenEndpoint = get("Issuer"), get("AuthorizationEndpoint"), get("TokenEndpoint")
				ad.UserInfoEndpoint, ad.ClientID = get("UserInfoEndpoint"), get("ClientId")
				if ad.Issuer == "" || ad.AuthorizationEndpoint == "" || ad.TokenEndpoint == "" || ad.UserInfoEndpoint == "" || ad.ClientID == "" {
					return nil, errValidation("Issuer, authorization, token and user info endpoints and client ID are required for authenticate-oidc actions")
				}
				if get("ClientSecret") == "" && get("UseExistingClientSecret") != "true" {
					return nil, errValidation("A client secret is required for authenticate-oidc actions")
				}
				a.OIDC = ad
			} else {
				ad.UserPoolArn, ad.UserPoolClientID, ad.UserPoolDomain = get("UserPoolArn"), get("UserPoolClientId"), get("UserPoolDomain")
				if ad.UserPoolArn == "" || ad.UserPoolClientID == "" || ad.UserPoolDomain == "" {
					return nil, errValidation("User pool ARN, client ID and domain are required for authenticate-cognito actions")
				}
				a.Cognito = ad
			}
		default:
			return nil, errValidation("Action type '%s' is not valid", m.Get("Type"))
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	terminal := 0
	for i, a := range out {
		if i > 0 && a.Order == out[i-1].Order {
			return nil, errValidation("Action order '%d' is used more than once", a.Order)
		}
		switch a.Type {
		case "forward", "redirect", "fixed-response":
			terminal++
			if i != len(out)-1 {
				return nil, errValidation("A %s action must be the last action", a.Type)
			}
		}
	}
	if terminal != 1 {
		return nil, errValidation("Exactly one forward, redirect or fixed-response action must be specified")
	}
	return out, nil
}

// checkForwardTarget checks a target group can receive traffic from lb.
func checkForwardTarget(tx *state.Tx, tgARN string, lb *lbDoc) error {
	tg, err := tgByARN(tx, tgARN)
	if err != nil {
		return err
	}
	if tg.VpcID != "" && tg.VpcID != lb.VpcID {
		return errInvalidConfig("Target group '%s' is in VPC '%s', not in the load balancer's VPC '%s'", tgARN, tg.VpcID, lb.VpcID)
	}
	switch lb.Type {
	case "application":
		if tg.TargetType != "lambda" && !albProtocols[tg.Protocol] {
			return errInvalidConfig("Target group '%s' uses protocol %s, which Application Load Balancers do not support", tgARN, tg.Protocol)
		}
	case "network":
		if tg.TargetType == "lambda" || albProtocols[tg.Protocol] {
			return errInvalidConfig("Target group '%s' cannot be used by a Network Load Balancer", tgARN)
		}
	case "gateway":
		if tg.Protocol != "GENEVE" {
			return errInvalidConfig("Target group '%s' cannot be used by a Gateway Load Balancer", tgARN)
		}
	}
	p, _ := parseARN(lb.ARN)
	lbs, err := tgLoadBalancers(tx, p.Region)
	if err != nil {
		return err
	}
	for _, other := range lbs[tgARN] {
		if other != lb.ARN && other != "" {
			return protocol.Errorf(http.StatusBadRequest, "TargetGroupAssociationLimit",
				"The following target groups cannot be associated with more than one load balancer: %s", tgARN)
		}
	}
	return nil
}

// ---- XML ----

type xmlTGTuple struct {
	TargetGroupArn string `xml:"TargetGroupArn"`
	Weight         int    `xml:"Weight"`
}

type xmlStickiness struct {
	Enabled         bool `xml:"Enabled"`
	DurationSeconds *int `xml:"DurationSeconds,omitempty"`
}

type xmlForward struct {
	TargetGroups                xmlList[xmlTGTuple] `xml:"TargetGroups"`
	TargetGroupStickinessConfig xmlStickiness       `xml:"TargetGroupStickinessConfig"`
}

type xmlRedirect struct {
	Protocol   string `xml:"Protocol"`
	Port       string `xml:"Port"`
	Host       string `xml:"Host"`
	Path       string `xml:"Path"`
	Query      string `xml:"Query"`
	StatusCode string `xml:"StatusCode"`
}

type xmlFixed struct {
	MessageBody string `xml:"MessageBody,omitempty"`
	StatusCode  string `xml:"StatusCode"`
	ContentType string `xml:"ContentType,omitempty"`
}

type xmlEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlExtraParams struct {
	Entries []xmlEntry `xml:"entry"`
}

type xmlAuth struct {
	Issuer                           string          `xml:"Issuer,omitempty"`
	AuthorizationEndpoint            string          `xml:"AuthorizationEndpoint,omitempty"`
	TokenEndpoint                    string          `xml:"TokenEndpoint,omitempty"`
	UserInfoEndpoint                 string          `xml:"UserInfoEndpoint,omitempty"`
	ClientID                         string          `xml:"ClientId,omitempty"`
	UserPoolArn                      string          `xml:"UserPoolArn,omitempty"`
	UserPoolClientID                 string          `xml:"UserPoolClientId,omitempty"`
	UserPoolDomain                   string          `xml:"UserPoolDomain,omitempty"`
	SessionCookieName                string          `xml:"SessionCookieName"`
	Scope                            string          `xml:"Scope"`
	SessionTimeout                   int             `xml:"SessionTimeout"`
	AuthenticationRequestExtraParams *xmlExtraParams `xml:"AuthenticationRequestExtraParams,omitempty"`
	OnUnauthenticatedRequest         string          `xml:"OnUnauthenticatedRequest"`
}

type xmlAction struct {
	Type                      string       `xml:"Type"`
	TargetGroupArn            string       `xml:"TargetGroupArn,omitempty"`
	Order                     int          `xml:"Order"`
	ForwardConfig             *xmlForward  `xml:"ForwardConfig,omitempty"`
	RedirectConfig            *xmlRedirect `xml:"RedirectConfig,omitempty"`
	FixedResponseConfig       *xmlFixed    `xml:"FixedResponseConfig,omitempty"`
	AuthenticateOidcConfig    *xmlAuth     `xml:"AuthenticateOidcConfig,omitempty"`
	AuthenticateCognitoConfig *xmlAuth     `xml:"AuthenticateCognitoConfig,omitempty"`
}

func authXML(a *authDoc) *xmlAuth {
	if a == nil {
		return nil
	}
	x := &xmlAuth{Issuer: a.Issuer, AuthorizationEndpoint: a.AuthorizationEndpoint, TokenEndpoint: a.TokenEndpoint,
		UserInfoEndpoint: a.UserInfoEndpoint, ClientID: a.ClientID, UserPoolArn: a.UserPoolArn,
		UserPoolClientID: a.UserPoolClientID, UserPoolDomain: a.UserPoolDomain, SessionCookieName: a.SessionCookieName,
		Scope: a.Scope, SessionTimeout: a.SessionTimeout, OnUnauthenticatedRequest: a.OnUnauthenticatedRequest}
	if len(a.ExtraParams) > 0 {
		ep := xmlExtraParams{}
		for _, k := range sortedKeys(a.ExtraParams) {
			ep.Entries = append(ep.Entries, xmlEntry{Key: k, Value: a.ExtraParams[k]})
		}
		x.AuthenticationRequestExtraParams = &ep
	}
	return x
}

func actionsXML(actions []actionDoc) xmlList[xmlAction] {
	out := xmlList[xmlAction]{}
	for _, a := range actions {
		x := xmlAction{Type: a.Type, TargetGroupArn: a.TargetGroupARN, Order: a.Order,
			AuthenticateOidcConfig: authXML(a.OIDC), AuthenticateCognitoConfig: authXML(a.Cognito)}
		if f := a.Forward; f != nil {
			fx := &xmlForward{TargetGroups: xmlList[xmlTGTuple]{}, TargetGroupStickinessConfig: xmlStickiness{Enabled: f.StickinessEnabled}}
			for _, tg := range f.TargetGroups {
				fx.TargetGroups = append(fx.TargetGroups, xmlTGTuple{TargetGroupArn: tg.ARN, Weight: tg.Weight})
			}
			if f.StickinessDuration > 0 {
				d := f.StickinessDuration
				fx.TargetGroupStickinessConfig.DurationSeconds = &d
			}
			x.ForwardConfig = fx
		}
		if r := a.Redirect; r != nil {
			x.RedirectConfig = &xmlRedirect{Protocol: r.Protocol, Port: r.Port, Host: r.Host, Path: r.Path, Query: r.Query, StatusCode: r.StatusCode}
		}
		if f := a.Fixed; f != nil {
			x.FixedResponseConfig = &xmlFixed{MessageBody: f.MessageBody, StatusCode: f.StatusCode, ContentType: f.ContentType}
		}
		out = append(out, x)
	}
	return out
}
