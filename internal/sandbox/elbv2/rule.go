package elbv2

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type kv struct {
	Key   string `json:"k,omitempty"`
	Value string `json:"v"`
}

type conditionDoc struct {
	Field      string   `json:"field"`
	Values     []string `json:"values,omitempty"`      // host-header, path-pattern, http-request-method, source-ip
	HeaderName string   `json:"header_name,omitempty"` // http-header
	Query      []kv     `json:"query,omitempty"`       // query-string
}

type ruleDoc struct {
	ARN         string         `json:"arn"`
	ListenerARN string         `json:"listener_arn"`
	Priority    int            `json:"priority"`
	Conditions  []conditionDoc `json:"conditions"`
	Actions     []actionDoc    `json:"actions"`
	Tags        []tag          `json:"tags,omitempty"`
}

func ruleKeyOf(a string) (string, bool) {
	p, ok := parseARN(a)
	if !ok || p.Kind != "listener-rule" || strings.Count(p.Resource, "/") != 4 {
		return "", false
	}
	return p.Region + "/" + p.Resource, true
}

func (r *ruleDoc) key() string {
	k, _ := ruleKeyOf(r.ARN)
	return k
}

// ruleByARN loads a rule. The default rule of a listener is not stored: it
// is made from the listener (isDefault true).
func ruleByARN(tx *state.Tx, a string) (*ruleDoc, *listenerDoc, error) {
	k, ok := ruleKeyOf(a)
	if !ok {
		return nil, nil, errValidation("'%s' is not a valid rule ARN", a)
	}
	r, err := getDoc[ruleDoc](tx, nsRule, k)
	if err == nil {
		return r, nil, nil
	}
	if !isNotFound(err) {
		return nil, nil, err
	}
	listenerARN := strings.Replace(a[:strings.LastIndexByte(a, '/')], ":listener-rule/", ":listener/", 1)
	l, err := listenerByARN(tx, listenerARN)
	if err == nil && l.defaultRuleARN() == a {
		return nil, l, nil
	}
	return nil, nil, errRuleNotFound("One or more rules not found")
}

func parseConditions(form url.Values, lb *lbDoc) ([]conditionDoc, error) {
	ms := members(form, "Conditions")
	var out []conditionDoc
	for _, m := range ms {
		c := conditionDoc{Field: m.Get("Field")}
		legacy := protocol.QueryStrings(m, "Values.member")
		cfgValues := func(cfg string) []string { return protocol.QueryStrings(m, cfg+".Values.member") }
		switch c.Field {
		case "host-header":
			c.Values = cfgValues("HostHeaderConfig")
		case "path-pattern":
			c.Values = cfgValues("PathPatternConfig")
		case "http-request-method":
			c.Values = cfgValues("HttpRequestMethodConfig")
		case "source-ip":
			c.Values = cfgValues("SourceIpConfig")
			for _, v := range append(append([]string(nil), c.Values...), legacy...) {
				if _, _, err := net.ParseCIDR(v); err != nil {
					return nil, errValidation("Source IP '%s' must be a CIDR block", v)
				}
			}
		case "http-header":
			c.HeaderName = m.Get("HttpHeaderConfig.HttpHeaderName")
			c.Values = cfgValues("HttpHeaderConfig")
			if c.HeaderName == "" {
				return nil, errValidation("An HTTP header name must be specified for http-header conditions")
			}
		case "query-string":
			for _, q := range protocol.QueryList(m, "QueryStringConfig.Values.member") {
				c.Query = append(c.Query, kv{Key: q.Get("Key"), Value: q.Get("Value")})
			}
			if len(c.Query) == 0 {
				return nil, errValidation("At least one key/value pair must be specified for query-string conditions")
			}
		default:
			return nil, errValidation("Condition field '%s' must be one of [http-header, http-request-method, host-header, path-pattern, query-string, source-ip]", c.Field)
		}
		if len(legacy) > 0 {
			if c.Field != "host-header" && c.Field != "path-pattern" {
				return nil, errValidation("Values can be specified directly only for host-header and path-pattern conditions")
			}
			if len(c.Values) > 0 {
				return nil, errValidation("You cannot specify both Values and %s config for a condition", c.Field)
			}
			c.Values = legacy
		}
		if c.Field != "query-string" && len(c.Values) == 0 {
			return nil, errValidation("At least one value must be specified for %s conditions", c.Field)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errValidation("At least one condition must be specified")
	}
	if lb.Type != "application" {
		return nil, errValidation("Rules are supported only by Application Load Balancers")
	}
	return out, nil
}

type xmlValues struct {
	Values xmlList[string] `xml:"Values"`
}

type xmlHeader struct {
	HTTPHeaderName string          `xml:"HttpHeaderName"`
	Values         xmlList[string] `xml:"Values"`
}

type xmlQS struct {
	Values xmlList[xmlKV] `xml:"Values"`
}

type xmlKV struct {
	Key   string `xml:"Key,omitempty"`
	Value string `xml:"Value"`
}

type xmlCondition struct {
	Field                   string           `xml:"Field"`
	Values                  *xmlList[string] `xml:"Values,omitempty"`
	HostHeaderConfig        *xmlValues       `xml:"HostHeaderConfig,omitempty"`
	PathPatternConfig       *xmlValues       `xml:"PathPatternConfig,omitempty"`
	HTTPRequestMethodConfig *xmlValues       `xml:"HttpRequestMethodConfig,omitempty"`
	SourceIPConfig          *xmlValues       `xml:"SourceIpConfig,omitempty"`
	HTTPHeaderConfig        *xmlHeader       `xml:"HttpHeaderConfig,omitempty"`
	QueryStringConfig       *xmlQS           `xml:"QueryStringConfig,omitempty"`
}

type xmlRule struct {
	RuleArn    string                `xml:"RuleArn"`
	Priority   string                `xml:"Priority"`
	Conditions xmlList[xmlCondition] `xml:"Conditions"`
	Actions    xmlList[xmlAction]    `xml:"Actions"`
	IsDefault  bool                  `xml:"IsDefault"`
}

func conditionsXML(cs []conditionDoc) xmlList[xmlCondition] {
	out := xmlList[xmlCondition]{}
	for _, c := range cs {
		x := xmlCondition{Field: c.Field}
		vals := &xmlValues{Values: xmlList[string](c.Values)}
		switch c.Field {
		case "host-header":
			v := xmlList[string](c.Values)
			x.Values, x.HostHeaderConfig = &v, vals
		case "path-pattern":
			v := xmlList[string](c.Values)
			x.Values, x.PathPatternConfig = &v, vals
		case "http-request-method":
			x.HTTPRequestMethodConfig = vals
		case "source-ip":
			x.SourceIPConfig = vals
		case "http-header":
			x.HTTPHeaderConfig = &xmlHeader{HTTPHeaderName: c.HeaderName, Values: xmlList[string](c.Values)}
		case "query-string":
			q := &xmlQS{Values: xmlList[xmlKV]{}}
			for _, p := range c.Query {
				q.Values = append(q.Values, xmlKV{Key: p.Key, Value: p.Value})
			}
			x.QueryStringConfig = q
		}
		out = append(out, x)
	}
	return out
}

func (r *ruleDoc) xml() xmlRule {
	return xmlRule{RuleArn: r.ARN, Priority: strconv.Itoa(r.Priority), Conditions: conditionsXML(r.Conditions), Actions: actionsXML(r.Actions)}
}

func defaultRuleXML(l *listenerDoc) xmlRule {
	return xmlRule{RuleArn: l.defaultRuleARN(), Priority: "default", Conditions: xmlList[xmlCondition]{},
		Actions: actionsXML(l.DefaultActions), IsDefault: true}
}

type rulesResult struct {
	Rules      xmlList[xmlRule] `xml:"Rules"`
	NextMarker string           `xml:"NextMarker,omitempty"`
}

func parsePriority(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 50000 {
		return 0, errValidation("Value '%s' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000", v)
	}
	return n, nil
}

func checkPriorityFree(tx *state.Tx, l *listenerDoc, prio int, self string) error {
	rules, err := listDocs[ruleDoc](tx, nsRule, l.key()+"/")
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Priority == prio && r.ARN != self {
			return protocol.Errorf(http.StatusBadRequest, "PriorityInUse", "Priority '%d' is currently in use", prio)
		}
	}
	return nil
}

func (s *Service) createRule(ctx context.Context, _ *Request, form url.Values) (any, error) {
	la, err := required(form, "ListenerArn")
	if err != nil {
		return nil, err
	}
	pv, err := required(form, "Priority")
	if err != nil {
		return nil, err
	}
	prio, err := parsePriority(pv)
	if err != nil {
		return nil, err
	}
	tags, err := parseTags(form)
	if err != nil {
		return nil, err
	}
	var r *ruleDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		l, err := listenerByARN(tx, la)
		if err != nil {
			return err
		}
		lb, err := lbByARN(tx, l.LoadBalancerARN)
		if err != nil {
			return err
		}
		conds, err := parseConditions(form, lb)
		if err != nil {
			return err
		}
		actions, err := parseActions(tx, form, "Actions", lb)
		if err != nil {
			return err
		}
		if err := checkPriorityFree(tx, l, prio, ""); err != nil {
			return err
		}
		r = &ruleDoc{ARN: strings.Replace(l.ARN, ":listener/", ":listener-rule/", 1) + "/" + randHex(16),
			ListenerARN: l.ARN, Priority: prio, Conditions: conds, Actions: actions, Tags: tags}
		return tx.Put(nsRule, r.key(), r)
	})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: xmlList[xmlRule]{r.xml()}}, nil
}

func (s *Service) describeRules(ctx context.Context, _ *Request, form url.Values) (any, error) {
	la := str(form, "ListenerArn")
	arns := list(form, "RuleArns")
	if (la == "") == (len(arns) == 0) {
		return nil, errValidation("Exactly one of listener ARN and rule ARNs must be specified")
	}
	marker, size, err := pageParams(form)
	if err != nil {
		return nil, err
	}
	type item struct {
		sortKey string
		x       xmlRule
	}
	var items []item
	err = s.view(ctx, func(tx *state.Tx) error {
		if la != "" {
			l, err := listenerByARN(tx, la)
			if err != nil {
				return err
			}
			rules, err := listDocs[ruleDoc](tx, nsRule, l.key()+"/")
			if err != nil {
				return err
			}
			for i := range rules {
				items = append(items, item{sortKey: key10(rules[i].Priority), x: rules[i].xml()})
			}
			items = append(items, item{sortKey: "default", x: defaultRuleXML(l)})
			return nil
		}
		for _, a := range arns {
			r, l, err := ruleByARN(tx, a)
			if err != nil {
				return err
			}
			if r != nil {
				items = append(items, item{sortKey: key10(r.Priority), x: r.xml()})
			} else {
				items = append(items, item{sortKey: "default", x: defaultRuleXML(l)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].sortKey < items[j].sortKey })
	pg, next, err := page(items, func(it item) string { return it.sortKey + it.x.RuleArn }, marker, size)
	if err != nil {
		return nil, err
	}
	res := rulesResult{Rules: xmlList[xmlRule]{}, NextMarker: next}
	for _, it := range pg {
		res.Rules = append(res.Rules, it.x)
	}
	return res, nil
}

// key10 makes priorities sort numerically as strings, before "default".
func key10(n int) string { return strconv.Itoa(1000000 + n) }

func (s *Service) modifyRule(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "RuleArn")
	if err != nil {
		return nil, err
	}
	var out xmlRule
	err = s.update(ctx, func(tx *state.Tx) error {
		r, l, err := ruleByARN(tx, a)
		if err != nil {
			return err
		}
		lbARN := ""
		if r != nil {
			pl, err := listenerByARN(tx, r.ListenerARN)
			if err != nil {
				return err
			}
			lbARN = pl.LoadBalancerARN
		} else {
			lbARN = l.LoadBalancerARN
		}
		lb, err := lbByARN(tx, lbARN)
		if err != nil {
			return err
		}
		if r == nil { // default rule: only its actions can change
			if present(form, "Conditions") {
				return errOperationNotPermitted("The conditions of a default rule cannot be modified")
			}
			if present(form, "Actions") {
				if l.DefaultActions, err = parseActions(tx, form, "Actions", lb); err != nil {
					return err
				}
				if err := tx.Put(nsListener, l.key(), l); err != nil {
					return err
				}
			}
			out = defaultRuleXML(l)
			return nil
		}
		if present(form, "Conditions") {
			if r.Conditions, err = parseConditions(form, lb); err != nil {
				return err
			}
		}
		if present(form, "Actions") {
			if r.Actions, err = parseActions(tx, form, "Actions", lb); err != nil {
				return err
			}
		}
		out = r.xml()
		return tx.Put(nsRule, r.key(), r)
	})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: xmlList[xmlRule]{out}}, nil
}

func (s *Service) deleteRule(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "RuleArn")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		r, _, err := ruleByARN(tx, a)
		if err != nil {
			return err
		}
		if r == nil {
			return errOperationNotPermitted("Default rule '%s' cannot be deleted", a)
		}
		return tx.Delete(nsRule, r.key())
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) setRulePriorities(ctx context.Context, _ *Request, form url.Values) (any, error) {
	ms := members(form, "RulePriorities")
	if len(ms) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'rulePriorities' failed to satisfy constraint: Member must not be null")
	}
	out := xmlList[xmlRule]{}
	err := s.update(ctx, func(tx *state.Tx) error {
		var rules []*ruleDoc
		seen := map[string]bool{}
		for _, m := range ms {
			r, _, err := ruleByARN(tx, m.Get("RuleArn"))
			if err != nil {
				return err
			}
			if r == nil {
				return errOperationNotPermitted("The priority of a default rule cannot be changed")
			}
			prio, err := parsePriority(m.Get("Priority"))
			if err != nil {
				return err
			}
			k := r.ListenerARN + "|" + strconv.Itoa(prio)
			if seen[k] {
				return protocol.Errorf(http.StatusBadRequest, "PriorityInUse", "Priority '%d' is used more than once", prio)
			}
			seen[k] = true
			r.Priority = prio
			rules = append(rules, r)
		}
		changed := map[string]bool{}
		for _, r := range rules {
			changed[r.ARN] = true
		}
		for _, r := range rules {
			l, err := listenerByARN(tx, r.ListenerARN)
			if err != nil {
				return err
			}
			others, err := listDocs[ruleDoc](tx, nsRule, l.key()+"/")
			if err != nil {
				return err
			}
			for _, o := range others {
				if !changed[o.ARN] && o.Priority == r.Priority {
					return protocol.Errorf(http.StatusBadRequest, "PriorityInUse", "Priority '%d' is currently in use", r.Priority)
				}
			}
		}
		for _, r := range rules {
			if err := tx.Put(nsRule, r.key(), r); err != nil {
				return err
			}
			out = append(out, r.xml())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: out}, nil
}
