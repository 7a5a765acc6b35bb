package dashboard

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/canary"
)

// Chart geometry.
const (
	chartW     = 600
	chartH     = 120
	chartStrip = 10 // the success strip under the latency plot
	chartPad   = 4
)

// Chart draws a canary's results, oldest first, as inline SVG: latency as
// a line (one point per result with a response), a red mark on each failed
// result, and a strip of green/red cells for success. Each point carries a
// <title> with its time, status and latency. No results: a short note.
func Chart(results []canary.Result) template.HTML {
	if len(results) == 0 {
		return template.HTML(`<p class="muted">No results yet.</p>`)
	}
	var maxLat time.Duration
	for _, r := range results {
		if r.Status != 0 && r.Latency > maxLat {
			maxLat = r.Latency
		}
	}
	if maxLat <= 0 {
		maxLat = time.Millisecond
	}
	n := len(results)
	plotH := chartH - chartStrip - 3*chartPad
	x := func(i int) float64 {
		if n == 1 {
			return chartW / 2
		}
		return chartPad + float64(i)*float64(chartW-2*chartPad)/float64(n-1)
	}
	y := func(d time.Duration) float64 {
		return chartPad + float64(plotH) - float64(d)/float64(maxLat)*float64(plotH)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, chartW, chartH)
	ok := 0
	for _, r := range results {
		if r.OK {
			ok++
		}
	}
	fmt.Fprintf(&b, `<title>%d results, %d ok, latency up to %d ms</title>`, n, ok, maxLat.Milliseconds())
	fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%g" x2="%d" y2="%g"/>`, y(0), chartW, y(0))
	var pts []string
	for i, r := range results {
		if r.Status != 0 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(r.Latency)))
		}
	}
	if len(pts) > 1 {
		fmt.Fprintf(&b, `<polyline class="latency" points="%s"/>`, strings.Join(pts, " "))
	}
	cellW := float64(chartW-2*chartPad) / float64(n)
	for i, r := range results {
		cls := "ok"
		if !r.OK {
			cls = "fail"
		}
		tip := template.HTMLEscapeString(tooltip(r))
		if r.Status != 0 {
			fmt.Fprintf(&b, `<circle class="pt %s" cx="%.1f" cy="%.1f" r="2.5"><title>%s</title></circle>`, cls, x(i), y(r.Latency), tip)
		} else {
			fmt.Fprintf(&b, `<circle class="pt fail" cx="%.1f" cy="%.1f" r="3"><title>%s</title></circle>`, x(i), y(0), tip)
		}
		fmt.Fprintf(&b, `<rect class="cell %s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s</title></rect>`,
			cls, chartPad+float64(i)*cellW, chartH-chartPad-chartStrip, maxf(cellW-1, 1), chartStrip, tip)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func tooltip(r canary.Result) string {
	at := r.Time.UTC().Format("15:04:05")
	if r.Status == 0 {
		return fmt.Sprintf("%s: no response (%s)", at, r.Error)
	}
	s := fmt.Sprintf("%s: %d in %d ms", at, r.Status, r.Latency.Milliseconds())
	if !r.OK {
		s += " — failed: " + strings.Join(r.Failed, "; ")
	}
	return s
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
