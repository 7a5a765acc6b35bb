package events

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxTargets is how many targets a rule may have.
const maxTargets = 5

// target is what the sandbox checks of a target; the whole object is
// stored as sent and returned by ListTargetsByRule, so every parameter
// type (ECS, Batch, HTTP, SQS, …) round-trips.
type target struct {
	Id               string            `json:"Id"`
	Arn              string            `json:"Arn"`
	RoleArn          string            `json:"RoleArn"`
	Input            *string           `json:"Input"`
	InputPath        *string           `json:"InputPath"`
	InputTransformer *inputTransformer `json:"InputTransformer"`
	RetryPolicy      *struct {
		MaximumRetryAttempts     *int `json:"MaximumRetryAttempts"`
		MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds"`
	} `json:"RetryPolicy"`
	DeadLetterConfig *DeadLetterConfig `json:"DeadLetterConfig"`
}

type inputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap"`
	InputTemplate *string           `json:"InputTemplate"`
}

// rolesRequired are the target services EventBridge can only reach with a
// role.
var rolesRequired = []string{"kinesis", "ecs", "batch", "ssm", "states", "firehose", "codebuild", "codepipeline", "redshift", "sagemaker"}

type failedEntry struct {
	TargetId     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// check validates one target; a non-empty message fails only that entry.
func (t *target) check() string {
	n := 0
	for _, set := range []bool{t.Input != nil, t.InputPath != nil, t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	m := arnRE.FindStringSubmatch(t.Arn)
	switch {
	case n > 1:
		return "Only one of Input, InputPath, or InputTransformer must be provided."
	case t.Input != nil && (len(*t.Input) > 8192 || !jsonValid(*t.Input)):
		return "Parameter Input is not valid. Reason: Input must be valid JSON of at most 8192 characters."
	case t.InputPath != nil && (len(*t.InputPath) > 256 || !strings.HasPrefix(*t.InputPath, "$")):
		return "Parameter InputPath is not valid. Reason: InputPath must be a JSONPath starting with $."
	case t.InputTransformer != nil && (t.InputTransformer.InputTemplate == nil || *t.InputTransformer.InputTemplate == ""):
		return "Parameter InputTransformer.InputTemplate is required."
	case t.RoleArn != "" && !roleARNRE.MatchString(t.RoleArn):
		return "Parameter RoleArn is not valid. Reason: Provided role is not a valid role ARN."
	case t.RoleArn == "" && m != nil && slices.Contains(rolesRequired, m[1]):
		return "RoleArn is required for target " + t.Arn + "."
	case t.DeadLetterConfig != nil && t.DeadLetterConfig.Arn != "" && !strings.HasPrefix(t.DeadLetterConfig.Arn, "arn:aws:sqs:"):
		return "Parameter DeadLetterConfig.Arn is not valid. Reason: Provided Arn is not an SQS queue ARN."
	}
	if rp := t.RetryPolicy; rp != nil {
		if v := rp.MaximumRetryAttempts; v != nil && (*v < 0 || *v > 185) {
			return "Parameter RetryPolicy.MaximumRetryAttempts is not valid. Reason: it must be between 0 and 185."
		}
		if v := rp.MaximumEventAgeInSeconds; v != nil && (*v < 60 || *v > 86400) {
			return "Parameter RetryPolicy.MaximumEventAgeInSeconds is not valid. Reason: it must be between 60 and 86400."
		}
	}
	return ""
}

func targetID(raw json.RawMessage) string {
	var t struct {
		Id string `json:"Id"`
	}
	_ = json.Unmarshal(raw, &t)
	return t.Id
}

func (s *Service) putTargets(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		Rule         string            `json:"Rule"`
		EventBusName string            `json:"EventBusName"`
		Targets      []json.RawMessage `json:"Targets"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkRuleName(req.Rule); err != nil {
		return nil, err
	}
	bus, err := s.busName(req.EventBusName)
	if err != nil {
		return nil, err
	}
	if len(req.Targets) < 1 || len(req.Targets) > 10 {
		return nil, errValidation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	var ok []json.RawMessage
	var ids []string
	failed := []failedEntry{}
	for i, raw := range req.Targets {
		var t target
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, errValidation("Target %d is not valid: %v", i+1, err)
		}
		if !targetIDRE.MatchString(t.Id) {
			return nil, errValidation("1 validation error detected: Value '%s' at 'targets.%d.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", t.Id, i+1)
		}
		if slices.Contains(ids, t.Id) {
			return nil, errValidation("Target ids must be unique within a request: %s appears twice.", t.Id)
		}
		ids = append(ids, t.Id)
		if len(t.Arn) > 1600 || !arnRE.MatchString(t.Arn) {
			return nil, errValidation("Parameter %s is not valid. Reason: Provided Arn is not in correct format.", t.Arn)
		}
		if msg := t.check(); msg != "" {
			failed = append(failed, failedEntry{TargetId: t.Id, ErrorCode: codeValidation, ErrorMessage: msg})
			continue
		}
		ok = append(ok, raw)
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		rule, err := mustRule(tx, region, bus, req.Rule)
		if err != nil {
			return err
		}
		targets := rule.Targets
		for _, raw := range ok {
			id := targetID(raw)
			replaced := false
			for i := range targets {
				if targetID(targets[i]) == id {
					targets[i], replaced = raw, true
				}
			}
			if !replaced {
				targets = append(targets, raw)
			}
		}
		if len(targets) > maxTargets {
			return protocol.Errorf(http.StatusBadRequest, codeLimit, "The requested resource exceeds the maximum number allowed: a rule can have at most %d targets.", maxTargets)
		}
		rule.Targets = targets
		return tx.Put(nsRule, ruleKey(region, bus, req.Rule), rule)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"FailedEntryCount": len(failed), "FailedEntries": failed}, nil
}

func (s *Service) removeTargets(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		Rule         string   `json:"Rule"`
		EventBusName string   `json:"EventBusName"`
		Ids          []string `json:"Ids"`
		Force        bool     `json:"Force"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkRuleName(req.Rule); err != nil {
		return nil, err
	}
	bus, err := s.busName(req.EventBusName)
	if err != nil {
		return nil, err
	}
	if len(req.Ids) < 1 || len(req.Ids) > 100 {
		return nil, errValidation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	region := s.env.RegionOf(r)
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		rule, err := mustRule(tx, region, bus, req.Rule)
		if err != nil {
			return err
		}
		var keep []json.RawMessage
		for _, t := range rule.Targets {
			if !slices.Contains(req.Ids, targetID(t)) {
				keep = append(keep, t)
			}
		}
		rule.Targets = keep
		return tx.Put(nsRule, ruleKey(region, bus, req.Rule), rule)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []failedEntry{}}, nil
}

func (s *Service) listTargetsByRule(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		Rule         string `json:"Rule"`
		EventBusName string `json:"EventBusName"`
		NextToken    string `json:"NextToken"`
		Limit        *int   `json:"Limit"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkRuleName(req.Rule); err != nil {
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
	var targets []json.RawMessage
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		rule, err := mustRule(tx, s.env.RegionOf(r), bus, req.Rule)
		if err != nil {
			return err
		}
		targets = rule.Targets
		return nil
	})
	if err != nil {
		return nil, err
	}
	start := 0
	if req.NextToken != "" {
		start = len(targets)
		for i, t := range targets {
			if targetID(t) == req.NextToken {
				start = i + 1
			}
		}
	}
	end := min(start+limit, len(targets))
	out := map[string]any{"Targets": append([]json.RawMessage{}, targets[start:end]...)}
	if end < len(targets) {
		out["NextToken"] = targetID(targets[end-1])
	}
	return out, nil
}

func (s *Service) listRuleNamesByTarget(ctx context.Context, r *service.Request, in []byte) (any, error) {
	var req struct {
		TargetArn    string `json:"TargetArn"`
		EventBusName string `json:"EventBusName"`
		NextToken    string `json:"NextToken"`
		Limit        *int   `json:"Limit"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.TargetArn == "" || !arnRE.MatchString(req.TargetArn) {
		return nil, errValidation("Parameter TargetArn is not valid. Reason: Provided Arn is not in correct format.")
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
	var names []string
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		ok, err := busExists(tx, region, bus)
		if err != nil {
			return err
		}
		if !ok {
			return errBusNotFound(bus)
		}
		rules, err := rulesOf(tx, region, bus)
		if err != nil {
			return err
		}
		for _, rule := range rules {
			for _, raw := range rule.Targets {
				var t target
				if json.Unmarshal(raw, &t) == nil && t.Arn == req.TargetArn {
					names = append(names, rule.Name)
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next := paginate(names, req.NextToken, limit, func(n string) string { return n })
	out := map[string]any{"RuleNames": page}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}
