package s3

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// ACLs. A bucket's grants are stored as given; nil means the default:
// the owner has FULL_CONTROL. With BucketOwnerEnforced object ownership
// (the default for new buckets) only owner-only ACLs are accepted, as on
// AWS.

const (
	groupAllUsers     = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthUsers    = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery  = "http://acs.amazonaws.com/groups/s3/LogDelivery"
	xsiNamespace      = "http://www.w3.org/2001/XMLSchema-instance"
	permFullControl   = "FULL_CONTROL"
	typeCanonicalUser = "CanonicalUser"
	typeGroup         = "Group"
)

var permissions = map[string]bool{"FULL_CONTROL": true, "READ": true, "WRITE": true, "READ_ACP": true, "WRITE_ACP": true}

// cannedACL expands a canned ACL into grants.
func (s *Service) cannedACL(name string, object bool) ([]Grant, bool) {
	own := Grant{Type: typeCanonicalUser, ID: s.owner().ID, Permission: permFullControl}
	switch name {
	case "private", "bucket-owner-full-control", "bucket-owner-read":
		return []Grant{own}, true
	case "public-read":
		return []Grant{own, {Type: typeGroup, URI: groupAllUsers, Permission: "READ"}}, true
	case "public-read-write":
		return []Grant{own, {Type: typeGroup, URI: groupAllUsers, Permission: "READ"}, {Type: typeGroup, URI: groupAllUsers, Permission: "WRITE"}}, true
	case "authenticated-read":
		return []Grant{own, {Type: typeGroup, URI: groupAuthUsers, Permission: "READ"}}, true
	case "aws-exec-read":
		return []Grant{own}, true
	case "log-delivery-write":
		if object {
			return nil, false
		}
		return []Grant{own, {Type: typeGroup, URI: groupLogDelivery, Permission: "WRITE"}, {Type: typeGroup, URI: groupLogDelivery, Permission: "READ_ACP"}}, true
	}
	return nil, false
}

var grantHeaders = map[string]string{
	"X-Amz-Grant-Full-Control": "FULL_CONTROL",
	"X-Amz-Grant-Read":         "READ",
	"X-Amz-Grant-Write":        "WRITE",
	"X-Amz-Grant-Read-Acp":     "READ_ACP",
	"X-Amz-Grant-Write-Acp":    "WRITE_ACP",
}

// aclFromHeaders reads x-amz-acl or x-amz-grant-* headers. set is false
// when neither is present.
func (s *Service) aclFromHeaders(h http.Header, object bool) (grants []Grant, set bool, err error) {
	canned := h.Get("X-Amz-Acl")
	var explicit []Grant
	for hdr, perm := range grantHeaders {
		v := h.Get(hdr)
		if v == "" {
			continue
		}
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				return nil, false, errInvalidArgument("Invalid grant header %s", hdr).with("ArgumentName", hdr)
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			g := Grant{Permission: perm}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "id":
				g.Type, g.ID = typeCanonicalUser, val
			case "uri":
				g.Type, g.URI = typeGroup, val
			case "emailaddress":
				g.Type, g.Email = "AmazonCustomerByEmail", val
			default:
				return nil, false, errInvalidArgument("Invalid grantee type %s in %s", k, hdr).with("ArgumentName", hdr)
			}
			explicit = append(explicit, g)
		}
	}
	if canned != "" && len(explicit) > 0 {
		return nil, false, errInvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
	}
	if canned != "" {
		g, ok := s.cannedACL(canned, object)
		if !ok {
			return nil, false, errInvalidArgument("").with("ArgumentName", "x-amz-acl").with("ArgumentValue", canned)
		}
		return g, true, nil
	}
	if len(explicit) > 0 {
		return explicit, true, nil
	}
	return nil, false, nil
}

// ownerOnly reports whether grants give nothing to anyone but the owner.
func (s *Service) ownerOnly(grants []Grant) bool {
	id := s.owner().ID
	for _, g := range grants {
		if g.Type != typeCanonicalUser || g.ID != id {
			return false
		}
	}
	return true
}

func isPublic(grants []Grant) bool {
	for _, g := range grants {
		if g.Type == typeGroup && (g.URI == groupAllUsers || g.URI == groupAuthUsers) {
			return true
		}
	}
	return false
}

type xmlGrantee struct {
	XMLName     xml.Name   `xml:"Grantee"`
	Attrs       []xml.Attr `xml:",any,attr"`
	ID          string     `xml:"ID,omitempty"`
	DisplayName string     `xml:"DisplayName,omitempty"`
	URI         string     `xml:"URI,omitempty"`
	Email       string     `xml:"EmailAddress,omitempty"`
}

type xmlGrant struct {
	Grantee    xmlGrantee `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type accessControlPolicy struct {
	XMLName xml.Name   `xml:"AccessControlPolicy"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Owner   owner      `xml:"Owner"`
	Grants  []xmlGrant `xml:"AccessControlList>Grant"`
}

func (s *Service) writeACL(c *call, grants []Grant) error {
	if grants == nil {
		grants, _ = s.cannedACL("private", false)
	}
	own := s.owner()
	doc := accessControlPolicy{Xmlns: ns, Owner: own}
	for _, g := range grants {
		xg := xmlGrant{Permission: g.Permission, Grantee: xmlGrantee{
			Attrs: []xml.Attr{{Name: xml.Name{Local: "xmlns:xsi"}, Value: xsiNamespace}, {Name: xml.Name{Local: "xsi:type"}, Value: g.Type}},
			ID:    g.ID, URI: g.URI, Email: g.Email,
		}}
		if g.ID == own.ID {
			xg.Grantee.DisplayName = own.DisplayName
		}
		doc.Grants = append(doc.Grants, xg)
	}
	return c.writeXML(http.StatusOK, doc)
}

// readACL reads a PutBucketAcl/PutObjectAcl request: headers or an
// AccessControlPolicy body.
func (s *Service) readACL(c *call, object bool) ([]Grant, error) {
	grants, set, err := s.aclFromHeaders(c.r.Header, object)
	if err != nil {
		return nil, err
	}
	body, err := c.readSmallBody(maxConfigBody)
	if err != nil {
		return nil, err
	}
	hasBody := len(strings.TrimSpace(string(body))) > 0
	if set && hasBody {
		return nil, newErr(http.StatusBadRequest, "UnexpectedContent", "This request does not support content")
	}
	if set {
		return grants, nil
	}
	if !hasBody {
		return nil, newErr(http.StatusBadRequest, "MissingSecurityHeader", "Your request was missing a required header").with("MissingHeaderName", "x-amz-acl")
	}
	var in struct {
		Grants []struct {
			Grantee struct {
				Attrs []xml.Attr `xml:",any,attr"`
				ID    string     `xml:"ID"`
				URI   string     `xml:"URI"`
				Email string     `xml:"EmailAddress"`
			} `xml:"Grantee"`
			Permission string `xml:"Permission"`
		} `xml:"AccessControlList>Grant"`
	}
	if e := decodeXML(body, "AccessControlPolicy", &in); e != nil {
		return nil, e
	}
	out := []Grant{}
	for _, g := range in.Grants {
		typ := ""
		for _, a := range g.Grantee.Attrs {
			if a.Name.Local == "type" {
				typ = a.Value
			}
		}
		if !permissions[g.Permission] {
			return nil, errMalformedXML()
		}
		switch typ {
		case typeCanonicalUser:
			if g.Grantee.ID == "" {
				return nil, errMalformedXML()
			}
		case typeGroup:
			if g.Grantee.URI != groupAllUsers && g.Grantee.URI != groupAuthUsers && g.Grantee.URI != groupLogDelivery {
				return nil, errInvalidArgument("Invalid group uri").with("ArgumentName", "uri").with("ArgumentValue", g.Grantee.URI)
			}
		case "AmazonCustomerByEmail":
			if g.Grantee.Email == "" {
				return nil, errMalformedXML()
			}
		default:
			return nil, errMalformedXML()
		}
		out = append(out, Grant{Type: typ, ID: g.Grantee.ID, URI: g.Grantee.URI, Email: g.Grantee.Email, Permission: g.Permission})
	}
	return out, nil
}

func (s *Service) getBucketACL(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	return s.writeACL(c, b.Grants)
}

func (s *Service) putBucketACL(c *call) error {
	grants, err := s.readACL(c, false)
	if err != nil {
		return err
	}
	err = s.updateBucket(c, func(b *Bucket) error {
		if b.Ownership == "BucketOwnerEnforced" && !s.ownerOnly(grants) {
			return newErr(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
		}
		if isPublic(grants) && b.PublicAccessBlock != nil && b.PublicAccessBlock.BlockPublicAcls {
			return newErr(http.StatusForbidden, "AccessDenied", "Access Denied: public ACLs are blocked by the BlockPublicAcls block public access setting")
		}
		b.Grants = grants
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

// Object ACLs: objects are owned by the bucket owner; the sandbox keeps
// no per-object grants, so only owner-only ACLs are accepted.

func (s *Service) getObjectACL(c *call) error {
	if _, err := s.resolveObject(c); err != nil {
		return err
	}
	return s.writeACL(c, nil)
}

func (s *Service) putObjectACL(c *call) error {
	grants, err := s.readACL(c, true)
	if err != nil {
		return err
	}
	var b *Bucket
	err = s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if b, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		_, err = s.resolveIn(tx, c)
		return err
	})
	if err != nil {
		return err
	}
	if b.Ownership == "BucketOwnerEnforced" && !s.ownerOnly(grants) {
		return newErr(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	}
	if !s.ownerOnly(grants) {
		return notImplemented("PutObjectAcl (grants to other than the owner)")
	}
	c.writeStatus(http.StatusOK)
	return nil
}
