package sandbox

import (
	"context"
	"net/http"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/workload"
)

// The workload simulation (internal/sandbox/workload) on the sandbox's
// clock: ECS tasks starting and failing, load balancers serving real HTTP
// on loopback and publishing their metrics, the load model driving ECS
// CPU, and the faults of /_vigil/chaos.

func (s *Server) setupWorkload(env service.Env) {
	s.workload = workload.New(workload.Options{Env: env, Clock: s.clock})
	s.chaos = &chaos.Handler{Store: s.workload.Faults(), Resolver: s.workload, Now: s.clock.Now}
}

func (s *Server) startWorkload() {
	if s.workload == nil {
		return
	}
	if err := s.workload.Start(context.Background()); err != nil {
		s.logger.Error("sandbox: workload simulation not started", "err", err)
	}
}

func (s *Server) stopWorkload() {
	if s.workload != nil {
		s.workload.Stop()
	}
}

// catchUpWorkload brings the simulation to the virtual time before a
// request to a service whose answers depend on it.
func (s *Server) catchUpWorkload(ctx context.Context, svc string) {
	if s.workload == nil {
		return
	}
	switch svc {
	case "ecs", "elasticloadbalancing", "monitoring":
		if err := s.workload.CatchUp(ctx); err != nil {
			s.logger.Warn("sandbox: workload simulation catch-up failed", "err", err)
		}
	}
}

// Workload is the sandbox's workload simulation (load balancer URLs,
// settings, Step for tests).
func (s *Server) Workload() *workload.Sim { return s.workload }

// serveWorkloadControl serves /_vigil/workload and /_vigil/chaos; it
// reports whether the path was one of them.
func (s *Server) serveWorkloadControl(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case workload.Path, chaos.Path:
		s.catchUpWorkload(r.Context(), "ecs")
	}
	switch r.URL.Path {
	case workload.Path:
		s.workload.ServeHTTP(w, r)
	case chaos.Path:
		s.chaos.ServeHTTP(w, r)
	default:
		return false
	}
	return true
}

// ECS is the sandbox's ECS service: SetDesiredCount changes a service's
// desired count in-process.
func (s *Server) ECS() *ecs.Service {
	svc, _ := s.services["ecs"].(*ecs.Service)
	return svc
}
