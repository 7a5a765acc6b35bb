package ecs

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Tasks are records, not processes: the sandbox runs no containers. A new
// task is PROVISIONING, then PENDING a third of the start delay later, then
// RUNNING once the whole start delay (Simulation.StartDelay, on the
// sandbox's virtual clock) has passed; Step moves tasks along and the
// workload simulation (internal/sandbox/workload) calls it. A task gets a
// network interface address from its subnet's CIDR block when it is placed
// and is registered in its service's target groups when it reaches
// RUNNING; stopping it makes it STOPPED at once and deregisters it. The
// service scheduler (reconcile in service.go) keeps the number of tasks of
// a service equal to its desired count, so stopping a service's task
// starts a replacement. Stopped tasks stay describable for an hour, as on
// AWS.

const stoppedTaskRetention = time.Hour

type taskContainer struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	ID    string `json:"id"`
}

type taskDoc struct {
	ARN                  string          `json:"arn"`
	ID                   string          `json:"id"`
	ClusterARN           string          `json:"cluster_arn"`
	ClusterName          string          `json:"cluster_name"`
	TaskDefinitionARN    string          `json:"task_definition_arn"`
	Group                string          `json:"group"`
	StartedBy            string          `json:"started_by,omitempty"`
	ServiceName          string          `json:"service_name,omitempty"`
	LaunchType           string          `json:"launch_type"`
	CapacityProvider     string          `json:"capacity_provider,omitempty"`
	PlatformVersion      string          `json:"platform_version,omitempty"`
	Cpu                  string          `json:"cpu,omitempty"`
	Memory               string          `json:"memory,omitempty"`
	LastStatus           string          `json:"last_status"`
	DesiredStatus        string          `json:"desired_status"`
	Created              time.Time       `json:"created"`
	Started              time.Time       `json:"started"`
	PendingAt            time.Time       `json:"pending_at,omitzero"`
	RunningAt            time.Time       `json:"running_at,omitzero"`    // when the start delay ends
	HealthCheck          bool            `json:"health_check,omitempty"` // a container has a health check
	Health               string          `json:"health,omitempty"`       // HEALTHY or UNHEALTHY once checked
	Stopped              *time.Time      `json:"stopped,omitempty"`
	StoppedReason        string          `json:"stopped_reason,omitempty"`
	StopCode             string          `json:"stop_code,omitempty"`
	AZ                   string          `json:"az,omitempty"`
	SubnetID             string          `json:"subnet_id,omitempty"`
	PrivateIP            string          `json:"private_ip,omitempty"`
	ENIID                string          `json:"eni_id,omitempty"`
	AttachmentID         string          `json:"attachment_id,omitempty"`
	MAC                  string          `json:"mac,omitempty"`
	Containers           []taskContainer `json:"containers"`
	Targets              []taskTarget    `json:"targets,omitempty"`
	EnableExecuteCommand bool            `json:"enable_execute_command,omitempty"`
	Tags                 []Tag           `json:"tags,omitempty"`
	Version              int             `json:"version"`
}

// taskTarget is a target group registration of a service's task.
type taskTarget struct {
	TargetGroupARN string `json:"tg"`
	Port           int    `json:"port"`
}

func taskKey(region, cluster, id string) string { return region + "/" + cluster + "/" + id }

func (t *taskDoc) key() string {
	region, _, _ := splitARN(t.ARN)
	return taskKey(region, t.ClusterName, t.ID)
}

// placement is where and how to start tasks.
type placement struct {
	LaunchType       string
	CapacityProvider string
	PlatformVersion  string
	Network          *awsvpcConfig
	Group            string
	StartedBy        string
	ServiceName      string
	Targets          []taskTarget
	Tags             []Tag
	ExecuteCommand   bool
	// Subnet is where to place the task; "" picks by index among the
	// network's subnets outside impaired Availability Zones.
	Subnet string
}

// startTask creates a PROVISIONING task record (RUNNING at once when the
// start delay is zero). index spreads tasks over the subnets (one per
// Availability Zone in a well-built network) when p.Subnet is empty.
func startTask(tx *state.Tx, env service.Env, region string, c *clusterDoc, td *taskDefDoc, p placement, index int) (*taskDoc, error) {
	now := env.Now().UTC()
	sim, err := loadSimulation(tx)
	if err != nil {
		return nil, err
	}
	id := randHex(32)
	t := &taskDoc{
		ARN: env.ARN("ecs", region, "task/"+c.Name+"/"+id), ID: id, ClusterARN: c.ARN, ClusterName: c.Name,
		TaskDefinitionARN: td.ARN, Group: p.Group, StartedBy: p.StartedBy, ServiceName: p.ServiceName,
		LaunchType: p.LaunchType, CapacityProvider: p.CapacityProvider, Cpu: td.Cpu, Memory: td.Memory,
		LastStatus: "PROVISIONING", DesiredStatus: "RUNNING", Created: now, Targets: p.Targets,
		EnableExecuteCommand: p.ExecuteCommand, Tags: p.Tags, Version: 1,
		PendingAt: now.Add(sim.StartDelay / 3), RunningAt: now.Add(sim.StartDelay),
	}
	if p.LaunchType == "FARGATE" || p.CapacityProvider != "" {
		t.PlatformVersion = "1.4.0"
	}
	for _, ci := range td.containers() {
		t.Containers = append(t.Containers, taskContainer{Name: ci.Name, Image: ci.Image, ID: newUUID()})
		if ci.HealthCheck != nil {
			t.HealthCheck = true
		}
	}
	if p.Network != nil && len(p.Network.Subnets) > 0 {
		subnetID := p.Subnet
		if subnetID == "" {
			usable, err := usableSubnets(tx, region, p.Network.Subnets, sim.ImpairedAZs)
			if err != nil {
				return nil, err
			}
			if len(usable) == 0 {
				return nil, errUnplaceable
			}
			subnetID = usable[index%len(usable)].ID
		}
		sn, ok, err := elbv2.LookupSubnet(tx, region, subnetID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidParameter("Error retrieving subnet information for [%s]: The subnet ID '%s' does not exist", subnetID, subnetID)
		}
		ip, err := allocateIP(tx, region, sn)
		if err != nil {
			return nil, err
		}
		t.AZ, t.SubnetID, t.PrivateIP = sn.AZ, sn.ID, ip
		t.ENIID, t.AttachmentID, t.MAC = "eni-"+randHex(17), newUUID(), macAddress()
	}
	if sim.StartDelay <= 0 {
		return t, runTaskDoc(tx, env, t, now)
	}
	return t, tx.Put(nsTask, t.key(), t)
}

// runTaskDoc makes a task RUNNING and registers it in its target groups.
func runTaskDoc(tx *state.Tx, env service.Env, t *taskDoc, now time.Time) error {
	var registered []taskTarget
	for _, tt := range t.Targets {
		err := elbv2.RegisterTargets(tx, env, tt.TargetGroupARN, []elbv2.Target{{ID: t.PrivateIP, Port: tt.Port, AZ: t.AZ}})
		if errCode(err) == "TargetGroupNotFound" {
			continue // deleted under the service: the task runs unregistered, as on AWS
		}
		if err != nil {
			return err
		}
		registered = append(registered, tt)
	}
	t.Targets = registered
	t.LastStatus, t.Started = "RUNNING", now
	if t.PendingAt.IsZero() || t.PendingAt.After(now) {
		t.PendingAt = now
	}
	t.Version++
	return tx.Put(nsTask, t.key(), t)
}

// stopTaskDoc stops a task: STOPPED, deregistered from its target groups.
func stopTaskDoc(tx *state.Tx, env service.Env, t *taskDoc, reason, code string) error {
	if t.LastStatus == "STOPPED" {
		return nil
	}
	now := env.Now().UTC()
	for _, tt := range t.Targets {
		if t.LastStatus != "RUNNING" {
			break // registered only once RUNNING
		}
		err := elbv2.DeregisterTargets(tx, env, tt.TargetGroupARN, []elbv2.Target{{ID: t.PrivateIP, Port: tt.Port}})
		// The group may have been deleted, or the target removed by hand.
		if c := errCode(err); err != nil && c != "TargetGroupNotFound" && c != "InvalidTarget" {
			return err
		}
	}
	t.LastStatus, t.DesiredStatus, t.Stopped, t.StoppedReason, t.StopCode = "STOPPED", "STOPPED", &now, reason, code
	t.Version++
	return tx.Put(nsTask, t.key(), t)
}

// purgeStopped forgets the stopped tasks of a cluster older than the
// retention.
func purgeStopped(tx *state.Tx, env service.Env, region, cluster string) error {
	tasks, err := listDocs[taskDoc](tx, nsTask, region+"/"+cluster+"/")
	if err != nil {
		return err
	}
	cutoff := env.Now().Add(-stoppedTaskRetention)
	for _, t := range tasks {
		if t.Stopped != nil && t.Stopped.Before(cutoff) {
			if err := tx.Delete(nsTask, t.key()); err != nil {
				return err
			}
		}
	}
	return nil
}

// allocateIP picks an address of the subnet no live task uses (the first
// four and the last are AWS's).
func allocateIP(tx *state.Tx, region string, sn elbv2.Subnet) (string, error) {
	ip, n, err := net.ParseCIDR(sn.CidrBlock)
	if err != nil || ip.To4() == nil {
		return "", errInvalidParameter("Subnet %s has no IPv4 CIDR block.", sn.ID)
	}
	ones, bits := n.Mask.Size()
	size := uint32(1) << uint(bits-ones)
	if size < 16 {
		return "", errInvalidParameter("Subnet %s is too small.", sn.ID)
	}
	used := map[string]bool{}
	all, err := listDocs[taskDoc](tx, nsTask, region+"/")
	if err != nil {
		return "", err
	}
	for _, t := range all {
		if t.SubnetID == sn.ID && t.LastStatus != "STOPPED" {
			used[t.PrivateIP] = true
		}
	}
	base := binary.BigEndian.Uint32(n.IP.To4())
	for range 64 {
		var b [4]byte
		_, _ = rand.Read(b[:])
		off := 4 + binary.BigEndian.Uint32(b[:])%(size-5)
		var out [4]byte
		binary.BigEndian.PutUint32(out[:], base+off)
		s := net.IP(out[:]).String()
		if !used[s] {
			return s, nil
		}
	}
	return "", errInvalidParameter("Subnet %s has no free IP addresses.", sn.ID)
}

func macAddress() string {
	b := randHex(10)
	return fmt.Sprintf("0e:%s:%s:%s:%s:%s", b[0:2], b[2:4], b[4:6], b[6:8], b[8:10])
}

// ---- wire ----

type detail struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type attachmentOut struct {
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Status  string   `json:"status"`
	Details []detail `json:"details"`
}

type containerOut struct {
	ContainerArn      string `json:"containerArn"`
	TaskArn           string `json:"taskArn"`
	Name              string `json:"name"`
	Image             string `json:"image"`
	RuntimeID         string `json:"runtimeId,omitempty"`
	LastStatus        string `json:"lastStatus"`
	ExitCode          *int   `json:"exitCode,omitempty"`
	Reason            string `json:"reason,omitempty"`
	NetworkBindings   []any  `json:"networkBindings"`
	NetworkInterfaces []struct {
		AttachmentID       string `json:"attachmentId"`
		PrivateIpv4Address string `json:"privateIpv4Address"`
	} `json:"networkInterfaces"`
	HealthStatus string `json:"healthStatus"`
	Cpu          string `json:"cpu"`
}

type taskOut struct {
	Attachments          []attachmentOut `json:"attachments"`
	Attributes           []detail        `json:"attributes"`
	AvailabilityZone     string          `json:"availabilityZone,omitempty"`
	CapacityProviderName string          `json:"capacityProviderName,omitempty"`
	ClusterArn           string          `json:"clusterArn"`
	Connectivity         string          `json:"connectivity"`
	ConnectivityAt       *epoch          `json:"connectivityAt,omitempty"`
	Containers           []containerOut  `json:"containers"`
	Cpu                  string          `json:"cpu,omitempty"`
	CreatedAt            *epoch          `json:"createdAt"`
	DesiredStatus        string          `json:"desiredStatus"`
	EnableExecuteCommand bool            `json:"enableExecuteCommand"`
	Group                string          `json:"group"`
	HealthStatus         string          `json:"healthStatus"`
	LastStatus           string          `json:"lastStatus"`
	LaunchType           string          `json:"launchType,omitempty"`
	Memory               string          `json:"memory,omitempty"`
	Overrides            map[string]any  `json:"overrides"`
	PlatformVersion      string          `json:"platformVersion,omitempty"`
	PlatformFamily       string          `json:"platformFamily,omitempty"`
	PullStartedAt        *epoch          `json:"pullStartedAt,omitempty"`
	PullStoppedAt        *epoch          `json:"pullStoppedAt,omitempty"`
	StartedAt            *epoch          `json:"startedAt,omitempty"`
	StartedBy            string          `json:"startedBy,omitempty"`
	StopCode             string          `json:"stopCode,omitempty"`
	StoppedAt            *epoch          `json:"stoppedAt,omitempty"`
	StoppedReason        string          `json:"stoppedReason,omitempty"`
	StoppingAt           *epoch          `json:"stoppingAt,omitempty"`
	Tags                 []Tag           `json:"tags,omitempty"`
	TaskArn              string          `json:"taskArn"`
	TaskDefinitionArn    string          `json:"taskDefinitionArn"`
	Version              int             `json:"version"`
	EphemeralStorage     *struct {
		SizeInGiB int `json:"sizeInGiB"`
	} `json:"ephemeralStorage,omitempty"`
}

func (t *taskDoc) out(env service.Env, withTags bool) taskOut {
	health := t.healthStatus()
	o := taskOut{Attachments: []attachmentOut{}, Attributes: []detail{{Name: "ecs.cpu-architecture", Value: "x86_64"}},
		AvailabilityZone: t.AZ, CapacityProviderName: t.CapacityProvider, ClusterArn: t.ClusterARN, Connectivity: "CONNECTED",
		ConnectivityAt: ts(t.Created), Cpu: t.Cpu, CreatedAt: ts(t.Created), DesiredStatus: t.DesiredStatus,
		EnableExecuteCommand: t.EnableExecuteCommand, Group: t.Group, HealthStatus: health, LastStatus: t.LastStatus,
		LaunchType: t.LaunchType, Memory: t.Memory, PlatformVersion: t.PlatformVersion, StartedBy: t.StartedBy, StopCode: t.StopCode,
		StoppedReason: t.StoppedReason, TaskArn: t.ARN, TaskDefinitionArn: t.TaskDefinitionARN, Version: t.Version}
	if t.LastStatus == "PENDING" || !t.Started.IsZero() {
		o.PullStartedAt = ts(t.PendingAt)
	}
	if !t.Started.IsZero() {
		o.PullStoppedAt, o.StartedAt = ts(t.Started), ts(t.Started)
	}
	if t.PlatformVersion != "" {
		o.PlatformFamily = "Linux"
		o.EphemeralStorage = &struct {
			SizeInGiB int `json:"sizeInGiB"`
		}{20}
	}
	if t.Stopped != nil {
		o.StoppedAt, o.StoppingAt = ts(*t.Stopped), ts(*t.Stopped)
	}
	overrides := []map[string]string{}
	for _, c := range t.Containers {
		co := containerOut{ContainerArn: env.ARN("ecs", regionOf(t.ARN), "container/"+t.ClusterName+"/"+t.ID+"/"+c.ID),
			TaskArn: t.ARN, Name: c.Name, Image: c.Image, LastStatus: t.containerStatus(),
			NetworkBindings: []any{}, HealthStatus: health, Cpu: "0"}
		if !t.Started.IsZero() {
			co.RuntimeID = t.ID + "-" + c.ID[:8]
		}
		co.NetworkInterfaces = []struct {
			AttachmentID       string `json:"attachmentId"`
			PrivateIpv4Address string `json:"privateIpv4Address"`
		}{}
		if t.PrivateIP != "" {
			co.NetworkInterfaces = append(co.NetworkInterfaces, struct {
				AttachmentID       string `json:"attachmentId"`
				PrivateIpv4Address string `json:"privateIpv4Address"`
			}{t.AttachmentID, t.PrivateIP})
		}
		if t.LastStatus == "STOPPED" && !t.Started.IsZero() {
			code := 0
			if t.StopCode != "EssentialContainerExited" {
				code = 137
			}
			co.ExitCode = &code
		}
		if t.LastStatus == "STOPPED" && t.StopCode == "TaskFailedToStart" {
			co.Reason = t.StoppedReason
		}
		o.Containers = append(o.Containers, co)
		overrides = append(overrides, map[string]string{"name": c.Name})
	}
	o.Overrides = map[string]any{"containerOverrides": overrides, "inferenceAcceleratorOverrides": []any{}}
	if t.ENIID != "" {
		status := "ATTACHED"
		switch t.LastStatus {
		case "STOPPED":
			status = "DELETED"
		case "PROVISIONING":
			status = "PRECREATED"
		}
		o.Attachments = append(o.Attachments, attachmentOut{ID: t.AttachmentID, Type: "ElasticNetworkInterface", Status: status,
			Details: []detail{{"subnetId", t.SubnetID}, {"networkInterfaceId", t.ENIID}, {"macAddress", t.MAC},
				{"privateDnsName", "ip-" + strings.ReplaceAll(t.PrivateIP, ".", "-") + ".ec2.internal"}, {"privateIPv4Address", t.PrivateIP}}})
	}
	if withTags {
		o.Tags = tagsOrEmpty(t.Tags)
	}
	return o
}

// healthStatus is the task's health as ECS reports it: from its containers'
// health checks (HEALTHY, UNHEALTHY), UNKNOWN without one or before the
// first check. Load balancer health is not part of it (DescribeTargetHealth
// reports that), as on AWS.
func (t *taskDoc) healthStatus() string {
	if t.HealthCheck && t.Health != "" {
		return t.Health
	}
	return "UNKNOWN"
}

// containerStatus is the containers' lastStatus: PENDING until the task
// runs.
func (t *taskDoc) containerStatus() string {
	switch t.LastStatus {
	case "PROVISIONING", "PENDING", "ACTIVATING":
		return "PENDING"
	}
	return t.LastStatus
}

func regionOf(a string) string {
	r, _, _ := splitARN(a)
	return r
}

// findTask loads a task by id or ARN in a cluster.
func findTask(tx *state.Tx, region, cluster, ref string) (*taskDoc, error) {
	id := lastSegment(ref)
	t, err := getDoc[taskDoc](tx, nsTask, taskKey(region, cluster, id))
	if isNotFound(err) {
		return nil, nil
	}
	return t, err
}

func (s *Service) listTasks(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster           string `json:"cluster"`
		ContainerInstance string `json:"containerInstance"`
		Family            string `json:"family"`
		StartedBy         string `json:"startedBy"`
		ServiceName       string `json:"serviceName"`
		DesiredStatus     string `json:"desiredStatus"`
		LaunchType        string `json:"launchType"`
		NextToken         string `json:"nextToken"`
		MaxResults        int    `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.DesiredStatus == "" {
		req.DesiredStatus = "RUNNING"
	}
	switch req.DesiredStatus {
	case "RUNNING", "PENDING", "STOPPED":
	default:
		return nil, errInvalidParameter("Invalid desiredStatus '%s'.", req.DesiredStatus)
	}
	if req.ServiceName != "" && (req.Family != "" || req.StartedBy != "") {
		return nil, errInvalidParameter("serviceName may not be specified with family or startedBy.")
	}
	region := s.env.RegionOf(r)
	var arns []string
	err := s.view(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		svcName := lastSegment(req.ServiceName)
		if svcName != "" {
			sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, c.Name, svcName))
			if isNotFound(err) {
				return errServiceNotFound()
			}
			if err != nil {
				return err
			}
			_ = sv
		}
		tasks, err := listDocs[taskDoc](tx, nsTask, region+"/"+c.Name+"/")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.DesiredStatus != req.DesiredStatus && !(req.DesiredStatus == "PENDING" && t.LastStatus == "PENDING") {
				continue
			}
			if svcName != "" && t.ServiceName != svcName {
				continue
			}
			if req.StartedBy != "" && t.StartedBy != req.StartedBy {
				continue
			}
			if req.LaunchType != "" && t.LaunchType != req.LaunchType {
				continue
			}
			if req.Family != "" && !strings.Contains(t.TaskDefinitionARN, ":task-definition/"+req.Family+":") {
				continue
			}
			if req.ContainerInstance != "" {
				continue // the sandbox has no container instances
			}
			arns = append(arns, t.ARN)
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
	out := map[string]any{"taskArns": append([]string{}, pg...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (s *Service) describeTasks(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster string   `json:"cluster"`
		Tasks   []string `json:"tasks"`
		Include []string `json:"include"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if len(req.Tasks) == 0 || len(req.Tasks) > 100 {
		return nil, errInvalidParameter("Tasks cannot be empty and can have at most 100 entries.")
	}
	region := s.env.RegionOf(r)
	tags := includes(req.Include)["TAGS"]
	tasks := []taskOut{}
	failures := []failure{}
	err := s.view(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		for _, ref := range req.Tasks {
			t, err := findTask(tx, region, c.Name, ref)
			if err != nil {
				return err
			}
			if t == nil {
				a := ref
				if !strings.HasPrefix(a, "arn:") {
					a = s.arn(region, "task/"+c.Name+"/"+ref)
				}
				failures = append(failures, failure{Arn: a, Reason: "MISSING"})
				continue
			}
			tasks = append(tasks, t.out(s.env, tags))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}

func (s *Service) stopTask(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster string `json:"cluster"`
		Task    string `json:"task"`
		Reason  string `json:"reason"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Task == "" {
		return nil, errInvalidParameter("Task must be specified.")
	}
	if len(req.Reason) > 255 {
		return nil, errInvalidParameter("Reason must be at most 255 characters.")
	}
	region := s.env.RegionOf(r)
	var out taskOut
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		t, err := findTask(tx, region, c.Name, req.Task)
		if err != nil {
			return err
		}
		if t == nil {
			return errInvalidParameter("The referenced task was not found.")
		}
		reason := req.Reason
		if reason == "" {
			reason = "Task stopped by user"
		}
		if err := stopTaskDoc(tx, s.env, t, reason, "UserInitiated"); err != nil {
			return err
		}
		out = t.out(s.env, false)
		if t.ServiceName != "" {
			sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, c.Name, t.ServiceName))
			if err != nil && !isNotFound(err) {
				return err
			}
			if err == nil {
				return reconcile(tx, s.env, region, sv)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"task": out}, nil
}

func (s *Service) runTask(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster                  string         `json:"cluster"`
		TaskDefinition           string         `json:"taskDefinition"`
		Count                    int            `json:"count"`
		LaunchType               string         `json:"launchType"`
		CapacityProviderStrategy []strategyItem `json:"capacityProviderStrategy"`
		PlatformVersion          string         `json:"platformVersion"`
		NetworkConfiguration     *networkConfig `json:"networkConfiguration"`
		Group                    string         `json:"group"`
		StartedBy                string         `json:"startedBy"`
		Tags                     []Tag          `json:"tags"`
		EnableExecuteCommand     bool           `json:"enableExecuteCommand"`
		PropagateTags            string         `json:"propagateTags"`
		EnableECSManagedTags     bool           `json:"enableECSManagedTags"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.TaskDefinition == "" {
		return nil, errInvalidParameter("TaskDefinition must be specified.")
	}
	if req.Count == 0 {
		req.Count = 1
	}
	if req.Count < 1 || req.Count > 10 {
		return nil, errInvalidParameter("Count must be between 1 and 10.")
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	tasks := []taskOut{}
	failures := []failure{}
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
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
		net, err := checkNetwork(tx, region, td, req.NetworkConfiguration)
		if err != nil {
			return err
		}
		if err := checkLaunchType(td, launch, cp); err != nil {
			return err
		}
		if launch == "EC2" || launch == "EXTERNAL" {
			for range req.Count {
				failures = append(failures, failure{Reason: "RESOURCE:CPU", Detail: "No container instances were found in the cluster (the sandbox has none: use FARGATE)."})
			}
			return nil
		}
		group := req.Group
		if group == "" {
			group = "family:" + td.Family
		}
		tags := req.Tags
		if req.PropagateTags == "TASK_DEFINITION" {
			tags, _ = mergeTags(td.Tags, req.Tags)
		}
		if err := purgeStopped(tx, s.env, region, c.Name); err != nil {
			return err
		}
		for i := range req.Count {
			t, err := startTask(tx, s.env, region, c, td, placement{LaunchType: launch, CapacityProvider: cp, Network: net,
				Group: group, StartedBy: req.StartedBy, Tags: tags, ExecuteCommand: req.EnableExecuteCommand}, i)
			if err != nil {
				return err
			}
			tasks = append(tasks, t.out(s.env, false))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}
