package dashboard

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/canary"
)

func TestChart(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		results []canary.Result
		want    []string
		count   map[string]int
	}{
		{"none", nil, []string{"No results yet."}, nil},
		{"mixed", []canary.Result{
			{Time: t0, Status: 200, OK: true, Latency: 100 * time.Millisecond},
			{Time: t0.Add(time.Minute), Status: 500, OK: false, Latency: 50 * time.Millisecond, Failed: []string{"status == 200 (status = 500)"}},
			{Time: t0.Add(2 * time.Minute), Status: 0, OK: false, Error: `dial <tcp> "refused"`},
		}, []string{"<svg", "3 results, 1 ok, latency up to 100 ms", "16:01:00: 500 in 50 ms — failed: status == 200 (status = 500)", "no response (dial &lt;tcp&gt; &#34;refused&#34;)"},
			map[string]int{`class="cell ok"`: 1, `class="cell fail"`: 2, "<polyline": 1}},
		{"one", []canary.Result{{Time: t0, Status: 200, OK: true, Latency: time.Millisecond}}, []string{`cx="300.0"`}, map[string]int{"<polyline": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Chart(tt.results))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("chart lacks %q:\n%s", w, got)
				}
			}
			for s, n := range tt.count {
				if c := strings.Count(got, s); c != n {
					t.Errorf("%q %d times, want %d", s, c, n)
				}
			}
			if strings.Contains(got, "<tcp>") {
				t.Error("an error text was not escaped")
			}
		})
	}
}

func TestRenderEscapesAndFailsWhole(t *testing.T) {
	t.Parallel()
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Render(&buf, "error", &Page{Title: "x", Error: "<script>alert(1)</script>", User: "alice", Role: "approver"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") || !strings.Contains(out, "Signed in as <b>alice</b>") {
		t.Fatalf("error page:\n%s", out)
	}
	buf.Reset()
	// A page given data it cannot render fails without writing half a page.
	if err := r.Render(&buf, "run", &Page{Data: 42}); err == nil || buf.Len() != 0 {
		t.Fatalf("err %v, wrote %d bytes", err, buf.Len())
	}
	if err := r.Render(&buf, "nope", &Page{}); err == nil {
		t.Fatal("unknown page rendered")
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0:                              "0s",
		850 * time.Millisecond:         "850ms",
		42 * time.Second:               "42s",
		3*time.Minute + 10*time.Second: "3m10s",
		10 * time.Minute:               "10m",
		5*time.Hour + 2*time.Minute:    "5h2m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
