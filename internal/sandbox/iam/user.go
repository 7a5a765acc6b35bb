package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

const maxAccessKeysPerUser = 2

// userDoc is a user as stored in nsUser.
type userDoc struct {
	Name    string    `json:"name"`
	ID      string    `json:"id"`
	Path    string    `json:"path"`
	Created time.Time `json:"created"`
	Tags    []Tag     `json:"tags,omitempty"`
	policies
}

// accessKeyDoc is an access key as stored in nsAccessKey.
type accessKeyDoc struct {
	ID       string    `json:"id"`
	UserName string    `json:"user_name"`
	Secret   string    `json:"secret"`
	Status   string    `json:"status"`
	Created  time.Time `json:"created"`
}

type xmlUser struct {
	Path                string       `xml:"Path"`
	UserName            string       `xml:"UserName"`
	UserID              string       `xml:"UserId"`
	Arn                 string       `xml:"Arn"`
	CreateDate          string       `xml:"CreateDate"`
	PermissionsBoundary *xmlBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                list[Tag]    `xml:"Tags,omitempty"`
}

type userResult struct {
	User xmlUser `xml:"User"`
}

func (s *Service) userARN(u *userDoc) string { return s.arn("user" + u.Path + u.Name) }

func (s *Service) renderUser(u *userDoc, full bool) xmlUser {
	x := xmlUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: s.userARN(u), CreateDate: isoTime(u.Created)}
	if full {
		x.Tags = optTags(u.Tags)
		if u.Boundary != "" {
			x.PermissionsBoundary = &xmlBoundary{Type: "PermissionsBoundaryPolicy", Arn: u.Boundary}
		}
	}
	return x
}

func getUserDoc(tx *state.Tx, name string) (*userDoc, error) {
	var u userDoc
	if err := tx.Get(nsUser, key(name), &u); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, errNoSuchEntity("The user with name %s cannot be found.", name)
		}
		return nil, err
	}
	return &u, nil
}

func userName(form url.Values) (string, error) {
	n, err := required(form, "UserName")
	if err != nil {
		return "", err
	}
	return n, validName(n, "UserName", 64)
}

func (s *Service) modifyUser(ctx context.Context, name string, fn func(tx *state.Tx, u *userDoc) error) error {
	return s.update(ctx, func(tx *state.Tx) error {
		u, err := getUserDoc(tx, name)
		if err != nil {
			return err
		}
		if err := fn(tx, u); err != nil {
			return err
		}
		return tx.Put(nsUser, key(u.Name), u)
	})
}

func (s *Service) createUser(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
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
	boundary := form.Get("PermissionsBoundary")
	u := &userDoc{Name: name, ID: newID("AIDA", 21), Path: path, Created: s.now(), Tags: tags}
	err = s.update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsUser, key(name)); err != nil {
			return err
		} else if ok {
			return errAlreadyExists("User with name %s already exists.", name)
		}
		if boundary != "" {
			if err := s.setBoundary(tx, &u.policies, "user", u.Name, u.ID, boundary); err != nil {
				return err
			}
		}
		return tx.Put(nsUser, key(name), u)
	})
	if err != nil {
		return nil, err
	}
	return userResult{User: s.renderUser(u, true)}, nil
}

func (s *Service) getUser(ctx context.Context, _ *Request, form url.Values) (any, error) {
	if _, ok := form["UserName"]; !ok {
		// The caller's own user: sandbox credentials belong to no user.
		return nil, errValidation("Must specify userName when calling with non-User credentials")
	}
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	var u *userDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		u, err = getUserDoc(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return userResult{User: s.renderUser(u, true)}, nil
}

func (s *Service) updateUser(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	newName := form.Get("NewUserName")
	if _, ok := form["NewUserName"]; ok {
		if err := validName(newName, "NewUserName", 64); err != nil {
			return nil, err
		}
	}
	var newPath string
	if _, ok := form["NewPath"]; ok {
		if newPath, err = pathOf(form, "NewPath"); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		u, err := getUserDoc(tx, name)
		if err != nil {
			return err
		}
		if newPath != "" {
			u.Path = newPath
		}
		if newName == "" || newName == u.Name {
			return tx.Put(nsUser, key(u.Name), u)
		}
		if key(newName) != key(u.Name) {
			if ok, err := tx.Exists(nsUser, key(newName)); err != nil {
				return err
			} else if ok {
				return errAlreadyExists("User with name %s already exists.", newName)
			}
		}
		// Move everything keyed by the name: the document, its usage
		// index entries and its access keys.
		old := u.Name
		if err := tx.Delete(nsUser, key(old)); err != nil {
			return err
		}
		u.Name = newName
		for _, arn := range u.Attached {
			if err := tx.Delete(nsAttachment, usageKey(arn, "user", old)); err != nil {
				return err
			}
			if err := tx.Put(nsAttachment, usageKey(arn, "user", newName), usage{Kind: "user", Name: newName, ID: u.ID}); err != nil {
				return err
			}
		}
		if u.Boundary != "" {
			if err := tx.Delete(nsBoundary, usageKey(u.Boundary, "user", old)); err != nil {
				return err
			}
			if err := tx.Put(nsBoundary, usageKey(u.Boundary, "user", newName), usage{Kind: "user", Name: newName, ID: u.ID}); err != nil {
				return err
			}
		}
		keys, err := accessKeysOf(tx, old)
		if err != nil {
			return err
		}
		for _, k := range keys {
			k.UserName = newName
			if err := tx.Put(nsAccessKey, k.ID, k); err != nil {
				return err
			}
		}
		return tx.Put(nsUser, key(newName), u)
	})
	return nil, err
}

func (s *Service) deleteUser(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		u, err := getUserDoc(tx, name)
		if err != nil {
			return err
		}
		keys, err := accessKeysOf(tx, u.Name)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return errDeleteConflict("Cannot delete entity, must delete access keys first.")
		}
		if len(u.Attached) > 0 {
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		if len(u.Inline) > 0 {
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		}
		if err := clearBoundary(tx, &u.policies, "user", u.Name); err != nil {
			return err
		}
		return tx.Delete(nsUser, key(u.Name))
	})
	return nil, err
}

type listUsersResult struct {
	Users list[xmlUser] `xml:"Users"`
	page
}

func (s *Service) listUsers(ctx context.Context, _ *Request, form url.Values) (any, error) {
	prefix, err := pathPrefix(form)
	if err != nil {
		return nil, err
	}
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var users []userDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		users, err = listAll[userDoc](tx, nsUser, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	var match []userDoc
	for _, u := range users {
		if strings.HasPrefix(u.Path, prefix) {
			match = append(match, u)
		}
	}
	items, trailer := paginate(match, func(u userDoc) string { return key(u.Name) }, pg)
	out := listUsersResult{Users: list[xmlUser]{}, page: trailer}
	for i := range items {
		out.Users = append(out.Users, s.renderUser(&items[i], false))
	}
	return out, nil
}

func (s *Service) tagUser(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
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
	return nil, s.modifyUser(ctx, name, func(_ *state.Tx, u *userDoc) error {
		u.Tags, err = mergeTags(u.Tags, tags)
		return err
	})
}

func (s *Service) untagUser(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	keys, err := readTagKeys(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyUser(ctx, name, func(_ *state.Tx, u *userDoc) error {
		u.Tags = removeTags(u.Tags, keys)
		return nil
	})
}

func (s *Service) listUserTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	var u *userDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		u, err = getUserDoc(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listTagsPage(u.Tags, form)
}

func (s *Service) attachUserPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyUser(ctx, name, func(tx *state.Tx, u *userDoc) error {
		return s.attach(tx, &u.policies, "user", u.Name, u.ID, arn, false)
	})
}

func (s *Service) detachUserPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyUser(ctx, name, func(tx *state.Tx, u *userDoc) error {
		return detach(tx, &u.policies, "user", u.Name, arn)
	})
}

func (s *Service) listAttachedUserPolicies(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	var out any
	err = s.view(ctx, func(tx *state.Tx) error {
		u, err := getUserDoc(tx, name)
		if err != nil {
			return err
		}
		out, err = s.listAttached(tx, &u.policies, form)
		return err
	})
	return out, err
}

// ---- access keys ----

func accessKeysOf(tx *state.Tx, user string) ([]accessKeyDoc, error) {
	all, err := listAll[accessKeyDoc](tx, nsAccessKey, "")
	if err != nil {
		return nil, err
	}
	var out []accessKeyDoc
	for _, k := range all {
		if key(k.UserName) == key(user) {
			out = append(out, k)
		}
	}
	return out, nil
}

type xmlAccessKey struct {
	UserName        string `xml:"UserName"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

type createAccessKeyResult struct {
	AccessKey xmlAccessKey `xml:"AccessKey"`
}

func newSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b) // 40 characters
}

func (s *Service) createAccessKey(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	var k accessKeyDoc
	err = s.update(ctx, func(tx *state.Tx) error {
		u, err := getUserDoc(tx, name)
		if err != nil {
			return err
		}
		keys, err := accessKeysOf(tx, u.Name)
		if err != nil {
			return err
		}
		if len(keys) >= maxAccessKeysPerUser {
			return errLimitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
		}
		k = accessKeyDoc{ID: newID("AKIA", 20), UserName: u.Name, Secret: newSecret(), Status: "Active", Created: s.now()}
		return tx.Put(nsAccessKey, k.ID, k)
	})
	if err != nil {
		return nil, err
	}
	return createAccessKeyResult{AccessKey: xmlAccessKey{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status,
		SecretAccessKey: k.Secret, CreateDate: isoTime(k.Created)}}, nil
}

type listAccessKeysResult struct {
	AccessKeyMetadata list[xmlAccessKey] `xml:"AccessKeyMetadata"`
	page
}

func (s *Service) listAccessKeys(ctx context.Context, _ *Request, form url.Values) (any, error) {
	if _, ok := form["UserName"]; !ok {
		return nil, errValidation("Must specify userName when calling with non-User credentials")
	}
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var keys []accessKeyDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		if _, err := getUserDoc(tx, name); err != nil {
			return err
		}
		keys, err = accessKeysOf(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	items, trailer := paginate(keys, func(k accessKeyDoc) string { return k.ID }, pg)
	out := listAccessKeysResult{AccessKeyMetadata: list[xmlAccessKey]{}, page: trailer}
	for _, k := range items {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, xmlAccessKey{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: isoTime(k.Created)})
	}
	return out, nil
}

// accessKeyOf loads one of a user's access keys.
func accessKeyOf(tx *state.Tx, user, id string) (*accessKeyDoc, error) {
	if _, err := getUserDoc(tx, user); err != nil {
		return nil, err
	}
	var k accessKeyDoc
	err := tx.Get(nsAccessKey, id, &k)
	if errors.Is(err, state.ErrNotFound) || (err == nil && key(k.UserName) != key(user)) {
		return nil, errNoSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}

func readAccessKeyID(form url.Values) (string, error) {
	id, err := required(form, "AccessKeyId")
	if err != nil {
		return "", err
	}
	return id, checkLen(id, "AccessKeyId", 16, 128)
}

func (s *Service) updateAccessKey(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	id, err := readAccessKeyID(form)
	if err != nil {
		return nil, err
	}
	status, err := required(form, "Status")
	if err != nil {
		return nil, err
	}
	if status != "Active" && status != "Inactive" {
		return nil, constraint(status, "Status", "Member must satisfy enum value set: [Active, Inactive]")
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		k, err := accessKeyOf(tx, name, id)
		if err != nil {
			return err
		}
		k.Status = status
		return tx.Put(nsAccessKey, k.ID, k)
	})
	return nil, err
}

func (s *Service) deleteAccessKey(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := userName(form)
	if err != nil {
		return nil, err
	}
	id, err := readAccessKeyID(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		k, err := accessKeyOf(tx, name, id)
		if err != nil {
			return err
		}
		return tx.Delete(nsAccessKey, k.ID)
	})
	return nil, err
}
