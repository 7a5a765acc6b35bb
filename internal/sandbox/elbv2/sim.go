package elbv2

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// What the workload simulation (internal/sandbox/workload) reads and
// writes: load balancers with their listeners and rules (to serve HTTP on
// loopback), target groups with their health check settings and targets,
// and health check results.

// ARNSuffix is the part of a load balancer or target group ARN CloudWatch
// uses as the LoadBalancer or TargetGroup dimension: "app/name/id",
// "targetgroup/name/id".
func ARNSuffix(a string) string {
	p, ok := parseARN(a)
	if !ok {
		return ""
	}
	if p.Kind == "targetgroup" {
		return "targetgroup/" + p.Resource
	}
	return p.Resource
}

// HealthCheck is a target group's health check configuration.
type HealthCheck struct {
	Enabled            bool
	Protocol, Path     string
	Port               string // "traffic-port" or a port number
	Interval, Timeout  time.Duration
	Healthy, Unhealthy int
	// Matcher is the HTTP codes that count as success ("200", "200-399",
	// "200,202").
	Matcher string
}

// Matches reports whether an HTTP status passes the health check matcher.
func (h HealthCheck) Matches(status int) bool {
	m := h.Matcher
	if m == "" {
		m = "200"
	}
	for _, part := range strings.Split(m, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if status >= a && status <= b {
			return true
		}
	}
	return false
}

// TargetInfo is a registered target and its health.
type TargetInfo struct {
	ID   string
	Port int
	AZ   string
	// State is what DescribeTargetHealth answers: initial, healthy,
	// unhealthy, draining, unused or unavailable.
	State      string
	Registered time.Time
	LastCheck  time.Time // zero before the first health check
}

// TargetGroupSim is a target group with its health check and targets.
type TargetGroupSim struct {
	ARN, Name, Protocol, TargetType string
	Port                            int
	HealthCheck                     HealthCheck
	LoadBalancerARNs                []string
	Targets                         []TargetInfo
}

// TargetGroups lists every target group with its targets (drained ones
// are left out).
func TargetGroups(tx *state.Tx, now time.Time) ([]TargetGroupSim, error) {
	tgs, err := listDocs[tgDoc](tx, nsTG, "")
	if err != nil {
		return nil, err
	}
	lbsByRegion := map[string]map[string][]string{}
	var out []TargetGroupSim
	for i := range tgs {
		tg := &tgs[i]
		p, _ := parseARN(tg.ARN)
		lbs, ok := lbsByRegion[p.Region]
		if !ok {
			if lbs, err = tgLoadBalancers(tx, p.Region); err != nil {
				return nil, err
			}
			lbsByRegion[p.Region] = lbs
		}
		hc := tg.HealthCheck
		s := TargetGroupSim{ARN: tg.ARN, Name: tg.Name, Protocol: tg.Protocol, TargetType: tg.TargetType, Port: tg.Port,
			LoadBalancerARNs: lbs[tg.ARN],
			HealthCheck: HealthCheck{Enabled: hc.Enabled, Protocol: hc.Protocol, Path: hc.Path, Port: hc.Port,
				Interval: time.Duration(hc.Interval) * time.Second, Timeout: time.Duration(hc.Timeout) * time.Second,
				Healthy: hc.Healthy, Unhealthy: hc.Unhealthy, Matcher: hc.HTTPCode}}
		targets, err := listDocs[targetDoc](tx, nsTarget, p.Region+"/"+tg.Name+"/")
		if err != nil {
			return nil, err
		}
		for j := range targets {
			t := &targets[j]
			h, ok := health(tg, t, len(s.LoadBalancerARNs) > 0, now)
			if !ok {
				continue
			}
			ti := TargetInfo{ID: t.ID, Port: t.Port, AZ: t.AZ, State: h.State, Registered: t.Registered}
			if t.LastCheck != nil {
				ti.LastCheck = *t.LastCheck
			}
			s.Targets = append(s.Targets, ti)
		}
		out = append(out, s)
	}
	return out, nil
}

// TargetState is the health state of a registered target as
// DescribeTargetHealth reports it ("" when it is not registered).
func TargetState(tx *state.Tx, tgARN, id string, port int) (string, error) {
	tg, err := tgByARN(tx, tgARN)
	var pe *protocol.Error
	if asProtocolError(err, &pe) {
		return "", nil // no such group (any more)
	}
	if err != nil {
		return "", err
	}
	doc, err := getDoc[targetDoc](tx, nsTarget, targetKey(tg, id, port))
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if doc.DrainUntil != nil {
		return "draining", nil
	}
	if doc.State == "" {
		return "initial", nil
	}
	return doc.State, nil
}

// HealthResult is the outcome of one health check of a target.
type HealthResult struct {
	Pass bool
	// Reason and Detail describe a failure as DescribeTargetHealth does:
	// Target.ResponseCodeMismatch ("Health checks failed with these
	// codes: [500]"), Target.Timeout ("Request timed out"),
	// Target.FailedHealthChecks ("Health checks failed").
	Reason, Detail string
}

// RecordHealthCheck records a health check of a target at now and moves
// its state per the group's thresholds. It returns the new state. A
// target that is not registered (or draining) is left alone.
func RecordHealthCheck(tx *state.Tx, tgARN, id string, port int, now time.Time, r HealthResult) (string, error) {
	tg, err := tgByARN(tx, tgARN)
	if err != nil {
		return "", err
	}
	k := targetKey(tg, id, port)
	doc, err := getDoc[targetDoc](tx, nsTarget, k)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if doc.DrainUntil != nil {
		return "draining", nil
	}
	if doc.State == "" {
		doc.State = "initial"
	}
	t := now.UTC()
	doc.LastCheck = &t
	if r.Pass {
		doc.Passes, doc.Fails = doc.Passes+1, 0
		if doc.State != "healthy" && doc.Passes >= tg.HealthCheck.Healthy {
			doc.State, doc.Reason, doc.Detail = "healthy", "", ""
		}
	} else {
		doc.Passes, doc.Fails = 0, doc.Fails+1
		if doc.Fails >= tg.HealthCheck.Unhealthy {
			doc.State, doc.Reason, doc.Detail = "unhealthy", r.Reason, r.Detail
		}
	}
	return doc.State, tx.Put(nsTarget, k, doc)
}

// Condition is a listener rule condition.
type Condition struct {
	Field      string   // host-header, path-pattern, http-request-method, http-header, query-string, source-ip
	Values     []string // host-header, path-pattern, http-request-method, source-ip, http-header
	HeaderName string
	Query      [][2]string // query-string key/value pairs ("" key: any key)
}

// Action is a listener or rule action.
type Action struct {
	Type string // forward, fixed-response, redirect, authenticate-oidc, authenticate-cognito
	// Forward: target groups and weights.
	TargetGroups []WeightedTargetGroup
	// Fixed response.
	StatusCode, ContentType, Body string
	// Redirect (placeholders #{host}, #{path}, #{port}, #{protocol},
	// #{query} unresolved).
	Protocol, Port, Host, Path, Query string
}

// WeightedTargetGroup is one target group of a forward action.
type WeightedTargetGroup struct {
	ARN    string
	Weight int
}

// Rule is a listener rule; the default rule has Priority 0 and Default.
type Rule struct {
	Priority   int
	Default    bool
	Conditions []Condition
	Actions    []Action
}

// Listener is a listener with its rules, in priority order (default last).
type Listener struct {
	ARN      string
	Port     int
	Protocol string
	Rules    []Rule
}

// LoadBalancer is a load balancer with its listeners.
type LoadBalancer struct {
	ARN, Name, Type, DNSName string
	// Dimension is the CloudWatch LoadBalancer dimension (app/name/id).
	Dimension string
	AZs       []string
	Listeners []Listener
}

// LoadBalancers lists every load balancer with its listeners and rules.
func LoadBalancers(tx *state.Tx) ([]LoadBalancer, error) {
	lbs, err := listDocs[lbDoc](tx, nsLB, "")
	if err != nil {
		return nil, err
	}
	var out []LoadBalancer
	for i := range lbs {
		lb := &lbs[i]
		o := LoadBalancer{ARN: lb.ARN, Name: lb.Name, Type: lb.Type, DNSName: lb.DNSName, Dimension: ARNSuffix(lb.ARN)}
		for _, sn := range lb.Subnets {
			o.AZs = append(o.AZs, sn.AZ)
		}
		listeners, err := listDocs[listenerDoc](tx, nsListener, lbChildPrefix(lb.ARN))
		if err != nil {
			return nil, err
		}
		for j := range listeners {
			l := &listeners[j]
			lo := Listener{ARN: l.ARN, Port: l.Port, Protocol: l.Protocol}
			rules, err := listDocs[ruleDoc](tx, nsRule, l.key()+"/")
			if err != nil {
				return nil, err
			}
			sort.Slice(rules, func(a, b int) bool { return rules[a].Priority < rules[b].Priority })
			for _, r := range rules {
				ro := Rule{Priority: r.Priority, Actions: simActions(r.Actions)}
				for _, c := range r.Conditions {
					co := Condition{Field: c.Field, Values: c.Values, HeaderName: c.HeaderName}
					for _, q := range c.Query {
						co.Query = append(co.Query, [2]string{q.Key, q.Value})
					}
					ro.Conditions = append(ro.Conditions, co)
				}
				lo.Rules = append(lo.Rules, ro)
			}
			lo.Rules = append(lo.Rules, Rule{Default: true, Actions: simActions(l.DefaultActions)})
			o.Listeners = append(o.Listeners, lo)
		}
		sort.Slice(o.Listeners, func(a, b int) bool { return o.Listeners[a].Port < o.Listeners[b].Port })
		out = append(out, o)
	}
	return out, nil
}

func simActions(in []actionDoc) []Action {
	sorted := append([]actionDoc(nil), in...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Order < sorted[j].Order })
	var out []Action
	for _, a := range sorted {
		o := Action{Type: a.Type}
		switch {
		case a.Type == "forward" && a.Forward != nil:
			for _, tg := range a.Forward.TargetGroups {
				o.TargetGroups = append(o.TargetGroups, WeightedTargetGroup{ARN: tg.ARN, Weight: tg.Weight})
			}
		case a.Type == "forward":
			o.TargetGroups = []WeightedTargetGroup{{ARN: a.TargetGroupARN, Weight: 1}}
		case a.Fixed != nil:
			o.StatusCode, o.ContentType, o.Body = a.Fixed.StatusCode, a.Fixed.ContentType, a.Fixed.MessageBody
		case a.Redirect != nil:
			o.StatusCode, o.Protocol, o.Port, o.Host, o.Path, o.Query = a.Redirect.StatusCode, a.Redirect.Protocol, a.Redirect.Port, a.Redirect.Host, a.Redirect.Path, a.Redirect.Query
		}
		out = append(out, o)
	}
	return out
}
