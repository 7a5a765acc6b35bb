package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Services are scheduled synchronously: every change (create, update,
// scaling, a stopped task) is followed, in the same transaction, by
// reconcile, which stops the tasks of replaced deployments and starts or
// stops tasks until the PRIMARY deployment runs the desired count. A
// service is therefore in its steady state — one deployment, COMPLETED,
// runningCount == desiredCount — whenever it is read, which is what the
// Terraform provider's waiters (ACTIVE, wait_for_steady_state) expect.
// Timed behaviour (task start-up, health check grace, circuit breaker
// rollbacks) belongs to the simulation, not to this package.

type awsvpcConfig struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	AssignPublicIP string   `json:"assignPublicIp,omitempty"`
}

type networkConfig struct {
	AwsvpcConfiguration *awsvpcConfig `json:"awsvpcConfiguration,omitempty"`
}

type loadBalancer struct {
	TargetGroupArn   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    *int   `json:"containerPort,omitempty"`
}

type circuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type deploymentAlarms struct {
	AlarmNames []string `json:"alarmNames"`
	Enable     bool     `json:"enable"`
	Rollback   bool     `json:"rollback"`
}

type deploymentConfig struct {
	DeploymentCircuitBreaker *circuitBreaker   `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int              `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int              `json:"minimumHealthyPercent,omitempty"`
	Alarms                   *deploymentAlarms `json:"alarms,omitempty"`
	Strategy                 string            `json:"strategy,omitempty"`
	BakeTimeInMinutes        *int              `json:"bakeTimeInMinutes,omitempty"`
}

type deploymentDoc struct {
	ID                       string         `json:"id"`
	Status                   string         `json:"status"`
	TaskDefinition           string         `json:"taskDefinition"`
	DesiredCount             int            `json:"desiredCount"`
	PendingCount             int            `json:"pendingCount"`
	RunningCount             int            `json:"runningCount"`
	FailedTasks              int            `json:"failedTasks"`
	CreatedAt                time.Time      `json:"createdAt"`
	UpdatedAt                time.Time      `json:"updatedAt"`
	LaunchType               string         `json:"launchType,omitempty"`
	CapacityProviderStrategy []strategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion          string         `json:"platformVersion,omitempty"`
	NetworkConfiguration     *networkConfig `json:"networkConfiguration,omitempty"`
	RolloutState             string         `json:"rolloutState"`
	RolloutStateReason       string         `json:"rolloutStateReason"`
}

type eventDoc struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Message   string    `json:"message"`
}

type serviceDoc struct {
	ARN                           string           `json:"arn"`
	Name                          string           `json:"name"`
	ClusterARN                    string           `json:"cluster_arn"`
	ClusterName                   string           `json:"cluster_name"`
	Status                        string           `json:"status"` // ACTIVE, DRAINING, INACTIVE
	TaskDefinition                string           `json:"task_definition"`
	DesiredCount                  int              `json:"desired_count"`
	LaunchType                    string           `json:"launch_type,omitempty"`
	CapacityProviderStrategy      []strategyItem   `json:"capacity_provider_strategy,omitempty"`
	PlatformVersion               string           `json:"platform_version,omitempty"`
	DeploymentConfiguration       deploymentConfig `json:"deployment_configuration"`
	DeploymentController          string           `json:"deployment_controller"`
	LoadBalancers                 []loadBalancer   `json:"load_balancers,omitempty"`
	ServiceRegistries             json.RawMessage  `json:"service_registries,omitempty"`
	NetworkConfiguration          *networkConfig   `json:"network_configuration,omitempty"`
	HealthCheckGracePeriodSeconds *int             `json:"health_check_grace_period_seconds,omitempty"`
	SchedulingStrategy            string           `json:"scheduling_strategy"`
	PlacementConstraints          json.RawMessage  `json:"placement_constraints,omitempty"`
	PlacementStrategy             json.RawMessage  `json:"placement_strategy,omitempty"`
	EnableECSManagedTags          bool             `json:"enable_ecs_managed_tags"`
	EnableExecuteCommand          bool             `json:"enable_execute_command"`
	PropagateTags                 string           `json:"propagate_tags"`
	AvailabilityZoneRebalancing   string           `json:"az_rebalancing,omitempty"`
	RoleARN                       string           `json:"role_arn,omitempty"`
	ClientToken                   string           `json:"client_token,omitempty"`
	ServiceConnectConfiguration   json.RawMessage  `json:"service_connect,omitempty"`
	VolumeConfigurations          json.RawMessage  `json:"volume_configurations,omitempty"`
	VpcLatticeConfigurations      json.RawMessage  `json:"vpc_lattice,omitempty"`
	Deployments                   []deploymentDoc  `json:"deployments"`
	Events                        []eventDoc       `json:"events,omitempty"`
	Created                       time.Time        `json:"created"`
	CreatedBy                     string           `json:"created_by"`
	Tags                          []Tag            `json:"tags,omitempty"`
	RunningCount                  int              `json:"running_count"`
	PendingCount                  int              `json:"pending_count"`
	Unplaceable                   string           `json:"unplaceable,omitempty"`
	// Steady is whether the service was in its steady state after the
	// last scheduling (for the "has reached a steady state" event).
	Steady bool `json:"steady,omitempty"`
	// LastCompletedTaskDef is the task definition of the last deployment
	// that completed: the circuit breaker rolls back to it.
	LastCompletedTaskDef string `json:"last_completed_td,omitempty"`
}

func serviceKey(region, cluster, name string) string { return region + "/" + cluster + "/" + name }

func (sv *serviceDoc) key() string {
	return serviceKey(regionOf(sv.ARN), sv.ClusterName, sv.Name)
}

// serviceName resolves a service given by name or ARN (short or long form).
func serviceName(ref string) string { return lastSegment(ref) }

// launchPlacement decides how tasks are placed: the launch type, or the
// capacity provider from a strategy (the request's or the cluster's default).
func launchPlacement(c *clusterDoc, launchType string, strategy []strategyItem) (string, string, error) {
	if launchType != "" && len(strategy) > 0 {
		return "", "", errInvalidParameter("Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again.")
	}
	switch launchType {
	case "EC2", "FARGATE", "EXTERNAL":
		return launchType, "", nil
	case "":
	default:
		return "", "", errInvalidParameter("Invalid launchType '%s'.", launchType)
	}
	if len(strategy) == 0 {
		strategy = c.DefaultStrategy
	}
	if len(strategy) == 0 {
		return "EC2", "", nil
	}
	have := map[string]bool{}
	for _, p := range c.CapacityProviders {
		have[p] = true
	}
	best := strategy[0]
	for _, it := range strategy {
		if !have[it.CapacityProvider] {
			return "", "", errInvalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
		}
		if it.Base > best.Base || (it.Base == best.Base && it.Weight > best.Weight) {
			best = it
		}
	}
	return "", best.CapacityProvider, nil
}

func checkLaunchType(td *taskDefDoc, launch, cp string) error {
	if launch == "FARGATE" || cp != "" {
		compat := td.out().Compatibilities
		ok := false
		for _, c := range compat {
			if c == "FARGATE" {
				ok = true
			}
		}
		if !ok {
			return errInvalidParameter("Task definition does not support launch_type FARGATE.")
		}
	}
	return nil
}

// checkNetwork validates an awsvpc network configuration against the
// sandbox's EC2 and the task definition's network mode.
func checkNetwork(tx *state.Tx, region string, td *taskDefDoc, nc *networkConfig) (*awsvpcConfig, error) {
	if td.NetworkMode != "awsvpc" {
		if nc != nil && nc.AwsvpcConfiguration != nil {
			return nil, errInvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")
		}
		return nil, nil
	}
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return nil, errInvalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	cfg := *nc.AwsvpcConfiguration
	if len(cfg.Subnets) == 0 || len(cfg.Subnets) > 16 {
		return nil, errInvalidParameter("subnets can not be empty and can have at most 16 entries.")
	}
	if len(cfg.SecurityGroups) > 5 {
		return nil, errInvalidParameter("securityGroups can have at most 5 entries.")
	}
	switch cfg.AssignPublicIP {
	case "":
		cfg.AssignPublicIP = "DISABLED"
	case "ENABLED", "DISABLED":
	default:
		return nil, errInvalidParameter("assignPublicIp must be ENABLED or DISABLED.")
	}
	vpc := ""
	for _, id := range cfg.Subnets {
		sn, ok, err := elbv2.LookupSubnet(tx, region, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidParameter("Error retrieving subnet information for [%s]: The subnet ID '%s' does not exist", id, id)
		}
		if vpc != "" && sn.VpcID != vpc {
			return nil, errInvalidParameter("Subnets must all be in the same VPC.")
		}
		vpc = sn.VpcID
	}
	for _, id := range cfg.SecurityGroups {
		sg, ok, err := elbv2.LookupSecurityGroup(tx, region, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidParameter("Error retrieving security group information for [%s]: The security group '%s' does not exist", id, id)
		}
		if sg.VpcID != vpc {
			return nil, errInvalidParameter("Security group %s is not in the VPC of the subnets (%s).", id, vpc)
		}
	}
	return &cfg, nil
}

// checkLoadBalancers validates the service's load balancers against ELBv2
// and the task definition.
func checkLoadBalancers(tx *state.Tx, region string, td *taskDefDoc, lbs []loadBalancer, net *awsvpcConfig) error {
	if len(lbs) > 5 {
		return errInvalidParameter("A service can have at most 5 load balancers.")
	}
	for _, lb := range lbs {
		if lb.LoadBalancerName != "" {
			return errInvalidParameter("Classic Load Balancers are not supported by the sandbox; use a target group.")
		}
		if lb.TargetGroupArn == "" {
			return errInvalidParameter("targetGroupArn must be specified for a load balancer.")
		}
		tg, ok, err := elbv2.DescribeTargetGroup(tx, lb.TargetGroupArn)
		if err != nil {
			return err
		}
		if !ok {
			return errInvalidParameter("Unable to find the target group %s.", lb.TargetGroupArn)
		}
		if len(tg.LoadBalancerARNs) == 0 {
			return errInvalidParameter("The target group with targetGroupArn %s does not have an associated load balancer.", lb.TargetGroupArn)
		}
		if td.NetworkMode == "awsvpc" && tg.TargetType != "ip" {
			return errInvalidParameter("The provided target group %s has target type %s, which is incompatible with the awsvpc network mode specified in the task definition.", lb.TargetGroupArn, tg.TargetType)
		}
		if net != nil && len(net.Subnets) > 0 {
			sn, ok, err := elbv2.LookupSubnet(tx, region, net.Subnets[0])
			if err != nil {
				return err
			}
			if ok && tg.VpcID != "" && tg.VpcID != sn.VpcID {
				return errInvalidParameter("The target group %s is in VPC %s, not in the VPC of the service's subnets (%s).", lb.TargetGroupArn, tg.VpcID, sn.VpcID)
			}
		}
		if lb.ContainerName == "" || lb.ContainerPort == nil {
			return errInvalidParameter("containerName and containerPort must be specified for a load balancer.")
		}
		found, port := false, false
		for _, c := range td.containers() {
			if c.Name != lb.ContainerName {
				continue
			}
			found = true
			for _, pm := range c.PortMappings {
				if pm.ContainerPort != nil && *pm.ContainerPort == *lb.ContainerPort {
					port = true
				}
			}
		}
		if !found {
			return errInvalidParameter("The container %s does not exist in the task definition.", lb.ContainerName)
		}
		if !port {
			return errInvalidParameter("The container %s did not have a container port %d defined.", lb.ContainerName, *lb.ContainerPort)
		}
	}
	return nil
}

func (sv *serviceDoc) addEvent(now time.Time, format string, args ...any) {
	ev := eventDoc{ID: newUUID(), CreatedAt: now, Message: fmt.Sprintf("(service %s) ", sv.Name) + fmt.Sprintf(format, args...)}
	sv.Events = append([]eventDoc{ev}, sv.Events...)
	if len(sv.Events) > 100 {
		sv.Events = sv.Events[:100]
	}
}

func newDeploymentID() string { return "ecs-svc/" + randDigits(19) }

// newDeployment makes the service's configuration its new PRIMARY
// deployment.
func (sv *serviceDoc) newDeployment(now time.Time) {
	d := deploymentDoc{ID: newDeploymentID(), Status: "PRIMARY", TaskDefinition: sv.TaskDefinition, DesiredCount: sv.DesiredCount,
		CreatedAt: now, UpdatedAt: now, LaunchType: sv.LaunchType, CapacityProviderStrategy: sv.CapacityProviderStrategy,
		NetworkConfiguration: sv.NetworkConfiguration, RolloutState: "IN_PROGRESS",
		RolloutStateReason: "ECS deployment " + "%s" + " in progress."}
	d.RolloutStateReason = fmt.Sprintf(d.RolloutStateReason, d.ID)
	if sv.LaunchType == "FARGATE" || len(sv.CapacityProviderStrategy) > 0 {
		d.PlatformVersion = "1.4.0"
	}
	for i := range sv.Deployments {
		sv.Deployments[i].Status = "ACTIVE"
	}
	sv.Deployments = append([]deploymentDoc{d}, sv.Deployments...)
}

// reconcile is the service scheduler: it brings the service's tasks to
// its PRIMARY deployment and desired count, the way a rolling update does
// (see the package documentation), and applies the deployment circuit
// breaker. It runs after every change of the service and at every Step.
func reconcile(tx *state.Tx, env service.Env, region string, sv *serviceDoc) error {
	now := env.Now().UTC()
	c, err := getDoc[clusterDoc](tx, nsCluster, clusterKey(region, sv.ClusterName))
	if err != nil {
		return err
	}
	if err := purgeStopped(tx, env, region, sv.ClusterName); err != nil {
		return err
	}
	tasks, err := listDocs[taskDoc](tx, nsTask, region+"/"+sv.ClusterName+"/")
	if err != nil {
		return err
	}
	desired := sv.DesiredCount
	if sv.Status != "ACTIVE" {
		desired = 0
	}
	if len(sv.Deployments) > 0 && sv.Status == "ACTIVE" {
		checkCircuitBreaker(sv, now)
	}
	var primary *deploymentDoc
	if len(sv.Deployments) > 0 {
		primary = &sv.Deployments[0]
	}
	known := map[string]bool{}
	for _, d := range sv.Deployments {
		known[d.ID] = true
	}
	var live, old []*taskDoc // tasks of the primary deployment; of the others
	stopped := 0
	for i := range tasks {
		t := &tasks[i]
		if t.ServiceName != sv.Name || t.LastStatus == "STOPPED" {
			continue
		}
		if primary == nil || sv.Status != "ACTIVE" || !known[t.StartedBy] {
			reason := "Service deletion"
			if sv.Status == "ACTIVE" && primary != nil {
				reason = "ECS Deployment " + primary.ID + ": replaced by a task of the new deployment"
			}
			if err := stopTaskDoc(tx, env, t, reason, "ServiceSchedulerInitiated"); err != nil {
				return err
			}
			stopped++
			continue
		}
		if t.StartedBy == primary.ID {
			live = append(live, t)
		} else {
			old = append(old, t)
		}
	}
	byAge := func(ts []*taskDoc) {
		// Not yet running first, then newest first: the order to stop in.
		sort.SliceStable(ts, func(i, j int) bool {
			ri, rj := ts[i].LastStatus == "RUNNING", ts[j].LastStatus == "RUNNING"
			if ri != rj {
				return !ri
			}
			return ts[i].Created.After(ts[j].Created)
		})
	}
	var started []string
	if primary != nil && sv.Status == "ACTIVE" {
		// Extra tasks of the primary deployment go first.
		byAge(live)
		for len(live) > desired {
			t := live[0]
			if err := stopTaskDoc(tx, env, t, "Scaling activity initiated by (deployment "+primary.ID+")", "ServiceSchedulerInitiated"); err != nil {
				return err
			}
			live = live[1:]
			stopped++
		}
		// Old deployments' tasks are stopped as far as the minimum healthy
		// percent allows, counting the primary's running tasks (before
		// and after starting new ones).
		minHealthy, maxTotal := deploymentBounds(sv, desired)
		stopOld := func() error {
			running := countRunning(live) + countRunning(old)
			byAge(old)
			for len(old) > 0 {
				t := old[0]
				if t.LastStatus == "RUNNING" {
					if running-1 < minHealthy {
						break
					}
					running--
				}
				if err := stopTaskDoc(tx, env, t, "ECS Deployment "+primary.ID+": replaced by a task of the new deployment", "ServiceSchedulerInitiated"); err != nil {
					return err
				}
				old = old[1:]
				stopped++
			}
			return nil
		}
		if err := stopOld(); err != nil {
			return err
		}
		want := min(desired-len(live), maxTotal-len(live)-len(old))
		if primary.RolloutState == "FAILED" {
			want = 0 // the circuit breaker stopped this deployment
		}
		if want > 0 {
			td, err := resolveTaskDef(tx, region, primary.TaskDefinition)
			if err != nil {
				return err
			}
			launch := sv.LaunchType
			cp := ""
			if launch == "" {
				_, cp, _ = launchPlacement(c, "", sv.CapacityProviderStrategy)
			}
			if launch != "FARGATE" && cp == "" {
				if sv.Unplaceable == "" {
					sv.addEvent(now, "was unable to place a task because no container instance met all of its requirements. The sandbox runs tasks on FARGATE only.")
				}
				sv.Unplaceable = "no container instances"
			} else {
				var targets []taskTarget
				for _, lb := range sv.LoadBalancers {
					if lb.TargetGroupArn != "" && lb.ContainerPort != nil {
						targets = append(targets, taskTarget{TargetGroupARN: lb.TargetGroupArn, Port: *lb.ContainerPort})
					}
				}
				tags := serviceTaskTags(tx, region, sv, td)
				var net *awsvpcConfig
				if sv.NetworkConfiguration != nil {
					net = sv.NetworkConfiguration.AwsvpcConfiguration
				}
				unplaced := false
				for range want {
					p := placement{LaunchType: launch, CapacityProvider: cp,
						Network: net, Group: "service:" + sv.Name, StartedBy: primary.ID, ServiceName: sv.Name,
						Targets: targets, Tags: tags, ExecuteCommand: sv.EnableExecuteCommand}
					if net != nil {
						sn, err := spreadSubnet(tx, region, net.Subnets, append(append([]*taskDoc{}, live...), old...))
						if err != nil {
							return err
						}
						if sn == "" {
							unplaced = true
							break
						}
						p.Subnet = sn
					}
					t, err := startTask(tx, env, region, c, td, p, len(live))
					if err != nil {
						return err
					}
					live = append(live, t)
					started = append(started, "(task "+t.ID+")")
				}
				if unplaced {
					if sv.Unplaceable != "impaired" {
						sv.addEvent(now, "was unable to place a task because no subnet of the service is in a healthy Availability Zone.")
					}
					sv.Unplaceable = "impaired"
				} else {
					sv.Unplaceable = ""
				}
			}
		}
		if err := stopOld(); err != nil {
			return err
		}
	}
	// Deployments without tasks left are over.
	if primary != nil {
		counts := map[string][2]int{}
		for _, t := range append(append([]*taskDoc{}, live...), old...) {
			n := counts[t.StartedBy]
			if t.LastStatus == "RUNNING" {
				n[0]++
			} else {
				n[1]++
			}
			counts[t.StartedBy] = n
		}
		kept := sv.Deployments[:1]
		for _, d := range sv.Deployments[1:] {
			if n := counts[d.ID]; n[0]+n[1] > 0 {
				kept = append(kept, d)
			}
		}
		sv.Deployments = kept
		for i := range sv.Deployments {
			d := &sv.Deployments[i]
			n := counts[d.ID]
			if d.RunningCount != n[0] || d.PendingCount != n[1] {
				d.UpdatedAt = now
			}
			d.RunningCount, d.PendingCount = n[0], n[1]
			if i > 0 {
				d.Status, d.DesiredCount = "ACTIVE", 0
			}
		}
		primary = &sv.Deployments[0]
		primary.DesiredCount = desired
		if primary.RolloutState == "IN_PROGRESS" && len(sv.Deployments) == 1 && primary.RunningCount == desired && primary.PendingCount == 0 {
			primary.RolloutState = "COMPLETED"
			primary.RolloutStateReason = "ECS deployment " + primary.ID + " completed."
			primary.UpdatedAt = now
			sv.LastCompletedTaskDef = primary.TaskDefinition
			sv.addEvent(now, "(deployment %s) deployment completed.", primary.ID)
		}
	}
	sv.RunningCount, sv.PendingCount = countRunning(live)+countRunning(old), len(live)+len(old)-countRunning(live)-countRunning(old)
	if len(started) > 0 {
		for i := 0; i < len(started); i += 10 {
			j := min(i+10, len(started))
			sv.addEvent(now, "has started %d tasks: %s.", j-i, strings.Join(started[i:j], " "))
		}
	}
	steady := sv.Status == "ACTIVE" && len(sv.Deployments) == 1 && sv.RunningCount == desired && sv.PendingCount == 0
	if steady && !sv.Steady {
		sv.addEvent(now, "has reached a steady state.")
	}
	sv.Steady = steady
	return tx.Put(nsService, sv.key(), sv)
}

func countRunning(ts []*taskDoc) int {
	n := 0
	for _, t := range ts {
		if t.LastStatus == "RUNNING" {
			n++
		}
	}
	return n
}

// deploymentBounds are the fewest RUNNING tasks a deployment keeps and the
// most tasks it may have, from the minimum healthy and maximum percents.
func deploymentBounds(sv *serviceDoc, desired int) (minHealthy, maxTotal int) {
	minPct, maxPct := 100, 200
	if p := sv.DeploymentConfiguration.MinimumHealthyPercent; p != nil {
		minPct = *p
	}
	if p := sv.DeploymentConfiguration.MaximumPercent; p != nil {
		maxPct = *p
	}
	minHealthy = (desired*minPct + 99) / 100 // rounded up, as ECS does
	maxTotal = desired * maxPct / 100        // rounded down
	if maxTotal < desired {
		maxTotal = desired
	}
	if minHealthy >= maxTotal && desired > 0 {
		// Neither bound can be met while replacing: ECS lets the
		// minimum give way (one task at a time).
		minHealthy = maxTotal - 1
	}
	return minHealthy, maxTotal
}

// circuitBreakerThreshold is how many tasks of a deployment may fail before
// the circuit breaker trips: half the desired count, at least 3 and at
// most 200 (AWS's documented formula).
func circuitBreakerThreshold(desired int) int {
	return max(3, min(200, (desired+1)/2))
}

// checkCircuitBreaker trips the circuit breaker of the primary deployment
// when its failed tasks reach the threshold: the deployment is FAILED, and
// with rollback a new PRIMARY deployment of the last completed task
// definition replaces it.
func checkCircuitBreaker(sv *serviceDoc, now time.Time) {
	cb := sv.DeploymentConfiguration.DeploymentCircuitBreaker
	d := &sv.Deployments[0]
	if cb == nil || !cb.Enable || d.RolloutState != "IN_PROGRESS" || d.FailedTasks < circuitBreakerThreshold(sv.DesiredCount) {
		return
	}
	d.RolloutState = "FAILED"
	d.RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
	d.UpdatedAt = now
	sv.addEvent(now, "(deployment %s) deployment failed: tasks failed to start.", d.ID)
	if !cb.Rollback {
		return
	}
	target := sv.LastCompletedTaskDef
	if target == "" || target == d.TaskDefinition {
		sv.addEvent(now, "(deployment %s) has no completed deployment to roll back to.", d.ID)
		return
	}
	failed := d.ID
	d.Status = "ACTIVE"
	sv.TaskDefinition = target
	sv.newDeployment(now)
	nd := &sv.Deployments[0]
	nd.RolloutStateReason = "ECS deployment detected failure. Rolling back to deployment of task definition " + target + "."
	sv.addEvent(now, "(deployment %s) rolling back to task definition %s (from deployment %s).", nd.ID, target, failed)
}

// serviceTaskTags are the tags a service's new tasks get.
func serviceTaskTags(tx *state.Tx, region string, sv *serviceDoc, td *taskDefDoc) []Tag {
	var tags []Tag
	switch sv.PropagateTags {
	case "SERVICE":
		tags = append(tags, sv.Tags...)
	case "TASK_DEFINITION":
		tags = append(tags, td.Tags...)
	}
	if sv.EnableECSManagedTags {
		tags = append(tags, Tag{Key: "aws:ecs:clusterName", Value: sv.ClusterName}, Tag{Key: "aws:ecs:serviceName", Value: sv.Name})
	}
	return tags
}

// ---- wire ----

type deploymentOut struct {
	ID                       string         `json:"id"`
	Status                   string         `json:"status"`
	TaskDefinition           string         `json:"taskDefinition"`
	DesiredCount             int            `json:"desiredCount"`
	PendingCount             int            `json:"pendingCount"`
	RunningCount             int            `json:"runningCount"`
	FailedTasks              int            `json:"failedTasks"`
	CreatedAt                *epoch         `json:"createdAt"`
	UpdatedAt                *epoch         `json:"updatedAt"`
	LaunchType               string         `json:"launchType,omitempty"`
	CapacityProviderStrategy []strategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion          string         `json:"platformVersion,omitempty"`
	PlatformFamily           string         `json:"platformFamily,omitempty"`
	NetworkConfiguration     *networkConfig `json:"networkConfiguration,omitempty"`
	RolloutState             string         `json:"rolloutState"`
	RolloutStateReason       string         `json:"rolloutStateReason"`
}

type eventOut struct {
	ID        string `json:"id"`
	CreatedAt *epoch `json:"createdAt"`
	Message   string `json:"message"`
}

type serviceOut struct {
	ServiceArn                    string           `json:"serviceArn"`
	ServiceName                   string           `json:"serviceName"`
	ClusterArn                    string           `json:"clusterArn"`
	LoadBalancers                 []loadBalancer   `json:"loadBalancers"`
	ServiceRegistries             json.RawMessage  `json:"serviceRegistries"`
	Status                        string           `json:"status"`
	DesiredCount                  int              `json:"desiredCount"`
	RunningCount                  int              `json:"runningCount"`
	PendingCount                  int              `json:"pendingCount"`
	LaunchType                    string           `json:"launchType,omitempty"`
	CapacityProviderStrategy      []strategyItem   `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               string           `json:"platformVersion,omitempty"`
	PlatformFamily                string           `json:"platformFamily,omitempty"`
	TaskDefinition                string           `json:"taskDefinition,omitempty"`
	DeploymentConfiguration       deploymentConfig `json:"deploymentConfiguration"`
	Deployments                   []deploymentOut  `json:"deployments"`
	RoleArn                       string           `json:"roleArn,omitempty"`
	Events                        []eventOut       `json:"events"`
	CreatedAt                     *epoch           `json:"createdAt"`
	PlacementConstraints          json.RawMessage  `json:"placementConstraints"`
	PlacementStrategy             json.RawMessage  `json:"placementStrategy"`
	NetworkConfiguration          *networkConfig   `json:"networkConfiguration,omitempty"`
	HealthCheckGracePeriodSeconds *int             `json:"healthCheckGracePeriodSeconds,omitempty"`
	SchedulingStrategy            string           `json:"schedulingStrategy"`
	DeploymentController          struct {
		Type string `json:"type"`
	} `json:"deploymentController"`
	Tags                        []Tag  `json:"tags,omitempty"`
	CreatedBy                   string `json:"createdBy"`
	EnableECSManagedTags        bool   `json:"enableECSManagedTags"`
	PropagateTags               string `json:"propagateTags"`
	EnableExecuteCommand        bool   `json:"enableExecuteCommand"`
	AvailabilityZoneRebalancing string `json:"availabilityZoneRebalancing,omitempty"`
}

func raw(v json.RawMessage, empty string) json.RawMessage {
	if len(v) == 0 || string(v) == "null" {
		return json.RawMessage(empty)
	}
	return v
}

func (sv *serviceDoc) out(withTags bool) serviceOut {
	o := serviceOut{ServiceArn: sv.ARN, ServiceName: sv.Name, ClusterArn: sv.ClusterARN, LoadBalancers: sv.LoadBalancers,
		ServiceRegistries: raw(sv.ServiceRegistries, "[]"), Status: sv.Status, DesiredCount: sv.DesiredCount,
		RunningCount: sv.RunningCount, PendingCount: sv.PendingCount, LaunchType: sv.LaunchType, CapacityProviderStrategy: sv.CapacityProviderStrategy,
		PlatformVersion: sv.PlatformVersion, TaskDefinition: sv.TaskDefinition, DeploymentConfiguration: sv.DeploymentConfiguration,
		RoleArn: sv.RoleARN, CreatedAt: ts(sv.Created), PlacementConstraints: raw(sv.PlacementConstraints, "[]"),
		PlacementStrategy: raw(sv.PlacementStrategy, "[]"), NetworkConfiguration: sv.NetworkConfiguration,
		HealthCheckGracePeriodSeconds: sv.HealthCheckGracePeriodSeconds, SchedulingStrategy: sv.SchedulingStrategy,
		CreatedBy: sv.CreatedBy, EnableECSManagedTags: sv.EnableECSManagedTags, PropagateTags: sv.PropagateTags,
		EnableExecuteCommand: sv.EnableExecuteCommand, AvailabilityZoneRebalancing: sv.AvailabilityZoneRebalancing,
		Deployments: []deploymentOut{}, Events: []eventOut{}}
	o.DeploymentController.Type = sv.DeploymentController
	if o.LoadBalancers == nil {
		o.LoadBalancers = []loadBalancer{}
	}
	if sv.PlatformVersion != "" {
		o.PlatformFamily = "Linux"
	}
	for _, d := range sv.Deployments {
		do := deploymentOut{ID: d.ID, Status: d.Status, TaskDefinition: d.TaskDefinition, DesiredCount: d.DesiredCount,
			PendingCount: d.PendingCount, RunningCount: d.RunningCount, FailedTasks: d.FailedTasks, CreatedAt: ts(d.CreatedAt),
			UpdatedAt: ts(d.UpdatedAt), LaunchType: d.LaunchType, CapacityProviderStrategy: d.CapacityProviderStrategy,
			PlatformVersion: d.PlatformVersion, NetworkConfiguration: d.NetworkConfiguration, RolloutState: d.RolloutState,
			RolloutStateReason: d.RolloutStateReason}
		if d.PlatformVersion != "" {
			do.PlatformFamily = "Linux"
		}
		o.Deployments = append(o.Deployments, do)
	}
	for _, e := range sv.Events {
		o.Events = append(o.Events, eventOut{ID: e.ID, CreatedAt: ts(e.CreatedAt), Message: e.Message})
	}
	if withTags {
		o.Tags = tagsOrEmpty(sv.Tags)
	}
	return o
}

// ---- operations ----

type createServiceIn struct {
	Cluster                       string            `json:"cluster"`
	ServiceName                   string            `json:"serviceName"`
	TaskDefinition                string            `json:"taskDefinition"`
	LoadBalancers                 []loadBalancer    `json:"loadBalancers"`
	ServiceRegistries             json.RawMessage   `json:"serviceRegistries"`
	DesiredCount                  *int              `json:"desiredCount"`
	ClientToken                   string            `json:"clientToken"`
	LaunchType                    string            `json:"launchType"`
	CapacityProviderStrategy      []strategyItem    `json:"capacityProviderStrategy"`
	PlatformVersion               string            `json:"platformVersion"`
	Role                          string            `json:"role"`
	DeploymentConfiguration       *deploymentConfig `json:"deploymentConfiguration"`
	PlacementConstraints          json.RawMessage   `json:"placementConstraints"`
	PlacementStrategy             json.RawMessage   `json:"placementStrategy"`
	NetworkConfiguration          *networkConfig    `json:"networkConfiguration"`
	HealthCheckGracePeriodSeconds *int              `json:"healthCheckGracePeriodSeconds"`
	SchedulingStrategy            string            `json:"schedulingStrategy"`
	DeploymentController          *struct {
		Type string `json:"type"`
	} `json:"deploymentController"`
	Tags                        []Tag           `json:"tags"`
	EnableECSManagedTags        bool            `json:"enableECSManagedTags"`
	PropagateTags               string          `json:"propagateTags"`
	EnableExecuteCommand        bool            `json:"enableExecuteCommand"`
	ServiceConnectConfiguration json.RawMessage `json:"serviceConnectConfiguration"`
	VolumeConfigurations        json.RawMessage `json:"volumeConfigurations"`
	VpcLatticeConfigurations    json.RawMessage `json:"vpcLatticeConfigurations"`
	AvailabilityZoneRebalancing string          `json:"availabilityZoneRebalancing"`
}

func checkDeploymentConfig(dc *deploymentConfig) error {
	if dc.MaximumPercent != nil && (*dc.MaximumPercent < 100 || *dc.MaximumPercent > 2000) {
		return errInvalidParameter("deploymentConfiguration.maximumPercent must be between 100 and 2000.")
	}
	if dc.MinimumHealthyPercent != nil && (*dc.MinimumHealthyPercent < 0 || *dc.MinimumHealthyPercent > 100) {
		return errInvalidParameter("deploymentConfiguration.minimumHealthyPercent must be between 0 and 100.")
	}
	if dc.Alarms != nil && dc.Alarms.AlarmNames == nil {
		dc.Alarms.AlarmNames = []string{}
	}
	return nil
}

func nonNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

func (s *Service) createService(ctx context.Context, r *Request, in []byte) (any, error) {
	var req createServiceIn
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	if !nameRE.MatchString(req.ServiceName) {
		return nil, errInvalidParameter("Service name can only contain letters, numbers, underscores and hyphens, up to 255 characters.")
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	controller := "ECS"
	if req.DeploymentController != nil && req.DeploymentController.Type != "" {
		controller = req.DeploymentController.Type
	}
	if controller != "ECS" {
		return nil, errInvalidParameter("The sandbox supports the ECS deployment controller only, not %s.", controller)
	}
	strategy := req.SchedulingStrategy
	if strategy == "" {
		strategy = "REPLICA"
	}
	if strategy != "REPLICA" && strategy != "DAEMON" {
		return nil, errInvalidParameter("Invalid schedulingStrategy '%s'.", strategy)
	}
	desired := 1
	if req.DesiredCount != nil {
		desired = *req.DesiredCount
	}
	if desired < 0 {
		return nil, errInvalidParameter("desiredCount must be at least 0.")
	}
	propagate := req.PropagateTags
	if propagate == "" {
		propagate = "NONE"
	}
	if propagate != "NONE" && propagate != "SERVICE" && propagate != "TASK_DEFINITION" {
		return nil, errInvalidParameter("Invalid propagateTags '%s'.", propagate)
	}
	azr := req.AvailabilityZoneRebalancing
	if azr == "" {
		azr = "DISABLED"
	}
	if azr != "ENABLED" && azr != "DISABLED" {
		return nil, errInvalidParameter("Invalid availabilityZoneRebalancing '%s'.", azr)
	}
	dc := deploymentConfig{}
	if req.DeploymentConfiguration != nil {
		dc = *req.DeploymentConfiguration
	}
	if err := checkDeploymentConfig(&dc); err != nil {
		return nil, err
	}
	if strategy == "REPLICA" {
		if dc.MaximumPercent == nil {
			v := 200
			dc.MaximumPercent = &v
		}
		if dc.MinimumHealthyPercent == nil {
			v := 100
			dc.MinimumHealthyPercent = &v
		}
	}
	if dc.DeploymentCircuitBreaker == nil {
		dc.DeploymentCircuitBreaker = &circuitBreaker{}
	}
	if dc.Alarms == nil {
		dc.Alarms = &deploymentAlarms{AlarmNames: []string{}}
	}
	if req.HealthCheckGracePeriodSeconds != nil && len(req.LoadBalancers) == 0 {
		return nil, errInvalidParameter("Health check grace period is only valid for services configured to use load balancers")
	}
	var out serviceOut
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		existing, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, c.Name, req.ServiceName))
		if err == nil && existing.Status != "INACTIVE" {
			if req.ClientToken != "" && existing.ClientToken == req.ClientToken {
				out = existing.out(true)
				return nil
			}
			return errInvalidParameter("Creation of service was not idempotent.")
		}
		if err != nil && !isNotFound(err) {
			return err
		}
		if req.TaskDefinition == "" {
			return errInvalidParameter("TaskDefinition must be specified.")
		}
		td, err := resolveTaskDef(tx, region, req.TaskDefinition)
		if err != nil {
			return errInvalidParameter("TaskDefinition not found.")
		}
		if td.Status != "ACTIVE" {
			return errInvalidParameter("TaskDefinition is inactive")
		}
		launch, cp, err := launchPlacement(c, req.LaunchType, req.CapacityProviderStrategy)
		if err != nil {
			return err
		}
		if err := checkLaunchType(td, launch, cp); err != nil {
			return err
		}
		if strategy == "DAEMON" && (launch == "FARGATE" || cp != "") {
			return errInvalidParameter("The daemon scheduling strategy is not supported with the FARGATE launch type.")
		}
		net, err := checkNetwork(tx, region, td, req.NetworkConfiguration)
		if err != nil {
			return err
		}
		if err := checkLoadBalancers(tx, region, td, req.LoadBalancers, net); err != nil {
			return err
		}
		sv := &serviceDoc{
			ARN: s.arn(region, "service/"+c.Name+"/"+req.ServiceName), Name: req.ServiceName, ClusterARN: c.ARN,
			ClusterName: c.Name, Status: "ACTIVE", TaskDefinition: td.ARN, DesiredCount: desired,
			LaunchType: req.LaunchType, CapacityProviderStrategy: req.CapacityProviderStrategy,
			DeploymentConfiguration: dc, DeploymentController: controller, LoadBalancers: req.LoadBalancers,
			ServiceRegistries: nonNull(req.ServiceRegistries), SchedulingStrategy: strategy,
			HealthCheckGracePeriodSeconds: req.HealthCheckGracePeriodSeconds,
			PlacementConstraints:          nonNull(req.PlacementConstraints), PlacementStrategy: nonNull(req.PlacementStrategy),
			EnableECSManagedTags: req.EnableECSManagedTags, EnableExecuteCommand: req.EnableExecuteCommand,
			PropagateTags: propagate, AvailabilityZoneRebalancing: azr, ClientToken: req.ClientToken,
			ServiceConnectConfiguration: nonNull(req.ServiceConnectConfiguration),
			VolumeConfigurations:        nonNull(req.VolumeConfigurations), VpcLatticeConfigurations: nonNull(req.VpcLatticeConfigurations),
			Created: s.now(), CreatedBy: "arn:aws:iam::" + s.env.AccountID + ":root", Tags: req.Tags,
		}
		if launch == "" && cp == "" {
			sv.LaunchType = "EC2"
		} else if launch != "" {
			sv.LaunchType = launch
		} else if len(sv.CapacityProviderStrategy) == 0 {
			sv.CapacityProviderStrategy = c.DefaultStrategy
		}
		if sv.LaunchType == "FARGATE" || cp != "" {
			sv.PlatformVersion = req.PlatformVersion
			if sv.PlatformVersion == "" {
				sv.PlatformVersion = "LATEST"
			}
		}
		if net != nil {
			sv.NetworkConfiguration = &networkConfig{AwsvpcConfiguration: net}
		}
		if len(req.LoadBalancers) > 0 {
			if req.Role != "" && td.NetworkMode == "awsvpc" {
				return errInvalidParameter("You cannot specify an IAM role for services that require a service linked role.")
			}
			sv.RoleARN = "arn:aws:iam::" + s.env.AccountID + ":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
			if req.Role != "" {
				sv.RoleARN = req.Role
			}
			if sv.HealthCheckGracePeriodSeconds == nil {
				zero := 0
				sv.HealthCheckGracePeriodSeconds = &zero
			}
		}
		sv.newDeployment(s.now())
		if err := reconcile(tx, s.env, region, sv); err != nil {
			return err
		}
		out = sv.out(true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"service": out}, nil
}

func (s *Service) describeServices(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
		Include  []string `json:"include"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if len(req.Services) == 0 || len(req.Services) > 10 {
		return nil, errInvalidParameter("Services cannot be empty and can have at most 10 entries.")
	}
	region := s.env.RegionOf(r)
	tags := includes(req.Include)["TAGS"]
	services := []serviceOut{}
	failures := []failure{}
	err := s.view(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		for _, ref := range req.Services {
			name := serviceName(ref)
			sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, c.Name, name))
			if isNotFound(err) {
				failures = append(failures, failure{Arn: s.arn(region, "service/"+c.Name+"/"+name), Reason: "MISSING"})
				continue
			}
			if err != nil {
				return err
			}
			services = append(services, sv.out(tags))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"services": services, "failures": failures}, nil
}

type updateServiceIn struct {
	Cluster                       string            `json:"cluster"`
	Service                       string            `json:"service"`
	DesiredCount                  *int              `json:"desiredCount"`
	TaskDefinition                string            `json:"taskDefinition"`
	CapacityProviderStrategy      []strategyItem    `json:"capacityProviderStrategy"`
	DeploymentConfiguration       *deploymentConfig `json:"deploymentConfiguration"`
	AvailabilityZoneRebalancing   string            `json:"availabilityZoneRebalancing"`
	NetworkConfiguration          *networkConfig    `json:"networkConfiguration"`
	PlacementConstraints          json.RawMessage   `json:"placementConstraints"`
	PlacementStrategy             json.RawMessage   `json:"placementStrategy"`
	PlatformVersion               string            `json:"platformVersion"`
	ForceNewDeployment            bool              `json:"forceNewDeployment"`
	HealthCheckGracePeriodSeconds *int              `json:"healthCheckGracePeriodSeconds"`
	EnableExecuteCommand          *bool             `json:"enableExecuteCommand"`
	EnableECSManagedTags          *bool             `json:"enableECSManagedTags"`
	LoadBalancers                 *[]loadBalancer   `json:"loadBalancers"`
	PropagateTags                 string            `json:"propagateTags"`
	ServiceRegistries             json.RawMessage   `json:"serviceRegistries"`
	ServiceConnectConfiguration   json.RawMessage   `json:"serviceConnectConfiguration"`
	VolumeConfigurations          json.RawMessage   `json:"volumeConfigurations"`
	VpcLatticeConfigurations      json.RawMessage   `json:"vpcLatticeConfigurations"`
}

// loadActiveService loads a service for a change: ServiceNotFoundException
// when it never existed, ServiceNotActiveException when it is deleted.
func loadActiveService(tx *state.Tx, region, cluster, ref string) (*serviceDoc, *clusterDoc, error) {
	c, err := clusterByName(tx, region, cluster)
	if err != nil {
		return nil, nil, err
	}
	sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, c.Name, serviceName(ref)))
	if isNotFound(err) {
		return nil, nil, errServiceNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	if sv.Status != "ACTIVE" {
		return nil, nil, errServiceNotActive()
	}
	return sv, c, nil
}

func (s *Service) updateService(ctx context.Context, r *Request, in []byte) (any, error) {
	var req updateServiceIn
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Service == "" {
		return nil, errInvalidParameter("Service must be specified.")
	}
	region := s.env.RegionOf(r)
	var out serviceOut
	err := s.update(ctx, func(tx *state.Tx) error {
		sv, c, err := loadActiveService(tx, region, req.Cluster, req.Service)
		if err != nil {
			return err
		}
		redeploy := req.ForceNewDeployment
		if req.DesiredCount != nil {
			if *req.DesiredCount < 0 {
				return errInvalidParameter("desiredCount must be at least 0.")
			}
			if sv.SchedulingStrategy == "DAEMON" {
				return errInvalidParameter("The desired count of a DAEMON service cannot be set.")
			}
			sv.DesiredCount = *req.DesiredCount
		}
		td, err := resolveTaskDef(tx, region, sv.TaskDefinition)
		if err != nil {
			return err
		}
		if req.TaskDefinition != "" {
			ntd, err := resolveTaskDef(tx, region, req.TaskDefinition)
			if err != nil {
				return errInvalidParameter("TaskDefinition not found.")
			}
			if ntd.Status != "ACTIVE" {
				return errInvalidParameter("TaskDefinition is inactive")
			}
			if ntd.ARN != sv.TaskDefinition {
				redeploy = true
			}
			td = ntd
			sv.TaskDefinition = ntd.ARN
		}
		if req.CapacityProviderStrategy != nil {
			if sv.LaunchType != "" && len(req.CapacityProviderStrategy) > 0 {
				return errInvalidParameter("Updating a service from a launch type to a capacity provider strategy requires forceNewDeployment.")
			}
			if _, _, err := launchPlacement(c, "", req.CapacityProviderStrategy); err != nil && len(req.CapacityProviderStrategy) > 0 {
				return err
			}
			sv.CapacityProviderStrategy = req.CapacityProviderStrategy
			redeploy = true
		}
		launch, cp := sv.LaunchType, ""
		if launch == "" {
			_, cp, _ = launchPlacement(c, "", sv.CapacityProviderStrategy)
		}
		if err := checkLaunchType(td, launch, cp); err != nil {
			return err
		}
		if dc := req.DeploymentConfiguration; dc != nil {
			if err := checkDeploymentConfig(dc); err != nil {
				return err
			}
			if dc.MaximumPercent != nil {
				sv.DeploymentConfiguration.MaximumPercent = dc.MaximumPercent
			}
			if dc.MinimumHealthyPercent != nil {
				sv.DeploymentConfiguration.MinimumHealthyPercent = dc.MinimumHealthyPercent
			}
			if dc.DeploymentCircuitBreaker != nil {
				sv.DeploymentConfiguration.DeploymentCircuitBreaker = dc.DeploymentCircuitBreaker
			}
			if dc.Alarms != nil {
				sv.DeploymentConfiguration.Alarms = dc.Alarms
			}
		}
		if v := req.AvailabilityZoneRebalancing; v != "" {
			if v != "ENABLED" && v != "DISABLED" {
				return errInvalidParameter("Invalid availabilityZoneRebalancing '%s'.", v)
			}
			sv.AvailabilityZoneRebalancing = v
		}
		netCfg := sv.NetworkConfiguration
		if req.NetworkConfiguration != nil {
			netCfg = req.NetworkConfiguration
		}
		net, err := checkNetwork(tx, region, td, netCfg)
		if err != nil {
			return err
		}
		newNet := (*networkConfig)(nil)
		if net != nil {
			newNet = &networkConfig{AwsvpcConfiguration: net}
		}
		if !jsonEqual(newNet, sv.NetworkConfiguration) {
			redeploy = true
		}
		sv.NetworkConfiguration = newNet
		if v := nonNull(req.PlacementConstraints); v != nil {
			sv.PlacementConstraints = v
		}
		if v := nonNull(req.PlacementStrategy); v != nil {
			sv.PlacementStrategy = v
		}
		if req.PlatformVersion != "" && req.PlatformVersion != sv.PlatformVersion {
			sv.PlatformVersion = req.PlatformVersion
			redeploy = true
		}
		lbChanged := false
		if req.LoadBalancers != nil {
			if !jsonEqual(*req.LoadBalancers, sv.LoadBalancers) {
				redeploy, lbChanged = true, true
			}
			sv.LoadBalancers = *req.LoadBalancers
		}
		// The load balancers are checked when they or the task definition
		// change, as AWS does: a later change elsewhere (a listener deleted
		// under the service) does not block scaling.
		if lbChanged || req.TaskDefinition != "" {
			if err := checkLoadBalancers(tx, region, td, sv.LoadBalancers, net); err != nil {
				return err
			}
		}
		if req.HealthCheckGracePeriodSeconds != nil {
			if len(sv.LoadBalancers) == 0 {
				return errInvalidParameter("Health check grace period is only valid for services configured to use load balancers")
			}
			sv.HealthCheckGracePeriodSeconds = req.HealthCheckGracePeriodSeconds
		}
		if req.EnableExecuteCommand != nil {
			sv.EnableExecuteCommand = *req.EnableExecuteCommand
		}
		if req.EnableECSManagedTags != nil {
			sv.EnableECSManagedTags = *req.EnableECSManagedTags
		}
		if v := req.PropagateTags; v != "" {
			if v != "NONE" && v != "SERVICE" && v != "TASK_DEFINITION" {
				return errInvalidParameter("Invalid propagateTags '%s'.", v)
			}
			sv.PropagateTags = v
		}
		for _, f := range []struct {
			dst *json.RawMessage
			src json.RawMessage
		}{{&sv.ServiceRegistries, req.ServiceRegistries}, {&sv.ServiceConnectConfiguration, req.ServiceConnectConfiguration},
			{&sv.VolumeConfigurations, req.VolumeConfigurations}, {&sv.VpcLatticeConfigurations, req.VpcLatticeConfigurations}} {
			if v := nonNull(f.src); v != nil {
				*f.dst = v
				redeploy = true
			}
		}
		if redeploy {
			sv.newDeployment(s.now())
		}
		if err := reconcile(tx, s.env, region, sv); err != nil {
			return err
		}
		out = sv.out(false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"service": out}, nil
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func (s *Service) deleteService(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster string `json:"cluster"`
		Service string `json:"service"`
		Force   bool   `json:"force"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Service == "" {
		return nil, errInvalidParameter("Service must be specified.")
	}
	region := s.env.RegionOf(r)
	var out serviceOut
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, c.Name, serviceName(req.Service)))
		if isNotFound(err) || (err == nil && sv.Status == "INACTIVE") {
			return errServiceNotFound()
		}
		if err != nil {
			return err
		}
		if sv.Status == "ACTIVE" && sv.SchedulingStrategy == "REPLICA" && sv.DesiredCount > 0 && !req.Force {
			return errInvalidParameter("The service cannot be stopped while it is scaled above 0.")
		}
		sv.Status = "DRAINING"
		sv.DesiredCount = 0
		if err := reconcile(tx, s.env, region, sv); err != nil {
			return err
		}
		out = sv.out(false)
		// Every task is stopped at once (tasks are records), so draining
		// ends with the call.
		sv.Status = "INACTIVE"
		for i := range sv.Deployments {
			sv.Deployments[i].Status = "INACTIVE"
		}
		return tx.Put(nsService, sv.key(), sv)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"service": out}, nil
}

func (s *Service) listServices(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster            string `json:"cluster"`
		LaunchType         string `json:"launchType"`
		SchedulingStrategy string `json:"schedulingStrategy"`
		NextToken          string `json:"nextToken"`
		MaxResults         int    `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var arns []string
	err := s.view(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		all, err := listDocs[serviceDoc](tx, nsService, region+"/"+c.Name+"/")
		if err != nil {
			return err
		}
		for _, sv := range all {
			if sv.Status == "INACTIVE" {
				continue
			}
			if req.LaunchType != "" && sv.LaunchType != req.LaunchType {
				continue
			}
			if req.SchedulingStrategy != "" && sv.SchedulingStrategy != req.SchedulingStrategy {
				continue
			}
			arns = append(arns, sv.ARN)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(arns)
	pg, next, err := pageOf(arns, func(a string) string { return a }, req.NextToken, req.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"serviceArns": append([]string{}, pg...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// ---- used by Application Auto Scaling ----

// ServiceDesiredCount returns the desired count of the ACTIVE service
// clusterName/serviceName; found is false when there is no such service.
func ServiceDesiredCount(tx *state.Tx, region, clusterName, serviceName string) (desired int, found bool, err error) {
	sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, clusterName, serviceName))
	if isNotFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if sv.Status != "ACTIVE" {
		return 0, false, nil
	}
	return sv.DesiredCount, true, nil
}

// SetServiceDesiredCount changes the desired count of an ACTIVE service, as
// UpdateService does, and starts or stops its tasks. Application Auto
// Scaling calls it inside its own transaction.
func SetServiceDesiredCount(tx *state.Tx, env service.Env, region, clusterName, serviceName string, desired int) error {
	sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, clusterName, serviceName))
	if isNotFound(err) {
		return errServiceNotFound()
	}
	if err != nil {
		return err
	}
	if sv.Status != "ACTIVE" {
		return errServiceNotActive()
	}
	if desired < 0 {
		return errInvalidParameter("desiredCount must be at least 0.")
	}
	if sv.DesiredCount == desired {
		return nil
	}
	sv.DesiredCount = desired
	return reconcile(tx, env, region, sv)
}
