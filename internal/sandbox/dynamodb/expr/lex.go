package expr

import (
	"strings"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // a bare attribute name, keyword or function name
	tName           // #placeholder
	tValue          // :placeholder
	tInt            // a list index inside [ ]
	tLParen         // (
	tRParen         // )
	tLBrack         // [
	tRBrack         // ]
	tComma          // ,
	tDot            // .
	tEq             // =
	tNe             // <>
	tLt             // <
	tLe             // <=
	tGt             // >
	tGe             // >=
	tPlus           // +
	tMinus          // -
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// lex splits an expression into tokens. It fails on characters no
// expression may contain.
func lex(s string) ([]token, *Error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
			continue
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			out = append(out, token{tInt, s[i:j], i})
			i = j
			continue
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, syntaxError(s, token{tIdent, string(c), i})
			}
			k := tName
			if c == ':' {
				k = tValue
			}
			out = append(out, token{k, s[i:j], i})
			i = j
			continue
		}
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch two {
		case "<>":
			out = append(out, token{tNe, two, i})
			i += 2
			continue
		case "<=":
			out = append(out, token{tLe, two, i})
			i += 2
			continue
		case ">=":
			out = append(out, token{tGe, two, i})
			i += 2
			continue
		}
		k, ok := map[byte]tokKind{'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack, ',': tComma,
			'.': tDot, '=': tEq, '<': tLt, '>': tGt, '+': tPlus, '-': tMinus}[c]
		if !ok {
			// Report the whole offending rune, not one byte of it.
			j := i + 1
			for j < len(s) && s[j]&0xC0 == 0x80 {
				j++
			}
			return nil, &Error{Msg: "Syntax error; token: \"" + s[i:j] + "\", near: \"" + near(s, i, j) + "\""}
		}
		out = append(out, token{k, string(c), i})
		i++
	}
	out = append(out, token{tEOF, "<EOF>", len(s)})
	return out, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// near is the text around [i, j) the way DynamoDB quotes it in syntax
// errors.
func near(s string, i, j int) string {
	a := strings.LastIndexAny(s[:i], " \t\n")
	b := j + strings.IndexAny(s[j:], " \t\n")
	if b < j {
		b = len(s)
	}
	return strings.TrimSpace(s[a+1 : b])
}

func syntaxError(s string, t token) *Error {
	end := t.pos + len(t.text)
	if t.kind == tEOF {
		end = len(s)
	}
	return &Error{Msg: "Syntax error; token: \"" + t.text + "\", near: \"" + near(s, t.pos, end) + "\""}
}

// keyword reports whether t is the (case-insensitive) keyword kw.
func (t token) keyword(kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}
