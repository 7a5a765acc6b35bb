package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Every HTTP listener of an application load balancer is served on a
// loopback port of its own. The port is kept in the state and reused after
// a restart when it is free. HTTPS listeners are not served (the sandbox
// holds no certificates' keys).

const nsPort = "workload/port" // listener ARN → port

// MaxSimulatedWait bounds the real time a request waits for its simulated
// latency.
const MaxSimulatedWait = 10 * time.Second

type albServer struct {
	listenerARN string
	lbARN       string
	port        int
	ln          net.Listener
	srv         *http.Server
}

func (a *albServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		_ = a.srv.Close()
	}
}

// SyncListeners opens a loopback server for each HTTP listener of an
// application load balancer that has none, and closes those of listeners
// that are gone.
func (s *Sim) SyncListeners(ctx context.Context) error {
	var lbs []elbv2.LoadBalancer
	ports := map[string]int{}
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		var err error
		if lbs, err = elbv2.LoadBalancers(tx); err != nil {
			return err
		}
		ents, err := tx.List(state.ListParams{NS: nsPort})
		if err != nil {
			return err
		}
		for _, e := range ents {
			p, _ := strconv.Atoi(strings.Trim(string(e.Value), `"`))
			ports[e.Key] = p
		}
		return nil
	})
	if err != nil {
		return err
	}
	want := map[string]string{} // listener → load balancer
	for _, lb := range lbs {
		if lb.Type != "application" {
			continue
		}
		for _, l := range lb.Listeners {
			if l.Protocol == "HTTP" {
				want[l.ARN] = lb.ARN
			}
		}
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	var stale []*albServer
	for arn, srv := range s.servers {
		if _, ok := want[arn]; !ok {
			stale = append(stale, srv)
			delete(s.servers, arn)
		}
	}
	var missing []string
	for arn := range want {
		if s.servers[arn] == nil {
			missing = append(missing, arn)
		}
	}
	s.mu.Unlock()
	for _, srv := range stale {
		srv.close()
	}
	var errs []error
	for _, arn := range missing {
		srv, err := s.listen(arn, want[arn], ports[arn])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.mu.Lock()
		if s.stopped || s.servers[arn] != nil {
			s.mu.Unlock()
			srv.close()
			continue
		}
		s.servers[arn] = srv
		s.mu.Unlock()
		if srv.port != ports[arn] {
			if err := s.env.State.Put(ctx, nsPort, arn, srv.port); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Sim) listen(listenerARN, lbARN string, port int) (*albServer, error) {
	var ln net.Listener
	var err error
	if port > 0 {
		ln, err = net.Listen("tcp", net.JoinHostPort(s.host, strconv.Itoa(port)))
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", net.JoinHostPort(s.host, "0")); err != nil {
			return nil, fmt.Errorf("workload: listen for %s: %w", listenerARN, err)
		}
	}
	a := &albServer{listenerARN: listenerARN, lbARN: lbARN, port: ln.Addr().(*net.TCPAddr).Port, ln: ln}
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, a) }),
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// URLs maps listener ARNs to the loopback URL serving them.
func (s *Sim) URLs() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for arn, srv := range s.servers {
		out[arn] = "http://" + net.JoinHostPort(s.host, strconv.Itoa(srv.port))
	}
	return out
}

// serve answers one real request at a listener, as the load balancer.
func (s *Sim) serve(rw http.ResponseWriter, r *http.Request, a *albServer) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	if err := s.CatchUp(r.Context()); err != nil {
		s.logger.Warn("workload: catch up", "err", err)
	}
	now := s.clock.Now().UTC()
	var out outcome
	var lb *elbv2.LoadBalancer
	err := s.env.State.View(r.Context(), func(tx *state.Tx) error {
		w, err := loadWorld(tx, now)
		if err != nil {
			return err
		}
		for i := range w.lbs {
			if w.lbs[i].ARN != a.lbARN {
				continue
			}
			lb = &w.lbs[i]
			for j := range lb.Listeners {
				if l := &lb.Listeners[j]; l.ARN == a.listenerARN {
					out = s.route(w, lb, l, request{Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header})
					return nil
				}
			}
		}
		return errGone
	})
	if errors.Is(err, errGone) {
		http.Error(rw, "this load balancer listener no longer exists", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(rw, "the sandbox failed serving this request: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.record(now, lb, out)
	if out.Target {
		if speed := s.clock.Speed(); speed > 0 {
			wait := min(time.Duration(float64(out.Latency)/speed), MaxSimulatedWait)
			select {
			case <-time.After(wait):
			case <-r.Context().Done():
				return
			}
		}
	}
	for k, vs := range out.Header {
		for _, v := range vs {
			rw.Header().Add(k, v)
		}
	}
	if out.Task != nil {
		rw.Header().Set("X-Vigil-Task", out.Task.ID)
		rw.Header().Set("X-Vigil-Target-Response-Time", strconv.FormatFloat(out.Latency.Seconds(), 'f', 3, 64))
	}
	if rw.Header().Get("Content-Type") == "" {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	rw.WriteHeader(out.Status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(rw, out.Body)
	}
}

var errGone = errors.New("listener gone")
