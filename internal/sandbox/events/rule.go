package events

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/events/pattern"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxPatternLength bounds an EventPattern, as PutRule does.
const maxPatternLength = 4096

type ruleDoc struct {
	Name               string            `json:"name"`
	Arn                string            `json:"arn"`
	EventBusName       string            `json:"bus"`
	EventPattern       string            `json:"pattern,omitempty"`
	ScheduleExpression string            `json:"schedule,omitempty"`
	State              string            `json:"state"`
	Description        string            `json:"description,omitempty"`
	RoleArn            string            `json:"role_arn,omitempty"`
	ManagedBy          string            `json:"managed_by,omitempty"`
	Tags               []Tag             `json:"tags,omitempty"`
	Targets            []json.RawMessage `json:"targets,omitempty"` // as PutTargets sent them
}

// enabled reports whether the rule acts on events.
func (r *ruleDoc) enabled() bool {
	return r.State == "ENABLED" || r.State == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
}

type ruleOutput struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	ManagedBy          string `json:"ManagedBy,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func (s *Service) ruleOutput(r *ruleDoc) ruleOutput {
	return ruleOutput{Name: r.Name, Arn: r.Arn, EventPattern: r.EventPattern, ScheduleExpression: r.ScheduleExpression,
		State: r.State, Description: r.Description, RoleArn: r.RoleArn, ManagedBy: r.ManagedBy, EventBusName: r.EventBusName,
		CreatedBy: s.env.AccountID}
}

func getRule(tx *state.Tx, region, bus, name string) (*ruleDoc, error) {
	var r ruleDoc
	if err := tx.Get(nsRule, ruleKey(region, bus, name), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// mustRule reads a rule or returns ResourceNotFoundException.
func mustRule(tx *state.Tx, region, bus, name string) (*ruleDoc, error) {
	r, err := getRule(tx, region, bus, name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, errRuleNotFound(name, bus)
	}
	return r, err
}

func checkRuleName(name string) error {
	if !ruleNameRE.MatchString(name) {
		return errValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", name)
	}
	return nil
}

// checkPattern validates an event pattern as PutRule does, returning
// InvalidEventPatternException for a malformed one.
func checkPattern(p string) (*pattern.Pattern, error) {
	if len(p) > maxPatternLength {
		return nil, errValidation("1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to %d", maxPatternLength)
	}
	compiled, err := pattern.Compile([]byte(p))
	if err != nil {
		return nil, protocol.Errorf(http.StatusBadRequest, codeInvalidPattern, "%s", err.Error())
	}
	return compiled, nil
}

type putRuleInput struct {
	Name               string `json:"Name"`
	ScheduleExpression string `json:"ScheduleExpression"`
	EventPattern       string `json:"EventPattern"`
	State              string `json:"State"`
	Description        string `json:"Description"`
	RoleArn            string `json:"RoleArn"`
	Tags               []Tag  `json:"Tags"`
	EventBusName       string `json:"EventBusName"`
}

func (s *Service) putRule(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req putRuleInput
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkRuleName(req.Name); err != nil {
		return nil, err
	}
	bus, err := s.busName(req.EventBusName)
	if err != nil {
		return nil, err
	}
	if req.EventPattern == "" && req.ScheduleExpression == "" {
		return nil, errValidation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if req.EventPattern != "" {
		if _, err := checkPattern(req.EventPattern); err != nil {
			return nil, err
		}
	}
	if req.ScheduleExpression != "" {
		if bus != DefaultBus {
			return nil, errValidation("ScheduleExpression is supported only on the default event bus.")
		}
		if len(req.ScheduleExpression) > 256 || !validSchedule(req.ScheduleExpression) {
			return nil, errValidation("Parameter ScheduleExpression is not valid.")
		}
	}
	switch req.State {
	case "":
		req.State = "ENABLED"
	case "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", req.State)
	}
	if len(req.Description) > 512 {
		return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
	}
	if req.RoleArn != "" && !roleARNRE.MatchString(req.RoleArn) {
		return nil, errValidation("Provided role '%s' is not a valid role ARN.", req.RoleArn)
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	arn := s.ruleARN(region, bus, req.Name)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		ok, err := busExists(tx, region, bus)
		if err != nil {
			return err
		}
		if !ok {
			return errBusNotFound(bus)
		}
		old, err := getRule(tx, region, bus, req.Name)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
		rule := ruleDoc{Name: req.Name, Arn: arn, EventBusName: bus, EventPattern: req.EventPattern,
			ScheduleExpression: req.ScheduleExpression, State: req.State, Description: req.Description, RoleArn: req.RoleArn,
			Tags: mergeTags(nil, req.Tags)}
		if old != nil {
			// PutRule replaces a rule's definition; its targets and tags
			// stay (tags change through TagResource/UntagResource).
			if old.ManagedBy != "" {
				return protocol.Errorf(http.StatusBadRequest, codeManaged, "Rule %s is managed by %s and cannot be modified.", req.Name, old.ManagedBy)
			}
			rule.Tags, rule.Targets = old.Tags, old.Targets
		}
		return tx.Put(nsRule, ruleKey(region, bus, req.Name), rule)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"RuleArn": arn}, nil
}

type ruleRef struct {
	Name         string `json:"Name"`
	EventBusName string `json:"EventBusName"`
	Force        bool   `json:"Force"`
}

func (s *Service) ruleRef(in []byte) (ruleRef, string, error) {
	var req ruleRef
	if err := decode(in, &req); err != nil {
		return req, "", err
	}
	if err := checkRuleName(req.Name); err != nil {
		return req, "", err
	}
	bus, err := s.busName(req.EventBusName)
	return req, bus, err
}

func (s *Service) describeRule(ctx context.Context, r *service.Request, in []byte) (any, error) {
	req, bus, err := s.ruleRef(in)
	if err != nil {
		return nil, err
	}
	var out ruleOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		rule, err := mustRule(tx, s.env.RegionOf(r), bus, req.Name)
		if err != nil {
			return err
		}
		out = s.ruleOutput(rule)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) deleteRule(ctx context.Context, r *service.Request, in []byte) (any, error) {
	req, bus, err := s.ruleRef(in)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		rule, err := getRule(tx, region, bus, req.Name)
		if errors.Is(err, state.ErrNotFound) {
			return nil // deleting a rule that is not there succeeds, as on AWS
		}
		if err != nil {
			return err
		}
		if len(rule.Targets) > 0 {
			return errValidation("Rule can't be deleted since it has targets.")
		}
		if rule.ManagedBy != "" && !req.Force {
			return protocol.Errorf(http.StatusBadRequest, codeManaged, "Rule %s is managed by %s; use Force to delete it.", req.Name, rule.ManagedBy)
		}
		return tx.Delete(nsRule, ruleKey(region, bus, req.Name))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) setRuleState(ctx context.Context, r *service.Request, in []byte, st string) (any, error) {
	req, bus, err := s.ruleRef(in)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		rule, err := mustRule(tx, region, bus, req.Name)
		if err != nil {
			return err
		}
		rule.State = st
		return tx.Put(nsRule, ruleKey(region, bus, req.Name), rule)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) enableRule(ctx context.Context, r *service.Request, in []byte) (any, error) {
	return s.setRuleState(ctx, r, in, "ENABLED")
}

func (s *Service) disableRule(ctx context.Context, r *service.Request, in []byte) (any, error) {
	return s.setRuleState(ctx, r, in, "DISABLED")
}

// rulesOf lists the rules of a bus, in name order.
func rulesOf(tx *state.Tx, region, bus string) ([]ruleDoc, error) {
	ents, err := tx.List(state.ListParams{NS: nsRule, Prefix: rulePrefix(region, bus)})
	if err != nil {
		return nil, err
	}
	out := make([]ruleDoc, 0, len(ents))
	for _, e := range ents {
		// Keys of buses whose name extends this one ("a" and "a/b") share
		// the prefix; a rule name has no '/'.
		if strings.Contains(e.Key[len(rulePrefix(region, bus)):], "/") {
			continue
		}
		var r ruleDoc
		if err := json.Unmarshal(e.Value, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) listRules(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		NamePrefix   string `json:"NamePrefix"`
		EventBusName string `json:"EventBusName"`
		NextToken    string `json:"NextToken"`
		Limit        *int   `json:"Limit"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	bus, err := s.busName(req.EventBusName)
	if err != nil {
		return nil, err
	}
	limit, err := limitOf(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var rules []ruleOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		ok, err := busExists(tx, region, bus)
		if err != nil {
			return err
		}
		if !ok {
			return errBusNotFound(bus)
		}
		all, err := rulesOf(tx, region, bus)
		if err != nil {
			return err
		}
		for i := range all {
			if strings.HasPrefix(all[i].Name, req.NamePrefix) {
				rules = append(rules, s.ruleOutput(&all[i]))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next := paginate(rules, req.NextToken, limit, func(r ruleOutput) string { return r.Name })
	out := map[string]any{"Rules": page}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (s *Service) testEventPattern(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		EventPattern string `json:"EventPattern"`
		Event        string `json:"Event"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	p, err := checkPattern(req.EventPattern)
	if err != nil {
		return nil, err
	}
	var ev map[string]any
	dec := json.NewDecoder(strings.NewReader(req.Event))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil || ev == nil {
		return nil, errValidation("Parameter Event is not valid.")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := ev[f]; !ok {
			return nil, errValidation("Parameter Event is not valid: the event has no %q field.", f)
		}
	}
	return map[string]bool{"Result": p.Match(ev)}, nil
}
