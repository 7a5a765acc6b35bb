package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates static
var assets embed.FS

// Page is what every page template gets.
type Page struct {
	Title string
	// Nav is the active navigation item: overview, runs, drift, canaries,
	// alerts.
	Nav string
	// User and Role name the signed-in token ("" when anonymous).
	User, Role string
	// PublicRead: anonymous visitors may read.
	PublicRead bool
	// CSRF is the form token of the session, for forms that change
	// something.
	CSRF string
	// Flash is a notice (an approval recorded); Error a refusal or failure.
	Flash, Error string
	// Data is the page's own data.
	Data any
}

// Renderer renders the embedded page templates.
type Renderer struct {
	pages map[string]*template.Template
}

// New parses the embedded templates.
func New() (*Renderer, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	files, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, f := range files {
		t, err := template.Must(base.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		r.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return r, nil
}

// Render writes page name with p. The page is rendered to a buffer first,
// so a template error never leaves half a page.
func (r *Renderer) Render(w io.Writer, name string, p *Page) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("dashboard: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("dashboard: render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Static serves the embedded stylesheet and script; mount it under
// /static/ with http.StripPrefix.
func Static() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	return http.FileServerFS(sub)
}

var funcs = template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"ago":   Ago,
	"dur":   Duration,
	"ms":    func(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) },
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"short": func(s string) string { return Short(s, 12) },
	"join":  strings.Join,
	"chart": Chart,
	"stateLabel": func(s string) string {
		switch s {
		case "green":
			return "green"
		case "drifted":
			return "drifted"
		case "failing":
			return "failing"
		case "waiting":
			return "waiting for approval or apply"
		}
		return "no data yet"
	},
	"orNone": func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	},
	"add": func(a, b int) int { return a + b },
}

// Ago is a rough age: "just now", "5m ago", "3h ago", "2d ago".
func Ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// Duration prints d rounded for people: "850ms", "42s", "3m10s", "5h2m".
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return trimZero(d.Round(time.Second).String())
	}
	return trimZero(d.Round(time.Minute).String())
}

// trimZero drops a zero seconds part: "10m0s" → "10m", "5h2m0s" → "5h2m".
func trimZero(s string) string {
	if strings.HasSuffix(s, "m0s") {
		return strings.TrimSuffix(s, "0s")
	}
	return s
}

// Short cuts s to n characters (a hash or run id), keeping a "sha256:"
// prefix out of the count.
func Short(s string, n int) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) <= n {
		return s
	}
	return s[:n]
}
