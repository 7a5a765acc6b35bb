package tfconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Module is what vigil reads from one directory of Terraform files.
type Module struct {
	// Dir is the absolute directory.
	Dir string
	// Files are the configuration files read, absolute, sorted.
	Files []string
	// Backend is the `terraform { backend "<type>" {} }` block, if any.
	Backend *Backend
	// RemoteStates are the `data "terraform_remote_state"` blocks.
	RemoteStates []RemoteState
	// ModuleCalls are the `module` blocks.
	ModuleCalls []ModuleCall
	// RequiredProviders are the entries of `terraform { required_providers {} }`
	// by local name.
	RequiredProviders map[string]ProviderRequirement
	// ProviderRefs are the provider local names the module's resources, data
	// sources and provider blocks use, sorted. A name missing from
	// RequiredProviders means the implied source hashicorp/<name>.
	ProviderRefs []string
	// Diags are parse problems; what could be read was still read.
	Diags hcl.Diagnostics
}

// Backend is a backend block.
type Backend struct {
	Type string
	// Key is the literal `key` argument, or "" when absent or not literal.
	Key   string
	Range hcl.Range
}

// RemoteState is a `data "terraform_remote_state"` block.
type RemoteState struct {
	Name    string
	Backend string
	// Key is the literal `key` of its config object, or "" when absent or
	// not a literal string.
	Key   string
	Range hcl.Range
}

// ModuleCall is a `module` block.
type ModuleCall struct {
	Name    string
	Source  string
	Version string
	// LocalDir is the absolute directory of a local source ("./x", "../x"),
	// else "".
	LocalDir string
	Range    hcl.Range
}

// ProviderRequirement is one required_providers entry.
type ProviderRequirement struct {
	// Source as written ("hashicorp/aws"), or "" when not given.
	Source string
	// Version is the version constraint string, or "".
	Version string
}

// LoadModule reads the *.tf and *.tofu files in dir (not its subdirectories).
// It returns an error only when the directory cannot be read.
func LoadModule(dir string) (*Module, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("read module %s: %w", dir, err)
	}
	m := &Module{Dir: abs, RequiredProviders: map[string]ProviderRequirement{}}
	refs := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !IsConfigFile(e.Name()) {
			continue
		}
		path := filepath.Join(abs, e.Name())
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read module %s: %w", dir, err)
		}
		m.Files = append(m.Files, path)
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		m.Diags = append(m.Diags, diags...)
		if body, ok := f.Body.(*hclsyntax.Body); ok && body != nil {
			m.readBody(body, refs)
		}
	}
	sort.Strings(m.Files)
	for name := range refs {
		m.ProviderRefs = append(m.ProviderRefs, name)
	}
	sort.Strings(m.ProviderRefs)
	return m, nil
}

// IsConfigFile reports whether a file name is Terraform/OpenTofu native
// configuration (*.tf, *.tofu).
func IsConfigFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tofu")
}

// HasConfigFiles reports whether dir holds at least one *.tf or *.tofu file.
func HasConfigFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(entries, func(e os.DirEntry) bool { return !e.IsDir() && IsConfigFile(e.Name()) })
}

func (m *Module) readBody(body *hclsyntax.Body, refs map[string]bool) {
	for _, b := range body.Blocks {
		switch b.Type {
		case "terraform":
			m.readTerraformBlock(b)
		case "data":
			if len(b.Labels) == 2 && b.Labels[0] == "terraform_remote_state" {
				m.readRemoteState(b)
			}
			addProviderRef(refs, b)
		case "resource", "ephemeral":
			addProviderRef(refs, b)
		case "provider":
			if len(b.Labels) == 1 {
				refs[b.Labels[0]] = true
			}
		case "module":
			m.readModuleCall(b)
		}
	}
}

func (m *Module) readTerraformBlock(tb *hclsyntax.Block) {
	for _, b := range tb.Body.Blocks {
		switch b.Type {
		case "backend":
			if len(b.Labels) != 1 {
				continue
			}
			be := &Backend{Type: b.Labels[0], Range: b.DefRange()}
			if a, ok := b.Body.Attributes["key"]; ok {
				be.Key, _ = literalString(a.Expr)
			}
			m.Backend = be
		case "required_providers":
			for name, a := range b.Body.Attributes {
				req := ProviderRequirement{}
				if s, ok := literalString(a.Expr); ok { // legacy: aws = "~> 5.0"
					req.Version = s
				} else {
					items := objectItems(a.Expr)
					req.Source, _ = literalString(items["source"])
					req.Version, _ = literalString(items["version"])
				}
				m.RequiredProviders[name] = req
			}
		}
	}
}

func (m *Module) readRemoteState(b *hclsyntax.Block) {
	rs := RemoteState{Name: b.Labels[1], Range: b.DefRange()}
	if a, ok := b.Body.Attributes["backend"]; ok {
		rs.Backend, _ = literalString(a.Expr)
	}
	if a, ok := b.Body.Attributes["config"]; ok {
		rs.Key, _ = literalString(objectItems(a.Expr)["key"])
	}
	m.RemoteStates = append(m.RemoteStates, rs)
}

func (m *Module) readModuleCall(b *hclsyntax.Block) {
	if len(b.Labels) != 1 {
		return
	}
	mc := ModuleCall{Name: b.Labels[0], Range: b.DefRange()}
	if a, ok := b.Body.Attributes["source"]; ok {
		mc.Source, _ = literalString(a.Expr)
	}
	if a, ok := b.Body.Attributes["version"]; ok {
		mc.Version, _ = literalString(a.Expr)
	}
	if IsLocalSource(mc.Source) {
		mc.LocalDir = filepath.Join(m.Dir, filepath.FromSlash(mc.Source))
	}
	m.ModuleCalls = append(m.ModuleCalls, mc)
}

// IsLocalSource reports whether a module source is a local path.
func IsLocalSource(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") ||
		strings.HasPrefix(src, `.\`) || strings.HasPrefix(src, `..\`)
}

// addProviderRef records the provider a resource or data block uses: its
// `provider` argument, else the type's prefix (aws_s3_bucket → aws).
func addProviderRef(refs map[string]bool, b *hclsyntax.Block) {
	if len(b.Labels) != 2 {
		return
	}
	if a, ok := b.Body.Attributes["provider"]; ok {
		if trav, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() && len(trav) > 0 {
			refs[trav.RootName()] = true
			return
		}
	}
	name, _, _ := strings.Cut(b.Labels[0], "_")
	if name != "terraform" { // terraform_remote_state, terraform_data: built in
		refs[name] = true
	}
}

// LocalModules returns every local module m calls, directly or through other
// local modules, sorted by directory and without m itself.
func LocalModules(m *Module) ([]*Module, error) {
	seen := map[string]bool{m.Dir: true}
	var out []*Module
	queue := []*Module{m}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, mc := range cur.ModuleCalls {
			if mc.LocalDir == "" || seen[mc.LocalDir] {
				continue
			}
			seen[mc.LocalDir] = true
			child, err := LoadModule(mc.LocalDir)
			if err != nil {
				return nil, fmt.Errorf("module %q called from %s: %w", mc.Name, cur.Dir, err)
			}
			out = append(out, child)
			queue = append(queue, child)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

// literalString evaluates expr without variables and returns it when it is a
// known string.
func literalString(expr hcl.Expression) (string, bool) {
	if expr == nil {
		return "", false
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// objectItems returns the items of an object constructor `{ k = v }` whose
// keys are literal, so single values can be read even when others refer to
// variables.
func objectItems(expr hcl.Expression) map[string]hcl.Expression {
	out := map[string]hcl.Expression{}
	obj, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return out
	}
	for _, item := range obj.Items {
		key := hcl.ExprAsKeyword(item.KeyExpr)
		if key == "" {
			key, _ = literalString(item.KeyExpr)
		}
		if key != "" {
			out[key] = item.ValueExpr
		}
	}
	return out
}
