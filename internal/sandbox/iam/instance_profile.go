package iam

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxRolesPerInstanceProfile is AWS's fixed quota.
const maxRolesPerInstanceProfile = 1

// instanceProfileDoc is an instance profile as stored in nsInstanceProfile.
type instanceProfileDoc struct {
	Name    string    `json:"name"`
	ID      string    `json:"id"`
	Path    string    `json:"path"`
	Created time.Time `json:"created"`
	Roles   []string  `json:"roles,omitempty"` // role names
	Tags    []Tag     `json:"tags,omitempty"`
}

type xmlInstanceProfile struct {
	Path                string        `xml:"Path"`
	InstanceProfileName string        `xml:"InstanceProfileName"`
	InstanceProfileID   string        `xml:"InstanceProfileId"`
	Arn                 string        `xml:"Arn"`
	CreateDate          string        `xml:"CreateDate"`
	Roles               list[xmlRole] `xml:"Roles"`
	Tags                list[Tag]     `xml:"Tags,omitempty"`
}

type instanceProfileResult struct {
	InstanceProfile xmlInstanceProfile `xml:"InstanceProfile"`
}

func (s *Service) instanceProfileARN(p *instanceProfileDoc) string {
	return s.arn("instance-profile" + p.Path + p.Name)
}

func (s *Service) renderInstanceProfile(tx *state.Tx, p *instanceProfileDoc, withTags bool) (xmlInstanceProfile, error) {
	x := xmlInstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileID: p.ID, Arn: s.instanceProfileARN(p),
		CreateDate: isoTime(p.Created), Roles: list[xmlRole]{}}
	if withTags {
		x.Tags = optTags(p.Tags)
	}
	for _, name := range p.Roles {
		var r roleDoc
		if err := tx.Get(nsRole, key(name), &r); err != nil {
			if errors.Is(err, state.ErrNotFound) {
				continue
			}
			return x, err
		}
		x.Roles = append(x.Roles, s.brief(&r))
	}
	return x, nil
}

func getInstanceProfileDoc(tx *state.Tx, name string) (*instanceProfileDoc, error) {
	var p instanceProfileDoc
	if err := tx.Get(nsInstanceProfile, key(name), &p); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, errNoSuchEntity("Instance Profile %s cannot be found.", name)
		}
		return nil, err
	}
	return &p, nil
}

func instanceProfileName(form url.Values) (string, error) {
	n, err := required(form, "InstanceProfileName")
	if err != nil {
		return "", err
	}
	return n, validName(n, "InstanceProfileName", 128)
}

// profilesForRole lists the instance profiles a role is in.
func profilesForRole(tx *state.Tx, role string) ([]instanceProfileDoc, error) {
	all, err := listAll[instanceProfileDoc](tx, nsInstanceProfile, "")
	if err != nil {
		return nil, err
	}
	var out []instanceProfileDoc
	for _, p := range all {
		for _, r := range p.Roles {
			if key(r) == key(role) {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

func (s *Service) createInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	path, err := pathOf(form, "Path")
	if err != nil {
		return nil, err
	}
	tags, err := readTags(form)
	if err != nil {
		return nil, err
	}
	sortTags(tags)
	p := &instanceProfileDoc{Name: name, ID: newID("AIPA", 21), Path: path, Created: s.now(), Tags: tags}
	var out xmlInstanceProfile
	err = s.update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsInstanceProfile, key(name)); err != nil {
			return err
		} else if ok {
			return errAlreadyExists("Instance Profile %s already exists.", name)
		}
		if err := tx.Put(nsInstanceProfile, key(name), p); err != nil {
			return err
		}
		out, err = s.renderInstanceProfile(tx, p, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return instanceProfileResult{InstanceProfile: out}, nil
}

func (s *Service) getInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	var out xmlInstanceProfile
	err = s.view(ctx, func(tx *state.Tx) error {
		p, err := getInstanceProfileDoc(tx, name)
		if err != nil {
			return err
		}
		out, err = s.renderInstanceProfile(tx, p, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return instanceProfileResult{InstanceProfile: out}, nil
}

func (s *Service) deleteInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := getInstanceProfileDoc(tx, name)
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.Delete(nsInstanceProfile, key(p.Name))
	})
	return nil, err
}

type listInstanceProfilesResult struct {
	InstanceProfiles list[xmlInstanceProfile] `xml:"InstanceProfiles"`
	page
}

func (s *Service) renderProfiles(tx *state.Tx, docs []instanceProfileDoc, form url.Values, prefix string) (any, error) {
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var match []instanceProfileDoc
	for _, p := range docs {
		if strings.HasPrefix(p.Path, prefix) {
			match = append(match, p)
		}
	}
	items, trailer := paginate(match, func(p instanceProfileDoc) string { return key(p.Name) }, pg)
	out := listInstanceProfilesResult{InstanceProfiles: list[xmlInstanceProfile]{}, page: trailer}
	for i := range items {
		x, err := s.renderInstanceProfile(tx, &items[i], false)
		if err != nil {
			return nil, err
		}
		out.InstanceProfiles = append(out.InstanceProfiles, x)
	}
	return out, nil
}

func (s *Service) listInstanceProfiles(ctx context.Context, _ *Request, form url.Values) (any, error) {
	prefix, err := pathPrefix(form)
	if err != nil {
		return nil, err
	}
	var out any
	err = s.view(ctx, func(tx *state.Tx) error {
		docs, err := listAll[instanceProfileDoc](tx, nsInstanceProfile, "")
		if err != nil {
			return err
		}
		out, err = s.renderProfiles(tx, docs, form, prefix)
		return err
	})
	return out, err
}

func (s *Service) listInstanceProfilesForRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	var out any
	err = s.view(ctx, func(tx *state.Tx) error {
		r, err := getRoleDoc(tx, role)
		if err != nil {
			return err
		}
		docs, err := profilesForRole(tx, r.Name)
		if err != nil {
			return err
		}
		out, err = s.renderProfiles(tx, docs, form, "/")
		return err
	})
	return out, err
}

func (s *Service) addRoleToInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := getInstanceProfileDoc(tx, name)
		if err != nil {
			return err
		}
		r, err := getRoleDoc(tx, role)
		if err != nil {
			return err
		}
		if len(p.Roles) >= maxRolesPerInstanceProfile {
			return errLimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerInstanceProfile)
		}
		p.Roles = append(p.Roles, r.Name)
		return tx.Put(nsInstanceProfile, key(p.Name), p)
	})
	return nil, err
}

func (s *Service) removeRoleFromInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := getInstanceProfileDoc(tx, name)
		if err != nil {
			return err
		}
		for i, r := range p.Roles {
			if key(r) == key(role) {
				p.Roles = append(p.Roles[:i], p.Roles[i+1:]...)
				return tx.Put(nsInstanceProfile, key(p.Name), p)
			}
		}
		return errNoSuchEntity("The role with name %s cannot be found.", role)
	})
	return nil, err
}

func (s *Service) modifyInstanceProfile(ctx context.Context, name string, fn func(p *instanceProfileDoc) error) error {
	return s.update(ctx, func(tx *state.Tx) error {
		p, err := getInstanceProfileDoc(tx, name)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return tx.Put(nsInstanceProfile, key(p.Name), p)
	})
}

func (s *Service) tagInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(form)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	return nil, s.modifyInstanceProfile(ctx, name, func(p *instanceProfileDoc) error {
		p.Tags, err = mergeTags(p.Tags, tags)
		return err
	})
}

func (s *Service) untagInstanceProfile(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	keys, err := readTagKeys(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyInstanceProfile(ctx, name, func(p *instanceProfileDoc) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

func (s *Service) listInstanceProfileTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := instanceProfileName(form)
	if err != nil {
		return nil, err
	}
	var p *instanceProfileDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		p, err = getInstanceProfileDoc(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listTagsPage(p.Tags, form)
}
