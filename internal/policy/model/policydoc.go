package model

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// LVal is a structured value (a JSON document written as an HCL object, or
// parsed from a string) that keeps the source position of each part written
// as syntax, so a finding can point at the offending key.
type LVal struct {
	Value cty.Value
	Range Range
	// Fields and Items are set for parts written as object or tuple
	// constructors; otherwise parts are read from Value, at Range.
	Fields map[string]*LVal
	Items  []*LVal
}

// Known reports whether the value is wholly known.
func (l *LVal) Known() bool { return l != nil && l.Value.IsWhollyKnown() }

// Get returns the field of an object (exact key first, then ignoring case),
// nil when it is absent, or an unknown LVal when the object is unknown.
func (l *LVal) Get(key string) *LVal {
	if l == nil {
		return nil
	}
	if l.Fields != nil {
		if f, ok := l.Fields[key]; ok {
			return f
		}
		for k, f := range l.Fields {
			if strings.EqualFold(k, key) {
				return f
			}
		}
		if l.Value.IsWhollyKnown() {
			return nil
		}
		return &LVal{Value: cty.DynamicVal, Range: l.Range}
	}
	v := l.Value
	if !v.IsKnown() {
		return &LVal{Value: cty.DynamicVal, Range: l.Range}
	}
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	if !(t.IsObjectType() || t.IsMapType()) {
		return nil
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if k.AsString() == key {
			return &LVal{Value: e, Range: l.Range}
		}
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if strings.EqualFold(k.AsString(), key) {
			return &LVal{Value: e, Range: l.Range}
		}
	}
	return nil
}

// Elems returns the elements of a list (a single non-list value is a list of
// one, as in IAM's "Action": "s3:GetObject"); complete is false when the
// list or its length is unknown.
func (l *LVal) Elems() (elems []*LVal, complete bool) {
	if l == nil {
		return nil, true
	}
	if l.Items != nil {
		return l.Items, true
	}
	v := l.Value
	if !v.IsKnown() {
		return nil, false
	}
	if v.IsNull() {
		return nil, true
	}
	t := v.Type()
	if t.IsListType() || t.IsTupleType() || t.IsSetType() {
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			elems = append(elems, &LVal{Value: e, Range: l.Range})
		}
		return elems, true
	}
	return []*LVal{l}, true
}

// Strings returns the known string elements (see Elems).
func (l *LVal) Strings() (vals []string, complete bool) {
	elems, complete := l.Elems()
	for _, e := range elems {
		s, ok := AsString(e.Value)
		if !ok {
			complete = false
			continue
		}
		vals = append(vals, s)
	}
	return vals, complete
}

// Doc returns the attribute as a structured document: an object written in
// HCL (optionally inside jsonencode), or a JSON string. It returns nil when
// the attribute is absent.
func (a *Attribute) Doc() *LVal {
	if a.Absent() {
		return nil
	}
	var lv *LVal
	if a.Expr != nil {
		lv = buildLVal(a.Expr, a.ctx)
	} else {
		lv = &LVal{Value: a.Value, Range: a.Range}
	}
	if s, ok := AsString(lv.Value); ok && lv.Fields == nil {
		return parseJSONDoc(s, a.Range)
	}
	return lv
}

func parseJSONDoc(s string, r Range) *LVal {
	b := []byte(s)
	ty, err := ctyjson.ImpliedType(b)
	if err != nil {
		return &LVal{Value: cty.DynamicVal, Range: r}
	}
	v, err := ctyjson.Unmarshal(b, ty)
	if err != nil {
		return &LVal{Value: cty.DynamicVal, Range: r}
	}
	return &LVal{Value: v, Range: r}
}

func buildLVal(e hcl.Expression, ctx *hcl.EvalContext) *LVal {
	rng := FromHCL(e.Range())
	switch x := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		return buildLVal(x.Expression, ctx)
	case *hclsyntax.FunctionCallExpr:
		if x.Name == "jsonencode" && len(x.Args) == 1 {
			return buildLVal(x.Args[0], ctx)
		}
	case *hclsyntax.ObjectConsExpr:
		lv := &LVal{Value: evalExpr(e, ctx), Range: rng, Fields: map[string]*LVal{}}
		for _, it := range x.Items {
			k := evalExpr(it.KeyExpr, ctx)
			ks, ok := AsString(k)
			if !ok {
				continue
			}
			f := buildLVal(it.ValueExpr, ctx)
			// Point at the key: "Action = …" reads better than the value.
			f.Range.Start = FromHCL(it.KeyExpr.Range()).Start
			lv.Fields[ks] = f
		}
		return lv
	case *hclsyntax.TupleConsExpr:
		lv := &LVal{Value: evalExpr(e, ctx), Range: rng, Items: []*LVal{}}
		for _, it := range x.Exprs {
			lv.Items = append(lv.Items, buildLVal(it, ctx))
		}
		return lv
	}
	return &LVal{Value: evalExpr(e, ctx), Range: rng}
}

// PolicyDocument is an IAM policy reduced to its statements.
type PolicyDocument struct {
	Statements []*Statement
	// Complete is false when some statements could not be read.
	Complete bool
}

// Statement is one IAM policy statement.
type Statement struct {
	Range Range
	// Effect is "Allow" or "Deny"; "" when unknown.
	Effect      string
	Action      Strs
	NotAction   Strs
	Resource    Strs
	NotResource Strs
	// PrincipalAll is set when the principal is everyone ("*", or AWS "*").
	PrincipalAll bool
	Principal    Strs
	// Condition is set when the statement has a condition (or may have one).
	Condition bool
	// ConditionKeys are the condition context keys the statement tests
	// ("aws:PrincipalArn"), as far as they are known, in source order for
	// data sources and sorted for documents.
	ConditionKeys []string
}

// Strs is a list-of-strings field of a statement.
type Strs struct {
	Present  bool
	Values   []string
	Complete bool
	Range    Range
}

// Any reports whether a known value satisfies pred.
func (s Strs) Any(pred func(string) bool) bool {
	for _, v := range s.Values {
		if pred(v) {
			return true
		}
	}
	return false
}

// PolicyDocument reads the attribute as an IAM policy: jsonencode of an
// object, a JSON string, or a reference to data "aws_iam_policy_document".
// It returns nil when the attribute is absent or not a document.
func (a *Attribute) PolicyDocument() *PolicyDocument {
	if a.Absent() {
		return nil
	}
	if st, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr); ok && a.mod != nil {
		t := st.Traversal
		if t.RootName() == "data" && len(t) >= 3 {
			typ, _ := t[1].(hcl.TraverseAttr)
			name, _ := t[2].(hcl.TraverseAttr)
			if typ.Name == "aws_iam_policy_document" {
				for _, r := range a.mod.Resources {
					if r.Mode == Data && r.Type == typ.Name && r.Name == name.Name {
						return DataPolicyDocument(r.Block)
					}
				}
			}
		}
	}
	return docFromLVal(a.Doc())
}

func docFromLVal(lv *LVal) *PolicyDocument {
	if lv == nil {
		return nil
	}
	doc := &PolicyDocument{Complete: true}
	st := lv.Get("Statement")
	if st == nil {
		if !lv.Known() {
			doc.Complete = false
		}
		return doc
	}
	elems, complete := st.Elems()
	doc.Complete = complete
	for _, e := range elems {
		s := &Statement{Range: e.Range}
		if ef := e.Get("Effect"); ef != nil {
			if v, ok := AsString(ef.Value); ok {
				s.Effect = v
			}
		}
		s.Action = strsOf(e.Get("Action"))
		s.NotAction = strsOf(e.Get("NotAction"))
		s.Resource = strsOf(e.Get("Resource"))
		s.NotResource = strsOf(e.Get("NotResource"))
		if p := e.Get("Principal"); p != nil {
			if v, ok := AsString(p.Value); ok {
				s.Principal = Strs{Present: true, Values: []string{v}, Complete: true, Range: p.Range}
				s.PrincipalAll = v == "*"
			} else if aws := p.Get("AWS"); aws != nil {
				s.Principal = strsOf(aws)
				s.PrincipalAll = s.Principal.Any(func(x string) bool { return x == "*" })
			} else {
				s.Principal = Strs{Present: true, Range: p.Range}
			}
		}
		if c := e.Get("Condition"); c != nil {
			s.Condition = true
			if n, ok := KnownLen(c.Value); (ok && n == 0 && c.Fields == nil) || (c.Fields != nil && len(c.Fields) == 0) {
				s.Condition = false
			}
			s.ConditionKeys = conditionKeys(c)
		}
		doc.Statements = append(doc.Statements, s)
	}
	return doc
}

func strsOf(l *LVal) Strs {
	if l == nil {
		return Strs{Complete: true}
	}
	vals, complete := l.Strings()
	return Strs{Present: true, Values: vals, Complete: complete, Range: l.Range}
}

func strsOfAttr(a *Attribute) Strs {
	if a.Absent() {
		return Strs{Complete: true}
	}
	vals, complete := a.Strings()
	return Strs{Present: true, Values: vals, Complete: complete, Range: a.Range}
}

// DataPolicyDocument reads the statement blocks of a data
// "aws_iam_policy_document".
func DataPolicyDocument(b *Block) *PolicyDocument {
	doc := &PolicyDocument{Complete: true}
	for _, sb := range b.Blocks("statement") {
		s := &Statement{Range: sb.DefRange, Effect: "Allow"}
		if ef := sb.Attr("effect"); ef.Present() {
			s.Effect, _ = ef.Str()
		}
		s.Action = strsOfAttr(sb.Attr("actions"))
		s.NotAction = strsOfAttr(sb.Attr("not_actions"))
		s.Resource = strsOfAttr(sb.Attr("resources"))
		s.NotResource = strsOfAttr(sb.Attr("not_resources"))
		for _, pb := range sb.Blocks("principals") {
			typ, _ := pb.Attr("type").Str()
			ids := strsOfAttr(pb.Attr("identifiers"))
			s.Principal = ids
			if (typ == "*" || typ == "AWS") && ids.Any(func(x string) bool { return x == "*" }) {
				s.PrincipalAll = true
			}
		}
		s.Condition = len(sb.Blocks("condition")) > 0
		for _, cb := range sb.Blocks("condition") {
			if k, ok := cb.Attr("variable").Str(); ok {
				s.ConditionKeys = append(s.ConditionKeys, k)
			}
		}
		doc.Statements = append(doc.Statements, s)
	}
	return doc
}

// conditionKeys lists the context keys of a Condition object
// ({operator: {key: values}}), sorted and without duplicates; keys of parts
// that are not known are left out.
func conditionKeys(c *LVal) []string {
	seen := map[string]bool{}
	names := func(l *LVal) []string {
		if l == nil {
			return nil
		}
		if l.Fields != nil {
			out := make([]string, 0, len(l.Fields))
			for k := range l.Fields {
				out = append(out, k)
			}
			return out
		}
		v := l.Value
		if !v.IsKnown() || v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			return nil
		}
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			out = append(out, k.AsString())
		}
		return out
	}
	var keys []string
	for _, op := range names(c) {
		for _, k := range names(c.Get(op)) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
