package events

import (
	"regexp"
	"strconv"
	"strings"
)

var rateRE = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// validSchedule reports whether a ScheduleExpression is a valid rate() or
// cron() expression, as EventBridge defines them: rate(value unit) with a
// positive value and a singular unit exactly for 1; cron with six fields
// (minutes hours day-of-month month day-of-week year), one of the two day
// fields "?".
func validSchedule(expr string) bool {
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n <= 0 {
			return false
		}
		singular := !strings.HasSuffix(m[2], "s")
		return singular == (n == 1)
	}
	if strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")") {
		return validCron(strings.Fields(expr[len("cron(") : len(expr)-1]))
	}
	return false
}

type cronField struct {
	lo, hi int
	names  map[string]int
	extra  *regexp.Regexp // special forms (L, W, #)
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
	cronFields = []cronField{
		{lo: 0, hi: 59},
		{lo: 0, hi: 23},
		{lo: 1, hi: 31, extra: regexp.MustCompile(`^(L|LW|\d{1,2}W|L-\d{1,2})$`)},
		{lo: 1, hi: 12, names: monthNames},
		{lo: 1, hi: 7, names: dayNames, extra: regexp.MustCompile(`^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$|^L$`)},
		{lo: 1970, hi: 2199},
	}
)

func validCron(fields []string) bool {
	if len(fields) != 6 {
		return false
	}
	dom, dow := fields[2], fields[4]
	if (dom == "?") == (dow == "?") {
		return false
	}
	for i, f := range fields {
		if f == "?" {
			if i != 2 && i != 4 {
				return false
			}
			continue
		}
		for _, part := range strings.Split(f, ",") {
			if !cronFields[i].valid(part) {
				return false
			}
		}
	}
	return true
}

func (c cronField) value(s string) bool {
	if n, ok := c.names[strings.ToUpper(s)]; ok {
		return n >= c.lo
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= c.lo && n <= c.hi
}

func (c cronField) valid(part string) bool {
	if c.extra != nil && c.extra.MatchString(strings.ToUpper(part)) {
		return true
	}
	base, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return false
		}
	}
	if base == "*" {
		return true
	}
	if lo, hi, ok := strings.Cut(base, "-"); ok {
		return c.value(lo) && c.value(hi)
	}
	return c.value(base)
}
