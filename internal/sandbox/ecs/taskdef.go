package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Container definitions are stored as the caller sent them, plus what AWS
// adds when it registers a task definition: essential true, hostPort equal
// to containerPort and protocol "tcp" on port mappings in awsvpc and host
// network modes, and empty environment, mountPoints, volumesFrom and
// systemControls lists. The Terraform provider's container definition
// equivalence (container_definitions.go in the provider) ignores exactly
// these, so a plan after apply is clean; anything else is answered as sent.

type familyDoc struct {
	Family       string `json:"family"`
	LastRevision int    `json:"last_revision"`
}

type taskDefDoc struct {
	ARN                     string            `json:"arn"`
	Family                  string            `json:"family"`
	Revision                int               `json:"revision"`
	Status                  string            `json:"status"` // ACTIVE, INACTIVE, DELETE_IN_PROGRESS
	ContainerDefinitions    []json.RawMessage `json:"container_definitions"`
	TaskRoleArn             string            `json:"task_role_arn,omitempty"`
	ExecutionRoleArn        string            `json:"execution_role_arn,omitempty"`
	NetworkMode             string            `json:"network_mode,omitempty"`
	Cpu                     string            `json:"cpu,omitempty"`
	Memory                  string            `json:"memory,omitempty"`
	PidMode                 string            `json:"pid_mode,omitempty"`
	IpcMode                 string            `json:"ipc_mode,omitempty"`
	RequiresCompatibilities []string          `json:"requires_compatibilities,omitempty"`
	Volumes                 json.RawMessage   `json:"volumes,omitempty"`
	PlacementConstraints    json.RawMessage   `json:"placement_constraints,omitempty"`
	RuntimePlatform         json.RawMessage   `json:"runtime_platform,omitempty"`
	ProxyConfiguration      json.RawMessage   `json:"proxy_configuration,omitempty"`
	InferenceAccelerators   json.RawMessage   `json:"inference_accelerators,omitempty"`
	EphemeralStorage        json.RawMessage   `json:"ephemeral_storage,omitempty"`
	EnableFaultInjection    *bool             `json:"enable_fault_injection,omitempty"`
	Registered              time.Time         `json:"registered"`
	Deregistered            *time.Time        `json:"deregistered,omitempty"`
	RegisteredBy            string            `json:"registered_by"`
	Tags                    []Tag             `json:"tags,omitempty"`
}

func taskDefKey(region, family string, rev int) string {
	return fmt.Sprintf("%s/%s/%010d", region, family, rev)
}

var familyRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// containerInfo is the part of a container definition the sandbox checks.
type containerInfo struct {
	Name              string `json:"name"`
	Image             string `json:"image"`
	Essential         *bool  `json:"essential"`
	Memory            *int   `json:"memory"`
	MemoryReservation *int   `json:"memoryReservation"`
	PortMappings      []struct {
		ContainerPort *int   `json:"containerPort"`
		HostPort      *int   `json:"hostPort"`
		Protocol      string `json:"protocol"`
		Name          string `json:"name"`
	} `json:"portMappings"`
	LogConfiguration *struct {
		LogDriver string `json:"logDriver"`
	} `json:"logConfiguration"`
	HealthCheck *json.RawMessage `json:"healthCheck"`
}

func (td *taskDefDoc) containers() []containerInfo {
	var out []containerInfo
	for _, raw := range td.ContainerDefinitions {
		var c containerInfo
		_ = json.Unmarshal(raw, &c)
		out = append(out, c)
	}
	return out
}

// fargateMemory lists the memory sizes (MiB) Fargate offers for a CPU size.
func fargateMemory(cpu int) (lo, hi, step int, ok bool) {
	switch cpu {
	case 256:
		return 512, 2048, 512, true // 512, 1024, 2048 (checked below)
	case 512:
		return 1024, 4096, 1024, true
	case 1024:
		return 2048, 8192, 1024, true
	case 2048:
		return 4096, 16384, 1024, true
	case 4096:
		return 8192, 30720, 1024, true
	case 8192:
		return 16384, 61440, 4096, true
	case 16384:
		return 32768, 122880, 8192, true
	}
	return 0, 0, 0, false
}

func validFargateSize(cpu, mem string) bool {
	c, err1 := strconv.Atoi(cpu)
	m, err2 := strconv.Atoi(mem)
	if err1 != nil || err2 != nil {
		return false
	}
	lo, hi, step, ok := fargateMemory(c)
	if !ok || m < lo || m > hi || (m-lo)%step != 0 {
		return false
	}
	return c != 256 || m == 512 || m == 1024 || m == 2048
}

var unitRE = regexp.MustCompile(`^\s*([0-9.]+)\s*(?i:(vcpu|gb|mb|mib|gib))?\s*$`)

// normalizeUnits turns "1 vCPU" into "1024" and "2 GB" into "2048", as
// RegisterTaskDefinition does.
func normalizeUnits(v string, isCPU bool) (string, error) {
	if v == "" {
		return "", nil
	}
	m := unitRE.FindStringSubmatch(v)
	if m == nil {
		return "", errClient("Invalid '%s' setting for task.", map[bool]string{true: "cpu", false: "memory"}[isCPU])
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return "", errClient("Invalid setting %q for task.", v)
	}
	switch strings.ToLower(m[2]) {
	case "vcpu", "gb", "gib":
		n *= 1024
	}
	return strconv.Itoa(int(n)), nil
}

type registerIn struct {
	Family                  string            `json:"family"`
	ContainerDefinitions    []json.RawMessage `json:"containerDefinitions"`
	TaskRoleArn             string            `json:"taskRoleArn"`
	ExecutionRoleArn        string            `json:"executionRoleArn"`
	NetworkMode             string            `json:"networkMode"`
	Cpu                     string            `json:"cpu"`
	Memory                  string            `json:"memory"`
	PidMode                 string            `json:"pidMode"`
	IpcMode                 string            `json:"ipcMode"`
	RequiresCompatibilities []string          `json:"requiresCompatibilities"`
	Volumes                 json.RawMessage   `json:"volumes"`
	PlacementConstraints    json.RawMessage   `json:"placementConstraints"`
	RuntimePlatform         json.RawMessage   `json:"runtimePlatform"`
	ProxyConfiguration      json.RawMessage   `json:"proxyConfiguration"`
	InferenceAccelerators   json.RawMessage   `json:"inferenceAccelerators"`
	EphemeralStorage        json.RawMessage   `json:"ephemeralStorage"`
	EnableFaultInjection    *bool             `json:"enableFaultInjection"`
	Tags                    []Tag             `json:"tags"`
}

var roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)

// normalizeContainer applies AWS's registration defaults to one container
// definition and checks it.
func normalizeContainer(raw json.RawMessage, networkMode string) (json.RawMessage, containerInfo, error) {
	var info containerInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, info, protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse container definition: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, info, protocol.Errorf(http.StatusBadRequest, "SerializationException", "a container definition must be an object")
	}
	if info.Name == "" {
		return nil, info, errClient("Container.name should not be null or empty.")
	}
	if !nameRE.MatchString(info.Name) {
		return nil, info, errClient("Container.name can only contain letters, numbers, underscores and hyphens.")
	}
	if info.Image == "" {
		return nil, info, errClient("Container.image should not be null or empty.")
	}
	if _, ok := m["essential"]; !ok {
		m["essential"] = true
	}
	if pms, ok := m["portMappings"].([]any); ok {
		for i, pmRaw := range pms {
			pm, ok := pmRaw.(map[string]any)
			if !ok {
				continue
			}
			p := info.PortMappings[i]
			if p.ContainerPort == nil {
				return nil, info, errClient("Container '%s': portMappings.containerPort should not be null.", info.Name)
			}
			if *p.ContainerPort < 0 || *p.ContainerPort > 65535 {
				return nil, info, errClient("Container '%s': invalid container port %d.", info.Name, *p.ContainerPort)
			}
			if networkMode == "awsvpc" || networkMode == "host" {
				if p.HostPort != nil && *p.HostPort != 0 && *p.HostPort != *p.ContainerPort {
					return nil, info, errClient("When networkMode=%s, the host ports and container ports in port mappings must match.", networkMode)
				}
				pm["hostPort"] = json.Number(strconv.Itoa(*p.ContainerPort))
			}
			switch p.Protocol {
			case "":
				pm["protocol"] = "tcp"
			case "tcp", "udp":
			default:
				return nil, info, errClient("Container '%s': protocol must be tcp or udp.", info.Name)
			}
		}
	}
	for _, k := range []string{"environment", "mountPoints", "volumesFrom", "systemControls"} {
		if _, ok := m[k]; !ok {
			m[k] = []any{}
		}
	}
	if _, ok := m["cpu"]; !ok {
		m["cpu"] = json.Number("0")
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, info, err
	}
	return out, info, nil
}

func (s *Service) registerTaskDefinition(ctx context.Context, r *Request, in []byte) (any, error) {
	var req registerIn
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	if !familyRE.MatchString(req.Family) {
		return nil, errClient("Family must be 1-255 letters, numbers, underscores and hyphens.")
	}
	if len(req.ContainerDefinitions) == 0 {
		return nil, errClient("Container list cannot be empty.")
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	for _, a := range []string{req.TaskRoleArn, req.ExecutionRoleArn} {
		if a != "" && !roleARNRE.MatchString(a) {
			return nil, errClient("Role is not valid: %s", a)
		}
	}
	switch req.NetworkMode {
	case "", "bridge", "host", "awsvpc", "none":
	default:
		return nil, errClient("Invalid networkMode '%s'.", req.NetworkMode)
	}
	cpu, err := normalizeUnits(req.Cpu, true)
	if err != nil {
		return nil, err
	}
	mem, err := normalizeUnits(req.Memory, false)
	if err != nil {
		return nil, err
	}
	fargate := false
	for _, c := range req.RequiresCompatibilities {
		switch c {
		case "FARGATE":
			fargate = true
		case "EC2", "EXTERNAL", "MANAGED_INSTANCES":
		default:
			return nil, errClient("Invalid requiresCompatibilities value '%s'.", c)
		}
	}
	td := &taskDefDoc{Family: req.Family, Status: "ACTIVE", TaskRoleArn: req.TaskRoleArn, ExecutionRoleArn: req.ExecutionRoleArn,
		NetworkMode: req.NetworkMode, Cpu: cpu, Memory: mem, PidMode: req.PidMode, IpcMode: req.IpcMode,
		RequiresCompatibilities: req.RequiresCompatibilities, EnableFaultInjection: req.EnableFaultInjection,
		Registered: s.now(), RegisteredBy: "arn:aws:iam::" + s.env.AccountID + ":root", Tags: req.Tags}
	if td.NetworkMode == "" && !fargate {
		td.NetworkMode = "bridge"
	}
	for _, raw := range []struct {
		dst *json.RawMessage
		src json.RawMessage
	}{{&td.Volumes, req.Volumes}, {&td.PlacementConstraints, req.PlacementConstraints}, {&td.RuntimePlatform, req.RuntimePlatform},
		{&td.ProxyConfiguration, req.ProxyConfiguration}, {&td.InferenceAccelerators, req.InferenceAccelerators}, {&td.EphemeralStorage, req.EphemeralStorage}} {
		if len(raw.src) > 0 && string(raw.src) != "null" {
			*raw.dst = raw.src
		}
	}
	names := map[string]bool{}
	awslogs := false
	for _, raw := range req.ContainerDefinitions {
		norm, info, err := normalizeContainer(raw, td.NetworkMode)
		if err != nil {
			return nil, err
		}
		if names[info.Name] {
			return nil, errClient("Container names must be unique: '%s' is used more than once.", info.Name)
		}
		names[info.Name] = true
		if mem == "" && info.Memory == nil && info.MemoryReservation == nil {
			return nil, errClient("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", info.Name)
		}
		if info.LogConfiguration != nil && info.LogConfiguration.LogDriver == "awslogs" {
			awslogs = true
		}
		td.ContainerDefinitions = append(td.ContainerDefinitions, norm)
	}
	essential := false
	for _, c := range td.containers() {
		if c.Essential == nil || *c.Essential {
			essential = true
		}
	}
	if !essential {
		return nil, errClient("Task definition must have at least one essential container.")
	}
	if fargate {
		if td.NetworkMode != "awsvpc" {
			return nil, errClient("Fargate only supports network mode 'awsvpc'.")
		}
		if cpu == "" {
			return nil, errClient("Fargate requires that 'cpu' be defined at the task level.")
		}
		if mem == "" {
			return nil, errClient("Fargate requires that 'memory' be defined at the task level.")
		}
		if !validFargateSize(cpu, mem) {
			return nil, errClient("No Fargate configuration exists for given values: %s CPU, %s memory. See the Amazon ECS documentation for the valid values.", cpu, mem)
		}
		if awslogs && td.ExecutionRoleArn == "" {
			return nil, errClient("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
		}
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		fam, err := getDoc[familyDoc](tx, nsFamily, region+"/"+req.Family)
		if isNotFound(err) {
			fam, err = &familyDoc{Family: req.Family}, nil
		}
		if err != nil {
			return err
		}
		fam.LastRevision++
		td.Revision = fam.LastRevision
		td.ARN = s.arn(region, fmt.Sprintf("task-definition/%s:%d", req.Family, td.Revision))
		if err := tx.Put(nsFamily, region+"/"+req.Family, fam); err != nil {
			return err
		}
		return tx.Put(nsTaskDef, taskDefKey(region, req.Family, td.Revision), td)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"taskDefinition": td.out(), "tags": tagsOrEmpty(td.Tags)}, nil
}

type attribute struct {
	Name string `json:"name"`
}

type taskDefOut struct {
	TaskDefinitionArn       string            `json:"taskDefinitionArn"`
	ContainerDefinitions    []json.RawMessage `json:"containerDefinitions"`
	Family                  string            `json:"family"`
	TaskRoleArn             string            `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string            `json:"executionRoleArn,omitempty"`
	NetworkMode             string            `json:"networkMode,omitempty"`
	Revision                int               `json:"revision"`
	Volumes                 json.RawMessage   `json:"volumes"`
	Status                  string            `json:"status"`
	RequiresAttributes      []attribute       `json:"requiresAttributes"`
	PlacementConstraints    json.RawMessage   `json:"placementConstraints"`
	Compatibilities         []string          `json:"compatibilities"`
	RuntimePlatform         json.RawMessage   `json:"runtimePlatform,omitempty"`
	RequiresCompatibilities []string          `json:"requiresCompatibilities,omitempty"`
	Cpu                     string            `json:"cpu,omitempty"`
	Memory                  string            `json:"memory,omitempty"`
	PidMode                 string            `json:"pidMode,omitempty"`
	IpcMode                 string            `json:"ipcMode,omitempty"`
	ProxyConfiguration      json.RawMessage   `json:"proxyConfiguration,omitempty"`
	InferenceAccelerators   json.RawMessage   `json:"inferenceAccelerators,omitempty"`
	EphemeralStorage        json.RawMessage   `json:"ephemeralStorage,omitempty"`
	EnableFaultInjection    *bool             `json:"enableFaultInjection,omitempty"`
	RegisteredAt            *epoch            `json:"registeredAt"`
	DeregisteredAt          *epoch            `json:"deregisteredAt,omitempty"`
	RegisteredBy            string            `json:"registeredBy"`
}

func (td *taskDefDoc) out() taskDefOut {
	o := taskDefOut{TaskDefinitionArn: td.ARN, ContainerDefinitions: td.ContainerDefinitions, Family: td.Family,
		TaskRoleArn: td.TaskRoleArn, ExecutionRoleArn: td.ExecutionRoleArn, NetworkMode: td.NetworkMode, Revision: td.Revision,
		Volumes: td.Volumes, Status: td.Status, PlacementConstraints: td.PlacementConstraints,
		RuntimePlatform: td.RuntimePlatform, RequiresCompatibilities: td.RequiresCompatibilities, Cpu: td.Cpu, Memory: td.Memory,
		PidMode: td.PidMode, IpcMode: td.IpcMode, ProxyConfiguration: td.ProxyConfiguration,
		InferenceAccelerators: td.InferenceAccelerators, EphemeralStorage: td.EphemeralStorage,
		EnableFaultInjection: td.EnableFaultInjection, RegisteredAt: ts(td.Registered), RegisteredBy: td.RegisteredBy}
	if td.Deregistered != nil {
		o.DeregisteredAt = ts(*td.Deregistered)
	}
	if len(o.Volumes) == 0 {
		o.Volumes = json.RawMessage("[]")
	}
	if len(o.PlacementConstraints) == 0 {
		o.PlacementConstraints = json.RawMessage("[]")
	}
	o.Compatibilities = []string{"EC2"}
	if td.NetworkMode == "awsvpc" && td.Cpu != "" && td.Memory != "" && validFargateSize(td.Cpu, td.Memory) {
		o.Compatibilities = append(o.Compatibilities, "FARGATE")
	}
	if td.NetworkMode != "awsvpc" {
		o.Compatibilities = append([]string{"EXTERNAL"}, o.Compatibilities...)
	}
	attrs := map[string]bool{"com.amazonaws.ecs.capability.docker-remote-api.1.18": true}
	if td.TaskRoleArn != "" {
		attrs["com.amazonaws.ecs.capability.task-iam-role"] = true
	}
	if td.NetworkMode == "awsvpc" {
		attrs["ecs.capability.task-eni"] = true
	}
	for _, c := range td.containers() {
		if c.LogConfiguration != nil && c.LogConfiguration.LogDriver != "" {
			attrs["com.amazonaws.ecs.capability.logging-driver."+c.LogConfiguration.LogDriver] = true
			if c.LogConfiguration.LogDriver == "awslogs" && td.ExecutionRoleArn != "" {
				attrs["ecs.capability.execution-role-awslogs"] = true
			}
		}
	}
	for _, k := range sortedKeys(attrs) {
		o.RequiresAttributes = append(o.RequiresAttributes, attribute{Name: k})
	}
	return o
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resolveTaskDef finds a task definition given as family, family:revision
// or ARN. A bare family is its latest ACTIVE revision.
func resolveTaskDef(tx *state.Tx, region, ref string) (*taskDefDoc, error) {
	notFound := errClient("Unable to describe task definition.")
	v := ref
	if strings.HasPrefix(v, "arn:") {
		rg, res, ok := splitARN(v)
		rest, found := strings.CutPrefix(res, "task-definition/")
		if !ok || !found {
			return nil, notFound
		}
		region, v = rg, rest
	}
	family, revStr, hasRev := strings.Cut(v, ":")
	if !familyRE.MatchString(family) {
		return nil, notFound
	}
	if hasRev {
		rev, err := strconv.Atoi(revStr)
		if err != nil || rev < 1 {
			return nil, notFound
		}
		td, err := getDoc[taskDefDoc](tx, nsTaskDef, taskDefKey(region, family, rev))
		if isNotFound(err) {
			return nil, notFound
		}
		return td, err
	}
	all, err := listDocs[taskDefDoc](tx, nsTaskDef, region+"/"+family+"/")
	if err != nil {
		return nil, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Status == "ACTIVE" {
			return &all[i], nil
		}
	}
	return nil, notFound
}

func (s *Service) describeTaskDefinition(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		TaskDefinition string   `json:"taskDefinition"`
		Include        []string `json:"include"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.TaskDefinition == "" {
		return nil, errClient("taskDefinition must be specified.")
	}
	var td *taskDefDoc
	err := s.view(ctx, func(tx *state.Tx) error {
		var err error
		td, err = resolveTaskDef(tx, s.env.RegionOf(r), req.TaskDefinition)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"taskDefinition": td.out()}
	if includes(req.Include)["TAGS"] {
		out["tags"] = tagsOrEmpty(td.Tags)
	}
	return out, nil
}

func (s *Service) deregisterTaskDefinition(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ref := req.TaskDefinition
	if !strings.Contains(ref, ":") || (strings.HasPrefix(ref, "arn:") && !strings.Contains(ref[strings.LastIndexByte(ref, '/'):], ":")) {
		return nil, errClient("A revision must be specified to deregister a task definition.")
	}
	region := s.env.RegionOf(r)
	var td *taskDefDoc
	err := s.update(ctx, func(tx *state.Tx) error {
		var err error
		td, err = resolveTaskDef(tx, region, ref)
		if err != nil {
			return err
		}
		if td.Status == "DELETE_IN_PROGRESS" {
			return errClient("The specified task definition is being deleted.")
		}
		if td.Status == "ACTIVE" {
			now := s.now()
			td.Status, td.Deregistered = "INACTIVE", &now
		}
		rg, _, _ := splitARN(td.ARN)
		return tx.Put(nsTaskDef, taskDefKey(rg, td.Family, td.Revision), td)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"taskDefinition": td.out()}, nil
}

func (s *Service) deleteTaskDefinitions(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		TaskDefinitions []string `json:"taskDefinitions"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if len(req.TaskDefinitions) == 0 || len(req.TaskDefinitions) > 10 {
		return nil, errInvalidParameter("Between 1 and 10 task definitions can be deleted at once.")
	}
	region := s.env.RegionOf(r)
	tds := []taskDefOut{}
	failures := []failure{}
	err := s.update(ctx, func(tx *state.Tx) error {
		for _, ref := range req.TaskDefinitions {
			td, err := resolveTaskDef(tx, region, ref)
			if err != nil {
				failures = append(failures, failure{Arn: ref, Reason: "TASK_DEFINITION_NOT_FOUND", Detail: "The specified task definition does not exist."})
				continue
			}
			if td.Status == "ACTIVE" {
				failures = append(failures, failure{Arn: td.ARN, Reason: "The specified task definition is still in ACTIVE status. Please deregister the target and try again."})
				continue
			}
			td.Status = "DELETE_IN_PROGRESS"
			rg, _, _ := splitARN(td.ARN)
			if err := tx.Put(nsTaskDef, taskDefKey(rg, td.Family, td.Revision), td); err != nil {
				return err
			}
			tds = append(tds, td.out())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"taskDefinitions": tds, "failures": failures}, nil
}

func (s *Service) listTaskDefinitions(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		FamilyPrefix string `json:"familyPrefix"`
		Status       string `json:"status"`
		Sort         string `json:"sort"`
		NextToken    string `json:"nextToken"`
		MaxResults   int    `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Status == "" {
		req.Status = "ACTIVE"
	}
	if req.Status != "ACTIVE" && req.Status != "INACTIVE" && req.Status != "DELETE_IN_PROGRESS" {
		return nil, errInvalidParameter("Invalid status '%s'.", req.Status)
	}
	if req.Sort != "" && req.Sort != "ASC" && req.Sort != "DESC" {
		return nil, errInvalidParameter("Invalid sort '%s'.", req.Sort)
	}
	region := s.env.RegionOf(r)
	type item struct{ key, arn string }
	var items []item
	err := s.view(ctx, func(tx *state.Tx) error {
		prefix := region + "/"
		if req.FamilyPrefix != "" {
			prefix += req.FamilyPrefix + "/"
		}
		all, err := listDocs[taskDefDoc](tx, nsTaskDef, prefix)
		if err != nil {
			return err
		}
		for _, td := range all {
			if td.Status == req.Status {
				items = append(items, item{key: fmt.Sprintf("%s/%010d", td.Family, td.Revision), arn: td.ARN})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	keyOf := func(it item) string { return it.key }
	if req.Sort == "DESC" {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
		keyOf = func(it item) string { return invert(it.key) }
	}
	pg, next, err := pageOf(items, keyOf, req.NextToken, req.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	arns := []string{}
	for _, it := range pg {
		arns = append(arns, it.arn)
	}
	out := map[string]any{"taskDefinitionArns": arns}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// invert maps a key to one that sorts in the opposite order (for DESC
// pagination tokens).
func invert(k string) string {
	b := []byte(k)
	for i := range b {
		b[i] = 255 - b[i]
	}
	return fmt.Sprintf("%x", b)
}

func (s *Service) listTaskDefinitionFamilies(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		FamilyPrefix string `json:"familyPrefix"`
		Status       string `json:"status"`
		NextToken    string `json:"nextToken"`
		MaxResults   int    `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Status == "" {
		req.Status = "ACTIVE"
	}
	if req.Status != "ACTIVE" && req.Status != "INACTIVE" && req.Status != "ALL" {
		return nil, errInvalidParameter("Invalid status '%s'.", req.Status)
	}
	region := s.env.RegionOf(r)
	var families []string
	err := s.view(ctx, func(tx *state.Tx) error {
		fams, err := listDocs[familyDoc](tx, nsFamily, region+"/"+req.FamilyPrefix)
		if err != nil {
			return err
		}
		for _, f := range fams {
			tds, err := listDocs[taskDefDoc](tx, nsTaskDef, region+"/"+f.Family+"/")
			if err != nil {
				return err
			}
			active := false
			for _, td := range tds {
				if td.Status == "ACTIVE" {
					active = true
				}
			}
			if req.Status == "ALL" || (req.Status == "ACTIVE") == active {
				families = append(families, f.Family)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(families)
	pg, next, err := pageOf(families, func(f string) string { return f }, req.NextToken, req.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"families": append([]string{}, pg...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}
