package workload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Path is the sandbox control endpoint of the workload simulation.
const Path = "/_vigil/workload"

const (
	nsSettings  = "workload/settings"
	keySettings = "settings"
)

// Defaults of the simulation settings.
const (
	// DefaultRequestsPerMinute is the synthetic background load of each
	// application load balancer: 120 a minute is 40 a minute per task of
	// a three-task service.
	DefaultRequestsPerMinute = 120
	// DefaultBaseCPUPercent is a service's CPU without a load profile.
	DefaultBaseCPUPercent = 40
)

// Settings are the simulation's knobs, kept in the state.
type Settings struct {
	// RequestsPerMinute is the synthetic background load each
	// application load balancer serves (through its first listener that
	// forwards), besides real requests. 0 turns it off.
	RequestsPerMinute float64 `json:"requests_per_minute"`
	// BaseCPUPercent is a service's CPU utilisation without a load
	// profile, whatever its task count.
	BaseCPUPercent float64 `json:"base_cpu_percent"`
	// TaskStartDelay is how long an ECS task takes from PROVISIONING to
	// RUNNING (ecs.Simulation.StartDelay).
	TaskStartDelay chaos.Duration `json:"task_start_delay"`
}

// SettingsUpdate changes some settings (nil fields are kept).
type SettingsUpdate struct {
	RequestsPerMinute *float64        `json:"requests_per_minute,omitempty"`
	BaseCPUPercent    *float64        `json:"base_cpu_percent,omitempty"`
	TaskStartDelay    *chaos.Duration `json:"task_start_delay,omitempty"`
}

type storedSettings struct {
	RequestsPerMinute float64 `json:"rpm"`
	BaseCPUPercent    float64 `json:"base_cpu"`
}

// Settings reads the settings.
func (s *Sim) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		var err error
		out, err = readSettings(tx)
		return err
	})
	return out, err
}

func readSettings(tx *state.Tx) (Settings, error) {
	st := storedSettings{RequestsPerMinute: DefaultRequestsPerMinute, BaseCPUPercent: DefaultBaseCPUPercent}
	if err := tx.Get(nsSettings, keySettings, &st); err != nil && !isNotFound(err) {
		return Settings{}, err
	}
	sim, err := ecs.SimulationSettings(tx)
	if err != nil {
		return Settings{}, err
	}
	return Settings{RequestsPerMinute: st.RequestsPerMinute, BaseCPUPercent: st.BaseCPUPercent, TaskStartDelay: chaos.Duration(sim.StartDelay)}, nil
}

// Configure changes the settings, checking them.
func (s *Sim) Configure(ctx context.Context, u SettingsUpdate) (Settings, error) {
	if v := u.RequestsPerMinute; v != nil && (math.IsNaN(*v) || *v < 0 || *v > 60000) {
		return Settings{}, fmt.Errorf("requests_per_minute must be between 0 and 60000")
	}
	if v := u.BaseCPUPercent; v != nil && (math.IsNaN(*v) || *v < 0 || *v > 100) {
		return Settings{}, fmt.Errorf("base_cpu_percent must be between 0 and 100")
	}
	if v := u.TaskStartDelay; v != nil && (*v < 0 || v.D() > time.Hour) {
		return Settings{}, fmt.Errorf("task_start_delay must be between 0s and 1h")
	}
	var out Settings
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		cur, err := readSettings(tx)
		if err != nil {
			return err
		}
		if u.RequestsPerMinute != nil {
			cur.RequestsPerMinute = *u.RequestsPerMinute
		}
		if u.BaseCPUPercent != nil {
			cur.BaseCPUPercent = *u.BaseCPUPercent
		}
		if err := tx.Put(nsSettings, keySettings, storedSettings{RequestsPerMinute: cur.RequestsPerMinute, BaseCPUPercent: cur.BaseCPUPercent}); err != nil {
			return err
		}
		if u.TaskStartDelay != nil {
			sim, err := ecs.SimulationSettings(tx)
			if err != nil {
				return err
			}
			sim.StartDelay = u.TaskStartDelay.D()
			if err := ecs.SetSimulation(tx, sim); err != nil {
				return err
			}
			cur.TaskStartDelay = *u.TaskStartDelay
		}
		out = cur
		return nil
	})
	return out, err
}

func isNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }

// Status is what GET /_vigil/workload answers.
type Status struct {
	Now           time.Time           `json:"now"`
	Settings      Settings            `json:"settings"`
	LoadBalancers []LoadBalancerState `json:"load_balancers"`
	Services      []ServiceState      `json:"services"`
	Faults        int                 `json:"active_faults"`
}

// LoadBalancerState is a load balancer and where it is served.
type LoadBalancerState struct {
	Name      string             `json:"name"`
	ARN       string             `json:"arn"`
	DNSName   string             `json:"dns_name"`
	Dimension string             `json:"dimension"`
	Listeners []ListenerState    `json:"listeners"`
	Targets   []TargetGroupState `json:"target_groups"`
}

// ListenerState is a listener and its loopback URL ("" when not served,
// with Note saying why).
type ListenerState struct {
	ARN      string `json:"arn"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	URL      string `json:"url,omitempty"`
	Note     string `json:"note,omitempty"`
}

// TargetGroupState counts a target group's targets by health.
type TargetGroupState struct {
	ARN       string         `json:"arn"`
	Dimension string         `json:"dimension"`
	Targets   map[string]int `json:"targets"` // state → count
}

// ServiceState is an ECS service as simulated.
type ServiceState struct {
	Cluster      string  `json:"cluster"`
	Name         string  `json:"name"`
	Desired      int     `json:"desired"`
	Running      int     `json:"running"`
	Pending      int     `json:"pending"`
	Deployments  int     `json:"deployments"`
	RolloutState string  `json:"rollout_state"`
	CPUPercent   float64 `json:"cpu_percent"`
}

// Status reports the simulation (opening listeners for load balancers
// created since the last step).
func (s *Sim) Status(ctx context.Context) (Status, error) {
	if err := s.SyncListeners(ctx); err != nil {
		s.logger.Warn("workload: sync load balancer listeners", "err", err)
	}
	urls := s.URLs()
	now := s.clock.Now().UTC()
	out := Status{Now: now, LoadBalancers: []LoadBalancerState{}, Services: []ServiceState{}}
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		set, err := readSettings(tx)
		if err != nil {
			return err
		}
		out.Settings = set
		w, err := loadWorld(tx, now)
		if err != nil {
			return err
		}
		out.Faults = len(w.faults)
		for _, lb := range w.lbs {
			ls := LoadBalancerState{Name: lb.Name, ARN: lb.ARN, DNSName: lb.DNSName, Dimension: lb.Dimension, Listeners: []ListenerState{}, Targets: []TargetGroupState{}}
			for _, l := range lb.Listeners {
				st := ListenerState{ARN: l.ARN, Port: l.Port, Protocol: l.Protocol, URL: urls[l.ARN]}
				switch {
				case lb.Type != "application":
					st.Note = "only application load balancers are served"
				case l.Protocol != "HTTP":
					st.Note = "HTTPS listeners are not served on loopback"
				case st.URL == "":
					st.Note = "could not open a loopback port (see the sandbox log)"
				}
				ls.Listeners = append(ls.Listeners, st)
			}
			for _, arn := range w.tgOrder {
				tg := w.tgs[arn]
				for _, l := range tg.LoadBalancerARNs {
					if l == lb.ARN {
						counts := map[string]int{}
						for _, t := range tg.Targets {
							counts[t.State]++
						}
						ls.Targets = append(ls.Targets, TargetGroupState{ARN: arn, Dimension: elbv2.ARNSuffix(arn), Targets: counts})
					}
				}
			}
			out.LoadBalancers = append(out.LoadBalancers, ls)
		}
		for _, svc := range w.services {
			cpu := CPU(demand(w, svc, set.BaseCPUPercent), svc.Running)
			out.Services = append(out.Services, ServiceState{Cluster: svc.Cluster, Name: svc.Name, Desired: svc.Desired,
				Running: svc.Running, Pending: svc.Pending, Deployments: svc.Deployments, RolloutState: svc.RolloutState,
				CPUPercent: math.Round(cpu*100) / 100})
		}
		sort.Slice(out.Services, func(i, j int) bool {
			return out.Services[i].Cluster+"/"+out.Services[i].Name < out.Services[j].Cluster+"/"+out.Services[j].Name
		})
		return nil
	})
	return out, err
}

// ServeHTTP serves /_vigil/workload: GET reports the simulation (load
// balancers with their loopback URLs, services, settings); POST changes
// settings ({"requests_per_minute": 300, "base_cpu_percent": 30,
// "task_start_delay": "10s"}) and answers the settings.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	write := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	}
	switch r.Method {
	case http.MethodGet:
		st, err := s.Status(r.Context())
		if err != nil {
			write(http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		write(http.StatusOK, st)
	case http.MethodPost, http.MethodPut:
		var u SettingsUpdate
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&u); err != nil {
			write(http.StatusBadRequest, map[string]string{"error": fmt.Sprintf(`cannot read the settings: %v (send {"requests_per_minute": 120, "base_cpu_percent": 40, "task_start_delay": "30s"})`, err)})
			return
		}
		if u.RequestsPerMinute == nil && u.BaseCPUPercent == nil && u.TaskStartDelay == nil {
			write(http.StatusBadRequest, map[string]string{"error": "nothing to change: set requests_per_minute, base_cpu_percent or task_start_delay"})
			return
		}
		set, err := s.Configure(r.Context(), u)
		if err != nil {
			write(http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		write(http.StatusOK, set)
	default:
		w.Header().Set("Allow", "GET, POST")
		write(http.StatusMethodNotAllowed, map[string]string{"error": "use GET to read the workload simulation and POST to change its settings"})
	}
}
