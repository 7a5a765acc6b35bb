package events

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// DeadLetterConfig is a bus's or a target's dead-letter queue.
type DeadLetterConfig struct {
	Arn string `json:"Arn,omitempty"`
}

// LogConfig is a bus's logging configuration.
type LogConfig struct {
	IncludeDetail string `json:"IncludeDetail,omitempty"`
	Level         string `json:"Level,omitempty"`
}

type busDoc struct {
	Name             string            `json:"name"`
	Arn              string            `json:"arn"`
	Description      string            `json:"description,omitempty"`
	KmsKeyIdentifier string            `json:"kms_key_identifier,omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:"dead_letter_config,omitempty"`
	LogConfig        *LogConfig        `json:"log_config,omitempty"`
	EventSourceName  string            `json:"event_source_name,omitempty"`
	Policy           string            `json:"policy,omitempty"`
	Created          time.Time         `json:"created"`
	Modified         time.Time         `json:"modified"`
	Tags             []Tag             `json:"tags,omitempty"`
}

// getBus reads a bus; the default bus exists even when nothing is stored
// for it.
func (s *Service) getBus(tx *state.Tx, region, name string) (*busDoc, error) {
	var b busDoc
	err := tx.Get(nsBus, busKey(region, name), &b)
	if errors.Is(err, state.ErrNotFound) {
		if name == DefaultBus {
			return &busDoc{Name: DefaultBus, Arn: s.busARN(region, DefaultBus)}, nil
		}
		return nil, errBusNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

type busOutput struct {
	Name             string            `json:"Name"`
	Arn              string            `json:"Arn"`
	Description      string            `json:"Description,omitempty"`
	KmsKeyIdentifier string            `json:"KmsKeyIdentifier,omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:"DeadLetterConfig,omitempty"`
	LogConfig        *LogConfig        `json:"LogConfig,omitempty"`
	Policy           string            `json:"Policy,omitempty"`
	CreationTime     *float64          `json:"CreationTime,omitempty"`
	LastModifiedTime *float64          `json:"LastModifiedTime,omitempty"`
}

func (b *busDoc) output() busOutput {
	out := busOutput{Name: b.Name, Arn: b.Arn, Description: b.Description, KmsKeyIdentifier: b.KmsKeyIdentifier,
		DeadLetterConfig: b.DeadLetterConfig, LogConfig: b.LogConfig, Policy: b.Policy}
	if !b.Created.IsZero() {
		c, m := epoch(b.Created), epoch(b.Modified)
		out.CreationTime, out.LastModifiedTime = &c, &m
	}
	return out
}

type busInput struct {
	Name             string            `json:"Name"`
	EventSourceName  string            `json:"EventSourceName"`
	Description      *string           `json:"Description"`
	KmsKeyIdentifier *string           `json:"KmsKeyIdentifier"`
	DeadLetterConfig *DeadLetterConfig `json:"DeadLetterConfig"`
	LogConfig        *LogConfig        `json:"LogConfig"`
	Tags             []Tag             `json:"Tags"`
}

func (in *busInput) apply(b *busDoc) error {
	if in.Description != nil {
		if len(*in.Description) > 512 {
			return errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
		}
		b.Description = *in.Description
	}
	if in.KmsKeyIdentifier != nil {
		if len(*in.KmsKeyIdentifier) > 2048 {
			return errValidation("1 validation error detected: Value at 'kmsKeyIdentifier' failed to satisfy constraint: Member must have length less than or equal to 2048")
		}
		b.KmsKeyIdentifier = *in.KmsKeyIdentifier
	}
	if in.DeadLetterConfig != nil {
		if a := in.DeadLetterConfig.Arn; a != "" {
			if m := arnRE.FindStringSubmatch(a); m == nil || m[1] != "sqs" {
				return errValidation("Parameter DeadLetterConfig.Arn is not valid. Reason: Provided Arn is not an SQS queue ARN.")
			}
			b.DeadLetterConfig = &DeadLetterConfig{Arn: a}
		} else {
			b.DeadLetterConfig = nil
		}
	}
	if in.LogConfig != nil {
		lc := *in.LogConfig
		if lc.IncludeDetail != "" && lc.IncludeDetail != "NONE" && lc.IncludeDetail != "FULL" {
			return errValidation("1 validation error detected: Value '%s' at 'logConfig.includeDetail' failed to satisfy constraint: Member must satisfy enum value set: [NONE, FULL]", lc.IncludeDetail)
		}
		switch lc.Level {
		case "", "OFF", "ERROR", "INFO", "TRACE":
		default:
			return errValidation("1 validation error detected: Value '%s' at 'logConfig.level' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ERROR, INFO, TRACE]", lc.Level)
		}
		b.LogConfig = &lc
	}
	return nil
}

func (s *Service) createEventBus(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req busInput
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if !busNameRE.MatchString(req.Name) || strings.Contains(req.Name, "/") && req.EventSourceName == "" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+", req.Name)
	}
	if req.Name == DefaultBus {
		return nil, errValidationAlreadyExists(req.Name)
	}
	if strings.HasPrefix(req.Name, "aws.") && req.EventSourceName == "" {
		return nil, errValidation("Event bus name must not start with 'aws.'.")
	}
	if req.EventSourceName != "" && req.EventSourceName != req.Name {
		return nil, errValidation("Event source %s does not exist.", req.EventSourceName)
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	now := s.now()
	b := busDoc{Name: req.Name, Arn: s.busARN(region, req.Name), EventSourceName: req.EventSourceName,
		Created: now, Modified: now, Tags: mergeTags(nil, req.Tags)}
	if err := req.apply(&b); err != nil {
		return nil, err
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		exists, err := tx.Exists(nsBus, busKey(region, req.Name))
		if err != nil {
			return err
		}
		if exists {
			return errValidationAlreadyExists(req.Name)
		}
		return tx.Put(nsBus, busKey(region, req.Name), b)
	})
	if err != nil {
		return nil, err
	}
	out := b.output()
	return map[string]any{"EventBusArn": out.Arn, "Description": out.Description, "KmsKeyIdentifier": out.KmsKeyIdentifier,
		"DeadLetterConfig": out.DeadLetterConfig, "LogConfig": out.LogConfig}, nil
}

func errValidationAlreadyExists(name string) error {
	return errAlreadyExists("Event bus %s already exists.", name)
}

func (s *Service) describeEventBus(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		Name string `json:"Name"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	name, err := s.busName(req.Name)
	if err != nil {
		return nil, err
	}
	var out busOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		b, err := s.getBus(tx, s.env.RegionOf(r), name)
		if err != nil {
			return err
		}
		out = b.output()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) updateEventBus(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req busInput
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	name, err := s.busName(req.Name)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var out busOutput
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		b, err := s.getBus(tx, region, name)
		if err != nil {
			return err
		}
		if err := req.apply(b); err != nil {
			return err
		}
		if b.Created.IsZero() {
			b.Created = s.now()
		}
		b.Modified = s.now()
		out = b.output()
		return tx.Put(nsBus, busKey(region, name), b)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) deleteEventBus(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		Name string `json:"Name"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	name, err := s.busName(req.Name)
	if err != nil {
		return nil, err
	}
	if req.Name == "" || name == DefaultBus {
		return nil, errValidation("Cannot delete event bus default.")
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		// Rules go with their bus (AWS asks for them to be deleted first;
		// it does not leave them behind either).
		rules, err := rulesOf(tx, region, name)
		if err != nil {
			return err
		}
		for _, rule := range rules {
			if err := tx.Delete(nsRule, ruleKey(region, name, rule.Name)); err != nil {
				return err
			}
		}
		evs, err := tx.List(state.ListParams{NS: nsEvent, Prefix: rulePrefix(region, name)})
		if err != nil {
			return err
		}
		for _, e := range evs {
			if !strings.Contains(e.Key[len(rulePrefix(region, name)):], "/") {
				if err := tx.Delete(nsEvent, e.Key); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(nsSeq, busKey(region, name)); err != nil {
			return err
		}
		return tx.Delete(nsBus, busKey(region, name))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listEventBuses(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		NamePrefix string `json:"NamePrefix"`
		NextToken  string `json:"NextToken"`
		Limit      *int   `json:"Limit"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	limit, err := limitOf(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var all []busOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		ents, err := tx.List(state.ListParams{NS: nsBus, Prefix: region + "/"})
		if err != nil {
			return err
		}
		sawDefault := false
		for _, e := range ents {
			var b busDoc
			if err := json.Unmarshal(e.Value, &b); err != nil {
				return err
			}
			sawDefault = sawDefault || b.Name == DefaultBus
			all = append(all, b.output())
		}
		if !sawDefault {
			d, _ := s.getBus(tx, region, DefaultBus)
			all = append([]busOutput{d.output()}, all...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []busOutput
	for _, b := range all {
		if strings.HasPrefix(b.Name, req.NamePrefix) {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	page, next := paginate(out, req.NextToken, limit, func(b busOutput) string { return b.Name })
	res := map[string]any{"EventBuses": page}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

// limitOf reads a Limit parameter (1 to max; nil means max).
func limitOf(v *int, max int) (int, error) {
	if v == nil {
		return max, nil
	}
	if *v < 1 || *v > max {
		return 0, errValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *v, max)
	}
	return *v, nil
}

// paginate returns the items after the token (the key of the last item
// of the previous page) and the token of the next page.
func paginate[T any](items []T, token string, limit int, key func(T) string) ([]T, string) {
	start := 0
	if token != "" {
		start = len(items)
		for i, it := range items {
			if key(it) > token {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(items))
	page := append([]T{}, items[start:end]...)
	if end < len(items) {
		return page, key(items[end-1])
	}
	return page, ""
}
