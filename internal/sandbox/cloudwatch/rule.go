package cloudwatch

import (
	"fmt"
	"strings"
	"unicode"
)

// Composite alarm rules:
//
//	rule := or
//	or   := and ("OR" and)*
//	and  := not ("AND" not)*
//	not  := "NOT" not | atom
//	atom := "(" rule ")" | "TRUE" | "FALSE" | STATE "(" alarm ")"
//	STATE := ALARM | OK | INSUFFICIENT_DATA
//	alarm := "quoted name or ARN" | unquoted name or ARN (up to ')')
//
// AT_LEAST(…) is not supported (a clear error, not a silent match).

// Rule is a parsed composite alarm rule.
type Rule struct{ root ruleNode }

type ruleNode interface {
	eval(state func(alarm string) string) bool
}

type ruleConst bool
type ruleState struct{ state, alarm string }
type ruleNot struct{ x ruleNode }
type ruleBin struct {
	and  bool
	l, r ruleNode
}

func (c ruleConst) eval(func(string) string) bool { return bool(c) }
func (s ruleState) eval(st func(string) string) bool {
	return st(s.alarm) == s.state
}
func (n ruleNot) eval(st func(string) string) bool { return !n.x.eval(st) }
func (b ruleBin) eval(st func(string) string) bool {
	if b.and {
		return b.l.eval(st) && b.r.eval(st)
	}
	return b.l.eval(st) || b.r.eval(st)
}

// Eval evaluates the rule given each referenced alarm's state.
func (r *Rule) Eval(state func(alarm string) string) bool { return r.root.eval(state) }

// ParseRule parses a composite alarm rule.
func ParseRule(s string) (*Rule, []string, error) {
	p := &ruleParser{s: s}
	n, err := p.or()
	if err != nil {
		return nil, nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
	}
	return &Rule{root: n}, p.refs, nil
}

// parseAlarmRule returns the alarms (names or ARNs) a rule references.
func parseAlarmRule(s string) ([]string, error) {
	_, refs, err := ParseRule(s)
	return refs, err
}

type ruleParser struct {
	s     string
	i     int
	depth int
	refs  []string
}

func (p *ruleParser) space() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *ruleParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

// keyword consumes kw if it is next and not followed by a name character.
func (p *ruleParser) keyword(kw string) bool {
	p.space()
	if !strings.HasPrefix(p.s[p.i:], kw) {
		return false
	}
	end := p.i + len(kw)
	if end < len(p.s) && (isWordChar(p.s[end])) {
		return false
	}
	p.i = end
	return true
}

func isWordChar(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func (p *ruleParser) or() (ruleNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = ruleBin{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *ruleParser) and() (ruleNode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = ruleBin{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *ruleParser) not() (ruleNode, error) {
	if p.keyword("NOT") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > 100 {
			return nil, fmt.Errorf("rule nests too deeply")
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return ruleNot{x}, nil
	}
	return p.atom()
}

func (p *ruleParser) atom() (ruleNode, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("rule ends unexpectedly")
	}
	if p.s[p.i] == '(' {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > 100 {
			return nil, fmt.Errorf("rule nests too deeply")
		}
		p.i++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("missing ')' at offset %d", p.i)
		}
		p.i++
		return n, nil
	}
	switch {
	case p.keyword("TRUE"):
		return ruleConst(true), nil
	case p.keyword("FALSE"):
		return ruleConst(false), nil
	case p.keyword("AT_LEAST"):
		return nil, fmt.Errorf("AT_LEAST is not supported by the vigil sandbox")
	}
	for _, st := range []string{"INSUFFICIENT_DATA", "ALARM", "OK"} {
		if !p.keyword(st) {
			continue
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			return nil, fmt.Errorf("expected '(' after %s", st)
		}
		p.i++
		p.space()
		var name string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			end := strings.IndexByte(p.s[p.i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted alarm name")
			}
			name = p.s[p.i+1 : p.i+1+end]
			p.i += end + 2
		} else {
			end := strings.IndexByte(p.s[p.i:], ')')
			if end < 0 {
				return nil, fmt.Errorf("missing ')' after %s(", st)
			}
			name = strings.TrimSpace(p.s[p.i : p.i+end])
			p.i += end
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("missing ')' after %s(%q", st, name)
		}
		p.i++
		if name == "" {
			return nil, fmt.Errorf("%s() names no alarm", st)
		}
		p.refs = append(p.refs, name)
		return ruleState{state: st, alarm: name}, nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
}
