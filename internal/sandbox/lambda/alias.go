package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// RoutingConfig shifts a share of an alias's traffic to another version.
type RoutingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights,omitempty"`
}

// aliasDoc is a stored alias, in the AliasConfiguration shape.
type aliasDoc struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RoutingConfig   *RoutingConfig `json:"RoutingConfig,omitempty"`
	RevisionId      string         `json:"RevisionId"`
}

func (a *aliasDoc) weights() map[string]float64 {
	if a.RoutingConfig == nil {
		return nil
	}
	return a.RoutingConfig.AdditionalVersionWeights
}

func getAlias(tx *state.Tx, region, fn, name string) (*aliasDoc, error) {
	var a aliasDoc
	if err := tx.Get(nsAlias, childPrefix(region, fn)+name, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func listAliases(tx *state.Tx, region, fn string) ([]aliasDoc, error) {
	ents, err := tx.List(state.ListParams{NS: nsAlias, Prefix: childPrefix(region, fn)})
	if err != nil {
		return nil, err
	}
	out := make([]aliasDoc, 0, len(ents))
	for _, e := range ents {
		var a aliasDoc
		if err := json.Unmarshal(e.Value, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

type aliasInput struct {
	Name            *string        `json:"Name"`
	FunctionVersion *string        `json:"FunctionVersion"`
	Description     *string        `json:"Description"`
	RoutingConfig   *RoutingConfig `json:"RoutingConfig"`
	RevisionId      string         `json:"RevisionId"`
}

// checkVersion reports ResourceNotFoundException unless v is $LATEST or a
// published version of the function.
func (s *Service) checkVersion(tx *state.Tx, fr ref, v string) error {
	if v != "$LATEST" && !versionRE.MatchString(v) {
		return errValidation("functionVersion", `Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)`, v)
	}
	ok, err := qualifierExists(tx, fr.region, fr.name, v)
	if err != nil {
		return err
	}
	if !ok {
		return errFunctionNotFound(s.functionARN(fr.region, fr.name) + ":" + v)
	}
	return nil
}

// applyAlias validates in and applies it to a.
func (s *Service) applyAlias(tx *state.Tx, fr ref, a *aliasDoc, in *aliasInput) error {
	if in.FunctionVersion != nil {
		if err := s.checkVersion(tx, fr, *in.FunctionVersion); err != nil {
			return err
		}
		a.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		if len(*in.Description) > 256 {
			return errValidation("description", "Member must have length less than or equal to 256", *in.Description)
		}
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		w := in.RoutingConfig.AdditionalVersionWeights
		if len(w) == 0 {
			a.RoutingConfig = nil
		} else {
			if len(w) > 1 {
				return errInvalid("Number of additional versions in routing config must be at most 1.")
			}
			a.RoutingConfig = &RoutingConfig{AdditionalVersionWeights: w}
		}
	}
	for v, weight := range a.weights() {
		if a.FunctionVersion == "$LATEST" {
			return errInvalid("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if !versionRE.MatchString(v) {
			return errInvalid("Invalid function version %s in routing config: it must be a published version.", v)
		}
		if v == a.FunctionVersion {
			return errInvalid("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if weight < 0 || weight > 1 {
			return errValidation("routingConfig.additionalVersionWeights", "Member must have value between 0.0 and 1.0", weight)
		}
		if err := s.checkVersion(tx, fr, v); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) createAlias(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	var in aliasInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if in.Name == nil || !aliasNameRE.MatchString(*in.Name) || versionRE.MatchString(*in.Name) || *in.Name == "$LATEST" {
		name := "null"
		if in.Name != nil {
			name = *in.Name
		}
		return fail(errValidation("name", `Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`, name))
	}
	if in.FunctionVersion == nil {
		return fail(errValidation("functionVersion", "Member must not be null", "null"))
	}
	var out aliasDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		if _, err := s.mustFunction(tx, fr); err != nil {
			return err
		}
		arn := s.functionARN(fr.region, fr.name) + ":" + *in.Name
		exists, err := tx.Exists(nsAlias, childPrefix(fr.region, fr.name)+*in.Name)
		if err != nil {
			return err
		}
		if exists {
			return errConflict("Alias already exists: %s", arn)
		}
		a := aliasDoc{AliasArn: arn, Name: *in.Name}
		if err := s.applyAlias(tx, fr, &a, &in); err != nil {
			return err
		}
		a.RevisionId = newRevisionID()
		out = a
		return tx.Put(nsAlias, childPrefix(fr.region, fr.name)+a.Name, a)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusCreated, out)
}

// aliasRef parses the FunctionName and Name labels of an alias call.
func (s *Service) aliasRef(r *service.Request, c *service.RESTCall) (ref, string, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fr, "", err
	}
	name := c.Path["Name"]
	if !aliasNameRE.MatchString(name) {
		return fr, "", errValidation("name", `Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`, name)
	}
	return fr, name, nil
}

func (s *Service) mustAlias(tx *state.Tx, fr ref, name string) (*aliasDoc, error) {
	if _, err := s.mustFunction(tx, fr); err != nil {
		return nil, err
	}
	a, err := getAlias(tx, fr.region, fr.name, name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, errNotFound("Cannot find alias arn: %s:%s", s.functionARN(fr.region, fr.name), name)
	}
	return a, err
}

func (s *Service) getAlias(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, name, err := s.aliasRef(r, c)
	if err != nil {
		return fail(err)
	}
	var out *aliasDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		out, err = s.mustAlias(tx, fr, name)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

func (s *Service) updateAlias(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, name, err := s.aliasRef(r, c)
	if err != nil {
		return fail(err)
	}
	var in aliasInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	var out aliasDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		a, err := s.mustAlias(tx, fr, name)
		if err != nil {
			return err
		}
		if in.RevisionId != "" && in.RevisionId != a.RevisionId {
			return errRevision()
		}
		if err := s.applyAlias(tx, fr, a, &in); err != nil {
			return err
		}
		a.RevisionId = newRevisionID()
		out = *a
		return tx.Put(nsAlias, childPrefix(fr.region, fr.name)+name, a)
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

func (s *Service) deleteAlias(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, name, err := s.aliasRef(r, c)
	if err != nil {
		return fail(err)
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		if _, err := s.mustAlias(tx, fr, name); err != nil {
			return err
		}
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		if f.Policies[name] != nil {
			delete(f.Policies, name)
			if err := putFunction(tx, f); err != nil {
				return err
			}
		}
		if err := tx.Delete(nsEIC, childPrefix(fr.region, fr.name)+name); err != nil {
			return err
		}
		return tx.Delete(nsAlias, childPrefix(fr.region, fr.name)+name)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusNoContent, nil)
}

type listAliasesOutput struct {
	Aliases    []aliasDoc `json:"Aliases"`
	NextMarker string     `json:"NextMarker,omitempty"`
}

func (s *Service) listAliases(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	limit, err := maxItems(c, 50, 10000)
	if err != nil {
		return fail(err)
	}
	version := c.Query.Get("FunctionVersion")
	marker := c.Query.Get("Marker")
	out := listAliasesOutput{Aliases: []aliasDoc{}}
	err = s.view(ctx, func(tx *state.Tx) error {
		if _, err := s.mustFunction(tx, fr); err != nil {
			return err
		}
		all, err := listAliases(tx, fr.region, fr.name)
		if err != nil {
			return err
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
		for _, a := range all {
			if marker != "" && a.Name <= marker {
				continue
			}
			if version != "" && a.FunctionVersion != version {
				continue
			}
			if len(out.Aliases) == limit {
				out.NextMarker = out.Aliases[limit-1].Name
				break
			}
			out.Aliases = append(out.Aliases, a)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}
