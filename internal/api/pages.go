package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-sre/vigil/internal/dashboard"
	"github.com/vigil-sre/vigil/internal/store"
)

// The dashboard: server-rendered pages over the same views as the API.
// Browsers authenticate with a session cookie (see auth.go); reading needs
// a session unless PublicRead, approving needs an approver's session and
// the form's CSRF token.

func (s *Server) dashboardRoutes() {
	m := s.mux
	m.Handle("GET /static/", http.StripPrefix("/static/", dashboard.Static()))
	m.HandleFunc("GET /{$}", s.page("overview", s.pageOverview))
	m.HandleFunc("GET /runs", s.page("runs", s.pageRuns))
	m.HandleFunc("GET /runs/{id}", s.page("run", s.pageRun))
	m.HandleFunc("POST /runs/{id}/approve", s.pageApprove)
	m.HandleFunc("GET /drift", s.page("drift", s.pageDrift))
	m.HandleFunc("GET /canaries", s.page("canaries", s.pageCanaries))
	m.HandleFunc("GET /alerts", s.page("alerts", s.pageAlerts))
	m.HandleFunc("GET /login", s.pageLogin)
	m.HandleFunc("POST /login", s.postLogin)
	m.HandleFunc("POST /logout", s.postLogout)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "No page "+r.URL.Path+".")
	})
}

// browser is who a browser request acts as: its session, or a bearer
// token, or nobody. The second result is the session id ("" for none).
func (s *Server) browser(r *http.Request) (*principal, string) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if p := s.sessions.get(c.Value); p != nil {
			setPrincipal(r, p)
			return p, c.Value
		}
	}
	if tok, err := bearer(r); err == nil && tok != "" {
		p := s.tokens.find(tok)
		setPrincipal(r, p)
		return p, ""
	}
	return nil, ""
}

// basePage fills what every page shows.
func (s *Server) basePage(p *principal, sid, nav, title string) *dashboard.Page {
	pg := &dashboard.Page{Title: title, Nav: nav, PublicRead: s.opts.PublicRead, CSRF: s.sessions.csrf(sid)}
	if p != nil {
		pg.User, pg.Role = p.Name, string(p.Role)
	}
	return pg
}

type pageHandler func(r *http.Request, pg *dashboard.Page) error

// page wraps a GET page: read access (else a redirect to the sign-in
// page), then render; an error renders the error page with its status.
func (s *Server) page(name string, h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, sid := s.browser(r)
		if !s.opts.PublicRead && !p.can(RoleReader) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		pg := s.basePage(p, sid, name, name)
		if err := h(r, pg); err != nil {
			status := http.StatusInternalServerError
			var he *httpError
			if errors.As(err, &he) {
				status = he.status
			} else {
				s.log.Error("http: page failed", "path", r.URL.Path, "err", err)
			}
			s.renderError(w, r, status, err.Error())
			return
		}
		s.render(w, http.StatusOK, name, pg)
	}
}

func (s *Server) render(w http.ResponseWriter, status int, name string, pg *dashboard.Page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	if err := s.pages.Render(w, name, pg); err != nil {
		s.log.Error("http: render", "page", name, "err", err)
	}
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p, sid := s.browser(r)
	pg := s.basePage(p, sid, "", http.StatusText(status))
	pg.Error = msg
	s.render(w, status, "error", pg)
}

// Overview grid.

type overviewData struct {
	Layers  []string
	Rows    []gridRow
	Counts  map[string]int
	Waiting []*store.Run
}

type gridRow struct {
	Env   Environment
	Cells []gridCell
}

type gridCell struct {
	Layer string
	Stack *Stack
}

func (s *Server) pageOverview(r *http.Request, pg *dashboard.Page) error {
	pg.Title = "Overview"
	stacks, err := s.rd.Stacks(r.Context(), "")
	if err != nil {
		return err
	}
	d := overviewData{Layers: s.opts.Layout.Layers, Counts: map[string]int{}}
	byID := map[string]*Stack{}
	for i := range stacks {
		byID[stacks[i].Stack] = &stacks[i]
		d.Counts[stacks[i].State]++
	}
	for _, e := range s.opts.Layout.Environments {
		row := gridRow{Env: e}
		for _, layer := range d.Layers {
			row.Cells = append(row.Cells, gridCell{Layer: layer, Stack: byID[e.Name+"/"+layer]})
		}
		d.Rows = append(d.Rows, row)
	}
	ap, err := s.rd.Approvals(r.Context(), "", 50)
	if err != nil {
		return err
	}
	d.Waiting = ap.Waiting
	pg.Data = d
	return nil
}

func (s *Server) pageRuns(r *http.Request, pg *dashboard.Page) error {
	pg.Title = "Runs"
	env, err := s.queryEnv(r)
	if err != nil {
		return err
	}
	runs, err := s.rd.Runs(r.Context(), store.RunListParams{Env: env, Limit: 100})
	if err != nil {
		return err
	}
	pg.Data = map[string]any{"Runs": runs, "Env": env}
	return nil
}

func (s *Server) pageRun(r *http.Request, pg *dashboard.Page) error {
	id := r.PathValue("id")
	if err := validRunID(id); err != nil {
		return err
	}
	d, err := s.rd.RunDetail(r.Context(), id)
	if err != nil {
		return err
	}
	pg.Title = "Run " + id
	pg.Nav = "runs"
	pg.Data = d
	if r.URL.Query().Get("approved") != "" {
		for _, a := range d.Approvals {
			if a.Binding == d.Run.Binding {
				pg.Flash = fmt.Sprintf("Approved by %s. Next: vigil apply %s", a.By, d.Run.ID)
			}
		}
	}
	return nil
}

// pageApprove handles the run page's Approve form.
func (s *Server) pageApprove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, sid := s.browser(r)
	refuse := func(status int, msg string) {
		pg := s.basePage(p, sid, "runs", "Run "+id)
		pg.Error = msg
		if !s.opts.PublicRead && !p.can(RoleReader) {
			s.render(w, status, "error", pg)
			return
		}
		d, err := s.rd.RunDetail(r.Context(), id)
		if err != nil {
			s.render(w, status, "error", pg)
			return
		}
		pg.Data = d
		s.render(w, status, "run", pg)
	}
	if err := validRunID(id); err != nil {
		s.renderError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	if !sameOrigin(r) {
		refuse(http.StatusForbidden, "Approval refused: the form was sent from another site.")
		return
	}
	if p == nil {
		refuse(http.StatusUnauthorized, "Approval refused: approving needs an API token with the approver role. Sign in with one.")
		return
	}
	if sid != "" && !s.sessions.checkCSRF(sid, r.PostForm.Get("csrf")) {
		refuse(http.StatusForbidden, "Approval refused: the form's security token does not match your session. Reload the page and try again.")
		return
	}
	if !p.can(RoleApprover) {
		refuse(http.StatusForbidden, fmt.Sprintf("Approval refused: token %q has the %s role; approving needs a token with the approver role.", p.Name, p.Role))
		return
	}
	if _, err := s.approve(r.Context(), id, p, r.PostForm.Get("comment")); err != nil {
		var he *httpError
		status := http.StatusInternalServerError
		if errors.As(err, &he) {
			status = he.status
		}
		refuse(status, "Approval refused: "+err.Error())
		return
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(id)+"?approved=1", http.StatusSeeOther)
}

type unavailableData struct {
	Unavailable string
}

func unavailableMsg(err error) (string, bool) {
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusNotImplemented {
		return he.msg, true
	}
	return "", false
}

func (s *Server) pageDrift(r *http.Request, pg *dashboard.Page) error {
	pg.Title = "Drift"
	f, err := s.driftFilter(r)
	if err != nil {
		return err
	}
	v, err := s.rd.Drift(r.Context(), f)
	if msg, ok := unavailableMsg(err); ok {
		pg.Data = map[string]any{"Unavailable": msg}
		return nil
	}
	if err != nil {
		return err
	}
	pg.Data = map[string]any{"View": v, "Unavailable": ""}
	return nil
}

func (s *Server) pageCanaries(r *http.Request, pg *dashboard.Page) error {
	pg.Title = "Canaries"
	env, err := s.queryEnv(r)
	if err != nil {
		return err
	}
	cs, err := s.rd.Canaries(r.Context(), env, 60)
	if msg, ok := unavailableMsg(err); ok {
		pg.Data = map[string]any{"Unavailable": msg}
		return nil
	}
	if err != nil {
		return err
	}
	pg.Data = map[string]any{"Canaries": cs, "Unavailable": ""}
	return nil
}

func (s *Server) pageAlerts(r *http.Request, pg *dashboard.Page) error {
	pg.Title = "Alerts"
	days, err := queryInt(r, "days", 7, 1, 90)
	if err != nil {
		return err
	}
	since, _ := s.alertsSince(r)
	v, err := s.rd.Alerts(r.Context(), since)
	if msg, ok := unavailableMsg(err); ok {
		pg.Data = map[string]any{"Unavailable": msg}
		return nil
	}
	if err != nil {
		return err
	}
	pg.Data = map[string]any{"View": v, "Days": days, "Unavailable": ""}
	return nil
}

// Sign-in.

// localNext keeps a post-login redirect on this site.
func localNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	p, sid := s.browser(r)
	pg := s.basePage(p, sid, "", "Sign in")
	pg.Data = map[string]any{"Next": localNext(r.URL.Query().Get("next"))}
	s.render(w, http.StatusOK, "login", pg)
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	pg := s.basePage(nil, "", "", "Sign in")
	if err := r.ParseForm(); err != nil {
		pg.Error = "The form could not be read: " + err.Error()
		pg.Data = map[string]any{"Next": "/"}
		s.render(w, http.StatusBadRequest, "login", pg)
		return
	}
	next := localNext(r.PostForm.Get("next"))
	pg.Data = map[string]any{"Next": next}
	if !sameOrigin(r) {
		pg.Error = "Sign-in refused: the form was sent from another site."
		s.render(w, http.StatusForbidden, "login", pg)
		return
	}
	p := s.tokens.find(strings.TrimSpace(r.PostForm.Get("token")))
	if p == nil {
		pg.Error = "That token is not valid (unknown or revoked)."
		s.render(w, http.StatusUnauthorized, "login", pg)
		return
	}
	setPrincipal(r, p)
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	id := s.sessions.create(*p)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.opts.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds())})
	s.log.Info("dashboard sign-in", "token", p.Name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	_, sid := s.browser(r)
	_ = r.ParseForm()
	if sid != "" && sameOrigin(r) && s.sessions.checkCSRF(sid, r.PostForm.Get("csrf")) {
		s.sessions.remove(sid)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.opts.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
