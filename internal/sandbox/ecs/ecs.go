package ecs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TargetPrefix is ECS's X-Amz-Target prefix.
const TargetPrefix = "AmazonEC2ContainerServiceV20141113"

// State namespaces. Keys start with the region.
const (
	nsCluster  = "ecs/cluster"  // region/name → clusterDoc
	nsFamily   = "ecs/family"   // region/family → familyDoc
	nsTaskDef  = "ecs/taskdef"  // region/family/<revision, 10 digits> → taskDefDoc
	nsService  = "ecs/service"  // region/cluster/name → serviceDoc
	nsTask     = "ecs/task"     // region/cluster/id → taskDoc
	nsSettings = "ecs/settings" // region/name → accountSettingDoc
)

// Request is the routed request handlers receive.
type Request = service.Request

// Service is the sandbox's Elastic Container Service.
type Service struct {
	*service.JSON
	env service.Env
}

// New builds the ECS service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.JSON = &service.JSON{ServiceName: "ecs", Version: "1.1", Prefixes: []string{TargetPrefix}, Ops: s.ops(), Logger: env.Logger}
	return s
}

func (s *Service) ops() map[string]service.JSONOp {
	return map[string]service.JSONOp{
		"CreateCluster":               s.createCluster,
		"DescribeClusters":            s.describeClusters,
		"UpdateCluster":               s.updateCluster,
		"UpdateClusterSettings":       s.updateClusterSettings,
		"PutClusterCapacityProviders": s.putClusterCapacityProviders,
		"DeleteCluster":               s.deleteCluster,
		"ListClusters":                s.listClusters,
		"DescribeCapacityProviders":   s.describeCapacityProviders,

		"RegisterTaskDefinition":     s.registerTaskDefinition,
		"DescribeTaskDefinition":     s.describeTaskDefinition,
		"DeregisterTaskDefinition":   s.deregisterTaskDefinition,
		"DeleteTaskDefinitions":      s.deleteTaskDefinitions,
		"ListTaskDefinitions":        s.listTaskDefinitions,
		"ListTaskDefinitionFamilies": s.listTaskDefinitionFamilies,

		"CreateService":    s.createService,
		"DescribeServices": s.describeServices,
		"UpdateService":    s.updateService,
		"DeleteService":    s.deleteService,
		"ListServices":     s.listServices,

		"RunTask":       s.runTask,
		"ListTasks":     s.listTasks,
		"DescribeTasks": s.describeTasks,
		"StopTask":      s.stopTask,

		"TagResource":         s.tagResource,
		"UntagResource":       s.untagResource,
		"ListTagsForResource": s.listTagsForResource,

		"PutAccountSetting":        s.putAccountSetting,
		"PutAccountSettingDefault": s.putAccountSettingDefault,
		"DeleteAccountSetting":     s.deleteAccountSetting,
		"ListAccountSettings":      s.listAccountSettings,
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

func errInvalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "InvalidParameterException", format, args...)
}

func errClient(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ClientException", format, args...)
}

func errClusterNotFound() *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ClusterNotFoundException", "Cluster not found.")
}

func errServiceNotFound() *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ServiceNotFoundException", "Service not found.")
}

func errServiceNotActive() *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ServiceNotActiveException", "Service was not ACTIVE.")
}

// ---- wire helpers ----

// epoch is a timestamp as the JSON protocols send it: seconds since the
// epoch, with milliseconds.
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatInt(ms/1000, 10) + "." + fmt.Sprintf("%03d", ms%1000)), nil
}

func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

// Tag is an ECS tag (lower-case key and value).
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func checkTags(tags []Tag) error {
	if len(tags) > 50 {
		return errInvalidParameter("Tags can have a maximum of 50 tags.")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return errInvalidParameter("Tag keys must be between 1 and 128 characters.")
		}
		if len(t.Value) > 256 {
			return errInvalidParameter("Tag values must be at most 256 characters.")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalidParameter("Tag keys starting with 'aws:' are reserved.")
		}
	}
	return nil
}

func mergeTags(have, add []Tag) ([]Tag, error) {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value = t.Value
				found = true
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	return out, checkTags(out)
}

func tagsOrEmpty(t []Tag) []Tag {
	if t == nil {
		return []Tag{}
	}
	return t
}

// ---- ids, names and ARNs ----

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func randDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

func newUUID() string {
	h := randHex(32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

func (s *Service) arn(region, resource string) string { return s.env.ARN("ecs", region, resource) }

// splitARN returns the region and the resource of an ECS ARN.
func splitARN(a string) (region, resource string, ok bool) {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecs" {
		return "", "", false
	}
	return parts[3], parts[5], true
}

// clusterName resolves a cluster given by name or ARN ("" is "default").
func clusterName(v string) (string, error) {
	if v == "" {
		return "default", nil
	}
	if strings.HasPrefix(v, "arn:") {
		_, res, ok := splitARN(v)
		name, found := strings.CutPrefix(res, "cluster/")
		if !ok || !found || !nameRE.MatchString(name) {
			return "", errInvalidParameter("Invalid cluster ARN: %s", v)
		}
		return name, nil
	}
	if !nameRE.MatchString(v) {
		return "", errInvalidParameter("Cluster name can only contain letters, numbers, underscores and hyphens, up to 255 characters.")
	}
	return v, nil
}

// lastSegment returns a name from a name or an ARN whose resource ends in it.
func lastSegment(v string) string {
	if strings.HasPrefix(v, "arn:") {
		return v[strings.LastIndexByte(v, '/')+1:]
	}
	return v
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

// errCode is the AWS error code of err, or "".
func errCode(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// ---- pagination ----

// pageOf cuts a sorted list of keys by nextToken (the last key returned)
// and maxResults.
func pageOf[T any](items []T, keyOf func(T) string, token string, max, limit int) ([]T, string, error) {
	if max == 0 {
		max = limit
	}
	if max < 1 || max > limit {
		return nil, "", errInvalidParameter("maxResults must be between 1 and %d.", limit)
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
	if len(items) > max {
		return items[:max], keyOf(items[max-1]), nil
	}
	return items, "", nil
}
