package logs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TargetPrefix is the X-Amz-Target prefix of CloudWatch Logs.
const TargetPrefix = "Logs_20140328"

// State namespaces.
const (
	nsGroup        = "logs/group"               // region/name → groupDoc
	nsStream       = "logs/stream"              // region/esc(group)/esc(stream) → streamDoc
	nsEvent        = "logs/event"               // region/esc(group)/esc(stream)/ts/seq → eventDoc
	nsMetricFilter = "logs/metric-filter"       // region/esc(group)/name → MetricFilter
	nsSubFilter    = "logs/subscription-filter" // region/esc(group)/name → SubscriptionFilter
)

// Error codes (JSON 1.1 __type). Every CloudWatch Logs client error is a
// 400.
const (
	codeNotFound      = "ResourceNotFoundException"
	codeAlreadyExists = "ResourceAlreadyExistsException"
	codeInvalid       = "InvalidParameterException"
	codeLimit         = "LimitExceededException"
)

func errInvalid(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalid, format, args...)
}

func errGroupNotFound() error {
	return protocol.Errorf(http.StatusBadRequest, codeNotFound, "The specified log group does not exist.")
}

func errStreamNotFound() error {
	return protocol.Errorf(http.StatusBadRequest, codeNotFound, "The specified log stream does not exist.")
}

// Service is the sandbox's CloudWatch Logs (JSON 1.1, signing name "logs").
type Service struct {
	*service.JSON
	env service.Env
}

// New builds the CloudWatch Logs service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.JSON = &service.JSON{ServiceName: "logs", Version: "1.1", Prefixes: []string{TargetPrefix}, Logger: env.Logger, Ops: map[string]service.JSONOp{
		// Log groups.
		"CreateLogGroup":        s.createLogGroup,
		"DescribeLogGroups":     s.describeLogGroups,
		"DeleteLogGroup":        s.deleteLogGroup,
		"PutRetentionPolicy":    s.putRetentionPolicy,
		"DeleteRetentionPolicy": s.deleteRetentionPolicy,
		"AssociateKmsKey":       s.associateKmsKey,
		"DisassociateKmsKey":    s.disassociateKmsKey,
		// Tags.
		"TagResource":         s.tagResource,
		"UntagResource":       s.untagResource,
		"ListTagsForResource": s.listTagsForResource,
		"TagLogGroup":         s.tagLogGroup,
		"UntagLogGroup":       s.untagLogGroup,
		"ListTagsLogGroup":    s.listTagsLogGroup,
		// Streams and events.
		"CreateLogStream":    s.createLogStream,
		"DescribeLogStreams": s.describeLogStreams,
		"DeleteLogStream":    s.deleteLogStream,
		"PutLogEvents":       s.putLogEvents,
		"GetLogEvents":       s.getLogEvents,
		"FilterLogEvents":    s.filterLogEvents,
		// Filters.
		"PutMetricFilter":             s.putMetricFilter,
		"DescribeMetricFilters":       s.describeMetricFilters,
		"DeleteMetricFilter":          s.deleteMetricFilter,
		"TestMetricFilter":            s.testMetricFilter,
		"PutSubscriptionFilter":       s.putSubscriptionFilter,
		"DescribeSubscriptionFilters": s.describeSubscriptionFilters,
		"DeleteSubscriptionFilter":    s.deleteSubscriptionFilter,
	}}
	return s
}

// groupDoc is a stored log group.
type groupDoc struct {
	Name            string            `json:"name"`
	CreationTime    int64             `json:"creation_time"`
	RetentionInDays *int32            `json:"retention_in_days,omitempty"`
	KmsKeyID        string            `json:"kms_key_id,omitempty"`
	Class           string            `json:"class"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// LogGroup is the API shape of a log group.
type LogGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int32 `json:"retentionInDays,omitempty"`
	MetricFilterCount int32  `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass"`
}

func groupKey(region, name string) string { return region + "/" + name }

// groupScope is the key prefix of everything that belongs to a group in
// the stream, event and filter namespaces.
func groupScope(region, name string) string { return region + "/" + url.PathEscape(name) + "/" }

func (s *Service) groupARN(region, name string) string {
	return s.env.ARN("logs", region, "log-group:"+name)
}

var (
	groupNameRE      = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	validRetention   = map[int32]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}
	groupClasses     = map[string]bool{"STANDARD": true, "INFREQUENT_ACCESS": true, "DELIVERY": true}
	tagKeyRE         = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`)
	kmsKeyARNPattern = regexp.MustCompile(`^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key/.+$`)
)

func validGroupName(name string) error {
	if name == "" {
		return errInvalid("1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null")
	}
	if !groupNameRE.MatchString(name) {
		return errInvalid("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and be 1 to 512 characters long", name)
	}
	return nil
}

func validTags(tags map[string]string) error {
	if len(tags) > 50 {
		return protocol.Errorf(http.StatusBadRequest, "TooManyTagsException", "A resource can have no more than 50 tags.")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || !tagKeyRE.MatchString(k) || strings.HasPrefix(k, "aws:") {
			return errInvalid("The tag key %q is invalid.", k)
		}
		if len(v) > 256 {
			return errInvalid("The value of tag %q is longer than 256 characters.", k)
		}
	}
	return nil
}

func validKMSKey(id string) error {
	if !kmsKeyARNPattern.MatchString(id) {
		return errInvalid("Specified KMS key %s is not a key ARN: CloudWatch Logs needs the full ARN of a symmetric KMS key.", id)
	}
	return nil
}

// CreateLogGroupInput is the input of CreateLogGroup.
type CreateLogGroupInput struct {
	LogGroupName  string            `json:"logGroupName"`
	KmsKeyID      *string           `json:"kmsKeyId"`
	Tags          map[string]string `json:"tags"`
	LogGroupClass string            `json:"logGroupClass"`
}

func (s *Service) createLogGroup(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in CreateLogGroupInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	class := in.LogGroupClass
	if class == "" {
		class = "STANDARD"
	}
	if !groupClasses[class] {
		return nil, errInvalid("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", class)
	}
	if in.KmsKeyID != nil {
		if err := validKMSKey(*in.KmsKeyID); err != nil {
			return nil, err
		}
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		ok, err := tx.Exists(nsGroup, groupKey(region, in.LogGroupName))
		if err != nil {
			return err
		}
		if ok {
			return protocol.Errorf(http.StatusBadRequest, codeAlreadyExists, "The specified log group already exists")
		}
		g := groupDoc{Name: in.LogGroupName, CreationTime: s.env.Now().UnixMilli(), Class: class, Tags: in.Tags}
		if in.KmsKeyID != nil {
			g.KmsKeyID = *in.KmsKeyID
		}
		if class == "DELIVERY" {
			g.RetentionInDays = ptr(int32(2))
		}
		return tx.Put(nsGroup, groupKey(region, in.LogGroupName), g)
	})
	return struct{}{}, err
}

// DescribeLogGroupsInput is the input of DescribeLogGroups.
type DescribeLogGroupsInput struct {
	LogGroupNamePrefix  *string  `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string  `json:"logGroupNamePattern"`
	LogGroupClass       string   `json:"logGroupClass"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	Limit               *int32   `json:"limit"`
	NextToken           *string  `json:"nextToken"`
}

func (s *Service) describeLogGroups(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in DescribeLogGroupsInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, errInvalid("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive.")
	}
	if len(in.LogGroupIdentifiers) > 0 && (in.LogGroupNamePrefix != nil || in.LogGroupNamePattern != nil) {
		return nil, errInvalid("LogGroupIdentifiers cannot be combined with LogGroupNamePrefix or LogGroupNamePattern.")
	}
	limit, err := pageLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	after := ""
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, errInvalid("The specified nextToken is invalid.")
		}
		after = groupKey(region, string(b))
	}
	ids := map[string]bool{}
	for _, id := range in.LogGroupIdentifiers {
		ids[strings.TrimSuffix(groupNameOfARN(id), ":*")] = true
	}
	type result struct {
		LogGroups []LogGroup `json:"logGroups"`
		NextToken *string    `json:"nextToken,omitempty"`
	}
	out := result{LogGroups: []LogGroup{}}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		prefix := groupKey(region, deref(in.LogGroupNamePrefix))
		for {
			entries, err := tx.List(state.ListParams{NS: nsGroup, Prefix: prefix, After: after, Limit: 200})
			if err != nil {
				return err
			}
			for _, e := range entries {
				var g groupDoc
				if err := json.Unmarshal(e.Value, &g); err != nil {
					return err
				}
				if in.LogGroupNamePattern != nil && !strings.Contains(strings.ToLower(g.Name), strings.ToLower(*in.LogGroupNamePattern)) {
					continue
				}
				if in.LogGroupClass != "" && g.Class != in.LogGroupClass {
					continue
				}
				if len(ids) > 0 && !ids[g.Name] {
					continue
				}
				if len(out.LogGroups) == limit {
					out.NextToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(out.LogGroups[limit-1].LogGroupName)))
					return nil
				}
				lg, err := s.logGroup(tx, region, g)
				if err != nil {
					return err
				}
				out.LogGroups = append(out.LogGroups, lg)
			}
			if len(entries) < 200 {
				return nil
			}
			after = entries[len(entries)-1].Key
		}
	})
	return out, err
}

func (s *Service) logGroup(tx *state.Tx, region string, g groupDoc) (LogGroup, error) {
	filters, err := tx.List(state.ListParams{NS: nsMetricFilter, Prefix: groupScope(region, g.Name)})
	if err != nil {
		return LogGroup{}, err
	}
	arn := s.groupARN(region, g.Name)
	return LogGroup{
		LogGroupName: g.Name, CreationTime: g.CreationTime, RetentionInDays: g.RetentionInDays,
		MetricFilterCount: int32(len(filters)), Arn: arn + ":*", LogGroupArn: arn,
		KmsKeyID: g.KmsKeyID, LogGroupClass: g.Class,
	}, nil
}

// groupNameOfARN accepts a log group name or ARN (with or without :*).
func groupNameOfARN(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	i := strings.Index(id, ":log-group:")
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(id[i+len(":log-group:"):], ":*")
}

type groupNameInput struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
}

func (in groupNameInput) name() string {
	if in.LogGroupName != "" {
		return in.LogGroupName
	}
	return groupNameOfARN(in.LogGroupIdentifier)
}

func (s *Service) deleteLogGroup(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in groupNameInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.name()); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.name())); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		scope := groupScope(region, in.name())
		for _, ns := range []string{nsStream, nsEvent, nsMetricFilter, nsSubFilter} {
			if err := tx.DeletePrefix(ns, scope); err != nil {
				return err
			}
		}
		return tx.Delete(nsGroup, groupKey(region, in.name()))
	})
	return struct{}{}, err
}

// updateGroup runs fn on a stored group and writes it back.
func (s *Service) updateGroup(ctx context.Context, region, name string, fn func(*groupDoc) error) error {
	if err := validGroupName(name); err != nil {
		return err
	}
	return s.env.State.Update(ctx, func(tx *state.Tx) error {
		var g groupDoc
		if err := tx.Get(nsGroup, groupKey(region, name), &g); err != nil {
			if service.IsNotFound(err) {
				return errGroupNotFound()
			}
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		return tx.Put(nsGroup, groupKey(region, name), g)
	})
}

func (s *Service) putRetentionPolicy(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays *int32 `json:"retentionInDays"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if in.RetentionInDays == nil {
		return nil, errInvalid("1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null")
	}
	if !validRetention[*in.RetentionInDays] {
		return nil, errInvalid("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", *in.RetentionInDays)
	}
	return struct{}{}, s.updateGroup(ctx, s.env.RegionOf(r), in.LogGroupName, func(g *groupDoc) error {
		if g.Class == "DELIVERY" {
			return errInvalid("Retention cannot be changed on a log group of class DELIVERY.")
		}
		g.RetentionInDays = in.RetentionInDays
		return nil
	})
}

func (s *Service) deleteRetentionPolicy(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in groupNameInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.updateGroup(ctx, s.env.RegionOf(r), in.name(), func(g *groupDoc) error {
		g.RetentionInDays = nil
		return nil
	})
}

func (s *Service) associateKmsKey(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		KmsKeyID           string `json:"kmsKeyId"`
		ResourceIdentifier string `json:"resourceIdentifier"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if in.ResourceIdentifier != "" {
		return nil, errInvalid("The vigil sandbox associates KMS keys with log groups only (resourceIdentifier %s).", in.ResourceIdentifier)
	}
	if err := validKMSKey(in.KmsKeyID); err != nil {
		return nil, err
	}
	return struct{}{}, s.updateGroup(ctx, s.env.RegionOf(r), in.LogGroupName, func(g *groupDoc) error {
		g.KmsKeyID = in.KmsKeyID
		return nil
	})
}

func (s *Service) disassociateKmsKey(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in groupNameInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.updateGroup(ctx, s.env.RegionOf(r), in.name(), func(g *groupDoc) error {
		g.KmsKeyID = ""
		return nil
	})
}

// --- tags --------------------------------------------------------------------

// groupOfResourceARN maps a log group ARN (the only taggable resource the
// sandbox serves) to its region and name.
func (s *Service) groupOfResourceARN(r *service.Request, arn string) (region, name string, err error) {
	if arn == "" {
		return "", "", errInvalid("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null")
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "logs" || !strings.HasPrefix(parts[5], "log-group:") {
		return "", "", protocol.Errorf(http.StatusBadRequest, codeNotFound, "The specified resource %s does not exist.", arn)
	}
	region = parts[3]
	if region == "" {
		region = s.env.RegionOf(r)
	}
	return region, groupNameOfARN(arn), nil
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		ResourceArn string            `json:"resourceArn"`
		Tags        map[string]string `json:"tags"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	region, name, err := s.groupOfResourceARN(r, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.addTags(ctx, region, name, in.Tags)
}

func (s *Service) tagLogGroup(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		LogGroupName string            `json:"logGroupName"`
		Tags         map[string]string `json:"tags"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.addTags(ctx, s.env.RegionOf(r), in.LogGroupName, in.Tags)
}

func (s *Service) addTags(ctx context.Context, region, name string, tags map[string]string) error {
	if len(tags) == 0 {
		return errInvalid("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := validTags(tags); err != nil {
		return err
	}
	return s.updateGroup(ctx, region, name, func(g *groupDoc) error {
		if g.Tags == nil {
			g.Tags = map[string]string{}
		}
		for k, v := range tags {
			g.Tags[k] = v
		}
		return validTags(g.Tags)
	})
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	region, name, err := s.groupOfResourceARN(r, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.removeTags(ctx, region, name, in.TagKeys)
}

func (s *Service) untagLogGroup(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		LogGroupName string   `json:"logGroupName"`
		Tags         []string `json:"tags"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.removeTags(ctx, s.env.RegionOf(r), in.LogGroupName, in.Tags)
}

func (s *Service) removeTags(ctx context.Context, region, name string, keys []string) error {
	if len(keys) == 0 {
		return errInvalid("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	return s.updateGroup(ctx, region, name, func(g *groupDoc) error {
		for _, k := range keys {
			delete(g.Tags, k)
		}
		return nil
	})
}

type tagsOutput struct {
	Tags map[string]string `json:"tags"`
}

func (s *Service) listTagsForResource(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	region, name, err := s.groupOfResourceARN(r, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return s.groupTags(ctx, region, name)
}

func (s *Service) listTagsLogGroup(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in groupNameInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	return s.groupTags(ctx, s.env.RegionOf(r), in.name())
}

func (s *Service) groupTags(ctx context.Context, region, name string) (any, error) {
	var g groupDoc
	if err := s.env.State.Get(ctx, nsGroup, groupKey(region, name), &g); err != nil {
		if service.IsNotFound(err) {
			return nil, errGroupNotFound()
		}
		return nil, err
	}
	out := tagsOutput{Tags: g.Tags}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return out, nil
}

// --- helpers -----------------------------------------------------------------

func pageLimit(limit *int32, max int) (int, error) {
	if limit == nil {
		return max, nil
	}
	if *limit < 1 || int(*limit) > max {
		return 0, errInvalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must be between 1 and %d", *limit, max)
	}
	return int(*limit), nil
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
