package config

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Drift is the `drift {}` block: how often drift checks run (for vigil
// serve), which findings to ignore and why, and which tags mark an
// environment's resources for the unmanaged-resource check. Settings nest:
// the block itself is global, `environment "<name>" {}` inside it applies
// to one environment, `layer "<name>" {}` inside that to one stack.
//
//	drift {
//	  every = "1h"                       # default for every stack
//	  ignore {
//	    address   = "aws_ecs_service.*"  # resource address glob
//	    attribute = "desired_count"      # attribute path glob (optional)
//	    reason    = "Application Auto Scaling owns the task count."
//	  }
//	  environment "prod" {
//	    every = "5m"
//	    layer "foundation" { every = "0 3 * * *" } # cron, UTC
//	  }
//	}
//
// The zero Drift (no block) means: hourly, the unmanaged check on with
// DefaultDriftTags, no ignore rules.
type Drift struct {
	// Every is the global cadence (zero: DefaultDriftEvery).
	Every Schedule
	// Unmanaged turns the unmanaged-resource check on or off (nil: on).
	Unmanaged *bool
	// Ignore are the global ignore rules.
	Ignore []DriftIgnore
	// Environments are the per-environment settings, by name.
	Environments map[string]DriftEnv
	// Runbook is the link vigil serve's drift alerts carry ("": the
	// drift guide, DefaultDriftRunbook); FirstStep what they say to do
	// first ("": run vigil drift on the stack, then revert or codify).
	Runbook   string
	FirstStep string
}

// DefaultDriftRunbook is the runbook of drift alerts when the drift block
// names none.
const DefaultDriftRunbook = "https://github.com/vigil-sre/vigil/blob/main/docs/drift.md"

// DriftEnv is a `drift { environment "<name>" {} }` block.
type DriftEnv struct {
	Every     *Schedule
	Unmanaged *bool
	// Tags mark the environment's resources (default DefaultDriftTags).
	Tags   map[string]string
	Ignore []DriftIgnore
	Layers map[string]DriftLayer
}

// DriftLayer is a `layer "<name>" {}` block inside a drift environment.
type DriftLayer struct {
	Every  *Schedule
	Ignore []DriftIgnore
}

// DriftIgnore is one `ignore {}` block. Address and Attribute are globs
// ('*' matches any run of characters, '?' one); package drift matches them.
type DriftIgnore struct {
	// Address matches a resource address (or, for an unmanaged resource,
	// its ARN or id).
	Address string
	// Attribute matches an attribute path ("" = the whole resource).
	Attribute string
	// Kind limits the rule to one finding kind ("" = any): changed,
	// deleted, unmanaged or pending.
	Kind   string
	Reason string
	// Scope is where the rule is declared: "" (global), "<env>" or
	// "<env>/<layer>".
	Scope string
}

// Drift finding kinds an ignore rule may name.
var DriftKinds = []string{"changed", "deleted", "unmanaged", "pending"}

// DefaultDriftEvery is the cadence of a stack no drift block sets.
const DefaultDriftEvery = time.Hour

// MinDriftEvery is the shortest interval `every` accepts.
const MinDriftEvery = time.Second

// DefaultDriftTags are the tags the blueprint's provider default_tags put
// on every resource of an environment.
func DefaultDriftTags(env string) map[string]string {
	return map[string]string{"vigil:env": env, "managed-by": "vigil"}
}

// DriftSettings are the drift settings that apply to one stack (or, with
// layer "", to an environment as a whole).
type DriftSettings struct {
	Every     Schedule
	Unmanaged bool
	Tags      map[string]string
	// Ignore holds the global rules, then the environment's, then the
	// layer's.
	Ignore []DriftIgnore
}

// For resolves the settings of a stack: the layer's over the
// environment's over the global ones; ignore rules add up. With layer ""
// it gives the environment's own (for the unmanaged-resource check).
func (d Drift) For(env, layer string) DriftSettings {
	s := DriftSettings{Every: d.Every, Unmanaged: d.Unmanaged == nil || *d.Unmanaged, Tags: DefaultDriftTags(env)}
	if s.Every.IsZero() {
		s.Every = Schedule{Every: DefaultDriftEvery}
	}
	s.Ignore = slices.Clone(d.Ignore)
	e, ok := d.Environments[env]
	if !ok {
		return s
	}
	if e.Every != nil {
		s.Every = *e.Every
	}
	if e.Unmanaged != nil {
		s.Unmanaged = *e.Unmanaged
	}
	if e.Tags != nil {
		s.Tags = maps.Clone(e.Tags)
	}
	s.Ignore = append(s.Ignore, e.Ignore...)
	if l, ok := e.Layers[layer]; ok && layer != "" {
		if l.Every != nil {
			s.Every = *l.Every
		}
		s.Ignore = append(s.Ignore, l.Ignore...)
	}
	return s
}

type driftBlock struct {
	Every        *string            `hcl:"every,optional"`
	EveryRange   hcl.Range          `hcl:"every,attr_range"`
	Unmanaged    *bool              `hcl:"unmanaged,optional"`
	Ignores      []driftIgnoreBlock `hcl:"ignore,block"`
	Environments []driftEnvBlock    `hcl:"environment,block"`
	Runbook      *string            `hcl:"runbook,optional"`
	RunbookRange hcl.Range          `hcl:"runbook,attr_range"`
	FirstStep    *string            `hcl:"first_step,optional"`
	DefRange     hcl.Range          `hcl:",def_range"`
}

type driftEnvBlock struct {
	Name       string             `hcl:"name,label"`
	NameRange  hcl.Range          `hcl:"name,label_range"`
	Every      *string            `hcl:"every,optional"`
	EveryRange hcl.Range          `hcl:"every,attr_range"`
	Unmanaged  *bool              `hcl:"unmanaged,optional"`
	Tags       *map[string]string `hcl:"tags,optional"`
	TagsRange  hcl.Range          `hcl:"tags,attr_range"`
	Ignores    []driftIgnoreBlock `hcl:"ignore,block"`
	Layers     []driftLayerBlock  `hcl:"layer,block"`
}

type driftLayerBlock struct {
	Name       string             `hcl:"name,label"`
	NameRange  hcl.Range          `hcl:"name,label_range"`
	Every      *string            `hcl:"every,optional"`
	EveryRange hcl.Range          `hcl:"every,attr_range"`
	Ignores    []driftIgnoreBlock `hcl:"ignore,block"`
}

type driftIgnoreBlock struct {
	Address   string    `hcl:"address"`
	Attribute *string   `hcl:"attribute,optional"`
	Kind      *string   `hcl:"kind,optional"`
	KindRange hcl.Range `hcl:"kind,attr_range"`
	Reason    string    `hcl:"reason,optional"`
	DefRange  hcl.Range `hcl:",def_range"`
}

// decodeDrift validates the drift block (at most one) against the declared
// environments, appending problems to diags.
func decodeDrift(raw []driftBlock, envs []Environment, diags *hcl.Diagnostics) Drift {
	var d Drift
	errAt := func(rng hcl.Range, summary, detail string) {
		r := rng
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
	}
	if len(raw) == 0 {
		return d
	}
	if len(raw) > 1 {
		errAt(raw[1].DefRange, "Duplicate drift block", "Declare one drift block; put per-environment settings in environment \"<name>\" {} blocks inside it.")
	}
	b := raw[0]
	every := func(s *string, rng hcl.Range) *Schedule {
		if s == nil {
			return nil
		}
		sch, err := ParseSchedule(*s)
		if err != nil {
			errAt(rng, "Invalid every", err.Error())
			return nil
		}
		return &sch
	}
	ignores := func(bs []driftIgnoreBlock, scope string) []DriftIgnore {
		var out []DriftIgnore
		for _, ig := range bs {
			r := DriftIgnore{Address: ig.Address, Reason: ig.Reason, Scope: scope}
			if ig.Attribute != nil {
				r.Attribute = *ig.Attribute
			}
			if ig.Kind != nil {
				r.Kind = *ig.Kind
				if !slices.Contains(DriftKinds, r.Kind) {
					errAt(ig.KindRange, "Invalid kind", fmt.Sprintf("kind is %q; use one of %s, or leave it out to match any kind.", r.Kind, strings.Join(DriftKinds, ", ")))
				}
			}
			if strings.TrimSpace(ig.Address) == "" {
				errAt(ig.DefRange, "Empty address", `Set address to a resource address or glob, for example address = "aws_ecs_service.*" ("*" matches every resource).`)
			}
			if strings.TrimSpace(ig.Reason) == "" {
				errAt(ig.DefRange, "Ignore without a reason", fmt.Sprintf("the drift ignore rule for %q needs reason = \"…\": say why this drift is expected, so the next person knows.", ig.Address))
			}
			out = append(out, r)
		}
		return out
	}
	if s := every(b.Every, b.EveryRange); s != nil {
		d.Every = *s
	}
	d.Unmanaged = b.Unmanaged
	d.Ignore = ignores(b.Ignores, "")
	if b.Runbook != nil {
		d.Runbook = strings.TrimSpace(*b.Runbook)
		if u, err := url.Parse(d.Runbook); err != nil || u.Scheme == "" || u.Host == "" {
			errAt(b.RunbookRange, "Invalid runbook", fmt.Sprintf("runbook %q is not a URL (for example \"https://github.com/acme/infra/blob/main/runbooks/drift.md\").", d.Runbook))
		}
	}
	if b.FirstStep != nil {
		d.FirstStep = strings.TrimSpace(*b.FirstStep)
	}
	known := map[string]bool{}
	for _, e := range envs {
		known[e.Name] = true
	}
	for _, eb := range b.Environments {
		if !known[eb.Name] {
			errAt(eb.NameRange, "Unknown environment", fmt.Sprintf("drift has settings for %q, which no environment block declares.", eb.Name))
			continue
		}
		if _, dup := d.Environments[eb.Name]; dup {
			errAt(eb.NameRange, "Duplicate environment", fmt.Sprintf("drift declares environment %q twice; merge the two blocks.", eb.Name))
			continue
		}
		e := DriftEnv{Every: every(eb.Every, eb.EveryRange), Unmanaged: eb.Unmanaged, Ignore: ignores(eb.Ignores, eb.Name)}
		if eb.Tags != nil {
			if len(*eb.Tags) == 0 {
				errAt(eb.TagsRange, "Empty tags", "tags marks the environment's resources for the unmanaged check; list at least one, or set unmanaged = false.")
			}
			e.Tags = *eb.Tags
		}
		for _, lb := range eb.Layers {
			if !nameRe.MatchString(lb.Name) {
				errAt(lb.NameRange, "Invalid layer name", fmt.Sprintf("Layer %q is not a valid folder name: use letters, digits, '-' and '_'.", lb.Name))
			}
			if _, dup := e.Layers[lb.Name]; dup {
				errAt(lb.NameRange, "Duplicate layer", fmt.Sprintf("drift declares layer %q of %q twice; merge the two blocks.", lb.Name, eb.Name))
				continue
			}
			if e.Layers == nil {
				e.Layers = map[string]DriftLayer{}
			}
			e.Layers[lb.Name] = DriftLayer{Every: every(lb.Every, lb.EveryRange), Ignore: ignores(lb.Ignores, eb.Name+"/"+lb.Name)}
		}
		if d.Environments == nil {
			d.Environments = map[string]DriftEnv{}
		}
		d.Environments[eb.Name] = e
	}
	return d
}

// Schedule is a drift cadence: a fixed interval or a cron expression.
type Schedule struct {
	// Every is the interval of an interval schedule.
	Every time.Duration
	// Cron is the expression of a cron schedule (five fields, UTC, or a
	// descriptor such as @hourly).
	Cron string
	cron *cronSpec
}

// IsZero reports an unset schedule.
func (s Schedule) IsZero() bool { return s.Every == 0 && s.Cron == "" }

// String is the schedule as written ("5m0s" for intervals).
func (s Schedule) String() string {
	if s.Cron != "" {
		return s.Cron
	}
	return s.Every.String()
}

// Next is the first time strictly after t the schedule fires: t + Every
// for an interval, the next matching minute (UTC) for cron.
func (s Schedule) Next(t time.Time) time.Time {
	if s.cron != nil {
		return s.cron.next(t)
	}
	if s.Every <= 0 {
		return t.Add(DefaultDriftEvery)
	}
	return t.Add(s.Every)
}

// cronDescriptors are the @-shorthands ParseSchedule accepts.
var cronDescriptors = map[string]string{
	"@hourly":   "0 * * * *",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@nightly":  "0 0 * * *",
	"@weekly":   "0 0 * * 0",
	"@monthly":  "0 0 1 * *",
}

// ParseSchedule reads an `every` value: a Go duration ("30s", "5m",
// "24h"; at least MinDriftEvery) or a cron expression of five fields
// (minute hour day-of-month month day-of-week; '*', lists, ranges and
// steps; evaluated in UTC) or one of @hourly, @daily, @midnight,
// @nightly, @weekly, @monthly.
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Schedule{}, fmt.Errorf(`every is empty: use a duration such as "5m" or a cron expression such as "0 3 * * *"`)
	}
	expr := s
	if d, ok := cronDescriptors[s]; ok {
		expr = d
	}
	if len(strings.Fields(expr)) == 5 {
		spec, err := parseCron(expr)
		if err != nil {
			return Schedule{}, fmt.Errorf("every %q is not a valid cron expression: %v", s, err)
		}
		return Schedule{Cron: s, cron: spec}, nil
	}
	if strings.HasPrefix(s, "@") {
		return Schedule{}, fmt.Errorf("every %q: unknown descriptor; use @hourly, @daily, @midnight, @nightly, @weekly or @monthly", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return Schedule{}, fmt.Errorf(`every %q is neither a duration ("30s", "5m", "1h", "24h") nor a cron expression of five fields ("0 3 * * *")`, s)
	}
	if d < MinDriftEvery {
		return Schedule{}, fmt.Errorf("every %q is shorter than %s", s, MinDriftEvery)
	}
	return Schedule{Every: d}, nil
}

// cronSpec is a parsed five-field cron expression: the allowed values of
// each field as bit sets.
type cronSpec struct {
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
}

func parseCron(expr string) (*cronSpec, error) {
	f := strings.Fields(expr)
	var spec cronSpec
	var err error
	fields := []struct {
		name     string
		min, max int
		dst      *uint64
	}{
		{"minute", 0, 59, &spec.minute},
		{"hour", 0, 23, &spec.hour},
		{"day of month", 1, 31, &spec.dom},
		{"month", 1, 12, &spec.month},
		{"day of week", 0, 7, &spec.dow},
	}
	for i, fd := range fields {
		if *fd.dst, err = parseCronField(f[i], fd.min, fd.max); err != nil {
			return nil, fmt.Errorf("%s field %q: %v", fd.name, f[i], err)
		}
	}
	if spec.dow&(1<<7) != 0 { // 7 is Sunday too
		spec.dow |= 1
	}
	spec.domStar = f[2] == "*" || strings.HasPrefix(f[2], "*/")
	spec.dowStar = f[4] == "*" || strings.HasPrefix(f[4], "*/")
	return &spec, nil
}

func parseCronField(field string, lo, hi int) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(field, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepStr)
			}
			step = n
		}
		first, last := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err1, err2 error
			first, err1 = strconv.Atoi(a)
			last, err2 = strconv.Atoi(b)
			if err1 != nil || err2 != nil {
				return 0, fmt.Errorf("range %q is not two numbers", rng)
			}
		default:
			n, err := strconv.Atoi(rng)
			if err != nil {
				return 0, fmt.Errorf("%q is not a number", rng)
			}
			first, last = n, n
			if hasStep {
				last = hi
			}
		}
		if first < lo || last > hi || first > last {
			return 0, fmt.Errorf("%d-%d is outside %d-%d", first, last, lo, hi)
		}
		for v := first; v <= last; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func (c *cronSpec) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow // cron: either restricted day field may match
}

// next finds the first matching minute after t, in UTC; the zero time
// when none comes within five years (e.g. "0 0 31 2 *").
func (c *cronSpec) next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case c.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case c.hour&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case c.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}
