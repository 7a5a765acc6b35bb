package attr

import (
	"math/big"
	"strings"
)

// Decimal is a DynamoDB number: an exact decimal of at most 38 significant
// digits with a magnitude between 1e-130 and 1e126 (or zero). Its value is
// Digits × 10^Exp, with Digits free of leading and trailing zeros ("" is
// zero).
type Decimal struct {
	Neg    bool
	Digits string
	Exp    int
}

// Limits of a DynamoDB number.
const (
	maxDigits = 38
	maxAdjExp = 126  // magnitude < 10^126
	minAdjExp = -129 // magnitude ≥ 10^-130
)

// ParseNumber parses the wire form of a number ("12", "-0.5", "1E+3") and
// checks it against DynamoDB's precision and range.
func ParseNumber(s string) (Decimal, error) {
	d, ok := parseDecimal(s)
	if !ok {
		return Decimal{}, Invalidf("A value provided cannot be converted into a number")
	}
	return d, d.check()
}

func parseDecimal(s string) (Decimal, bool) {
	var d Decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.Neg = s[i] == '-'
		i++
	}
	var digits strings.Builder
	nd, frac, seenDot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			nd++
			if digits.Len() > 0 || c != '0' {
				digits.WriteByte(c)
			}
			if seenDot {
				frac++
			}
		case c == '.' && !seenDot:
			seenDot = true
		default:
			goto exp
		}
	}
exp:
	if nd == 0 {
		return Decimal{}, false
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return Decimal{}, false
		}
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return Decimal{}, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return Decimal{}, false
			}
			if e < 1_000_000 {
				e = e*10 + int(c-'0')
			}
		}
		if neg {
			e = -e
		}
	}
	d.Digits = digits.String()
	d.Exp = e - frac
	d.normalize()
	return d, true
}

func (d *Decimal) normalize() {
	t := strings.TrimLeft(d.Digits, "0")
	n := len(t)
	t = strings.TrimRight(t, "0")
	d.Exp += n - len(t)
	d.Digits = t
	if t == "" {
		d.Neg, d.Exp = false, 0
	}
}

func (d Decimal) check() error {
	if d.Digits == "" {
		return nil
	}
	if len(d.Digits) > maxDigits {
		return Invalidf("Attempting to store more than 38 significant digits in a Number")
	}
	adj := len(d.Digits) + d.Exp
	if adj > maxAdjExp {
		return Invalidf("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	if adj < minAdjExp {
		return Invalidf("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	return nil
}

// String is the canonical form DynamoDB returns: no exponent, no
// superfluous zeros.
func (d Decimal) String() string {
	if d.Digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.Neg {
		b.WriteByte('-')
	}
	n := len(d.Digits)
	switch {
	case d.Exp >= 0:
		b.WriteString(d.Digits)
		b.WriteString(strings.Repeat("0", d.Exp))
	case -d.Exp >= n:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.Exp-n))
		b.WriteString(d.Digits)
	default:
		b.WriteString(d.Digits[:n+d.Exp])
		b.WriteByte('.')
		b.WriteString(d.Digits[n+d.Exp:])
	}
	return b.String()
}

// Cmp compares two decimals: -1, 0 or +1.
func (d Decimal) Cmp(o Decimal) int {
	if d.Neg != o.Neg {
		if d.Neg {
			return -1
		}
		return 1
	}
	c := cmpMagnitude(d, o)
	if d.Neg {
		return -c
	}
	return c
}

func cmpMagnitude(a, b Decimal) int {
	switch {
	case a.Digits == "" && b.Digits == "":
		return 0
	case a.Digits == "":
		return -1
	case b.Digits == "":
		return 1
	}
	aa, ba := len(a.Digits)+a.Exp, len(b.Digits)+b.Exp
	if aa != ba {
		if aa < ba {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Digits, b.Digits)
}

// Add returns d + o, checked against DynamoDB's limits.
func (d Decimal) Add(o Decimal) (Decimal, error) {
	e := min(d.Exp, o.Exp)
	if d.Digits == "" {
		e = o.Exp
	} else if o.Digits == "" {
		e = d.Exp
	}
	x, y := d.scaled(e), o.scaled(e)
	x.Add(x, y)
	r := Decimal{Neg: x.Sign() < 0, Digits: new(big.Int).Abs(x).String(), Exp: e}
	r.normalize()
	return r, r.check()
}

// Neg returns -d.
func (d Decimal) Negate() Decimal {
	if d.Digits != "" {
		d.Neg = !d.Neg
	}
	return d
}

// scaled is d as an integer count of 10^e units (e ≤ d.Exp).
func (d Decimal) scaled(e int) *big.Int {
	x := new(big.Int)
	if d.Digits == "" {
		return x
	}
	x.SetString(d.Digits, 10)
	if k := d.Exp - e; k > 0 {
		x.Mul(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil))
	}
	if d.Neg {
		x.Neg(x)
	}
	return x
}

// canonicalNumber returns the canonical form of a valid number string.
func canonicalNumber(s string) (string, error) {
	d, err := ParseNumber(s)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}
