package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// XMLNS is the namespace of IAM's query-protocol responses.
const XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// State namespaces. Keys of named entities are the lower-cased name: IAM
// names are unique regardless of case ("PRODROLE" and "prodrole" cannot
// both exist), and lookups ignore case too.
const (
	nsRole            = "iam/role"             // lower(name) → roleDoc
	nsUser            = "iam/user"             // lower(name) → userDoc
	nsAccessKey       = "iam/access-key"       // access key id → accessKeyDoc
	nsPolicy          = "iam/policy"           // lower(name) → policyDoc (customer managed)
	nsAttachment      = "iam/attachment"       // policyARN|kind|lower(name) → attachmentDoc
	nsBoundary        = "iam/boundary"         // policyARN|kind|lower(name) → attachmentDoc
	nsInstanceProfile = "iam/instance-profile" // lower(name) → instanceProfileDoc
	nsOIDC            = "iam/oidc-provider"    // URL without scheme → oidcDoc
	nsDeletionTask    = "iam/slr-deletion"     // deletion task id → deletionTaskDoc
)

// Request is the routed request handlers receive.
type Request = service.Request

// Service is the sandbox's IAM.
type Service struct {
	*service.Query
	env service.Env
}

// New builds the IAM service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.Query = &service.Query{ServiceName: "iam", XMLNS: XMLNS, Logger: env.Logger, Ops: s.ops()}
	return s
}

func (s *Service) ops() map[string]service.QueryOp {
	return map[string]service.QueryOp{
		// Roles.
		"CreateRole":                         s.createRole,
		"GetRole":                            s.getRole,
		"UpdateRole":                         s.updateRole,
		"UpdateRoleDescription":              s.updateRoleDescription,
		"UpdateAssumeRolePolicy":             s.updateAssumeRolePolicy,
		"DeleteRole":                         s.deleteRole,
		"ListRoles":                          s.listRoles,
		"TagRole":                            s.tagRole,
		"UntagRole":                          s.untagRole,
		"ListRoleTags":                       s.listRoleTags,
		"PutRolePermissionsBoundary":         s.putRolePermissionsBoundary,
		"DeleteRolePermissionsBoundary":      s.deleteRolePermissionsBoundary,
		"CreateServiceLinkedRole":            s.createServiceLinkedRole,
		"DeleteServiceLinkedRole":            s.deleteServiceLinkedRole,
		"GetServiceLinkedRoleDeletionStatus": s.getServiceLinkedRoleDeletionStatus,
		// Inline policies.
		"PutRolePolicy":    s.putRolePolicy,
		"GetRolePolicy":    s.getRolePolicy,
		"DeleteRolePolicy": s.deleteRolePolicy,
		"ListRolePolicies": s.listRolePolicies,
		"PutUserPolicy":    s.putUserPolicy,
		"GetUserPolicy":    s.getUserPolicy,
		"DeleteUserPolicy": s.deleteUserPolicy,
		"ListUserPolicies": s.listUserPolicies,
		// Managed policies.
		"CreatePolicy":             s.createPolicy,
		"GetPolicy":                s.getPolicy,
		"DeletePolicy":             s.deletePolicy,
		"ListPolicies":             s.listPolicies,
		"CreatePolicyVersion":      s.createPolicyVersion,
		"GetPolicyVersion":         s.getPolicyVersion,
		"DeletePolicyVersion":      s.deletePolicyVersion,
		"ListPolicyVersions":       s.listPolicyVersions,
		"SetDefaultPolicyVersion":  s.setDefaultPolicyVersion,
		"TagPolicy":                s.tagPolicy,
		"UntagPolicy":              s.untagPolicy,
		"ListPolicyTags":           s.listPolicyTags,
		"AttachRolePolicy":         s.attachRolePolicy,
		"DetachRolePolicy":         s.detachRolePolicy,
		"ListAttachedRolePolicies": s.listAttachedRolePolicies,
		"AttachUserPolicy":         s.attachUserPolicy,
		"DetachUserPolicy":         s.detachUserPolicy,
		"ListAttachedUserPolicies": s.listAttachedUserPolicies,
		"ListEntitiesForPolicy":    s.listEntitiesForPolicy,
		// Users and access keys.
		"CreateUser":      s.createUser,
		"GetUser":         s.getUser,
		"UpdateUser":      s.updateUser,
		"DeleteUser":      s.deleteUser,
		"ListUsers":       s.listUsers,
		"TagUser":         s.tagUser,
		"UntagUser":       s.untagUser,
		"ListUserTags":    s.listUserTags,
		"CreateAccessKey": s.createAccessKey,
		"ListAccessKeys":  s.listAccessKeys,
		"UpdateAccessKey": s.updateAccessKey,
		"DeleteAccessKey": s.deleteAccessKey,
		// OpenID Connect providers.
		"CreateOpenIDConnectProvider":             s.createOIDCProvider,
		"GetOpenIDConnectProvider":                s.getOIDCProvider,
		"ListOpenIDConnectProviders":              s.listOIDCProviders,
		"UpdateOpenIDConnectProviderThumbprint":   s.updateOIDCThumbprint,
		"AddClientIDToOpenIDConnectProvider":      s.addOIDCClientID,
		"RemoveClientIDFromOpenIDConnectProvider": s.removeOIDCClientID,
		"DeleteOpenIDConnectProvider":             s.deleteOIDCProvider,
		"TagOpenIDConnectProvider":                s.tagOIDCProvider,
		"UntagOpenIDConnectProvider":              s.untagOIDCProvider,
		"ListOpenIDConnectProviderTags":           s.listOIDCProviderTags,
		// Instance profiles.
		"CreateInstanceProfile":         s.createInstanceProfile,
		"GetInstanceProfile":            s.getInstanceProfile,
		"DeleteInstanceProfile":         s.deleteInstanceProfile,
		"ListInstanceProfiles":          s.listInstanceProfiles,
		"AddRoleToInstanceProfile":      s.addRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile": s.removeRoleFromInstanceProfile,
		"ListInstanceProfilesForRole":   s.listInstanceProfilesForRole,
		"TagInstanceProfile":            s.tagInstanceProfile,
		"UntagInstanceProfile":          s.untagInstanceProfile,
		"ListInstanceProfileTags":       s.listInstanceProfileTags,
	}
}

// update runs fn in one atomic write transaction.
func (s *Service) update(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.Update(ctx, fn)
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(tx *state.Tx) error) error {
	return s.env.State.View(ctx, fn)
}

func (s *Service) now() time.Time { return s.env.Now().UTC().Truncate(time.Second) }

// arn builds an IAM ARN (IAM is global: no region).
func (s *Service) arn(resource string) string {
	return "arn:aws:iam::" + s.env.AccountID + ":" + resource
}

// ---- errors ----

func errNoSuchEntity(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func errAlreadyExists(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func errDeleteConflict(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusConflict, "DeleteConflict", format, args...)
}

func errLimitExceeded(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusConflict, "LimitExceeded", format, args...)
}

func errMalformed(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

func errInvalidInput(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "InvalidInput", format, args...)
}

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

func errUnmodifiable(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "UnmodifiableEntity", format, args...)
}

// ---- XML helpers ----

// list marshals as AWS query lists do: <Name><member>…</member>…</Name>,
// and as an empty <Name/> when it has no members.
type list[T any] []T

// MarshalXML implements xml.Marshaler.
func (l list[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range l {
		if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// isoTime formats a time as IAM does (ISO 8601, UTC, seconds).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// encodeDocument percent-encodes a policy document the way IAM returns
// them (RFC 3986: every byte but the unreserved characters), so that both
// url.QueryUnescape and url.PathUnescape give the document back.
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ---- ids ----

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns a random IAM unique id: prefix (AROA, ANPA, AIPA, AIDA,
// AKIA) plus upper-case letters and digits, 21 characters in all (20 for
// access keys).
func newID(prefix string, total int) string {
	n := total - len(prefix)
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	for i := range buf {
		buf[i] = idAlphabet[int(buf[i])%len(idAlphabet)]
	}
	return prefix + string(buf)
}

// ---- input helpers ----

func key(name string) string { return strings.ToLower(name) }

// required returns form[name] or a ValidationError naming the member the
// way AWS does (lower camel case).
func required(form url.Values, name string) (string, error) {
	v, ok := form[name]
	if !ok || len(v) == 0 {
		return "", errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return v[0], nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func constraint(value, member, what string) *protocol.Error {
	if len(value) > 128 {
		value = value[:128] + "…"
	}
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, lowerFirst(member), what)
}

// checkLen validates a string's length in characters.
func checkLen(value, member string, min, max int) error {
	n := len([]rune(value))
	if n < min {
		return constraint(value, member, "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if n > max {
		return constraint(value, member, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	return nil
}

// validName checks an IAM entity name: [\w+=,.@-]+ and a maximum length.
func validName(value, member string, max int) error {
	if err := checkLen(value, member, 1, max); err != nil {
		return err
	}
	for _, c := range value {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+=,.@-", c)) {
			return constraint(value, member, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
		}
	}
	return nil
}

// validPath checks an IAM path: "/" or "/" + printable ASCII + "/".
func validPath(p, member string) error {
	if err := checkLen(p, member, 1, 512); err != nil {
		return err
	}
	ok := p == "/" || (len(p) >= 2 && p[0] == '/' && p[len(p)-1] == '/')
	for i := 0; ok && i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7e {
			ok = false
		}
	}
	if !ok {
		return constraint(p, member, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return nil
}

// pathOf reads an optional Path parameter (default "/").
func pathOf(form url.Values, member string) (string, error) {
	p := form.Get(member)
	if _, ok := form[member]; !ok {
		return "/", nil
	}
	if err := validPath(p, member); err != nil {
		return "", err
	}
	return p, nil
}

// pathPrefix reads an optional PathPrefix parameter (default "/").
func pathPrefix(form url.Values) (string, error) {
	p, ok := form["PathPrefix"]
	if !ok || len(p) == 0 {
		return "/", nil
	}
	v := p[0]
	if err := checkLen(v, "PathPrefix", 1, 512); err != nil {
		return "", err
	}
	if v[0] != '/' {
		return "", constraint(v, "PathPrefix", `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return v, nil
}

func optInt(form url.Values, member string, def, min, max int) (int, error) {
	v, ok := form[member]
	if !ok || len(v) == 0 {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, constraint(v[0], member, "Member must be a number")
	}
	if n < min {
		return 0, constraint(v[0], member, "Member must have value greater than or equal to "+strconv.Itoa(min))
	}
	if n > max {
		return 0, constraint(v[0], member, "Member must have value less than or equal to "+strconv.Itoa(max))
	}
	return n, nil
}

func optBool(form url.Values, member string) (bool, error) {
	v := form.Get(member)
	switch strings.ToLower(v) {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, constraint(v, member, "Member must be a boolean")
}

// ---- pagination ----

// page is one page of a listing: Marker/MaxItems in, IsTruncated/Marker
// out. Markers are opaque to clients (the sort key of the last item).
type page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

type paging struct {
	after string
	max   int
}

func readPaging(form url.Values) (paging, error) {
	max, err := optInt(form, "MaxItems", 100, 1, 1000)
	if err != nil {
		return paging{}, err
	}
	p := paging{max: max}
	if m, ok := form["Marker"]; ok && len(m) > 0 {
		raw, err := base64.RawURLEncoding.DecodeString(m[0])
		if err != nil || m[0] == "" {
			return paging{}, errValidation("Invalid Marker: %q is not a marker this service returned", m[0])
		}
		p.after = string(raw)
	}
	return p, nil
}

// paginate returns the indexes of items (already sorted by sortKey) that
// fall on the page, and the page's trailer.
func paginate[T any](items []T, sortKey func(T) string, p paging) ([]T, page) {
	start := 0
	if p.after != "" {
		start = sort.Search(len(items), func(i int) bool { return sortKey(items[i]) > p.after })
	}
	rest := items[start:]
	if len(rest) <= p.max {
		return rest, page{}
	}
	out := rest[:p.max]
	return out, page{IsTruncated: true, Marker: base64.RawURLEncoding.EncodeToString([]byte(sortKey(out[len(out)-1])))}
}

// listAll decodes every document of a namespace in key order.
func listAll[T any](tx *state.Tx, ns, prefix string) ([]T, error) {
	ents, err := tx.List(state.ListParams{NS: ns, Prefix: prefix})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ents))
	for _, e := range ents {
		var v T
		if err := unmarshal(e.Value, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
