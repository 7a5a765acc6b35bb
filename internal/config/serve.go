package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
)

// Serve is the `serve {}` block: how `vigil serve` listens, where it
// keeps its store, and who may read and approve.
//
//	serve {
//	  addr        = "127.0.0.1:8080"   # default; --addr overrides
//	  store       = "postgres://vigil@db/vigil" # default: .vigil/vigil.db (SQLite)
//	  store_env   = "VIGIL_STORE_URL"  # or: the DSN from an environment variable
//	  public_read = false              # reading without a token
//	  heartbeat   = "24h"              # optional: "checked N stacks, no drift"
//	  retention {                      # optional (Retention): the defaults
//	    canary_results   = "7d"
//	    drift_reports    = "30d"
//	    alert_deliveries = "30d"
//	  }
//	  token "ci" {
//	    role      = "reader"             # or "approver": read and approve
//	    value_env = "VIGIL_CI_TOKEN"     # or value_file = "/run/secrets/…"
//	  }
//	}
//
// Token values never appear in vigil.hcl: each token names the environment
// variable or the file that holds it, read when vigil serve starts.
type Serve struct {
	// Addr is the listen address ("": DefaultServeAddr; see ListenAddr).
	Addr string
	// Store is the store's DSN: "" for the repository's SQLite file, or a
	// postgres:// URL. StoreEnv names an environment variable holding it.
	Store    string
	StoreEnv string
	// PublicRead lets requests without a token read (never approve).
	PublicRead bool
	// Heartbeat, when set, is how often serve reports "checked N stacks,
	// no drift" while every stack of an environment is clean.
	Heartbeat time.Duration
	Tokens    []ServeToken
	// Retention is how long serve keeps canary results, drift reports and
	// alert deliveries (retention.go); the defaults when not declared.
	Retention Retention
}

// ListenAddr is Addr, or DefaultServeAddr when unset.
func (s Serve) ListenAddr() string {
	if s.Addr == "" {
		return DefaultServeAddr
	}
	return s.Addr
}

// ServeToken is a `token "<name>" {}` block of serve.
type ServeToken struct {
	Name string
	// Role is "reader" or "approver".
	Role string
	// ValueEnv or ValueFile holds the token's value (exactly one is set).
	ValueEnv  string
	ValueFile string
}

// DefaultServeAddr is where vigil serve listens by default: loopback only.
const DefaultServeAddr = "127.0.0.1:8080"

// Token roles.
const (
	RoleReader   = "reader"
	RoleApprover = "approver"
)

type serveBlock struct {
	Addr       *string           `hcl:"addr,optional"`
	AddrRange  hcl.Range         `hcl:"addr,attr_range"`
	Store      *string           `hcl:"store,optional"`
	StoreRange hcl.Range         `hcl:"store,attr_range"`
	StoreEnv   *string           `hcl:"store_env,optional"`
	PublicRead *bool             `hcl:"public_read,optional"`
	Heartbeat  *string           `hcl:"heartbeat,optional"`
	HBRange    hcl.Range         `hcl:"heartbeat,attr_range"`
	Tokens     []serveTokenBlock `hcl:"token,block"`
	Retention  []retentionBlock  `hcl:"retention,block"`
	DefRange   hcl.Range         `hcl:",def_range"`
}

type serveTokenBlock struct {
	Name      string    `hcl:"name,label"`
	NameRange hcl.Range `hcl:"name,label_range"`
	Role      string    `hcl:"role"`
	RoleRange hcl.Range `hcl:"role,attr_range"`
	Value     *string   `hcl:"value,optional"`
	ValueRng  hcl.Range `hcl:"value,attr_range"`
	ValueEnv  *string   `hcl:"value_env,optional"`
	ValueFile *string   `hcl:"value_file,optional"`
	DefRange  hcl.Range `hcl:",def_range"`
}

// bodyBlock is a block decoded in a second pass (alerts, canaries,
// canary), so its range is known for errors that come from validation.
type bodyBlock struct {
	Body     hcl.Body  `hcl:",remain"`
	DefRange hcl.Range `hcl:",def_range"`
}

type namedBodyBlock struct {
	Name      string    `hcl:"name,label"`
	NameRange hcl.Range `hcl:"name,label_range"`
	Body      hcl.Body  `hcl:",remain"`
	DefRange  hcl.Range `hcl:",def_range"`
}

var tokenNameRe = nameRe

func decodeServe(raw []serveBlock, diags *hcl.Diagnostics) Serve {
	errAt := func(rng hcl.Range, summary, detail string) {
		r := rng
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
	}
	s := Serve{Retention: DefaultRetention()}
	if len(raw) == 0 {
		return s
	}
	if len(raw) > 1 {
		errAt(raw[1].DefRange, "Duplicate serve block", "Declare one serve block.")
	}
	b := raw[0]
	if b.Addr != nil {
		s.Addr = *b.Addr
		if _, port, err := net.SplitHostPort(s.Addr); err != nil || port == "" {
			errAt(b.AddrRange, "Invalid addr", fmt.Sprintf("addr %q is not host:port (for example \"127.0.0.1:8080\", or \":8080\" for every interface).", s.Addr))
		}
	}
	if b.Store != nil {
		s.Store = strings.TrimSpace(*b.Store)
		if s.Store != "" && !strings.HasPrefix(s.Store, "postgres://") && !strings.HasPrefix(s.Store, "postgresql://") {
			errAt(b.StoreRange, "Invalid store", `store is a PostgreSQL URL ("postgres://user@host/db"); leave it out to use the repository's SQLite file (.vigil/vigil.db).`)
		}
	}
	if b.StoreEnv != nil {
		s.StoreEnv = *b.StoreEnv
		if s.Store != "" {
			errAt(b.StoreRange, "Both store and store_env", "Set store or store_env, not both.")
		}
	}
	if b.PublicRead != nil {
		s.PublicRead = *b.PublicRead
	}
	if b.Heartbeat != nil {
		d, err := time.ParseDuration(*b.Heartbeat)
		if err != nil || d < time.Minute {
			errAt(b.HBRange, "Invalid heartbeat", fmt.Sprintf("heartbeat %q is not a duration of at least 1m (like \"24h\").", *b.Heartbeat))
		}
		s.Heartbeat = d
	}
	seen := map[string]bool{}
	for _, tb := range b.Tokens {
		t := ServeToken{Name: tb.Name, Role: tb.Role}
		if !tokenNameRe.MatchString(tb.Name) {
			errAt(tb.NameRange, "Invalid token name", fmt.Sprintf("Token %q: use letters, digits, '-' and '_' (the name is what the audit log records).", tb.Name))
		}
		if seen[tb.Name] {
			errAt(tb.NameRange, "Duplicate token", fmt.Sprintf("Token %q is declared twice.", tb.Name))
		}
		seen[tb.Name] = true
		if tb.Role != RoleReader && tb.Role != RoleApprover {
			errAt(tb.RoleRange, "Invalid role", fmt.Sprintf("role is %q; use %q (read) or %q (read and approve).", tb.Role, RoleReader, RoleApprover))
		}
		if tb.Value != nil {
			errAt(tb.ValueRng, "Token value in vigil.hcl", fmt.Sprintf("Token %q: never write a token into vigil.hcl; put it in an environment variable (value_env = \"NAME\") or a file (value_file = \"/path\").", tb.Name))
		}
		if tb.ValueEnv != nil {
			t.ValueEnv = *tb.ValueEnv
		}
		if tb.ValueFile != nil {
			t.ValueFile = *tb.ValueFile
		}
		if (t.ValueEnv == "") == (t.ValueFile == "") && tb.Value == nil {
			errAt(tb.DefRange, "Token without a source", fmt.Sprintf("Token %q needs exactly one of value_env (an environment variable) or value_file (a file).", tb.Name))
		}
		s.Tokens = append(s.Tokens, t)
	}
	s.Retention = decodeRetention(b.Retention, diags)
	return s
}

// decodeAlerts decodes the alerts block into alert.Config and validates it
// (without reading secrets). Nil when there is no block.
func decodeAlerts(raw []bodyBlock, envs []Environment, diags *hcl.Diagnostics) *alert.Config {
	if len(raw) == 0 {
		return nil
	}
	if len(raw) > 1 {
		r := raw[1].DefRange
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate alerts block", Detail: "Declare one alerts block with every receiver and the route tree in it.", Subject: &r})
	}
	var c alert.Config
	if d := gohcl.DecodeBody(raw[0].Body, nil, &c); d.HasErrors() {
		*diags = append(*diags, d...)
		return nil
	}
	if err := c.Validate(); err != nil {
		r := raw[0].DefRange
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid alerts block", Detail: err.Error(), Subject: &r})
	}
	known := func(n string) bool {
		return slices.ContainsFunc(envs, func(e Environment) bool { return e.Name == n })
	}
	for _, s := range c.SNS {
		if s.Environment != "" && !known(s.Environment) {
			r := raw[0].DefRange
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown environment", Detail: fmt.Sprintf("sns %q names environment %q, which no environment block declares.", s.Name, s.Environment), Subject: &r})
		}
	}
	return &c
}

// decodeCanaries decodes the canaries settings block and the canary
// blocks, validating each canary with canary.Build (header_env variables
// are not read here: vigil serve reads them when it starts).
func decodeCanaries(settings []bodyBlock, blocks []namedBodyBlock, envs []Environment, diags *hcl.Diagnostics) (*canary.Settings, []canary.Config) {
	errAt := func(rng hcl.Range, summary, detail string) {
		r := rng
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
	}
	var set *canary.Settings
	if len(settings) > 1 {
		errAt(settings[1].DefRange, "Duplicate canaries block", "Declare one canaries block.")
	}
	if len(settings) > 0 {
		var s canary.Settings
		if d := gohcl.DecodeBody(settings[0].Body, nil, &s); d.HasErrors() {
			*diags = append(*diags, d...)
		} else {
			if _, err := s.RunnerOptions(); err != nil {
				errAt(settings[0].DefRange, "Invalid canaries block", err.Error())
			}
			if _, err := s.CloudWatchOptions(); err != nil {
				errAt(settings[0].DefRange, "Invalid canaries block", err.Error())
			}
			if s.CloudWatch != nil && s.CloudWatch.Environment != "" && !slices.ContainsFunc(envs, func(e Environment) bool { return e.Name == s.CloudWatch.Environment }) {
				errAt(settings[0].DefRange, "Unknown environment", fmt.Sprintf("canaries: cloudwatch names environment %q, which no environment block declares.", s.CloudWatch.Environment))
			}
			set = &s
		}
	}
	var out []canary.Config
	seen := map[string]hcl.Range{}
	lenient := canary.BuildOptions{Env: func(string) (string, bool) { return "set-when-serve-starts", true }}
	for _, b := range blocks {
		var c canary.Config
		if d := gohcl.DecodeBody(b.Body, nil, &c); d.HasErrors() {
			*diags = append(*diags, d...)
			continue
		}
		c.Name = b.Name
		if _, err := canary.Build(c, lenient); err != nil {
			errAt(b.NameRange, "Invalid canary", err.Error())
			continue
		}
		if c.Env != "" && !slices.ContainsFunc(envs, func(e Environment) bool { return e.Name == c.Env }) {
			errAt(b.NameRange, "Unknown environment", fmt.Sprintf("canary %q names environment %q, which no environment block declares.", c.Name, c.Env))
		}
		key := c.Env + "/" + c.Name
		if prev, dup := seen[key]; dup {
			errAt(b.NameRange, "Duplicate canary", fmt.Sprintf("canary %q of environment %q is already declared at %s.", c.Name, c.Env, pos(prev)))
			continue
		}
		seen[key] = b.NameRange
		out = append(out, c)
	}
	return set, out
}
