package expr

import (
	"fmt"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
)

// Legacy builds the condition of one entry of the legacy conditional
// parameters (Expected, KeyConditions, QueryFilter, ScanFilter): attribute
// name, ComparisonOperator and AttributeValueList.
func Legacy(name, op string, vals []attr.Value) (Cond, error) {
	path := &Operand{kind: opPath, path: Path{{Name: name}}}
	val := func(i int) *Operand { return &Operand{kind: opValue, val: vals[i]} }
	need := func(n int) error {
		if len(vals) != n {
			return &Error{Msg: fmt.Sprintf("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", op)}
		}
		return nil
	}
	scalar := func() error {
		for _, v := range vals {
			if v.T != attr.S && v.T != attr.N && v.T != attr.B {
				return &Error{Msg: fmt.Sprintf("One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type", op, v.T)}
			}
		}
		return nil
	}
	cmp := map[string]cmpOp{"EQ": opEq, "NE": opNe, "LT": opLt, "LE": opLe, "GT": opGt, "GE": opGe}
	switch op {
	case "EQ", "NE", "LT", "LE", "GT", "GE":
		if err := need(1); err != nil {
			return nil, err
		}
		if op != "EQ" && op != "NE" {
			if err := scalar(); err != nil {
				return nil, err
			}
		}
		return compareCond{cmp[op], path, val(0)}, nil
	case "NULL", "NOT_NULL":
		if err := need(0); err != nil {
			return nil, err
		}
		if op == "NULL" {
			return funcCond{"attribute_not_exists", []*Operand{path}}, nil
		}
		return funcCond{"attribute_exists", []*Operand{path}}, nil
	case "CONTAINS", "NOT_CONTAINS":
		if err := need(1); err != nil {
			return nil, err
		}
		if err := scalar(); err != nil {
			return nil, err
		}
		c := funcCond{"contains", []*Operand{path, val(0)}}
		if op == "NOT_CONTAINS" {
			// Legacy NOT_CONTAINS is false for a missing attribute.
			return andCond{funcCond{"attribute_exists", []*Operand{path}}, notCond{c}}, nil
		}
		return c, nil
	case "BEGINS_WITH":
		if err := need(1); err != nil {
			return nil, err
		}
		if vals[0].T != attr.S && vals[0].T != attr.B {
			return nil, &Error{Msg: fmt.Sprintf("One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type", op, vals[0].T)}
		}
		return funcCond{"begins_with", []*Operand{path, val(0)}}, nil
	case "IN":
		if len(vals) == 0 {
			return nil, need(1)
		}
		list := make([]*Operand, len(vals))
		for i := range vals {
			list[i] = val(i)
		}
		return inCond{path, list}, nil
	case "BETWEEN":
		if err := need(2); err != nil {
			return nil, err
		}
		if err := scalar(); err != nil {
			return nil, err
		}
		if vals[0].T != vals[1].T {
			return nil, &Error{Msg: "One or more parameter values were invalid: AttributeValues inside AttributeValueList must all be of the same type"}
		}
		if n, _ := attr.Compare(vals[0], vals[1]); n > 0 {
			return nil, &Error{Msg: "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"}
		}
		return betweenCond{path, val(0), val(1)}, nil
	}
	return nil, &Error{Msg: fmt.Sprintf("1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", op)}
}

// Exists is the legacy Expected {Exists: want} check.
func Exists(name string, want bool) Cond {
	path := &Operand{kind: opPath, path: Path{{Name: name}}}
	if want {
		return funcCond{"attribute_exists", []*Operand{path}}
	}
	return funcCond{"attribute_not_exists", []*Operand{path}}
}

// KeyFromLegacy turns legacy KeyConditions (already built with Legacy) into
// a KeyCond: hash must be an EQ condition.
func KeyFromLegacy(hash attr.Value, rangeCond Cond) *KeyCond {
	return &KeyCond{Hash: hash, Range: rangeCond}
}
