package expr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
)

// maxInOperands is DynamoDB's limit on the right side of IN.
const maxInOperands = 100

// maxExprLen is DynamoDB's limit on an expression's length (4 KB).
const maxExprLen = 4096

type parser struct {
	src    string
	kind   string // "ConditionExpression", "UpdateExpression", … for messages
	toks   []token
	i      int
	env    *Env
	update bool // update-expression operands (if_not_exists, list_append, + and -)
	depth  int
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 100

func newParser(kind, src string, env *Env) (*parser, error) {
	if env == nil {
		env = NewEnv(nil, nil)
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Msg: "Invalid " + kind + ": The expression can not be empty;"}
	}
	if len(src) > maxExprLen {
		return nil, &Error{Msg: "Invalid " + kind + ": Expression size has exceeded the maximum allowed size; expression size: " + strconv.Itoa(len(src))}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, &Error{Msg: "Invalid " + kind + ": " + err.Msg}
	}
	return &parser{src: src, kind: kind, toks: toks, env: env}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errf(format string, args ...any) *Error {
	return &Error{Msg: "Invalid " + p.kind + ": " + fmt.Sprintf(format, args...)}
}

func (p *parser) syntax(t token) *Error {
	return &Error{Msg: "Invalid " + p.kind + ": " + syntaxError(p.src, t).Msg}
}

func (p *parser) expect(k tokKind) (token, *Error) {
	t := p.next()
	if t.kind != k {
		return t, p.syntax(t)
	}
	return t, nil
}

// ParseCondition parses a ConditionExpression or FilterExpression (kind
// names which, for messages).
func ParseCondition(kind, src string, env *Env) (Cond, error) {
	p, err := newParser(kind, src, env)
	if err != nil {
		return nil, err
	}
	c, perr := p.parseOr()
	if perr != nil {
		return nil, perr
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.syntax(t)
	}
	return c, nil
}

func (p *parser) enter() *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf("The expression is nested too deeply")
	}
	return nil
}

func (p *parser) parseOr() (Cond, *Error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.peek().keyword("OR") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orCond{l, r}
	}
	return l, nil
}

func (p *parser) parseAnd() (Cond, *Error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.peek().keyword("AND") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = andCond{l, r}
	}
	return l, nil
}

func (p *parser) parseNot() (Cond, *Error) {
	if p.peek().keyword("NOT") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notCond{c}, nil
	}
	return p.parsePrimary()
}

var conditionFuncs = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2,
}

func (p *parser) parsePrimary() (Cond, *Error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return c, nil
	}
	if t.kind == tIdent && p.peekAt(1).kind == tLParen {
		if _, ok := conditionFuncs[t.text]; ok {
			return p.parseConditionFunc()
		}
	}
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t = p.peek()
	switch {
	case t.keyword("BETWEEN"):
		p.next()
		lo, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if t := p.next(); !t.keyword("AND") {
			return nil, p.syntax(t)
		}
		hi, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		for _, o := range []*Operand{l, lo, hi} {
			if err := p.checkOrderable("BETWEEN", o); err != nil {
				return nil, err
			}
		}
		if lo.kind == opValue && hi.kind == opValue {
			if lo.val.T != hi.val.T {
				return nil, p.errf("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: %s, upper bound operand: %s", render(lo.val), render(hi.val))
			}
			if n, _ := attr.Compare(lo.val, hi.val); n > 0 {
				return nil, p.errf("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: %s, upper operand: %s", render(lo.val), render(hi.val))
			}
		}
		return betweenCond{l, lo, hi}, nil
	case t.keyword("IN"):
		p.next()
		if _, err := p.expect(tLParen); err != nil {
			return nil, err
		}
		var list []*Operand
		for {
			o, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			list = append(list, o)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		if len(list) > maxInOperands {
			return nil, p.errf("Too many operands for IN; IN, number of operands: %d", len(list))
		}
		return inCond{l, list}, nil
	}
	op, ok := map[tokKind]cmpOp{tEq: opEq, tNe: opNe, tLt: opLt, tLe: opLe, tGt: opGt, tGe: opGe}[t.kind]
	if !ok {
		if l.kind == opSize {
			return nil, p.errf("The function is not allowed to be used this way in an expression; function: size")
		}
		return nil, p.syntax(t)
	}
	p.next()
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if op != opEq && op != opNe {
		for _, o := range []*Operand{l, r} {
			if err := p.checkOrderable(cmpNames[op], o); err != nil {
				return nil, err
			}
		}
	}
	return compareCond{op, l, r}, nil
}

// checkOrderable rejects a constant that cannot be ordered (<, BETWEEN…).
func (p *parser) checkOrderable(op string, o *Operand) *Error {
	if o.kind == opValue && o.val.T != attr.S && o.val.T != attr.N && o.val.T != attr.B {
		return p.errf("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, typeName(o.val.T))
	}
	return nil
}

func (p *parser) parseConditionFunc() (Cond, *Error) {
	name := p.next().text
	args, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	if want := conditionFuncs[name]; len(args) != want {
		return nil, p.errf("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	switch name {
	case "attribute_exists", "attribute_not_exists":
		if args[0].kind != opPath {
			return nil, p.errf("Operator or function requires a document path; operator or function: %s", name)
		}
	case "attribute_type":
		if args[0].kind != opPath {
			return nil, p.errf("Operator or function requires a document path; operator or function: %s", name)
		}
		if args[1].kind == opValue {
			if args[1].val.T != attr.S {
				return nil, p.errf("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", name, typeName(args[1].val.T))
			}
			if !attr.ValidType(args[1].val.S) {
				return nil, p.errf("Invalid attribute type name found in type operand of attribute_type function; type: %s", args[1].val.S)
			}
		}
	case "begins_with":
		for _, a := range args {
			if a.kind == opValue && a.val.T != attr.S && a.val.T != attr.B {
				return nil, p.errf("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", name, typeName(a.val.T))
			}
		}
	case "contains":
		if args[0].kind == opValue {
			return nil, p.errf("Operator or function requires a document path; operator or function: %s", name)
		}
	}
	return funcCond{name, args}, nil
}

func (p *parser) parseArgs() ([]*Operand, *Error) {
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var args []*Operand
	if p.peek().kind == tRParen {
		p.next()
		return args, nil
	}
	for {
		o, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		args = append(args, o)
		t := p.next()
		if t.kind == tRParen {
			return args, nil
		}
		if t.kind != tComma {
			return nil, p.syntax(t)
		}
	}
}

// parseOperand parses a path, a value placeholder or a function that yields
// a value (size; in update expressions also if_not_exists and list_append).
func (p *parser) parseOperand() (*Operand, *Error) {
	t := p.peek()
	switch t.kind {
	case tValue:
		p.next()
		v, ok := p.env.Values[t.text]
		if !ok {
			return nil, p.errf("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
		}
		p.env.usedV[t.text] = true
		return &Operand{kind: opValue, val: v}, nil
	case tIdent:
		if p.peekAt(1).kind == tLParen {
			return p.parseOperandFunc()
		}
		fallthrough
	case tName:
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		return &Operand{kind: opPath, path: path}, nil
	}
	return nil, p.syntax(t)
}

func (p *parser) parseOperandFunc() (*Operand, *Error) {
	name := p.next().text
	args, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	want := map[string]int{"size": 1}
	if p.update {
		want = map[string]int{"if_not_exists": 2, "list_append": 2}
	}
	n, ok := want[name]
	if !ok {
		if _, isCond := conditionFuncs[name]; isCond || name == "size" || name == "if_not_exists" || name == "list_append" {
			return nil, p.errf("The function is not allowed to be used this way in an expression; function: %s", name)
		}
		return nil, p.errf("Invalid function name; function: %s", name)
	}
	if len(args) != n {
		return nil, p.errf("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	switch name {
	case "size":
		if args[0].kind != opPath {
			return nil, p.errf("Operator or function requires a document path; operator or function: %s", name)
		}
		return &Operand{kind: opSize, path: args[0].path}, nil
	case "if_not_exists":
		if args[0].kind != opPath {
			return nil, p.errf("Operator or function requires a document path; operator or function: %s", name)
		}
		return &Operand{kind: opIfNotExists, path: args[0].path, args: args}, nil
	default: // list_append
		for _, a := range args {
			if a.kind == opValue && a.val.T != attr.L {
				return nil, p.errf("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", name, typeName(a.val.T))
			}
		}
		return &Operand{kind: opListAppend, args: args}, nil
	}
}

// parsePath parses name(.name | [index])*.
func (p *parser) parsePath() (Path, *Error) {
	var path Path
	name, err := p.pathName()
	if err != nil {
		return nil, err
	}
	path = append(path, PathElem{Name: name})
	for {
		switch p.peek().kind {
		case tDot:
			p.next()
			name, err := p.pathName()
			if err != nil {
				return nil, err
			}
			path = append(path, PathElem{Name: name})
		case tLBrack:
			p.next()
			t, err := p.expect(tInt)
			if err != nil {
				return nil, err
			}
			n, convErr := strconv.Atoi(t.text)
			if convErr != nil || n > 1<<24 {
				return nil, p.errf("List index is not within the allowable range; index: [%s]", t.text)
			}
			if _, err := p.expect(tRBrack); err != nil {
				return nil, err
			}
			path = append(path, PathElem{Index: n, IsIndex: true})
		default:
			if len(path) > 32 {
				return nil, p.errf("The document path has too many nesting levels; nesting levels: %d", len(path))
			}
			return path, nil
		}
	}
}

func (p *parser) pathName() (string, *Error) {
	t := p.next()
	switch t.kind {
	case tIdent:
		if reserved[strings.ToUpper(t.text)] {
			return "", p.errf("Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		return t.text, nil
	case tName:
		n, ok := p.env.Names[t.text]
		if !ok {
			return "", p.errf("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.env.usedN[t.text] = true
		return n, nil
	}
	return "", p.syntax(t)
}

// Projection is a parsed ProjectionExpression.
type Projection []Path

// ParseProjection parses a ProjectionExpression: paths separated by commas.
func ParseProjection(src string, env *Env) (Projection, error) {
	p, err := newParser("ProjectionExpression", src, env)
	if err != nil {
		return nil, err
	}
	var out Projection
	for {
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		out = append(out, path)
		t := p.next()
		if t.kind == tEOF {
			break
		}
		if t.kind != tComma {
			return nil, p.syntax(t)
		}
	}
	if err := checkOverlap("ProjectionExpression", out); err != nil {
		return nil, err
	}
	return out, nil
}

// Attributes is a projection of whole top-level attributes (the legacy
// AttributesToGet parameter).
func Attributes(names []string) Projection {
	out := make(Projection, len(names))
	for i, n := range names {
		out[i] = Path{{Name: n}}
	}
	return out
}

// Apply returns the projected item: only the listed paths, keeping their
// place in nested maps and lists.
func (pr Projection) Apply(item attr.Item) attr.Item {
	out := attr.Item{}
	for _, path := range pr {
		v, ok := Get(item, path)
		if !ok {
			continue
		}
		if len(path) == 1 {
			out[path[0].Name] = v.Clone()
			continue
		}
		root, exists := out[path[0].Name]
		if !exists {
			root = emptyLike(path[1])
		}
		out[path[0].Name] = insert(root, path[1:], v.Clone())
	}
	return out
}

func emptyLike(e PathElem) attr.Value {
	if e.IsIndex {
		return attr.Value{T: attr.L}
	}
	return attr.Value{T: attr.M, M: map[string]attr.Value{}}
}

// insert places v at rest inside dst, building containers as needed. Listed
// list elements keep their relative order.
func insert(dst attr.Value, rest Path, v attr.Value) attr.Value {
	e := rest[0]
	if e.IsIndex {
		if dst.T != attr.L {
			return dst
		}
		if len(rest) == 1 {
			dst.L = append(dst.L, v)
			return dst
		}
		child := emptyLike(rest[1])
		dst.L = append(dst.L, insert(child, rest[1:], v))
		return dst
	}
	if dst.T != attr.M {
		return dst
	}
	if len(rest) == 1 {
		dst.M[e.Name] = v
		return dst
	}
	child, ok := dst.M[e.Name]
	if !ok {
		child = emptyLike(rest[1])
	}
	dst.M[e.Name] = insert(child, rest[1:], v)
	return dst
}
