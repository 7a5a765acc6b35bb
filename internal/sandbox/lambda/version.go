package lambda

import (
	"context"
	"net/http"
	"strconv"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// publish publishes $LATEST of f as a new version and returns the version's
// configuration. When $LATEST has not changed since the last version was
// published, that version is returned, as AWS does. The caller stores f.
func (s *Service) publish(tx *state.Tx, f *functionDoc, description string) (Configuration, error) {
	name := f.Config.FunctionName
	if f.LastVersion > 0 && f.PublishedFrom == f.Config.RevisionId {
		v, err := getVersion(tx, f.Region, name, f.LastVersion)
		if err == nil {
			return v.Config, nil
		}
		if !service.IsNotFound(err) {
			return Configuration{}, err
		}
	}
	n := f.LastVersion + 1
	cfg := f.Config
	cfg.Version = strconv.Itoa(n)
	cfg.FunctionArn = s.functionARN(f.Region, name) + ":" + cfg.Version
	cfg.RevisionId = newRevisionID()
	cfg.LastModified = lastModified(s.now())
	if description != "" {
		cfg.Description = description
	}
	if err := tx.Put(nsVersion, versionKey(f.Region, name, n), versionDoc{Config: cfg, Code: f.Code}); err != nil {
		return Configuration{}, err
	}
	f.LastVersion, f.PublishedFrom = n, f.Config.RevisionId
	return cfg, nil
}

type publishVersionInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionId  string `json:"RevisionId"`
}

func (s *Service) publishVersion(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	var in publishVersionInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if len(in.Description) > 256 {
		return fail(errValidation("description", "Member must have length less than or equal to 256", in.Description))
	}
	var out Configuration
	err = s.update(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		if in.RevisionId != "" && in.RevisionId != f.Config.RevisionId {
			return errRevision()
		}
		if in.CodeSha256 != "" && in.CodeSha256 != f.Config.CodeSha256 {
			return errInvalid("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, f.Config.CodeSha256)
		}
		if out, err = s.publish(tx, f, in.Description); err != nil {
			return err
		}
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusCreated, out)
}

type listVersionsOutput struct {
	Versions   []Configuration `json:"Versions"`
	NextMarker string          `json:"NextMarker,omitempty"`
}

// listVersions lists $LATEST and then the published versions, oldest
// first, as AWS does; the marker is the last version returned.
func (s *Service) listVersions(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.unqualified(r, c)
	if err != nil {
		return fail(err)
	}
	limit, err := maxItems(c, 50, 10000)
	if err != nil {
		return fail(err)
	}
	marker := c.Query.Get("Marker")
	out := listVersionsOutput{Versions: []Configuration{}}
	err = s.view(ctx, func(tx *state.Tx) error {
		f, err := s.mustFunction(tx, fr)
		if err != nil {
			return err
		}
		latest := f.Config
		latest.FunctionArn += ":$LATEST"
		all := []Configuration{latest}
		vs, err := listVersions(tx, fr.region, fr.name)
		if err != nil {
			return err
		}
		for _, v := range vs {
			all = append(all, v.Config)
		}
		start := 0
		if marker != "" {
			start = len(all)
			for i, v := range all {
				if v.Version == marker {
					start = i + 1
					break
				}
			}
		}
		end := min(start+limit, len(all))
		out.Versions = append(out.Versions, all[start:end]...)
		if end < len(all) {
			out.NextMarker = all[end-1].Version
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}
