package expr

import (
	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
)

// KeyCond is a parsed KeyConditionExpression: equality on the partition
// key and at most one condition on the sort key.
type KeyCond struct {
	Hash  attr.Value
	Range Cond // nil when the sort key is not constrained
}

// ParseKeyCondition parses a KeyConditionExpression for a table or index
// whose key attributes are hashKey and rangeKey ("" when there is none).
func ParseKeyCondition(src string, env *Env, hashKey, rangeKey string) (*KeyCond, error) {
	c, err := ParseCondition("KeyConditionExpression", src, env)
	if err != nil {
		return nil, err
	}
	var parts []Cond
	var flatten func(c Cond) error
	flatten = func(c Cond) error {
		switch x := c.(type) {
		case andCond:
			if err := flatten(x.l); err != nil {
				return err
			}
			return flatten(x.r)
		case orCond:
			return &Error{Msg: "Invalid operator used in KeyConditionExpression: OR"}
		case notCond:
			return &Error{Msg: "Invalid operator used in KeyConditionExpression: NOT"}
		case inCond:
			return &Error{Msg: "Invalid operator used in KeyConditionExpression: IN"}
		case funcCond:
			if x.name != "begins_with" {
				return &Error{Msg: "Invalid operator used in KeyConditionExpression: " + x.name}
			}
		case compareCond:
			if x.op == opNe {
				return &Error{Msg: "Invalid operator used in KeyConditionExpression: <>"}
			}
		}
		parts = append(parts, c)
		return nil
	}
	if err := flatten(c); err != nil {
		return nil, err
	}
	if len(parts) > 2 {
		return nil, &Error{Msg: "Invalid KeyConditionExpression: The expression contains more than two conditions; conditions: " + itoa(len(parts))}
	}
	kc := &KeyCond{}
	hashSeen := false
	for _, part := range parts {
		name, ok := keyAttr(part)
		if !ok {
			return nil, &Error{Msg: "Query key condition not supported"}
		}
		switch name {
		case hashKey:
			cmp, isCmp := part.(compareCond)
			if !isCmp || cmp.op != opEq || hashSeen {
				return nil, &Error{Msg: "Query key condition not supported"}
			}
			v := cmp.r
			if v.kind == opPath {
				v = cmp.l
			}
			if v.kind != opValue {
				return nil, &Error{Msg: "Query key condition not supported"}
			}
			kc.Hash = v.val
			hashSeen = true
		case rangeKey:
			if rangeKey == "" || kc.Range != nil {
				return nil, &Error{Msg: "Query key condition not supported"}
			}
			kc.Range = normalizeRange(part)
		default:
			return nil, &Error{Msg: "Query condition missed key schema element: " + hashKey}
		}
	}
	if !hashSeen {
		return nil, &Error{Msg: "Query condition missed key schema element: " + hashKey}
	}
	return kc, nil
}

// keyAttr is the one top-level attribute a key condition constrains, with
// every other operand a value.
func keyAttr(c Cond) (string, bool) {
	var ops []*Operand
	switch x := c.(type) {
	case compareCond:
		ops = []*Operand{x.l, x.r}
	case betweenCond:
		ops = []*Operand{x.x, x.lo, x.hi}
	case funcCond:
		ops = x.args
	default:
		return "", false
	}
	name := ""
	for _, o := range ops {
		switch o.kind {
		case opPath:
			if len(o.path) != 1 || name != "" {
				return "", false
			}
			name = o.path[0].Name
		case opValue:
		default:
			return "", false
		}
	}
	return name, name != ""
}

// normalizeRange puts the key on the left of a comparison (":v < sk"
// becomes "sk > :v").
func normalizeRange(c Cond) Cond {
	x, ok := c.(compareCond)
	if !ok || x.l.kind == opPath {
		return c
	}
	flip := map[cmpOp]cmpOp{opEq: opEq, opLt: opGt, opLe: opGe, opGt: opLt, opGe: opLe}
	return compareCond{flip[x.op], x.r, x.l}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// RangeValues are the constants the sort-key condition compares with, for
// checking them against the key's type.
func (kc *KeyCond) RangeValues() []attr.Value {
	var ops []*Operand
	switch x := kc.Range.(type) {
	case compareCond:
		ops = []*Operand{x.l, x.r}
	case betweenCond:
		ops = []*Operand{x.lo, x.hi}
	case funcCond:
		ops = x.args
	}
	var out []attr.Value
	for _, o := range ops {
		if o.kind == opValue {
			out = append(out, o.val)
		}
	}
	return out
}
