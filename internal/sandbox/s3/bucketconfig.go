package s3

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Bucket configuration subresources. Each Put validates the document the
// way S3 does (codes and statuses as AWS's) and stores it; each Get of an
// unset configuration answers S3's "not found" code for it, which the
// Terraform provider tolerates on refresh.

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// decodeXML unmarshals a configuration document whose root must be root.
func decodeXML(body []byte, root string, v any) *s3Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return newErr(http.StatusBadRequest, "MissingRequestBodyError", "Request Body is empty")
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return errMalformedXML()
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != root {
				return errMalformedXML()
			}
			if err := dec.DecodeElement(v, &se); err != nil {
				return errMalformedXML()
			}
			return nil
		}
	}
}

func (s *Service) readConfig(c *call, root string, v any) ([]byte, error) {
	body, err := c.readSmallBody(maxConfigBody)
	if err != nil {
		return nil, err
	}
	if e := decodeXML(body, root, v); e != nil {
		return nil, e
	}
	return body, nil
}

// --- versioning

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func (s *Service) getBucketVersioning(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	return c.writeXML(http.StatusOK, versioningConfiguration{Xmlns: ns, Status: b.Versioning, MfaDelete: b.MFADelete})
}

func (s *Service) putBucketVersioning(c *call) error {
	var in versioningConfiguration
	if _, err := s.readConfig(c, "VersioningConfiguration", &in); err != nil {
		return err
	}
	illegal := newErr(http.StatusBadRequest, "IllegalVersioningConfigurationException", "The Versioning element must be specified")
	if in.Status != "Enabled" && in.Status != "Suspended" {
		return illegal
	}
	if in.MfaDelete != "" && in.MfaDelete != "Enabled" && in.MfaDelete != "Disabled" {
		return illegal
	}
	if in.MfaDelete == "Enabled" && c.r.Header.Get("X-Amz-Mfa") == "" {
		return errInvalidRequest("DevPay and MFA Delete are not supported by this request: MFA Authentication must be used for this request")
	}
	err := s.updateBucket(c, func(b *Bucket) error {
		if b.ObjectLock && in.Status != "Enabled" {
			return newErr(http.StatusConflict, "InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		b.Versioning = in.Status
		if in.MfaDelete != "" {
			b.MFADelete = in.MfaDelete
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

// --- default encryption

// SSEConfig is a bucket's default encryption.
type SSEConfig struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration" json:"-"`
	Xmlns   string    `xml:"xmlns,attr,omitempty" json:"-"`
	Rules   []SSERule `xml:"Rule" json:"rules"`
}

// SSERule is one default encryption rule.
type SSERule struct {
	Default *SSEDefault `xml:"ApplyServerSideEncryptionByDefault" json:"default,omitempty"`
	// BucketKeyEnabled is always answered (false when unset), as AWS does.
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled" json:"bucket_key_enabled,omitempty"`
}

// SSEDefault is the algorithm and key of a rule.
type SSEDefault struct {
	SSEAlgorithm   string `xml:"SSEAlgorithm" json:"sse_algorithm"`
	KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty" json:"kms_master_key_id,omitempty"`
}

func defaultSSE() *SSEConfig {
	f := false
	return &SSEConfig{Rules: []SSERule{{Default: &SSEDefault{SSEAlgorithm: "AES256"}, BucketKeyEnabled: &f}}}
}

func (s *Service) getBucketEncryption(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	cfg := b.Encryption
	if cfg == nil {
		// Every bucket is encrypted with SSE-S3 unless configured
		// otherwise (AWS's behaviour since January 2023).
		cfg = defaultSSE()
	}
	out := *cfg
	out.Xmlns = ns
	out.Rules = append([]SSERule(nil), cfg.Rules...)
	for i := range out.Rules {
		if out.Rules[i].BucketKeyEnabled == nil {
			f := false
			out.Rules[i].BucketKeyEnabled = &f
		}
	}
	return c.writeXML(http.StatusOK, out)
}

func (s *Service) putBucketEncryption(c *call) error {
	var in SSEConfig
	if _, err := s.readConfig(c, "ServerSideEncryptionConfiguration", &in); err != nil {
		return err
	}
	if len(in.Rules) != 1 || in.Rules[0].Default == nil {
		return errMalformedXML()
	}
	d := in.Rules[0].Default
	switch d.SSEAlgorithm {
	case "AES256":
		if d.KMSMasterKeyID != "" {
			return errInvalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse").with("ArgumentName", "ApplyServerSideEncryptionByDefault")
		}
	case "aws:kms", "aws:kms:dsse":
	default:
		return errMalformedXML()
	}
	err := s.updateBucket(c, func(b *Bucket) error {
		b.Encryption = &SSEConfig{Rules: in.Rules}
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

func (s *Service) deleteBucketEncryption(c *call) error {
	return s.deleteConfig(c, func(b *Bucket) { b.Encryption = nil })
}

// deleteConfig clears a configuration and answers 204.
func (s *Service) deleteConfig(c *call, clear func(b *Bucket)) error {
	err := s.updateBucket(c, func(b *Bucket) error { clear(b); return nil })
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusNoContent)
	return nil
}

// --- public access block

type publicAccessBlockConfiguration struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       *bool    `xml:"BlockPublicAcls"`
	IgnorePublicAcls      *bool    `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     *bool    `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets *bool    `xml:"RestrictPublicBuckets"`
}

func (s *Service) getPublicAccessBlock(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	p := b.PublicAccessBlock
	if p == nil {
		return newErr(http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found").with("BucketName", b.Name)
	}
	return c.writeXML(http.StatusOK, publicAccessBlockConfiguration{Xmlns: ns,
		BlockPublicAcls: &p.BlockPublicAcls, IgnorePublicAcls: &p.IgnorePublicAcls,
		BlockPublicPolicy: &p.BlockPublicPolicy, RestrictPublicBuckets: &p.RestrictPublicBuckets})
}

func (s *Service) putPublicAccessBlock(c *call) error {
	var in publicAccessBlockConfiguration
	if _, err := s.readConfig(c, "PublicAccessBlockConfiguration", &in); err != nil {
		return err
	}
	v := func(p *bool) bool { return p != nil && *p }
	err := s.updateBucket(c, func(b *Bucket) error {
		b.PublicAccessBlock = &PublicAccessBlock{v(in.BlockPublicAcls), v(in.IgnorePublicAcls), v(in.BlockPublicPolicy), v(in.RestrictPublicBuckets)}
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

func (s *Service) deletePublicAccessBlock(c *call) error {
	return s.deleteConfig(c, func(b *Bucket) { b.PublicAccessBlock = nil })
}

// --- bucket policy

func (s *Service) getBucketPolicy(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	if b.Policy == "" {
		return newErr(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", b.Name)
	}
	c.writeRaw(http.StatusOK, "application/json", []byte(b.Policy))
	return nil
}

func (s *Service) putBucketPolicy(c *call) error {
	body, err := c.readSmallBody(20 << 10)
	if err != nil {
		if se, ok := err.(*s3Error); ok && se.Code == "EntityTooLarge" {
			return newErr(http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
		}
		return err
	}
	public, perr := parsePolicy(body)
	if perr != nil {
		return perr
	}
	err = s.updateBucket(c, func(b *Bucket) error {
		if public && b.PublicAccessBlock != nil && b.PublicAccessBlock.BlockPublicPolicy {
			return newErr(http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::%s:user/sandbox is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::%s\" because public policies are blocked by the BlockPublicPolicy block public access setting.", s.env.AccountID, b.Name)
		}
		b.Policy = string(body)
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusNoContent)
	return nil
}

func (s *Service) deleteBucketPolicy(c *call) error {
	return s.deleteConfig(c, func(b *Bucket) { b.Policy = "" })
}

// parsePolicy validates a bucket policy the way S3 does (JSON object with
// statements, each with an effect, a principal, actions and resources)
// and reports whether it grants public access: an Allow to everyone
// ("*") without conditions.
func parsePolicy(body []byte) (public bool, err *s3Error) {
	malformed := func(msg string) *s3Error {
		return newErr(http.StatusBadRequest, "MalformedPolicy", "%s", msg)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false, malformed("Policies must be valid JSON and the first byte must be '{'")
	}
	var doc struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if e := json.Unmarshal(trimmed, &doc); e != nil {
		return false, malformed("This policy contains invalid Json")
	}
	if len(doc.Statement) == 0 {
		return false, malformed("Missing required field Statement")
	}
	var stmts []map[string]json.RawMessage
	if doc.Statement[0] == '[' {
		if e := json.Unmarshal(doc.Statement, &stmts); e != nil {
			return false, malformed("This policy contains invalid Json")
		}
	} else {
		var one map[string]json.RawMessage
		if e := json.Unmarshal(doc.Statement, &one); e != nil {
			return false, malformed("This policy contains invalid Json")
		}
		stmts = append(stmts, one)
	}
	if len(stmts) == 0 {
		return false, malformed("Could not parse the policy: Statement is empty!")
	}
	for _, st := range stmts {
		var effect string
		if e := json.Unmarshal(st["Effect"], &effect); e != nil || (effect != "Allow" && effect != "Deny") {
			return false, malformed("Invalid effect: " + string(st["Effect"]))
		}
		_, hasP := st["Principal"]
		_, hasNP := st["NotPrincipal"]
		if !hasP && !hasNP {
			return false, malformed("Missing required field Principal")
		}
		_, hasA := st["Action"]
		_, hasNA := st["NotAction"]
		if !hasA && !hasNA {
			return false, malformed("Missing required field Action")
		}
		_, hasR := st["Resource"]
		_, hasNR := st["NotResource"]
		if !hasR && !hasNR {
			return false, malformed("Missing required field Resource")
		}
		if _, cond := st["Condition"]; effect == "Allow" && !cond && hasP && principalIsEveryone(st["Principal"]) {
			public = true
		}
	}
	return public, nil
}

func principalIsEveryone(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	aws := m["AWS"]
	if json.Unmarshal(aws, &s) == nil {
		return s == "*"
	}
	var list []string
	if json.Unmarshal(aws, &list) == nil {
		for _, v := range list {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// --- ownership controls

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

func (s *Service) getOwnershipControls(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	if b.Ownership == "" {
		return newErr(http.StatusNotFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found").with("BucketName", b.Name)
	}
	out := ownershipControls{Xmlns: ns}
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{b.Ownership})
	return c.writeXML(http.StatusOK, out)
}

func (s *Service) putOwnershipControls(c *call) error {
	var in ownershipControls
	if _, err := s.readConfig(c, "OwnershipControls", &in); err != nil {
		return err
	}
	if len(in.Rules) != 1 || !objectOwnerships[in.Rules[0].ObjectOwnership] {
		return errMalformedXML()
	}
	err := s.updateBucket(c, func(b *Bucket) error {
		if in.Rules[0].ObjectOwnership == "BucketOwnerEnforced" && !s.ownerOnly(b.Grants) {
			return newErr(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
		b.Ownership = in.Rules[0].ObjectOwnership
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

func (s *Service) deleteOwnershipControls(c *call) error {
	return s.deleteConfig(c, func(b *Bucket) { b.Ownership = "" })
}

// --- raw-document configurations (lifecycle, CORS, website, logging)

func (s *Service) getRaw(c *call, name string, missing func(b *Bucket) *s3Error, empty string) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	doc, ok := b.Raw[name]
	if !ok {
		if missing != nil {
			return missing(b)
		}
		doc = xml.Header + empty
	}
	if name == "lifecycle" {
		c.w.Header().Set("X-Amz-Transition-Default-Minimum-Object-Size", lifecycleMinSize(b))
	}
	c.writeRaw(http.StatusOK, "application/xml", []byte(doc))
	return nil
}

func (s *Service) putRaw(c *call, name string, body []byte, extra func(b *Bucket) error) error {
	err := s.updateBucket(c, func(b *Bucket) error {
		if extra != nil {
			if err := extra(b); err != nil {
				return err
			}
		}
		if b.Raw == nil {
			b.Raw = map[string]string{}
		}
		b.Raw[name] = string(body)
		return nil
	})
	if err != nil {
		return err
	}
	if name == "lifecycle" {
		c.w.Header().Set("X-Amz-Transition-Default-Minimum-Object-Size", c.lifecycleMinSizeHeader())
	}
	c.writeStatus(http.StatusOK)
	return nil
}

func (s *Service) deleteRaw(c *call, name string) error {
	return s.deleteConfig(c, func(b *Bucket) {
		delete(b.Raw, name)
		if name == "lifecycle" {
			b.LifecycleMinSize = ""
		}
	})
}

type lifecycleConfiguration struct {
	Rules []struct {
		ID                             string     `xml:"ID"`
		Status                         string     `xml:"Status"`
		Prefix                         *string    `xml:"Prefix"`
		Filter                         *struct{}  `xml:"Filter"`
		Expiration                     *struct{}  `xml:"Expiration"`
		Transitions                    []struct{} `xml:"Transition"`
		NoncurrentVersionExpiration    *struct{}  `xml:"NoncurrentVersionExpiration"`
		NoncurrentVersionTransitions   []struct{} `xml:"NoncurrentVersionTransition"`
		AbortIncompleteMultipartUpload *struct{}  `xml:"AbortIncompleteMultipartUpload"`
	} `xml:"Rule"`
}

func lifecycleMinSize(b *Bucket) string {
	if b.LifecycleMinSize != "" {
		return b.LifecycleMinSize
	}
	return "all_storage_classes_128K"
}

func (c *call) lifecycleMinSizeHeader() string {
	if v := c.r.Header.Get("X-Amz-Transition-Default-Minimum-Object-Size"); v != "" {
		return v
	}
	return "all_storage_classes_128K"
}

func (s *Service) getBucketLifecycle(c *call) error {
	return s.getRaw(c, "lifecycle", func(b *Bucket) *s3Error {
		return newErr(http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist").with("BucketName", b.Name)
	}, "")
}

func (s *Service) putBucketLifecycle(c *call) error {
	var in lifecycleConfiguration
	body, err := s.readConfig(c, "LifecycleConfiguration", &in)
	if err != nil {
		return err
	}
	if len(in.Rules) == 0 || len(in.Rules) > 1000 {
		return errMalformedXML()
	}
	ids := map[string]bool{}
	for _, r := range in.Rules {
		if r.Status != "Enabled" && r.Status != "Disabled" {
			return errMalformedXML()
		}
		if len(r.ID) > 255 {
			return errInvalidArgument("ID length should not exceed allowed limit of 255").with("ArgumentName", "ID")
		}
		if r.ID != "" {
			if ids[r.ID] {
				return errInvalidArgument("Rule ID must be unique. Found same ID for more than one rule").with("ArgumentName", "ID").with("ArgumentValue", r.ID)
			}
			ids[r.ID] = true
		}
		if r.Prefix != nil && r.Filter != nil {
			return errMalformedXML()
		}
		if r.Expiration == nil && len(r.Transitions) == 0 && r.NoncurrentVersionExpiration == nil &&
			len(r.NoncurrentVersionTransitions) == 0 && r.AbortIncompleteMultipartUpload == nil {
			return errInvalidRequest("At least one action needs to be specified in a rule")
		}
	}
	minSize := c.r.Header.Get("X-Amz-Transition-Default-Minimum-Object-Size")
	if minSize != "" && minSize != "varies_by_storage_class" && minSize != "all_storage_classes_128K" {
		return errInvalidRequest("Invalid x-amz-transition-default-minimum-object-size header: %s", minSize)
	}
	return s.putRaw(c, "lifecycle", body, func(b *Bucket) error {
		b.LifecycleMinSize = minSize
		return nil
	})
}

func (s *Service) deleteBucketLifecycle(c *call) error { return s.deleteRaw(c, "lifecycle") }

var corsMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "HEAD": true}

func (s *Service) getBucketCORS(c *call) error {
	return s.getRaw(c, "cors", func(b *Bucket) *s3Error {
		return newErr(http.StatusNotFound, "NoSuchCORSConfiguration", "The CORS configuration does not exist").with("BucketName", b.Name)
	}, "")
}

func (s *Service) putBucketCORS(c *call) error {
	var in struct {
		Rules []struct {
			ID      string   `xml:"ID"`
			Methods []string `xml:"AllowedMethod"`
			Origins []string `xml:"AllowedOrigin"`
		} `xml:"CORSRule"`
	}
	body, err := s.readConfig(c, "CORSConfiguration", &in)
	if err != nil {
		return err
	}
	if len(in.Rules) == 0 || len(in.Rules) > 100 {
		return errMalformedXML()
	}
	for _, r := range in.Rules {
		if len(r.Methods) == 0 || len(r.Origins) == 0 {
			return errMalformedXML()
		}
		for _, m := range r.Methods {
			if !corsMethods[m] {
				return errInvalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
	}
	return s.putRaw(c, "cors", body, nil)
}

func (s *Service) deleteBucketCORS(c *call) error { return s.deleteRaw(c, "cors") }

func (s *Service) getBucketWebsite(c *call) error {
	return s.getRaw(c, "website", func(b *Bucket) *s3Error {
		return newErr(http.StatusNotFound, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration").with("BucketName", b.Name)
	}, "")
}

func (s *Service) putBucketWebsite(c *call) error {
	var in struct {
		Redirect *struct {
			HostName string `xml:"HostName"`
		} `xml:"RedirectAllRequestsTo"`
		Index *struct {
			Suffix string `xml:"Suffix"`
		} `xml:"IndexDocument"`
	}
	body, err := s.readConfig(c, "WebsiteConfiguration", &in)
	if err != nil {
		return err
	}
	switch {
	case in.Redirect != nil && in.Redirect.HostName == "":
		return errInvalidArgument("RedirectAllRequestsTo requires a HostName")
	case in.Redirect == nil && (in.Index == nil || in.Index.Suffix == ""):
		return errInvalidArgument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty")
	case in.Index != nil && strings.Contains(in.Index.Suffix, "/"):
		return errInvalidArgument("The IndexDocument Suffix is not well formed")
	}
	return s.putRaw(c, "website", body, nil)
}

func (s *Service) deleteBucketWebsite(c *call) error { return s.deleteRaw(c, "website") }

func (s *Service) getBucketLogging(c *call) error {
	return s.getRaw(c, "logging", nil, `<BucketLoggingStatus xmlns="`+ns+`"></BucketLoggingStatus>`)
}

func (s *Service) putBucketLogging(c *call) error {
	var in struct {
		Enabled *struct {
			TargetBucket string `xml:"TargetBucket"`
			TargetPrefix string `xml:"TargetPrefix"`
		} `xml:"LoggingEnabled"`
	}
	body, err := s.readConfig(c, "BucketLoggingStatus", &in)
	if err != nil {
		return err
	}
	if in.Enabled == nil {
		return s.deleteConfigStatus(c, func(b *Bucket) { delete(b.Raw, "logging") }, http.StatusOK)
	}
	target := in.Enabled.TargetBucket
	if target == "" {
		return errMalformedXML()
	}
	sub := *c
	sub.bucket = target
	if _, err := s.viewBucket(&sub); err != nil {
		return newErr(http.StatusBadRequest, "InvalidTargetBucketForLogging", "The target bucket for logging does not exist").with("TargetBucket", target)
	}
	return s.putRaw(c, "logging", body, nil)
}

func (s *Service) deleteConfigStatus(c *call, clear func(b *Bucket), status int) error {
	err := s.updateBucket(c, func(b *Bucket) error { clear(b); return nil })
	if err != nil {
		return err
	}
	c.writeStatus(status)
	return nil
}

// --- tagging

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []Tag    `xml:"TagSet>Tag"`
}

func validateTags(tags []Tag) *s3Error {
	if len(tags) > 50 {
		return newErr(http.StatusBadRequest, "InvalidTag", "Cannot have more than 50 tags per resource")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 128 {
			return newErr(http.StatusBadRequest, "InvalidTag", "The TagKey you have provided is invalid").with("TagKey", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return newErr(http.StatusBadRequest, "InvalidTag", "The TagValue you have provided is invalid").with("TagKey", t.Key).with("TagValue", t.Value)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return newErr(http.StatusBadRequest, "InvalidTag", "System tags cannot be added/updated by requester").with("TagKey", t.Key)
		}
		if seen[t.Key] {
			return newErr(http.StatusBadRequest, "InvalidTag", "Cannot provide multiple Tags with the same key").with("TagKey", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func (s *Service) getBucketTagging(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	if len(b.Tags) == 0 {
		return newErr(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist").with("BucketName", b.Name)
	}
	return c.writeXML(http.StatusOK, tagging{Xmlns: ns, TagSet: b.Tags})
}

func (s *Service) putBucketTagging(c *call) error {
	var in tagging
	if _, err := s.readConfig(c, "Tagging", &in); err != nil {
		return err
	}
	if err := validateTags(in.TagSet); err != nil {
		return err
	}
	err := s.updateBucket(c, func(b *Bucket) error {
		b.Tags = in.TagSet
		return nil
	})
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusNoContent)
	return nil
}

func (s *Service) deleteBucketTagging(c *call) error {
	return s.deleteConfig(c, func(b *Bucket) { b.Tags = nil })
}

// --- accelerate and request payment

type accelerateConfiguration struct {
	XMLName xml.Name `xml:"AccelerateConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status,omitempty"`
}

func (s *Service) getBucketAccelerate(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	return c.writeXML(http.StatusOK, accelerateConfiguration{Xmlns: ns, Status: b.Accelerate})
}

func (s *Service) putBucketAccelerate(c *call) error {
	var in accelerateConfiguration
	if _, err := s.readConfig(c, "AccelerateConfiguration", &in); err != nil {
		return err
	}
	if in.Status != "Enabled" && in.Status != "Suspended" {
		return errMalformedXML()
	}
	if strings.Contains(c.bucket, ".") {
		return errInvalidRequest("S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
	}
	err := s.updateBucket(c, func(b *Bucket) error { b.Accelerate = in.Status; return nil })
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

type requestPaymentConfiguration struct {
	XMLName xml.Name `xml:"RequestPaymentConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Payer   string   `xml:"Payer"`
}

func (s *Service) getBucketRequestPayment(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	payer := b.Payer
	if payer == "" {
		payer = "BucketOwner"
	}
	return c.writeXML(http.StatusOK, requestPaymentConfiguration{Xmlns: ns, Payer: payer})
}

func (s *Service) putBucketRequestPayment(c *call) error {
	var in requestPaymentConfiguration
	if _, err := s.readConfig(c, "RequestPaymentConfiguration", &in); err != nil {
		return err
	}
	if in.Payer != "BucketOwner" && in.Payer != "Requester" {
		return errMalformedXML()
	}
	err := s.updateBucket(c, func(b *Bucket) error { b.Payer = in.Payer; return nil })
	if err != nil {
		return err
	}
	c.writeStatus(http.StatusOK)
	return nil
}

// --- object lock

func (s *Service) getObjectLockConfiguration(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	if !b.ObjectLock {
		return newErr(http.StatusNotFound, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket").with("BucketName", b.Name)
	}
	if doc, ok := b.Raw["object-lock"]; ok {
		c.writeRaw(http.StatusOK, "application/xml", []byte(doc))
		return nil
	}
	return c.writeXML(http.StatusOK, struct {
		XMLName xml.Name `xml:"ObjectLockConfiguration"`
		Xmlns   string   `xml:"xmlns,attr"`
		Enabled string   `xml:"ObjectLockEnabled"`
	}{Xmlns: ns, Enabled: "Enabled"})
}

func (s *Service) putObjectLockConfiguration(c *call) error {
	var in struct {
		Enabled string `xml:"ObjectLockEnabled"`
		Rule    *struct {
			Retention struct {
				Mode  string `xml:"Mode"`
				Days  *int   `xml:"Days"`
				Years *int   `xml:"Years"`
			} `xml:"DefaultRetention"`
		} `xml:"Rule"`
	}
	body, err := s.readConfig(c, "ObjectLockConfiguration", &in)
	if err != nil {
		return err
	}
	if in.Enabled != "Enabled" {
		return errMalformedXML()
	}
	if r := in.Rule; r != nil {
		if r.Retention.Mode != "GOVERNANCE" && r.Retention.Mode != "COMPLIANCE" {
			return errMalformedXML()
		}
		if (r.Retention.Days == nil) == (r.Retention.Years == nil) {
			return errMalformedXML()
		}
		if (r.Retention.Days != nil && *r.Retention.Days <= 0) || (r.Retention.Years != nil && *r.Retention.Years <= 0) {
			return errInvalidArgument("Default retention period must be a positive integer value")
		}
	}
	return s.putRaw(c, "object-lock", body, func(b *Bucket) error {
		if !b.ObjectLock && b.Versioning != "Enabled" {
			return newErr(http.StatusConflict, "InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		b.ObjectLock = true
		return nil
	})
}

// --- replication (read-only: the sandbox does not replicate)

func (s *Service) getBucketReplication(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	return newErr(http.StatusNotFound, "ReplicationConfigurationNotFoundError", "The replication configuration was not found").with("BucketName", b.Name)
}

func (s *Service) deleteBucketReplication(c *call) error {
	if _, err := s.viewBucket(c); err != nil {
		return err
	}
	c.writeStatus(http.StatusNoContent)
	return nil
}
