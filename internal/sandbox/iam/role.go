package iam

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// roleDoc is a role as stored in nsRole.
type roleDoc struct {
	Name               string    `json:"name"`
	ID                 string    `json:"id"`
	Path               string    `json:"path"`
	AssumeRolePolicy   string    `json:"assume_role_policy"`
	Description        string    `json:"description,omitempty"`
	MaxSessionDuration int       `json:"max_session_duration"`
	Tags               []Tag     `json:"tags,omitempty"`
	Created            time.Time `json:"created"`
	policies
}

// policies are what roles and users share: inline policies, attached
// managed policies and a permissions boundary.
type policies struct {
	Inline   []inlinePolicy `json:"inline,omitempty"`   // sorted by name
	Attached []string       `json:"attached,omitempty"` // policy ARNs, in attach order
	Boundary string         `json:"boundary,omitempty"` // policy ARN
}

type inlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

const serviceRolePathPrefix = "/aws-service-role/"

func (r *roleDoc) serviceLinked() bool { return strings.HasPrefix(r.Path, serviceRolePathPrefix) }

// xmlRole is the Role shape of IAM's responses.
type xmlRole struct {
	Path                     string       `xml:"Path"`
	RoleName                 string       `xml:"RoleName"`
	RoleID                   string       `xml:"RoleId"`
	Arn                      string       `xml:"Arn"`
	CreateDate               string       `xml:"CreateDate"`
	AssumeRolePolicyDocument string       `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string       `xml:"Description,omitempty"`
	MaxSessionDuration       int          `xml:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *xmlBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                     list[Tag]    `xml:"Tags,omitempty"`
	RoleLastUsed             *struct{}    `xml:"RoleLastUsed,omitempty"`
}

type xmlBoundary struct {
	Type string `xml:"PermissionsBoundaryType"`
	Arn  string `xml:"PermissionsBoundaryArn"`
}

type roleResult struct {
	Role xmlRole `xml:"Role"`
}

func (s *Service) roleARN(r *roleDoc) string { return s.arn("role" + r.Path + r.Name) }

// full is the role as GetRole and CreateRole answer it.
func (s *Service) full(r *roleDoc) xmlRole {
	x := s.brief(r)
	x.Tags = optTags(r.Tags)
	if r.Boundary != "" {
		x.PermissionsBoundary = &xmlBoundary{Type: "PermissionsBoundaryPolicy", Arn: r.Boundary}
	}
	x.RoleLastUsed = &struct{}{}
	return x
}

// brief is the role as ListRoles and instance profiles answer it (no
// tags, boundary or last use).
func (s *Service) brief(r *roleDoc) xmlRole {
	return xmlRole{
		Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: s.roleARN(r), CreateDate: isoTime(r.Created),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicy), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration,
	}
}

// getRoleDoc loads a role or answers NoSuchEntity.
func getRoleDoc(tx *state.Tx, name string) (*roleDoc, error) {
	var r roleDoc
	if err := tx.Get(nsRole, key(name), &r); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, errNoSuchEntity("The role with name %s cannot be found.", name)
		}
		return nil, err
	}
	return &r, nil
}

func putRoleDoc(tx *state.Tx, r *roleDoc) error { return tx.Put(nsRole, key(r.Name), r) }

// roleName reads and validates the RoleName parameter.
func roleName(form url.Values) (string, error) {
	n, err := required(form, "RoleName")
	if err != nil {
		return "", err
	}
	return n, validName(n, "RoleName", 64)
}

func readDescription(form url.Values) (string, error) {
	d := form.Get("Description")
	return d, checkLen(d, "Description", 0, 1000)
}

// readRoleDescription also applies the character set IAM allows in role
// descriptions.
func readRoleDescription(form url.Values) (string, error) {
	d, err := readDescription(form)
	if err != nil {
		return "", err
	}
	for _, c := range d {
		if !(c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0x7e || c >= 0xa1 && c <= 0xff) {
			return "", constraint(d, "Description", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
		}
	}
	return d, nil
}

// checkPrincipals refuses a trust policy naming a role or user of this
// account that does not exist, as IAM does ("Invalid principal in policy").
func (s *Service) checkPrincipals(tx *state.Tx, doc string) error {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return nil // validated before
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(p.Statement, &one) != nil {
			return nil
		}
		stmts = append(stmts, one)
	}
	own := s.arn("")
	for _, st := range stmts {
		for _, field := range []string{"Principal", "NotPrincipal"} {
			var pr map[string]any
			if json.Unmarshal(st[field], &pr) != nil {
				continue
			}
			arns, _ := stringList(pr["AWS"])
			for _, arn := range arns {
				if !strings.HasPrefix(arn, own) {
					continue
				}
				res := arn[len(own):]
				var ns string
				switch {
				case strings.HasPrefix(res, "role/"):
					ns = nsRole
				case strings.HasPrefix(res, "user/"):
					ns = nsUser
				default:
					continue
				}
				ok, err := tx.Exists(ns, key(res[strings.LastIndexByte(res, '/')+1:]))
				if err != nil {
					return err
				}
				if !ok {
					return errMalformed("Invalid principal in policy: \"AWS\":\"%s\"", arn)
				}
			}
		}
	}
	return nil
}

// readTrustPolicy reads and validates an assume-role policy document.
func readTrustPolicy(form url.Values, member string) (string, error) {
	doc, err := required(form, member)
	if err != nil {
		return "", err
	}
	if err := checkLen(doc, member, 1, 131072); err != nil {
		return "", err
	}
	if err := validatePolicy(doc, trustPolicy); err != nil {
		return "", err
	}
	if policySize(doc) > maxTrustPolicySize {
		return "", errLimitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	return doc, nil
}

func (s *Service) createRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	path, err := pathOf(form, "Path")
	if err != nil {
		return nil, err
	}
	doc, err := readTrustPolicy(form, "AssumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	desc, err := readRoleDescription(form)
	if err != nil {
		return nil, err
	}
	maxDur, err := optInt(form, "MaxSessionDuration", 3600, 3600, 43200)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(form)
	if err != nil {
		return nil, err
	}
	sortTags(tags)
	boundary := form.Get("PermissionsBoundary")
	r := &roleDoc{Name: name, ID: newID("AROA", 21), Path: path, AssumeRolePolicy: doc, Description: desc,
		MaxSessionDuration: maxDur, Tags: tags, Created: s.now()}
	err = s.update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsRole, key(name)); err != nil {
			return err
		} else if ok {
			return errAlreadyExists("Role with name %s already exists.", name)
		}
		if err := s.checkPrincipals(tx, doc); err != nil {
			return err
		}
		if boundary != "" {
			if err := s.setBoundary(tx, &r.policies, "role", r.Name, r.ID, boundary); err != nil {
				return err
			}
		}
		return putRoleDoc(tx, r)
	})
	if err != nil {
		return nil, err
	}
	return roleResult{Role: s.full(r)}, nil
}

func (s *Service) getRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	var r *roleDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		r, err = getRoleDoc(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return roleResult{Role: s.full(r)}, nil
}

// modifyRole loads a role, lets fn change it and stores it, atomically.
// Service-linked roles are AWS's to change: fn runs only for others unless
// allowServiceLinked.
func (s *Service) modifyRole(ctx context.Context, name string, allowServiceLinked bool, fn func(tx *state.Tx, r *roleDoc) error) (*roleDoc, error) {
	var out *roleDoc
	err := s.update(ctx, func(tx *state.Tx) error {
		r, err := getRoleDoc(tx, name)
		if err != nil {
			return err
		}
		if r.serviceLinked() && !allowServiceLinked {
			return errProtectedRole(r.Name)
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		out = r
		return putRoleDoc(tx, r)
	})
	return out, err
}

func errProtectedRole(name string) error {
	return errUnmodifiable("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)
}

func (s *Service) updateRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	_, hasDesc := form["Description"]
	desc, err := readRoleDescription(form)
	if err != nil {
		return nil, err
	}
	_, hasDur := form["MaxSessionDuration"]
	maxDur, err := optInt(form, "MaxSessionDuration", 0, 3600, 43200)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, false, func(_ *state.Tx, r *roleDoc) error {
		if hasDesc {
			r.Description = desc
		}
		if hasDur {
			r.MaxSessionDuration = maxDur
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) updateRoleDescription(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	desc, err := readRoleDescription(form)
	if err != nil {
		return nil, err
	}
	r, err := s.modifyRole(ctx, name, true, func(_ *state.Tx, r *roleDoc) error {
		r.Description = desc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return roleResult{Role: s.full(r)}, nil
}

func (s *Service) updateAssumeRolePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	doc, err := readTrustPolicy(form, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, false, func(tx *state.Tx, r *roleDoc) error {
		if err := s.checkPrincipals(tx, doc); err != nil {
			return err
		}
		r.AssumeRolePolicy = doc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Service) deleteRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		r, err := getRoleDoc(tx, name)
		if err != nil {
			return err
		}
		if r.serviceLinked() {
			return errProtectedRole(r.Name)
		}
		profiles, err := profilesForRole(tx, r.Name)
		if err != nil {
			return err
		}
		if len(profiles) > 0 {
			return errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		if len(r.Attached) > 0 {
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		if len(r.Inline) > 0 {
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		}
		return s.removeRole(tx, r)
	})
	return nil, err
}

// removeRole deletes a role and its index entries (its boundary use).
func (s *Service) removeRole(tx *state.Tx, r *roleDoc) error {
	if r.Boundary != "" {
		if err := tx.Delete(nsBoundary, usageKey(r.Boundary, "role", r.Name)); err != nil {
			return err
		}
	}
	return tx.Delete(nsRole, key(r.Name))
}

type listRolesResult struct {
	Roles list[xmlRole] `xml:"Roles"`
	page
}

func (s *Service) listRoles(ctx context.Context, _ *Request, form url.Values) (any, error) {
	prefix, err := pathPrefix(form)
	if err != nil {
		return nil, err
	}
	p, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var roles []roleDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		roles, err = listAll[roleDoc](tx, nsRole, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	var match []roleDoc
	for _, r := range roles {
		if strings.HasPrefix(r.Path, prefix) {
			match = append(match, r)
		}
	}
	items, pg := paginate(match, func(r roleDoc) string { return key(r.Name) }, p)
	out := listRolesResult{Roles: list[xmlRole]{}, page: pg}
	for i := range items {
		out.Roles = append(out.Roles, s.brief(&items[i]))
	}
	return out, nil
}

func (s *Service) tagRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
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
	_, err = s.modifyRole(ctx, name, true, func(_ *state.Tx, r *roleDoc) error {
		r.Tags, err = mergeTags(r.Tags, tags)
		return err
	})
	return nil, err
}

func (s *Service) untagRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	keys, err := readTagKeys(form)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, true, func(_ *state.Tx, r *roleDoc) error {
		r.Tags = removeTags(r.Tags, keys)
		return nil
	})
	return nil, err
}

func (s *Service) listRoleTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	var r *roleDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		r, err = getRoleDoc(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listTagsPage(r.Tags, form)
}

func (s *Service) putRolePermissionsBoundary(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	arn, err := required(form, "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, false, func(tx *state.Tx, r *roleDoc) error {
		return s.setBoundary(tx, &r.policies, "role", r.Name, r.ID, arn)
	})
	return nil, err
}

func (s *Service) deleteRolePermissionsBoundary(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, false, func(tx *state.Tx, r *roleDoc) error {
		return clearBoundary(tx, &r.policies, "role", r.Name)
	})
	return nil, err
}
