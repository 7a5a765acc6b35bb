package workload

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Resolve implements chaos.Resolver: it checks that a fault's service,
// load balancer or zone exists, picks the tasks of an unhealthy fault (the
// named one, or Count RUNNING tasks of the service, oldest first) and the
// reference task count of a load profile (the service's running count,
// at least 1).
func (s *Sim) Resolve(ctx context.Context, f *chaos.Fault) error {
	return s.env.State.View(ctx, func(tx *state.Tx) error {
		var svc *ecs.ServiceInfo
		if f.Service != "" {
			services, err := ecs.Services(tx)
			if err != nil {
				return err
			}
			var matches []ecs.ServiceInfo
			for _, sv := range services {
				if (f.Service == sv.Name || f.Service == sv.ARN) && (f.Cluster == "" || clusterMatches(f.Cluster, sv.Cluster)) {
					matches = append(matches, sv)
				}
			}
			switch len(matches) {
			case 0:
				return fmt.Errorf("no ACTIVE ECS service %q%s in the sandbox", f.Service, inCluster(f.Cluster))
			case 1:
				svc = &matches[0]
				f.Service, f.Cluster = svc.Name, svc.Cluster
			default:
				return fmt.Errorf("ECS service %q is in several clusters: name the cluster", f.Service)
			}
		}
		switch f.Kind {
		case chaos.KindUnhealthy:
			tasks, err := ecs.Tasks(tx)
			if err != nil {
				return err
			}
			var running []ecs.TaskInfo
			for _, t := range tasks {
				if t.LastStatus == "RUNNING" && t.Service == svc.Name && t.Cluster == svc.Cluster {
					running = append(running, t)
				}
			}
			if f.Task != "" {
				id := f.Task[strings.LastIndexByte(f.Task, '/')+1:]
				for _, t := range running {
					if t.ID == id {
						f.Tasks = []string{id}
						return nil
					}
				}
				return fmt.Errorf("task %q is not a RUNNING task of service %s/%s", f.Task, svc.Cluster, svc.Name)
			}
			n := max(f.Count, 1)
			if n > len(running) {
				return fmt.Errorf("service %s/%s has %d RUNNING tasks; cannot make %d unhealthy", svc.Cluster, svc.Name, len(running), n)
			}
			f.Count = n
			for _, t := range running[:n] {
				f.Tasks = append(f.Tasks, t.ID)
			}
		case chaos.KindLoad:
			if f.ReferenceTasks == 0 {
				f.ReferenceTasks = max(svc.Running, 1)
			}
		case chaos.Kind5xxBurst, chaos.KindLatency:
			if f.LoadBalancer == "" {
				return nil
			}
			lbs, err := elbv2.LoadBalancers(tx)
			if err != nil {
				return err
			}
			for _, lb := range lbs {
				if lb.Name == f.LoadBalancer || lb.ARN == f.LoadBalancer {
					f.LoadBalancer = lb.Name
					return nil
				}
			}
			return fmt.Errorf("no load balancer %q in the sandbox", f.LoadBalancer)
		case chaos.KindAZOutage:
			tasks, err := ecs.Tasks(tx)
			if err != nil {
				return err
			}
			lbs, err := elbv2.LoadBalancers(tx)
			if err != nil {
				return err
			}
			for _, t := range tasks {
				if t.AZ == f.AZ {
					return nil
				}
			}
			for _, lb := range lbs {
				for _, az := range lb.AZs {
					if az == f.AZ {
						return nil
					}
				}
			}
			if !strings.HasPrefix(f.AZ, s.env.Region) {
				return fmt.Errorf("availability zone %q is not in the sandbox's region %s", f.AZ, s.env.Region)
			}
		}
		return nil
	})
}

func inCluster(c string) string {
	if c == "" {
		return ""
	}
	return " in cluster " + c
}
