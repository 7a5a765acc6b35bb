package autoscaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/ecs"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TargetPrefix is Application Auto Scaling's X-Amz-Target prefix.
const TargetPrefix = "AnyScaleFrontendService"

// State namespaces. Keys are region/namespace/resourceId/dimension[/name];
// resource ids contain slashes, so a "|" separates the parts.
const (
	nsTarget    = "aas/target"    // region|ns|resource|dimension → targetDoc
	nsPolicy    = "aas/policy"    // region|ns|resource|dimension|name → policyDoc
	nsScheduled = "aas/scheduled" // region|ns|resource|dimension|name → scheduledDoc
	nsActivity  = "aas/activity"  // region|ns|resource|dimension|<start, unix nanos>|id → activityDoc
)

// Request is the routed request handlers receive.
type Request = service.Request

// Service is the sandbox's Application Auto Scaling.
type Service struct {
	*service.JSON
	env service.Env
}

// New builds the Application Auto Scaling service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.JSON = &service.JSON{ServiceName: "application-autoscaling", Version: "1.1", Prefixes: []string{TargetPrefix}, Ops: s.ops(), Logger: env.Logger}
	return s
}

func (s *Service) ops() map[string]service.JSONOp {
	return map[string]service.JSONOp{
		"RegisterScalableTarget":    s.registerScalableTarget,
		"DescribeScalableTargets":   s.describeScalableTargets,
		"DeregisterScalableTarget":  s.deregisterScalableTarget,
		"PutScalingPolicy":          s.putScalingPolicy,
		"DescribeScalingPolicies":   s.describeScalingPolicies,
		"DeleteScalingPolicy":       s.deleteScalingPolicy,
		"PutScheduledAction":        s.putScheduledAction,
		"DescribeScheduledActions":  s.describeScheduledActions,
		"DeleteScheduledAction":     s.deleteScheduledAction,
		"DescribeScalingActivities": s.describeScalingActivities,
		"TagResource":               s.tagResource,
		"UntagResource":             s.untagResource,
		"ListTagsForResource":       s.listTagsForResource,
	}
}

func (s *Service) now() time.Time { return s.env.Now().UTC() }

func (s *Service) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.Update(ctx, fn)
}

func (s *Service) view(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.View(ctx, fn)
}

func decode(in []byte, v any) error { return service.DecodeJSON(in, v) }

// ---- errors ----

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errObjectNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ObjectNotFoundException", format, args...)
}

func errResourceNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ResourceNotFoundException", format, args...)
}

func errLimitExceeded(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "LimitExceededException", format, args...)
}

// ---- wire helpers ----

// epoch is a timestamp as JSON protocols send it (seconds, milliseconds).
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatInt(ms/1000, 10) + "." + fmt.Sprintf("%03d", ms%1000)), nil
}

// UnmarshalJSON implements json.Unmarshaler (epoch seconds, possibly
// fractional).
func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s is not a number of seconds", b)
	}
	*e = epoch(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func newUUID() string {
	h := randHex(32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// ---- keys and dimensions ----

// targetID identifies a scalable target.
type targetID struct {
	Namespace string `json:"ServiceNamespace"`
	Resource  string `json:"ResourceId"`
	Dimension string `json:"ScalableDimension"`
}

func (t targetID) key(region string) string {
	return region + "|" + t.Namespace + "|" + t.Resource + "|" + t.Dimension
}

func (t targetID) describe() string {
	return fmt.Sprintf("service namespace: %s, resource ID: %s, scalable dimension: %s", t.Namespace, t.Resource, t.Dimension)
}

// namespaces and their scalable dimensions.
var dimensions = map[string][]string{
	"ecs":              {"ecs:service:DesiredCount"},
	"dynamodb":         {"dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits", "dynamodb:index:ReadCapacityUnits", "dynamodb:index:WriteCapacityUnits"},
	"lambda":           {"lambda:function:ProvisionedConcurrency"},
	"ec2":              {"ec2:spot-fleet-request:TargetCapacity"},
	"elasticmapreduce": {"elasticmapreduce:instancegroup:InstanceCount"},
	"appstream":        {"appstream:fleet:DesiredCapacity"},
	"rds":              {"rds:cluster:ReadReplicaCount"},
	"sagemaker":        {"sagemaker:variant:DesiredInstanceCount", "sagemaker:variant:DesiredProvisionedConcurrency", "sagemaker:inference-component:DesiredCopyCount"},
	"custom-resource":  {"custom-resource:ResourceType:Property"},
	"comprehend":       {"comprehend:document-classifier-endpoint:DesiredInferenceUnits", "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits"},
	"cassandra":        {"cassandra:table:ReadCapacityUnits", "cassandra:table:WriteCapacityUnits"},
	"kafka":            {"kafka:broker-storage:VolumeSize"},
	"elasticache":      {"elasticache:replication-group:NodeGroups", "elasticache:replication-group:Replicas", "elasticache:cache-cluster:Nodes"},
	"neptune":          {"neptune:cluster:ReadReplicaCount"},
	"workspaces":       {"workspaces:workspacespool:DesiredUserSessions"},
}

// checkTargetID validates a namespace/dimension pair and the resource id's
// shape. The sandbox scales ECS services only: other namespaces are
// refused, since it cannot change their capacity.
func checkTargetID(t targetID) error {
	dims, ok := dimensions[t.Namespace]
	if !ok {
		return errValidation("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", t.Namespace)
	}
	valid := false
	for _, d := range dims {
		if d == t.Dimension {
			valid = true
		}
	}
	if !valid {
		return errValidation("Unsupported service namespace, resource type or scalable dimension")
	}
	if t.Resource == "" || len(t.Resource) > 1600 {
		return errValidation("1 validation error detected: Value at 'resourceId' failed to satisfy constraint: Member must have length between 1 and 1600")
	}
	if t.Namespace != "ecs" {
		return errValidation("The vigil sandbox scales ECS services only; scalable targets of service namespace %s are not supported", t.Namespace)
	}
	parts := strings.Split(t.Resource, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return errValidation("Unsupported service namespace, resource type or scalable dimension")
	}
	return nil
}

// ecsService splits service/<cluster>/<service>.
func ecsService(resource string) (cluster, svc string) {
	parts := strings.Split(resource, "/")
	return parts[1], parts[2]
}

// ---- state helpers ----

func getDoc[T any](tx *state.Tx, ns, key string) (*T, error) {
	var v T
	if err := tx.Get(ns, key, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func listDocs[T any](tx *state.Tx, ns, prefix string) ([]T, error) {
	ents, err := tx.List(state.ListParams{NS: ns, Prefix: prefix})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ents))
	for _, e := range ents {
		var v T
		if err := json.Unmarshal(e.Value, &v); err != nil {
			return nil, fmt.Errorf("decode %s/%s: %w", ns, e.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func isNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }

// pageOf cuts a sorted list by NextToken (the last key returned) and
// MaxResults.
func pageOf[T any](items []T, keyOf func(T) string, token string, max *int, limit int) ([]T, string, error) {
	n := limit
	if max != nil {
		if *max < 1 || *max > limit {
			return nil, "", errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *max, limit)
		}
		n = *max
	}
	start := 0
	if token != "" {
		start = len(items)
		for i, it := range items {
			if keyOf(it) > token {
				start = i
				break
			}
		}
	}
	items = items[start:]
	if len(items) > n {
		return items[:n], keyOf(items[n-1]), nil
	}
	return items, "", nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- ECS ----

// scaleECS moves the desired count of an ECS service into [min, max], as
// AWS does when a scalable target is registered or its range changes, and
// records the scaling activity.
func (s *Service) scaleECS(tx *state.Tx, region string, t *targetDoc, cause string) error {
	cluster, svc := ecsService(t.Resource)
	desired, found, err := ecs.ServiceDesiredCount(tx, region, cluster, svc)
	if err != nil {
		return err
	}
	if !found {
		return errValidation("ECS service doesn't exist: %s", t.Resource)
	}
	next := desired
	if next < t.MinCapacity {
		next = t.MinCapacity
	}
	if next > t.MaxCapacity {
		next = t.MaxCapacity
	}
	if next == desired {
		return nil
	}
	if err := ecs.SetServiceDesiredCount(tx, s.env, region, cluster, svc, next); err != nil {
		return err
	}
	return s.recordActivity(tx, region, t.targetID, next, cause)
}
