package ecs

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// The timed half of ECS: tasks starting after a delay, dying, failing
// their health checks, and the scheduler reacting. Step runs it; the
// workload simulation (internal/sandbox/workload) calls Step on the
// sandbox's virtual clock and tells it, through StepHooks, about the
// faults it injects.

const (
	nsSim      = "ecs/sim"
	keySim     = "settings"
	stopFailed = "TaskFailedToStart"
)

// DefaultStartDelay is how long a new task takes from PROVISIONING to
// RUNNING unless SetSimulation says otherwise (Fargate takes 30 s to a
// minute).
const DefaultStartDelay = 30 * time.Second

// Simulation is the scheduler's simulation settings, kept in the state.
type Simulation struct {
	// StartDelay is how long a task takes from PROVISIONING to RUNNING
	// (PENDING after a third of it). Zero starts tasks at once.
	StartDelay time.Duration `json:"start_delay"`
	// ImpairedAZs are Availability Zones where no task is placed (an
	// outage): the scheduler uses the service's other subnets.
	ImpairedAZs []string `json:"impaired_azs,omitempty"`
	// set marks a stored document (a zero StartDelay is a choice).
	Set bool `json:"set"`
}

var errUnplaceable = errInvalidParameter("No subnet of the task is in a healthy Availability Zone (an Availability Zone outage is being simulated).")

func loadSimulation(tx *state.Tx) (Simulation, error) {
	var sim Simulation
	err := tx.Get(nsSim, keySim, &sim)
	if isNotFound(err) || (err == nil && !sim.Set) {
		return Simulation{StartDelay: DefaultStartDelay, ImpairedAZs: sim.ImpairedAZs}, nil
	}
	return sim, err
}

// SimulationSettings reads the scheduler's simulation settings.
func SimulationSettings(tx *state.Tx) (Simulation, error) { return loadSimulation(tx) }

// SetSimulation stores the scheduler's simulation settings.
func SetSimulation(tx *state.Tx, sim Simulation) error {
	if sim.StartDelay < 0 {
		return errors.New("ecs: the task start delay cannot be negative")
	}
	sim.Set = true
	sort.Strings(sim.ImpairedAZs)
	return tx.Put(nsSim, keySim, sim)
}

// usableSubnets are the subnets (in order) outside impaired zones.
func usableSubnets(tx *state.Tx, region string, ids, impaired []string) ([]elbv2.Subnet, error) {
	var out []elbv2.Subnet
	for _, id := range ids {
		sn, ok, err := elbv2.LookupSubnet(tx, region, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidParameter("Error retrieving subnet information for [%s]: The subnet ID '%s' does not exist", id, id)
		}
		if contains(impaired, sn.AZ) {
			continue
		}
		out = append(out, sn)
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// spreadSubnet picks the subnet for a service's next task: in the usable
// Availability Zone with the fewest of the service's live tasks (ECS
// spreads a service's tasks over zones), "" when none is usable.
func spreadSubnet(tx *state.Tx, region string, ids []string, live []*taskDoc) (string, error) {
	sim, err := loadSimulation(tx)
	if err != nil {
		return "", err
	}
	usable, err := usableSubnets(tx, region, ids, sim.ImpairedAZs)
	if err != nil || len(usable) == 0 {
		return "", err
	}
	perAZ := map[string]int{}
	perSubnet := map[string]int{}
	for _, t := range live {
		perAZ[t.AZ]++
		perSubnet[t.SubnetID]++
	}
	best := usable[0]
	for _, sn := range usable[1:] {
		if perAZ[sn.AZ] < perAZ[best.AZ] || (perAZ[sn.AZ] == perAZ[best.AZ] && perSubnet[sn.ID] < perSubnet[best.ID]) {
			best = sn
		}
	}
	return best.ID, nil
}

// TaskInfo is a task as the workload simulation sees it.
type TaskInfo struct {
	ARN, ID, Region, Cluster string
	// Service is the service's name ("" for a task started by RunTask).
	Service string
	// Deployment is the ID of the service deployment that started it.
	Deployment     string
	TaskDefinition string
	LastStatus     string // PROVISIONING, PENDING, RUNNING, STOPPED
	HealthStatus   string // HEALTHY, UNHEALTHY, UNKNOWN (container health checks)
	AZ, SubnetID   string
	PrivateIP      string
	Started        time.Time // zero until RUNNING
	// HealthCheck says a container of the task has a health check.
	HealthCheck bool
	// TargetGroups are the ARNs of the target groups it is registered in.
	TargetGroups []string
	// Port is its port in those target groups (the container port).
	Port int
	Cpu  string // task CPU units, e.g. "256"
}

func (t *taskDoc) info() TaskInfo {
	i := TaskInfo{ARN: t.ARN, ID: t.ID, Region: regionOf(t.ARN), Cluster: t.ClusterName, Service: t.ServiceName,
		Deployment: t.StartedBy, TaskDefinition: t.TaskDefinitionARN, LastStatus: t.LastStatus, HealthStatus: t.healthStatus(),
		AZ: t.AZ, SubnetID: t.SubnetID, PrivateIP: t.PrivateIP, Started: t.Started, HealthCheck: t.HealthCheck, Cpu: t.Cpu}
	if t.LastStatus == "RUNNING" {
		for _, tt := range t.Targets {
			i.TargetGroups = append(i.TargetGroups, tt.TargetGroupARN)
			i.Port = tt.Port
		}
	}
	return i
}

// Tasks lists the tasks that are not STOPPED, in every region, oldest
// first.
func Tasks(tx *state.Tx) ([]TaskInfo, error) {
	all, err := listDocs[taskDoc](tx, nsTask, "")
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Created.Before(all[j].Created) })
	var out []TaskInfo
	for i := range all {
		if all[i].LastStatus != "STOPPED" {
			out = append(out, all[i].info())
		}
	}
	return out, nil
}

// ServiceInfo is a service as the workload simulation sees it.
type ServiceInfo struct {
	Region, Cluster, Name, ARN string
	Status                     string // ACTIVE, DRAINING, INACTIVE
	Desired, Running, Pending  int
	// Deployments is the number of deployments (1 in the steady state).
	Deployments  int
	RolloutState string // of the PRIMARY deployment
	TargetGroups []string
}

// Services lists the ACTIVE services of every region.
func Services(tx *state.Tx) ([]ServiceInfo, error) {
	all, err := listDocs[serviceDoc](tx, nsService, "")
	if err != nil {
		return nil, err
	}
	var out []ServiceInfo
	for _, sv := range all {
		if sv.Status != "ACTIVE" {
			continue
		}
		i := ServiceInfo{Region: regionOf(sv.ARN), Cluster: sv.ClusterName, Name: sv.Name, ARN: sv.ARN, Status: sv.Status,
			Desired: sv.DesiredCount, Running: sv.RunningCount, Pending: sv.PendingCount, Deployments: len(sv.Deployments)}
		if len(sv.Deployments) > 0 {
			i.RolloutState = sv.Deployments[0].RolloutState
		}
		for _, lb := range sv.LoadBalancers {
			i.TargetGroups = append(i.TargetGroups, lb.TargetGroupArn)
		}
		out = append(out, i)
	}
	return out, nil
}

// StepHooks tell Step about the faults the workload simulation injects.
// Nil hooks mean no fault.
type StepHooks struct {
	// FailStart reports whether a task whose start delay has ended fails
	// to start instead of running, and why (the stoppedReason).
	FailStart func(t TaskInfo) (reason string, fail bool)
	// Kill reports whether a RUNNING task dies now, and why (an
	// Availability Zone outage).
	Kill func(t TaskInfo) (reason string, kill bool)
	// ContainerHealthy is the result of the container health check of a
	// RUNNING task with one (HealthCheck true).
	ContainerHealthy func(t TaskInfo) bool
}

// Step moves every task and service along to now: PROVISIONING →
// PENDING → RUNNING (or STOPPED with stopCode TaskFailedToStart); RUNNING
// tasks that die, fail their container health checks, or are unhealthy in
// a target group once the service's health check grace period is over
// are stopped (the last two count as failures of their deployment, as do
// failed starts); then the scheduler runs for every service, replacing
// stopped tasks and applying the circuit breaker. Call it inside one
// transaction.
func Step(tx *state.Tx, env service.Env, now time.Time, h StepHooks) error {
	// Everything the step does happens at now, also when it runs late
	// (the workload simulation catching up with the clock).
	env.Now = func() time.Time { return now }
	all, err := listDocs[taskDoc](tx, nsTask, "")
	if err != nil {
		return err
	}
	services, err := listDocs[serviceDoc](tx, nsService, "")
	if err != nil {
		return err
	}
	svcByKey := map[string]*serviceDoc{}
	for i := range services {
		svcByKey[services[i].key()] = &services[i]
	}
	failed := map[string]map[string]int{} // service key → deployment → failures
	fail := func(t *taskDoc) {
		k := serviceKey(regionOf(t.ARN), t.ClusterName, t.ServiceName)
		if failed[k] == nil {
			failed[k] = map[string]int{}
		}
		failed[k][t.StartedBy]++
	}
	for i := range all {
		t := &all[i]
		if t.LastStatus == "STOPPED" {
			continue
		}
		if t.LastStatus == "PROVISIONING" && !now.Before(t.PendingAt) {
			t.LastStatus = "PENDING"
			t.Version++
			if err := tx.Put(nsTask, t.key(), t); err != nil {
				return err
			}
		}
		if t.LastStatus == "PENDING" && !now.Before(t.RunningAt) {
			if h.FailStart != nil {
				if reason, bad := h.FailStart(t.info()); bad {
					if err := stopTaskDoc(tx, env, t, reason, stopFailed); err != nil {
						return err
					}
					fail(t)
					continue
				}
			}
			if err := runTaskDoc(tx, env, t, now); err != nil {
				return err
			}
		}
		if t.LastStatus != "RUNNING" {
			continue
		}
		if h.Kill != nil {
			if reason, dead := h.Kill(t.info()); dead {
				if err := stopTaskDoc(tx, env, t, reason, "EssentialContainerExited"); err != nil {
					return err
				}
				continue
			}
		}
		if t.HealthCheck {
			health := "HEALTHY"
			if h.ContainerHealthy != nil && !h.ContainerHealthy(t.info()) {
				health = "UNHEALTHY"
			}
			if health != t.Health {
				t.Health = health
				t.Version++
				if err := tx.Put(nsTask, t.key(), t); err != nil {
					return err
				}
			}
			if health == "UNHEALTHY" {
				if err := stopTaskDoc(tx, env, t, "Task failed container health checks", "ServiceSchedulerInitiated"); err != nil {
					return err
				}
				fail(t)
				continue
			}
		}
		if t.ServiceName == "" || len(t.Targets) == 0 {
			continue
		}
		sv := svcByKey[serviceKey(regionOf(t.ARN), t.ClusterName, t.ServiceName)]
		grace := 0
		if sv != nil && sv.HealthCheckGracePeriodSeconds != nil {
			grace = *sv.HealthCheckGracePeriodSeconds
		}
		if now.Before(t.Started.Add(time.Duration(grace) * time.Second)) {
			continue
		}
		for _, tt := range t.Targets {
			st, err := elbv2.TargetState(tx, tt.TargetGroupARN, t.PrivateIP, tt.Port)
			if err != nil {
				return err
			}
			if st == "unhealthy" {
				if err := stopTaskDoc(tx, env, t, "Task failed ELB health checks in (target-group "+tt.TargetGroupARN+")", "ServiceSchedulerInitiated"); err != nil {
					return err
				}
				fail(t)
				break
			}
		}
	}
	keys := make([]string, 0, len(svcByKey))
	for k := range svcByKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sv := svcByKey[k]
		if sv.Status == "INACTIVE" {
			continue
		}
		for id, n := range failed[k] {
			for i := range sv.Deployments {
				if sv.Deployments[i].ID == id {
					sv.Deployments[i].FailedTasks += n
				}
			}
		}
		if err := reconcile(tx, env, regionOf(sv.ARN), sv); err != nil {
			return err
		}
	}
	return nil
}

// SetDesiredCount sets the desired count of an ACTIVE service, as
// UpdateService with only desiredCount does, and schedules its tasks.
// Application Auto Scaling (in-process) and tests use it; cause is logged.
// Errors are ECS's: ServiceNotFoundException, ServiceNotActiveException,
// InvalidParameterException.
func (s *Service) SetDesiredCount(ctx context.Context, region, cluster, serviceName string, n int, cause string) error {
	if region == "" {
		region = s.env.Region
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, cluster)
		if err != nil {
			return err
		}
		return SetServiceDesiredCount(tx, s.env, region, c.Name, lastSegment(serviceName), n)
	})
	if err == nil && s.env.Logger != nil {
		s.env.Logger.Info("ecs: desired count set", "cluster", cluster, "service", serviceName, "desired", n, "cause", cause)
	}
	return err
}
