package kms

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type aliasInput struct {
	AliasName   string `json:"AliasName"`
	TargetKeyID string `json:"TargetKeyId"`
}

// checkAliasName validates a name a caller may create or change.
func checkAliasName(name string) error {
	switch {
	case name == "":
		return validation("1 validation error detected: Value null at 'aliasName' failed to satisfy constraint: Member must not be null")
	case len(name) > 256:
		return validation("1 validation error detected: Value at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256")
	case !aliasNamePattern.MatchString(name):
		return errorf("InvalidAliasNameException", "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
	case strings.HasPrefix(name, "alias/aws/"):
		return errorf("NotAuthorizedException", "Cannot create, update or delete an alias with the reserved prefix alias/aws/.")
	}
	return nil
}

// aliasTarget resolves the key an alias is to point at: a customer managed
// key that is not pending deletion.
func (s *Service) aliasTarget(tx *state.Tx, region, id string) (*keyDoc, error) {
	k, err := s.resolve(tx, region, id, lookup{})
	if err != nil {
		return nil, err
	}
	if err := notPending(k); err != nil {
		return nil, err
	}
	if k.Manager == "AWS" {
		return nil, errorf("NotAuthorizedException", "Cannot point an alias at AWS managed key %s.", k.ARN)
	}
	return k, nil
}

func (s *Service) createAlias(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in aliasInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.AliasName); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	return struct{}{}, s.update(ctx, func(tx *state.Tx) error {
		k, err := s.aliasTarget(tx, region, in.TargetKeyID)
		if err != nil {
			return err
		}
		exists, err := tx.Exists(nsAlias, region+"/"+in.AliasName)
		if err != nil {
			return err
		}
		if exists {
			return errorf("AlreadyExistsException", "An alias with the name %s already exists", s.aliasARN(region, in.AliasName))
		}
		now := s.env.Now().UTC()
		return tx.Put(nsAlias, region+"/"+in.AliasName, aliasDoc{Name: in.AliasName, Region: region, KeyID: k.KeyID, Created: now, Updated: now})
	})
}

func (s *Service) updateAlias(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in aliasInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.AliasName); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	return struct{}{}, s.update(ctx, func(tx *state.Tx) error {
		var a aliasDoc
		err := tx.Get(nsAlias, region+"/"+in.AliasName, &a)
		if service.IsNotFound(err) {
			return notFound("Alias %s is not found.", s.aliasARN(region, in.AliasName))
		}
		if err != nil {
			return err
		}
		k, err := s.aliasTarget(tx, region, in.TargetKeyID)
		if err != nil {
			return err
		}
		if old, err := s.load(tx, region, a.KeyID); err == nil && old != nil && (old.KeyUsage != k.KeyUsage || old.KeySpec != k.KeySpec) {
			return validation("The new target key must have the same key spec and key usage as the current target key (%s %s).", old.KeySpec, old.KeyUsage)
		}
		a.KeyID, a.Updated = k.KeyID, s.env.Now().UTC()
		return tx.Put(nsAlias, region+"/"+in.AliasName, a)
	})
}

func (s *Service) deleteAlias(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in aliasInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.AliasName); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	return struct{}{}, s.update(ctx, func(tx *state.Tx) error {
		exists, err := tx.Exists(nsAlias, region+"/"+in.AliasName)
		if err != nil {
			return err
		}
		if !exists {
			return notFound("Alias %s is not found.", s.aliasARN(region, in.AliasName))
		}
		return tx.Delete(nsAlias, region+"/"+in.AliasName)
	})
}

type aliasEntry struct {
	AliasArn        string `json:"AliasArn"`
	AliasName       string `json:"AliasName"`
	TargetKeyID     string `json:"TargetKeyId,omitempty"`
	CreationDate    *epoch `json:"CreationDate"`
	LastUpdatedDate *epoch `json:"LastUpdatedDate"`
}

func (s *Service) listAliases(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 50, 100)
	if err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var all []aliasEntry
	err = s.update(ctx, func(tx *state.Tx) error {
		filter := ""
		if in.KeyID != "" {
			k, err := s.resolve(tx, region, in.KeyID, lookup{})
			if err != nil {
				return err
			}
			filter = k.KeyID
		}
		ents, err := tx.List(state.ListParams{NS: nsAlias, Prefix: region + "/"})
		if err != nil {
			return err
		}
		for _, e := range ents {
			var a aliasDoc
			if err := json.Unmarshal(e.Value, &a); err != nil {
				return err
			}
			if filter != "" && a.KeyID != filter {
				continue
			}
			// An alias of a key whose deletion completed goes with it.
			if k, err := s.load(tx, region, a.KeyID); err != nil {
				return err
			} else if k == nil {
				continue
			}
			all = append(all, aliasEntry{AliasArn: s.aliasARN(region, a.Name), AliasName: a.Name, TargetKeyID: a.KeyID,
				CreationDate: ep(a.Created), LastUpdatedDate: ep(a.Updated)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(len(all), in.Marker, n)
	if err != nil {
		return nil, err
	}
	aliases := all[page[0]:page[1]]
	if aliases == nil {
		aliases = []aliasEntry{}
	}
	out := map[string]any{"Aliases": aliases, "Truncated": next != ""}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}
