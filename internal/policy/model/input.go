package model

import (
	"math/big"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// ConfigInput returns one .tf file as a JSON-like value in the shape
// conftest gives Rego policies for HCL: input.resource.TYPE.NAME.attr,
// input.variable.NAME, input.provider.NAME, nested blocks as lists of
// objects. Values known statically are given as values; the rest as the
// "${expression}" source text. It returns nil for a file that did not parse.
func (p *Project) ConfigInput(path string) map[string]any {
	f := p.Files[path]
	if f == nil || f.Body == nil {
		return nil
	}
	var ctx *hcl.EvalContext
	dir := filepath.Dir(path)
	for _, m := range p.Modules {
		if m.Dir == dir {
			ctx = m.ctx
			break
		}
	}
	return bodyJSON(f.Body, ctx, f.Src)
}

// TFFiles lists the parsed .tf files, sorted.
func (p *Project) TFFiles() []*File {
	var out []*File
	for _, f := range p.Files {
		if isTF(f.Path) {
			out = append(out, f)
		}
	}
	sortFiles(out)
	return out
}

func sortFiles(fs []*File) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Path < fs[j-1].Path; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func bodyJSON(b *hclsyntax.Body, ctx *hcl.EvalContext, src []byte) map[string]any {
	out := map[string]any{}
	for name, a := range b.Attributes {
		v := evalExpr(a.Expr, ctx)
		if v.IsWhollyKnown() {
			out[name] = ctyJSON(v)
		} else {
			r := a.Expr.Range()
			out[name] = "${" + string(src[r.Start.Byte:r.End.Byte]) + "}"
		}
	}
	for _, c := range b.Blocks {
		obj := bodyJSON(c.Body, ctx, src)
		switch len(c.Labels) {
		case 0:
			l, _ := out[c.Type].([]any)
			out[c.Type] = append(l, obj)
		case 1:
			m, _ := out[c.Type].(map[string]any)
			if m == nil {
				m = map[string]any{}
				out[c.Type] = m
			}
			m[c.Labels[0]] = obj
		default:
			m, _ := out[c.Type].(map[string]any)
			if m == nil {
				m = map[string]any{}
				out[c.Type] = m
			}
			inner, _ := m[c.Labels[0]].(map[string]any)
			if inner == nil {
				inner = map[string]any{}
				m[c.Labels[0]] = inner
			}
			inner[c.Labels[1]] = obj
		}
	}
	return out
}

func ctyJSON(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			i, acc := bf.Int64()
			if acc == big.Exact {
				return i
			}
		}
		f, _ := bf.Float64()
		return f
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyJSON(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyJSON(e)
		}
		return out
	}
	return nil
}
