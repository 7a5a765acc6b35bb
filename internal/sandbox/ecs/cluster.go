package ecs

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type strategyItem struct {
	CapacityProvider string `json:"capacityProvider"`
	Weight           int    `json:"weight"`
	Base             int    `json:"base"`
}

type clusterDoc struct {
	ARN                    string          `json:"arn"`
	Name                   string          `json:"name"`
	Status                 string          `json:"status"` // ACTIVE, INACTIVE
	Settings               []nameValue     `json:"settings"`
	Configuration          json.RawMessage `json:"configuration,omitempty"`
	ServiceConnectDefaults *string         `json:"service_connect_namespace,omitempty"`
	CapacityProviders      []string        `json:"capacity_providers"`
	DefaultStrategy        []strategyItem  `json:"default_strategy"`
	Tags                   []Tag           `json:"tags,omitempty"`
	Created                time.Time       `json:"created"`
}

type clusterOut struct {
	ClusterArn                        string          `json:"clusterArn"`
	ClusterName                       string          `json:"clusterName"`
	Status                            string          `json:"status"`
	RegisteredContainerInstancesCount int             `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int             `json:"runningTasksCount"`
	PendingTasksCount                 int             `json:"pendingTasksCount"`
	ActiveServicesCount               int             `json:"activeServicesCount"`
	Statistics                        []nameValue     `json:"statistics"`
	Tags                              []Tag           `json:"tags,omitempty"`
	Settings                          []nameValue     `json:"settings,omitempty"`
	Configuration                     json.RawMessage `json:"configuration,omitempty"`
	CapacityProviders                 []string        `json:"capacityProviders"`
	DefaultCapacityProviderStrategy   []strategyItem  `json:"defaultCapacityProviderStrategy"`
	ServiceConnectDefaults            *struct {
		Namespace string `json:"namespace"`
	} `json:"serviceConnectDefaults,omitempty"`
}

func clusterKey(region, name string) string { return region + "/" + name }

// clusterByName loads an ACTIVE cluster, answering ClusterNotFoundException.
func clusterByName(tx *state.Tx, region, nameOrARN string) (*clusterDoc, error) {
	name, err := clusterName(nameOrARN)
	if err != nil {
		return nil, err
	}
	c, err := getDoc[clusterDoc](tx, nsCluster, clusterKey(region, name))
	if isNotFound(err) || (err == nil && c.Status != "ACTIVE") {
		return nil, errClusterNotFound()
	}
	return c, err
}

// include answers which optional parts a Describe call asked for.
type include map[string]bool

func includes(list []string) include {
	m := include{}
	for _, v := range list {
		m[v] = true
	}
	return m
}

func (s *Service) clusterOut(tx *state.Tx, region string, c *clusterDoc, inc include) (clusterOut, error) {
	out := clusterOut{ClusterArn: c.ARN, ClusterName: c.Name, Status: c.Status, Statistics: []nameValue{},
		CapacityProviders: c.CapacityProviders, DefaultCapacityProviderStrategy: c.DefaultStrategy}
	if out.CapacityProviders == nil {
		out.CapacityProviders = []string{}
	}
	if out.DefaultCapacityProviderStrategy == nil {
		out.DefaultCapacityProviderStrategy = []strategyItem{}
	}
	if inc["TAGS"] {
		out.Tags = tagsOrEmpty(c.Tags)
	}
	if inc["SETTINGS"] {
		out.Settings = c.Settings
	}
	if inc["CONFIGURATIONS"] {
		out.Configuration = c.Configuration
	}
	if c.ServiceConnectDefaults != nil {
		out.ServiceConnectDefaults = &struct {
			Namespace string `json:"namespace"`
		}{*c.ServiceConnectDefaults}
	}
	if c.Status == "ACTIVE" && tx != nil {
		svcs, err := listDocs[serviceDoc](tx, nsService, region+"/"+c.Name+"/")
		if err != nil {
			return out, err
		}
		for _, sv := range svcs {
			if sv.Status == "ACTIVE" {
				out.ActiveServicesCount++
			}
		}
		tasks, err := listDocs[taskDoc](tx, nsTask, region+"/"+c.Name+"/")
		if err != nil {
			return out, err
		}
		for _, t := range tasks {
			switch t.LastStatus {
			case "RUNNING":
				out.RunningTasksCount++
			case "PENDING", "PROVISIONING":
				out.PendingTasksCount++
			}
		}
	}
	return out, nil
}

type clusterSettingsIn struct {
	Settings []nameValue `json:"settings"`
}

func checkClusterSettings(settings []nameValue) ([]nameValue, error) {
	out := []nameValue{{Name: "containerInsights", Value: "disabled"}}
	for _, st := range settings {
		if st.Name != "containerInsights" {
			return nil, errInvalidParameter("Unknown cluster setting name '%s'.", st.Name)
		}
		switch st.Value {
		case "enabled", "disabled", "enhanced":
		default:
			return nil, errInvalidParameter("containerInsights can only be set to 'enabled', 'disabled' or 'enhanced'.")
		}
		out[0].Value = st.Value
	}
	return out, nil
}

func checkCapacityProviders(providers []string, strategy []strategyItem) error {
	have := map[string]bool{}
	for _, p := range providers {
		if p != "FARGATE" && p != "FARGATE_SPOT" {
			return errInvalidParameter("The specified capacity provider '%s' does not exist. The sandbox has the FARGATE and FARGATE_SPOT capacity providers only.", p)
		}
		have[p] = true
	}
	bases := 0
	for _, it := range strategy {
		if !have[it.CapacityProvider] {
			return errInvalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
		}
		if it.Weight < 0 || it.Weight > 1000 || it.Base < 0 || it.Base > 100000 {
			return errInvalidParameter("Capacity provider strategy weight must be 0-1000 and base 0-100000.")
		}
		if it.Base > 0 {
			bases++
		}
	}
	if bases > 1 {
		return errInvalidParameter("Only one capacity provider in a strategy can have a base defined.")
	}
	return nil
}

type createClusterIn struct {
	ClusterName                     string          `json:"clusterName"`
	Tags                            []Tag           `json:"tags"`
	Settings                        []nameValue     `json:"settings"`
	Configuration                   json.RawMessage `json:"configuration"`
	CapacityProviders               []string        `json:"capacityProviders"`
	DefaultCapacityProviderStrategy []strategyItem  `json:"defaultCapacityProviderStrategy"`
	ServiceConnectDefaults          *struct {
		Namespace string `json:"namespace"`
	} `json:"serviceConnectDefaults"`
}

func checkConfiguration(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var cfg struct {
		ExecuteCommandConfiguration *struct {
			Logging string `json:"logging"`
		} `json:"executeCommandConfiguration"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse configuration: %v", err)
	}
	if e := cfg.ExecuteCommandConfiguration; e != nil {
		switch e.Logging {
		case "", "NONE", "DEFAULT", "OVERRIDE":
		default:
			return errInvalidParameter("executeCommandConfiguration.logging must be NONE, DEFAULT or OVERRIDE.")
		}
	}
	return nil
}

func (s *Service) createCluster(ctx context.Context, r *Request, in []byte) (any, error) {
	var req createClusterIn
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	name, err := clusterName(req.ClusterName)
	if err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	settings, err := checkClusterSettings(req.Settings)
	if err != nil {
		return nil, err
	}
	if err := checkConfiguration(req.Configuration); err != nil {
		return nil, err
	}
	if err := checkCapacityProviders(req.CapacityProviders, req.DefaultCapacityProviderStrategy); err != nil {
		return nil, err
	}
	var out clusterOut
	err = s.update(ctx, func(tx *state.Tx) error {
		existing, err := getDoc[clusterDoc](tx, nsCluster, clusterKey(region, name))
		if err == nil && existing.Status == "ACTIVE" {
			// CreateCluster of an existing cluster answers it unchanged.
			out, err = s.clusterOut(tx, region, existing, include{"TAGS": true, "SETTINGS": true, "CONFIGURATIONS": true})
			return err
		}
		if err != nil && !isNotFound(err) {
			return err
		}
		if len(req.Settings) == 0 {
			v, _, err := accountSetting(tx, region, "containerInsights")
			if err != nil {
				return err
			}
			settings[0].Value = v
		}
		c := &clusterDoc{ARN: s.arn(region, "cluster/"+name), Name: name, Status: "ACTIVE", Settings: settings,
			CapacityProviders: req.CapacityProviders, DefaultStrategy: req.DefaultCapacityProviderStrategy,
			Tags: req.Tags, Created: s.now()}
		if len(req.Configuration) > 0 && string(req.Configuration) != "null" {
			c.Configuration = req.Configuration
		}
		if req.ServiceConnectDefaults != nil {
			ns := req.ServiceConnectDefaults.Namespace
			c.ServiceConnectDefaults = &ns
		}
		if err := tx.Put(nsCluster, clusterKey(region, name), c); err != nil {
			return err
		}
		out, err = s.clusterOut(tx, region, c, include{"TAGS": true, "SETTINGS": true, "CONFIGURATIONS": true})
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": out}, nil
}

type failure struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

func (s *Service) describeClusters(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Clusters []string `json:"clusters"`
		Include  []string `json:"include"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	for _, v := range req.Include {
		switch v {
		case "ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS":
		default:
			return nil, errInvalidParameter("Invalid include value '%s'.", v)
		}
	}
	if len(req.Clusters) > 100 {
		return nil, errInvalidParameter("At most 100 clusters can be described at once.")
	}
	region := s.env.RegionOf(r)
	names := req.Clusters
	if len(names) == 0 {
		names = []string{"default"}
	}
	inc := includes(req.Include)
	clusters := []clusterOut{}
	failures := []failure{}
	err := s.view(ctx, func(tx *state.Tx) error {
		for _, n := range names {
			name, err := clusterName(n)
			if err != nil {
				failures = append(failures, failure{Arn: n, Reason: "MISSING"})
				continue
			}
			c, err := getDoc[clusterDoc](tx, nsCluster, clusterKey(region, name))
			if isNotFound(err) {
				failures = append(failures, failure{Arn: s.arn(region, "cluster/"+name), Reason: "MISSING"})
				continue
			}
			if err != nil {
				return err
			}
			out, err := s.clusterOut(tx, region, c, inc)
			if err != nil {
				return err
			}
			clusters = append(clusters, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"clusters": clusters, "failures": failures}, nil
}

func (s *Service) modifyCluster(ctx context.Context, r *Request, cluster string, fn func(c *clusterDoc) error) (any, error) {
	region := s.env.RegionOf(r)
	var out clusterOut
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, cluster)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if err := tx.Put(nsCluster, clusterKey(region, c.Name), c); err != nil {
			return err
		}
		out, err = s.clusterOut(tx, region, c, include{"SETTINGS": true, "CONFIGURATIONS": true})
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": out}, nil
}

func (s *Service) updateCluster(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster                string          `json:"cluster"`
		Settings               []nameValue     `json:"settings"`
		Configuration          json.RawMessage `json:"configuration"`
		ServiceConnectDefaults *struct {
			Namespace string `json:"namespace"`
		} `json:"serviceConnectDefaults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Cluster == "" {
		return nil, errInvalidParameter("Cluster must be specified.")
	}
	if err := checkConfiguration(req.Configuration); err != nil {
		return nil, err
	}
	return s.modifyCluster(ctx, r, req.Cluster, func(c *clusterDoc) error {
		if req.Settings != nil {
			settings, err := checkClusterSettings(req.Settings)
			if err != nil {
				return err
			}
			c.Settings = settings
		}
		if len(req.Configuration) > 0 && string(req.Configuration) != "null" {
			c.Configuration = req.Configuration
		}
		if req.ServiceConnectDefaults != nil {
			ns := req.ServiceConnectDefaults.Namespace
			c.ServiceConnectDefaults = &ns
		}
		return nil
	})
}

func (s *Service) updateClusterSettings(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster  string      `json:"cluster"`
		Settings []nameValue `json:"settings"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Cluster == "" || len(req.Settings) == 0 {
		return nil, errInvalidParameter("Cluster and settings must be specified.")
	}
	settings, err := checkClusterSettings(req.Settings)
	if err != nil {
		return nil, err
	}
	return s.modifyCluster(ctx, r, req.Cluster, func(c *clusterDoc) error {
		c.Settings = settings
		return nil
	})
}

func (s *Service) putClusterCapacityProviders(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster                         string         `json:"cluster"`
		CapacityProviders               []string       `json:"capacityProviders"`
		DefaultCapacityProviderStrategy []strategyItem `json:"defaultCapacityProviderStrategy"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Cluster == "" || req.CapacityProviders == nil || req.DefaultCapacityProviderStrategy == nil {
		return nil, errInvalidParameter("Cluster, capacityProviders and defaultCapacityProviderStrategy must be specified.")
	}
	if err := checkCapacityProviders(req.CapacityProviders, req.DefaultCapacityProviderStrategy); err != nil {
		return nil, err
	}
	return s.modifyCluster(ctx, r, req.Cluster, func(c *clusterDoc) error {
		c.CapacityProviders = req.CapacityProviders
		c.DefaultStrategy = req.DefaultCapacityProviderStrategy
		return nil
	})
}

func (s *Service) deleteCluster(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Cluster string `json:"cluster"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Cluster == "" {
		return nil, errInvalidParameter("Cluster must be specified.")
	}
	region := s.env.RegionOf(r)
	var out clusterOut
	err := s.update(ctx, func(tx *state.Tx) error {
		c, err := clusterByName(tx, region, req.Cluster)
		if err != nil {
			return err
		}
		svcs, err := listDocs[serviceDoc](tx, nsService, region+"/"+c.Name+"/")
		if err != nil {
			return err
		}
		for _, sv := range svcs {
			if sv.Status == "ACTIVE" || sv.Status == "DRAINING" {
				return protocol.Errorf(http.StatusBadRequest, "ClusterContainsServicesException",
					"The Cluster cannot be deleted while Services are active.")
			}
		}
		tasks, err := listDocs[taskDoc](tx, nsTask, region+"/"+c.Name+"/")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.LastStatus != "STOPPED" {
				return protocol.Errorf(http.StatusBadRequest, "ClusterContainsTasksException",
					"The Cluster cannot be deleted while Tasks are active.")
			}
		}
		if err := tx.DeletePrefix(nsTask, region+"/"+c.Name+"/"); err != nil {
			return err
		}
		c.Status = "INACTIVE"
		if err := tx.Put(nsCluster, clusterKey(region, c.Name), c); err != nil {
			return err
		}
		out, err = s.clusterOut(tx, region, c, include{"SETTINGS": true, "CONFIGURATIONS": true})
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": out}, nil
}

func (s *Service) listClusters(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		NextToken  string `json:"nextToken"`
		MaxResults int    `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var arns []string
	err := s.view(ctx, func(tx *state.Tx) error {
		all, err := listDocs[clusterDoc](tx, nsCluster, region+"/")
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.Status == "ACTIVE" {
				arns = append(arns, c.ARN)
			}
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
	out := map[string]any{"clusterArns": append([]string{}, pg...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// The sandbox's capacity providers are the two AWS gives every account.
var builtinCapacityProviders = []string{"FARGATE", "FARGATE_SPOT"}

func (s *Service) describeCapacityProviders(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		CapacityProviders []string `json:"capacityProviders"`
		Include           []string `json:"include"`
		NextToken         string   `json:"nextToken"`
		MaxResults        int      `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	type cpOut struct {
		CapacityProviderArn string `json:"capacityProviderArn"`
		Name                string `json:"name"`
		Status              string `json:"status"`
		Tags                []Tag  `json:"tags,omitempty"`
	}
	out := []cpOut{}
	failures := []failure{}
	want := req.CapacityProviders
	if len(want) == 0 {
		want = builtinCapacityProviders
	}
	for _, ref := range want {
		name := lastSegment(ref)
		if name != "FARGATE" && name != "FARGATE_SPOT" {
			failures = append(failures, failure{Arn: s.arn(region, "capacity-provider/"+name), Reason: "MISSING"})
			continue
		}
		cp := cpOut{CapacityProviderArn: s.arn(region, "capacity-provider/"+name), Name: name, Status: "ACTIVE"}
		if includes(req.Include)["TAGS"] {
			cp.Tags = []Tag{}
		}
		out = append(out, cp)
	}
	pg, next, err := pageOf(out, func(c cpOut) string { return c.Name }, req.NextToken, req.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	res := map[string]any{"capacityProviders": append([]cpOut{}, pg...), "failures": failures}
	if next != "" {
		res["nextToken"] = next
	}
	return res, nil
}
