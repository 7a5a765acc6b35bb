package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/vigil-sre/vigil/internal/tfconfig"
)

// Provider is a provider source address: host/namespace/type.
type Provider struct {
	Host      string
	Namespace string
	Type      string
}

func (p Provider) String() string { return p.Host + "/" + p.Namespace + "/" + p.Type }

// ParseProvider parses a source address as written in required_providers
// ("aws", "hashicorp/aws", "registry.terraform.io/hashicorp/aws"); defaultHost
// completes the short forms.
func ParseProvider(src, defaultHost string) (Provider, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(src)), "/")
	switch len(parts) {
	case 1:
		parts = []string{defaultHost, "hashicorp", parts[0]}
	case 2:
		parts = append([]string{defaultHost}, parts...)
	}
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Provider{}, fmt.Errorf("invalid provider source %q: want [host/]namespace/type", src)
	}
	return Provider{Host: parts[0], Namespace: parts[1], Type: parts[2]}, nil
}

// builtinTerraform is the provider of terraform_remote_state and
// terraform_data; it is never installed.
func (p Provider) builtin() bool { return p.Host == "terraform.io" && p.Namespace == "builtin" }

// Requirement is what a set of configurations needs of one provider.
type Requirement struct {
	Provider Provider
	// Constraints is every version constraint found (all must hold); a
	// locked version in .terraform.lock.hcl counts as "= <version>".
	Constraints version.Constraints
	// RequiredBy are the directories that need it.
	RequiredBy []string
}

// ConstraintString renders the constraints ("" when any version will do).
func (r Requirement) ConstraintString() string {
	var parts []string
	for _, c := range r.Constraints {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, ", ")
}

// Requirements reads the providers the configurations in dirs need: their
// required_providers (and those of the local modules they call), providers
// used without being declared (implied hashicorp/<name>), and versions
// pinned by each directory's .terraform.lock.hcl.
func Requirements(dirs []string, defaultHost string) ([]Requirement, error) {
	byAddr := map[Provider]*Requirement{}
	add := func(p Provider, c version.Constraints, dir string) {
		if p.builtin() {
			return
		}
		r, ok := byAddr[p]
		if !ok {
			r = &Requirement{Provider: p}
			byAddr[p] = r
		}
		r.Constraints = append(r.Constraints, c...)
		if len(r.RequiredBy) == 0 || r.RequiredBy[len(r.RequiredBy)-1] != dir {
			r.RequiredBy = append(r.RequiredBy, dir)
		}
	}
	for _, dir := range dirs {
		root, err := tfconfig.LoadModule(dir)
		if err != nil {
			return nil, err
		}
		mods, err := tfconfig.LocalModules(root)
		if err != nil {
			return nil, err
		}
		for _, m := range append([]*tfconfig.Module{root}, mods...) {
			for name, req := range m.RequiredProviders {
				src := req.Source
				if src == "" {
					src = "hashicorp/" + name
				}
				p, err := ParseProvider(src, defaultHost)
				if err != nil {
					return nil, fmt.Errorf("%s: required_providers %s: %w", m.Dir, name, err)
				}
				var cons version.Constraints
				if req.Version != "" {
					if cons, err = version.NewConstraint(req.Version); err != nil {
						return nil, fmt.Errorf("%s: required_providers %s: invalid version constraint %q: %w", m.Dir, name, req.Version, err)
					}
				}
				add(p, cons, root.Dir)
			}
			for _, name := range m.ProviderRefs {
				if _, declared := m.RequiredProviders[name]; declared {
					continue
				}
				p, err := ParseProvider("hashicorp/"+name, defaultHost)
				if err == nil {
					add(p, nil, root.Dir)
				}
			}
		}
		locked, err := readLockFile(filepath.Join(root.Dir, LockFileName), defaultHost)
		if err != nil {
			return nil, err
		}
		for p, v := range locked {
			c, err := version.NewConstraint("= " + v)
			if err == nil {
				add(p, c, root.Dir)
			}
		}
	}
	out := make([]Requirement, 0, len(byAddr))
	for _, r := range byAddr {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider.String() < out[j].Provider.String() })
	return out, nil
}

// LockFileName is Terraform's dependency lock file, kept in the
// configuration directory.
const LockFileName = ".terraform.lock.hcl"

// readLockFile returns the locked version of each provider, or nil when the
// file does not exist.
func readLockFile(path, defaultHost string) (map[Provider]string, error) {
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("read %s: %s; fix or delete the file, then run terraform init", path, diags.Error())
	}
	out := map[Provider]string{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "provider" || len(b.Labels) != 1 {
			continue
		}
		p, err := ParseProvider(b.Labels[0], defaultHost)
		if err != nil {
			continue
		}
		if a, ok := b.Body.Attributes["version"]; ok {
			if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type().FriendlyName() == "string" {
				out[p] = v.AsString()
			}
		}
	}
	return out, nil
}
