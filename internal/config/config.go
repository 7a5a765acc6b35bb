package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/canary"
)

// FileName is the name of the project file at a repository root.
const FileName = "vigil.hcl"

// Targets an environment can be deployed to.
const (
	TargetSandbox = "sandbox" // the embedded AWS-compatible endpoint (default)
	TargetAWS     = "aws"     // a real AWS account
)

// Defaults applied when vigil.hcl leaves a setting out.
const (
	DefaultStacksRoot = "live"
	DefaultRegion     = "us-east-1"
)

// DefaultLayers is the layer order used when vigil.hcl sets no layers.
var DefaultLayers = []string{"foundation", "workload", "observability", "remediation"}

// ErrNotFound is returned by Find when no vigil.hcl is found.
var ErrNotFound = errors.New("no " + FileName + " found")

// Config is a parsed vigil.hcl.
type Config struct {
	// Path is the absolute path of the vigil.hcl file.
	Path string
	// Root is the repository root: the directory holding vigil.hcl.
	Root string

	Project string
	// StacksRoot is where stacks live, relative to Root (slash-separated).
	StacksRoot string
	// Layers in apply order.
	Layers []string
	// Environments in the order they are declared.
	Environments []Environment
	// Policy configures the policy gate.
	Policy Policy
	// Drift configures drift checks (cadence, ignore rules, tags).
	Drift Drift
	// Serve configures vigil serve (address, store, tokens).
	Serve Serve
	// Alerts is the alerts block (receivers and routes); nil when absent.
	Alerts *alert.Config
	// CanarySettings is the canaries block; nil when absent.
	CanarySettings *canary.Settings
	// Canaries are the canary blocks, validated (header_env variables are
	// read by vigil serve, not here).
	Canaries []canary.Config
}

// Environment is one `environment "<name>" {}` block.
type Environment struct {
	Name string
	// Target is TargetSandbox or TargetAWS.
	Target   string
	Region   string
	Approval bool
	// AllowSelfApproval lets the author of a run approve it
	// (allow_self_approval; default false).
	AllowSelfApproval bool
}

// StacksDir is the absolute directory holding <env>/<layer> stacks.
func (c *Config) StacksDir() string {
	return filepath.Join(c.Root, filepath.FromSlash(c.StacksRoot))
}

// StateDir is the repository's private working directory (.vigil), never
// committed: terraform data dirs, vigil's terraform CLI config, local state.
func (c *Config) StateDir() string {
	return filepath.Join(c.Root, ".vigil")
}

// Environment returns the environment with the given name.
func (c *Config) Environment(name string) (Environment, bool) {
	for _, e := range c.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// EnvironmentNames lists the environments in declaration order.
func (c *Config) EnvironmentNames() []string {
	names := make([]string, len(c.Environments))
	for i, e := range c.Environments {
		names[i] = e.Name
	}
	return names
}

// LayerIndex is the position of layer in the apply order, or -1 when the
// layer is not listed.
func (c *Config) LayerIndex(layer string) int {
	return slices.Index(c.Layers, layer)
}

// Find walks up from dir to the first directory holding vigil.hcl and returns
// that file's absolute path.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		p := filepath.Join(d, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w in %s or any parent directory: run vigil inside a vigil repository, or point at one with -C DIR (for example: vigil -C blueprint check)", ErrNotFound, abs)
		}
		d = parent
	}
}

// Load reads and validates the vigil.hcl at path.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read project file: %w", err)
	}
	return Parse(src, abs)
}

// Parse parses vigil.hcl source. filename is used in diagnostics and to
// derive Root.
func Parse(src []byte, filename string) (*Config, error) {
	f, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags}
	}
	var raw fileSchema
	if diags := gohcl.DecodeBody(f.Body, nil, &raw); diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags}
	}
	cfg, diags := decode(&raw, f.Body)
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags}
	}
	cfg.Path = filename
	cfg.Root = filepath.Dir(filename)
	return cfg, nil
}

// fileSchema is the HCL shape of vigil.hcl. Adding a block: add a field
// here, then read it in decode.
type fileSchema struct {
	Project         string             `hcl:"project"`
	StacksRoot      *string            `hcl:"stacks_root,optional"`
	StacksRootRange hcl.Range          `hcl:"stacks_root,attr_range"`
	Layers          *[]string          `hcl:"layers,optional"`
	LayersRange     hcl.Range          `hcl:"layers,attr_range"`
	Environments    []environmentBlock `hcl:"environment,block"`
	Policy          []policyBlock      `hcl:"policy,block"`
	Drift           []driftBlock       `hcl:"drift,block"`
	Serve           []serveBlock       `hcl:"serve,block"`
	Alerts          []bodyBlock        `hcl:"alerts,block"`
	CanarySettings  []bodyBlock        `hcl:"canaries,block"`
	Canaries        []namedBodyBlock   `hcl:"canary,block"`
}

type environmentBlock struct {
	Name        string    `hcl:"name,label"`
	NameRange   hcl.Range `hcl:"name,label_range"`
	Target      *string   `hcl:"target,optional"`
	TargetRange hcl.Range `hcl:"target,attr_range"`
	Region      *string   `hcl:"region,optional"`
	Approval    *bool     `hcl:"approval,optional"`
	SelfApprove *bool     `hcl:"allow_self_approval,optional"`
}

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)

// decode applies defaults and validates.
func decode(raw *fileSchema, body hcl.Body) (*Config, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	errAt := func(rng hcl.Range, summary, detail string) {
		r := rng
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
	}
	cfg := &Config{Project: raw.Project, StacksRoot: DefaultStacksRoot, Layers: slices.Clone(DefaultLayers)}

	if strings.TrimSpace(raw.Project) == "" {
		errAt(body.MissingItemRange(), "Empty project name", `Set project to a short name for this repository, for example project = "payments".`)
	}
	if raw.StacksRoot != nil {
		sr := filepath.ToSlash(filepath.Clean(filepath.FromSlash(*raw.StacksRoot)))
		if *raw.StacksRoot == "" || filepath.IsAbs(*raw.StacksRoot) || sr == ".." || strings.HasPrefix(sr, "../") {
			errAt(raw.StacksRootRange, "Invalid stacks_root", "stacks_root must be a folder inside the repository, relative to vigil.hcl, for example \"live\".")
		}
		cfg.StacksRoot = sr
	}
	if raw.Layers != nil {
		cfg.Layers = *raw.Layers
		if len(cfg.Layers) == 0 {
			errAt(raw.LayersRange, "Empty layers", "List the layers in apply order, or remove the attribute to use the default "+fmt.Sprintf("%q", DefaultLayers)+".")
		}
		seen := map[string]bool{}
		for _, l := range cfg.Layers {
			switch {
			case !nameRe.MatchString(l):
				errAt(raw.LayersRange, "Invalid layer name", fmt.Sprintf("Layer %q is not a valid folder name: use letters, digits, '-' and '_'.", l))
			case seen[l]:
				errAt(raw.LayersRange, "Duplicate layer", fmt.Sprintf("Layer %q is listed twice; each layer appears once, in apply order.", l))
			}
			seen[l] = true
		}
	}

	if len(raw.Environments) == 0 {
		errAt(body.MissingItemRange(), "No environments", `Declare at least one environment, for example: environment "dev" { target = "sandbox" }.`)
	}
	seen := map[string]hcl.Range{}
	for _, b := range raw.Environments {
		env := Environment{Name: b.Name, Target: TargetSandbox, Region: DefaultRegion}
		if !nameRe.MatchString(b.Name) {
			errAt(b.NameRange, "Invalid environment name", fmt.Sprintf("Environment %q is not a valid folder name: use letters, digits, '-' and '_'.", b.Name))
		}
		if prev, dup := seen[b.Name]; dup {
			errAt(b.NameRange, "Duplicate environment", fmt.Sprintf("Environment %q is already declared at %s; merge the two blocks.", b.Name, pos(prev)))
		} else {
			seen[b.Name] = b.NameRange
		}
		if b.Target != nil {
			env.Target = *b.Target
			if env.Target != TargetSandbox && env.Target != TargetAWS {
				errAt(b.TargetRange, "Invalid target", fmt.Sprintf("target is %q; it must be %q (the embedded AWS-compatible endpoint) or %q (a real account).", env.Target, TargetSandbox, TargetAWS))
			}
		}
		if b.Region != nil {
			env.Region = *b.Region
		}
		if b.Approval != nil {
			env.Approval = *b.Approval
		}
		if b.SelfApprove != nil {
			env.AllowSelfApproval = *b.SelfApprove
		}
		cfg.Environments = append(cfg.Environments, env)
	}
	if len(raw.Policy) > 1 {
		errAt(body.MissingItemRange(), "Duplicate policy block", "Declare one policy block.")
	}
	pol, pdiags := decodePolicy(raw.Policy, cfg.Environments)
	diags = append(diags, pdiags...)
	cfg.Policy = pol
	cfg.Drift = decodeDrift(raw.Drift, cfg.Environments, &diags)
	cfg.Serve = decodeServe(raw.Serve, &diags)
	cfg.Alerts = decodeAlerts(raw.Alerts, cfg.Environments, &diags)
	cfg.CanarySettings, cfg.Canaries = decodeCanaries(raw.CanarySettings, raw.Canaries, cfg.Environments, &diags)
	return cfg, diags
}

// DiagnosticsError is a vigil.hcl that does not parse or validate.
type DiagnosticsError struct {
	Diags hcl.Diagnostics
}

func (e *DiagnosticsError) Error() string {
	var b strings.Builder
	for i, d := range e.Diags.Errs() {
		if i > 0 {
			b.WriteString("\n")
		}
		var diag *hcl.Diagnostic
		if !errors.As(d, &diag) {
			b.WriteString(d.Error())
			continue
		}
		if diag.Subject != nil {
			b.WriteString(pos(*diag.Subject))
			b.WriteString(": ")
		}
		b.WriteString(diag.Summary)
		if diag.Detail != "" {
			b.WriteString("; ")
			b.WriteString(diag.Detail)
		}
	}
	return b.String()
}

func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
