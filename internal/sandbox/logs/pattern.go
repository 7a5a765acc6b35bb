package logs

import (
	"encoding/json"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// Filter patterns (metric filters, subscription filters, FilterLogEvents).
// Supported, as CloudWatch Logs defines them:
//
//   - "" matches every event;
//   - terms: ERROR, "exact phrase" (case-sensitive substrings; all must
//     appear), ?ERROR ?WARN (at least one of the ? terms), -DEBUG or
//     -"some phrase" (must not appear). Bare terms are letters, digits and
//     underscores; anything else must be quoted, as on AWS;
//   - JSON: { $.level = "ERROR" }, { $.latency > 100 }, { $.user.id = 1 },
//     { $.items[0].name = "x*" } with = != < > <= >=, strings (quoted or
//     bare, * as a wildcard), numbers, IS TRUE, IS FALSE, IS NULL,
//     NOT EXISTS, combined with && and || and parentheses;
//   - space-delimited: [ip, user, ..., status = 404, size > 1000] with named
//     fields, "..." for any number of fields, = != < > <= >= conditions
//     (strings with * wildcards, numbers) and && / || between conditions.
//
// Not supported (InvalidParameterException, never a silent match): regular
// expressions (%…%) and anything else the parser does not recognise.

// pattern is a parsed filter pattern.
type pattern struct {
	raw   string
	all   bool
	terms *termPattern
	json  jsonNode
	space *spacePattern
}

// match reports whether msg matches, and gives a field extractor for
// metric values and dimensions ("$.a.b" for JSON patterns, "$name" for
// space-delimited ones).
func (p *pattern) match(msg string) (bool, func(sel string) (string, bool)) {
	switch {
	case p.all:
		return true, noFields
	case p.terms != nil:
		return p.terms.match(msg), noFields
	case p.json != nil:
		var doc any
		if err := json.Unmarshal([]byte(msg), &doc); err != nil {
			return false, noFields
		}
		if !p.json.eval(doc) {
			return false, noFields
		}
		return true, func(sel string) (string, bool) {
			v, ok := jsonSelect(doc, sel)
			if !ok {
				return "", false
			}
			return jsonScalarString(v)
		}
	case p.space != nil:
		fields, ok := p.space.match(msg)
		if !ok {
			return false, noFields
		}
		return true, func(sel string) (string, bool) {
			v, ok := fields[strings.TrimPrefix(sel, "$")]
			return v, ok
		}
	}
	return false, noFields
}

func noFields(string) (string, bool) { return "", false }

// parsePattern parses a filter pattern.
func parsePattern(s string) (*pattern, error) {
	t := strings.TrimSpace(s)
	if len(s) > 1024 {
		return nil, fmt.Errorf("filter pattern longer than 1024 characters")
	}
	switch {
	case t == "":
		return &pattern{raw: s, all: true}, nil
	case strings.HasPrefix(t, "{"):
		if !strings.HasSuffix(t, "}") {
			return nil, fmt.Errorf("JSON filter pattern must end with '}'")
		}
		n, err := parseJSONPattern(t[1 : len(t)-1])
		if err != nil {
			return nil, err
		}
		return &pattern{raw: s, json: n}, nil
	case strings.HasPrefix(t, "["):
		if !strings.HasSuffix(t, "]") {
			return nil, fmt.Errorf("space-delimited filter pattern must end with ']'")
		}
		sp, err := parseSpacePattern(t[1 : len(t)-1])
		if err != nil {
			return nil, err
		}
		return &pattern{raw: s, space: sp}, nil
	case strings.HasPrefix(t, "%"):
		return nil, fmt.Errorf("regular expression filter patterns (%%…%%) are not supported by the vigil sandbox")
	}
	tp, err := parseTerms(t)
	if err != nil {
		return nil, err
	}
	return &pattern{raw: s, terms: tp}, nil
}

// --- terms -------------------------------------------------------------------

type termPattern struct {
	all, any, none []string
}

func (t *termPattern) match(msg string) bool {
	for _, x := range t.none {
		if strings.Contains(msg, x) {
			return false
		}
	}
	for _, x := range t.all {
		if !strings.Contains(msg, x) {
			return false
		}
	}
	if len(t.any) == 0 {
		return true
	}
	for _, x := range t.any {
		if strings.Contains(msg, x) {
			return true
		}
	}
	return false
}

func parseTerms(s string) (*termPattern, error) {
	tp := &termPattern{}
	i := 0
	for i < len(s) {
		for i < len(s) && unicode.IsSpace(rune(s[i])) {
			i++
		}
		if i >= len(s) {
			break
		}
		kind := byte(0)
		if s[i] == '?' || s[i] == '-' {
			kind = s[i]
			i++
		}
		var term string
		if i < len(s) && s[i] == '"' {
			end := closingQuote(s, i+1)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted term in filter pattern")
			}
			term = strings.ReplaceAll(s[i+1:end], `\"`, `"`)
			i = end + 1
			if i < len(s) && !unicode.IsSpace(rune(s[i])) {
				return nil, fmt.Errorf("unexpected %q after a quoted term", s[i:])
			}
		} else {
			start := i
			for i < len(s) && !unicode.IsSpace(rune(s[i])) {
				c := s[i]
				if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					return nil, fmt.Errorf("invalid character %q in filter pattern term: quote terms with characters other than letters, digits and underscores", string(c))
				}
				i++
			}
			term = s[start:i]
		}
		if term == "" {
			return nil, fmt.Errorf("empty term in filter pattern")
		}
		switch kind {
		case '?':
			tp.any = append(tp.any, term)
		case '-':
			tp.none = append(tp.none, term)
		default:
			tp.all = append(tp.all, term)
		}
	}
	return tp, nil
}

func closingQuote(s string, from int) int {
	for j := from; j < len(s); j++ {
		if s[j] == '\\' {
			j++
			continue
		}
		if s[j] == '"' {
			return j
		}
	}
	return -1
}

// --- JSON --------------------------------------------------------------------

type jsonNode interface{ eval(doc any) bool }

type jsonAnd struct{ l, r jsonNode }
type jsonOr struct{ l, r jsonNode }
type jsonCond struct {
	sel    string
	op     string // = != < > <= >= true false null notexists
	str    string
	num    float64
	isNum  bool
	quoted bool
}

func (n jsonAnd) eval(d any) bool { return n.l.eval(d) && n.r.eval(d) }
func (n jsonOr) eval(d any) bool  { return n.l.eval(d) || n.r.eval(d) }

func (c jsonCond) eval(doc any) bool {
	v, found := jsonSelect(doc, c.sel)
	switch c.op {
	case "notexists":
		return !found
	case "null":
		return found && v == nil
	case "true":
		b, ok := v.(bool)
		return found && ok && b
	case "false":
		b, ok := v.(bool)
		return found && ok && !b
	}
	if !found {
		return false
	}
	if c.isNum {
		f, ok := v.(float64)
		if !ok {
			if s, isStr := v.(string); isStr && (c.op == "=" || c.op == "!=") {
				return compareString(c.op, s, c.str)
			}
			return false
		}
		return compareNum(c.op, f, c.num)
	}
	s, ok := jsonScalarString(v)
	if !ok {
		return false
	}
	return compareString(c.op, s, c.str)
}

func compareNum(op string, a, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case ">":
		return a > b
	case "<=":
		return a <= b
	case ">=":
		return a >= b
	}
	return false
}

func compareString(op, s, want string) bool {
	eq := globMatch(want, s)
	switch op {
	case "=":
		return eq
	case "!=":
		return !eq
	}
	return false
}

// globMatch matches s against want where * is any run of characters.
func globMatch(want, s string) bool {
	if !strings.Contains(want, "*") {
		return want == s
	}
	ok, err := path.Match(strings.NewReplacer(`\`, `\\`, "?", `\?`, "[", `\[`).Replace(want), s)
	if err != nil {
		return false
	}
	if ok {
		return true
	}
	// path.Match's * stops at '/'; fall back to a plain matcher.
	return wildcard(want, s)
}

func wildcard(p, s string) bool {
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts); i++ {
		if i == len(parts)-1 {
			return strings.HasSuffix(s, parts[i])
		}
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return true
}

func jsonScalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// jsonSelect resolves $.a.b[0].c in doc.
func jsonSelect(doc any, sel string) (any, bool) {
	rest, ok := strings.CutPrefix(sel, "$")
	if !ok {
		return nil, false
	}
	cur := doc
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			rest = rest[end:]
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			cur, ok = m[key]
			if !ok {
				return nil, false
			}
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			idx, err := strconv.Atoi(rest[1:end])
			rest = rest[end+1:]
			arr, ok := cur.([]any)
			if err != nil || !ok || idx < 0 || idx >= len(arr) {
				return nil, false
			}
			cur = arr[idx]
		default:
			return nil, false
		}
	}
	return cur, true
}

type jsonParser struct {
	s     string
	i     int
	depth int
}

func parseJSONPattern(s string) (jsonNode, error) {
	p := &jsonParser{s: s}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q in JSON filter pattern", p.s[p.i:])
	}
	return n, nil
}

func (p *jsonParser) space() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *jsonParser) lit(x string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], x) {
		p.i += len(x)
		return true
	}
	return false
}

func (p *jsonParser) or() (jsonNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.lit("||") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = jsonOr{l, r}
	}
	return l, nil
}

func (p *jsonParser) and() (jsonNode, error) {
	l, err := p.atom()
	if err != nil {
		return nil, err
	}
	for p.lit("&&") {
		r, err := p.atom()
		if err != nil {
			return nil, err
		}
		l = jsonAnd{l, r}
	}
	return l, nil
}

func (p *jsonParser) atom() (jsonNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 50 {
		return nil, fmt.Errorf("JSON filter pattern nests too deeply")
	}
	if p.lit("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.lit(")") {
			return nil, fmt.Errorf("missing ')' in JSON filter pattern")
		}
		return n, nil
	}
	p.space()
	if !strings.HasPrefix(p.s[p.i:], "$") {
		return nil, fmt.Errorf("expected a $.selector in JSON filter pattern at %q", p.s[p.i:])
	}
	start := p.i
	for p.i < len(p.s) && !unicode.IsSpace(rune(p.s[p.i])) && !strings.ContainsRune("=!<>()&|", rune(p.s[p.i])) {
		p.i++
	}
	sel := p.s[start:p.i]
	if sel == "$" || (len(sel) > 1 && sel[1] != '.' && sel[1] != '[') {
		return nil, fmt.Errorf("invalid selector %q in JSON filter pattern", sel)
	}
	c := jsonCond{sel: sel}
	switch {
	case p.lit("IS TRUE"):
		c.op = "true"
		return c, nil
	case p.lit("IS FALSE"):
		c.op = "false"
		return c, nil
	case p.lit("IS NULL"):
		c.op = "null"
		return c, nil
	case p.lit("NOT EXISTS"):
		c.op = "notexists"
		return c, nil
	}
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if p.lit(op) {
			c.op = op
			break
		}
	}
	if c.op == "" {
		return nil, fmt.Errorf("expected an operator after %s in JSON filter pattern", sel)
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("missing value after %s %s", sel, c.op)
	}
	if p.s[p.i] == '"' {
		end := closingQuote(p.s, p.i+1)
		if end < 0 {
			return nil, fmt.Errorf("unterminated string in JSON filter pattern")
		}
		c.str, c.quoted = strings.ReplaceAll(p.s[p.i+1:end], `\"`, `"`), true
		p.i = end + 1
	} else {
		start := p.i
		for p.i < len(p.s) && !unicode.IsSpace(rune(p.s[p.i])) && !strings.ContainsRune("()&|", rune(p.s[p.i])) {
			p.i++
		}
		c.str = p.s[start:p.i]
		if c.str == "" {
			return nil, fmt.Errorf("missing value after %s %s", sel, c.op)
		}
		if f, err := strconv.ParseFloat(c.str, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			c.num, c.isNum = f, true
		}
	}
	if !c.isNum && c.op != "=" && c.op != "!=" {
		return nil, fmt.Errorf("operator %s needs a number in JSON filter pattern", c.op)
	}
	return c, nil
}

// --- space-delimited ---------------------------------------------------------

type spaceField struct {
	name     string
	ellipsis bool
	expr     spaceExpr
}

type spaceCond struct {
	op    string
	str   string
	num   float64
	isNum bool
}

// spaceExpr is an OR of ANDs of conditions on one field.
type spaceExpr [][]spaceCond

type spacePattern struct{ fields []spaceField }

func parseSpacePattern(s string) (*spacePattern, error) {
	parts, err := splitTopLevel(s, ',')
	if err != nil {
		return nil, err
	}
	sp := &spacePattern{}
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty field in space-delimited filter pattern")
		}
		if part == "..." {
			sp.fields = append(sp.fields, spaceField{ellipsis: true})
			continue
		}
		f, err := parseSpaceField(part)
		if err != nil {
			return nil, err
		}
		sp.fields = append(sp.fields, f)
	}
	if len(sp.fields) > 100 {
		return nil, fmt.Errorf("space-delimited filter pattern has too many fields")
	}
	return sp, nil
}

func splitTopLevel(s string, sep byte) ([]string, error) {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated string in filter pattern")
	}
	return append(out, s[start:]), nil
}

func parseSpaceField(part string) (spaceField, error) {
	// name [op value [&&|| name op value …]]
	i := 0
	for i < len(part) && (isNameChar(part[i])) {
		i++
	}
	name := part[:i]
	if name == "" {
		return spaceField{}, fmt.Errorf("invalid field %q in space-delimited filter pattern", part)
	}
	f := spaceField{name: name}
	rest := strings.TrimSpace(part[i:])
	if rest == "" {
		return f, nil
	}
	var group []spaceCond
	for {
		c, tail, err := parseSpaceCond(rest)
		if err != nil {
			return spaceField{}, err
		}
		group = append(group, c)
		tail = strings.TrimSpace(tail)
		if tail == "" {
			f.expr = append(f.expr, group)
			return f, nil
		}
		var joiner string
		switch {
		case strings.HasPrefix(tail, "&&"):
			joiner = "&&"
		case strings.HasPrefix(tail, "||"):
			joiner = "||"
		default:
			return spaceField{}, fmt.Errorf("unexpected %q in space-delimited filter pattern", tail)
		}
		tail = strings.TrimSpace(tail[2:])
		if !strings.HasPrefix(tail, name) {
			return spaceField{}, fmt.Errorf("conditions joined with %s must all test field %s", joiner, name)
		}
		rest = strings.TrimSpace(tail[len(name):])
		if joiner == "||" {
			f.expr = append(f.expr, group)
			group = nil
		}
	}
}

func isNameChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func parseSpaceCond(s string) (spaceCond, string, error) {
	var c spaceCond
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			c.op = op
			s = strings.TrimSpace(s[len(op):])
			break
		}
	}
	if c.op == "" {
		return c, "", fmt.Errorf("expected an operator in %q", s)
	}
	var val, tail string
	if strings.HasPrefix(s, `"`) {
		end := closingQuote(s, 1)
		if end < 0 {
			return c, "", fmt.Errorf("unterminated string in filter pattern")
		}
		val, tail = s[1:end], s[end+1:]
		c.str = val
	} else {
		end := strings.IndexAny(s, " \t&|")
		if end < 0 {
			end = len(s)
		}
		val, tail = s[:end], s[end:]
		if val == "" {
			return c, "", fmt.Errorf("missing value after %s", c.op)
		}
		c.str = val
		if f, err := strconv.ParseFloat(val, 64); err == nil {
			c.num, c.isNum = f, true
		}
	}
	if !c.isNum && c.op != "=" && c.op != "!=" {
		return c, "", fmt.Errorf("operator %s needs a number", c.op)
	}
	return c, tail, nil
}

func (c spaceCond) test(v string) bool {
	if c.isNum {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return (c.op == "=" || c.op == "!=") && compareString(c.op, v, c.str)
		}
		return compareNum(c.op, f, c.num)
	}
	return compareString(c.op, v, c.str)
}

func (e spaceExpr) test(v string) bool {
	if len(e) == 0 {
		return true
	}
	for _, group := range e {
		ok := true
		for _, c := range group {
			if !c.test(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// splitFields splits a log line on spaces, keeping "quoted" and [bracketed]
// runs as single fields (without their delimiters).
func splitFields(msg string) []string {
	var out []string
	i := 0
	for i < len(msg) {
		for i < len(msg) && msg[i] == ' ' {
			i++
		}
		if i >= len(msg) {
			break
		}
		switch msg[i] {
		case '"':
			end := strings.IndexByte(msg[i+1:], '"')
			if end >= 0 {
				out = append(out, msg[i+1:i+1+end])
				i += end + 2
				continue
			}
		case '[':
			end := strings.IndexByte(msg[i+1:], ']')
			if end >= 0 {
				out = append(out, msg[i+1:i+1+end])
				i += end + 2
				continue
			}
		}
		start := i
		for i < len(msg) && msg[i] != ' ' {
			i++
		}
		out = append(out, msg[start:i])
	}
	return out
}

func (sp *spacePattern) match(msg string) (map[string]string, bool) {
	fields := splitFields(msg)
	got := map[string]string{}
	budget := 10000
	if !matchFields(sp.fields, fields, got, &budget) {
		return nil, false
	}
	return got, true
}

func matchFields(pat []spaceField, fields []string, got map[string]string, budget *int) bool {
	*budget--
	if *budget < 0 {
		return false
	}
	if len(pat) == 0 {
		return len(fields) == 0
	}
	f := pat[0]
	if f.ellipsis {
		for skip := 0; skip <= len(fields); skip++ {
			if matchFields(pat[1:], fields[skip:], got, budget) {
				return true
			}
		}
		return false
	}
	if len(fields) == 0 {
		return false
	}
	// Without an ellipsis, names and fields pair up one to one.
	if len(pat) == 1 && len(fields) > 1 {
		return false
	}
	if !f.expr.test(fields[0]) {
		return false
	}
	got[f.name] = fields[0]
	if matchFields(pat[1:], fields[1:], got, budget) {
		return true
	}
	delete(got, f.name)
	return false
}
