package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Destination is one asynchronous invocation destination.
type Destination struct {
	Destination *string `json:"Destination,omitempty"`
}

// DestinationConfig holds where asynchronous invocations go on success and
// on failure.
type DestinationConfig struct {
	OnSuccess *Destination `json:"OnSuccess,omitempty"`
	OnFailure *Destination `json:"OnFailure,omitempty"`
}

// eicDoc is a stored asynchronous invocation configuration.
type eicDoc struct {
	FunctionArn              string             `json:"function_arn"`
	MaximumRetryAttempts     *int               `json:"max_retry,omitempty"`
	MaximumEventAgeInSeconds *int               `json:"max_age,omitempty"`
	DestinationConfig        *DestinationConfig `json:"destinations,omitempty"`
	LastModified             time.Time          `json:"last_modified"`
}

// eicOutput is FunctionEventInvokeConfig on the wire; LastModified is a
// timestamp, which the REST-JSON protocol sends as epoch seconds.
type eicOutput struct {
	FunctionArn              string            `json:"FunctionArn"`
	LastModified             float64           `json:"LastModified"`
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        DestinationConfig `json:"DestinationConfig"`
}

func (d *eicDoc) output() eicOutput {
	out := eicOutput{
		FunctionArn:              d.FunctionArn,
		LastModified:             float64(d.LastModified.UnixMilli()) / 1000,
		MaximumRetryAttempts:     d.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: d.MaximumEventAgeInSeconds,
		// Unconfigured destinations come back as empty objects, as on AWS.
		DestinationConfig: DestinationConfig{OnSuccess: &Destination{}, OnFailure: &Destination{}},
	}
	if d.DestinationConfig != nil {
		if d.DestinationConfig.OnSuccess != nil {
			out.DestinationConfig.OnSuccess = d.DestinationConfig.OnSuccess
		}
		if d.DestinationConfig.OnFailure != nil {
			out.DestinationConfig.OnFailure = d.DestinationConfig.OnFailure
		}
	}
	return out
}

type eicInput struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *DestinationConfig `json:"DestinationConfig"`
}

func (in *eicInput) validate() error {
	if in.MaximumRetryAttempts != nil {
		if err := between("maximumRetryAttempts", *in.MaximumRetryAttempts, 0, 2); err != nil {
			return err
		}
	}
	if in.MaximumEventAgeInSeconds != nil {
		if err := between("maximumEventAgeInSeconds", *in.MaximumEventAgeInSeconds, 60, 21600); err != nil {
			return err
		}
	}
	if d := in.DestinationConfig; d != nil {
		for _, dst := range []*Destination{d.OnSuccess, d.OnFailure} {
			if dst != nil && dst.Destination != nil && *dst.Destination != "" {
				if err := checkDestination(*dst.Destination, "sqs", "sns", "lambda", "events", "s3"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// eicTarget resolves the function and qualifier of an event invoke config
// call, returning the state key and the qualified ARN.
func (s *Service) eicTarget(tx *state.Tx, fr ref) (key, arn string, err error) {
	if _, err := s.mustFunction(tx, fr); err != nil {
		return "", "", err
	}
	q := fr.qualifier
	if q == "" {
		q = "$LATEST"
	}
	ok, err := qualifierExists(tx, fr.region, fr.name, q)
	if err != nil {
		return "", "", err
	}
	arn = s.functionARN(fr.region, fr.name) + ":" + q
	if !ok {
		return "", "", errFunctionNotFound(arn)
	}
	return childPrefix(fr.region, fr.name) + q, arn, nil
}

func (s *Service) putEventInvokeConfig(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	return s.writeEventInvokeConfig(ctx, r, c, true)
}

func (s *Service) updateEventInvokeConfig(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	return s.writeEventInvokeConfig(ctx, r, c, false)
}

// writeEventInvokeConfig replaces the configuration (Put) or merges the
// fields given into it (Update).
func (s *Service) writeEventInvokeConfig(ctx context.Context, r *service.Request, c *service.RESTCall, replace bool) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var in eicInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if err := in.validate(); err != nil {
		return fail(err)
	}
	var out eicOutput
	err = s.update(ctx, func(tx *state.Tx) error {
		key, arn, err := s.eicTarget(tx, fr)
		if err != nil {
			return err
		}
		var d eicDoc
		if !replace {
			if err := tx.Get(nsEIC, key, &d); err != nil && !errors.Is(err, state.ErrNotFound) {
				return err
			}
		}
		d.FunctionArn, d.LastModified = arn, s.now()
		if replace || in.MaximumRetryAttempts != nil {
			d.MaximumRetryAttempts = in.MaximumRetryAttempts
		}
		if replace || in.MaximumEventAgeInSeconds != nil {
			d.MaximumEventAgeInSeconds = in.MaximumEventAgeInSeconds
		}
		if replace || in.DestinationConfig != nil {
			d.DestinationConfig = in.DestinationConfig
		}
		out = d.output()
		return tx.Put(nsEIC, key, d)
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

func (s *Service) getEventInvokeConfig(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var out eicOutput
	err = s.view(ctx, func(tx *state.Tx) error {
		key, arn, err := s.eicTarget(tx, fr)
		if err != nil {
			return err
		}
		var d eicDoc
		if err := tx.Get(nsEIC, key, &d); err != nil {
			if errors.Is(err, state.ErrNotFound) {
				return errNotFound("The function %s doesn't have an EventInvokeConfig", arn)
			}
			return err
		}
		out = d.output()
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

func (s *Service) deleteEventInvokeConfig(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		key, arn, err := s.eicTarget(tx, fr)
		if err != nil {
			return err
		}
		ok, err := tx.Exists(nsEIC, key)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("The function %s doesn't have an EventInvokeConfig", arn)
		}
		return tx.Delete(nsEIC, key)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusNoContent, nil)
}

func (s *Service) listEventInvokeConfigs(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	limit, err := maxItems(c, 50, 50)
	if err != nil {
		return fail(err)
	}
	marker := c.Query.Get("Marker")
	out := struct {
		FunctionEventInvokeConfigs []eicOutput `json:"FunctionEventInvokeConfigs"`
		NextMarker                 string      `json:"NextMarker,omitempty"`
	}{FunctionEventInvokeConfigs: []eicOutput{}}
	err = s.view(ctx, func(tx *state.Tx) error {
		if _, err := s.mustFunction(tx, fr); err != nil {
			return err
		}
		after := ""
		if marker != "" {
			after = childPrefix(fr.region, fr.name) + marker
		}
		ents, err := tx.List(state.ListParams{NS: nsEIC, Prefix: childPrefix(fr.region, fr.name), After: after, Limit: limit + 1})
		if err != nil {
			return err
		}
		for i, e := range ents {
			if i == limit {
				prev := ents[i-1].Key
				out.NextMarker = prev[len(childPrefix(fr.region, fr.name)):]
				break
			}
			var d eicDoc
			if err := json.Unmarshal(e.Value, &d); err != nil {
				return err
			}
			out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, d.output())
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}
