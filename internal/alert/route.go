package alert

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Route is a node of the routing tree, as in Alertmanager: an alert enters
// at the root (which matches everything) and descends into the first child
// whose matchers all match; with Continue set, the next matching siblings
// are tried too. The deepest matching routes take the alert; a route with
// no receivers of its own uses its parent's.
//
//	route {
//	  receivers = ["slack-oncall"]            # the default
//	  route {
//	    name        = "prod-pages"
//	    environment = ["prod"]
//	    severity    = ["critical", "error"]
//	    receivers   = ["pagerduty-prod", "slack-oncall"]
//	  }
//	  route {
//	    kind      = ["drift"]
//	    receivers = ["ops-webhook"]
//	    continue  = true
//	  }
//	}
//
// Matchers: environment, layer and label values are glob patterns
// (path.Match: "prod-*"); kind and severity are exact. An empty matcher
// matches anything; a list matches any of its values.
type Route struct {
	Name        string            `hcl:"name,optional"`
	Receivers   []string          `hcl:"receivers,optional"`
	Environment []string          `hcl:"environment,optional"`
	Layer       []string          `hcl:"layer,optional"`
	Kind        []string          `hcl:"kind,optional"`
	Severity    []string          `hcl:"severity,optional"`
	Labels      map[string]string `hcl:"labels,optional"`
	Continue    bool              `hcl:"continue,optional"`
	Routes      []Route           `hcl:"route,block"`
}

// RouteMatch is a route that takes an alert and the receivers it sends to.
type RouteMatch struct {
	Route     string
	Receivers []string
}

// Validate checks the tree: the root has receivers and no matchers, every
// matcher value is valid, route names are unique, and (when receivers is
// not nil) every receiver named exists.
func (r *Route) Validate(receivers []string) error {
	_, err := r.normalized(receivers)
	return err
}

// normalized returns a validated deep copy whose unnamed routes are named
// by their path ("root", "root.1", "root.1.0").
func (r *Route) normalized(receivers []string) (*Route, error) {
	if r == nil {
		return nil, errors.New("route: no routing tree (add a route block with receivers)")
	}
	if len(r.Receivers) == 0 {
		return nil, errors.New("route: the root route needs receivers (the default for alerts no child route takes)")
	}
	if r.hasMatchers() || r.Continue {
		return nil, errors.New("route: the root route matches every alert: put environment, layer, kind, severity, labels and continue on child routes")
	}
	c := r.clone()
	if c.Name == "" {
		c.Name = "root"
	}
	if err := c.validate(c.Name, receivers, map[string]bool{}); err != nil {
		return nil, err
	}
	return c, nil
}

func (r *Route) clone() *Route {
	c := *r
	c.Receivers = slices.Clone(r.Receivers)
	c.Environment = slices.Clone(r.Environment)
	c.Layer = slices.Clone(r.Layer)
	c.Kind = slices.Clone(r.Kind)
	c.Severity = slices.Clone(r.Severity)
	if r.Labels != nil {
		c.Labels = map[string]string{}
		for k, v := range r.Labels {
			c.Labels[k] = v
		}
	}
	c.Routes = make([]Route, len(r.Routes))
	for i := range r.Routes {
		c.Routes[i] = *r.Routes[i].clone()
	}
	return &c
}

func (r *Route) validate(where string, receivers []string, names map[string]bool) error {
	if names[r.Name] {
		return fmt.Errorf("route %s: name %q is used twice", where, r.Name)
	}
	names[r.Name] = true
	for _, n := range r.Receivers {
		if receivers != nil && !slices.Contains(receivers, n) {
			return fmt.Errorf("route %s: no receiver named %q (have: %s)", r.Name, n, strings.Join(receivers, ", "))
		}
	}
	for _, k := range r.Kind {
		if !slices.Contains(Kinds, Kind(k)) {
			return fmt.Errorf("route %s: kind %q is not one of %s", r.Name, k, joinKinds())
		}
	}
	for _, s := range r.Severity {
		if !slices.Contains(Severities, Severity(s)) {
			return fmt.Errorf("route %s: severity %q is not one of critical, error, warning, info", r.Name, s)
		}
	}
	for _, pats := range [][]string{r.Environment, r.Layer, labelValues(r.Labels)} {
		for _, p := range pats {
			if _, err := path.Match(p, ""); err != nil {
				return fmt.Errorf("route %s: bad pattern %q: %w", r.Name, p, err)
			}
		}
	}
	for i := range r.Routes {
		c := &r.Routes[i]
		if c.Name == "" {
			c.Name = r.Name + "." + strconv.Itoa(i)
		}
		if err := c.validate(c.Name, receivers, names); err != nil {
			return err
		}
	}
	return nil
}

func labelValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (r *Route) hasMatchers() bool {
	return len(r.Environment)+len(r.Layer)+len(r.Kind)+len(r.Severity)+len(r.Labels) > 0
}

// Match returns the routes that take a, in tree order; never empty for a
// validated tree. Routes are named as written: the Dispatcher matches on
// its normalized copy, where unnamed routes carry their path ("root.1").
func (r *Route) Match(a Alert) []RouteMatch {
	return r.match(a, nil)
}

func (r *Route) match(a Alert, inherited []string) []RouteMatch {
	recv := r.Receivers
	if len(recv) == 0 {
		recv = inherited
	}
	var out []RouteMatch
	for i := range r.Routes {
		c := &r.Routes[i]
		if !c.matches(a) {
			continue
		}
		out = append(out, c.match(a, recv)...)
		if !c.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []RouteMatch{{Route: r.Name, Receivers: recv}}
	}
	return out
}

func (r *Route) matches(a Alert) bool {
	return globAny(r.Environment, a.Environment) &&
		globAny(r.Layer, a.Layer) &&
		(len(r.Kind) == 0 || slices.Contains(r.Kind, string(a.Kind))) &&
		(len(r.Severity) == 0 || slices.Contains(r.Severity, string(a.Severity))) &&
		labelsMatch(r.Labels, a.Labels)
}

func globAny(pats []string, v string) bool {
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		if ok, _ := path.Match(p, v); ok {
			return true
		}
	}
	return false
}

func labelsMatch(want, have map[string]string) bool {
	for k, p := range want {
		v, ok := have[k]
		if !ok {
			return false
		}
		if m, _ := path.Match(p, v); !m {
			return false
		}
	}
	return true
}
