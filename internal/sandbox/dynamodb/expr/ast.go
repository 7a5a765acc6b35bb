package expr

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
)

// Error is a rejected expression; DynamoDB answers it with a
// ValidationException carrying Msg.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Env holds a request's ExpressionAttributeNames and
// ExpressionAttributeValues and records which ones its expressions used,
// since DynamoDB rejects placeholders that no expression uses.
type Env struct {
	Names  map[string]string
	Values map[string]attr.Value
	usedN  map[string]bool
	usedV  map[string]bool
}

// NewEnv builds an Env.
func NewEnv(names map[string]string, values map[string]attr.Value) *Env {
	return &Env{Names: names, Values: values, usedN: map[string]bool{}, usedV: map[string]bool{}}
}

// CheckUnused fails when a name or value placeholder was supplied but no
// expression of the request used it.
func (e *Env) CheckUnused() error {
	if keys := unused(e.Names, e.usedN); keys != "" {
		return &Error{Msg: "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + keys + "}"}
	}
	if keys := unused(e.Values, e.usedV); keys != "" {
		return &Error{Msg: "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + keys + "}"}
	}
	return nil
}

func unused[V any](m map[string]V, used map[string]bool) string {
	var out []string
	for k := range m {
		if !used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// PathElem is one step of a document path: a map key or a list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[2].c.
type Path []PathElem

// String renders the path the way DynamoDB prints it in messages: [a, b, [2]].
func (p Path) String() string {
	parts := make([]string, len(p))
	for i, e := range p {
		if e.IsIndex {
			parts[i] = "[" + strconv.Itoa(e.Index) + "]"
		} else {
			parts[i] = e.Name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Attr is the top-level attribute a path starts at.
func (p Path) Attr() string { return p[0].Name }

func (p Path) equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

func (p Path) hasPrefix(q Path) bool { return len(q) <= len(p) && p[:len(q)].equal(q) }

// checkOverlap rejects two paths that are equal or one inside the other.
func checkOverlap(kind string, paths []Path) *Error {
	for i := range paths {
		for j := i + 1; j < len(paths); j++ {
			a, b := paths[i], paths[j]
			switch {
			case a.equal(b):
				return &Error{Msg: fmt.Sprintf("Invalid %s: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", kind, a, b)}
			case a.hasPrefix(b) || b.hasPrefix(a):
				return &Error{Msg: fmt.Sprintf("Invalid %s: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", kind, a, b)}
			}
		}
	}
	return nil
}

// Get resolves a path in an item.
func Get(item attr.Item, p Path) (attr.Value, bool) {
	v, ok := item[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range p[1:] {
		switch {
		case e.IsIndex:
			if v.T != attr.L || e.Index >= len(v.L) {
				return attr.Value{}, false
			}
			v = v.L[e.Index]
		default:
			if v.T != attr.M {
				return attr.Value{}, false
			}
			v, ok = v.M[e.Name]
			if !ok {
				return attr.Value{}, false
			}
		}
	}
	return v, true
}

type operandKind int

const (
	opPath operandKind = iota
	opValue
	opSize        // size(path)
	opIfNotExists // if_not_exists(path, operand) — update expressions only
	opListAppend  // list_append(a, b) — update expressions only
	opArith       // a + b, a - b — update expressions only
)

// Operand is a path, a value, or a function yielding a value.
type Operand struct {
	kind operandKind
	path Path
	val  attr.Value
	args []*Operand
	sub  bool // opArith: true for '-'
}

// eval yields the operand's value in item; ok is false when it has none
// (a missing attribute, size of a type without a size).
func (o *Operand) eval(item attr.Item) (attr.Value, bool) {
	switch o.kind {
	case opPath:
		return Get(item, o.path)
	case opValue:
		return o.val, true
	case opSize:
		v, ok := Get(item, o.path)
		if !ok {
			return attr.Value{}, false
		}
		n := -1
		switch v.T {
		case attr.S:
			n = len(v.S)
		case attr.B:
			n = len(v.B)
		case attr.SS, attr.NS:
			n = len(v.Set)
		case attr.BS:
			n = len(v.BS)
		case attr.M:
			n = len(v.M)
		case attr.L:
			n = len(v.L)
		}
		if n < 0 {
			return attr.Value{}, false
		}
		return attr.Value{T: attr.N, S: strconv.Itoa(n)}, true
	}
	return attr.Value{}, false
}

// Cond is a parsed condition (ConditionExpression, FilterExpression, or a
// legacy Expected/QueryFilter translated into one).
type Cond interface {
	// Eval reports whether item satisfies the condition. A nil item is an
	// item that does not exist.
	Eval(item attr.Item) bool
}

type andCond struct{ l, r Cond }
type orCond struct{ l, r Cond }
type notCond struct{ c Cond }

func (c andCond) Eval(it attr.Item) bool { return c.l.Eval(it) && c.r.Eval(it) }
func (c orCond) Eval(it attr.Item) bool  { return c.l.Eval(it) || c.r.Eval(it) }
func (c notCond) Eval(it attr.Item) bool { return !c.c.Eval(it) }

// And combines conditions (nil ones are skipped); nil when none is left.
func And(cs ...Cond) Cond { return fold(cs, func(l, r Cond) Cond { return andCond{l, r} }) }

// Or combines conditions (nil ones are skipped); nil when none is left.
func Or(cs ...Cond) Cond { return fold(cs, func(l, r Cond) Cond { return orCond{l, r} }) }

func fold(cs []Cond, f func(l, r Cond) Cond) Cond {
	var out Cond
	for _, c := range cs {
		switch {
		case c == nil:
		case out == nil:
			out = c
		default:
			out = f(out, c)
		}
	}
	return out
}

type cmpOp int

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpNames = map[cmpOp]string{opEq: "=", opNe: "<>", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

type compareCond struct {
	op   cmpOp
	l, r *Operand
}

func (c compareCond) Eval(it attr.Item) bool {
	a, aok := c.l.eval(it)
	b, bok := c.r.eval(it)
	switch c.op {
	case opEq:
		return aok && bok && attr.Equal(a, b)
	case opNe:
		// A missing attribute is not equal to a value.
		if !aok || !bok {
			return aok != bok
		}
		return !attr.Equal(a, b)
	}
	if !aok || !bok {
		return false
	}
	n, ok := attr.Compare(a, b)
	if !ok {
		return false
	}
	switch c.op {
	case opLt:
		return n < 0
	case opLe:
		return n <= 0
	case opGt:
		return n > 0
	default:
		return n >= 0
	}
}

type betweenCond struct{ x, lo, hi *Operand }

func (c betweenCond) Eval(it attr.Item) bool {
	x, ok1 := c.x.eval(it)
	lo, ok2 := c.lo.eval(it)
	hi, ok3 := c.hi.eval(it)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	a, ok := attr.Compare(lo, x)
	if !ok || a > 0 {
		return false
	}
	b, ok := attr.Compare(x, hi)
	return ok && b <= 0
}

type inCond struct {
	x    *Operand
	list []*Operand
}

func (c inCond) Eval(it attr.Item) bool {
	x, ok := c.x.eval(it)
	if !ok {
		return false
	}
	for _, o := range c.list {
		if v, ok := o.eval(it); ok && attr.Equal(x, v) {
			return true
		}
	}
	return false
}

type funcCond struct {
	name string
	args []*Operand
}

func (c funcCond) Eval(it attr.Item) bool {
	switch c.name {
	case "attribute_exists":
		_, ok := Get(it, c.args[0].path)
		return ok
	case "attribute_not_exists":
		_, ok := Get(it, c.args[0].path)
		return !ok
	case "attribute_type":
		v, ok := Get(it, c.args[0].path)
		t, tok := c.args[1].eval(it)
		return ok && tok && t.T == attr.S && string(v.T) == t.S
	case "begins_with":
		v, ok := c.args[0].eval(it)
		p, pok := c.args[1].eval(it)
		if !ok || !pok || v.T != p.T {
			return false
		}
		switch v.T {
		case attr.S:
			return strings.HasPrefix(v.S, p.S)
		case attr.B:
			return bytes.HasPrefix(v.B, p.B)
		}
		return false
	case "contains":
		v, ok := c.args[0].eval(it)
		x, xok := c.args[1].eval(it)
		if !ok || !xok {
			return false
		}
		switch v.T {
		case attr.S:
			return x.T == attr.S && strings.Contains(v.S, x.S)
		case attr.B:
			return x.T == attr.B && bytes.Contains(v.B, x.B)
		case attr.SS, attr.NS, attr.BS:
			if x.T != v.T.ElementType() {
				return false
			}
			for _, e := range v.SetElements() {
				if attr.Equal(e, x) {
					return true
				}
			}
			return false
		case attr.L:
			for _, e := range v.L {
				if attr.Equal(e, x) {
					return true
				}
			}
		}
		return false
	}
	return false
}

// typeName is how DynamoDB names a type in operand-type errors.
func typeName(t attr.Type) string {
	return map[attr.Type]string{attr.S: "STRING", attr.N: "NUMBER", attr.B: "BINARY", attr.SS: "STRING SET",
		attr.NS: "NUMBER SET", attr.BS: "BINARY SET", attr.M: "MAP", attr.L: "LIST", attr.NULL: "NULL", attr.BOOL: "BOOLEAN"}[t]
}

// render prints a value the way DynamoDB quotes it in messages.
func render(v attr.Value) string {
	switch v.T {
	case attr.S, attr.N:
		return "AttributeValue: {" + string(v.T) + ":" + v.S + "}"
	}
	return "AttributeValue: {" + string(v.T) + "}"
}
