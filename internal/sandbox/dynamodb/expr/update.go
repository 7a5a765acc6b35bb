package expr

import (
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
)

// Update is a parsed UpdateExpression.
type Update struct {
	sets    []setAction
	removes []Path
	adds    []valueAction
	deletes []valueAction
}

type setAction struct {
	path Path
	val  *Operand
}

type valueAction struct {
	path Path
	val  attr.Value
}

// ParseUpdate parses an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses, each at most once.
func ParseUpdate(src string, env *Env) (*Update, error) {
	p, err := newParser("UpdateExpression", src, env)
	if err != nil {
		return nil, err
	}
	p.update = true
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tEOF {
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != tIdent || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			return nil, p.syntax(t)
		}
		if seen[clause] {
			return nil, p.errf("The \"%s\" section can only be used once in an update expression;", clause)
		}
		seen[clause] = true
		for {
			if err := p.parseAction(u, clause); err != nil {
				return nil, err
			}
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if err := checkOverlap("UpdateExpression", u.Paths()); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) parseAction(u *Update, clause string) *Error {
	path, err := p.parsePath()
	if err != nil {
		return err
	}
	switch clause {
	case "SET":
		if _, err := p.expect(tEq); err != nil {
			return err
		}
		v, err := p.parseSetValue()
		if err != nil {
			return err
		}
		u.sets = append(u.sets, setAction{path, v})
	case "REMOVE":
		u.removes = append(u.removes, path)
	case "ADD", "DELETE":
		t := p.next()
		if t.kind != tValue {
			return p.syntax(t)
		}
		v, ok := p.env.Values[t.text]
		if !ok {
			return p.errf("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
		}
		p.env.usedV[t.text] = true
		if clause == "ADD" && v.T != attr.N && !v.T.IsSet() || clause == "DELETE" && !v.T.IsSet() {
			return p.errf("Incorrect operand type for operator or function; operator: %s, operand type: %s", clause, typeName(v.T))
		}
		if clause == "ADD" {
			u.adds = append(u.adds, valueAction{path, v})
		} else {
			u.deletes = append(u.deletes, valueAction{path, v})
		}
	}
	return nil
}

func (p *parser) parseSetValue() (*Operand, *Error) {
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tPlus && t.kind != tMinus {
		return l, nil
	}
	p.next()
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	for _, o := range []*Operand{l, r} {
		if o.kind == opValue && o.val.T != attr.N {
			return nil, p.errf("Incorrect operand type for operator or function; operator: %s, operand type: %s", t.text, typeName(o.val.T))
		}
	}
	return &Operand{kind: opArith, args: []*Operand{l, r}, sub: t.kind == tMinus}, nil
}

// Paths are every document path the update writes or removes.
func (u *Update) Paths() []Path {
	var out []Path
	for _, s := range u.sets {
		out = append(out, s.path)
	}
	out = append(out, u.removes...)
	for _, a := range u.adds {
		out = append(out, a.path)
	}
	for _, d := range u.deletes {
		out = append(out, d.path)
	}
	return out
}

// Apply computes the item after the update. Every right-hand side reads
// the item as it was before the update (so SET a = b, b = a swaps). A nil
// item is one that does not exist yet.
func (u *Update) Apply(item attr.Item) (attr.Item, error) {
	vals := make([]attr.Value, len(u.sets))
	for i, s := range u.sets {
		v, err := u.evalSet(item, s.val)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	out := item.Clone()
	if out == nil {
		out = attr.Item{}
	}
	for i, s := range u.sets {
		if err := setPath(out, s.path, vals[i]); err != nil {
			return nil, err
		}
	}
	for _, a := range u.adds {
		old, exists := Get(item, a.path)
		v := a.val.Clone()
		if exists {
			switch {
			case old.T == attr.N && a.val.T == attr.N:
				sum, err := old.Number().Add(a.val.Number())
				if err != nil {
					return nil, err
				}
				v = attr.Num(sum)
			case old.T.IsSet() && old.T == a.val.T:
				v = attr.Union(old, a.val)
			default:
				return nil, &Error{Msg: "An operand in the update expression has an incorrect data type"}
			}
		}
		if err := setPath(out, a.path, v); err != nil {
			return nil, err
		}
	}
	var removes []Path
	for _, d := range u.deletes {
		old, exists := Get(item, d.path)
		if !exists {
			continue
		}
		if old.T != d.val.T {
			return nil, &Error{Msg: "An operand in the update expression has an incorrect data type"}
		}
		rest, empty := attr.Difference(old, d.val)
		if empty {
			removes = append(removes, d.path)
			continue
		}
		if err := setPath(out, d.path, rest); err != nil {
			return nil, err
		}
	}
	removes = append(removes, u.removes...)
	// Remove list elements from the highest index down so that each index
	// still names the element it named in the original item.
	sort.SliceStable(removes, func(i, j int) bool {
		a, b := removes[i], removes[j]
		pa, pb := a[:len(a)-1].String(), b[:len(b)-1].String()
		if pa != pb {
			return pa < pb
		}
		return a[len(a)-1].IsIndex && b[len(b)-1].IsIndex && a[len(a)-1].Index > b[len(b)-1].Index
	})
	for _, r := range removes {
		removePath(out, r)
	}
	return out, nil
}

func (u *Update) evalSet(item attr.Item, o *Operand) (attr.Value, error) {
	switch o.kind {
	case opPath:
		v, ok := Get(item, o.path)
		if !ok {
			return attr.Value{}, &Error{Msg: "The provided expression refers to an attribute that does not exist in the item"}
		}
		return v.Clone(), nil
	case opValue:
		return o.val.Clone(), nil
	case opIfNotExists:
		if v, ok := Get(item, o.path); ok {
			return v.Clone(), nil
		}
		return u.evalSet(item, o.args[1])
	case opListAppend:
		a, err := u.evalSet(item, o.args[0])
		if err != nil {
			return attr.Value{}, err
		}
		b, err := u.evalSet(item, o.args[1])
		if err != nil {
			return attr.Value{}, err
		}
		if a.T != attr.L || b.T != attr.L {
			return attr.Value{}, &Error{Msg: "An operand in the update expression has an incorrect data type"}
		}
		return attr.Value{T: attr.L, L: append(append([]attr.Value{}, a.L...), b.L...)}, nil
	case opArith:
		a, err := u.evalSet(item, o.args[0])
		if err != nil {
			return attr.Value{}, err
		}
		b, err := u.evalSet(item, o.args[1])
		if err != nil {
			return attr.Value{}, err
		}
		if a.T != attr.N || b.T != attr.N {
			return attr.Value{}, &Error{Msg: "An operand in the update expression has an incorrect data type"}
		}
		y := b.Number()
		if o.sub {
			y = y.Negate()
		}
		r, err := a.Number().Add(y)
		if err != nil {
			return attr.Value{}, err
		}
		return attr.Num(r), nil
	}
	return attr.Value{}, &Error{Msg: "Invalid UpdateExpression: unsupported operand"}
}

var errInvalidPath = &Error{Msg: "The document path provided in the update expression is invalid for update"}

// setPath writes v at path in item; every container on the way must exist.
// An index past the end of a list appends.
func setPath(item attr.Item, path Path, v attr.Value) error {
	if len(path) == 1 {
		item[path[0].Name] = v
		return nil
	}
	root, ok := item[path[0].Name]
	if !ok {
		return errInvalidPath
	}
	nv, err := setIn(root, path[1:], v)
	if err != nil {
		return err
	}
	item[path[0].Name] = nv
	return nil
}

func setIn(c attr.Value, rest Path, v attr.Value) (attr.Value, error) {
	e := rest[0]
	if e.IsIndex {
		if c.T != attr.L {
			return c, errInvalidPath
		}
		if len(rest) == 1 {
			if e.Index >= len(c.L) {
				c.L = append(c.L, v)
			} else {
				c.L[e.Index] = v
			}
			return c, nil
		}
		if e.Index >= len(c.L) {
			return c, errInvalidPath
		}
		nv, err := setIn(c.L[e.Index], rest[1:], v)
		if err != nil {
			return c, err
		}
		c.L[e.Index] = nv
		return c, nil
	}
	if c.T != attr.M {
		return c, errInvalidPath
	}
	if len(rest) == 1 {
		c.M[e.Name] = v
		return c, nil
	}
	child, ok := c.M[e.Name]
	if !ok {
		return c, errInvalidPath
	}
	nv, err := setIn(child, rest[1:], v)
	if err != nil {
		return c, err
	}
	c.M[e.Name] = nv
	return c, nil
}

// removePath deletes path from item; a missing path is not an error.
func removePath(item attr.Item, path Path) {
	if len(path) == 1 {
		delete(item, path[0].Name)
		return
	}
	root, ok := item[path[0].Name]
	if !ok {
		return
	}
	item[path[0].Name] = removeIn(root, path[1:])
}

func removeIn(c attr.Value, rest Path) attr.Value {
	e := rest[0]
	if e.IsIndex {
		if c.T != attr.L || e.Index >= len(c.L) {
			return c
		}
		if len(rest) == 1 {
			c.L = append(c.L[:e.Index:e.Index], c.L[e.Index+1:]...)
			return c
		}
		c.L[e.Index] = removeIn(c.L[e.Index], rest[1:])
		return c
	}
	if c.T != attr.M {
		return c
	}
	if len(rest) == 1 {
		delete(c.M, e.Name)
		return c
	}
	if child, ok := c.M[e.Name]; ok {
		c.M[e.Name] = removeIn(child, rest[1:])
	}
	return c
}
