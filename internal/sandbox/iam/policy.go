package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Quotas of managed policies (AWS defaults).
const (
	maxPolicyVersions     = 5
	maxAttachedPerEntity  = 10 // PoliciesPerRole / PoliciesPerUser
	maxPolicyDocumentChar = 131072
)

// policyDoc is a customer-managed policy as stored in nsPolicy.
type policyDoc struct {
	Name           string          `json:"name"`
	ID             string          `json:"id"`
	Path           string          `json:"path"`
	Description    string          `json:"description,omitempty"`
	Created        time.Time       `json:"created"`
	Updated        time.Time       `json:"updated"`
	DefaultVersion string          `json:"default_version"`
	Versions       []policyVersion `json:"versions"` // oldest first
	NextVersion    int             `json:"next_version"`
	Tags           []Tag           `json:"tags,omitempty"`
}

type policyVersion struct {
	ID       string    `json:"id"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
}

// managed is a view over a customer-managed or AWS-managed policy.
type managed struct {
	ARN        string
	doc        *policyDoc // nil for AWS-managed
	aws        awsManagedPolicy
	awsManaged bool
}

func (m *managed) name() string {
	if m.awsManaged {
		return m.aws.Name
	}
	return m.doc.Name
}

func (m *managed) path() string {
	if m.awsManaged {
		return m.aws.Path
	}
	return m.doc.Path
}

// serviceRolePolicy: AWS's policies for service-linked roles, which only
// those roles may carry.
func (m *managed) serviceRolePolicy() bool {
	return m.awsManaged && strings.HasPrefix(m.aws.Path, serviceRolePathPrefix)
}

func (m *managed) versions() []policyVersion {
	if m.awsManaged {
		return []policyVersion{{ID: "v1", Document: awsManagedDocument(m.aws), Created: awsManagedCreated}}
	}
	return m.doc.Versions
}

func (m *managed) defaultVersion() string {
	if m.awsManaged {
		return "v1"
	}
	return m.doc.DefaultVersion
}

func (s *Service) policyARN(p *policyDoc) string { return s.arn("policy" + p.Path + p.Name) }

// findManaged resolves a policy ARN, customer-managed or AWS-managed, or
// answers NoSuchEntity with msg (IAM words it differently per operation).
func (s *Service) findManaged(tx *state.Tx, arn string, notFound func() error) (*managed, error) {
	if p, ok := findAWSManaged(arn); ok {
		return &managed{ARN: arn, aws: p, awsManaged: true}, nil
	}
	prefix := s.arn("policy/")
	if !strings.HasPrefix(arn, prefix) {
		return nil, notFound()
	}
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	var p policyDoc
	if err := tx.Get(nsPolicy, key(name), &p); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, notFound()
		}
		return nil, err
	}
	if s.policyARN(&p) != arn {
		return nil, notFound()
	}
	return &managed{ARN: arn, doc: &p}, nil
}

// readPolicyARN reads and validates the PolicyArn parameter.
func readPolicyARN(form url.Values, member string) (string, error) {
	arn, err := required(form, member)
	if err != nil {
		return "", err
	}
	if err := checkLen(arn, member, 20, 2048); err != nil {
		return "", err
	}
	if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") < 5 {
		return "", errInvalidInput("ARN %s is not valid.", arn)
	}
	return arn, nil
}

func notFoundPolicy(arn string) func() error {
	return func() error { return errNoSuchEntity("Policy %s was not found.", arn) }
}

func notAttachable(arn string) func() error {
	return func() error { return errNoSuchEntity("Policy %s does not exist or is not attachable.", arn) }
}

// usageKey is the key of an attachment or boundary index entry.
func usageKey(policyARN, kind, name string) string { return policyARN + "|" + kind + "|" + key(name) }

// usage is one index entry: which entity uses a policy.
type usage struct {
	Kind string `json:"kind"` // "role" or "user"
	Name string `json:"name"`
	ID   string `json:"id"`
}

func countPrefix(tx *state.Tx, ns, prefix string) (int, error) {
	ents, err := tx.List(state.ListParams{NS: ns, Prefix: prefix})
	return len(ents), err
}

// xmlPolicy is the Policy shape of IAM's responses.
type xmlPolicy struct {
	PolicyName                    string    `xml:"PolicyName"`
	PolicyID                      string    `xml:"PolicyId"`
	Arn                           string    `xml:"Arn"`
	Path                          string    `xml:"Path"`
	DefaultVersionID              string    `xml:"DefaultVersionId"`
	AttachmentCount               int       `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int       `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool      `xml:"IsAttachable"`
	Description                   string    `xml:"Description,omitempty"`
	CreateDate                    string    `xml:"CreateDate"`
	UpdateDate                    string    `xml:"UpdateDate"`
	Tags                          list[Tag] `xml:"Tags,omitempty"`
}

// render builds the Policy shape; withDetail adds Description and Tags
// (GetPolicy and CreatePolicy; ListPolicies omits them as AWS does).
func (s *Service) render(tx *state.Tx, m *managed, withDetail bool) (xmlPolicy, error) {
	att, err := countPrefix(tx, nsAttachment, m.ARN+"|")
	if err != nil {
		return xmlPolicy{}, err
	}
	bnd, err := countPrefix(tx, nsBoundary, m.ARN+"|")
	if err != nil {
		return xmlPolicy{}, err
	}
	x := xmlPolicy{PolicyName: m.name(), Arn: m.ARN, Path: m.path(), DefaultVersionID: m.defaultVersion(),
		AttachmentCount: att, PermissionsBoundaryUsageCount: bnd, IsAttachable: true}
	if m.awsManaged {
		x.PolicyID = awsManagedID(m.aws)
		x.CreateDate, x.UpdateDate = isoTime(awsManagedCreated), isoTime(awsManagedCreated)
		if withDetail {
			x.Description = m.aws.Description
		}
		return x, nil
	}
	x.PolicyID = m.doc.ID
	x.CreateDate, x.UpdateDate = isoTime(m.doc.Created), isoTime(m.doc.Updated)
	if withDetail {
		x.Description = m.doc.Description
		x.Tags = optTags(m.doc.Tags)
	}
	return x, nil
}

type policyResult struct {
	Policy xmlPolicy `xml:"Policy"`
}

// readPolicyDocument reads and validates a managed policy document.
func readPolicyDocument(form url.Values) (string, error) {
	doc, err := required(form, "PolicyDocument")
	if err != nil {
		return "", err
	}
	if err := checkLen(doc, "PolicyDocument", 1, maxPolicyDocumentChar); err != nil {
		return "", err
	}
	if err := validatePolicy(doc, identityPolicy); err != nil {
		return "", err
	}
	if policySize(doc) > maxManagedPolicySize {
		return "", errLimitExceeded("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	return doc, nil
}

func (s *Service) createPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := required(form, "PolicyName")
	if err != nil {
		return nil, err
	}
	if err := validName(name, "PolicyName", 128); err != nil {
		return nil, err
	}
	path, err := pathOf(form, "Path")
	if err != nil {
		return nil, err
	}
	doc, err := readPolicyDocument(form)
	if err != nil {
		return nil, err
	}
	desc, err := readDescription(form)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(form)
	if err != nil {
		return nil, err
	}
	sortTags(tags)
	now := s.now()
	p := &policyDoc{Name: name, ID: newID("ANPA", 21), Path: path, Description: desc, Created: now, Updated: now,
		DefaultVersion: "v1", Versions: []policyVersion{{ID: "v1", Document: doc, Created: now}}, NextVersion: 2, Tags: tags}
	var out xmlPolicy
	err = s.update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsPolicy, key(name)); err != nil {
			return err
		} else if ok {
			return errAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		if err := tx.Put(nsPolicy, key(name), p); err != nil {
			return err
		}
		out, err = s.render(tx, &managed{ARN: s.policyARN(p), doc: p}, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: out}, nil
}

func (s *Service) getPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	var out xmlPolicy
	err = s.view(ctx, func(tx *state.Tx) error {
		m, err := s.findManaged(tx, arn, notFoundPolicy(arn))
		if err != nil {
			return err
		}
		out, err = s.render(tx, m, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: out}, nil
}

// customerPolicy loads a customer-managed policy for a change; AWS-managed
// policies cannot be changed.
func (s *Service) customerPolicy(tx *state.Tx, arn string) (*policyDoc, error) {
	m, err := s.findManaged(tx, arn, notFoundPolicy(arn))
	if err != nil {
		return nil, err
	}
	if m.awsManaged {
		return nil, errUnmodifiable("Cannot modify or delete the AWS managed policy %s.", arn)
	}
	return m.doc, nil
}

func (s *Service) deletePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := s.customerPolicy(tx, arn)
		if err != nil {
			return err
		}
		if n, err := countPrefix(tx, nsAttachment, arn+"|"); err != nil {
			return err
		} else if n > 0 {
			return errDeleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return errDeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Delete(nsPolicy, key(p.Name))
	})
	return nil, err
}

type listPoliciesResult struct {
	Policies list[xmlPolicy] `xml:"Policies"`
	page
}

func (s *Service) listPolicies(ctx context.Context, _ *Request, form url.Values) (any, error) {
	scope := form.Get("Scope")
	switch scope {
	case "":
		scope = "All"
	case "All", "AWS", "Local":
	default:
		return nil, constraint(scope, "Scope", "Member must satisfy enum value set: [All, AWS, Local]")
	}
	onlyAttached, err := optBool(form, "OnlyAttached")
	if err != nil {
		return nil, err
	}
	usageFilter := form.Get("PolicyUsageFilter")
	switch usageFilter {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		return nil, constraint(usageFilter, "PolicyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	prefix, err := pathPrefix(form)
	if err != nil {
		return nil, err
	}
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var all []xmlPolicy
	err = s.view(ctx, func(tx *state.Tx) error {
		var ms []*managed
		if scope != "Local" {
			for _, p := range awsManagedPolicies {
				ms = append(ms, &managed{ARN: awsManagedARN(p), aws: p, awsManaged: true})
			}
		}
		if scope != "AWS" {
			docs, err := listAll[policyDoc](tx, nsPolicy, "")
			if err != nil {
				return err
			}
			for i := range docs {
				ms = append(ms, &managed{ARN: s.policyARN(&docs[i]), doc: &docs[i]})
			}
		}
		for _, m := range ms {
			if !strings.HasPrefix(m.path(), prefix) {
				continue
			}
			x, err := s.render(tx, m, false)
			if err != nil {
				return err
			}
			used := x.AttachmentCount > 0 || x.PermissionsBoundaryUsageCount > 0
			switch usageFilter {
			case "PermissionsPolicy":
				used = x.AttachmentCount > 0
			case "PermissionsBoundary":
				used = x.PermissionsBoundaryUsageCount > 0
			}
			if onlyAttached && !used {
				continue
			}
			all = append(all, x)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Arn < all[j].Arn })
	items, trailer := paginate(all, func(x xmlPolicy) string { return x.Arn }, pg)
	return listPoliciesResult{Policies: list[xmlPolicy](items), page: trailer}, nil
}

// ---- versions ----

type xmlPolicyVersion struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

type policyVersionResult struct {
	PolicyVersion xmlPolicyVersion `xml:"PolicyVersion"`
}

func readVersionID(form url.Values) (string, error) {
	v, err := required(form, "VersionId")
	if err != nil {
		return "", err
	}
	ok := len(v) >= 2 && v[0] == 'v' && v[1] >= '1' && v[1] <= '9'
	if ok {
		num, _, _ := strings.Cut(v[1:], ".")
		_, convErr := strconv.Atoi(num)
		ok = convErr == nil
	}
	if !ok {
		return "", constraint(v, "VersionId", `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return v, nil
}

func (s *Service) createPolicyVersion(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	doc, err := readPolicyDocument(form)
	if err != nil {
		return nil, err
	}
	setDefault, err := optBool(form, "SetAsDefault")
	if err != nil {
		return nil, err
	}
	var out xmlPolicyVersion
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := s.customerPolicy(tx, arn)
		if err != nil {
			return err
		}
		if len(p.Versions) >= maxPolicyVersions {
			return errLimitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		now := s.now()
		v := policyVersion{ID: fmt.Sprintf("v%d", p.NextVersion), Document: doc, Created: now}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		p.Updated = now
		if setDefault {
			p.DefaultVersion = v.ID
		}
		out = xmlPolicyVersion{VersionID: v.ID, IsDefaultVersion: p.DefaultVersion == v.ID, CreateDate: isoTime(now)}
		return tx.Put(nsPolicy, key(p.Name), p)
	})
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: out}, nil
}

func (s *Service) getPolicyVersion(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	vid, err := readVersionID(form)
	if err != nil {
		return nil, err
	}
	var out xmlPolicyVersion
	err = s.view(ctx, func(tx *state.Tx) error {
		m, err := s.findManaged(tx, arn, notFoundPolicy(arn))
		if err != nil {
			return err
		}
		for _, v := range m.versions() {
			if v.ID == vid {
				out = xmlPolicyVersion{Document: encodeDocument(v.Document), VersionID: v.ID,
					IsDefaultVersion: v.ID == m.defaultVersion(), CreateDate: isoTime(v.Created)}
				return nil
			}
		}
		return errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, vid)
	})
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: out}, nil
}

func (s *Service) deletePolicyVersion(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	vid, err := readVersionID(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := s.customerPolicy(tx, arn)
		if err != nil {
			return err
		}
		for i, v := range p.Versions {
			if v.ID != vid {
				continue
			}
			if v.ID == p.DefaultVersion {
				return errDeleteConflict("Cannot delete the default version of a policy.")
			}
			p.Versions = append(p.Versions[:i], p.Versions[i+1:]...)
			p.Updated = s.now()
			return tx.Put(nsPolicy, key(p.Name), p)
		}
		return errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, vid)
	})
	return nil, err
}

type listPolicyVersionsResult struct {
	Versions list[xmlPolicyVersion] `xml:"Versions"`
	page
}

func (s *Service) listPolicyVersions(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var vs []xmlPolicyVersion
	err = s.view(ctx, func(tx *state.Tx) error {
		m, err := s.findManaged(tx, arn, notFoundPolicy(arn))
		if err != nil {
			return err
		}
		all := m.versions()
		for i := len(all) - 1; i >= 0; i-- { // newest first, as AWS lists them
			v := all[i]
			vs = append(vs, xmlPolicyVersion{VersionID: v.ID, IsDefaultVersion: v.ID == m.defaultVersion(), CreateDate: isoTime(v.Created)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Sort key: position from the newest, zero-padded.
	pos := map[string]string{}
	for i, v := range vs {
		pos[v.VersionID] = fmt.Sprintf("%06d", i)
	}
	items, trailer := paginate(vs, func(v xmlPolicyVersion) string { return pos[v.VersionID] }, pg)
	return listPolicyVersionsResult{Versions: list[xmlPolicyVersion](items), page: trailer}, nil
}

func (s *Service) setDefaultPolicyVersion(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	vid, err := readVersionID(form)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		p, err := s.customerPolicy(tx, arn)
		if err != nil {
			return err
		}
		for _, v := range p.Versions {
			if v.ID == vid {
				p.DefaultVersion = vid
				p.Updated = s.now()
				return tx.Put(nsPolicy, key(p.Name), p)
			}
		}
		return errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, vid)
	})
	return nil, err
}

// ---- policy tags ----

func (s *Service) modifyPolicy(ctx context.Context, arn string, fn func(p *policyDoc) error) error {
	return s.update(ctx, func(tx *state.Tx) error {
		p, err := s.customerPolicy(tx, arn)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return tx.Put(nsPolicy, key(p.Name), p)
	})
}

func (s *Service) tagPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
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
	return nil, s.modifyPolicy(ctx, arn, func(p *policyDoc) error {
		p.Tags, err = mergeTags(p.Tags, tags)
		return err
	})
}

func (s *Service) untagPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	keys, err := readTagKeys(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyPolicy(ctx, arn, func(p *policyDoc) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

func (s *Service) listPolicyTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	var tags []Tag
	err = s.view(ctx, func(tx *state.Tx) error {
		m, err := s.findManaged(tx, arn, notFoundPolicy(arn))
		if err != nil {
			return err
		}
		if !m.awsManaged {
			tags = m.doc.Tags
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listTagsPage(tags, form)
}

// ---- attachments ----

// attach attaches a managed policy to a role or user (pol), recording the
// usage index. Attaching an attached policy again is a no-op, as on AWS.
func (s *Service) attach(tx *state.Tx, pol *policies, kind, name, id, arn string, serviceLinked bool) error {
	m, err := s.findManaged(tx, arn, notAttachable(arn))
	if err != nil {
		return err
	}
	if m.serviceRolePolicy() && !serviceLinked {
		return protocol.Errorf(http.StatusBadRequest, "PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.")
	}
	for _, a := range pol.Attached {
		if a == arn {
			return nil
		}
	}
	if len(pol.Attached) >= maxAttachedPerEntity {
		quota := "PoliciesPerRole"
		if kind == "user" {
			quota = "PoliciesPerUser"
		}
		return errLimitExceeded("Cannot exceed quota for %s: %d", quota, maxAttachedPerEntity)
	}
	pol.Attached = append(pol.Attached, arn)
	return tx.Put(nsAttachment, usageKey(arn, kind, name), usage{Kind: kind, Name: name, ID: id})
}

func detach(tx *state.Tx, pol *policies, kind, name, arn string) error {
	for i, a := range pol.Attached {
		if a == arn {
			pol.Attached = append(pol.Attached[:i], pol.Attached[i+1:]...)
			return tx.Delete(nsAttachment, usageKey(arn, kind, name))
		}
	}
	return errNoSuchEntity("Policy %s was not found.", arn)
}

// setBoundary sets the permissions boundary of a role or user.
func (s *Service) setBoundary(tx *state.Tx, pol *policies, kind, name, id, arn string) error {
	if err := checkLen(arn, "PermissionsBoundary", 20, 2048); err != nil {
		return err
	}
	m, err := s.findManaged(tx, arn, func() error {
		return errNoSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
	})
	if err != nil {
		return err
	}
	if m.serviceRolePolicy() {
		return errInvalidInput("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	if err := clearBoundary(tx, pol, kind, name); err != nil {
		return err
	}
	pol.Boundary = arn
	return tx.Put(nsBoundary, usageKey(arn, kind, name), usage{Kind: kind, Name: name, ID: id})
}

func clearBoundary(tx *state.Tx, pol *policies, kind, name string) error {
	if pol.Boundary == "" {
		return nil
	}
	if err := tx.Delete(nsBoundary, usageKey(pol.Boundary, kind, name)); err != nil {
		return err
	}
	pol.Boundary = ""
	return nil
}

type xmlAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedResult struct {
	AttachedPolicies list[xmlAttachedPolicy] `xml:"AttachedPolicies"`
	page
}

// listAttached answers ListAttached{Role,User}Policies.
func (s *Service) listAttached(tx *state.Tx, pol *policies, form url.Values) (any, error) {
	prefix, err := pathPrefix(form)
	if err != nil {
		return nil, err
	}
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	var all []xmlAttachedPolicy
	for _, arn := range pol.Attached {
		m, err := s.findManaged(tx, arn, notFoundPolicy(arn))
		if err != nil {
			var pe *protocol.Error
			if errors.As(err, &pe) && pe.Code == "NoSuchEntity" {
				continue // deleted underneath (cannot happen through the API)
			}
			return nil, err
		}
		if strings.HasPrefix(m.path(), prefix) {
			all = append(all, xmlAttachedPolicy{PolicyName: m.name(), PolicyArn: arn})
		}
	}
	pos := map[string]string{}
	for i, a := range all {
		pos[a.PolicyArn] = fmt.Sprintf("%06d", i)
	}
	items, trailer := paginate(all, func(a xmlAttachedPolicy) string { return pos[a.PolicyArn] }, pg)
	return listAttachedResult{AttachedPolicies: list[xmlAttachedPolicy](items), page: trailer}, nil
}

func (s *Service) attachRolePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, false, func(tx *state.Tx, r *roleDoc) error {
		return s.attach(tx, &r.policies, "role", r.Name, r.ID, arn, false)
	})
	return nil, err
}

func (s *Service) detachRolePolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, name, false, func(tx *state.Tx, r *roleDoc) error {
		return detach(tx, &r.policies, "role", r.Name, arn)
	})
	return nil, err
}

func (s *Service) listAttachedRolePolicies(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	var out any
	err = s.view(ctx, func(tx *state.Tx) error {
		r, err := getRoleDoc(tx, name)
		if err != nil {
			return err
		}
		out, err = s.listAttached(tx, &r.policies, form)
		return err
	})
	return out, err
}

type xmlPolicyRole struct {
	RoleName string `xml:"RoleName"`
	RoleID   string `xml:"RoleId"`
}

type xmlPolicyUser struct {
	UserName string `xml:"UserName"`
	UserID   string `xml:"UserId"`
}

type xmlPolicyGroup struct {
	GroupName string `xml:"GroupName"`
	GroupID   string `xml:"GroupId"`
}

type listEntitiesResult struct {
	PolicyGroups list[xmlPolicyGroup] `xml:"PolicyGroups"`
	PolicyUsers  list[xmlPolicyUser]  `xml:"PolicyUsers"`
	PolicyRoles  list[xmlPolicyRole]  `xml:"PolicyRoles"`
	page
}

func (s *Service) listEntitiesForPolicy(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arn, err := readPolicyARN(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	filter := form.Get("EntityFilter")
	switch filter {
	case "", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
	default:
		return nil, constraint(filter, "EntityFilter", "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")
	}
	usageFilter := form.Get("PolicyUsageFilter")
	ns := nsAttachment
	switch usageFilter {
	case "", "PermissionsPolicy":
	case "PermissionsBoundary":
		ns = nsBoundary
	default:
		return nil, constraint(usageFilter, "PolicyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	prefix, err := pathPrefix(form)
	if err != nil {
		return nil, err
	}
	pg, err := readPaging(form)
	if err != nil {
		return nil, err
	}
	type entity struct {
		key string
		u   usage
	}
	var ents []entity
	err = s.view(ctx, func(tx *state.Tx) error {
		if _, err := s.findManaged(tx, arn, notFoundPolicy(arn)); err != nil {
			return err
		}
		raw, err := tx.List(state.ListParams{NS: ns, Prefix: arn + "|"})
		if err != nil {
			return err
		}
		for _, e := range raw {
			var u usage
			if err := unmarshal(e.Value, &u); err != nil {
				return err
			}
			if filter == "Role" && u.Kind != "role" || filter == "User" && u.Kind != "user" || filter == "Group" {
				continue
			}
			path, err := s.entityPath(tx, u)
			if err != nil {
				return err
			}
			if strings.HasPrefix(path, prefix) {
				ents = append(ents, entity{key: e.Key, u: u})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, trailer := paginate(ents, func(e entity) string { return e.key }, pg)
	out := listEntitiesResult{PolicyGroups: list[xmlPolicyGroup]{}, PolicyUsers: list[xmlPolicyUser]{}, PolicyRoles: list[xmlPolicyRole]{}, page: trailer}
	for _, e := range items {
		if e.u.Kind == "role" {
			out.PolicyRoles = append(out.PolicyRoles, xmlPolicyRole{RoleName: e.u.Name, RoleID: e.u.ID})
		} else {
			out.PolicyUsers = append(out.PolicyUsers, xmlPolicyUser{UserName: e.u.Name, UserID: e.u.ID})
		}
	}
	return out, nil
}

// entityPath is the path of the role or user behind a usage entry.
func (s *Service) entityPath(tx *state.Tx, u usage) (string, error) {
	if u.Kind == "role" {
		r, err := getRoleDoc(tx, u.Name)
		if err != nil {
			return "", err
		}
		return r.Path, nil
	}
	usr, err := getUserDoc(tx, u.Name)
	if err != nil {
		return "", err
	}
	return usr.Path, nil
}
