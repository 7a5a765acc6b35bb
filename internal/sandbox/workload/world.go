package workload

import (
	"math/rand/v2"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// world is what one step or one request sees: load balancers, target
// groups with target health, running tasks and the faults in effect.
type world struct {
	now      time.Time
	lbs      []elbv2.LoadBalancer
	tgs      map[string]*elbv2.TargetGroupSim
	tgOrder  []string
	tasks    []ecs.TaskInfo           // not stopped
	byIP     map[string]*ecs.TaskInfo // RUNNING tasks by private IP
	services []ecs.ServiceInfo
	faults   []chaos.Fault // active at now
	bad      map[string]*chaos.Fault
	impaired map[string]bool
}

func loadWorld(tx *state.Tx, now time.Time) (*world, error) {
	w := &world{now: now, tgs: map[string]*elbv2.TargetGroupSim{}, byIP: map[string]*ecs.TaskInfo{},
		bad: map[string]*chaos.Fault{}, impaired: map[string]bool{}}
	all, err := chaos.List(tx, now)
	if err != nil {
		return nil, err
	}
	w.faults = chaos.Active(all, now)
	for i := range w.faults {
		f := &w.faults[i]
		switch f.Kind {
		case chaos.KindUnhealthy:
			for _, id := range f.Tasks {
				w.bad[id] = f
			}
		case chaos.KindAZOutage:
			w.impaired[f.AZ] = true
		}
	}
	if err := w.reload(tx, true, true); err != nil {
		return nil, err
	}
	return w, nil
}

// reload reads the ECS and ELBv2 side again after a step changed it: the
// target groups (health, registrations) always, the load balancers and
// the tasks and services when asked.
func (w *world) reload(tx *state.Tx, lbs, tasks bool) error {
	var err error
	if lbs {
		if w.lbs, err = elbv2.LoadBalancers(tx); err != nil {
			return err
		}
	}
	tgs, err := elbv2.TargetGroups(tx, w.now)
	if err != nil {
		return err
	}
	w.tgs, w.tgOrder = map[string]*elbv2.TargetGroupSim{}, nil
	for i := range tgs {
		w.tgs[tgs[i].ARN] = &tgs[i]
		w.tgOrder = append(w.tgOrder, tgs[i].ARN)
	}
	if !tasks {
		return nil
	}
	if w.tasks, err = ecs.Tasks(tx); err != nil {
		return err
	}
	w.byIP = map[string]*ecs.TaskInfo{}
	for i := range w.tasks {
		if t := &w.tasks[i]; t.LastStatus == "RUNNING" && t.PrivateIP != "" {
			w.byIP[t.PrivateIP] = t
		}
	}
	w.services, err = ecs.Services(tx)
	return err
}

// faultsFor lists active faults of a kind that apply to a request served
// by task t through load balancer lbARN.
func (w *world) faultsFor(kind string, lb *elbv2.LoadBalancer, t *ecs.TaskInfo) []*chaos.Fault {
	var out []*chaos.Fault
	for i := range w.faults {
		f := &w.faults[i]
		if f.Kind != kind {
			continue
		}
		if f.LoadBalancer != "" && lb != nil && (f.LoadBalancer == lb.Name || f.LoadBalancer == lb.ARN) {
			out = append(out, f)
			continue
		}
		if f.Service != "" && t != nil && t.Service == f.Service && (f.Cluster == "" || clusterMatches(f.Cluster, t.Cluster)) {
			out = append(out, f)
		}
	}
	return out
}

func clusterMatches(ref, name string) bool {
	return ref == name || strings.HasSuffix(ref, ":cluster/"+name)
}

func serviceMatches(f *chaos.Fault, cluster, service string) bool {
	return f.Service != "" && (f.Service == service || strings.HasSuffix(f.Service, "/"+service)) &&
		(f.Cluster == "" || clusterMatches(f.Cluster, cluster))
}

// outcome is how one request went.
type outcome struct {
	Status   int
	Body     string
	Header   http.Header
	TG       string // target group ARN it was forwarded to
	Task     *ecs.TaskInfo
	Target   bool          // the target answered (else the load balancer did)
	Latency  time.Duration // target response time
	Listener *elbv2.Listener
}

// request is what routing needs of an HTTP request.
type request struct {
	Method, Host, Path string
	Query              map[string][]string
	Header             http.Header
	Health             bool // a health check, not traffic
}

// route serves one request at a listener: rules in priority order, then
// the action, then (forward) a target chosen round-robin among healthy
// ones, answered by its task under the faults in effect.
func (s *Sim) route(w *world, lb *elbv2.LoadBalancer, l *elbv2.Listener, r request) outcome {
	for i := range l.Rules {
		rule := &l.Rules[i]
		if !rule.Default && !ruleMatches(rule, r) {
			continue
		}
		return s.act(w, lb, l, rule.Actions, r)
	}
	return outcome{Status: http.StatusNotFound, Body: "no rule matched\n", Listener: l}
}

func ruleMatches(rule *elbv2.Rule, r request) bool {
	if len(rule.Conditions) == 0 {
		return false
	}
	for _, c := range rule.Conditions {
		ok := false
		switch c.Field {
		case "path-pattern":
			for _, v := range c.Values {
				ok = ok || wildcard(v, r.Path, false)
			}
		case "host-header":
			host := r.Host
			if h, _, found := strings.Cut(host, ":"); found {
				host = h
			}
			for _, v := range c.Values {
				ok = ok || wildcard(v, host, true)
			}
		case "http-request-method":
			for _, v := range c.Values {
				ok = ok || v == r.Method
			}
		case "http-header":
			for _, hv := range r.Header.Values(c.HeaderName) {
				for _, v := range c.Values {
					ok = ok || wildcard(v, hv, true)
				}
			}
		case "query-string":
			for _, kv := range c.Query {
				for k, vs := range r.Query {
					if kv[0] != "" && !wildcard(kv[0], k, true) {
						continue
					}
					for _, v := range vs {
						ok = ok || wildcard(kv[1], v, true)
					}
				}
			}
		default: // source-ip: the loopback client has no VPC address
		}
		if !ok {
			return false
		}
	}
	return true
}

// wildcard matches ELB patterns: * any characters, ? one.
func wildcard(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// path.Match treats / specially and [ as a class: escape both.
	esc := strings.NewReplacer("[", `\[`, `\`, `\\`).Replace(pattern)
	esc = strings.ReplaceAll(esc, "/", "\x00")
	ok, err := path.Match(esc, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

func (s *Sim) act(w *world, lb *elbv2.LoadBalancer, l *elbv2.Listener, actions []elbv2.Action, r request) outcome {
	for _, a := range actions {
		switch a.Type {
		case "forward":
			return s.forward(w, lb, l, a, r)
		case "fixed-response":
			code, _ := strconv.Atoi(a.StatusCode)
			h := http.Header{}
			if a.ContentType != "" {
				h.Set("Content-Type", a.ContentType)
			}
			return outcome{Status: code, Body: a.Body, Header: h, Listener: l}
		case "redirect":
			return outcome{Status: redirectStatus(a.StatusCode), Header: http.Header{"Location": {redirectURL(a, l, r)}}, Listener: l}
		}
	}
	return outcome{Status: http.StatusNotImplemented, Listener: l,
		Body: "the vigil sandbox does not simulate this listener's actions (authenticate-oidc/authenticate-cognito)\n"}
}

func redirectStatus(code string) int {
	if code == "HTTP_302" {
		return http.StatusFound
	}
	return http.StatusMovedPermanently
}

func redirectURL(a elbv2.Action, l *elbv2.Listener, r request) string {
	host, port := r.Host, strconv.Itoa(l.Port)
	if h, p, ok := strings.Cut(r.Host, ":"); ok {
		host, port = h, p
	}
	repl := strings.NewReplacer("#{host}", host, "#{path}", strings.TrimPrefix(r.Path, "/"), "#{port}", port,
		"#{protocol}", strings.ToLower(l.Protocol), "#{query}", "")
	proto := strings.ToLower(repl.Replace(orDefault(a.Protocol, "#{protocol}")))
	u := proto + "://" + repl.Replace(orDefault(a.Host, "#{host}"))
	if p := repl.Replace(orDefault(a.Port, "#{port}")); p != "" {
		u += ":" + p
	}
	return u + "/" + strings.TrimPrefix(repl.Replace(orDefault(a.Path, "/#{path}")), "/")
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func (s *Sim) forward(w *world, lb *elbv2.LoadBalancer, l *elbv2.Listener, a elbv2.Action, r request) outcome {
	tgARN := pickWeighted(a.TargetGroups)
	tg := w.tgs[tgARN]
	if tg == nil {
		return outcome{Status: http.StatusServiceUnavailable, Body: "503 Service Temporarily Unavailable\n", Listener: l}
	}
	var healthy, failOpen []elbv2.TargetInfo
	for _, t := range tg.Targets {
		if w.impaired[t.AZ] {
			continue
		}
		switch t.State {
		case "healthy":
			healthy = append(healthy, t)
		case "unhealthy":
			failOpen = append(failOpen, t)
		}
	}
	if len(healthy) == 0 {
		healthy = failOpen // every target unhealthy: the load balancer fails open
	}
	if len(healthy) == 0 {
		return outcome{Status: http.StatusServiceUnavailable, Body: "503 Service Temporarily Unavailable\n", TG: tgARN, Listener: l}
	}
	sort.Slice(healthy, func(i, j int) bool { return healthy[i].ID < healthy[j].ID })
	s.mu.Lock()
	n := s.rr[tgARN]
	s.rr[tgARN] = n + 1
	s.mu.Unlock()
	target := healthy[n%uint64(len(healthy))]
	out := s.answer(w, lb, target.ID, r)
	out.TG, out.Listener = tgARN, l
	return out
}

func pickWeighted(tgs []elbv2.WeightedTargetGroup) string {
	total := 0
	for _, t := range tgs {
		total += max(t.Weight, 0)
	}
	if total == 0 {
		if len(tgs) == 0 {
			return ""
		}
		return tgs[0].ARN
	}
	n := rand.IntN(total)
	for _, t := range tgs {
		if n < max(t.Weight, 0) {
			return t.ARN
		}
		n -= max(t.Weight, 0)
	}
	return tgs[len(tgs)-1].ARN
}

// baseLatency is a healthy task's response time: 20 to 60 ms.
func baseLatency() time.Duration {
	return 20*time.Millisecond + time.Duration(rand.Int64N(int64(40*time.Millisecond)))
}

// answer is the response of the task at ip (a target) to a request.
func (s *Sim) answer(w *world, lb *elbv2.LoadBalancer, ip string, r request) outcome {
	t := w.byIP[ip]
	if t == nil || w.impaired[t.AZ] {
		// Nothing listens there: the load balancer answers 502.
		return outcome{Status: http.StatusBadGateway, Body: "502 Bad Gateway\n"}
	}
	out := outcome{Task: t, Target: true, Latency: baseLatency(), Status: http.StatusOK, Header: http.Header{}}
	for _, f := range w.faultsFor(chaos.KindLatency, lb, t) {
		if s.share(f.ID, f.Percent, 100) {
			out.Latency += f.Latency.D()
		}
	}
	if f := w.bad[t.ID]; f != nil && (!r.Health || f.HealthChecksFail()) {
		out.Status, out.Body = http.StatusInternalServerError, "500 Internal Server Error (task "+t.ID+" is unhealthy: fault "+f.ID+")\n"
		return out
	}
	if !r.Health {
		for _, f := range w.faultsFor(chaos.Kind5xxBurst, lb, t) {
			if s.share(f.ID, f.Percent, 0) {
				out.Status, out.Body = http.StatusInternalServerError, "500 Internal Server Error (5xx burst: fault "+f.ID+")\n"
				return out
			}
		}
	}
	out.Header.Set("Content-Type", "application/json")
	out.Body = `{"task":"` + t.ID + `","service":"` + t.Service + `","cluster":"` + t.Cluster + `","az":"` + t.AZ + `","path":` + strconv.Quote(r.Path) + "}\n"
	return out
}

// share spreads a percentage evenly over requests: it is true for exactly
// percent of the calls for the same key (0 means 100 when def is 100).
func (s *Sim) share(key string, percent, def float64) bool {
	if percent == 0 {
		percent = def
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shares[key] += percent
	if s.shares[key] >= 100 {
		s.shares[key] -= 100
		return true
	}
	return false
}
