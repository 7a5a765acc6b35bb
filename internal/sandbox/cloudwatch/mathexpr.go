package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Metric math, as far as the sandbox goes.
//
// Parsing accepts the whole expression syntax (numbers, query ids,
// + - * / ^, unary minus, parentheses, FUNCTION(args), [lists] and
// 'strings'), so PutMetricAlarm accepts alarms that use any function.
// Evaluation (GetMetricData) supports arithmetic between series and
// scalars (a point exists where every series operand has one), ABS, FILL
// (series, number), and SUM/AVG/MIN/MAX/COUNT over a [list] of series (per
// timestamp) or of one series (a scalar). Anything else is a clear
// InvalidParameterValue naming the function, never a silent wrong answer.

type mexpr interface{}

type mNum float64
type mRef string
type mStr string
type mNeg struct{ x mexpr }
type mBin struct {
	op   byte
	l, r mexpr
}
type mCall struct {
	name string
	args []mexpr
}
type mList []mexpr

func parseExpression(s string) (mexpr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	if len(s) > 2048 {
		return nil, fmt.Errorf("expression longer than 2048 characters")
	}
	p := &exprParser{s: s}
	e, err := p.sum()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i:], p.i)
	}
	return e, nil
}

type exprParser struct {
	s     string
	i     int
	depth int
}

func (p *exprParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *exprParser) peek() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

func (p *exprParser) sum() (mexpr, error) {
	l, err := p.product()
	if err != nil {
		return nil, err
	}
	for c := p.peek(); c == '+' || c == '-'; c = p.peek() {
		p.i++
		r, err := p.product()
		if err != nil {
			return nil, err
		}
		l = mBin{c, l, r}
	}
	return l, nil
}

func (p *exprParser) product() (mexpr, error) {
	l, err := p.power()
	if err != nil {
		return nil, err
	}
	for c := p.peek(); c == '*' || c == '/'; c = p.peek() {
		p.i++
		r, err := p.power()
		if err != nil {
			return nil, err
		}
		l = mBin{c, l, r}
	}
	return l, nil
}

func (p *exprParser) power() (mexpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	if p.peek() == '^' {
		p.i++
		r, err := p.power()
		if err != nil {
			return nil, err
		}
		return mBin{'^', l, r}, nil
	}
	return l, nil
}

func (p *exprParser) unary() (mexpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 64 {
		return nil, fmt.Errorf("expression nests too deeply")
	}
	if p.peek() == '-' {
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return mNeg{x}, nil
	}
	return p.primary()
}

func (p *exprParser) primary() (mexpr, error) {
	c := p.peek()
	switch {
	case c == 0:
		return nil, fmt.Errorf("expression ends unexpectedly")
	case c == '(':
		p.i++
		e, err := p.sum()
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, fmt.Errorf("missing ')' at offset %d", p.i)
		}
		p.i++
		return e, nil
	case c == '[':
		p.i++
		items, err := p.args(']')
		if err != nil {
			return nil, err
		}
		return mList(items), nil
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.s[p.i+1:], c)
		if end < 0 {
			return nil, fmt.Errorf("unterminated string at offset %d", p.i)
		}
		str := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return mStr(str), nil
	case c >= '0' && c <= '9' || c == '.':
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E' ||
			((p.s[p.i] == '+' || p.s[p.i] == '-') && p.i > start && (p.s[p.i-1] == 'e' || p.s[p.i-1] == 'E'))) {
			p.i++
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", p.s[start:p.i])
		}
		return mNum(f), nil
	case isWordChar(c):
		start := p.i
		for p.i < len(p.s) && isWordChar(p.s[p.i]) {
			p.i++
		}
		word := p.s[start:p.i]
		if p.peek() == '(' {
			p.i++
			args, err := p.args(')')
			if err != nil {
				return nil, err
			}
			return mCall{strings.ToUpper(word), args}, nil
		}
		return mRef(word), nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", string(c), p.i)
}

func (p *exprParser) args(closer byte) ([]mexpr, error) {
	var out []mexpr
	if p.peek() == closer {
		p.i++
		return out, nil
	}
	for {
		a, err := p.sum()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		switch p.peek() {
		case ',':
			p.i++
		case closer:
			p.i++
			return out, nil
		default:
			return nil, fmt.Errorf("expected ',' or %q at offset %d", string(closer), p.i)
		}
	}
}

// series is a time series: unix seconds → value.
type series map[int64]float64

// mval is a value during evaluation: a scalar or a series.
type mval struct {
	scalar   *float64
	series   series
	seriesOf []series // a [list]
}

// mathEnv resolves query ids and knows the time grid (for FILL).
type mathEnv struct {
	ref  func(id string) (series, error)
	grid []int64
}

func evalExpr(e mexpr, env *mathEnv) (mval, error) {
	switch x := e.(type) {
	case mNum:
		v := float64(x)
		return mval{scalar: &v}, nil
	case mRef:
		s, err := env.ref(string(x))
		if err != nil {
			return mval{}, err
		}
		return mval{series: s}, nil
	case mNeg:
		v, err := evalExpr(x.x, env)
		if err != nil {
			return mval{}, err
		}
		return apply1(v, func(f float64) float64 { return -f })
	case mBin:
		l, err := evalExpr(x.l, env)
		if err != nil {
			return mval{}, err
		}
		r, err := evalExpr(x.r, env)
		if err != nil {
			return mval{}, err
		}
		return apply2(x.op, l, r)
	case mList:
		var out []series
		for _, it := range x {
			v, err := evalExpr(it, env)
			if err != nil {
				return mval{}, err
			}
			if v.series == nil {
				return mval{}, fmt.Errorf("a [list] must hold time series")
			}
			out = append(out, v.series)
		}
		return mval{seriesOf: out}, nil
	case mCall:
		return evalCall(x, env)
	case mStr:
		return mval{}, fmt.Errorf("a string is not a value")
	}
	return mval{}, fmt.Errorf("unsupported expression")
}

func apply1(v mval, f func(float64) float64) (mval, error) {
	if v.scalar != nil {
		r := f(*v.scalar)
		return mval{scalar: &r}, nil
	}
	if v.series == nil {
		return mval{}, fmt.Errorf("operand is not a number or a time series")
	}
	out := series{}
	for t, x := range v.series {
		out[t] = f(x)
	}
	return mval{series: out}, nil
}

func arith(op byte, a, b float64) (float64, bool) {
	var r float64
	switch op {
	case '+':
		r = a + b
	case '-':
		r = a - b
	case '*':
		r = a * b
	case '/':
		if b == 0 {
			return 0, false
		}
		r = a / b
	case '^':
		r = math.Pow(a, b)
	}
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, false
	}
	return r, true
}

func apply2(op byte, l, r mval) (mval, error) {
	if (l.scalar == nil && l.series == nil) || (r.scalar == nil && r.series == nil) {
		return mval{}, fmt.Errorf("operands of %q must be numbers or time series", string(op))
	}
	if l.scalar != nil && r.scalar != nil {
		v, ok := arith(op, *l.scalar, *r.scalar)
		if !ok {
			return mval{}, fmt.Errorf("%q of two numbers has no finite value", string(op))
		}
		return mval{scalar: &v}, nil
	}
	out := series{}
	switch {
	case l.scalar != nil:
		for t, x := range r.series {
			if v, ok := arith(op, *l.scalar, x); ok {
				out[t] = v
			}
		}
	case r.scalar != nil:
		for t, x := range l.series {
			if v, ok := arith(op, x, *r.scalar); ok {
				out[t] = v
			}
		}
	default:
		for t, x := range l.series {
			if y, ok := r.series[t]; ok {
				if v, ok := arith(op, x, y); ok {
					out[t] = v
				}
			}
		}
	}
	return mval{series: out}, nil
}

func evalCall(c mCall, env *mathEnv) (mval, error) {
	switch c.name {
	case "ABS":
		if len(c.args) != 1 {
			return mval{}, fmt.Errorf("ABS takes one argument")
		}
		v, err := evalExpr(c.args[0], env)
		if err != nil {
			return mval{}, err
		}
		return apply1(v, math.Abs)
	case "FILL":
		if len(c.args) != 2 {
			return mval{}, fmt.Errorf("FILL takes a time series and a number")
		}
		v, err := evalExpr(c.args[0], env)
		if err != nil {
			return mval{}, err
		}
		fill, err := evalExpr(c.args[1], env)
		if err != nil {
			return mval{}, err
		}
		if v.series == nil || fill.scalar == nil {
			return mval{}, fmt.Errorf("the vigil sandbox supports FILL(time series, number) only")
		}
		out := series{}
		for _, t := range env.grid {
			if x, ok := v.series[t]; ok {
				out[t] = x
			} else {
				out[t] = *fill.scalar
			}
		}
		return mval{series: out}, nil
	case "SUM", "AVG", "MIN", "MAX", "COUNT":
		if len(c.args) != 1 {
			return mval{}, fmt.Errorf("%s takes one argument", c.name)
		}
		v, err := evalExpr(c.args[0], env)
		if err != nil {
			return mval{}, err
		}
		switch {
		case v.seriesOf != nil:
			acc := map[int64][]float64{}
			for _, s := range v.seriesOf {
				for t, x := range s {
					acc[t] = append(acc[t], x)
				}
			}
			out := series{}
			for t, xs := range acc {
				out[t] = reduce(c.name, xs)
			}
			return mval{series: out}, nil
		case v.series != nil:
			xs := make([]float64, 0, len(v.series))
			keys := make([]int64, 0, len(v.series))
			for t := range v.series {
				keys = append(keys, t)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
			for _, t := range keys {
				xs = append(xs, v.series[t])
			}
			if len(xs) == 0 {
				return mval{series: series{}}, nil
			}
			r := reduce(c.name, xs)
			return mval{scalar: &r}, nil
		}
		return mval{}, fmt.Errorf("%s takes a time series or a [list] of them", c.name)
	}
	return mval{}, fmt.Errorf("the vigil sandbox does not support the metric math function %s (it supports arithmetic, ABS, FILL, SUM, AVG, MIN, MAX, COUNT)", c.name)
}

func reduce(fn string, xs []float64) float64 {
	switch fn {
	case "COUNT":
		return float64(len(xs))
	case "MIN":
		m := xs[0]
		for _, x := range xs {
			m = math.Min(m, x)
		}
		return m
	case "MAX":
		m := xs[0]
		for _, x := range xs {
			m = math.Max(m, x)
		}
		return m
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	if fn == "AVG" {
		return sum / float64(len(xs))
	}
	return sum
}

// exprRefs lists the query ids an expression uses.
func exprRefs(e mexpr, out map[string]bool) {
	switch x := e.(type) {
	case mRef:
		out[string(x)] = true
	case mNeg:
		exprRefs(x.x, out)
	case mBin:
		exprRefs(x.l, out)
		exprRefs(x.r, out)
	case mList:
		for _, it := range x {
			exprRefs(it, out)
		}
	case mCall:
		for _, a := range x.args {
			exprRefs(a, out)
		}
	}
}
