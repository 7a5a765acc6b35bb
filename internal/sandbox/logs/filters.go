package logs

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// MetricTransformation says what metric a metric filter publishes.
type MetricTransformation struct {
	MetricName      string            `json:"metricName"`
	MetricNamespace string            `json:"metricNamespace"`
	MetricValue     string            `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

// MetricFilter is the API shape (and the stored document) of a metric
// filter.
type MetricFilter struct {
	FilterName             string                 `json:"filterName"`
	FilterPattern          string                 `json:"filterPattern"`
	MetricTransformations  []MetricTransformation `json:"metricTransformations"`
	CreationTime           int64                  `json:"creationTime"`
	LogGroupName           string                 `json:"logGroupName"`
	ApplyOnTransformedLogs bool                   `json:"applyOnTransformedLogs"`
}

// SubscriptionFilter is the API shape (and the stored document) of a
// subscription filter.
type SubscriptionFilter struct {
	FilterName             string `json:"filterName"`
	LogGroupName           string `json:"logGroupName"`
	FilterPattern          string `json:"filterPattern"`
	DestinationArn         string `json:"destinationArn"`
	RoleArn                string `json:"roleArn,omitempty"`
	Distribution           string `json:"distribution"`
	ApplyOnTransformedLogs bool   `json:"applyOnTransformedLogs"`
	CreationTime           int64  `json:"creationTime"`
}

var (
	filterNameRE   = regexp.MustCompile(`^[^:*]{1,512}$`)
	metricNameRE   = regexp.MustCompile(`^[^:*$]{1,255}$`)
	metricValueRE  = regexp.MustCompile(`^(-?\d+(\.\d+)?|\$[A-Za-z0-9_.\[\]-]+)$`)
	destinationARN = regexp.MustCompile(`^arn:[a-z-]+:(lambda|kinesis|firehose|logs):[a-z0-9-]+:\d{12}:(function:.+|stream/.+|deliverystream/.+|destination:.+)$`)
	standardUnits  = map[string]bool{"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
		"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true,
		"Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true,
		"Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
		"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true}
)

func filterKey(region, group, name string) string { return groupScope(region, group) + name }

// PutMetricFilterInput is the input of PutMetricFilter.
type PutMetricFilterInput struct {
	LogGroupName           string                 `json:"logGroupName"`
	FilterName             string                 `json:"filterName"`
	FilterPattern          *string                `json:"filterPattern"`
	MetricTransformations  []MetricTransformation `json:"metricTransformations"`
	ApplyOnTransformedLogs bool                   `json:"applyOnTransformedLogs"`
}

func (s *Service) putMetricFilter(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in PutMetricFilterInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	if !filterNameRE.MatchString(in.FilterName) {
		return nil, errInvalid("1 validation error detected: Value '%s' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]* and be 1 to 512 characters long", in.FilterName)
	}
	if in.FilterPattern == nil {
		return nil, errInvalid("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null")
	}
	pat, err := parsePattern(*in.FilterPattern)
	if err != nil {
		return nil, errInvalid("Invalid metric filter pattern: %v", err)
	}
	if len(in.MetricTransformations) != 1 {
		return nil, errInvalid("1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length of 1")
	}
	mt := in.MetricTransformations[0]
	if !metricNameRE.MatchString(mt.MetricName) {
		return nil, errInvalid("Invalid metric name %q.", mt.MetricName)
	}
	if mt.MetricNamespace == "" || len(mt.MetricNamespace) > 255 || strings.ContainsAny(mt.MetricNamespace, ":*$") {
		return nil, errInvalid("Invalid metric namespace %q.", mt.MetricNamespace)
	}
	if !metricValueRE.MatchString(mt.MetricValue) {
		return nil, errInvalid("Invalid metric value %q: use a number or a $field selector.", mt.MetricValue)
	}
	if strings.HasPrefix(mt.MetricValue, "$") && pat.terms != nil {
		return nil, errInvalid("Invalid metric value %s: a field selector needs a JSON or space-delimited filter pattern.", mt.MetricValue)
	}
	if len(mt.Dimensions) > 3 {
		return nil, errInvalid("A metric transformation can have at most 3 dimensions.")
	}
	if len(mt.Dimensions) > 0 && mt.DefaultValue != nil {
		return nil, errInvalid("Invalid metric transformation: a default value cannot be used with dimensions.")
	}
	for k, v := range mt.Dimensions {
		if k == "" || !strings.HasPrefix(v, "$") {
			return nil, errInvalid("Invalid dimension %s=%s: dimension values must be $field selectors.", k, v)
		}
	}
	if mt.Unit != "" && !standardUnits[mt.Unit] {
		return nil, errInvalid("1 validation error detected: Value '%s' at 'metricTransformations.1.member.unit' failed to satisfy constraint: Member must satisfy enum value set of StandardUnit", mt.Unit)
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.LogGroupName)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		key := filterKey(region, in.LogGroupName, in.FilterName)
		var old MetricFilter
		err := tx.Get(nsMetricFilter, key, &old)
		if service.IsNotFound(err) {
			all, err := tx.List(state.ListParams{NS: nsMetricFilter, Prefix: groupScope(region, in.LogGroupName)})
			if err != nil {
				return err
			}
			if len(all) >= 100 {
				return protocol.Errorf(http.StatusBadRequest, codeLimit, "Resource limit exceeded.")
			}
			old.CreationTime = s.env.Now().UnixMilli()
		} else if err != nil {
			return err
		}
		return tx.Put(nsMetricFilter, key, MetricFilter{
			FilterName: in.FilterName, FilterPattern: *in.FilterPattern, MetricTransformations: in.MetricTransformations,
			CreationTime: old.CreationTime, LogGroupName: in.LogGroupName, ApplyOnTransformedLogs: in.ApplyOnTransformedLogs,
		})
	})
	return struct{}{}, err
}

// DescribeMetricFiltersInput is the input of DescribeMetricFilters.
type DescribeMetricFiltersInput struct {
	LogGroupName     string  `json:"logGroupName"`
	FilterNamePrefix *string `json:"filterNamePrefix"`
	MetricName       *string `json:"metricName"`
	MetricNamespace  *string `json:"metricNamespace"`
	Limit            *int32  `json:"limit"`
	NextToken        *string `json:"nextToken"`
}

func (s *Service) describeMetricFilters(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in DescribeMetricFiltersInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if in.FilterNamePrefix != nil && in.LogGroupName == "" {
		return nil, errInvalid("filterNamePrefix requires logGroupName.")
	}
	if (in.MetricName == nil) != (in.MetricNamespace == nil) {
		return nil, errInvalid("metricName and metricNamespace must be given together.")
	}
	limit, err := pageLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var filters []MetricFilter
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		prefix := region + "/"
		if in.LogGroupName != "" {
			if ok, err := tx.Exists(nsGroup, groupKey(region, in.LogGroupName)); err != nil || !ok {
				if err == nil {
					err = errGroupNotFound()
				}
				return err
			}
			prefix = filterKey(region, in.LogGroupName, deref(in.FilterNamePrefix))
		}
		entries, err := tx.List(state.ListParams{NS: nsMetricFilter, Prefix: prefix})
		if err != nil {
			return err
		}
		for _, e := range entries {
			var f MetricFilter
			if err := json.Unmarshal(e.Value, &f); err != nil {
				return err
			}
			if in.MetricName != nil {
				mt := f.MetricTransformations[0]
				if mt.MetricName != *in.MetricName || mt.MetricNamespace != *in.MetricNamespace {
					continue
				}
			}
			filters = append(filters, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(filters, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return struct {
		MetricFilters []MetricFilter `json:"metricFilters"`
		NextToken     *string        `json:"nextToken,omitempty"`
	}{page, next}, nil
}

func (s *Service) deleteMetricFilter(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	return s.deleteFilter(ctx, r, raw, nsMetricFilter, "The specified metric filter does not exist.")
}

func (s *Service) deleteSubscriptionFilter(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	return s.deleteFilter(ctx, r, raw, nsSubFilter, "The specified subscription filter does not exist.")
}

func (s *Service) deleteFilter(ctx context.Context, r *service.Request, raw []byte, ns, notFound string) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
		FilterName   string `json:"filterName"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.LogGroupName)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		key := filterKey(region, in.LogGroupName, in.FilterName)
		if ok, err := tx.Exists(ns, key); err != nil || !ok {
			if err == nil {
				err = protocol.Errorf(http.StatusBadRequest, codeNotFound, "%s", notFound)
			}
			return err
		}
		return tx.Delete(ns, key)
	})
	return struct{}{}, err
}

// testMetricFilter is TestMetricFilter: which of the given messages a
// pattern matches, with the extracted fields.
func (s *Service) testMetricFilter(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		FilterPattern    string   `json:"filterPattern"`
		LogEventMessages []string `json:"logEventMessages"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if len(in.LogEventMessages) == 0 || len(in.LogEventMessages) > 50 {
		return nil, errInvalid("1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length between 1 and 50")
	}
	pat, err := parsePattern(in.FilterPattern)
	if err != nil {
		return nil, errInvalid("Invalid filter pattern: %v", err)
	}
	type match struct {
		EventNumber     int64             `json:"eventNumber"`
		EventMessage    string            `json:"eventMessage"`
		ExtractedValues map[string]string `json:"extractedValues"`
	}
	out := struct {
		Matches []match `json:"matches"`
	}{Matches: []match{}}
	for i, m := range in.LogEventMessages {
		ok, field := pat.match(m)
		if !ok {
			continue
		}
		vals := map[string]string{}
		if pat.space != nil {
			for _, f := range pat.space.fields {
				if v, ok := field("$" + f.name); ok && !f.ellipsis {
					vals["$"+f.name] = v
				}
			}
		}
		out.Matches = append(out.Matches, match{EventNumber: int64(i + 1), EventMessage: m, ExtractedValues: vals})
	}
	return out, nil
}

// PutSubscriptionFilterInput is the input of PutSubscriptionFilter.
type PutSubscriptionFilterInput struct {
	LogGroupName           string  `json:"logGroupName"`
	FilterName             string  `json:"filterName"`
	FilterPattern          *string `json:"filterPattern"`
	DestinationArn         string  `json:"destinationArn"`
	RoleArn                string  `json:"roleArn"`
	Distribution           string  `json:"distribution"`
	ApplyOnTransformedLogs bool    `json:"applyOnTransformedLogs"`
}

func (s *Service) putSubscriptionFilter(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in PutSubscriptionFilterInput
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	if !filterNameRE.MatchString(in.FilterName) {
		return nil, errInvalid("1 validation error detected: Value '%s' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]* and be 1 to 512 characters long", in.FilterName)
	}
	if in.FilterPattern == nil {
		return nil, errInvalid("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null")
	}
	if _, err := parsePattern(*in.FilterPattern); err != nil {
		return nil, errInvalid("Invalid subscription filter pattern: %v", err)
	}
	m := destinationARN.FindStringSubmatch(in.DestinationArn)
	if m == nil {
		return nil, errInvalid("Invalid destination ARN %q: use a Lambda function, Kinesis stream, Firehose delivery stream or CloudWatch Logs destination.", in.DestinationArn)
	}
	if (m[1] == "kinesis" || m[1] == "firehose") && in.RoleArn == "" {
		return nil, errInvalid("A roleArn is required to deliver to %s.", in.DestinationArn)
	}
	if in.RoleArn != "" && !strings.HasPrefix(in.RoleArn, "arn:") {
		return nil, errInvalid("Invalid roleArn %q.", in.RoleArn)
	}
	switch in.Distribution {
	case "":
		in.Distribution = "ByLogStream"
	case "Random", "ByLogStream":
	default:
		return nil, errInvalid("1 validation error detected: Value '%s' at 'distribution' failed to satisfy constraint: Member must satisfy enum value set: [Random, ByLogStream]", in.Distribution)
	}
	region := s.env.RegionOf(r)
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.LogGroupName)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		key := filterKey(region, in.LogGroupName, in.FilterName)
		var old SubscriptionFilter
		err := tx.Get(nsSubFilter, key, &old)
		if service.IsNotFound(err) {
			all, err := tx.List(state.ListParams{NS: nsSubFilter, Prefix: groupScope(region, in.LogGroupName)})
			if err != nil {
				return err
			}
			if len(all) >= 2 {
				return protocol.Errorf(http.StatusBadRequest, codeLimit, "Resource limit exceeded.")
			}
			old.CreationTime = s.env.Now().UnixMilli()
		} else if err != nil {
			return err
		}
		return tx.Put(nsSubFilter, key, SubscriptionFilter{
			FilterName: in.FilterName, LogGroupName: in.LogGroupName, FilterPattern: *in.FilterPattern,
			DestinationArn: in.DestinationArn, RoleArn: in.RoleArn, Distribution: in.Distribution,
			ApplyOnTransformedLogs: in.ApplyOnTransformedLogs, CreationTime: old.CreationTime,
		})
	})
	return struct{}{}, err
}

func (s *Service) describeSubscriptionFilters(ctx context.Context, r *service.Request, raw []byte) (any, error) {
	var in struct {
		LogGroupName     string  `json:"logGroupName"`
		FilterNamePrefix *string `json:"filterNamePrefix"`
		Limit            *int32  `json:"limit"`
		NextToken        *string `json:"nextToken"`
	}
	if err := service.DecodeJSON(raw, &in); err != nil {
		return nil, err
	}
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var filters []SubscriptionFilter
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsGroup, groupKey(region, in.LogGroupName)); err != nil || !ok {
			if err == nil {
				err = errGroupNotFound()
			}
			return err
		}
		entries, err := tx.List(state.ListParams{NS: nsSubFilter, Prefix: filterKey(region, in.LogGroupName, deref(in.FilterNamePrefix))})
		if err != nil {
			return err
		}
		for _, e := range entries {
			var f SubscriptionFilter
			if err := json.Unmarshal(e.Value, &f); err != nil {
				return err
			}
			filters = append(filters, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(filters, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return struct {
		SubscriptionFilters []SubscriptionFilter `json:"subscriptionFilters"`
		NextToken           *string              `json:"nextToken,omitempty"`
	}{page, next}, nil
}

func paginate[T any](all []T, token *string, limit int) ([]T, *string, error) {
	skip := 0
	if token != nil {
		n, err := strconv.Atoi(strings.TrimPrefix(*token, "p/"))
		if err != nil || n < 0 || !strings.HasPrefix(*token, "p/") {
			return nil, nil, errInvalid("The specified nextToken is invalid.")
		}
		skip = n
	}
	if skip > len(all) {
		skip = len(all)
	}
	all = all[skip:]
	var next *string
	if len(all) > limit {
		next = ptr("p/" + strconv.Itoa(skip+limit))
		all = all[:limit]
	}
	if all == nil {
		all = []T{}
	}
	return all, next, nil
}

// applyMetricFilters publishes the metric values of a group's metric
// filters for freshly ingested events, in the ingesting transaction.
//
// A matching event publishes metricValue (a number, or the value of a
// $field) at the event's timestamp with the filter's dimensions. For
// defaultValue, CloudWatch Logs reports the default "during a period when
// logs are ingested but no matching logs are found": the sandbox publishes
// it once per minute of event timestamps in the batch in which no event
// matched, at the start of that minute. Non-numeric values are skipped.
func (s *Service) applyMetricFilters(tx *state.Tx, region, group string, events []InputLogEvent) error {
	if len(events) == 0 {
		return nil
	}
	entries, err := tx.List(state.ListParams{NS: nsMetricFilter, Prefix: groupScope(region, group)})
	if err != nil || len(entries) == 0 {
		return err
	}
	var samples []cloudwatch.Sample
	for _, e := range entries {
		var f MetricFilter
		if err := json.Unmarshal(e.Value, &f); err != nil {
			return err
		}
		pat, err := parsePattern(f.FilterPattern)
		if err != nil || len(f.MetricTransformations) == 0 {
			continue // validated at PutMetricFilter; an old document is skipped
		}
		mt := f.MetricTransformations[0]
		unit := mt.Unit
		if unit == "" {
			unit = "None"
		}
		matchedMinute := map[int64]bool{}
		seenMinute := map[int64]bool{}
		for _, ev := range events {
			minute := *ev.Timestamp - *ev.Timestamp%60000
			seenMinute[minute] = true
			ok, field := pat.match(*ev.Message)
			if !ok {
				continue
			}
			matchedMinute[minute] = true
			val, ok := metricValue(mt.MetricValue, field)
			if !ok {
				continue
			}
			var dims []cloudwatch.Dimension
			complete := true
			for _, k := range sortedKeys(mt.Dimensions) {
				v, ok := field(mt.Dimensions[k])
				if !ok || v == "" {
					complete = false
					break
				}
				dims = append(dims, cloudwatch.Dimension{Name: k, Value: v})
			}
			if !complete {
				continue
			}
			samples = append(samples, cloudwatch.Sample{Namespace: mt.MetricNamespace, MetricName: mt.MetricName,
				Dimensions: dims, Timestamp: time.UnixMilli(*ev.Timestamp).UTC(), Value: val, Unit: unit})
		}
		if mt.DefaultValue != nil {
			for minute := range seenMinute {
				if !matchedMinute[minute] {
					samples = append(samples, cloudwatch.Sample{Namespace: mt.MetricNamespace, MetricName: mt.MetricName,
						Timestamp: time.UnixMilli(minute).UTC(), Value: *mt.DefaultValue, Unit: unit})
				}
			}
		}
	}
	if len(samples) == 0 {
		return nil
	}
	return cloudwatch.PutSamples(tx, region, samples)
}

func metricValue(spec string, field func(string) (string, bool)) (float64, bool) {
	raw := spec
	if strings.HasPrefix(spec, "$") {
		v, ok := field(spec)
		if !ok {
			return 0, false
		}
		raw = v
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}
