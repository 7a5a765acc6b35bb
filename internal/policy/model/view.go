package model

import (
	"sort"
	"strings"
)

// View is what one rule pass looks at: the resources of every module
// instance (from HCL or from a plan), and for the HCL pass the backends,
// providers and workflows too.
type View struct {
	// Source is "hcl" or "plan".
	Source    string
	Modules   []*Module
	Resources []*Resource
	// Backends and Providers carry the module they belong to in Block.mod;
	// use BlockModule to read it.
	Backends  []*Block
	Providers []*Block
	Workflows []*Workflow

	byType map[string][]*Resource
}

// View returns the HCL view of the project.
func (p *Project) View() *View {
	v := &View{Source: "hcl", Modules: p.Modules, Workflows: p.Workflows}
	for _, m := range p.Modules {
		v.Resources = append(v.Resources, m.Resources...)
		v.Backends = append(v.Backends, m.Backends...)
		v.Providers = append(v.Providers, m.Providers...)
	}
	return v
}

func (v *View) index() {
	if v.byType != nil {
		return
	}
	v.byType = map[string][]*Resource{}
	for _, r := range v.Resources {
		k := r.Type
		if r.Mode == Data {
			k = "data." + k
		}
		v.byType[k] = append(v.byType[k], r)
	}
}

// OfType returns the managed resources of the given types, in load order.
func (v *View) OfType(types ...string) []*Resource {
	v.index()
	if len(types) == 1 {
		return v.byType[types[0]]
	}
	var out []*Resource
	for _, t := range types {
		out = append(out, v.byType[t]...)
	}
	return out
}

// DataOfType returns the data sources of the given types.
func (v *View) DataOfType(types ...string) []*Resource {
	v.index()
	var out []*Resource
	for _, t := range types {
		out = append(out, v.byType["data."+t]...)
	}
	return out
}

// InModule returns the managed resources of a type in one module instance.
func (v *View) InModule(m *Module, typ string) []*Resource {
	var out []*Resource
	for _, r := range v.OfType(typ) {
		if r.Module == m {
			out = append(out, r)
		}
	}
	return out
}

// BlockModule returns the module instance a block was evaluated in.
func BlockModule(b *Block) *Module {
	if b == nil {
		return nil
	}
	return b.mod
}

// Module returns the module instance the attribute was evaluated in.
func (a *Attribute) Module() *Module {
	if a == nil {
		return nil
	}
	return a.mod
}

// Refers reports whether the attribute points at the target resource: its
// expression refers to it within the same module instance, or its known
// value equals one of the target's known identifiers (id, arn, name,
// bucket).
func Refers(a *Attribute, target *Resource) bool {
	if a.Absent() || target == nil {
		return false
	}
	if a.mod == target.Module {
		local := target.LocalAddress()
		for _, r := range a.Refs {
			if r == local {
				return true
			}
		}
	}
	vals, _ := a.Strings()
	if len(vals) == 0 {
		return false
	}
	for _, k := range []string{"id", "arn", "name", "bucket"} {
		s, ok := target.Attr(k).Str()
		if !ok || s == "" {
			continue
		}
		for _, v := range vals {
			if v == s {
				return true
			}
		}
	}
	return false
}

// Opaque reports whether the attribute's value comes from somewhere the
// model cannot follow (a variable without value, a module output, another
// module's resource): absence rules use it to stay quiet rather than guess.
func Opaque(a *Attribute) bool {
	if a.Absent() || a.Known() {
		return false
	}
	for _, r := range a.Refs {
		for _, prefix := range []string{"var.", "data.", "module.", "local."} {
			if strings.HasPrefix(r, prefix) {
				return true
			}
		}
	}
	return len(a.Refs) == 0
}

// SortResources orders resources by file and line (stable).
func SortResources(rs []*Resource) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].DefRange, rs[j].DefRange
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Line < b.Start.Line
	})
}
