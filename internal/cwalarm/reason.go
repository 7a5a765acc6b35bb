package cwalarm

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Time layouts of CloudWatch's alarm texts.
const (
	// ReasonTimeLayout is how a state reason shows a datapoint's period
	// start: "25/11/26 18:59:00" (UTC).
	ReasonTimeLayout = "02/01/06 15:04:05"
	// TimestampLayout is CloudWatch's JSON timestamp (reason data, alarm
	// notifications, alarm events): "2019-10-02T17:04:40.985+0000".
	TimestampLayout = "2006-01-02T15:04:05.000-0700"
)

// FormatTimestamp formats t in UTC as CloudWatch's JSON texts do.
func FormatTimestamp(t time.Time) string { return string(appendTimestamp(nil, t)) }

// FormatValue formats a number as CloudWatch's texts do (Java's
// Double.toString): "40.0", "99.50160229693434", "1.0E7", "1.234E-5".
func FormatValue(v float64) string { return string(appendValue(nil, v)) }

func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	case v == 0:
		if math.Signbit(v) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if a := math.Abs(v); a >= 1e-3 && a < 1e7 {
		start := len(b)
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		if !bytes.ContainsRune(b[start:], '.') {
			b = append(b, ".0"...)
		}
		return b
	}
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], v, 'E', -1, 64) // 1.234E+07, 1E-05
	e := bytes.IndexByte(s, 'E')
	b = append(b, s[:e]...)
	if !bytes.ContainsRune(s[:e], '.') {
		b = append(b, ".0"...)
	}
	b = append(b, 'E')
	exp := s[e+1:]
	if exp[0] == '-' {
		b = append(b, '-')
	}
	exp = bytes.TrimLeft(exp[1:], "0")
	if len(exp) == 0 {
		exp = []byte("0")
	}
	return append(b, exp...)
}

// appendTimestamp appends t in TimestampLayout without time.Format's
// layout parsing (reason data is rendered on every transition).
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	pad := func(b []byte, v, width int) []byte {
		var tmp [8]byte
		i := len(tmp)
		for ; width > 0 || v > 0; width-- {
			i--
			tmp[i] = byte('0' + v%10)
			v /= 10
		}
		return append(b, tmp[i:]...)
	}
	b = pad(b, y, 4)
	b = append(b, '-')
	b = pad(b, int(mo), 2)
	b = append(b, '-')
	b = pad(b, d, 2)
	b = append(b, 'T')
	b = pad(b, h, 2)
	b = append(b, ':')
	b = pad(b, mi, 2)
	b = append(b, ':')
	b = pad(b, s, 2)
	b = append(b, '.')
	b = pad(b, t.Nanosecond()/1e6, 3)
	return append(b, "+0000"...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Reason is the alarm's StateReason for a result, in CloudWatch's words:
//
//	Threshold Crossed: 2 out of the last 3 datapoints [41.0 (25/11/26 19:00:00), 30.0 (25/11/26 18:59:00)] were greater than the threshold (25.0) (minimum 2 datapoints for OK -> ALARM transition).
//	Threshold Crossed: 1 out of the last 3 datapoints [5.0 (…)] was not greater than the threshold (25.0) and 2 missing datapoints were treated as [NonBreaching] (minimum 2 datapoints for ALARM -> OK transition).
//	Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].
//	Insufficient Data: 3 datapoints were unknown.
//
// The datapoints listed are the evaluated ones that made the state
// (breaching for ALARM, not breaching for OK), newest first. A kept state
// has no new reason: Reason returns "".
func Reason(cfg *Config, window []Point, r Result) string {
	if r.Kept {
		return ""
	}
	window = trimWindow(cfg, window)
	n, m := cfg.N(), cfg.M()
	band := cfg.Operator.Band()
	head := "Threshold Crossed: "
	if band {
		head = "Thresholds Crossed: "
	}
	if r.State == InsufficientData {
		unknown := n - min(r.Real, n)
		return "Insufficient Data: " + strconv.Itoa(unknown) + " " + plural(unknown, "datapoint was", "datapoints were") + " unknown."
	}
	fillWord := "[NonBreaching]"
	if cfg.Treatment() == Breaching {
		fillWord = "[Breaching]"
	}
	fillClause := func(k int) string {
		return strconv.Itoa(k) + " missing " + plural(k, "datapoint was", "datapoints were") + " treated as " + fillWord
	}
	if r.Outcome == NoData {
		return head + "no datapoints were received for " + strconv.Itoa(n) + " " + plural(n, "period", "periods") +
			" and " + fillClause(r.Filled) + "."
	}
	wantBreach := r.State == Alarm
	var idx [64]int
	ev := evaluated(cfg, window, r, idx[:0])
	var listed []int
	for _, i := range ev {
		if breaches(cfg.Operator, cfg.Threshold, &window[i]) == wantBreach {
			listed = append(listed, i)
		}
	}
	if len(listed) == 0 {
		// Only filled datapoints made the state.
		return head + strconv.Itoa(r.Real) + " " + plural(r.Real, "datapoint was", "datapoints were") + " received for " +
			strconv.Itoa(n) + " " + plural(n, "period", "periods") + " and " + fillClause(r.Filled) + "."
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(strconv.Itoa(len(listed)))
	b.WriteString(" out of the last ")
	b.WriteString(strconv.Itoa(n))
	b.WriteString(" datapoints [")
	for j, i := range listed {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(FormatValue(window[i].Value))
		b.WriteString(" (")
		b.WriteString(window[i].Time.UTC().Format(ReasonTimeLayout))
		b.WriteString(")")
	}
	b.WriteString("] ")
	b.WriteString(plural(len(listed), "was ", "were "))
	if band {
		b.WriteString(bandPhrase(cfg.Operator, window, listed, !wantBreach))
	} else {
		if !wantBreach {
			b.WriteString("not ")
		}
		b.WriteString(opPhrase(cfg.Operator))
		b.WriteString(" the threshold (")
		b.WriteString(FormatValue(cfg.Threshold))
		b.WriteString(")")
	}
	if r.Filled > 0 {
		b.WriteString(" and ")
		b.WriteString(fillClause(r.Filled))
	}
	if wantBreach {
		b.WriteString(" (minimum " + strconv.Itoa(m) + " " + plural(m, "datapoint", "datapoints") + " for OK -> ALARM transition).")
	} else {
		k := n - m + 1
		b.WriteString(" (minimum " + strconv.Itoa(k) + " " + plural(k, "datapoint", "datapoints") + " for ALARM -> OK transition).")
	}
	return b.String()
}

func bandPhrase(op Operator, window []Point, listed []int, not bool) string {
	list := func(lower bool) string {
		parts := make([]string, len(listed))
		for j, i := range listed {
			if lower {
				parts[j] = FormatValue(window[i].Lower)
			} else {
				parts[j] = FormatValue(window[i].Upper)
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	neg := ""
	if not {
		neg = "not "
	}
	lower := neg + "less than the lower thresholds " + list(true)
	upper := neg + "greater than the upper thresholds " + list(false)
	switch op {
	case LessThanLowerThreshold:
		return lower
	case GreaterThanUpperThreshold:
		return upper
	}
	return lower + " or " + upper
}

// ReasonData is the alarm's StateReasonData for a result: CloudWatch's
// JSON document with the query date, the evaluated datapoints and the
// threshold (or the band), e.g.
//
//	{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.5],"threshold":50.0,"evaluatedDatapoints":[{"timestamp":"2019-10-02T16:59:00.000+0000","sampleCount":1.0,"value":99.5}]}
//
// recentDatapoints are the evaluated real values oldest first;
// evaluatedDatapoints every evaluated period newest first, filled ones
// with a timestamp only. Numbers are written as CloudWatch writes them
// (FormatValue). A kept state returns "".
func ReasonData(cfg *Config, window []Point, r Result, queryDate time.Time) string {
	if r.Kept {
		return ""
	}
	window = trimWindow(cfg, window)
	var idx [64]int
	ev := evaluated(cfg, window, r, idx[:0])
	var filled []int
	if r.State != InsufficientData {
		filled = fillSlots(cfg, window, r)
	} else {
		// INSUFFICIENT_DATA: the unknown periods are listed too.
		filled = missingSlots(cfg, window, cfg.N()-min(r.Real, cfg.N()))
	}
	var newest time.Time
	if len(window) > 0 {
		newest = window[len(window)-1].Time
	}
	at := func(age int) time.Time { return newest.Add(-time.Duration(age) * cfg.Period) }

	b := make([]byte, 0, 256+64*(len(ev)+len(filled)))
	b = append(b, `{"version":"1.0","queryDate":"`...)
	b = appendTimestamp(b, queryDate)
	b = append(b, '"')
	if len(ev) > 0 {
		b = append(b, `,"startDate":"`...)
		b = appendTimestamp(b, window[ev[len(ev)-1]].Time)
		b = append(b, '"')
	}
	if !cfg.Stat.IsZero() {
		if cfg.Stat.Extended() {
			b = append(b, `,"extendedStatistic":`...)
		} else {
			b = append(b, `,"statistic":`...)
		}
		b = appendJSONString(b, cfg.Stat.String())
	}
	if cfg.Unit != "" {
		b = append(b, `,"unit":`...)
		b = appendJSONString(b, cfg.Unit)
	}
	b = append(b, `,"period":`...)
	b = strconv.AppendInt(b, int64(cfg.Period/time.Second), 10)
	list := func(b []byte, key string, f func(p *Point) float64) []byte {
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":[`...)
		for j := len(ev) - 1; j >= 0; j-- {
			if j != len(ev)-1 {
				b = append(b, ',')
			}
			b = appendValue(b, f(&window[ev[j]]))
		}
		return append(b, ']')
	}
	b = list(b, "recentDatapoints", func(p *Point) float64 { return p.Value })
	if cfg.Operator.Band() {
		b = list(b, "recentLowerThresholds", func(p *Point) float64 { return p.Lower })
		b = list(b, "recentUpperThresholds", func(p *Point) float64 { return p.Upper })
	} else {
		b = append(b, `,"threshold":`...)
		b = appendValue(b, cfg.Threshold)
	}
	// Every evaluated period, newest first: merge the real datapoints
	// (ev, newest first) with the filled periods (ages, ascending).
	b = append(b, `,"evaluatedDatapoints":[`...)
	i, j := 0, 0
	for k := 0; i < len(ev) || j < len(filled); k++ {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"timestamp":"`...)
		if j >= len(filled) || (i < len(ev) && len(window)-1-ev[i] < filled[j]) {
			p := &window[ev[i]]
			i++
			b = appendTimestamp(b, p.Time)
			b = append(b, '"')
			if p.SampleCount > 0 {
				b = append(b, `,"sampleCount":`...)
				b = appendValue(b, p.SampleCount)
			}
			b = append(b, `,"value":`...)
			b = appendValue(b, p.Value)
		} else {
			b = appendTimestamp(b, at(filled[j]))
			b = append(b, '"')
			j++
		}
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	return string(b)
}

// missingSlots lists the ages of the k newest missing periods of the range.
func missingSlots(cfg *Config, window []Point, k int) []int {
	return fillSlots(cfg, window, Result{Filled: k})
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
