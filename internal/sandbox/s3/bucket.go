package s3

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

const timeFormat = "2006-01-02T15:04:05.000Z"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func isoTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// owner is the canonical user of the sandbox's account.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func (s *Service) owner() owner {
	sum := sha256.Sum256([]byte("vigil-sandbox-canonical-user/" + s.env.AccountID))
	return owner{ID: hex.EncodeToString(sum[:]), DisplayName: "sandbox"}
}

// validBucketName applies S3's general purpose bucket naming rules.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
	Tags               []Tag    `xml:"Tags>Tag"`
}

var objectOwnerships = map[string]bool{"BucketOwnerEnforced": true, "BucketOwnerPreferred": true, "ObjectWriter": true}

func (s *Service) createBucket(c *call) error {
	name := c.bucket
	if !validBucketName(name) {
		return newErr(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.").with("BucketName", name)
	}
	body, err := c.readSmallBody(maxConfigBody)
	if err != nil {
		return err
	}
	var cfg createBucketConfiguration
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return errMalformedXML()
		}
	}
	endpointRegion := c.req.Region
	if endpointRegion == "" {
		endpointRegion = s.env.Region
	}
	lc := strings.TrimSpace(cfg.LocationConstraint)
	region := lc
	switch {
	case lc == "" && endpointRegion != "us-east-1":
		return newErr(http.StatusBadRequest, "IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case lc == "":
		region = "us-east-1"
	case lc == "us-east-1":
		return newErr(http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid").with("LocationConstraint", lc)
	case lc == "EU":
		region = "eu-west-1"
	case !validRegion(lc):
		return newErr(http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid").with("LocationConstraint", lc)
	}
	if endpointRegion != "us-east-1" && region != endpointRegion {
		return newErr(http.StatusBadRequest, "IllegalLocationConstraintException", "The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
	}
	ownership := c.r.Header.Get("X-Amz-Object-Ownership")
	if ownership == "" {
		ownership = "BucketOwnerEnforced"
	} else if !objectOwnerships[ownership] {
		return errInvalidArgument("Invalid x-amz-object-ownership header: %s", ownership).with("ArgumentName", "x-amz-object-ownership")
	}
	grants, aclSet, err := s.aclFromHeaders(c.r.Header, false)
	if err != nil {
		return err
	}
	if aclSet && ownership == "BucketOwnerEnforced" && !s.ownerOnly(grants) {
		return newErr(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	}
	if len(cfg.Tags) > 0 {
		if err := validateTags(cfg.Tags); err != nil {
			return err
		}
	}
	lock := strings.EqualFold(c.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true")
	now := s.env.Now().UTC()
	err = s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		var existing Bucket
		switch err := tx.Get(nsBucket, name, &existing); err {
		case nil:
			if region == "us-east-1" && existing.Region == "us-east-1" {
				// AWS's legacy behaviour in us-east-1: re-creating a bucket
				// you own succeeds and resets its ACL.
				existing.Grants = grants
				return tx.Put(nsBucket, name, existing)
			}
			return newErr(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", name)
		case state.ErrNotFound:
		default:
			return err
		}
		b := Bucket{
			Name: name, Region: region, Created: now, Ownership: ownership, Grants: grants,
			// Since April 2023 new buckets block all public access.
			PublicAccessBlock: &PublicAccessBlock{true, true, true, true},
			Tags:              cfg.Tags,
		}
		if lock {
			b.ObjectLock = true
			b.Versioning = "Enabled"
		}
		return tx.Put(nsBucket, name, b)
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("Location", "/"+name)
	c.writeStatus(http.StatusOK)
	return nil
}

// validRegion accepts region-shaped names (us-east-2, eu-central-1, …).
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			ch := p[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9') {
				return false
			}
		}
	}
	_, err := strconv.Atoi(parts[len(parts)-1])
	return err == nil
}

// viewBucket reads the bucket in a read transaction.
func (s *Service) viewBucket(c *call) (*Bucket, error) {
	var b *Bucket
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		b, err = getBucket(tx, c.bucket)
		return err
	})
	return b, err
}

// updateBucket runs fn on the bucket inside one write transaction and
// stores the result.
func (s *Service) updateBucket(c *call, fn func(b *Bucket) error) error {
	return s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		b, err := getBucket(tx, c.bucket)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		return tx.Put(nsBucket, b.Name, b)
	})
}

func (s *Service) headBucket(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("X-Amz-Bucket-Region", b.Region)
	h.Set("X-Amz-Access-Point-Alias", "false")
	c.writeStatus(http.StatusOK)
	return nil
}

func (s *Service) deleteBucket(c *call) error {
	var garbage []string
	err := s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		if _, err := getBucket(tx, c.bucket); err != nil {
			return err
		}
		ents, err := tx.List(state.ListParams{NS: nsVersion(c.bucket), Limit: 1})
		if err != nil {
			return err
		}
		if len(ents) > 0 {
			return newErr(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty").with("BucketName", c.bucket)
		}
		ups, err := tx.List(state.ListParams{NS: nsUpload(c.bucket)})
		if err != nil {
			return err
		}
		for _, u := range ups {
			blobs, err := dropUpload(tx, c.bucket, u.Key)
			if err != nil {
				return err
			}
			garbage = append(garbage, blobs...)
		}
		return tx.Delete(nsBucket, c.bucket)
	})
	if err != nil {
		return err
	}
	s.collect(garbage)
	c.writeStatus(http.StatusNoContent)
	return nil
}

func (s *Service) listBuckets(c *call) error {
	q := c.query
	maxBuckets := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("max-buckets must be between 1 and 10000").with("ArgumentName", "max-buckets").with("ArgumentValue", v)
		}
		maxBuckets = n
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return errInvalidArgument("The continuation token provided is incorrect").with("ArgumentName", "continuation-token")
		}
		after = string(raw)
	}
	prefix, regionFilter := q.Get("prefix"), q.Get("bucket-region")
	type bucketEntry struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion,omitempty"`
	}
	type result struct {
		XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
		Xmlns             string        `xml:"xmlns,attr"`
		Owner             owner         `xml:"Owner"`
		Buckets           []bucketEntry `xml:"Buckets>Bucket"`
		ContinuationToken string        `xml:"ContinuationToken,omitempty"`
		Prefix            string        `xml:"Prefix,omitempty"`
	}
	res := result{Xmlns: ns, Owner: s.owner(), Prefix: prefix}
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		for {
			ents, err := tx.List(state.ListParams{NS: nsBucket, Prefix: prefix, After: after, Limit: 1000})
			if err != nil {
				return err
			}
			for _, e := range ents {
				after = e.Key
				var b Bucket
				if err := jsonUnmarshal(e.Value, &b); err != nil {
					return err
				}
				if regionFilter != "" && b.Region != regionFilter {
					continue
				}
				if len(res.Buckets) == maxBuckets {
					res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.Buckets[len(res.Buckets)-1].Name))
					return nil
				}
				res.Buckets = append(res.Buckets, bucketEntry{Name: b.Name, CreationDate: isoTime(b.Created), BucketRegion: b.Region})
			}
			if len(ents) < 1000 {
				return nil
			}
		}
	})
	if err != nil {
		return err
	}
	return c.writeXML(http.StatusOK, res)
}

func (s *Service) getBucketLocation(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	lc := b.Region
	if lc == "us-east-1" {
		lc = ""
	}
	return c.writeXML(http.StatusOK, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		Xmlns   string   `xml:"xmlns,attr"`
		Value   string   `xml:",chardata"`
	}{Xmlns: ns, Value: lc})
}

// collect deletes blobs no longer referenced after a committed
// transaction. A failure leaves garbage, never a lost write.
func (s *Service) collect(blobs []string) {
	for _, id := range blobs {
		if err := s.env.State.DeleteBlob(id); err != nil && s.env.Logger != nil {
			s.env.Logger.Warn("sandbox: s3: delete unreferenced blob", "blob", id, "err", err)
		}
	}
}
