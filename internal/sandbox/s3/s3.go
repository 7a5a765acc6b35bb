package s3

import (
	"bytes"
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// MaxObjectSize is the largest single PUT S3 accepts (5 GiB); larger
// objects need multipart upload.
const MaxObjectSize = 5 << 30

// maxConfigBody caps bucket configuration documents (policies are at most
// 20 KB on AWS; lifecycle documents with 1,000 rules are larger).
const maxConfigBody = 4 << 20

// Service is the sandbox's S3.
type Service struct {
	env service.Env
}

// New builds the S3 service over env's state.
func New(env service.Env) *Service { return &Service{env: env} }

// Name implements service.Service: S3's SigV4 signing name.
func (s *Service) Name() string { return "s3" }

// call is one S3 request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	req    *service.Request
	bucket string
	key    string
	query  url.Values
	sub    string // the subresource query key, if any
}

// handler serves one operation. It writes the success response itself
// (S3 answers in headers as much as in bodies); errors are written by
// Handle.
type handler func(s *Service, c *call) error

// level says what a request addresses.
type level int

const (
	levelService level = iota
	levelBucket
	levelObject
)

type route struct {
	level  level
	method string
	sub    string
}

// routes maps (level, method, subresource) to the operation name and its
// handler. A nil handler answers NotImplemented naming the operation.
var routes = map[route]struct {
	op string
	h  handler
}{
	{levelService, "GET", ""}: {"ListBuckets", (*Service).listBuckets},

	{levelBucket, "PUT", ""}:         {"CreateBucket", (*Service).createBucket},
	{levelBucket, "HEAD", ""}:        {"HeadBucket", (*Service).headBucket},
	{levelBucket, "DELETE", ""}:      {"DeleteBucket", (*Service).deleteBucket},
	{levelBucket, "GET", ""}:         {"ListObjects", (*Service).listObjects},
	{levelBucket, "GET", "versions"}: {"ListObjectVersions", (*Service).listObjectVersions},
	{levelBucket, "GET", "uploads"}:  {"ListMultipartUploads", (*Service).listMultipartUploads},
	{levelBucket, "GET", "location"}: {"GetBucketLocation", (*Service).getBucketLocation},
	{levelBucket, "POST", "delete"}:  {"DeleteObjects", (*Service).deleteObjects},

	{levelBucket, "GET", "versioning"}: {"GetBucketVersioning", (*Service).getBucketVersioning},
	{levelBucket, "PUT", "versioning"}: {"PutBucketVersioning", (*Service).putBucketVersioning},

	{levelBucket, "GET", "encryption"}:    {"GetBucketEncryption", (*Service).getBucketEncryption},
	{levelBucket, "PUT", "encryption"}:    {"PutBucketEncryption", (*Service).putBucketEncryption},
	{levelBucket, "DELETE", "encryption"}: {"DeleteBucketEncryption", (*Service).deleteBucketEncryption},

	{levelBucket, "GET", "publicAccessBlock"}:    {"GetPublicAccessBlock", (*Service).getPublicAccessBlock},
	{levelBucket, "PUT", "publicAccessBlock"}:    {"PutPublicAccessBlock", (*Service).putPublicAccessBlock},
	{levelBucket, "DELETE", "publicAccessBlock"}: {"DeletePublicAccessBlock", (*Service).deletePublicAccessBlock},

	{levelBucket, "GET", "policy"}:    {"GetBucketPolicy", (*Service).getBucketPolicy},
	{levelBucket, "PUT", "policy"}:    {"PutBucketPolicy", (*Service).putBucketPolicy},
	{levelBucket, "DELETE", "policy"}: {"DeleteBucketPolicy", (*Service).deleteBucketPolicy},

	{levelBucket, "GET", "ownershipControls"}:    {"GetBucketOwnershipControls", (*Service).getOwnershipControls},
	{levelBucket, "PUT", "ownershipControls"}:    {"PutBucketOwnershipControls", (*Service).putOwnershipControls},
	{levelBucket, "DELETE", "ownershipControls"}: {"DeleteBucketOwnershipControls", (*Service).deleteOwnershipControls},

	{levelBucket, "GET", "lifecycle"}:    {"GetBucketLifecycleConfiguration", (*Service).getBucketLifecycle},
	{levelBucket, "PUT", "lifecycle"}:    {"PutBucketLifecycleConfiguration", (*Service).putBucketLifecycle},
	{levelBucket, "DELETE", "lifecycle"}: {"DeleteBucketLifecycle", (*Service).deleteBucketLifecycle},

	{levelBucket, "GET", "logging"}: {"GetBucketLogging", (*Service).getBucketLogging},
	{levelBucket, "PUT", "logging"}: {"PutBucketLogging", (*Service).putBucketLogging},

	{levelBucket, "GET", "tagging"}:    {"GetBucketTagging", (*Service).getBucketTagging},
	{levelBucket, "PUT", "tagging"}:    {"PutBucketTagging", (*Service).putBucketTagging},
	{levelBucket, "DELETE", "tagging"}: {"DeleteBucketTagging", (*Service).deleteBucketTagging},

	{levelBucket, "GET", "acl"}: {"GetBucketAcl", (*Service).getBucketACL},
	{levelBucket, "PUT", "acl"}: {"PutBucketAcl", (*Service).putBucketACL},

	{levelBucket, "GET", "accelerate"}: {"GetBucketAccelerateConfiguration", (*Service).getBucketAccelerate},
	{levelBucket, "PUT", "accelerate"}: {"PutBucketAccelerateConfiguration", (*Service).putBucketAccelerate},

	{levelBucket, "GET", "requestPayment"}: {"GetBucketRequestPayment", (*Service).getBucketRequestPayment},
	{levelBucket, "PUT", "requestPayment"}: {"PutBucketRequestPayment", (*Service).putBucketRequestPayment},

	{levelBucket, "GET", "cors"}:    {"GetBucketCors", (*Service).getBucketCORS},
	{levelBucket, "PUT", "cors"}:    {"PutBucketCors", (*Service).putBucketCORS},
	{levelBucket, "DELETE", "cors"}: {"DeleteBucketCors", (*Service).deleteBucketCORS},

	{levelBucket, "GET", "website"}:    {"GetBucketWebsite", (*Service).getBucketWebsite},
	{levelBucket, "PUT", "website"}:    {"PutBucketWebsite", (*Service).putBucketWebsite},
	{levelBucket, "DELETE", "website"}: {"DeleteBucketWebsite", (*Service).deleteBucketWebsite},

	{levelBucket, "GET", "object-lock"}: {"GetObjectLockConfiguration", (*Service).getObjectLockConfiguration},
	{levelBucket, "PUT", "object-lock"}: {"PutObjectLockConfiguration", (*Service).putObjectLockConfiguration},

	// Replication is read by every aws_s3_bucket refresh; the sandbox does
	// not replicate, so it refuses to store a configuration rather than
	// pretend.
	{levelBucket, "GET", "replication"}:    {"GetBucketReplication", (*Service).getBucketReplication},
	{levelBucket, "PUT", "replication"}:    {"PutBucketReplication", nil},
	{levelBucket, "DELETE", "replication"}: {"DeleteBucketReplication", (*Service).deleteBucketReplication},

	{levelBucket, "GET", "notification"}:           {"GetBucketNotificationConfiguration", nil},
	{levelBucket, "PUT", "notification"}:           {"PutBucketNotificationConfiguration", nil},
	{levelBucket, "GET", "inventory"}:              {"GetBucketInventoryConfiguration", nil},
	{levelBucket, "PUT", "inventory"}:              {"PutBucketInventoryConfiguration", nil},
	{levelBucket, "DELETE", "inventory"}:           {"DeleteBucketInventoryConfiguration", nil},
	{levelBucket, "GET", "analytics"}:              {"GetBucketAnalyticsConfiguration", nil},
	{levelBucket, "PUT", "analytics"}:              {"PutBucketAnalyticsConfiguration", nil},
	{levelBucket, "DELETE", "analytics"}:           {"DeleteBucketAnalyticsConfiguration", nil},
	{levelBucket, "GET", "metrics"}:                {"GetBucketMetricsConfiguration", nil},
	{levelBucket, "PUT", "metrics"}:                {"PutBucketMetricsConfiguration", nil},
	{levelBucket, "DELETE", "metrics"}:             {"DeleteBucketMetricsConfiguration", nil},
	{levelBucket, "GET", "intelligent-tiering"}:    {"GetBucketIntelligentTieringConfiguration", nil},
	{levelBucket, "PUT", "intelligent-tiering"}:    {"PutBucketIntelligentTieringConfiguration", nil},
	{levelBucket, "DELETE", "intelligent-tiering"}: {"DeleteBucketIntelligentTieringConfiguration", nil},
	{levelBucket, "GET", "policyStatus"}:           {"GetBucketPolicyStatus", nil},

	{levelObject, "PUT", ""}:           {"PutObject", (*Service).putObject},
	{levelObject, "GET", ""}:           {"GetObject", (*Service).getObject},
	{levelObject, "HEAD", ""}:          {"HeadObject", (*Service).headObject},
	{levelObject, "DELETE", ""}:        {"DeleteObject", (*Service).deleteObject},
	{levelObject, "POST", "uploads"}:   {"CreateMultipartUpload", (*Service).createMultipartUpload},
	{levelObject, "GET", "tagging"}:    {"GetObjectTagging", (*Service).getObjectTagging},
	{levelObject, "PUT", "tagging"}:    {"PutObjectTagging", (*Service).putObjectTagging},
	{levelObject, "DELETE", "tagging"}: {"DeleteObjectTagging", (*Service).deleteObjectTagging},
	{levelObject, "GET", "acl"}:        {"GetObjectAcl", (*Service).getObjectACL},
	{levelObject, "PUT", "acl"}:        {"PutObjectAcl", (*Service).putObjectACL},
	{levelObject, "GET", "attributes"}: {"GetObjectAttributes", nil},
	{levelObject, "GET", "legal-hold"}: {"GetObjectLegalHold", nil},
	{levelObject, "PUT", "legal-hold"}: {"PutObjectLegalHold", nil},
	{levelObject, "GET", "retention"}:  {"GetObjectRetention", nil},
	{levelObject, "PUT", "retention"}:  {"PutObjectRetention", nil},
	{levelObject, "POST", "restore"}:   {"RestoreObject", nil},
	{levelObject, "POST", "select"}:    {"SelectObjectContent", nil},
	{levelObject, "GET", "torrent"}:    {"GetObjectTorrent", nil},
}

// params are query keys that are operation parameters, not subresources.
var params = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "max-keys": true, "continuation-token": true,
	"start-after": true, "encoding-type": true, "fetch-owner": true, "marker": true, "key-marker": true,
	"version-id-marker": true, "versionId": true, "uploadId": true, "partNumber": true, "max-parts": true,
	"part-number-marker": true, "max-uploads": true, "upload-id-marker": true, "x-id": true,
	"max-buckets": true, "bucket-region": true, "optional-object-attributes": true, "id": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
}

// Handle implements service.Service.
func (s *Service) Handle(w http.ResponseWriter, req *service.Request) {
	r := req.HTTP
	c := &call{w: w, r: r, req: req, query: r.URL.Query()}
	resource := r.URL.Path
	fail := func(e *s3Error) {
		if e.Code == "NotImplemented" && s.env.Logger != nil {
			s.env.Logger.Warn("sandbox: operation not implemented", "service", "s3", "operation", req.Operation,
				"method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery, "request_id", req.RequestID)
		}
		writeError(w, r, req.RequestID, e, resource)
	}
	c.bucket, c.key = splitTarget(r)
	lvl := levelService
	if c.bucket != "" {
		lvl = levelBucket
		if c.key != "" {
			lvl = levelObject
		}
	}
	if lvl == levelObject {
		if e := validKey(c.key); e != nil {
			fail(e)
			return
		}
	}
	var subs []string
	for k := range c.query {
		if !params[k] && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			subs = append(subs, k)
		}
	}
	sort.Strings(subs)
	if len(subs) > 1 {
		req.Operation = strings.Join(subs, "+")
		fail(errInvalidRequest("the sandbox cannot combine the subresources %s in one request", strings.Join(subs, ", ")))
		return
	}
	if len(subs) == 1 {
		c.sub = subs[0]
	}
	method := r.Method
	rt, ok := routes[route{lvl, method, c.sub}]
	if lvl == levelObject && c.sub == "" && c.query.Has("uploadId") {
		ok = true
		switch method {
		case "PUT":
			rt.op, rt.h = "UploadPart", (*Service).uploadPart
			if r.Header.Get("X-Amz-Copy-Source") != "" {
				rt.op, rt.h = "UploadPartCopy", (*Service).uploadPartCopy
			}
		case "POST":
			rt.op, rt.h = "CompleteMultipartUpload", (*Service).completeMultipartUpload
		case "GET":
			rt.op, rt.h = "ListParts", (*Service).listParts
		case "DELETE":
			rt.op, rt.h = "AbortMultipartUpload", (*Service).abortMultipartUpload
		default:
			ok = false
		}
	} else if ok && lvl == levelObject && method == "PUT" && c.sub == "" && r.Header.Get("X-Amz-Copy-Source") != "" {
		rt.op, rt.h = "CopyObject", (*Service).copyObject
	} else if ok && lvl == levelBucket && method == "GET" && c.sub == "" && c.query.Get("list-type") == "2" {
		rt.op, rt.h = "ListObjectsV2", (*Service).listObjectsV2
	}
	if !ok {
		req.Operation = method + " " + levelName(lvl) + subName(c.sub)
		if c.sub != "" || method == "POST" || method == "PATCH" || method == "OPTIONS" {
			fail(notImplemented(req.Operation))
			return
		}
		fail(errMethodNotAllowed(method, strings.ToUpper(levelName(lvl))))
		return
	}
	req.Operation = rt.op
	for _, h := range []string{"X-Amz-Expected-Bucket-Owner", "X-Amz-Source-Expected-Bucket-Owner"} {
		if v := r.Header.Get(h); v != "" && v != s.env.AccountID {
			// Every bucket belongs to the sandbox's one account.
			fail(newErr(http.StatusForbidden, "AccessDenied", "Access Denied"))
			return
		}
	}
	if rt.h == nil {
		fail(notImplemented(rt.op))
		return
	}
	if err := rt.h(s, c); err != nil {
		fail(asS3Error(err))
	}
}

func levelName(l level) string {
	switch l {
	case levelBucket:
		return "bucket"
	case levelObject:
		return "object"
	}
	return "service"
}

func subName(sub string) string {
	if sub == "" {
		return ""
	}
	return " ?" + sub
}

// splitTarget finds the bucket and key of a request, virtual-host style
// (bucket.localhost:port, bucket.s3.<anything>) or path style (/bucket/key).
func splitTarget(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if b, ok := strings.CutSuffix(host, ".localhost"); ok && b != "" {
		return b, strings.TrimPrefix(r.URL.Path, "/")
	}
	if i := strings.Index(host, ".s3."); i > 0 && net.ParseIP(host) == nil {
		return host[:i], strings.TrimPrefix(r.URL.Path, "/")
	}
	if i := strings.Index(host, ".s3-"); i > 0 && net.ParseIP(host) == nil {
		return host[:i], strings.TrimPrefix(r.URL.Path, "/")
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// validKey enforces S3's key rules (UTF-8, at most 1024 bytes) and the
// sandbox's one extra: no NUL, which separates keys in its version index.
func validKey(key string) *s3Error {
	if len(key) > 1024 {
		return newErr(http.StatusBadRequest, "KeyTooLongError", "Your key is too long").with("Size", itoa(int64(len(key)))).with("MaxSizeAllowed", "1024")
	}
	if !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
		return errInvalidArgument("Object key must be valid UTF-8 without NUL characters").with("ArgumentName", "key")
	}
	return nil
}

// writeXML writes an S3 XML document. doc's XMLName sets the root; the S3
// namespace is added.
func (c *call) writeXML(status int, doc any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		return err
	}
	c.writeRaw(status, "application/xml", buf.Bytes())
	return nil
}

// writeRaw writes a body as is.
func (c *call) writeRaw(status int, contentType string, body []byte) {
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", itoa(int64(len(body))))
	c.writeStatus(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// writeStatus writes the status with S3's request headers.
func (c *call) writeStatus(status int) {
	h := c.w.Header()
	h.Set("X-Amz-Request-Id", c.req.RequestID)
	h.Set("X-Amz-Id-2", hostID(c.req.RequestID))
	h.Set("Server", "AmazonS3")
	c.w.WriteHeader(status)
}

// ns is the S3 XML namespace for documents' XMLName.
const ns = protocol.S3Namespace
