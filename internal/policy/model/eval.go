package model

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Mode tells managed resources from data sources.
type Mode int

// Resource modes.
const (
	Managed Mode = iota
	Data
)

// Module is one instance of a module directory: a root, or a local module
// called (with its arguments) from another instance.
type Module struct {
	Dir string
	// Address is "" for a root, "module.net" or "module.a.module.b" below.
	Address string
	Parent  *Module
	Root    *Module
	// Call is the module block in the parent that created this instance.
	Call *Block

	Resources []*Resource
	Providers []*Block
	// Backends are the terraform { backend "…" {} } blocks of a root, with
	// settings from *.tfbackend / backend.hcl files beside it merged in.
	Backends []*Block
	Children []*Module
	Outputs  map[string]cty.Value

	ctx *hcl.EvalContext
}

// Resource is one resource or data block instance. Blocks with a known
// count or for_each are expanded into one Resource per instance, all sharing
// the block's source ranges.
type Resource struct {
	*Block
	Mode Mode
	Type string
	Name string
	// Key is the instance key as Terraform prints it ("[0]", `["a"]`), or "".
	Key    string
	Module *Module
	// FromPlan is set for resources built from plan JSON.
	FromPlan bool
}

// LocalAddress is the address inside its module ("aws_vpc.this",
// "data.aws_iam_policy_document.x"), without instance key.
func (r *Resource) LocalAddress() string {
	if r.Mode == Data {
		return "data." + r.Type + "." + r.Name
	}
	return r.Type + "." + r.Name
}

// Address is the full address with module path and instance key.
func (r *Resource) Address() string {
	a := r.LocalAddress() + r.Key
	if r.Module != nil && r.Module.Address != "" {
		return r.Module.Address + "." + a
	}
	return a
}

// ConfigAddress is the address without instance keys anywhere, which is how
// plan resources are matched to blocks.
func (r *Resource) ConfigAddress() string {
	a := r.LocalAddress()
	if r.Module != nil && r.Module.Address != "" {
		return stripKeys(r.Module.Address) + "." + a
	}
	return a
}

// stripKeys removes instance keys from an address: module.a["x"].b[0] → module.a.b.
func stripKeys(addr string) string {
	if !strings.Contains(addr, "[") {
		return addr
	}
	var sb strings.Builder
	depth := 0
	inStr := false
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"' && depth > 0:
			inStr = true
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

type srcBlock struct {
	b *hclsyntax.Block
	f *File
}

// meta-arguments that are not values.
var notValues = map[string]bool{"depends_on": true, "provider": true, "providers": true, "ignore_changes": true, "replace_triggered_by": true}

func (p *Project) instantiate(dir string, parent *Module, call *Block, addr string, args map[string]cty.Value, depth int) *Module {
	m := &Module{Dir: dir, Address: addr, Parent: parent, Call: call, Outputs: map[string]cty.Value{}}
	m.Root = m
	if parent != nil {
		m.Root = parent.Root
	}
	df := p.parseDir(dir)

	var vars, resources, modules, providers, terraforms, outputs []srcBlock
	localExprs := map[string]*hclsyntax.Attribute{}
	var localNames []string
	for _, f := range df.tf {
		if f.Body == nil {
			continue
		}
		for _, b := range f.Body.Blocks {
			sb := srcBlock{b, f}
			switch b.Type {
			case "variable":
				vars = append(vars, sb)
			case "locals":
				for name, a := range b.Body.Attributes {
					if _, dup := localExprs[name]; !dup {
						localNames = append(localNames, name)
					}
					localExprs[name] = a
				}
			case "resource", "data":
				if len(b.Labels) == 2 {
					resources = append(resources, sb)
				}
			case "module":
				if len(b.Labels) == 1 {
					modules = append(modules, sb)
				}
			case "provider":
				providers = append(providers, sb)
			case "terraform":
				terraforms = append(terraforms, sb)
			case "output":
				if len(b.Labels) == 1 {
					outputs = append(outputs, sb)
				}
			}
		}
	}
	sort.Strings(localNames)

	// Variables: call arguments; for a root, tfvars then non-null defaults.
	tfvars := map[string]cty.Value{}
	if parent == nil {
		for _, f := range df.tfvars {
			if f.Body == nil {
				continue
			}
			for name, a := range f.Body.Attributes {
				if v, diags := a.Expr.Value(nil); !diags.HasErrors() {
					tfvars[name] = v
				}
			}
		}
	}
	varVals := map[string]cty.Value{}
	for _, vb := range vars {
		name := vb.b.Labels[0]
		val := cty.DynamicVal
		def, hasDef := vb.b.Body.Attributes["default"]
		var defVal cty.Value
		if hasDef {
			defVal = evalExpr(def.Expr, nil)
		}
		switch {
		case args != nil:
			if v, ok := args[name]; ok {
				val = v
			} else if hasDef {
				val = defVal
			}
		default:
			if v, ok := tfvars[name]; ok {
				val = v
			} else if hasDef && !(defVal.IsKnown() && defVal.IsNull()) {
				// A null default in a root that may be a reusable module
				// is left unknown: a caller may well set it.
				val = defVal
			}
		}
		if ta, ok := vb.b.Body.Attributes["type"]; ok && val.IsKnown() && !val.IsNull() {
			if ty, diags := typeexpr.TypeConstraint(ta.Expr); !diags.HasErrors() {
				if cv, err := convert.Convert(val, ty); err == nil {
					val = cv
				}
			}
		}
		varVals[name] = val
	}

	m.ctx = p.baseContext().NewChild()
	m.ctx.Functions = fileFuncs(dir)
	vs := map[string]cty.Value{
		"var":       objectOrEmpty(varVals),
		"path":      cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(dir), "root": cty.StringVal(rootDir(m)), "cwd": cty.StringVal(".")}),
		"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
		"data":      cty.DynamicVal,
		"module":    cty.DynamicVal,
		"local":     cty.DynamicVal,
	}
	m.ctx.Variables = vs
	for _, rb := range resources {
		if rb.b.Type == "resource" {
			if _, ok := vs[rb.b.Labels[0]]; !ok {
				vs[rb.b.Labels[0]] = cty.DynamicVal
			}
		}
	}

	evalLocals := func() {
		vals := map[string]cty.Value{}
		state := map[string]int{}
		var eval func(name string) cty.Value
		eval = func(name string) cty.Value {
			switch state[name] {
			case 1:
				return cty.DynamicVal // a cycle
			case 2:
				return vals[name]
			}
			a, ok := localExprs[name]
			if !ok {
				return cty.DynamicVal
			}
			state[name] = 1
			for _, t := range a.Expr.Variables() {
				if t.RootName() != "local" || len(t) < 2 {
					continue
				}
				if s, ok := t[1].(hcl.TraverseAttr); ok {
					vals[s.Name] = eval(s.Name)
				}
			}
			vs["local"] = objectOrEmpty(vals)
			v := evalExpr(a.Expr, m.ctx)
			vals[name] = v
			state[name] = 2
			return v
		}
		for _, n := range localNames {
			eval(n)
		}
		vs["local"] = objectOrEmpty(vals)
	}
	evalLocals()

	// Placeholders for resources: a tuple of the right length under a
	// known count, an object of the right keys under a known for_each, so
	// that aws_subnet.private[*].id has a known length.
	type plannedBlock struct {
		sb    srcBlock
		insts []instance
	}
	var planned []plannedBlock
	dataVals := map[string]map[string]cty.Value{}
	resVals := map[string]map[string]cty.Value{}
	for _, rb := range resources {
		insts, ph := p.instances(rb.b.Body, m.ctx)
		planned = append(planned, plannedBlock{rb, insts})
		target := resVals
		if rb.b.Type == "data" {
			target = dataVals
		}
		t, n := rb.b.Labels[0], rb.b.Labels[1]
		if target[t] == nil {
			target[t] = map[string]cty.Value{}
		}
		target[t][n] = ph
	}
	for t, byName := range resVals {
		vs[t] = cty.ObjectVal(byName)
	}
	dv := map[string]cty.Value{}
	for t, byName := range dataVals {
		dv[t] = cty.ObjectVal(byName)
	}
	vs["data"] = objectOrEmpty(dv)
	evalLocals()

	// Module calls, twice when arguments depend on other modules' outputs.
	moduleVals := map[string]cty.Value{}
	children := make([]*Module, len(modules))
	needsSecond := false
	callChild := func(i int, mb srcBlock) {
		name := mb.b.Labels[0]
		src, local := localSource(mb.b)
		insts, _ := p.instances(mb.b.Body, m.ctx)
		if len(insts) == 0 {
			moduleVals[name] = cty.EmptyTupleVal
			return
		}
		moduleVals[name] = cty.DynamicVal
		if !local {
			return
		}
		childDir := filepath.Clean(filepath.Join(dir, src))
		for a := m; a != nil; a = a.Parent {
			if a.Dir == childDir {
				p.diag(FromHCL(mb.b.DefRange()), "module calls itself", fmt.Sprintf("%s is already an ancestor of %s; not followed", childDir, addr))
				return
			}
		}
		if depth+1 > p.opts.MaxModuleDepth {
			p.diag(FromHCL(mb.b.DefRange()), "modules nested too deep", "not followed")
			return
		}
		ictx := insts[0].context(m.ctx)
		callBlock := m.buildBlock(mb.b, ictx, mb.f)
		args := map[string]cty.Value{}
		for k, a := range callBlock.Attrs {
			switch k {
			case "source", "version", "count", "for_each", "providers", "depends_on":
				continue
			}
			args[k] = a.Value
			for _, r := range a.Refs {
				if strings.HasPrefix(r, "module.") || strings.HasPrefix(r, "local.") {
					needsSecond = true
				}
			}
		}
		childAddr := "module." + name
		if addr != "" {
			childAddr = addr + "." + childAddr
		}
		child := p.instantiate(childDir, m, callBlock, childAddr, args, depth+1)
		children[i] = child
		if len(insts) == 1 && insts[0].key == "" {
			moduleVals[name] = objectOrEmpty(child.Outputs)
		}
	}
	for i, mb := range modules {
		callChild(i, mb)
	}
	vs["module"] = objectOrEmpty(moduleVals)
	if needsSecond {
		evalLocals()
		for i, mb := range modules {
			callChild(i, mb)
		}
		vs["module"] = objectOrEmpty(moduleVals)
	}
	evalLocals()
	for _, c := range children {
		if c != nil {
			m.Children = append(m.Children, c)
		}
	}

	// Resources and data sources, one per known instance.
	for _, pb := range planned {
		mode := Managed
		if pb.sb.b.Type == "data" {
			mode = Data
		}
		for _, in := range pb.insts {
			blk := m.buildBlock(pb.sb.b, in.context(m.ctx), pb.sb.f)
			m.Resources = append(m.Resources, &Resource{
				Block: blk, Mode: mode, Type: pb.sb.b.Labels[0], Name: pb.sb.b.Labels[1], Key: in.key, Module: m,
			})
		}
	}
	for _, pb := range providers {
		m.Providers = append(m.Providers, m.buildBlock(pb.b, m.ctx, pb.f))
	}
	if parent == nil {
		for _, tb := range terraforms {
			for _, bb := range tb.b.Body.Blocks {
				if bb.Type != "backend" || len(bb.Labels) != 1 {
					continue
				}
				blk := m.buildBlock(bb, m.ctx, tb.f)
				for _, f := range df.backends {
					if f.Body == nil {
						continue
					}
					for name, a := range f.Body.Attributes {
						if _, ok := blk.Attrs[name]; ok {
							continue
						}
						blk.Attrs[name] = &Attribute{Name: name, Expr: a.Expr, Value: evalExpr(a.Expr, nil), Range: FromHCL(a.SrcRange), mod: m, src: f.Src}
					}
				}
				m.Backends = append(m.Backends, blk)
			}
		}
	}
	for _, ob := range outputs {
		if a, ok := ob.b.Body.Attributes["value"]; ok {
			m.Outputs[ob.b.Labels[0]] = evalExpr(a.Expr, m.ctx)
		}
	}
	return m
}

func rootDir(m *Module) string {
	if m.Root != nil {
		return m.Root.Dir
	}
	return m.Dir
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// instance is one expansion of count or for_each.
type instance struct {
	key     string
	count   cty.Value // count.index, or NilVal
	eachKey cty.Value // each.key, or NilVal
	eachVal cty.Value
}

func (in instance) context(parent *hcl.EvalContext) *hcl.EvalContext {
	if in.count == cty.NilVal && in.eachKey == cty.NilVal {
		return parent
	}
	c := parent.NewChild()
	c.Variables = map[string]cty.Value{}
	if in.count != cty.NilVal {
		c.Variables["count"] = cty.ObjectVal(map[string]cty.Value{"index": in.count})
	}
	if in.eachKey != cty.NilVal {
		c.Variables["each"] = cty.ObjectVal(map[string]cty.Value{"key": in.eachKey, "value": in.eachVal})
	}
	return c
}

// instances expands count/for_each; ph is the placeholder value other
// expressions see for the block (tuple or object of unknowns).
func (p *Project) instances(body *hclsyntax.Body, ctx *hcl.EvalContext) (insts []instance, ph cty.Value) {
	if a, ok := body.Attributes["count"]; ok {
		v := evalExpr(a.Expr, ctx)
		n, known := AsNumber(v)
		if !known || n < 0 {
			return []instance{{count: cty.UnknownVal(cty.Number)}}, cty.DynamicVal
		}
		cnt := int(n)
		elems := make([]cty.Value, 0, min(cnt, 10000))
		for i := 0; i < cnt && i < 10000; i++ {
			elems = append(elems, cty.DynamicVal)
		}
		ph = cty.TupleVal(elems)
		if cnt > p.opts.MaxInstances {
			return []instance{{count: cty.UnknownVal(cty.Number)}}, ph
		}
		for i := 0; i < cnt; i++ {
			insts = append(insts, instance{key: fmt.Sprintf("[%d]", i), count: cty.NumberIntVal(int64(i))})
		}
		return insts, ph
	}
	if a, ok := body.Attributes["for_each"]; ok {
		v := evalExpr(a.Expr, ctx)
		unknown := []instance{{key: "", eachKey: cty.UnknownVal(cty.String), eachVal: cty.DynamicVal}}
		if !v.IsWhollyKnown() {
			return unknown, cty.DynamicVal
		}
		if v.IsNull() {
			return nil, cty.EmptyObjectVal
		}
		t := v.Type()
		type kv struct {
			k string
			v cty.Value
		}
		var items []kv
		switch {
		case t.IsMapType() || t.IsObjectType():
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				items = append(items, kv{k.AsString(), e})
			}
		case t.IsSetType():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				s, ok := AsString(e)
				if !ok {
					return unknown, cty.DynamicVal
				}
				items = append(items, kv{s, e})
			}
		default:
			return unknown, cty.DynamicVal
		}
		phv := map[string]cty.Value{}
		for _, it := range items {
			phv[it.k] = cty.DynamicVal
		}
		ph = objectOrEmpty(phv)
		if len(items) > p.opts.MaxInstances {
			return unknown, ph
		}
		sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
		for _, it := range items {
			insts = append(insts, instance{key: fmt.Sprintf("[%q]", it.k), eachKey: cty.StringVal(it.k), eachVal: it.v})
		}
		return insts, ph
	}
	return []instance{{}}, cty.DynamicVal
}

// buildBlock evaluates a block's attributes and nested blocks (dynamic
// blocks expanded when their for_each is known).
func (m *Module) buildBlock(sb *hclsyntax.Block, ctx *hcl.EvalContext, f *File) *Block {
	b := &Block{
		Type: sb.Type, Labels: sb.Labels,
		DefRange: FromHCL(sb.DefRange()), Range: FromHCL(sb.Range()),
		Attrs: make(map[string]*Attribute, len(sb.Body.Attributes)), mod: m,
	}
	for name, a := range sb.Body.Attributes {
		at := &Attribute{Name: name, Expr: a.Expr, Range: FromHCL(a.SrcRange), mod: m, src: f.Src, ctx: ctx}
		if notValues[name] {
			at.Value = cty.DynamicVal
		} else {
			at.Value = evalExpr(a.Expr, ctx)
			at.Refs = refs(a.Expr)
		}
		b.Attrs[name] = at
	}
	for _, c := range sb.Body.Blocks {
		if c.Type == "dynamic" && len(c.Labels) == 1 {
			b.Children = append(b.Children, m.expandDynamic(c, ctx, f)...)
			continue
		}
		b.Children = append(b.Children, m.buildBlock(c, ctx, f))
	}
	return b
}

func (m *Module) expandDynamic(d *hclsyntax.Block, ctx *hcl.EvalContext, f *File) []*Block {
	typ := d.Labels[0]
	iter := typ
	if a, ok := d.Body.Attributes["iterator"]; ok {
		if kw := hcl.ExprAsKeyword(a.Expr); kw != "" {
			iter = kw
		}
	}
	var content *hclsyntax.Block
	for _, c := range d.Body.Blocks {
		if c.Type == "content" {
			content = c
			break
		}
	}
	if content == nil {
		return nil
	}
	build := func(k, v cty.Value) *Block {
		c := ctx.NewChild()
		c.Variables = map[string]cty.Value{iter: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
		blk := m.buildBlock(content, c, f)
		blk.Type = typ
		blk.Labels = nil
		blk.DefRange = FromHCL(d.DefRange())
		blk.Range = FromHCL(d.Range())
		return blk
	}
	var fe cty.Value = cty.DynamicVal
	if a, ok := d.Body.Attributes["for_each"]; ok {
		fe = evalExpr(a.Expr, ctx)
	}
	if !fe.IsWhollyKnown() || fe.IsNull() || !fe.CanIterateElements() {
		return []*Block{build(cty.DynamicVal, cty.DynamicVal)}
	}
	var out []*Block
	for it := fe.ElementIterator(); it.Next(); {
		k, v := it.Element()
		if fe.Type().IsSetType() {
			k = v
		}
		out = append(out, build(k, v))
		if len(out) >= 256 {
			break
		}
	}
	return out
}

// evalExpr evaluates statically; any error yields an unknown value.
func evalExpr(e hcl.Expression, ctx *hcl.EvalContext) (v cty.Value) {
	defer func() {
		if recover() != nil {
			v = cty.DynamicVal
		}
	}()
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal
	}
	if v.IsMarked() {
		v, _ = v.UnmarkDeep()
	}
	return v
}

// refs lists the objects an expression refers to ("aws_vpc.this",
// "var.x", "data.aws_iam_policy_document.y", "module.m").
func refs(e hcl.Expression) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range e.Variables() {
		root := t.RootName()
		need := 2
		switch root {
		case "data":
			need = 3
		case "count", "each", "path", "terraform", "self":
			continue
		}
		parts := []string{root}
		for _, step := range t[1:] {
			if len(parts) >= need {
				break
			}
			a, ok := step.(hcl.TraverseAttr)
			if !ok {
				break
			}
			parts = append(parts, a.Name)
		}
		if len(parts) != need {
			continue
		}
		s := strings.Join(parts, ".")
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
