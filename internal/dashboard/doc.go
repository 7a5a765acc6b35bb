// Package dashboard holds vigil's web dashboard: HTML templates and static
// assets embedded in the binary (embed.FS, no CDN), the template helpers,
// and the inline-SVG canary chart. It renders pages; it does not route,
// authenticate or read the store: package api does, and hands each page a
// Page with its data.
//
// # Pages
//
// overview (every environment × layer: green, drifted, failing, waiting),
// runs, run (the masked plan review and the Approve form), drift (findings
// with before → after), canaries (latency and success chart), alerts
// (firing alerts, deliveries, noise figures), login and error.
//
// # Example
//
//	r, err := dashboard.New()
//	err = r.Render(w, "run", &dashboard.Page{Title: "Run …", Data: detail})
//	mux.Handle("GET /static/", http.StripPrefix("/static/", dashboard.Static()))
package dashboard
