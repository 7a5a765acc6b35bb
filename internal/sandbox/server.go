package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/sandbox/workload"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// Defaults.
const (
	DefaultAddr      = "127.0.0.1:4566"
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
)

// Options configure a Server.
type Options struct {
	Addr      string // listen address; port 0 picks a free one. Default DefaultAddr.
	DataDir   string // required
	Region    string // default region for unsigned requests
	AccountID string
	Logger    *slog.Logger
	Now       func() time.Time // real-time source of the virtual clock (default time.Now)
	// Clock is the virtual clock every service reads (service.Env.Now).
	// Default: the data directory's, restored (see clock.go), else real
	// time.
	Clock *simclock.Clock
}

// Server is a running (or ready to run) sandbox.
type Server struct {
	opts     Options
	st       *state.Store
	lock     *os.File
	services map[string]service.Service
	targets  map[string]service.Service
	logger   *slog.Logger
	clock    *simclock.Clock
	alarms   *cloudwatch.Evaluator
	workload *workload.Sim
	chaos    *chaos.Handler

	mu       sync.Mutex
	listener net.Listener
	http     *http.Server
	done     chan struct{}
}

// InUseError says another server holds the data directory.
type InUseError struct {
	DataDir string
	Info    Info
}

func (e *InUseError) Error() string {
	if e.Info.URL != "" {
		return fmt.Sprintf("sandbox data dir %s is in use by another sandbox (pid %d, serving %s since %s); use that one (vigil sandbox env) or stop it first",
			e.DataDir, e.Info.PID, e.Info.URL, e.Info.Started.Format(time.RFC3339))
	}
	return fmt.Sprintf("sandbox data dir %s is locked by another process; stop it or choose another --data-dir", e.DataDir)
}

// Info is what a running server records in <data-dir>/server.json.
type Info struct {
	PID       int       `json:"pid"`
	URL       string    `json:"url"`
	Started   time.Time `json:"started"`
	AccountID string    `json:"account_id"`
	Region    string    `json:"region"`
}

// Open locks the data directory, opens its state and builds the services.
// It does not listen yet: call Start.
func Open(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("sandbox: a data directory is required")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	opts.DataDir = dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: create data dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	st, err := state.Open(dir)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		if clock, err = openClock(context.Background(), st, opts.Now); err != nil {
			_ = st.Close()
			_ = lock.Close()
			return nil, err
		}
	}
	s := &Server{opts: opts, st: st, lock: lock, logger: opts.Logger, clock: clock,
		services: map[string]service.Service{}, targets: map[string]service.Service{}}
	env := service.Env{State: st, AccountID: opts.AccountID, Region: opts.Region, Logger: opts.Logger, Now: clock.Now}
	for _, svc := range newServices(env) {
		s.services[svc.Name()] = svc
		if tp, ok := svc.(service.TargetPrefixer); ok {
			for _, p := range tp.TargetPrefixes() {
				s.targets[p] = svc
			}
		}
	}
	s.setupAlarms(env)
	s.setupWorkload(env)
	return s, nil
}

// lockDir takes an exclusive, non-blocking lock on dir/lock. The kernel
// releases it when the process dies, even by kill -9.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sandbox: lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		info, _ := readInfo(dir)
		return nil, &InUseError{DataDir: dir, Info: info}
	}
	return f, nil
}

func readInfo(dir string) (Info, error) {
	var info Info
	b, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if err != nil {
		return info, err
	}
	err = json.Unmarshal(b, &info)
	return info, err
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return errors.New("sandbox: already started")
	}
	l, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w (is another sandbox or program on that port? use --addr 127.0.0.1:0 for a free one)", s.opts.Addr, err)
	}
	s.listener = l
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug)}
	s.done = make(chan struct{})
	info := Info{PID: os.Getpid(), URL: s.urlLocked(), Started: time.Now().UTC(), AccountID: s.opts.AccountID, Region: s.opts.Region}
	if err := writeInfo(s.opts.DataDir, info); err != nil {
		_ = l.Close()
		return err
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("sandbox: serve", "err", err)
		}
	}()
	s.startDelivery()
	s.startWorkload()
	if err := s.startAlarms(); err != nil {
		s.logger.Error("sandbox: alarm evaluation not started", "err", err)
	}
	return nil
}

func writeInfo(dir string, info Info) error {
	b, _ := json.MarshalIndent(info, "", "  ")
	tmp := filepath.Join(dir, "server.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("sandbox: record address: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, "server.json"))
}

// URL is the endpoint, e.g. http://127.0.0.1:4566.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urlLocked()
}

func (s *Server) urlLocked() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// DataDir is the absolute data directory.
func (s *Server) DataDir() string { return s.opts.DataDir }

// AccountID is the fixed account the sandbox reports.
func (s *Server) AccountID() string { return s.opts.AccountID }

// Close stops serving (waiting for in-flight requests until ctx ends),
// closes the state and releases the data directory.
func (s *Server) Close(ctx context.Context) error {
	s.stopWorkload()
	s.stopAlarms()
	s.stopDelivery()
	s.mu.Lock()
	h, done := s.http, s.done
	s.mu.Unlock()
	var errs []error
	if h != nil {
		if err := h.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = h.Close()
		}
		<-done
		_ = os.Remove(filepath.Join(s.opts.DataDir, "server.json"))
	}
	if err := s.saveClock(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, err)
	}
	s.clock.Close()
	errs = append(errs, s.st.Close())
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// Wait blocks until the server stops serving.
func (s *Server) Wait() {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Handler is the sandbox's HTTP handler (for tests that bring their own
// listener, e.g. httptest).
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rid := protocol.NewRequestID()
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("sandbox: panic serving request", "panic", p, "method", r.Method, "path", r.URL.Path, "request_id", rid)
			protocol.WriteQueryError(w, "", rid, protocol.Errorf(http.StatusInternalServerError, "InternalFailure", "the sandbox failed serving this request (request id %s)", rid))
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/_vigil/") {
		s.serveControl(w, r)
		return
	}
	req := &service.Request{HTTP: r, RequestID: rid, Region: s.opts.Region}
	svc := s.route(r, req)
	if svc == nil {
		e := protocol.Errorf(http.StatusBadRequest, "UnknownService", "the vigil sandbox does not serve service %q", req.Service)
		s.logger.Warn("sandbox: unknown service", "service", req.Service, "path", r.URL.Path, "request_id", rid)
		writeGenericError(w, r, rid, e)
		return
	}
	start := time.Now()
	s.catchUpWorkload(r.Context(), req.Service)
	svc.Handle(w, req)
	s.logger.Debug("sandbox: request", "service", req.Service, "operation", req.Operation, "method", r.Method, "path", r.URL.Path, "elapsed", time.Since(start), "request_id", rid)
}

// route picks the service for a request and fills req's scope.
func (s *Server) route(r *http.Request, req *service.Request) service.Service {
	if sc, ok := protocol.ParseScope(r); ok {
		req.Service, req.AccessKey = sc.Service, sc.AccessKey
		if sc.Region != "" {
			req.Region = sc.Region
		}
		return s.services[sc.Service]
	}
	if prefix, _, ok := protocol.JSONTarget(r); ok {
		if svc := s.targets[prefix]; svc != nil {
			req.Service = svc.Name()
			return svc
		}
	}
	// Unsigned STS calls (web identity federation is unsigned on AWS).
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if a := r.URL.Query().Get("Action"); strings.HasPrefix(a, "AssumeRoleWith") {
			req.Service = "sts"
			return s.services["sts"]
		}
		// Peek at the form without consuming it for the service.
		if body, err := peekForm(r); err == nil && strings.HasPrefix(body.Get("Action"), "AssumeRoleWith") {
			req.Service = "sts"
			return s.services["sts"]
		}
	}
	if svc := s.routeLink(r, req); svc != nil {
		return svc
	}
	if strings.HasPrefix(r.URL.Path, "/2015-03-31/") || strings.HasPrefix(r.URL.Path, "/2017-03-31/") || strings.HasPrefix(r.URL.Path, "/2019-09-25/") {
		req.Service = "lambda"
		return s.services["lambda"]
	}
	req.Service = "s3"
	return s.services["s3"]
}

func writeGenericError(w http.ResponseWriter, r *http.Request, rid string, e *protocol.Error) {
	if r.Header.Get("X-Amz-Target") != "" {
		protocol.WriteJSONError(w, "1.1", rid, e)
		return
	}
	protocol.WriteQueryError(w, "", rid, e)
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_vigil/health":
		names := make([]string, 0, len(s.services))
		for n := range s.services {
			names = append(names, n)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": "ok", "data_dir": s.opts.DataDir, "account_id": s.opts.AccountID,
			"region": s.opts.Region, "services": sortStrings(names), "pid": os.Getpid(),
		})
	case "/_vigil/clock":
		s.serveClock(w, r)
	default:
		if s.serveWorkloadControl(w, r) {
			return
		}
		http.Error(w, "unknown sandbox control path "+r.URL.Path, http.StatusNotFound)
	}
}

// Serves reports whether the sandbox serves the service with the given
// SigV4 signing name.
func (s *Server) Serves(name string) bool {
	_, ok := s.services[name]
	return ok
}
