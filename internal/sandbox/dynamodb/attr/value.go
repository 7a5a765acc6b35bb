package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Type is a DynamoDB data type descriptor.
type Type string

// The data types.
const (
	S    Type = "S"
	N    Type = "N"
	B    Type = "B"
	SS   Type = "SS"
	NS   Type = "NS"
	BS   Type = "BS"
	M    Type = "M"
	L    Type = "L"
	NULL Type = "NULL"
	BOOL Type = "BOOL"
)

// ValidType reports whether t names a data type (attribute_type's operand).
func ValidType(t string) bool {
	switch Type(t) {
	case S, N, B, SS, NS, BS, M, L, NULL, BOOL:
		return true
	}
	return false
}

// Value is one AttributeValue. Exactly the field(s) of its type T are
// meaningful: S for S and N (a number's canonical string), B for B, Set for
// SS and NS, BS for BS, M, L, and Bool for BOOL. NULL has no payload.
type Value struct {
	T    Type
	S    string
	B    []byte
	Set  []string
	BS   [][]byte
	M    map[string]Value
	L    []Value
	Bool bool
}

// Item is a DynamoDB item (or key): attribute name → value.
type Item map[string]Value

// Error is a validation failure of a value, reported by DynamoDB as a
// ValidationException with this message.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Invalidf builds an *Error.
func Invalidf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Str, Num, Bin, Bool and Null build scalar values.
func Str(s string) Value   { return Value{T: S, S: s} }
func Bin(b []byte) Value   { return Value{T: B, B: b} }
func Boolean(b bool) Value { return Value{T: BOOL, Bool: b} }
func Null() Value          { return Value{T: NULL} }

// Num builds a number from a Decimal.
func Num(d Decimal) Value { return Value{T: N, S: d.String()} }

// Number parses the value's number (T must be N).
func (v Value) Number() Decimal {
	d, _ := parseDecimal(v.S)
	return d
}

// MarshalJSON writes the wire form: {"S":"x"}, {"N":"1"}, {"B":"base64"}, …
func (v Value) MarshalJSON() ([]byte, error) {
	var payload any
	switch v.T {
	case S, N:
		payload = v.S
	case B:
		payload = base64.StdEncoding.EncodeToString(v.B)
	case SS, NS:
		payload = nonNil(v.Set)
	case BS:
		out := make([]string, len(v.BS))
		for i, b := range v.BS {
			out[i] = base64.StdEncoding.EncodeToString(b)
		}
		payload = out
	case M:
		m := v.M
		if m == nil {
			m = map[string]Value{}
		}
		payload = m
	case L:
		l := v.L
		if l == nil {
			l = []Value{}
		}
		payload = l
	case NULL:
		payload = true
	case BOOL:
		payload = v.Bool
	default:
		return nil, fmt.Errorf("attr: value without a type")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"`)
	b.WriteString(string(v.T))
	b.WriteString(`":`)
	b.Write(body)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UnmarshalJSON reads and validates the wire form. Validation failures are
// *Error (a ValidationException); malformed JSON is a plain error (a
// SerializationException).
func (v *Value) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*v = Value{}
	n := 0
	for k, body := range raw {
		if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
			continue // an absent member, as the SDKs send nothing for nil
		}
		t := Type(k)
		if !ValidType(k) {
			continue // unknown members are ignored, like AWS does
		}
		n++
		if n > 1 {
			return Invalidf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
		}
		if err := v.decode(t, body); err != nil {
			return err
		}
	}
	if n == 0 {
		return Invalidf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	return nil
}

func (v *Value) decode(t Type, body json.RawMessage) error {
	v.T = t
	switch t {
	case S:
		return json.Unmarshal(body, &v.S)
	case N:
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return err
		}
		c, err := canonicalNumber(s)
		if err != nil {
			return err
		}
		v.S = c
	case B:
		return json.Unmarshal(body, &v.B) // base64, like encoding/json's []byte
	case SS:
		if err := json.Unmarshal(body, &v.Set); err != nil {
			return err
		}
		if len(v.Set) == 0 {
			return Invalidf("One or more parameter values were invalid: An string set  may not be empty")
		}
		return noDuplicates(v.Set)
	case NS:
		if err := json.Unmarshal(body, &v.Set); err != nil {
			return err
		}
		if len(v.Set) == 0 {
			return Invalidf("One or more parameter values were invalid: An number set  may not be empty")
		}
		for i, s := range v.Set {
			c, err := canonicalNumber(s)
			if err != nil {
				return err
			}
			v.Set[i] = c
		}
		return noDuplicates(v.Set)
	case BS:
		if err := json.Unmarshal(body, &v.BS); err != nil {
			return err
		}
		if len(v.BS) == 0 {
			return Invalidf("One or more parameter values were invalid: Binary sets should not be empty")
		}
		seen := map[string]bool{}
		for _, b := range v.BS {
			if seen[string(b)] {
				return Invalidf("One or more parameter values were invalid: Input collection contains duplicates.")
			}
			seen[string(b)] = true
		}
	case M:
		if err := json.Unmarshal(body, &v.M); err != nil {
			return err
		}
		if v.M == nil {
			v.M = map[string]Value{}
		}
	case L:
		if err := json.Unmarshal(body, &v.L); err != nil {
			return err
		}
		if v.L == nil {
			v.L = []Value{}
		}
	case NULL:
		var b bool
		if err := json.Unmarshal(body, &b); err != nil {
			return err
		}
		if !b {
			return Invalidf("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
	case BOOL:
		return json.Unmarshal(body, &v.Bool)
	}
	return nil
}

func noDuplicates(set []string) error {
	seen := make(map[string]bool, len(set))
	for _, s := range set {
		if seen[s] {
			return Invalidf("One or more parameter values were invalid: Input collection [%s] contains duplicates.", strings.Join(set, ", "))
		}
		seen[s] = true
	}
	return nil
}

// Equal reports whether two values are equal the way DynamoDB's = compares
// them: same type, numbers numerically, sets regardless of order.
func Equal(a, b Value) bool {
	if a.T != b.T {
		return false
	}
	switch a.T {
	case S, N:
		return a.S == b.S // numbers are stored canonical
	case B:
		return bytes.Equal(a.B, b.B)
	case SS, NS:
		return sameStrings(a.Set, b.Set)
	case BS:
		if len(a.BS) != len(b.BS) {
			return false
		}
		x, y := make([]string, len(a.BS)), make([]string, len(b.BS))
		for i := range a.BS {
			x[i], y[i] = string(a.BS[i]), string(b.BS[i])
		}
		return sameStrings(x, y)
	case M:
		if len(a.M) != len(b.M) {
			return false
		}
		for k, av := range a.M {
			bv, ok := b.M[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case L:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !Equal(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case NULL:
		return true
	case BOOL:
		return a.Bool == b.Bool
	}
	return false
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// Compare orders two scalar values of the same type (S by UTF-8 bytes, N
// numerically, B by bytes). ok is false when they are not comparable, in
// which case a comparison condition is simply false.
func Compare(a, b Value) (c int, ok bool) {
	if a.T != b.T {
		return 0, false
	}
	switch a.T {
	case S:
		return strings.Compare(a.S, b.S), true
	case N:
		return a.Number().Cmp(b.Number()), true
	case B:
		return bytes.Compare(a.B, b.B), true
	}
	return 0, false
}

// Clone deep-copies a value.
func (v Value) Clone() Value {
	switch v.T {
	case B:
		v.B = append([]byte(nil), v.B...)
	case SS, NS:
		v.Set = append([]string(nil), v.Set...)
	case BS:
		bs := make([][]byte, len(v.BS))
		for i, b := range v.BS {
			bs[i] = append([]byte(nil), b...)
		}
		v.BS = bs
	case M:
		m := make(map[string]Value, len(v.M))
		for k, e := range v.M {
			m[k] = e.Clone()
		}
		v.M = m
	case L:
		l := make([]Value, len(v.L))
		for i, e := range v.L {
			l[i] = e.Clone()
		}
		v.L = l
	}
	return v
}

// Clone deep-copies an item.
func (it Item) Clone() Item {
	if it == nil {
		return nil
	}
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = v.Clone()
	}
	return out
}

// Size is the value's size as DynamoDB counts it toward the 400 KB item
// limit (close to AWS's accounting; exactness is not needed for limits).
func (v Value) Size() int {
	switch v.T {
	case S:
		return len(v.S)
	case N:
		d := v.Number()
		return (len(d.Digits)+1)/2 + 1
	case B:
		return len(v.B)
	case SS:
		n := 0
		for _, s := range v.Set {
			n += len(s)
		}
		return n
	case NS:
		n := 0
		for _, s := range v.Set {
			n += Value{T: N, S: s}.Size()
		}
		return n
	case BS:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	case M:
		n := 3
		for k, e := range v.M {
			n += len(k) + e.Size() + 1
		}
		return n
	case L:
		n := 3
		for _, e := range v.L {
			n += e.Size() + 1
		}
		return n
	case NULL, BOOL:
		return 1
	}
	return 0
}

// Size is the item's size: names plus values.
func (it Item) Size() int {
	n := 0
	for k, v := range it {
		n += len(k) + v.Size()
	}
	return n
}

// SetElements returns a set's elements as values (for contains and ADD).
func (v Value) SetElements() []Value {
	switch v.T {
	case SS:
		out := make([]Value, len(v.Set))
		for i, s := range v.Set {
			out[i] = Str(s)
		}
		return out
	case NS:
		out := make([]Value, len(v.Set))
		for i, s := range v.Set {
			out[i] = Value{T: N, S: s}
		}
		return out
	case BS:
		out := make([]Value, len(v.BS))
		for i, b := range v.BS {
			out[i] = Bin(b)
		}
		return out
	}
	return nil
}

// ElementType is the scalar type of a set's elements ("" for non-sets).
func (t Type) ElementType() Type {
	switch t {
	case SS:
		return S
	case NS:
		return N
	case BS:
		return B
	}
	return ""
}

// IsSet reports whether t is a set type.
func (t Type) IsSet() bool { return t == SS || t == NS || t == BS }

// Union returns a ∪ b for two sets of the same type.
func Union(a, b Value) Value {
	out := a.Clone()
	switch a.T {
	case SS, NS:
		seen := map[string]bool{}
		for _, s := range out.Set {
			seen[s] = true
		}
		for _, s := range b.Set {
			if !seen[s] {
				out.Set = append(out.Set, s)
				seen[s] = true
			}
		}
	case BS:
		seen := map[string]bool{}
		for _, x := range out.BS {
			seen[string(x)] = true
		}
		for _, x := range b.BS {
			if !seen[string(x)] {
				out.BS = append(out.BS, append([]byte(nil), x...))
				seen[string(x)] = true
			}
		}
	}
	return out
}

// Difference returns a − b for two sets of the same type; empty reports
// that nothing is left (DynamoDB then removes the attribute).
func Difference(a, b Value) (out Value, empty bool) {
	out = Value{T: a.T}
	switch a.T {
	case SS, NS:
		drop := map[string]bool{}
		for _, s := range b.Set {
			drop[s] = true
		}
		for _, s := range a.Set {
			if !drop[s] {
				out.Set = append(out.Set, s)
			}
		}
		return out, len(out.Set) == 0
	case BS:
		drop := map[string]bool{}
		for _, x := range b.BS {
			drop[string(x)] = true
		}
		for _, x := range a.BS {
			if !drop[string(x)] {
				out.BS = append(out.BS, append([]byte(nil), x...))
			}
		}
		return out, len(out.BS) == 0
	}
	return a, false
}
