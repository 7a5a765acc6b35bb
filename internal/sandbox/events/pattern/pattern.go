package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Error is a malformed pattern.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func invalid(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// numericLimit bounds the numbers numeric matching works with.
const numericLimit = 5e9

// maxDepth bounds the nesting of patterns and events the matcher walks.
const maxDepth = 256

// Pattern is a compiled event pattern.
type Pattern struct {
	root *node
}

// node is one object level of a pattern.
type node struct {
	fields []field
	ors    [][]*node // each "$or": its alternatives
}

type field struct {
	name  string
	child *node  // nested pattern, or
	conds []cond // leaf conditions
}

type kind int

const (
	kExactString kind = iota
	kExactNumber
	kExactLiteral // true, false, null
	kPrefix
	kSuffix
	kEqualsIgnoreCase
	kWildcard
	kAnythingBut       // strings or numbers
	kAnythingButPrefix // ignoreCase: no
	kAnythingButSuffix // ignoreCase: no
	kAnythingButEIC    // set of lower-cased strings
	kAnythingButWildcard
	kNumeric
	kCIDR
	kExists
)

type cond struct {
	kind       kind
	str        string // exact string, literal text, prefix, suffix (lower-cased when ignoreCase)
	ignoreCase bool
	num        float64 // exact number value
	numOK      bool    // num is within the numeric limits
	strs       map[string]bool
	nums       []float64
	wilds      [][]string // wildcard patterns split at unescaped '*'
	lo, hi     float64
	hasLo      bool
	hasHi      bool
	loOpen     bool
	hiOpen     bool
	prefix     netip.Prefix
	exists     bool
}

// Compile parses and validates a pattern.
func Compile(src []byte) (*Pattern, error) {
	v, err := decode(src)
	if err != nil {
		return nil, invalid("%s", err.Error())
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Filter is not an object")
	}
	n, err := compileObject(obj, false, 0)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: n}, nil
}

// MustCompile is Compile for patterns known to be valid (tests, tables).
func MustCompile(src string) *Pattern {
	p, err := Compile([]byte(src))
	if err != nil {
		panic(err)
	}
	return p
}

// decode parses one JSON value, keeping numbers as json.Number, and
// rejects trailing data.
func decode(src []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// reserved are the operator names, which cannot be field names in $or.
var reserved = map[string]bool{
	"prefix": true, "suffix": true, "equals-ignore-case": true, "wildcard": true, "anything-but": true,
	"numeric": true, "cidr": true, "exists": true,
}

func compileObject(obj map[string]any, inOr bool, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, invalid("pattern is nested too deeply")
	}
	if len(obj) == 0 {
		return nil, invalid("Empty objects are not allowed")
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	n := &node{}
	for _, name := range names {
		v := obj[name]
		if name == "$or" {
			alts, err := compileOr(v, depth)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, alts)
			continue
		}
		if inOr && reserved[name] {
			return nil, invalid("%s is Ruler reserved fieldName which cannot be used inside $or.", name)
		}
		switch x := v.(type) {
		case map[string]any:
			child, err := compileObject(x, inOr, depth+1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, child: child})
		case []any:
			conds, err := compileConds(x)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, conds: conds})
		default:
			return nil, invalid("%q must be an object or an array", name)
		}
	}
	return n, nil
}

func compileOr(v any, depth int) ([]*node, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, invalid("It must be an Array followed with $or.")
	}
	var alts []*node
	for _, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, invalid("Only JSON object is allowed in array of $or relationship.")
		}
		n, err := compileObject(obj, true, depth+1)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	if len(alts) < 2 {
		return nil, invalid("There must have at least 2 Objects in $or relationship.")
	}
	return alts, nil
}

func compileConds(arr []any) ([]cond, error) {
	if len(arr) == 0 {
		return nil, invalid("Empty arrays are not allowed")
	}
	conds := make([]cond, 0, len(arr))
	for _, e := range arr {
		switch x := e.(type) {
		case string:
			conds = append(conds, cond{kind: kExactString, str: x})
		case json.Number:
			c := cond{kind: kExactNumber, str: x.String()}
			if f, err := x.Float64(); err == nil && inRange(f) {
				c.num, c.numOK = f, true
			}
			conds = append(conds, c)
		case bool:
			conds = append(conds, cond{kind: kExactLiteral, str: strconv.FormatBool(x)})
		case nil:
			conds = append(conds, cond{kind: kExactLiteral, str: "null"})
		case map[string]any:
			c, err := compileOperator(x)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
		default:
			return nil, invalid("Match value must be String, number, true, false, or null")
		}
	}
	return conds, nil
}

func inRange(f float64) bool {
	return !math.IsNaN(f) && f >= -numericLimit && f <= numericLimit
}

// single returns the only key and value of an operator object.
func single(obj map[string]any) (string, any, error) {
	if len(obj) == 0 {
		return "", nil, invalid("Match expression name not found")
	}
	if len(obj) > 1 {
		return "", nil, invalid("Only one key allowed in match expression")
	}
	for k, v := range obj {
		return k, v, nil
	}
	return "", nil, nil
}

func compileOperator(obj map[string]any) (cond, error) {
	op, v, err := single(obj)
	if err != nil {
		return cond{}, err
	}
	switch op {
	case "prefix", "suffix":
		k := kPrefix
		if op == "suffix" {
			k = kSuffix
		}
		switch x := v.(type) {
		case string:
			return cond{kind: k, str: x}, nil
		case map[string]any:
			sub, sv, err := single(x)
			if err != nil {
				return cond{}, err
			}
			s, ok := sv.(string)
			if sub != "equals-ignore-case" || !ok {
				return cond{}, invalid("%s match pattern must be a string or an equals-ignore-case string", op)
			}
			return cond{kind: k, str: strings.ToLower(s), ignoreCase: true}, nil
		}
		return cond{}, invalid("%s match pattern must be a string", op)
	case "equals-ignore-case":
		s, ok := v.(string)
		if !ok {
			return cond{}, invalid("equals-ignore-case match pattern must be a string")
		}
		return cond{kind: kEqualsIgnoreCase, str: strings.ToLower(s)}, nil
	case "wildcard":
		s, ok := v.(string)
		if !ok {
			return cond{}, invalid("wildcard match pattern must be a string")
		}
		w, err := compileWildcard(s)
		if err != nil {
			return cond{}, err
		}
		return cond{kind: kWildcard, wilds: [][]string{w}}, nil
	case "anything-but":
		return compileAnythingBut(v)
	case "numeric":
		arr, ok := v.([]any)
		if !ok {
			return cond{}, invalid("Value of numeric must be an array.")
		}
		return compileNumeric(arr)
	case "cidr":
		s, ok := v.(string)
		if !ok {
			return cond{}, invalid("cidr match pattern must be a string")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return cond{}, invalid("Nonstandard IP address: %s", s)
		}
		return cond{kind: kCIDR, prefix: p.Masked()}, nil
	case "exists":
		b, ok := v.(bool)
		if !ok {
			return cond{}, invalid("exists match pattern must be either true or false.")
		}
		return cond{kind: kExists, exists: b}, nil
	}
	return cond{}, invalid("Unrecognized match type %s", op)
}

func compileAnythingBut(v any) (cond, error) {
	switch x := v.(type) {
	case string:
		return cond{kind: kAnythingBut, strs: map[string]bool{x: true}}, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil || !inRange(f) {
			return cond{}, invalid("Value of anything-but must be between -5.0E9 and 5.0E9 inclusive")
		}
		return cond{kind: kAnythingBut, nums: []float64{f}}, nil
	case []any:
		c := cond{kind: kAnythingBut}
		var hasStr, hasNum bool
		for _, e := range x {
			switch y := e.(type) {
			case string:
				hasStr = true
				if c.strs == nil {
					c.strs = map[string]bool{}
				}
				c.strs[y] = true
			case json.Number:
				hasNum = true
				f, err := y.Float64()
				if err != nil || !inRange(f) {
					return cond{}, invalid("Value of anything-but must be between -5.0E9 and 5.0E9 inclusive")
				}
				c.nums = append(c.nums, f)
			default:
				return cond{}, invalid("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if hasStr == hasNum {
			return cond{}, invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		return c, nil
	case map[string]any:
		op, sv, err := single(x)
		if err != nil {
			return cond{}, err
		}
		switch op {
		case "prefix", "suffix":
			s, ok := sv.(string)
			if !ok {
				return cond{}, invalid("prefix/suffix match pattern must be a string")
			}
			if s == "" {
				return cond{}, invalid("Null prefix/suffix not allowed")
			}
			if op == "prefix" {
				return cond{kind: kAnythingButPrefix, str: s}, nil
			}
			return cond{kind: kAnythingButSuffix, str: s}, nil
		case "equals-ignore-case":
			c := cond{kind: kAnythingButEIC, strs: map[string]bool{}}
			switch y := sv.(type) {
			case string:
				c.strs[strings.ToLower(y)] = true
			case []any:
				if len(y) == 0 {
					return cond{}, invalid("Empty arrays are not allowed")
				}
				for _, e := range y {
					s, ok := e.(string)
					if !ok {
						return cond{}, invalid("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
					}
					c.strs[strings.ToLower(s)] = true
				}
			default:
				return cond{}, invalid("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
			}
			return c, nil
		case "wildcard":
			c := cond{kind: kAnythingButWildcard}
			var list []any
			switch y := sv.(type) {
			case string:
				list = []any{y}
			case []any:
				list = y
			default:
				return cond{}, invalid("wildcard match pattern must be a string")
			}
			if len(list) == 0 {
				return cond{}, invalid("Empty arrays are not allowed")
			}
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					return cond{}, invalid("wildcard match pattern must be a string")
				}
				w, err := compileWildcard(s)
				if err != nil {
					return cond{}, err
				}
				c.wilds = append(c.wilds, w)
			}
			return c, nil
		}
		return cond{}, invalid("Unsupported anything-but pattern: %s", op)
	}
	return cond{}, invalid("Value of anything-but must be an array or single string/number value.")
}

func compileNumeric(arr []any) (cond, error) {
	num := func(i int, op string) (float64, error) {
		if i >= len(arr) {
			return 0, invalid("Value of %s must be numeric", op)
		}
		n, ok := arr[i].(json.Number)
		if !ok {
			return 0, invalid("Value of %s must be numeric", op)
		}
		f, err := n.Float64()
		if err != nil || !inRange(f) {
			return 0, invalid("Value of %s must be between -5.0E9 and 5.0E9 inclusive", op)
		}
		return f, nil
	}
	if len(arr) == 0 {
		return cond{}, invalid("Empty numeric expression")
	}
	op, ok := arr[0].(string)
	if !ok {
		return cond{}, invalid("Invalid member in numeric match: %v", arr[0])
	}
	c := cond{kind: kNumeric}
	switch op {
	case "=":
		f, err := num(1, op)
		if err != nil {
			return cond{}, err
		}
		if len(arr) != 2 {
			return cond{}, invalid("Too many elements in numeric expression")
		}
		c.lo, c.hi, c.hasLo, c.hasHi = f, f, true, true
		return c, nil
	case "<", "<=":
		f, err := num(1, op)
		if err != nil {
			return cond{}, err
		}
		if len(arr) != 2 {
			return cond{}, invalid("Too many elements in numeric expression")
		}
		c.hi, c.hasHi, c.hiOpen = f, true, op == "<"
		return c, nil
	case ">", ">=":
		f, err := num(1, op)
		if err != nil {
			return cond{}, err
		}
		c.lo, c.hasLo, c.loOpen = f, true, op == ">"
		if len(arr) == 2 {
			return c, nil
		}
		top, ok := arr[2].(string)
		if !ok {
			return cond{}, invalid("Bad value in numeric range: %v", arr[2])
		}
		if top != "<" && top != "<=" {
			return cond{}, invalid("Bad numeric range operator: %s", top)
		}
		g, err := num(3, top)
		if err != nil {
			return cond{}, err
		}
		if len(arr) != 4 {
			return cond{}, invalid("Too many terms in numeric range expression")
		}
		if g <= f {
			return cond{}, invalid("Bottom must be less than top")
		}
		c.hi, c.hasHi, c.hiOpen = g, true, top == "<"
		return c, nil
	}
	return cond{}, invalid("Unrecognized numeric range operator: %s", op)
}

// compileWildcard splits a wildcard pattern at its unescaped '*'s.
func compileWildcard(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*':
			if prevStar {
				return nil, invalid("Consecutive wildcard characters at pos %d", i)
			}
			parts = append(parts, cur.String())
			cur.Reset()
			prevStar = true
			continue
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, invalid("Invalid escape character at pos %d", i)
			}
			i++
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(s[i])
		}
		prevStar = false
	}
	return append(parts, cur.String()), nil
}

// wildMatch reports whether s matches the parts of a wildcard pattern
// (literal runs that '*'s separated).
func wildMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// MatchJSON reports whether an event, as JSON, matches. An event that is
// not a JSON object is an error.
func (p *Pattern) MatchJSON(event []byte) (bool, error) {
	v, err := decode(event)
	if err != nil {
		return false, fmt.Errorf("event is not valid JSON: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return false, errors.New("event is not a JSON object")
	}
	return p.Match(v), nil
}

// Match reports whether a decoded event (decoded with json.Decoder.UseNumber,
// so numbers are json.Number; float64 works too) matches.
func (p *Pattern) Match(event any) bool {
	return p.root.match(event, true, 0)
}

// match evaluates a node against v; present is false when the path the
// node sits at does not exist in the event.
func (n *node) match(v any, present bool, depth int) bool {
	if depth > maxDepth {
		return false
	}
	if arr, ok := v.([]any); ok && present {
		for _, e := range arr {
			if n.match(e, true, depth+1) {
				return true
			}
		}
		// An array with no object in it leaves the fields under this path
		// absent, so absence conditions can still hold.
		if !hasObject(arr, depth) {
			return n.match(nil, false, depth+1)
		}
		return false
	}
	obj, _ := v.(map[string]any)
	if !present {
		obj = nil
	}
	for i := range n.fields {
		f := &n.fields[i]
		fv, ok := obj[f.name]
		if f.child != nil {
			if !f.child.match(fv, ok, depth+1) {
				return false
			}
			continue
		}
		if !matchLeaf(f.conds, fv, ok) {
			return false
		}
	}
	for _, alts := range n.ors {
		matched := false
		for _, a := range alts {
			if a.match(v, present, depth+1) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

func hasObject(arr []any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	for _, e := range arr {
		switch x := e.(type) {
		case map[string]any:
			return true
		case []any:
			if hasObject(x, depth+1) {
				return true
			}
		}
	}
	return false
}

// leafValues collects the scalar values at a leaf, crushing arrays and
// dropping objects.
func leafValues(v any, out []any, depth int) []any {
	if depth > maxDepth {
		return out
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = leafValues(e, out, depth+1)
		}
	case map[string]any:
	default:
		out = append(out, x)
	}
	return out
}

func matchLeaf(conds []cond, v any, present bool) bool {
	var vals []any
	if present {
		vals = leafValues(v, nil, 0)
	}
	for i := range conds {
		c := &conds[i]
		if c.kind == kExists {
			if c.exists == (len(vals) > 0) {
				return true
			}
			continue
		}
		for _, val := range vals {
			if c.match(val) {
				return true
			}
		}
	}
	return false
}

// numberOf returns an event value as a number, if it is one.
func numberOf(v any) (float64, string, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, x.String(), false
		}
		return f, x.String(), true
	case float64:
		return x, strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return 0, "", false
}

func (c *cond) match(v any) bool {
	s, isStr := v.(string)
	switch c.kind {
	case kExactString:
		return isStr && s == c.str
	case kExactNumber:
		f, text, ok := numberOf(v)
		if !ok {
			_, isNum := v.(json.Number)
			return isNum && text == c.str
		}
		return text == c.str || (c.numOK && inRange(f) && f == c.num)
	case kExactLiteral:
		switch x := v.(type) {
		case bool:
			return strconv.FormatBool(x) == c.str
		case nil:
			return c.str == "null"
		}
		return false
	case kPrefix:
		if !isStr {
			return false
		}
		if c.ignoreCase {
			return strings.HasPrefix(strings.ToLower(s), c.str)
		}
		return strings.HasPrefix(s, c.str)
	case kSuffix:
		if !isStr {
			return false
		}
		if c.ignoreCase {
			return strings.HasSuffix(strings.ToLower(s), c.str)
		}
		return strings.HasSuffix(s, c.str)
	case kEqualsIgnoreCase:
		return isStr && strings.ToLower(s) == c.str
	case kWildcard:
		return isStr && wildMatch(c.wilds[0], s)
	case kAnythingBut:
		if c.nums != nil {
			f, _, ok := numberOf(v)
			if !ok || !inRange(f) {
				return false
			}
			for _, n := range c.nums {
				if n == f {
					return false
				}
			}
			return true
		}
		if isStr {
			return !c.strs[s]
		}
		return true
	case kAnythingButPrefix:
		return isStr && !strings.HasPrefix(s, c.str)
	case kAnythingButSuffix:
		return isStr && !strings.HasSuffix(s, c.str)
	case kAnythingButEIC:
		return isStr && !c.strs[strings.ToLower(s)]
	case kAnythingButWildcard:
		if !isStr {
			return false
		}
		for _, w := range c.wilds {
			if wildMatch(w, s) {
				return false
			}
		}
		return true
	case kNumeric:
		f, _, ok := numberOf(v)
		if !ok || !inRange(f) {
			return false
		}
		if c.hasLo && (f < c.lo || (c.loOpen && f == c.lo)) {
			return false
		}
		if c.hasHi && (f > c.hi || (c.hiOpen && f == c.hi)) {
			return false
		}
		return true
	case kCIDR:
		if !isStr {
			return false
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		return c.prefix.Contains(a.Unmap()) || c.prefix.Contains(a)
	}
	return false
}
