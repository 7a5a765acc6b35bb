package iam

import (
	"context"
	"net/url"
	"sort"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Inline policies of roles and users: stored inside the entity's document,
// so that a put and the size check of the entity's aggregate are atomic.

// readInline reads PolicyName and PolicyDocument of a Put*Policy call.
func readInline(form url.Values) (name, doc string, err error) {
	name, err = readInlineName(form)
	if err != nil {
		return "", "", err
	}
	doc, err = required(form, "PolicyDocument")
	if err != nil {
		return "", "", err
	}
	if err := checkLen(doc, "PolicyDocument", 1, maxPolicyDocumentChar); err != nil {
		return "", "", err
	}
	if err := validatePolicy(doc, identityPolicy); err != nil {
		return "", "", err
	}
	return name, doc, nil
}

func readInlineName(form url.Values) (string, error) {
	name, err := required(form, "PolicyName")
	if err != nil {
		return "", err
	}
	return name, validName(name, "PolicyName", 128)
}

// putInline adds or replaces an inline policy, refusing to go over the
// entity's aggregate size quota (what says so is limitErr).
func putInline(pol *policies, name, doc string, maxSize int, limitErr func() error) error {
	next := make([]inlinePolicy, 0, len(pol.Inline)+1)
	size := 0
	for _, p := range pol.Inline {
		if p.Name == name {
			continue
		}
		next = append(next, p)
		size += policySize(p.Document)
	}
	next = append(next, inlinePolicy{Name: name, Document: doc})
	size += policySize(doc)
	if size > maxSize {
		return limitErr()
	}
	sort.Slice(next, func(i, j int) bool { return next[i].Name < next[j].Name })
	pol.Inline = next
	return nil
}

func findInline(pol *policies, name string) (inlinePolicy, bool) {
	for _, p := range pol.Inline {
		if p.Name == name {
			return p, true
		}
	}
	return inlinePolicy{}, false
}

func deleteInline(pol *policies, name string) bool {
	for i, p := range pol.Inline {
		if p.Name == name {
			pol.Inline = append(pol.Inline[:i], pol.Inline[i+1:]...)
			return true
		}
	}
	return false
}

type listPolicyNamesResult struct {
	PolicyNames list[string] `xml:"PolicyNames"`
	page
}

func listInline(pol *policies, form url.Values) (any, error) {
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(pol.Inline))
	for _, p := range pol.Inline {
		names = append(names, p.Name)
	}
	items, trailer := paginate(names, func(n string) string { return n }, pg)
	return listPolicyNamesResult{PolicyNames: list[string](items), page: trailer}, nil
}

// ---- roles ----

type rolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) putRolePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	name, doc, err := readInline(form)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, role, false, func(_ *state.Tx, r *roleDoc) error {
		return putInline(&r.policies, name, doc, maxRoleInlinePolicySize, func() error {
			return errLimitExceeded("Maximum policy size of %d bytes exceeded for role %s", maxRoleInlinePolicySize, r.Name)
		})
	})
	return nil, err
}

func (s *Service) getRolePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	name, err := readInlineName(form)
	if err != nil {
		return nil, err
	}
	var out rolePolicyResult
	err = s.view(ctx, func(tx *state.Tx) error {
		r, err := getRoleDoc(tx, role)
		if err != nil {
			return err
		}
		p, ok := findInline(&r.policies, name)
		if !ok {
			return errNoSuchEntity("The role policy with name %s cannot be found.", name)
		}
		out = rolePolicyResult{RoleName: r.Name, PolicyName: p.Name, PolicyDocument: encodeDocument(p.Document)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) deleteRolePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	name, err := readInlineName(form)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, role, false, func(_ *state.Tx, r *roleDoc) error {
		if !deleteInline(&r.policies, name) {
			return errNoSuchEntity("The role policy with name %s cannot be found.", name)
		}
		return nil
	})
	return nil, err
}

func (s *Service) listRolePolicies(ctx context.Context, _ *Request, form url.Values) (any, error) {
	role, err := roleName(form)
	if err != nil {
		return nil, err
	}
	var r *roleDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		r, err = getRoleDoc(tx, role)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listInline(&r.policies, form)
}

// ---- users ----

type userPolicyResult struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) putUserPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	user, err := userName(form)
	if err != nil {
		return nil, err
	}
	name, doc, err := readInline(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyUser(ctx, user, func(_ *state.Tx, u *userDoc) error {
		return putInline(&u.policies, name, doc, maxUserInlinePolicySize, func() error {
			return errLimitExceeded("Maximum policy size of %d bytes exceeded for user %s", maxUserInlinePolicySize, u.Name)
		})
	})
}

func (s *Service) getUserPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	user, err := userName(form)
	if err != nil {
		return nil, err
	}
	name, err := readInlineName(form)
	if err != nil {
		return nil, err
	}
	var out userPolicyResult
	err = s.view(ctx, func(tx *state.Tx) error {
		u, err := getUserDoc(tx, user)
		if err != nil {
			return err
		}
		p, ok := findInline(&u.policies, name)
		if !ok {
			return errNoSuchEntity("The user policy with name %s cannot be found.", name)
		}
		out = userPolicyResult{UserName: u.Name, PolicyName: p.Name, PolicyDocument: encodeDocument(p.Document)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) deleteUserPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	user, err := userName(form)
	if err != nil {
		return nil, err
	}
	name, err := readInlineName(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyUser(ctx, user, func(_ *state.Tx, u *userDoc) error {
		if !deleteInline(&u.policies, name) {
			return errNoSuchEntity("The user policy with name %s cannot be found.", name)
		}
		return nil
	})
}

func (s *Service) listUserPolicies(ctx context.Context, _ *Request, form url.Values) (any, error) {
	user, err := userName(form)
	if err != nil {
		return nil, err
	}
	var u *userDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		u, err = getUserDoc(tx, user)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listInline(&u.policies, form)
}
