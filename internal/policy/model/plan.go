package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/zclconf/go-cty/cty"
)

// LoadPlan reads plan JSON (the output of terraform show -json PLAN). A file
// that is not valid plan JSON gives a Diagnostic with the line and column of
// the problem.
func LoadPlan(path string) (*tfjson.Plan, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, Diagnostic{Range: Range{Filename: path}, Summary: "cannot read plan", Detail: err.Error()}
	}
	var plan tfjson.Plan
	if err := json.Unmarshal(src, &plan); err != nil {
		var off int64 = -1
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		r := Range{Filename: path, Start: finding.Pos{Line: 1, Column: 1}}
		if off >= 0 {
			r.Start = offsetPos(src, int(off))
		}
		return nil, Diagnostic{Range: r, Summary: "not a valid plan JSON file (want the output of terraform show -json PLANFILE)", Detail: err.Error()}
	}
	if plan.FormatVersion == "" || (len(plan.ResourceChanges) == 0 && plan.PlannedValues == nil && plan.Config == nil) {
		return nil, Diagnostic{Range: Range{Filename: path, Start: finding.Pos{Line: 1, Column: 1}}, Summary: "not a plan JSON file", Detail: "no format_version, resource_changes or planned_values; want the output of terraform show -json PLANFILE"}
	}
	return &plan, nil
}

func offsetPos(src []byte, off int) finding.Pos {
	if off > len(src) {
		off = len(src)
	}
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return finding.Pos{Line: line, Column: col}
}

// PlanView builds the view of a plan: every resource the plan creates,
// updates or keeps, with resolved values, each pointing back to the resource
// block that declared it in the loaded HCL (found by address under the root
// that matches the plan best), or to the plan file when there is none.
func (p *Project) PlanView(plan *tfjson.Plan, planPath string) *View {
	v := &View{Source: "plan"}
	// Which loaded root is this plan of?
	var addrs []string
	for _, rc := range plan.ResourceChanges {
		addrs = append(addrs, stripKeys(rc.Address))
	}
	var best map[string]*Resource
	bestN := 0
	for _, root := range p.Roots {
		idx := map[string]*Resource{}
		var walk func(m *Module)
		walk = func(m *Module) {
			for _, r := range m.Resources {
				if _, ok := idx[r.ConfigAddress()]; !ok {
					idx[r.ConfigAddress()] = r
				}
			}
			for _, c := range m.Children {
				walk(c)
			}
		}
		walk(root)
		n := 0
		for _, a := range addrs {
			if idx[a] != nil {
				n++
			}
		}
		if n > bestN {
			best, bestN = idx, n
		}
	}
	cfgRefs := configRefs(plan)

	modules := map[string]*Module{}
	moduleFor := func(addr string, src *Resource) *Module {
		if m, ok := modules[addr]; ok {
			return m
		}
		m := &Module{Address: addr, Outputs: map[string]cty.Value{}}
		if src != nil {
			m.Dir = src.Module.Dir
		}
		modules[addr] = m
		v.Modules = append(v.Modules, m)
		return m
	}
	planRange := Range{Filename: planPath}
	add := func(addr, modAddr string, mode Mode, typ, name string, index any, val cty.Value) {
		src := best[stripKeys(addr)]
		m := moduleFor(modAddr, src)
		def, rng := planRange, planRange
		var hb *Block
		if src != nil {
			hb = src.Block
			def, rng = src.DefRange, src.Range
		}
		blk := blockFromObject(typ, val, def, rng, m, hb)
		if src == nil {
			for k, refs := range cfgRefs[stripKeys(addr)] {
				if a := blk.Attrs[k]; a != nil {
					a.Refs = refs
				}
			}
		}
		v.Resources = append(v.Resources, &Resource{Block: blk, Mode: mode, Type: typ, Name: name, Key: keyString(index), Module: m, FromPlan: true})
	}
	seen := map[string]bool{}
	for _, rc := range plan.ResourceChanges {
		if rc.Change == nil || rc.Change.After == nil || rc.Change.Actions.Delete() || rc.DeposedKey != "" {
			continue
		}
		mode := Managed
		if rc.Mode == tfjson.DataResourceMode {
			mode = Data
		}
		seen[rc.Address] = true
		add(rc.Address, rc.ModuleAddress, mode, rc.Type, rc.Name, rc.Index, toCty(rc.Change.After, rc.Change.AfterUnknown))
	}
	// Data sources read during planning are only in the prior state.
	if plan.PriorState != nil && plan.PriorState.Values != nil {
		var walk func(sm *tfjson.StateModule)
		walk = func(sm *tfjson.StateModule) {
			if sm == nil {
				return
			}
			for _, r := range sm.Resources {
				if r.Mode != tfjson.DataResourceMode || seen[r.Address] {
					continue
				}
				seen[r.Address] = true
				add(r.Address, sm.Address, Data, r.Type, r.Name, r.Index, toCty(map[string]any(r.AttributeValues), nil))
			}
			for _, c := range sm.ChildModules {
				walk(c)
			}
		}
		walk(plan.PriorState.Values.RootModule)
	}
	return v
}

func keyString(index any) string {
	switch k := index.(type) {
	case nil:
		return ""
	case float64:
		return fmt.Sprintf("[%d]", int(k))
	case json.Number:
		return "[" + k.String() + "]"
	case string:
		return fmt.Sprintf("[%q]", k)
	}
	return fmt.Sprintf("[%v]", index)
}

// configRefs indexes the references of each resource's top-level arguments
// in the plan's configuration section, by config address.
func configRefs(plan *tfjson.Plan) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	if plan.Config == nil {
		return out
	}
	var walk func(prefix string, cm *tfjson.ConfigModule)
	walk = func(prefix string, cm *tfjson.ConfigModule) {
		if cm == nil {
			return
		}
		for _, r := range cm.Resources {
			addr := r.Address
			if prefix != "" {
				addr = prefix + "." + addr
			}
			m := map[string][]string{}
			for k, e := range r.Expressions {
				if e == nil || e.ExpressionData == nil {
					continue
				}
				var refs []string
				for _, ref := range e.References {
					parts := strings.Split(ref, ".")
					n := 2
					if parts[0] == "data" {
						n = 3
					}
					if len(parts) == n {
						refs = append(refs, stripKeys(ref))
					}
				}
				m[k] = refs
			}
			out[addr] = m
		}
		names := make([]string, 0, len(cm.ModuleCalls))
		for n := range cm.ModuleCalls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			mc := cm.ModuleCalls[n]
			p := "module." + n
			if prefix != "" {
				p = prefix + "." + p
			}
			walk(p, mc.Module)
		}
	}
	walk("", plan.Config.RootModule)
	return out
}

// toCty converts a decoded JSON value, marking what after_unknown says is
// unknown.
func toCty(v any, unk any) cty.Value {
	if b, ok := unk.(bool); ok && b {
		return cty.DynamicVal
	}
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case bool:
		return cty.BoolVal(x)
	case string:
		return cty.StringVal(x)
	case float64:
		return cty.NumberFloatVal(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return cty.NumberFloatVal(f)
		}
		return cty.StringVal(x.String())
	case []any:
		us, _ := unk.([]any)
		n := len(x)
		if len(us) > n {
			n = len(us)
		}
		if n == 0 {
			return cty.EmptyTupleVal
		}
		elems := make([]cty.Value, n)
		for i := 0; i < n; i++ {
			var e, u any
			if i < len(x) {
				e = x[i]
			}
			if i < len(us) {
				u = us[i]
			}
			elems[i] = toCty(e, u)
		}
		return cty.TupleVal(elems)
	case map[string]any:
		um, _ := unk.(map[string]any)
		attrs := make(map[string]cty.Value, len(x))
		for k, e := range x {
			attrs[k] = toCty(e, um[k])
		}
		for k, u := range um {
			if _, ok := x[k]; !ok {
				if b, ok := u.(bool); ok && b {
					attrs[k] = cty.DynamicVal
				}
			}
		}
		return objectOrEmpty(attrs)
	}
	return cty.DynamicVal
}
