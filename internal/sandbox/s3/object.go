package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxMetadata is S3's limit on user metadata (keys + values), in bytes.
const maxMetadata = 2 << 10

var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "OUTPOSTS": true,
	"GLACIER_IR": true, "SNOW": true, "EXPRESS_ONEZONE": true,
}

// objectFromHeaders reads the attributes a PUT (or CreateMultipartUpload,
// or CopyObject with REPLACE) sets from request headers.
func (s *Service) objectFromHeaders(h http.Header, b *Bucket, region string) (Object, *s3Error) {
	o := Object{
		ContentType:        h.Get("Content-Type"),
		CacheControl:       h.Get("Cache-Control"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		Expires:            h.Get("Expires"),
		WebsiteRedirect:    h.Get("X-Amz-Website-Redirect-Location"),
		StorageClass:       h.Get("X-Amz-Storage-Class"),
	}
	if o.ContentType == "" {
		o.ContentType = "binary/octet-stream"
	}
	// aws-chunked is a transfer detail, not the object's encoding.
	var encs []string
	for _, e := range strings.Split(h.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			encs = append(encs, e)
		}
	}
	o.ContentEncoding = strings.Join(encs, ",")
	if o.StorageClass != "" && !storageClasses[o.StorageClass] {
		return o, newErr(http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid").with("StorageClassRequested", o.StorageClass)
	}
	if o.StorageClass == "STANDARD" {
		o.StorageClass = ""
	}
	size := 0
	for k, vs := range h {
		lk := strings.ToLower(k)
		if name, ok := strings.CutPrefix(lk, "x-amz-meta-"); ok && name != "" {
			if o.Metadata == nil {
				o.Metadata = map[string]string{}
			}
			v := strings.Join(vs, ",")
			o.Metadata[name] = v
			size += len(name) + len(v)
		}
	}
	if size > maxMetadata {
		return o, newErr(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.").with("Size", strconv.Itoa(size)).with("MaxSizeAllowed", strconv.Itoa(maxMetadata))
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		tags, e := parseTagHeader(t)
		if e != nil {
			return o, e
		}
		o.Tags = tags
	}
	if h.Get("X-Amz-Object-Lock-Mode") != "" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") != "" || h.Get("X-Amz-Object-Lock-Legal-Hold") != "" {
		if !b.ObjectLock {
			return o, errInvalidRequest("Bucket is missing Object Lock Configuration")
		}
		return o, notImplemented("PutObject with object lock retention or legal hold")
	}
	if h.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		return o, notImplemented("PutObject with SSE-C (customer-provided keys)")
	}
	switch sse := h.Get("X-Amz-Server-Side-Encryption"); sse {
	case "":
		cfg := b.Encryption
		if cfg == nil {
			cfg = defaultSSE()
		}
		r := cfg.Rules[0]
		o.SSE = r.Default.SSEAlgorithm
		o.SSEKMSKeyID = r.Default.KMSMasterKeyID
		o.BucketKeyEnabled = r.BucketKeyEnabled != nil && *r.BucketKeyEnabled
	case "AES256", "aws:kms", "aws:kms:dsse":
		o.SSE = sse
		o.SSEKMSKeyID = h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
		o.BucketKeyEnabled = strings.EqualFold(h.Get("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"), "true")
		if sse == "AES256" && o.SSEKMSKeyID != "" {
			return o, errInvalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").with("ArgumentName", "x-amz-server-side-encryption")
		}
	default:
		return o, errInvalidArgument("The encryption method specified is not supported").with("ArgumentName", "x-amz-server-side-encryption").with("ArgumentValue", sse)
	}
	if strings.HasPrefix(o.SSE, "aws:kms") && o.SSEKMSKeyID == "" {
		o.SSEKMSKeyID = s.env.ARN("kms", region, "alias/aws/s3")
	}
	return o, nil
}

// parseTagHeader parses x-amz-tagging (URL-query encoded).
func parseTagHeader(v string) ([]Tag, *s3Error) {
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, newErr(http.StatusBadRequest, "InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.").with("ArgumentName", "x-amz-tagging")
	}
	var tags []Tag
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, newErr(http.StatusBadRequest, "InvalidTag", "Cannot provide multiple Tags with the same key").with("TagKey", k)
		}
		tags = append(tags, Tag{Key: k, Value: vs[0]})
	}
	sortTags(tags)
	if e := validateObjectTags(tags); e != nil {
		return nil, e
	}
	return tags, nil
}

func sortTags(tags []Tag) {
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
}

func validateObjectTags(tags []Tag) *s3Error {
	if len(tags) > 10 {
		return newErr(http.StatusBadRequest, "BadRequest", "Object tags cannot be greater than 10")
	}
	return validateTags(tags)
}

// writeCondition is a PUT's If-None-Match / If-Match precondition.
type writeCondition struct {
	ifNoneMatch bool   // If-None-Match: *
	ifMatch     string // If-Match: <etag>
}

func parseWriteCondition(h http.Header) (writeCondition, *s3Error) {
	var wc writeCondition
	if v := h.Get("If-None-Match"); v != "" {
		if strings.TrimSpace(v) != "*" {
			return wc, newErr(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented").with("Header", "If-None-Match")
		}
		wc.ifNoneMatch = true
	}
	wc.ifMatch = h.Get("If-Match")
	return wc, nil
}

// check evaluates the condition against the current object (nil when the
// key has no live version).
func (wc writeCondition) check(key string, cur *Object) *s3Error {
	if wc.ifNoneMatch && cur != nil {
		return errPrecondition("If-None-Match")
	}
	if wc.ifMatch != "" {
		if cur == nil {
			return errNoSuchKey(key)
		}
		if !etagMatches(wc.ifMatch, cur.ETag) {
			return errPrecondition("If-Match")
		}
	}
	return nil
}

// etagMatches evaluates an If-Match / If-None-Match list against an ETag.
func etagMatches(list, etag string) bool {
	want := strings.Trim(etag, `"`)
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		v = strings.TrimPrefix(v, "W/")
		if v == "*" || strings.Trim(v, `"`) == want {
			return true
		}
	}
	return false
}

func (s *Service) putObject(c *call) error {
	b, err := s.viewBucket(c)
	if err != nil {
		return err
	}
	tmpl, e := s.objectFromHeaders(c.r.Header, b, b.Region)
	if e != nil {
		return e
	}
	wc, e := parseWriteCondition(c.r.Header)
	if e != nil {
		return e
	}
	if wc != (writeCondition{}) {
		// Fail fast before reading the body; checked again atomically below.
		if err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
			cur, err := currentObject(tx, c.bucket, c.key)
			if err != nil {
				return err
			}
			if e := wc.check(c.key, cur); e != nil {
				return e
			}
			return nil
		}); err != nil {
			return err
		}
	}
	o, err := s.storeBody(c, tmpl, defaultChecksum)
	if err != nil {
		return err
	}
	var garbage []string
	err = s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		b, err = getBucket(tx, c.bucket)
		if err != nil {
			return err
		}
		cur, err := currentObject(tx, c.bucket, c.key)
		if err != nil {
			return err
		}
		if e := wc.check(c.key, cur); e != nil {
			return e
		}
		garbage, err = storeVersion(tx, b, o, s.env.Now().UTC())
		return err
	})
	if err != nil {
		s.collect([]string{o.Blob})
		return err
	}
	s.collect(garbage)
	h := c.w.Header()
	h.Set("ETag", o.ETag)
	setSSEHeaders(h, o)
	if b.Versioning != "" {
		h.Set("X-Amz-Version-Id", o.VersionID)
	}
	if declaredChecksum(c.r.Header) {
		h.Set(checksumHeader(o.ChecksumAlgorithm), o.Checksum)
		h.Set("X-Amz-Checksum-Type", o.ChecksumType)
	}
	c.writeStatus(http.StatusOK)
	return nil
}

func declaredChecksum(h http.Header) bool {
	if h.Get("X-Amz-Trailer") != "" || h.Get("X-Amz-Sdk-Checksum-Algorithm") != "" {
		return true
	}
	for _, a := range checksumAlgorithms {
		if h.Get(checksumHeader(a)) != "" {
			return true
		}
	}
	return false
}

// storeBody streams the request body to a blob, verifies it, and returns
// the object (tmpl plus data fields) ready to be stored. On error no blob
// is left behind.
func (s *Service) storeBody(c *call, tmpl Object, defaultAlg string) (*Object, error) {
	bd, e := openBody(c.r, defaultAlg)
	if e != nil {
		return nil, e
	}
	if bd.chunked == nil && c.r.ContentLength < 0 {
		return nil, newErr(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	if c.r.ContentLength > MaxObjectSize && bd.chunked == nil {
		return nil, newErr(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").with("ProposedSize", itoa(c.r.ContentLength)).with("MaxSizeAllowed", itoa(MaxObjectSize))
	}
	blob, err := s.env.State.WriteBlob(bd.r, MaxObjectSize)
	if err != nil {
		return nil, readError(err)
	}
	sum, e := bd.finish(blob.Size, blob.MD5, blob.SHA256)
	if e != nil {
		s.collect([]string{blob.ID})
		return nil, e
	}
	o := tmpl
	o.Key = c.key
	o.Blob, o.Size = blob.ID, blob.Size
	o.ETag = `"` + blob.MD5 + `"`
	o.LastModified = s.env.Now().UTC()
	o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = bd.alg, sum, ""
	if sum != "" {
		o.ChecksumType = "FULL_OBJECT"
	}
	return &o, nil
}

func setSSEHeaders(h http.Header, o *Object) {
	if o.SSE == "" {
		return
	}
	h.Set("X-Amz-Server-Side-Encryption", o.SSE)
	if o.SSEKMSKeyID != "" {
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", o.SSEKMSKeyID)
	}
	if o.BucketKeyEnabled {
		h.Set("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "true")
	}
}

// resolveObject finds the object a request addresses (versionId or the
// current version) in a read transaction.
func (s *Service) resolveObject(c *call) (*Object, error) {
	var o *Object
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		o, err = s.resolveIn(tx, c)
		return err
	})
	return o, err
}

// resolveIn finds the addressed object version. A delete marker answers
// NoSuchKey (current) or MethodNotAllowed (by version id), with the
// x-amz-delete-marker header, as AWS does.
func (s *Service) resolveIn(tx *state.Tx, c *call) (*Object, error) {
	if _, err := getBucket(tx, c.bucket); err != nil {
		return nil, err
	}
	vid := c.query.Get("versionId")
	if vid == "" {
		o, err := currentObject(tx, c.bucket, c.key)
		if err != nil {
			return nil, err
		}
		if o == nil {
			if latest, err := latestVersion(tx, c.bucket, c.key); err == nil && latest != nil && latest.DeleteMarker {
				c.w.Header().Set("X-Amz-Delete-Marker", "true")
				c.w.Header().Set("X-Amz-Version-Id", latest.VersionID)
			}
			return nil, errNoSuchKey(c.key)
		}
		return o, nil
	}
	o, err := findVersion(tx, c.bucket, c.key, vid)
	if err != nil {
		return nil, err
	}
	if o.DeleteMarker {
		h := c.w.Header()
		h.Set("X-Amz-Delete-Marker", "true")
		h.Set("X-Amz-Version-Id", o.VersionID)
		h.Set("Last-Modified", o.LastModified.Format(http.TimeFormat))
		if c.r.Method == http.MethodGet || c.r.Method == http.MethodHead {
			return nil, errMethodNotAllowed(c.r.Method, "DeleteMarker")
		}
	}
	return o, nil
}

func (s *Service) getObject(c *call) error  { return s.serveObject(c, false) }
func (s *Service) headObject(c *call) error { return s.serveObject(c, true) }

// readCondition evaluates GET/HEAD preconditions (RFC 7232 as S3 applies
// them): 0 to serve, 304 or 412 otherwise.
func readCondition(h http.Header, o *Object) (int, string) {
	lm := o.LastModified.Truncate(time.Second)
	ifMatch, ifNone := h.Get("If-Match"), h.Get("If-None-Match")
	if ifMatch != "" {
		if !etagMatches(ifMatch, o.ETag) {
			return http.StatusPreconditionFailed, "If-Match"
		}
	} else if v := h.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && lm.After(t) {
			return http.StatusPreconditionFailed, "If-Unmodified-Since"
		}
	}
	if ifNone != "" {
		if etagMatches(ifNone, o.ETag) {
			return http.StatusNotModified, ""
		}
	} else if v := h.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !lm.After(t) {
			return http.StatusNotModified, ""
		}
	}
	return 0, ""
}

func (s *Service) serveObject(c *call, head bool) error {
	var (
		o *Object
		b *Bucket
	)
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if b, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		o, err = s.resolveIn(tx, c)
		return err
	})
	if err != nil {
		return err
	}
	h := c.w.Header()
	if b.Versioning != "" {
		h.Set("X-Amz-Version-Id", o.VersionID)
	}
	if st, cond := readCondition(c.r.Header, o); st != 0 {
		if st == http.StatusNotModified {
			h.Set("ETag", o.ETag)
			h.Set("Last-Modified", o.LastModified.Format(http.TimeFormat))
			c.writeStatus(http.StatusNotModified)
			return nil
		}
		return errPrecondition(cond)
	}
	if !head && (o.StorageClass == "GLACIER" || o.StorageClass == "DEEP_ARCHIVE") {
		return newErr(http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class").with("StorageClass", o.StorageClass)
	}
	start, length, status := int64(0), o.Size, http.StatusOK
	if pn := c.query.Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive").with("ArgumentName", "partNumber").with("ArgumentValue", pn)
		}
		parts := o.PartSizes
		if parts == nil {
			parts = []int64{o.Size}
		}
		if n > len(parts) {
			return newErr(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable").with("PartNumberRequested", pn).with("ActualPartCount", strconv.Itoa(len(parts)))
		}
		for _, sz := range parts[:n-1] {
			start += sz
		}
		length, status = parts[n-1], http.StatusPartialContent
		if o.PartSizes != nil {
			h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(len(o.PartSizes)))
		}
		h.Set("Content-Range", "bytes "+itoa(start)+"-"+itoa(start+length-1)+"/"+itoa(o.Size))
	} else if rg := c.r.Header.Get("Range"); rg != "" {
		st, ln, ok, e := parseRange(rg, o.Size)
		if e != nil {
			h.Set("Content-Range", "bytes */"+itoa(o.Size))
			return e
		}
		if ok {
			start, length, status = st, ln, http.StatusPartialContent
			h.Set("Content-Range", "bytes "+itoa(start)+"-"+itoa(start+length-1)+"/"+itoa(o.Size))
		}
	}
	setObjectHeaders(h, o)
	if status == http.StatusOK && strings.EqualFold(c.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && o.Checksum != "" {
		h.Set(checksumHeader(o.ChecksumAlgorithm), o.Checksum)
		h.Set("X-Amz-Checksum-Type", o.ChecksumType)
	}
	for q, hdr := range responseOverrides {
		if v := c.query.Get(q); v != "" {
			h.Set(hdr, v)
		}
	}
	h.Set("Content-Length", itoa(length))
	if head {
		c.writeStatus(status)
		return nil
	}
	f, err := s.env.State.OpenBlob(o.Blob)
	if err != nil {
		return err
	}
	defer f.Close()
	if start > 0 {
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	c.writeStatus(status)
	if _, err := io.CopyN(c.w, f, length); err != nil && s.env.Logger != nil {
		s.env.Logger.Debug("sandbox: s3: GetObject body copy ended early", "key", c.key, "err", err)
	}
	return nil
}

var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func setObjectHeaders(h http.Header, o *Object) {
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.LastModified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", o.ContentType)
	for hdr, v := range map[string]string{
		"Cache-Control": o.CacheControl, "Content-Disposition": o.ContentDisposition,
		"Content-Encoding": o.ContentEncoding, "Content-Language": o.ContentLanguage, "Expires": o.Expires,
		"X-Amz-Website-Redirect-Location": o.WebsiteRedirect, "X-Amz-Storage-Class": o.StorageClass,
	} {
		if v != "" {
			h.Set(hdr, v)
		}
	}
	for k, v := range o.Metadata {
		h["x-amz-meta-"+k] = []string{v}
	}
	if len(o.Tags) > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(len(o.Tags)))
	}
	setSSEHeaders(h, o)
}

// parseRange interprets a single "bytes=" range against size. ok is false
// when the header should be ignored (not a single byte range).
func parseRange(v string, size int64) (start, length int64, ok bool, e *s3Error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	unsatisfiable := newErr(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable").with("RangeRequested", v).with("ActualObjectSize", itoa(size))
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsatisfiable
		}
		if n > size {
			n = size
		}
		return size - n, n, true, nil
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return 0, 0, false, nil
	}
	end := size - 1
	if last != "" {
		z, err := strconv.ParseInt(last, 10, 64)
		if err != nil || z < a {
			return 0, 0, false, nil
		}
		if z < end {
			end = z
		}
	}
	if a >= size {
		return 0, 0, false, unsatisfiable
	}
	return a, end - a + 1, true, nil
}

func (s *Service) deleteObject(c *call) error {
	vid := c.query.Get("versionId")
	if vid != "" && !validVersionID(vid) {
		return errInvalidArgument("Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", vid)
	}
	ifMatch := c.r.Header.Get("If-Match")
	var (
		garbage []string
		result  deleteResult
		b       *Bucket
	)
	err := s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if b, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		if ifMatch != "" {
			cur, err := currentObject(tx, c.bucket, c.key)
			if err != nil {
				return err
			}
			if e := (writeCondition{ifMatch: ifMatch}).check(c.key, cur); e != nil {
				return e
			}
		}
		result, garbage, err = deleteIn(tx, b, c.key, vid, s.env.Now().UTC())
		return err
	})
	if err != nil {
		return err
	}
	s.collect(garbage)
	h := c.w.Header()
	if result.DeleteMarker {
		h.Set("X-Amz-Delete-Marker", "true")
	}
	if result.VersionID != "" && (b.Versioning != "" || vid != "") {
		h.Set("X-Amz-Version-Id", result.VersionID)
	}
	c.writeStatus(http.StatusNoContent)
	return nil
}

type deleteResult struct {
	VersionID    string
	DeleteMarker bool
}

// deleteIn deletes key (or one version of it) the way the bucket's
// versioning state says: permanently when unversioned or by version id,
// else by adding a delete marker.
func deleteIn(tx *state.Tx, b *Bucket, key, vid string, now time.Time) (deleteResult, []string, error) {
	if vid != "" {
		vs, err := versions(tx, b.Name, key)
		if err != nil {
			return deleteResult{}, nil, err
		}
		for i := range vs {
			if vs[i].VersionID == vid {
				if err := removeVersion(tx, b.Name, &vs[i]); err != nil {
					return deleteResult{}, nil, err
				}
				var garbage []string
				if vs[i].Blob != "" {
					garbage = append(garbage, vs[i].Blob)
				}
				return deleteResult{VersionID: vid, DeleteMarker: vs[i].DeleteMarker}, garbage, nil
			}
		}
		return deleteResult{VersionID: vid}, nil, nil
	}
	if b.Versioning == "" {
		latest, err := latestVersion(tx, b.Name, key)
		if err != nil || latest == nil {
			return deleteResult{}, nil, err
		}
		if err := removeVersion(tx, b.Name, latest); err != nil {
			return deleteResult{}, nil, err
		}
		var garbage []string
		if latest.Blob != "" {
			garbage = append(garbage, latest.Blob)
		}
		return deleteResult{}, garbage, nil
	}
	marker := &Object{Key: key, DeleteMarker: true, LastModified: now}
	if b.Versioning == "Suspended" {
		marker.VersionID = "null"
	}
	garbage, err := storeVersion(tx, b, marker, now)
	return deleteResult{VersionID: marker.VersionID, DeleteMarker: true}, garbage, err
}

// --- DeleteObjects

func (s *Service) deleteObjects(c *call) error {
	body, err := c.readSmallBody(maxConfigBody)
	if err != nil {
		return err
	}
	var in struct {
		Quiet   bool `xml:"Quiet"`
		Objects []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Object"`
	}
	if e := decodeXML(body, "Delete", &in); e != nil {
		return e
	}
	if len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return errMalformedXML()
	}
	type deleted struct {
		Key                   string `xml:"Key"`
		VersionID             string `xml:"VersionId,omitempty"`
		DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
		DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
	}
	type failed struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId,omitempty"`
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
	}
	out := struct {
		XMLName xml.Name  `xml:"DeleteResult"`
		Xmlns   string    `xml:"xmlns,attr"`
		Deleted []deleted `xml:"Deleted"`
		Errors  []failed  `xml:"Error"`
	}{Xmlns: ns}
	var garbage []string
	err = s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		b, err := getBucket(tx, c.bucket)
		if err != nil {
			return err
		}
		now := s.env.Now().UTC()
		for _, obj := range in.Objects {
			if e := validKey(obj.Key); e != nil || obj.Key == "" {
				out.Errors = append(out.Errors, failed{Key: obj.Key, VersionID: obj.VersionID, Code: "InvalidArgument", Message: "Invalid key"})
				continue
			}
			if obj.VersionID != "" && !validVersionID(obj.VersionID) {
				out.Errors = append(out.Errors, failed{Key: obj.Key, VersionID: obj.VersionID, Code: "NoSuchVersion", Message: "The specified version does not exist."})
				continue
			}
			res, g, err := deleteIn(tx, b, obj.Key, obj.VersionID, now)
			if err != nil {
				return err
			}
			garbage = append(garbage, g...)
			if in.Quiet {
				continue
			}
			d := deleted{Key: obj.Key, VersionID: obj.VersionID}
			if res.DeleteMarker {
				d.DeleteMarker = true
				if obj.VersionID == "" {
					d.DeleteMarkerVersionID = res.VersionID
				}
			}
			out.Deleted = append(out.Deleted, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.collect(garbage)
	return c.writeXML(http.StatusOK, out)
}

// --- CopyObject

// copySource parses x-amz-copy-source: [/]bucket/key[?versionId=id].
func copySource(v string) (bucket, key, versionID string, e *s3Error) {
	bad := errInvalidArgument("Invalid copy source object key").with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", truncate(v, 200))
	path := v
	if i := strings.Index(v, "?"); i >= 0 {
		path = v[:i]
		q, err := url.ParseQuery(v[i+1:])
		if err != nil {
			return "", "", "", bad
		}
		versionID = q.Get("versionId")
	}
	p, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	if err != nil {
		return "", "", "", bad
	}
	bucket, key, _ = strings.Cut(p, "/")
	if bucket == "" || key == "" {
		return "", "", "", bad
	}
	if e := validKey(key); e != nil {
		return "", "", "", e
	}
	return bucket, key, versionID, nil
}

// copySourceCondition evaluates x-amz-copy-source-if-* headers.
func copySourceCondition(h http.Header, o *Object) *s3Error {
	hh := http.Header{}
	for _, n := range []string{"Match", "None-Match", "Modified-Since", "Unmodified-Since"} {
		if v := h.Get("X-Amz-Copy-Source-If-" + n); v != "" {
			hh.Set("If-"+n, v)
		}
	}
	if st, cond := readCondition(hh, o); st != 0 {
		if cond == "" {
			cond = "x-amz-copy-source-If-None-Match or x-amz-copy-source-If-Modified-Since"
		} else {
			cond = "x-amz-copy-source-" + cond
		}
		return errPrecondition(cond)
	}
	return nil
}

// lookupSource finds a copy source version.
func lookupSource(tx *state.Tx, bucket, key, vid string) (*Object, *Bucket, error) {
	sb, err := getBucket(tx, bucket)
	if err != nil {
		return nil, nil, err
	}
	if vid == "" {
		o, err := currentObject(tx, bucket, key)
		if err != nil {
			return nil, nil, err
		}
		if o == nil {
			return nil, nil, errNoSuchKey(key)
		}
		return o, sb, nil
	}
	o, err := findVersion(tx, bucket, key, vid)
	if err != nil {
		return nil, nil, err
	}
	if o.DeleteMarker {
		return nil, nil, errInvalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
	}
	return o, sb, nil
}

func (s *Service) copyObject(c *call) error {
	h := c.r.Header
	sbucket, skey, svid, e := copySource(h.Get("X-Amz-Copy-Source"))
	if e != nil {
		return e
	}
	mdir, tdir := h.Get("X-Amz-Metadata-Directive"), h.Get("X-Amz-Tagging-Directive")
	for name, v := range map[string]string{"x-amz-metadata-directive": mdir, "x-amz-tagging-directive": tdir} {
		if v != "" && v != "COPY" && v != "REPLACE" {
			return errInvalidArgument("Unknown %s", name).with("ArgumentName", name).with("ArgumentValue", v)
		}
	}
	wc, e := parseWriteCondition(h)
	if e != nil {
		return e
	}
	var (
		src     *Object
		srcB    *Bucket
		dst     *Bucket
		srcBlob string
	)
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if dst, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		src, srcB, err = lookupSource(tx, sbucket, skey, svid)
		return err
	})
	if err != nil {
		return err
	}
	if e := copySourceCondition(h, src); e != nil {
		return e
	}
	if src.Size > MaxObjectSize {
		return errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", int64(MaxObjectSize))
	}
	replaced, e := s.objectFromHeaders(h, dst, dst.Region)
	if e != nil {
		return e
	}
	o := *src
	o.Key, o.VersionID, o.Seq, o.PartSizes = c.key, "", 0, nil
	if mdir == "REPLACE" {
		o.ContentType, o.CacheControl, o.ContentDisposition = replaced.ContentType, replaced.CacheControl, replaced.ContentDisposition
		o.ContentEncoding, o.ContentLanguage, o.Expires, o.Metadata = replaced.ContentEncoding, replaced.ContentLanguage, replaced.Expires, replaced.Metadata
		o.WebsiteRedirect = replaced.WebsiteRedirect
	}
	if tdir == "REPLACE" {
		o.Tags = replaced.Tags
	}
	changed := mdir == "REPLACE" || h.Get("X-Amz-Storage-Class") != "" || h.Get("X-Amz-Website-Redirect-Location") != "" ||
		h.Get("X-Amz-Server-Side-Encryption") != "" || h.Get("X-Amz-Checksum-Algorithm") != ""
	if sbucket == c.bucket && skey == c.key && !changed {
		return errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	o.StorageClass = replaced.StorageClass
	o.SSE, o.SSEKMSKeyID, o.BucketKeyEnabled = replaced.SSE, replaced.SSEKMSKeyID, replaced.BucketKeyEnabled
	// Copy the data into a blob of the destination's own.
	alg := strings.ToUpper(h.Get("X-Amz-Checksum-Algorithm"))
	if alg == "" {
		alg = src.ChecksumAlgorithm
		if alg == "" || src.ChecksumType != "FULL_OBJECT" {
			alg = defaultChecksum
		}
	} else if !validChecksumAlgorithm(alg) {
		return errInvalidRequest("Checksum algorithm provided is unsupported.")
	}
	f, err := s.env.State.OpenBlob(src.Blob)
	if err != nil {
		return err
	}
	hsh := newChecksumHash(alg)
	blob, err := s.env.State.WriteBlob(io.TeeReader(f, hsh), -1)
	_ = f.Close()
	if err != nil {
		return err
	}
	srcBlob = blob.ID
	o.Blob, o.Size, o.ETag = blob.ID, blob.Size, `"`+blob.MD5+`"`
	o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = alg, checksumOf(hsh), "FULL_OBJECT"
	o.LastModified = s.env.Now().UTC()
	var garbage []string
	err = s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		b, err := getBucket(tx, c.bucket)
		if err != nil {
			return err
		}
		dst = b
		cur, err := currentObject(tx, c.bucket, c.key)
		if err != nil {
			return err
		}
		if e := wc.check(c.key, cur); e != nil {
			return e
		}
		garbage, err = storeVersion(tx, b, &o, o.LastModified)
		return err
	})
	if err != nil {
		s.collect([]string{srcBlob})
		return err
	}
	s.collect(garbage)
	rh := c.w.Header()
	if dst.Versioning != "" {
		rh.Set("X-Amz-Version-Id", o.VersionID)
	}
	if srcB.Versioning != "" {
		rh.Set("X-Amz-Copy-Source-Version-Id", src.VersionID)
	}
	setSSEHeaders(rh, &o)
	res := struct {
		XMLName      xml.Name     `xml:"CopyObjectResult"`
		Xmlns        string       `xml:"xmlns,attr"`
		ETag         string       `xml:"ETag"`
		LastModified string       `xml:"LastModified"`
		ChecksumType string       `xml:"ChecksumType,omitempty"`
		Checksum     checksumElem `xml:"Checksum"`
	}{Xmlns: ns, ETag: o.ETag, LastModified: isoTime(o.LastModified)}
	if h.Get("X-Amz-Checksum-Algorithm") != "" {
		res.ChecksumType = o.ChecksumType
		res.Checksum = checksumElem{alg, o.Checksum}
	}
	return c.writeXML(http.StatusOK, res)
}

// checksumElem marshals as <ChecksumCRC32>value</ChecksumCRC32> etc.
type checksumElem struct{ Alg, Value string }

func (e checksumElem) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	if e.Value == "" {
		return nil
	}
	return enc.EncodeElement(e.Value, xml.StartElement{Name: xml.Name{Local: "Checksum" + e.Alg}})
}

// --- object tagging

func (s *Service) getObjectTagging(c *call) error {
	var (
		o *Object
		b *Bucket
	)
	err := s.env.State.View(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if b, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		o, err = s.resolveIn(tx, c)
		return err
	})
	if err != nil {
		return err
	}
	if b.Versioning != "" {
		c.w.Header().Set("X-Amz-Version-Id", o.VersionID)
	}
	tags := o.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return c.writeXML(http.StatusOK, tagging{Xmlns: ns, TagSet: tags})
}

func (s *Service) putObjectTagging(c *call) error {
	var in tagging
	body, err := c.readSmallBody(maxConfigBody)
	if err != nil {
		return err
	}
	if e := decodeXML(body, "Tagging", &in); e != nil {
		return e
	}
	if e := validateObjectTags(in.TagSet); e != nil {
		return e
	}
	return s.retag(c, in.TagSet, http.StatusOK)
}

func (s *Service) deleteObjectTagging(c *call) error { return s.retag(c, nil, http.StatusNoContent) }

// retag replaces the tags of the addressed version in place.
func (s *Service) retag(c *call, tags []Tag, status int) error {
	var (
		o *Object
		b *Bucket
	)
	err := s.env.State.Update(c.r.Context(), func(tx *state.Tx) error {
		var err error
		if b, err = getBucket(tx, c.bucket); err != nil {
			return err
		}
		if o, err = s.resolveIn(tx, c); err != nil {
			return err
		}
		if o.DeleteMarker {
			return errMethodNotAllowed(c.r.Method, "DeleteMarker")
		}
		o.Tags = tags
		if err := tx.Put(nsVersion(c.bucket), versionKey(o.Key, o.Seq), o); err != nil {
			return err
		}
		cur, err := currentObject(tx, c.bucket, c.key)
		if err != nil {
			return err
		}
		if cur != nil && cur.Seq == o.Seq {
			return tx.Put(nsObject(c.bucket), c.key, o)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if b.Versioning != "" {
		c.w.Header().Set("X-Amz-Version-Id", o.VersionID)
	}
	c.writeStatus(status)
	return nil
}
