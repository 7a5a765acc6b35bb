package canary

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Condition is a parsed assertion on one check result, such as
//
//	status == 200
//	status in [200, 204]
//	latency < 300ms
//	body contains "ok"
//	body matches "^\\{.*\\}$"
//	json.status == "ok"
//	json.items.length > 0            (or len(json.items) > 0)
//	header.Content-Type contains "json"
//	cert.expires_in > 48h
//	status == 200 && (latency < 1s || json.degraded == true)
//
// Operands: status (number), latency (duration), body (string), json.PATH
// (the body as JSON: .key, [index], ["key with spaces"], .length),
// header.NAME (string), cert.expires_in (duration), cert.subject and
// cert.issuer (strings), len(x), and literals: numbers, durations (300ms,
// 1.5s, 48h, 7d), "strings", true, false, null and [lists]. Operators: ==
// != < <= > >= in, not in, contains, not contains, matches (RE2), !, &&,
// || and parentheses. A Condition is parsed once and evaluated per result;
// it is safe for concurrent use.
type Condition struct {
	src  string
	root node
}

// SyntaxError is a condition that does not parse or type-check; Column is
// 1-based, in characters.
type SyntaxError struct {
	Condition string
	Column    int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("condition `%s`: column %d: %s", e.Condition, e.Column, e.Msg)
}

// ParseCondition parses and type-checks a condition.
func ParseCondition(src string) (*Condition, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek(), "empty condition")
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, fmt.Sprintf("unexpected %s after a complete condition (join conditions with && or ||)", t.describe()))
	}
	return &Condition{src: src, root: n}, nil
}

// MustParseCondition is ParseCondition for literals in tests and examples;
// it panics on error.
func MustParseCondition(src string) *Condition {
	c, err := ParseCondition(src)
	if err != nil {
		panic(err)
	}
	return c
}

// String is the condition as written.
func (c *Condition) String() string { return c.src }

// Response is what conditions are evaluated against.
type Response struct {
	Status  int
	Latency time.Duration
	Body    []byte
	Header  http.Header
	// Cert is the server's leaf certificate (nil without TLS).
	Cert *x509.Certificate
	// Now is when the check ran (for cert.expires_in).
	Now time.Time

	jsonDone bool
	json     any
	jsonErr  error
}

func (r *Response) parsedJSON() (any, error) {
	if !r.jsonDone {
		r.jsonDone = true
		if err := json.Unmarshal(r.Body, &r.json); err != nil {
			r.jsonErr = fmt.Errorf("body is not JSON (%v)", err)
		}
	}
	return r.json, r.jsonErr
}

// Eval evaluates the condition. When it does not hold, explain says what
// was observed: `status = 500`, `json.status: no such field`.
func (c *Condition) Eval(r *Response) (ok bool, explain string) {
	ev := &evaluator{resp: r, seen: map[string]bool{}}
	ok = ev.eval(c.root)
	if ok {
		return true, ""
	}
	return false, strings.Join(ev.observed, ", ")
}

// ---- lexer ----

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tDuration
	tString
	tOp // == != < <= > >= && || ! ( ) [ ] , .
)

type token struct {
	kind tokKind
	text string // identifier, operator, or literal source
	str  string // decoded string literal
	num  float64
	dur  time.Duration
	col  int // 1-based column (runes)
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tString:
		return "string " + t.text
	default:
		return strconv.Quote(t.text)
	}
}

var durationRe = regexp.MustCompile(`^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$`)
var durationPartRe = regexp.MustCompile(`(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)`)

func lex(src string) ([]token, error) {
	var toks []token
	runes := []rune(src)
	errAt := func(col int, msg string) error { return &SyntaxError{Condition: src, Column: col, Msg: msg} }
	for i := 0; i < len(runes); {
		c := runes[i]
		col := i + 1
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			closed := false
			for j < len(runes) {
				if runes[j] == '\\' && j+1 < len(runes) {
					switch e := runes[j+1]; e {
					case 'n':
						b.WriteRune('\n')
					case 't':
						b.WriteRune('\t')
					case '\\', '"', '\'':
						b.WriteRune(e)
					default:
						// Keep unknown escapes (regexps: \d, \s, \.).
						b.WriteRune('\\')
						b.WriteRune(e)
					}
					j += 2
					continue
				}
				if runes[j] == c {
					closed = true
					break
				}
				b.WriteRune(runes[j])
				j++
			}
			if !closed {
				return nil, errAt(col, "unterminated string (add the closing quote)")
			}
			toks = append(toks, token{kind: tString, text: string(runes[i : j+1]), str: b.String(), col: col})
			i = j + 1
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(runes) && runes[i+1] >= '0' && runes[i+1] <= '9' && prevAllowsSign(toks):
			j := i + 1
			for j < len(runes) && (runes[j] >= '0' && runes[j] <= '9' || runes[j] == '.' || unicode.IsLetter(runes[j]) || runes[j] == 'µ') {
				j++
			}
			text := string(runes[i:j])
			neg := strings.HasPrefix(text, "-")
			body := strings.TrimPrefix(text, "-")
			if durationRe.MatchString(body) {
				d, err := parseDuration(body)
				if err != nil {
					return nil, errAt(col, fmt.Sprintf("bad duration %q: %v", text, err))
				}
				if neg {
					d = -d
				}
				toks = append(toks, token{kind: tDuration, text: text, dur: d, col: col})
			} else {
				n, err := strconv.ParseFloat(text, 64)
				if err != nil {
					return nil, errAt(col, fmt.Sprintf("bad number %q (durations take a unit: ms, s, m, h, d)", text))
				}
				toks = append(toks, token{kind: tNumber, text: text, num: n, col: col})
			}
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i + 1
			for j < len(runes) && (unicode.IsLetter(runes[j]) || unicode.IsDigit(runes[j]) || runes[j] == '_' || runes[j] == '-') {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: string(runes[i:j]), col: col})
			i = j
		default:
			two := ""
			if i+1 < len(runes) {
				two = string(runes[i : i+2])
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				toks = append(toks, token{kind: tOp, text: two, col: col})
				i += 2
				continue
			}
			switch c {
			case '<', '>', '!', '(', ')', '[', ']', ',', '.':
				toks = append(toks, token{kind: tOp, text: string(c), col: col})
				i++
			case '=':
				return nil, errAt(col, `"=" is not an operator: compare with "=="`)
			case '&':
				return nil, errAt(col, `"&" is not an operator: use "&&"`)
			case '|':
				return nil, errAt(col, `"|" is not an operator: use "||"`)
			default:
				return nil, errAt(col, fmt.Sprintf("unexpected character %q", c))
			}
		}
	}
	return append(toks, token{kind: tEOF, col: len(runes) + 1}), nil
}

// prevAllowsSign: a '-' starts a negative number only where an operand
// may start (not after an operand: "a-1" is not valid anyway).
func prevAllowsSign(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	t := toks[len(toks)-1]
	return t.kind == tOp && t.text != ")" && t.text != "]" || t.kind == tIdent && (t.text == "in" || t.text == "contains")
}

// parseDuration is time.ParseDuration plus a "d" (24h) unit.
func parseDuration(s string) (time.Duration, error) {
	if !strings.Contains(s, "d") {
		return time.ParseDuration(s)
	}
	var total time.Duration
	for _, m := range durationPartRe.FindAllStringSubmatch(s, -1) {
		unit := m[2]
		if unit == "d" {
			f, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				return 0, err
			}
			total += time.Duration(f * float64(24*time.Hour))
			continue
		}
		d, err := time.ParseDuration(m[1] + unit)
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// ---- AST ----

type node interface{ isNode() }

type logicNode struct {
	op          string // && or ||
	left, right node
}

type notNode struct{ x node }

type cmpNode struct {
	op          string // == != < <= > >= in notin contains notcontains matches notmatches
	left, right operand
	re          *regexp.Regexp
}

type truthNode struct{ x operand }

func (logicNode) isNode() {}
func (notNode) isNode()   {}
func (cmpNode) isNode()   {}
func (truthNode) isNode() {}

// vtype is an operand's static type.
type vtype int

const (
	vAny vtype = iota // JSON: known at evaluation
	vNumber
	vDuration
	vString
	vBool
	vNull
	vList
)

func (t vtype) String() string {
	return [...]string{"a JSON value", "a number", "a duration", "a string", "a boolean", "null", "a list"}[t]
}

type operand struct {
	col  int
	text string // as written, for explanations
	// a literal:
	lit   bool
	value value
	// or a path:
	root  string   // status, latency, body, json, header, cert
	segs  []string // after the root
	isLen bool     // len(path) or path.length
	typ   vtype
}

// ---- parser ----

type parser struct {
	src  string
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{Condition: p.src, Column: t.col, Msg: msg}
}

func (p *parser) isOp(text string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == text
}

func (p *parser) parseOr() (node, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isOp("||") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = logicNode{op: "||", left: left, right: right}
	}
	return left, nil
}

func (p *parser) parseAnd() (node, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isOp("&&") {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = logicNode{op: "&&", left: left, right: right}
	}
	return left, nil
}

func (p *parser) parseUnary() (node, error) {
	if p.isOp("!") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{x: x}, nil
	}
	if p.isOp("(") {
		open := p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.isOp(")") {
			t := p.peek()
			if t.kind == tEOF {
				return nil, p.errAt(open, `unclosed "(" (add ")")`)
			}
			return nil, p.errAt(t, fmt.Sprintf(`expected ")", found %s`, t.describe()))
		}
		p.next()
		return x, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (node, error) {
	left, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	opTok := p.peek()
	op := ""
	switch {
	case opTok.kind == tOp && isCmpOp(opTok.text):
		op = opTok.text
		p.next()
	case opTok.kind == tIdent && (opTok.text == "in" || opTok.text == "contains" || opTok.text == "matches"):
		op = opTok.text
		p.next()
	case opTok.kind == tIdent && opTok.text == "not":
		p.next()
		t := p.peek()
		if t.kind != tIdent || (t.text != "in" && t.text != "contains" && t.text != "matches") {
			return nil, p.errAt(t, `expected "in", "contains" or "matches" after "not"`)
		}
		p.next()
		op = "not" + t.text
	default:
		// A bare operand: true when it is boolean true (json.healthy).
		if left.lit || left.typ == vAny {
			if left.lit && left.value.kind != vBool {
				return nil, p.errAt(opTok, fmt.Sprintf("expected an operator after %s (==, !=, <, <=, >, >=, in, contains, matches)", left.text))
			}
			return truthNode{x: left}, nil
		}
		if opTok.kind == tEOF {
			return nil, p.errAt(opTok, fmt.Sprintf("%s needs a comparison, such as %s", left.text, example(left)))
		}
		return nil, p.errAt(opTok, fmt.Sprintf("expected an operator after %s, found %s", left.text, opTok.describe()))
	}
	right, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	n := cmpNode{op: op, left: left, right: right}
	if err := p.check(&n, opTok); err != nil {
		return nil, err
	}
	return n, nil
}

func isCmpOp(s string) bool {
	switch s {
	case "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func example(o operand) string {
	switch o.typ {
	case vNumber:
		return o.text + " == 200"
	case vDuration:
		return o.text + " < 300ms"
	default:
		return o.text + ` contains "ok"`
	}
}

// check type-checks a comparison.
func (p *parser) check(n *cmpNode, opTok token) error {
	l, r := n.left, n.right
	at := func(o operand, msg string) error { return &SyntaxError{Condition: p.src, Column: o.col, Msg: msg} }
	switch n.op {
	case "<", "<=", ">", ">=":
		lt, rt := l.typ, r.typ
		if lt == vAny && (rt == vNumber || rt == vAny) || rt == vAny && lt == vNumber {
			return nil
		}
		if lt != rt || (lt != vNumber && lt != vDuration) {
			if lt == vDuration && rt == vNumber {
				return at(r, fmt.Sprintf("%s is a duration: write a unit, like %sms", l.text, r.text))
			}
			if lt == vNumber && rt == vDuration {
				return at(r, fmt.Sprintf("%s is a number, not a duration", l.text))
			}
			return at(l, fmt.Sprintf("%s compares numbers or durations, not %s and %s", n.op, lt, rt))
		}
	case "==", "!=":
		if l.typ != vAny && r.typ != vAny && l.typ != r.typ && l.typ != vNull && r.typ != vNull {
			if l.typ == vDuration && r.typ == vNumber {
				return at(r, fmt.Sprintf("%s is a duration: write a unit, like %sms", l.text, r.text))
			}
			return at(r, fmt.Sprintf("cannot compare %s (%s) with %s", l.text, l.typ, r.typ))
		}
		if r.typ == vList || l.typ == vList {
			return at(r, `compare with a list using "in"`)
		}
	case "in", "notin":
		if !r.lit || r.value.kind != vList {
			return at(r, fmt.Sprintf(`"in" needs a list, like [200, 204]; found %s`, r.text))
		}
		for _, e := range r.value.list {
			if l.typ != vAny && e.kind != l.typ {
				return at(r, fmt.Sprintf("the list holds %s, but %s is %s", e.kind, l.text, l.typ))
			}
		}
	case "contains", "notcontains":
		if l.typ != vString && l.typ != vAny && l.typ != vList {
			return at(l, fmt.Sprintf("contains needs a string or a JSON array on the left; %s is %s", l.text, l.typ))
		}
		if l.typ == vString && r.typ != vString {
			return at(r, fmt.Sprintf("%s is a string: compare it with a quoted string", l.text))
		}
	case "matches", "notmatches":
		if l.typ != vString && l.typ != vAny {
			return at(l, fmt.Sprintf("matches needs a string on the left; %s is %s", l.text, l.typ))
		}
		if !r.lit || r.value.kind != vString {
			return at(r, "matches needs a quoted regular expression on the right")
		}
		re, err := regexp.Compile(r.value.str)
		if err != nil {
			return at(r, fmt.Sprintf("bad regular expression: %v", err))
		}
		n.re = re
	}
	return nil
}

// paths known statically: root → allowed segments and type.
func (p *parser) parseOperand() (operand, error) {
	t := p.peek()
	switch t.kind {
	case tEOF:
		return operand{}, p.errAt(t, "expected a value (status, latency, body, json.…, header.…, cert.expires_in, or a literal)")
	case tNumber:
		p.next()
		return operand{col: t.col, text: t.text, lit: true, value: value{kind: vNumber, num: t.num}, typ: vNumber}, nil
	case tDuration:
		p.next()
		return operand{col: t.col, text: t.text, lit: true, value: value{kind: vDuration, dur: t.dur}, typ: vDuration}, nil
	case tString:
		p.next()
		return operand{col: t.col, text: t.text, lit: true, value: value{kind: vString, str: t.str}, typ: vString}, nil
	case tOp:
		if t.text == "[" {
			return p.parseList()
		}
		return operand{}, p.errAt(t, fmt.Sprintf("expected a value, found %s", t.describe()))
	}
	// Identifiers.
	switch t.text {
	case "true", "false":
		p.next()
		return operand{col: t.col, text: t.text, lit: true, value: value{kind: vBool, b: t.text == "true"}, typ: vBool}, nil
	case "null":
		p.next()
		return operand{col: t.col, text: t.text, lit: true, value: value{kind: vNull}, typ: vNull}, nil
	case "len":
		p.next()
		if !p.isOp("(") {
			return operand{}, p.errAt(p.peek(), `expected "(" after len`)
		}
		p.next()
		inner, err := p.parsePath()
		if err != nil {
			return operand{}, err
		}
		if !p.isOp(")") {
			return operand{}, p.errAt(p.peek(), `expected ")" to close len(`)
		}
		p.next()
		if inner.typ != vAny && inner.typ != vString {
			return operand{}, p.errAt(t, fmt.Sprintf("len needs a string or JSON value; %s is %s", inner.text, inner.typ))
		}
		inner.isLen, inner.typ, inner.col = true, vNumber, t.col
		inner.text = "len(" + inner.text + ")"
		return inner, nil
	}
	return p.parsePath()
}

func (p *parser) parseList() (operand, error) {
	open := p.next()
	o := operand{col: open.col, lit: true, value: value{kind: vList}, typ: vList}
	var parts []string
	for {
		if p.isOp("]") {
			p.next()
			break
		}
		e, err := p.parseOperand()
		if err != nil {
			return o, err
		}
		if !e.lit || e.value.kind == vList {
			return o, p.errAt(p.toks[p.pos-1], "a list holds literals only (numbers, strings, durations)")
		}
		o.value.list = append(o.value.list, e.value)
		parts = append(parts, e.text)
		if p.isOp(",") {
			p.next()
			continue
		}
		if p.isOp("]") {
			continue
		}
		t := p.peek()
		if t.kind == tEOF {
			return o, p.errAt(open, `unclosed "[" (add "]")`)
		}
		return o, p.errAt(t, fmt.Sprintf(`expected "," or "]" in the list, found %s`, t.describe()))
	}
	if len(o.value.list) == 0 {
		return o, p.errAt(open, "empty list")
	}
	o.text = "[" + strings.Join(parts, ", ") + "]"
	return o, nil
}

func (p *parser) parsePath() (operand, error) {
	t := p.next()
	if t.kind != tIdent {
		return operand{}, p.errAt(t, fmt.Sprintf("expected a value, found %s", t.describe()))
	}
	o := operand{col: t.col, root: t.text}
	text := t.text
	for {
		if p.isOp(".") {
			p.next()
			s := p.next()
			if s.kind != tIdent && s.kind != tNumber {
				return o, p.errAt(s, fmt.Sprintf("expected a name after %q", text+"."))
			}
			o.segs = append(o.segs, s.text)
			text += "." + s.text
			continue
		}
		if p.isOp("[") && o.root == "json" {
			p.next()
			s := p.next()
			switch s.kind {
			case tNumber:
				if s.num < 0 || s.num != math.Trunc(s.num) {
					return o, p.errAt(s, "an index is a whole number ≥ 0")
				}
				o.segs = append(o.segs, "["+s.text+"]")
				text += "[" + s.text + "]"
			case tString:
				o.segs = append(o.segs, s.str)
				text += "[" + s.text + "]"
			default:
				return o, p.errAt(s, "expected an index or a quoted key in [ ]")
			}
			if !p.isOp("]") {
				return o, p.errAt(p.peek(), `expected "]"`)
			}
			p.next()
			continue
		}
		break
	}
	o.text = text
	switch o.root {
	case "status":
		o.typ = vNumber
	case "latency", "response_time":
		o.typ = vDuration
	case "body":
		o.typ = vString
		if len(o.segs) == 1 && o.segs[0] == "length" {
			o.isLen, o.typ = true, vNumber
		}
	case "json":
		o.typ = vAny
		if n := len(o.segs); n > 0 && o.segs[n-1] == "length" {
			o.typ = vAny // .length of an array is a number; of an object with a "length" key, that key
		}
	case "header", "headers":
		if len(o.segs) == 0 {
			return o, p.errAt(t, `name the header: header.Content-Type`)
		}
		o.typ = vString
	case "cert":
		if len(o.segs) != 1 {
			return o, p.errAt(t, "use cert.expires_in, cert.subject or cert.issuer")
		}
		switch o.segs[0] {
		case "expires_in":
			o.typ = vDuration
		case "subject", "issuer":
			o.typ = vString
		default:
			return o, p.errAt(t, fmt.Sprintf("unknown %s: use cert.expires_in, cert.subject or cert.issuer", text))
		}
	default:
		return o, p.errAt(t, fmt.Sprintf("unknown value %q: use status, latency, body, json.…, header.…, cert.expires_in, len(…)%s", t.text, suggest(t.text)))
	}
	if len(o.segs) > 0 && (o.root == "status" || o.root == "latency" || o.root == "response_time" || o.root == "body" && !o.isLen) {
		return o, p.errAt(t, fmt.Sprintf("%s has no fields", o.root))
	}
	return o, nil
}

func suggest(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "status_code" || l == "code" || l == "[status]":
		return ` (did you mean "status"?)`
	case l == "duration" || l == "time" || l == "rtt":
		return ` (did you mean "latency"?)`
	case l == "response":
		return ` (did you mean "body"?)`
	}
	return ""
}

// ---- evaluation ----

type value struct {
	kind vtype
	num  float64
	dur  time.Duration
	str  string
	b    bool
	list []value
	raw  any    // a JSON array or object
	miss string // why there is no value; kind is vNull then
}

func (v value) String() string {
	switch v.kind {
	case vNumber:
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	case vDuration:
		return v.dur.Round(time.Millisecond).String()
	case vString:
		s := v.str
		if len(s) > 80 {
			s = s[:77] + "..."
		}
		return strconv.Quote(s)
	case vBool:
		return strconv.FormatBool(v.b)
	case vList:
		return "[…]"
	case vAny:
		b, _ := json.Marshal(v.raw)
		s := string(b)
		if len(s) > 80 {
			s = s[:77] + "..."
		}
		return s
	}
	if v.miss != "" {
		return v.miss
	}
	return "null"
}

type evaluator struct {
	resp     *Response
	observed []string
	seen     map[string]bool
}

func (e *evaluator) eval(n node) bool {
	switch n := n.(type) {
	case logicNode:
		l := e.eval(n.left)
		if n.op == "&&" {
			return l && e.eval(n.right)
		}
		return l || e.eval(n.right)
	case notNode:
		return !e.eval(n.x)
	case truthNode:
		v := e.operand(n.x)
		return v.kind == vBool && v.b
	case cmpNode:
		return e.compare(n)
	}
	return false
}

func (e *evaluator) note(o operand, v value) {
	if o.lit || e.seen[o.text] {
		return
	}
	e.seen[o.text] = true
	if v.miss != "" {
		e.observed = append(e.observed, o.text+": "+v.miss)
		return
	}
	e.observed = append(e.observed, o.text+" = "+v.String())
}

func (e *evaluator) operand(o operand) value {
	if o.lit {
		return o.value
	}
	v := e.resolve(o)
	e.note(o, v)
	return v
}

func (e *evaluator) resolve(o operand) value {
	r := e.resp
	switch o.root {
	case "status":
		if r.Status == 0 {
			return value{kind: vNull, miss: "no response"}
		}
		return value{kind: vNumber, num: float64(r.Status)}
	case "latency", "response_time":
		return value{kind: vDuration, dur: r.Latency}
	case "body":
		if o.isLen {
			return value{kind: vNumber, num: float64(utf8.RuneCount(r.Body))}
		}
		return value{kind: vString, str: string(r.Body)}
	case "header", "headers":
		name := strings.Join(o.segs, ".")
		vs := r.Header.Values(name)
		if len(vs) == 0 {
			return value{kind: vNull, miss: "no such header"}
		}
		return value{kind: vString, str: strings.Join(vs, ", ")}
	case "cert":
		if r.Cert == nil {
			return value{kind: vNull, miss: "no TLS certificate"}
		}
		switch o.segs[0] {
		case "expires_in":
			return value{kind: vDuration, dur: r.Cert.NotAfter.Sub(r.Now)}
		case "subject":
			return value{kind: vString, str: r.Cert.Subject.String()}
		default:
			return value{kind: vString, str: r.Cert.Issuer.String()}
		}
	case "json":
		doc, err := r.parsedJSON()
		if err != nil {
			return value{kind: vNull, miss: err.Error()}
		}
		cur := doc
		for i, s := range o.segs {
			last := i == len(o.segs)-1
			switch c := cur.(type) {
			case map[string]any:
				if v, ok := c[s]; ok {
					cur = v
					continue
				}
				if s == "length" && last {
					cur = float64(len(c))
					continue
				}
				return value{kind: vNull, miss: "no such field"}
			case []any:
				if s == "length" && last {
					cur = float64(len(c))
					continue
				}
				idx, ok := indexOf(s)
				if !ok {
					return value{kind: vNull, miss: fmt.Sprintf("%q of an array (use [n] or .length)", s)}
				}
				if idx >= len(c) {
					return value{kind: vNull, miss: fmt.Sprintf("index %d out of range (length %d)", idx, len(c))}
				}
				cur = c[idx]
			case string:
				if s == "length" && last {
					cur = float64(utf8.RuneCountInString(c))
					continue
				}
				return value{kind: vNull, miss: "no such field (a string)"}
			default:
				return value{kind: vNull, miss: "no such field"}
			}
		}
		v := fromJSON(cur)
		if o.isLen {
			switch c := cur.(type) {
			case []any:
				return value{kind: vNumber, num: float64(len(c))}
			case map[string]any:
				return value{kind: vNumber, num: float64(len(c))}
			case string:
				return value{kind: vNumber, num: float64(utf8.RuneCountInString(c))}
			case nil:
				return value{kind: vNumber, num: 0}
			default:
				return value{kind: vNull, miss: "has no length"}
			}
		}
		return v
	}
	return value{kind: vNull, miss: "unknown"}
}

func indexOf(seg string) (int, bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(seg, "["), "]")
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func fromJSON(x any) value {
	switch x := x.(type) {
	case nil:
		return value{kind: vNull}
	case bool:
		return value{kind: vBool, b: x}
	case float64:
		return value{kind: vNumber, num: x}
	case string:
		return value{kind: vString, str: x}
	default:
		return value{kind: vAny, raw: x}
	}
}

func (e *evaluator) compare(n cmpNode) bool {
	l := e.operand(n.left)
	r := e.operand(n.right)
	if l.miss != "" {
		// A missing value equals null and fails every other test but
		// the negated membership ones.
		switch n.op {
		case "==":
			return r.kind == vNull && r.miss == ""
		case "notin", "notcontains", "notmatches":
			return true
		}
		return false
	}
	switch n.op {
	case "==":
		return equal(l, r)
	case "!=":
		return !equal(l, r)
	case "<", "<=", ">", ">=":
		var a, b float64
		switch {
		case l.kind == vNumber && r.kind == vNumber:
			a, b = l.num, r.num
		case l.kind == vDuration && r.kind == vDuration:
			a, b = float64(l.dur), float64(r.dur)
		default:
			return false
		}
		switch n.op {
		case "<":
			return a < b
		case "<=":
			return a <= b
		case ">":
			return a > b
		default:
			return a >= b
		}
	case "in", "notin":
		in := false
		for _, x := range r.list {
			if equal(l, x) {
				in = true
				break
			}
		}
		return in == (n.op == "in")
	case "contains", "notcontains":
		has := false
		switch {
		case l.kind == vString && r.kind == vString:
			has = strings.Contains(l.str, r.str)
		case l.kind == vAny:
			if arr, ok := l.raw.([]any); ok {
				for _, x := range arr {
					if equal(fromJSON(x), r) {
						has = true
						break
					}
				}
			}
		}
		return has == (n.op == "contains")
	case "matches", "notmatches":
		if l.kind != vString {
			return n.op == "notmatches"
		}
		return n.re.MatchString(l.str) == (n.op == "matches")
	}
	return false
}

func equal(a, b value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case vNumber:
		return a.num == b.num
	case vDuration:
		return a.dur == b.dur
	case vString:
		return a.str == b.str
	case vBool:
		return a.b == b.b
	case vNull:
		return a.miss == "" && b.miss == ""
	case vAny:
		x, _ := json.Marshal(a.raw)
		y, _ := json.Marshal(b.raw)
		return string(x) == string(y)
	}
	return false
}
