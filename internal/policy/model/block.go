package model

import (
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/zclconf/go-cty/cty"
)

// Range is a source span; see finding.Range.
type Range = finding.Range

// FromHCL converts an hcl.Range.
func FromHCL(r hcl.Range) Range {
	return Range{
		Filename: r.Filename,
		Start:    finding.Pos{Line: r.Start.Line, Column: r.Start.Column},
		End:      finding.Pos{Line: r.End.Line, Column: r.End.Column},
	}
}

// Block is a configuration block (resource, nested block, provider…) with its
// attributes evaluated.
type Block struct {
	Type   string
	Labels []string
	// DefRange is the block's header ("resource "a" "b" {"); findings about
	// a missing attribute point here.
	DefRange Range
	// Range covers the whole block, braces included.
	Range Range

	Attrs    map[string]*Attribute
	Children []*Block

	// ctx is the evaluation environment, for lazily evaluated documents.
	mod *Module
}

// Attr returns the named attribute, or nil when it is not set.
func (b *Block) Attr(name string) *Attribute {
	if b == nil {
		return nil
	}
	return b.Attrs[name]
}

// Blocks returns the nested blocks of a type. An attribute of the same name
// holding a list of objects (plan JSON, or the attribute syntax for nested
// blocks) is returned as blocks too, so rules read both shapes alike.
func (b *Block) Blocks(typ string) []*Block {
	if b == nil {
		return nil
	}
	var out []*Block
	for _, c := range b.Children {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out
	}
	a := b.Attrs[typ]
	if a == nil || !a.Value.IsKnown() || a.Value.IsNull() {
		return nil
	}
	return blocksFromValue(typ, a, b.mod)
}

// Block returns the first nested block of a type, or nil.
func (b *Block) Block(typ string) *Block {
	bs := b.Blocks(typ)
	if len(bs) == 0 {
		return nil
	}
	return bs[0]
}

// Attribute is one argument with its statically known value.
type Attribute struct {
	Name string
	// Expr is the source expression; nil for values from a plan.
	Expr hcl.Expression
	// Value is the evaluated value; unknown (not wholly known) when static
	// evaluation could not resolve it.
	Value cty.Value
	// Range starts at the attribute name and ends with its expression.
	Range Range
	// Refs lists what the expression refers to, relative to its module:
	// "aws_vpc.this", "var.cidr", "local.x", "data.aws_x.y", "module.m".
	Refs []string

	mod *Module
	ctx *hcl.EvalContext
	src []byte // the file's bytes, for Source
	// hcl is the source attribute a plan value was mapped to, if any.
	hcl *Attribute
	// hclChildren are the source blocks a plan list of objects was mapped to.
	hclChildren []*Block
}

// Present reports whether the attribute is set to something other than a
// known null.
func (a *Attribute) Present() bool {
	return a != nil && !(a.Value.IsKnown() && a.Value.IsNull())
}

// Absent reports whether the attribute is missing or a known null.
func (a *Attribute) Absent() bool { return !a.Present() }

// Known reports whether the attribute is set and wholly known.
func (a *Attribute) Known() bool {
	return a != nil && a.Value.IsWhollyKnown()
}

// Unknown reports whether the attribute is set but its value is not
// (wholly) known statically.
func (a *Attribute) Unknown() bool {
	return a != nil && !a.Value.IsWhollyKnown()
}

// Bool returns the value as a bool; ok is false when absent, unknown or not
// convertible ("true" strings convert, as Terraform does).
func (a *Attribute) Bool() (v, ok bool) {
	if a == nil {
		return false, false
	}
	return AsBool(a.Value)
}

// True reports whether the attribute is known to be true.
func (a *Attribute) True() bool { v, ok := a.Bool(); return ok && v }

// False reports whether the attribute is known to be false.
func (a *Attribute) False() bool { v, ok := a.Bool(); return ok && !v }

// Number returns the value as a float64 when known.
func (a *Attribute) Number() (float64, bool) {
	if a == nil {
		return 0, false
	}
	return AsNumber(a.Value)
}

// Str returns the value as a string when known.
func (a *Attribute) Str() (string, bool) {
	if a == nil {
		return "", false
	}
	return AsString(a.Value)
}

// Strings returns the known string elements of a list, set or tuple (a lone
// string counts as a one-element list); complete is false when the value or
// any element is unknown.
func (a *Attribute) Strings() (vals []string, complete bool) {
	if a == nil {
		return nil, false
	}
	return AsStrings(a.Value)
}

// Len returns the number of elements of a list, set, tuple or map whose
// length is known, even when the elements themselves are not.
func (a *Attribute) Len() (int, bool) {
	if a == nil {
		return 0, false
	}
	return KnownLen(a.Value)
}

// Source returns the expression's source text (empty for plan values).
func (a *Attribute) Source() string {
	if a != nil && a.hcl != nil {
		return a.hcl.Source()
	}
	if a == nil || a.Expr == nil || a.src == nil {
		return ""
	}
	r := a.Expr.Range()
	if r.End.Byte > len(a.src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(a.src[r.Start.Byte:r.End.Byte])
}

// AsBool converts a known value to a bool.
func AsBool(v cty.Value) (bool, bool) {
	if !v.IsWhollyKnown() || v.IsNull() {
		return false, false
	}
	switch v.Type() {
	case cty.Bool:
		return v.True(), true
	case cty.String:
		switch strings.ToLower(v.AsString()) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// AsNumber converts a known value to a float64 ("60" strings convert).
func AsNumber(v cty.Value) (float64, bool) {
	if !v.IsWhollyKnown() || v.IsNull() {
		return 0, false
	}
	switch v.Type() {
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f, true
	case cty.String:
		f, ok := new(big.Float).SetString(strings.TrimSpace(v.AsString()))
		if !ok {
			return 0, false
		}
		x, _ := f.Float64()
		return x, true
	}
	return 0, false
}

// AsString converts a known primitive value to a string.
func AsString(v cty.Value) (string, bool) {
	if !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), true
	case cty.Bool:
		if v.True() {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// AsStrings converts a collection of primitives to strings; complete is false
// when the collection or one of its elements is unknown (the known ones are
// still returned).
func AsStrings(v cty.Value) (vals []string, complete bool) {
	if v.IsNull() && v.IsKnown() {
		return nil, true
	}
	if !v.IsKnown() {
		return nil, false
	}
	t := v.Type()
	if t == cty.String || t == cty.Number || t == cty.Bool {
		s, ok := AsString(v)
		if !ok {
			return nil, false
		}
		return []string{s}, true
	}
	if !(t.IsListType() || t.IsSetType() || t.IsTupleType()) {
		return nil, false
	}
	complete = true
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		s, ok := AsString(e)
		if !ok {
			complete = false
			continue
		}
		vals = append(vals, s)
	}
	return vals, complete
}

// KnownLen returns the length of a collection when it is known.
func KnownLen(v cty.Value) (int, bool) {
	if !v.IsKnown() || v.IsNull() {
		return 0, false
	}
	t := v.Type()
	if t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsMapType() || t.IsObjectType() {
		if t.IsSetType() && !v.IsWhollyKnown() {
			// Unknown set elements may collapse into one another.
			return 0, false
		}
		return v.LengthInt(), true
	}
	return 0, false
}

// blocksFromValue turns a list of objects into blocks (plan values, or the
// attribute syntax for nested blocks).
func blocksFromValue(typ string, a *Attribute, mod *Module) []*Block {
	v := a.Value
	t := v.Type()
	var elems []cty.Value
	switch {
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			elems = append(elems, e)
		}
	case t.IsObjectType() || t.IsMapType():
		elems = []cty.Value{v}
	default:
		return nil
	}
	var out []*Block
	for i, e := range elems {
		if !e.IsKnown() || e.IsNull() {
			continue
		}
		et := e.Type()
		if !(et.IsObjectType() || et.IsMapType()) {
			continue
		}
		var src *Block
		def, rng := a.Range, a.Range
		if i < len(a.hclChildren) {
			src = a.hclChildren[i]
			def, rng = src.DefRange, src.Range
		} else if len(a.hclChildren) > 0 {
			src = a.hclChildren[len(a.hclChildren)-1]
			def, rng = src.DefRange, src.Range
		}
		out = append(out, blockFromObject(typ, e, def, rng, mod, src))
	}
	return out
}

// blockFromObject builds a block from an object value; every attribute takes
// the given range unless hclBlock (the matching source block) has a better
// one.
func blockFromObject(typ string, obj cty.Value, defRange, rng Range, mod *Module, hclBlock *Block) *Block {
	b := &Block{Type: typ, DefRange: defRange, Range: rng, Attrs: map[string]*Attribute{}, mod: mod}
	if hclBlock != nil {
		b.Labels = hclBlock.Labels
	}
	if !obj.IsKnown() || obj.IsNull() {
		return b
	}
	keys := make([]string, 0, obj.LengthInt())
	for it := obj.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		keys = append(keys, k.AsString())
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := obj.GetAttr(k)
		if obj.Type().IsMapType() {
			val = obj.Index(cty.StringVal(k))
		}
		at := &Attribute{Name: k, Value: val, Range: defRange, mod: mod}
		if hclBlock != nil {
			if ha := hclBlock.Attrs[k]; ha != nil {
				at.Range = ha.Range
				at.Refs = ha.Refs
				at.hcl = ha
			} else if hcs := hclBlock.childrenOf(k); len(hcs) > 0 {
				at.Range = hcs[0].DefRange
				at.hclChildren = hcs
			}
		}
		b.Attrs[k] = at
	}
	return b
}

func (b *Block) childrenOf(typ string) []*Block {
	var out []*Block
	for _, c := range b.Children {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}
