package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Account concurrency: 1,000 concurrent executions, of which at least 100
// stay unreserved.
const (
	accountConcurrency   = 1000
	minUnreservedConcurr = 100
)

func (s *Service) putConcurrency(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if in.ReservedConcurrentExecutions == nil {
		return fail(errValidation("reservedConcurrentExecutions", "Member must not be null", "null"))
	}
	n := *in.ReservedConcurrentExecutions
	if n < 0 {
		return fail(errValidation("reservedConcurrentExecutions", "Member must have value greater than or equal to 0", n))
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		ents, err := tx.List(state.ListParams{NS: nsFunction, Prefix: fr.region + "/"})
		if err != nil {
			return err
		}
		reserved := n
		for _, e := range ents {
			if e.Key == fnKey(fr.region, fr.name) {
				continue
			}
			var other functionDoc
			if err := json.Unmarshal(e.Value, &other); err != nil {
				return err
			}
			if other.Concurrency != nil {
				reserved += *other.Concurrency
			}
		}
		if accountConcurrency-reserved < minUnreservedConcurr {
			return errInvalid("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", minUnreservedConcurr)
		}
		f.Concurrency = &n
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	s.runner.stopFunction(fr.region, fr.name) // the process limit changed
	return ok(concurrency{ReservedConcurrentExecutions: &n})
}

func (s *Service) getConcurrency(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	var out concurrency
	err = s.view(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		out.ReservedConcurrentExecutions = f.Concurrency
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

func (s *Service) deleteConcurrency(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		f.Concurrency = nil
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	s.runner.stopFunction(fr.region, fr.name)
	return status(http.StatusNoContent, nil)
}

// getCodeSigningConfig answers that no code signing configuration is
// attached: the sandbox does not serve them.
func (s *Service) getCodeSigningConfig(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	err = s.view(ctx, func(tx *state.Tx) error {
		_, err := s.mustFunction(tx, fr)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return ok(map[string]string{"CodeSigningConfigArn": "", "FunctionName": fr.name})
}

// tagTarget parses the Resource label of a tagging call: an unqualified
// function ARN.
func (s *Service) tagTarget(r *service.Request, c *service.RESTCall) (ref, error) {
	res := c.Path["Resource"]
	if !strings.HasPrefix(res, "arn:") {
		return ref{}, errValidation("resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+", res)
	}
	fr, err := s.parseFunctionName(r, res)
	if err != nil {
		return fr, err
	}
	if fr.qualifier != "" {
		return fr, errInvalid("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return fr, nil
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.tagTarget(r, c)
	if err != nil {
		return fail(err)
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if len(in.Tags) == 0 {
		return fail(errValidation("tags", "Member must not be null", "null"))
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		if err := checkTags(f.Tags, in.Tags); err != nil {
			return err
		}
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			f.Tags[k] = v
		}
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusNoContent, nil)
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.tagTarget(r, c)
	if err != nil {
		return fail(err)
	}
	keys := c.Query["tagKeys"]
	if len(keys) == 0 {
		return fail(errValidation("tagKeys", "Member must not be null", "null"))
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		for _, k := range keys {
			delete(f.Tags, k)
		}
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusNoContent, nil)
}

func (s *Service) listTags(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.tagTarget(r, c)
	if err != nil {
		return fail(err)
	}
	tags := map[string]string{}
	err = s.view(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(f.Tags))
		for k := range f.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tags[k] = f.Tags[k]
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"Tags": tags})
}
