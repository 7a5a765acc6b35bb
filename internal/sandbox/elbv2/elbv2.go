package elbv2

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// XMLNS is the namespace of ELBv2's query-protocol responses.
const XMLNS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// State namespaces. Keys start with the region.
const (
	nsLB       = "elbv2/lb"       // region/name → lbDoc
	nsTG       = "elbv2/tg"       // region/name → tgDoc
	nsListener = "elbv2/listener" // region/app/<lb>/<lbid>/<lid> → listenerDoc
	nsRule     = "elbv2/rule"     // region/app/<lb>/<lbid>/<lid>/<rid> → ruleDoc
	nsTarget   = "elbv2/target"   // region/<tg name>/<id>|<port> → targetDoc
)

// Request is the routed request handlers receive.
type Request = service.Request

// Service is the sandbox's Elastic Load Balancing v2.
type Service struct {
	*service.Query
	env service.Env
}

// New builds the ELBv2 service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.Query = &service.Query{ServiceName: "elasticloadbalancing", XMLNS: XMLNS, Logger: env.Logger, Ops: s.ops()}
	return s
}

func (s *Service) ops() map[string]service.QueryOp {
	return map[string]service.QueryOp{
		"CreateLoadBalancer":             s.createLoadBalancer,
		"DescribeLoadBalancers":          s.describeLoadBalancers,
		"DeleteLoadBalancer":             s.deleteLoadBalancer,
		"DescribeLoadBalancerAttributes": s.describeLoadBalancerAttributes,
		"ModifyLoadBalancerAttributes":   s.modifyLoadBalancerAttributes,
		"SetSecurityGroups":              s.setSecurityGroups,
		"SetSubnets":                     s.setSubnets,
		"SetIpAddressType":               s.setIPAddressType,
		"DescribeCapacityReservation":    s.describeCapacityReservation,
		"ModifyCapacityReservation":      s.modifyCapacityReservation,

		"CreateTargetGroup":             s.createTargetGroup,
		"DescribeTargetGroups":          s.describeTargetGroups,
		"ModifyTargetGroup":             s.modifyTargetGroup,
		"DeleteTargetGroup":             s.deleteTargetGroup,
		"DescribeTargetGroupAttributes": s.describeTargetGroupAttributes,
		"ModifyTargetGroupAttributes":   s.modifyTargetGroupAttributes,
		"RegisterTargets":               s.registerTargets,
		"DeregisterTargets":             s.deregisterTargets,
		"DescribeTargetHealth":          s.describeTargetHealth,

		"CreateListener":             s.createListener,
		"DescribeListeners":          s.describeListeners,
		"ModifyListener":             s.modifyListener,
		"DeleteListener":             s.deleteListener,
		"DescribeListenerAttributes": s.describeListenerAttributes,
		"ModifyListenerAttributes":   s.modifyListenerAttributes,

		"CreateRule":        s.createRule,
		"DescribeRules":     s.describeRules,
		"ModifyRule":        s.modifyRule,
		"DeleteRule":        s.deleteRule,
		"SetRulePriorities": s.setRulePriorities,

		"AddTags":      s.addTags,
		"RemoveTags":   s.removeTags,
		"DescribeTags": s.describeTags,
	}
}

func (s *Service) now() time.Time { return s.env.Now().UTC() }

func (s *Service) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.Update(ctx, fn)
}

func (s *Service) view(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.View(ctx, fn)
}

// arn builds an ELBv2 ARN.
func arn(env service.Env, region, resource string) string {
	return env.ARN("elasticloadbalancing", region, resource)
}

// ---- errors ----

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

func errLBNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "LoadBalancerNotFound", format, args...)
}

func errTGNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "TargetGroupNotFound", format, args...)
}

func errListenerNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ListenerNotFound", format, args...)
}

func errRuleNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "RuleNotFound", format, args...)
}

func errInvalidConfig(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "InvalidConfigurationRequest", format, args...)
}

func errResourceInUse(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ResourceInUse", format, args...)
}

func errOperationNotPermitted(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "OperationNotPermitted", format, args...)
}

func errTooManyTags(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "TooManyTags", format, args...)
}

func errInvalidTarget(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "InvalidTarget", format, args...)
}

// ---- ids and time ----

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

// isoTime formats a timestamp as ELBv2 does.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ---- query input helpers ----

// str returns the first value of form[name].
func str(form url.Values, name string) string { return form.Get(name) }

// required returns form[name] or AWS's validation error for a missing member.
func required(form url.Values, name string) (string, error) {
	v := form.Get(name)
	if v == "" {
		return "", errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return v, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// optInt parses an optional integer member.
func optInt(form url.Values, name string) (*int, error) {
	v, ok := form[name]
	if !ok || len(v) == 0 || v[0] == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return nil, errValidation("Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", v[0], lowerFirst(name))
	}
	return &n, nil
}

// optBool parses an optional boolean member.
func optBool(form url.Values, name string) (*bool, error) {
	v, ok := form[name]
	if !ok || len(v) == 0 || v[0] == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		return nil, errValidation("Value '%s' at '%s' failed to satisfy constraint: Member must be a boolean", v[0], lowerFirst(name))
	}
	return &b, nil
}

// list returns the flattened list Prefix.member.N as scalars.
func list(form url.Values, prefix string) []string {
	return protocol.QueryStrings(form, prefix+".member")
}

// members returns the structures of Prefix.member.N.
func members(form url.Values, prefix string) []url.Values {
	return protocol.QueryList(form, prefix+".member")
}

// present reports whether any key of form starts with prefix.
func present(form url.Values, prefix string) bool {
	for k := range form {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

// pageParams reads Marker/PageSize.
func pageParams(form url.Values) (marker string, size int, err error) {
	marker = form.Get("Marker")
	n, err := optInt(form, "PageSize")
	if err != nil {
		return "", 0, err
	}
	size = 400
	if n != nil {
		if *n < 1 || *n > 400 {
			return "", 0, errValidation("Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", *n)
		}
		size = *n
	}
	return marker, size, nil
}

// page cuts items (already sorted by key) after marker.
func page[T any](items []T, keyOf func(T) string, marker string, size int) ([]T, string, error) {
	start := 0
	if marker != "" {
		start = -1
		for i, it := range items {
			if keyOf(it) > marker {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, "", nil
		}
	}
	items = items[start:]
	if len(items) > size {
		return items[:size], keyOf(items[size-1]), nil
	}
	return items, "", nil
}

// ---- XML helpers ----

// members marshals as query-protocol lists do: <Name><member>…</member></Name>,
// and as an empty <Name/> when it has no members.
type xmlList[T any] []T

// MarshalXML implements xml.Marshaler.
func (l xmlList[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range l {
		if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// ---- tags ----

type tag struct {
	Key   string `json:"k" xml:"Key"`
	Value string `json:"v" xml:"Value"`
}

// parseTags reads Tags.member.N.Key/Value.
func parseTags(form url.Values) ([]tag, error) {
	var out []tag
	for _, m := range members(form, "Tags") {
		k := m.Get("Key")
		if k == "" {
			return nil, errValidation("Tag keys must not be empty")
		}
		if len(k) > 128 || len(m.Get("Value")) > 256 {
			return nil, errValidation("Tag key or value is too long")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errValidation("Tag keys starting with 'aws:' are reserved for internal use")
		}
		out = append(out, tag{Key: k, Value: m.Get("Value")})
	}
	return mergeTags(nil, out)
}

// mergeTags sets add on top of have (same key replaces), keeping order.
func mergeTags(have, add []tag) ([]tag, error) {
	out := append([]tag(nil), have...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value = t.Value
				found = true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	if len(out) > 50 {
		return nil, errTooManyTags("The quota for the number of tags that can be assigned to a load balancer has been reached")
	}
	return out, nil
}

func removeTags(have []tag, keys []string) []tag {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	var out []tag
	for _, t := range have {
		if !drop[t.Key] {
			out = append(out, t)
		}
	}
	return out
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

// parsedARN is an ELBv2 ARN split into its parts.
type parsedARN struct {
	Region   string
	Account  string
	Kind     string // loadbalancer, targetgroup, listener, listener-rule
	Resource string // what follows "kind/"
}

func parseARN(a string) (parsedARN, bool) {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "elasticloadbalancing" {
		return parsedARN{}, false
	}
	kind, res, ok := strings.Cut(parts[5], "/")
	if !ok || res == "" {
		return parsedARN{}, false
	}
	return parsedARN{Region: parts[3], Account: parts[4], Kind: kind, Resource: res}, true
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// asProtocolError is errors.As for *protocol.Error.
func asProtocolError(err error, pe **protocol.Error) bool { return errors.As(err, pe) }
