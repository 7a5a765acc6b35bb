package events

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/queue"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Service is the sandbox's Amazon EventBridge (JSON 1.1, X-Amz-Target
// prefix AWSEvents, signing name "events").
type Service struct {
	*service.JSON
	env service.Env

	dmu   sync.Mutex
	dopts DeliveryOptions
	queue queue.Lazy
}

// New builds the EventBridge service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.JSON = &service.JSON{ServiceName: "events", Version: "1.1", Prefixes: []string{"AWSEvents"}, Logger: env.Logger,
		Ops: map[string]service.JSONOp{
			"PutRule":               s.putRule,
			"DescribeRule":          s.describeRule,
			"DeleteRule":            s.deleteRule,
			"ListRules":             s.listRules,
			"EnableRule":            s.enableRule,
			"DisableRule":           s.disableRule,
			"PutTargets":            s.putTargets,
			"RemoveTargets":         s.removeTargets,
			"ListTargetsByRule":     s.listTargetsByRule,
			"ListRuleNamesByTarget": s.listRuleNamesByTarget,
			"CreateEventBus":        s.createEventBus,
			"DescribeEventBus":      s.describeEventBus,
			"UpdateEventBus":        s.updateEventBus,
			"DeleteEventBus":        s.deleteEventBus,
			"ListEventBuses":        s.listEventBuses,
			"TagResource":           s.tagResource,
			"UntagResource":         s.untagResource,
			"ListTagsForResource":   s.listTagsForResource,
			"PutEvents":             s.putEvents,
			"TestEventPattern":      s.testEventPattern,
		}}
	return s
}

// State namespaces.
//
//   - events/bus: "<region>/<bus>" → busDoc (the default bus is stored only
//     once something is set on it, such as tags)
//   - events/rule: "<region>/<bus>/<rule>" → ruleDoc, targets included, so
//     that a rule and its targets change atomically
//   - events/event: "<region>/<bus>/<%020d sequence>" → Event, every event
//     PutEvents accepted, with the rules it matched
//   - events/seq: "<region>" → the last event sequence number
const (
	nsBus   = "events/bus"
	nsRule  = "events/rule"
	nsEvent = "events/event"
	nsSeq   = "events/seq"
)

// DefaultBus is the event bus every account has.
const DefaultBus = "default"

// Error codes, as the SDK's types name them.
const (
	codeNotFound       = "ResourceNotFoundException"
	codeAlreadyExists  = "ResourceAlreadyExistsException"
	codeValidation     = "ValidationException"
	codeInvalidPattern = "InvalidEventPatternException"
	codeLimit          = "LimitExceededException"
	codeManaged        = "ManagedRuleException"
)

func errValidation(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeValidation, format, args...)
}

func errNotFound(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeNotFound, format, args...)
}

func errAlreadyExists(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeAlreadyExists, format, args...)
}

func errRuleNotFound(rule, bus string) error {
	return errNotFound("Rule %s does not exist on EventBus %s.", rule, bus)
}

func errBusNotFound(bus string) error {
	return errNotFound("Event bus %s does not exist.", bus)
}

var (
	ruleNameRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	busNameRE  = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)
	targetIDRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	arnRE      = regexp.MustCompile(`^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$`)
	roleARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
	busARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus/(.+)$`)
	ruleARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):rule/(.+)$`)
)

func decode(in []byte, v any) error { return service.DecodeJSON(in, v) }

func (s *Service) now() time.Time { return s.env.Now().UTC() }

// epoch is a timestamp on the wire: epoch seconds.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// busName resolves an EventBusName parameter (a name or an ARN; empty is
// the default bus) to a name, in the request's region.
func (s *Service) busName(v string) (string, error) {
	if v == "" {
		return DefaultBus, nil
	}
	if m := busARNRE.FindStringSubmatch(v); m != nil {
		if m[2] != s.env.AccountID {
			return "", errNotFound("Event bus %s does not exist.", v)
		}
		return m[3], nil
	}
	if strings.HasPrefix(v, "arn:") || !busNameRE.MatchString(v) {
		return "", errValidation("1 validation error detected: Value '%s' at 'eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+", v)
	}
	return v, nil
}

func (s *Service) busARN(region, bus string) string {
	return s.env.ARN("events", region, "event-bus/"+bus)
}

func (s *Service) ruleARN(region, bus, rule string) string {
	if bus == DefaultBus {
		return s.env.ARN("events", region, "rule/"+rule)
	}
	return s.env.ARN("events", region, "rule/"+bus+"/"+rule)
}

func busKey(region, bus string) string        { return region + "/" + bus }
func ruleKey(region, bus, rule string) string { return region + "/" + bus + "/" + rule }
func rulePrefix(region, bus string) string    { return region + "/" + bus + "/" }

// busExists reports whether a bus exists (the default bus always does).
func busExists(tx *state.Tx, region, bus string) (bool, error) {
	if bus == DefaultBus {
		return true, nil
	}
	return tx.Exists(nsBus, busKey(region, bus))
}

// Tag is a key/value tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func checkTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return errValidation("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if len(t.Value) > 256 {
			return errValidation("1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", t.Value)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errValidation("Invalid tag key %s: keys may not start with aws:", t.Key)
		}
		seen[t.Key] = true
	}
	if len(seen) > 50 {
		return errValidation("Number of tags cannot exceed 50.")
	}
	return nil
}

// mergeTags applies add to tags (replacing values of existing keys).
func mergeTags(tags []Tag, add []Tag) []Tag {
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	for _, t := range add {
		m[t.Key] = t.Value
	}
	return tagList(m)
}

func tagList(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// tagTarget is what a tagging ARN names: a rule or a bus.
type tagTarget struct {
	region string
	bus    string
	rule   string // "" for a bus
}

func (s *Service) parseTagARN(arn string) (tagTarget, error) {
	if m := busARNRE.FindStringSubmatch(arn); m != nil && m[2] == s.env.AccountID {
		return tagTarget{region: m[1], bus: m[3]}, nil
	}
	if m := ruleARNRE.FindStringSubmatch(arn); m != nil && m[2] == s.env.AccountID {
		res := m[3]
		t := tagTarget{region: m[1], bus: DefaultBus, rule: res}
		if i := strings.LastIndexByte(res, '/'); i >= 0 {
			t.bus, t.rule = res[:i], res[i+1:]
		}
		return t, nil
	}
	if !arnRE.MatchString(arn) {
		return tagTarget{}, errValidation("Provided resource ARN %s is not valid.", arn)
	}
	return tagTarget{}, errNotFound("Resource %s does not exist.", arn)
}

// withTags reads the tags of the resource an ARN names and, when update
// is set, stores what update returns.
func (s *Service) withTags(tx *state.Tx, arn string, update func([]Tag) []Tag) ([]Tag, error) {
	t, err := s.parseTagARN(arn)
	if err != nil {
		return nil, err
	}
	if t.rule != "" {
		r, err := getRule(tx, t.region, t.bus, t.rule)
		if errors.Is(err, state.ErrNotFound) {
			return nil, errRuleNotFound(t.rule, t.bus)
		}
		if err != nil {
			return nil, err
		}
		if update != nil {
			r.Tags = update(r.Tags)
			if err := tx.Put(nsRule, ruleKey(t.region, t.bus, t.rule), r); err != nil {
				return nil, err
			}
		}
		return r.Tags, nil
	}
	b, err := s.getBus(tx, t.region, t.bus)
	if err != nil {
		return nil, err
	}
	if update != nil {
		b.Tags = update(b.Tags)
		if err := tx.Put(nsBus, busKey(t.region, t.bus), b); err != nil {
			return nil, err
		}
	}
	return b.Tags, nil
}

type tagResourceInput struct {
	ResourceARN string `json:"ResourceARN"`
	Tags        []Tag  `json:"Tags"`
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req tagResourceInput
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		var err error
		_, err = s.withTags(tx, req.ResourceARN, func(tags []Tag) []Tag {
			merged := mergeTags(tags, req.Tags)
			if len(merged) > 50 {
				err = errValidation("Number of tags cannot exceed 50.")
			}
			return merged
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		ResourceARN string   `json:"ResourceARN"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		_, err := s.withTags(tx, req.ResourceARN, func(tags []Tag) []Tag {
			drop := map[string]bool{}
			for _, k := range req.TagKeys {
				drop[k] = true
			}
			out := []Tag{}
			for _, t := range tags {
				if !drop[t.Key] {
					out = append(out, t)
				}
			}
			return out
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listTagsForResource(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		ResourceARN string `json:"ResourceARN"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	var tags []Tag
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		var err error
		tags, err = s.withTags(tx, req.ResourceARN, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []Tag{}
	}
	return map[string]any{"Tags": tags}, nil
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }
