package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/dashboard"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/store"
)

// Options configure New.
type Options struct {
	// Layout is the environments × layers (LayoutFrom(cfg, graph)).
	Layout Layout
	// Runs reads runs, their stacks and approvals (a store.Store). Required.
	Runs RunSource
	// Status is a run's effective status (pipeline.EffectiveStatus: a run
	// whose process died reads as interrupted); nil takes the stored one.
	Status func(*store.Run) string
	// Drift, Canaries and Alerts are optional; without one, its endpoints
	// answer 501 saying so.
	Drift    DriftSource
	Canaries CanarySource
	Alerts   AlertSource
	// Approver records approvals (a *pipeline.Pipeline); nil: approving
	// answers 501.
	Approver Approver

	// Tokens are the API tokens (values resolved from the environment or
	// files). Reading needs a reader or approver token unless PublicRead;
	// approving always needs an approver token.
	Tokens     []Token
	PublicRead bool

	// Gatherer is what /metrics exposes (nil: prometheus.DefaultGatherer).
	Gatherer prometheus.Gatherer
	// Logger logs requests (method, path, status, token name; never a token
	// value). Nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Noise tunes the alert-noise figures.
	Noise alert.NoiseOptions
	// SecureCookies marks the session cookie Secure (set it when serving
	// over TLS or behind a TLS proxy).
	SecureCookies bool
}

// Server serves the JSON API under /api/v1, the dashboard, /metrics and
// /healthz.
type Server struct {
	opts     Options
	rd       *reader
	tokens   *tokenSet
	sessions *sessions
	pages    *dashboard.Renderer
	mux      *http.ServeMux
	log      *slog.Logger
}

// New validates the options and returns the server.
func New(opts Options) (*Server, error) {
	if opts.Runs == nil {
		return nil, errors.New("api: Options.Runs is required")
	}
	if err := validateTokens(opts.Tokens); err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	if len(opts.Tokens) == 0 && !opts.PublicRead {
		return nil, errors.New("api: no tokens and public_read is off: nobody could read anything; declare a token in vigil.hcl's serve block or set public_read = true")
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pages, err := dashboard.New()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts,
		rd: &reader{layout: opts.Layout, runs: opts.Runs, status: opts.Status, drift: opts.Drift,
			canaries: opts.Canaries, alerts: opts.Alerts, now: opts.Now, noise: opts.Noise},
		tokens:   newTokenSet(opts.Tokens),
		sessions: newSessions(opts.Now),
		pages:    pages,
		mux:      http.NewServeMux(),
		log:      opts.Logger,
	}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Content-Type-Options", "nosniff")
	info := &requestInfo{}
	s.mux.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
	who := "-"
	if info.p != nil {
		who = info.p.Name
	}
	s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "token", who, "duration", time.Since(start))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// requestInfo carries who a request acts as back to the request log.
type requestInfo struct{ p *principal }

type requestInfoKey struct{}

// setPrincipal records who r acts as, for the request log.
func setPrincipal(r *http.Request, p *principal) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		info.p = p
	}
}

func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{}))
	m.HandleFunc("GET /healthz", s.healthz)

	m.HandleFunc("/api/v1/environments", s.api(http.MethodGet, RoleReader, s.apiEnvironments))
	m.HandleFunc("/api/v1/stacks", s.api(http.MethodGet, RoleReader, s.apiStacks))
	m.HandleFunc("/api/v1/stacks/{env}/{layer}", s.api(http.MethodGet, RoleReader, s.apiStack))
	m.HandleFunc("/api/v1/runs", s.api(http.MethodGet, RoleReader, s.apiRuns))
	m.HandleFunc("/api/v1/runs/{id}", s.api(http.MethodGet, RoleReader, s.apiRun))
	m.HandleFunc("/api/v1/runs/{id}/approve", s.api(http.MethodPost, RoleApprover, s.apiApprove))
	m.HandleFunc("/api/v1/approvals", s.api(http.MethodGet, RoleReader, s.apiApprovals))
	m.HandleFunc("/api/v1/drift", s.api(http.MethodGet, RoleReader, s.apiDrift))
	m.HandleFunc("/api/v1/canaries", s.api(http.MethodGet, RoleReader, s.apiCanaries))
	m.HandleFunc("/api/v1/alerts", s.api(http.MethodGet, RoleReader, s.apiAlerts))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no API endpoint %s; see docs/api.md", r.URL.Path))
	})

	s.dashboardRoutes()
}

// apiHandler handles an authorised API request and returns what to
// encode, or an error.
type apiHandler func(r *http.Request, p *principal) (status int, body any, err error)

// api wraps h: method check, bearer authentication and role, JSON
// encoding of the answer or error.
func (s *Server) api(method string, need Role, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s is not supported; use %s", r.Method, r.URL.Path, method))
			return
		}
		tok, err := bearer(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		p := s.tokens.find(tok)
		if tok != "" && p == nil {
			writeError(w, http.StatusUnauthorized, "the bearer token is not valid (unknown or revoked)")
			return
		}
		setPrincipal(r, p)
		if status, msg := s.authorize(p, need); status != 0 {
			writeError(w, status, msg)
			return
		}
		status, body, err := h(r, p)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		writeJSON(w, status, body)
	}
}

// authorize says whether p may do what need allows (0 when it may), else
// the status and message of the refusal.
func (s *Server) authorize(p *principal, need Role) (int, string) {
	switch {
	case need == RoleReader && s.opts.PublicRead:
		return 0, ""
	case p == nil && need == RoleApprover:
		return http.StatusUnauthorized, "approving needs an API token with the approver role (Authorization: Bearer <token>)"
	case p == nil:
		return http.StatusUnauthorized, "reading needs an API token (Authorization: Bearer <token>); the server does not allow public reads"
	case !p.can(need):
		return http.StatusForbidden, fmt.Sprintf("token %q has the %s role; this needs the %s role", p.Name, p.Role, need)
	}
	return 0, ""
}

// writeErr answers err: its own status for an httpError, 500 otherwise
// (logged).
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	s.log.Error("http: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.opts.Runs.RunList(ctx, &store.RunListParams{Limit: 1}); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "the store does not answer: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Query parsing: junk is a 400 with a reason.

func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(fmt.Sprintf("%s=%q: want a whole number from %d to %d", name, v, lo, hi))
	}
	return n, nil
}

// queryEnv reads ?env= and checks the environment exists.
func (s *Server) queryEnv(r *http.Request) (string, error) {
	env := r.URL.Query().Get("env")
	if env == "" {
		return "", nil
	}
	if _, ok := s.opts.Layout.env(env); !ok {
		return "", badRequest(fmt.Sprintf("env=%q: no such environment; vigil.hcl declares %s", env, strings.Join(s.envNames(), ", ")))
	}
	return env, nil
}

func (s *Server) envNames() []string {
	var out []string
	for _, e := range s.opts.Layout.Environments {
		out = append(out, e.Name)
	}
	return out
}

func oneOf(name, v string, allowed []string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return badRequest(fmt.Sprintf("%s=%q: want one of %s", name, v, strings.Join(allowed, ", ")))
}

var runStatuses = []string{store.RunRunning, store.RunPlanned, store.RunNoChanges, store.RunApplying, store.RunApplied, store.RunFailed, store.RunRefused, store.RunInterrupted}

// validRunID rejects ids that cannot be run ids (anything but letters,
// digits, '-', '_' and '.').
func validRunID(id string) error {
	if id == "" || len(id) > 128 {
		return badRequest("a run id has 1 to 128 characters")
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return badRequest(fmt.Sprintf("run id %q: only letters, digits, '-', '_' and '.' are allowed", id))
		}
	}
	return nil
}

// API handlers.

func (s *Server) apiEnvironments(r *http.Request, _ *principal) (int, any, error) {
	envs := s.opts.Layout.Environments
	if envs == nil {
		envs = []Environment{}
	}
	return http.StatusOK, map[string]any{"layers": s.opts.Layout.Layers, "environments": envs}, nil
}

func (s *Server) apiStacks(r *http.Request, _ *principal) (int, any, error) {
	env, err := s.queryEnv(r)
	if err != nil {
		return 0, nil, err
	}
	st := r.URL.Query().Get("state")
	if err := oneOf("state", st, []string{StateFailing, StateDrifted, StateWaiting, StateGreen, StateUnknown}); err != nil {
		return 0, nil, err
	}
	stacks, err := s.rd.Stacks(r.Context(), env)
	if err != nil {
		return 0, nil, err
	}
	out := []Stack{}
	for _, x := range stacks {
		if st == "" || x.State == st {
			out = append(out, x)
		}
	}
	return http.StatusOK, map[string]any{"stacks": out}, nil
}

func (s *Server) apiStack(r *http.Request, _ *principal) (int, any, error) {
	env, layer := r.PathValue("env"), r.PathValue("layer")
	if _, ok := s.opts.Layout.env(env); !ok {
		return 0, nil, notFound(fmt.Sprintf("no environment %q", env))
	}
	stacks, err := s.rd.Stacks(r.Context(), env)
	if err != nil {
		return 0, nil, err
	}
	for _, x := range stacks {
		if x.Layer == layer {
			return http.StatusOK, x, nil
		}
	}
	return 0, nil, notFound(fmt.Sprintf("environment %s has no stack in layer %q", env, layer))
}

func (s *Server) apiRuns(r *http.Request, _ *principal) (int, any, error) {
	env, err := s.queryEnv(r)
	if err != nil {
		return 0, nil, err
	}
	status := r.URL.Query().Get("status")
	if err := oneOf("status", status, runStatuses); err != nil {
		return 0, nil, err
	}
	limit, err := queryInt(r, "limit", 50, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	runs, err := s.rd.Runs(r.Context(), store.RunListParams{Env: env, Status: status, Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"runs": runs}, nil
}

func (s *Server) apiRun(r *http.Request, _ *principal) (int, any, error) {
	id := r.PathValue("id")
	if err := validRunID(id); err != nil {
		return 0, nil, err
	}
	d, err := s.rd.RunDetail(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, d, nil
}

// ApproveRequest is the body of POST /api/v1/runs/{id}/approve.
type ApproveRequest struct {
	Comment string `json:"comment"`
}

// maxBody bounds request bodies.
const maxBody = 64 << 10

func (s *Server) apiApprove(r *http.Request, p *principal) (int, any, error) {
	id := r.PathValue("id")
	if err := validRunID(id); err != nil {
		return 0, nil, err
	}
	var req ApproveRequest
	if r.ContentLength != 0 {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				return 0, nil, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json ({\"comment\": \"...\"})", ct)}
			}
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			return 0, nil, badRequest("the body must be a JSON object like {\"comment\": \"reviewed in PR #42\"}: " + err.Error())
		}
	}
	a, err := s.approve(r.Context(), id, p, req.Comment)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a, nil
}

// ApproverName is what an approval made with a token records as its
// approver.
func ApproverName(tokenName string) string { return "token:" + tokenName }

// approve checks what the API can check (the run exists, is approvable,
// the token is not its author's in an environment without
// self-approval) and records the approval through the Approver, bound to
// the run's exact plans and audited with the token's name.
func (s *Server) approve(ctx context.Context, id string, p *principal, comment string) (*store.Approval, error) {
	if s.opts.Approver == nil {
		return nil, unavailable("approving is not available from this server (it was started without a pipeline); use vigil approve")
	}
	if len(comment) > 4096 {
		return nil, badRequest("the comment is longer than 4096 characters")
	}
	d, err := s.rd.RunDetail(ctx, id)
	if err != nil {
		return nil, err
	}
	if !d.Approvable {
		return nil, conflict(fmt.Sprintf("run %s is %s; only a planned run with changes can be approved", id, d.Run.Status))
	}
	env, _ := s.opts.Layout.env(d.Run.Env)
	if strings.EqualFold(p.Name, d.Run.Author) && !env.AllowSelfApproval {
		return nil, &httpError{http.StatusForbidden, fmt.Sprintf("token %q belongs to the author of run %s; environment %s needs someone else's approval", p.Name, id, d.Run.Env)}
	}
	a, err := s.opts.Approver.Approve(ctx, pipeline.ApproveParams{RunID: id, By: ApproverName(p.Name), Comment: comment})
	if err != nil {
		var se *pipeline.SelfApprovalError
		if errors.As(err, &se) {
			return nil, &httpError{http.StatusForbidden, err.Error()}
		}
		return nil, conflict("approval refused: " + err.Error())
	}
	s.log.Info("run approved", "run", id, "env", d.Run.Env, "token", p.Name)
	return a, nil
}

func (s *Server) apiApprovals(r *http.Request, _ *principal) (int, any, error) {
	env, err := s.queryEnv(r)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryInt(r, "limit", 50, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	a, err := s.rd.Approvals(r.Context(), env, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a, nil
}

func (s *Server) driftFilter(r *http.Request) (DriftFilter, error) {
	env, err := s.queryEnv(r)
	if err != nil {
		return DriftFilter{}, err
	}
	f := DriftFilter{Env: env, Stack: r.URL.Query().Get("stack"), Kind: r.URL.Query().Get("kind")}
	if err := oneOf("kind", f.Kind, driftKinds); err != nil {
		return f, err
	}
	if f.Stack != "" {
		e, layer, ok := strings.Cut(f.Stack, "/")
		env, found := s.opts.Layout.env(e)
		if !ok || !found || !containsString(env.Layers, layer) {
			return f, badRequest(fmt.Sprintf("stack=%q: want ENV/LAYER of an existing stack (e.g. %s)", f.Stack, s.exampleStack()))
		}
	}
	switch v := r.URL.Query().Get("drifted"); v {
	case "", "false", "0":
	case "true", "1":
		f.Drifted = true
	default:
		return f, badRequest(fmt.Sprintf("drifted=%q: want true or false", v))
	}
	return f, nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Server) exampleStack() string {
	if st := s.opts.Layout.stacks(); len(st) > 0 {
		return st[0]
	}
	return "dev/workload"
}

func (s *Server) apiDrift(r *http.Request, _ *principal) (int, any, error) {
	f, err := s.driftFilter(r)
	if err != nil {
		return 0, nil, err
	}
	v, err := s.rd.Drift(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (s *Server) apiCanaries(r *http.Request, _ *principal) (int, any, error) {
	env, err := s.queryEnv(r)
	if err != nil {
		return 0, nil, err
	}
	n, err := queryInt(r, "results", 60, 0, 1440)
	if err != nil {
		return 0, nil, err
	}
	cs, err := s.rd.Canaries(r.Context(), env, n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"canaries": cs}, nil
}

func (s *Server) alertsSince(r *http.Request) (time.Time, error) {
	days, err := queryInt(r, "days", 7, 1, 90)
	if err != nil {
		return time.Time{}, err
	}
	return s.opts.Now().Add(-time.Duration(days) * 24 * time.Hour), nil
}

func (s *Server) apiAlerts(r *http.Request, _ *principal) (int, any, error) {
	since, err := s.alertsSince(r)
	if err != nil {
		return 0, nil, err
	}
	v, err := s.rd.Alerts(r.Context(), since)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}
