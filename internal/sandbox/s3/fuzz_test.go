package s3_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/s3"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// direct drives the S3 service without a network: the fuzz target and a
// few tests that need requests an SDK would never send.
type direct struct {
	svc *s3.Service
}

func newDirect(t testing.TB) *direct {
	t.Helper()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &direct{svc: s3.New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Now: time.Now})}
}

func (d *direct) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	d.svc.Handle(rec, &service.Request{HTTP: r, Service: "s3", Region: "us-east-1", RequestID: protocol.NewRequestID()})
	return rec
}

func (d *direct) do(method, target string, header http.Header, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		r.Header[k] = v
	}
	return d.serve(r)
}

// errorCode parses an S3 error document.
func errorCode(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var doc struct {
		XMLName xml.Name
		Code    string
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.XMLName.Local != "Error" {
		t.Fatalf("status %d with a body that is not an S3 error document (%v): %q", rec.Code, err, rec.Body.String())
	}
	return doc.Code
}

func TestRawRequests(t *testing.T) {
	d := newDirect(t)
	if rec := d.do("PUT", "/raw", nil, ""); rec.Code != 200 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	chunked := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
	tests := []struct {
		name       string
		method     string
		target     string
		host       string
		header     http.Header
		body       string
		contentLen int64 // overrides when non-zero
		wantStatus int
		wantCode   string
	}{
		{"malformed versioning xml", "PUT", "/raw?versioning", "", nil, "<VersioningConfiguration><Status>", 0, 400, "MalformedXML"},
		{"wrong root element", "PUT", "/raw?versioning", "", nil, "<Tagging/>", 0, 400, "MalformedXML"},
		{"empty config body", "PUT", "/raw?tagging", "", nil, "", 0, 400, "MissingRequestBodyError"},
		{"malformed delete xml", "POST", "/raw?delete", "", nil, "<Delete><Object>", 0, 400, "MalformedXML"},
		{"too large object", "PUT", "/raw/big", "", nil, "x", 6 << 30, 400, "EntityTooLarge"},
		{"missing content length", "PUT", "/raw/nolen", "", nil, "x", -1, 411, "MissingContentLength"},
		{"aws-chunked with trailer", "PUT", "/raw/chunked", "", http.Header{
			"Content-Encoding": {"aws-chunked"}, "X-Amz-Content-Sha256": {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
			"X-Amz-Decoded-Content-Length": {"5"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}, chunked, 0, 200, ""},
		{"aws-chunked bad trailer checksum", "PUT", "/raw/chunked2", "", http.Header{
			"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"5"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}},
			strings.Replace(chunked, "NhCmhg==", "AAAAAA==", 1), 0, 400, "BadDigest"},
		{"aws-chunked wrong decoded length", "PUT", "/raw/chunked3", "", http.Header{
			"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"6"}}, chunked, 0, 400, "IncompleteBody"},
		{"aws-chunked malformed", "PUT", "/raw/chunked4", "", http.Header{
			"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"5"}}, "zz\r\n", 0, 400, "InvalidRequest"},
		{"aws-chunked missing trailer", "PUT", "/raw/chunked5", "", http.Header{
			"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"5"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}},
			"5\r\nhello\r\n0\r\n\r\n", 0, 400, "MalformedTrailerError"},
		{"signed streaming", "PUT", "/raw/signed", "", http.Header{
			"X-Amz-Content-Sha256": {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}, "X-Amz-Decoded-Content-Length": {"5"}},
			"5;chunk-signature=" + strings.Repeat("0", 64) + "\r\nhello\r\n0;chunk-signature=" + strings.Repeat("0", 64) + "\r\n\r\n", 0, 200, ""},
		{"content sha256 mismatch", "PUT", "/raw/sha", "", http.Header{"X-Amz-Content-Sha256": {strings.Repeat("ab", 32)}}, "x", 0, 400, "XAmzContentSHA256Mismatch"},
		{"junk content sha256", "PUT", "/raw/sha2", "", http.Header{"X-Amz-Content-Sha256": {"junk"}}, "x", 0, 400, "InvalidArgument"},
		{"two checksums", "PUT", "/raw/two", "", http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}, "X-Amz-Checksum-Sha1": {"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}, "x", 0, 400, "InvalidRequest"},
		{"malformed checksum", "PUT", "/raw/mal", "", http.Header{"X-Amz-Checksum-Crc32": {"!!"}}, "x", 0, 400, "InvalidRequest"},
		{"virtual host localhost", "PUT", "/vh-key", "raw.localhost:4566", nil, "v", 0, 200, ""},
		{"virtual host s3 domain", "GET", "/vh-key", "raw.s3.us-east-1.amazonaws.com", nil, "", 0, 200, ""},
		{"virtual host missing bucket", "GET", "/k", "nope.localhost", nil, "", 0, 404, "NoSuchBucket"},
		{"unknown subresource", "GET", "/raw?frobnicate", "", nil, "", 0, 501, "NotImplemented"},
		{"two subresources", "GET", "/raw?acl&policy", "", nil, "", 0, 400, "InvalidRequest"},
		{"method not allowed", "PATCH", "/raw/k", "", nil, "", 0, 501, "NotImplemented"},
		{"post to object", "POST", "/raw/k", "", nil, "", 0, 501, "NotImplemented"},
		{"put to service", "PUT", "/", "", nil, "", 0, 405, "MethodNotAllowed"},
		{"nul in key", "PUT", "/raw/a%00b", "", nil, "x", 0, 400, "InvalidArgument"},
		{"invalid utf-8 key", "PUT", "/raw/a%FFb", "", nil, "x", 0, 400, "InvalidArgument"},
		{"bad max-keys", "GET", "/raw?list-type=2&max-keys=x", "", nil, "", 0, 400, "InvalidArgument"},
		{"bad encoding type", "GET", "/raw?list-type=2&encoding-type=base64", "", nil, "", 0, 400, "InvalidArgument"},
		{"version marker without key marker", "GET", "/raw?versions&version-id-marker=x", "", nil, "", 0, 400, "InvalidArgument"},
		{"bad version id", "GET", "/raw/vh-key?versionId=bad", "", nil, "", 0, 400, "InvalidArgument"},
		{"multiple ranges serve whole object", "GET", "/raw/vh-key", "", http.Header{"Range": {"bytes=0-0,2-3"}}, "", 0, 200, ""},
		{"range syntax ignored", "GET", "/raw/vh-key", "", http.Header{"Range": {"lines=1-2"}}, "", 0, 200, ""},
		{"bad part number", "GET", "/raw/vh-key?partNumber=0", "", nil, "", 0, 400, "InvalidArgument"},
		{"part number past end", "GET", "/raw/vh-key?partNumber=2", "", nil, "", 0, 416, "InvalidPartNumber"},
		{"bad copy source", "PUT", "/raw/copy", "", http.Header{"X-Amz-Copy-Source": {"no-slash"}}, "", 0, 400, "InvalidArgument"},
		{"bad metadata directive", "PUT", "/raw/copy", "", http.Header{"X-Amz-Copy-Source": {"raw/vh-key"}, "X-Amz-Metadata-Directive": {"MOVE"}}, "", 0, 400, "InvalidArgument"},
		{"metadata too large", "PUT", "/raw/meta", "", http.Header{"X-Amz-Meta-Big": {strings.Repeat("m", 3000)}}, "x", 0, 400, "MetadataTooLarge"},
		{"bad canned acl", "PUT", "/raw?acl", "", http.Header{"X-Amz-Acl": {"everyone"}}, "", 0, 400, "InvalidArgument"},
		{"acl header and body", "PUT", "/raw?acl", "", http.Header{"X-Amz-Acl": {"private"}}, "<AccessControlPolicy/>", 0, 400, "UnexpectedContent"},
		{"bad sse", "PUT", "/raw/sse", "", http.Header{"X-Amz-Server-Side-Encryption": {"ROT13"}}, "x", 0, 400, "InvalidArgument"},
		{"expected bucket owner mismatch", "GET", "/raw?versioning", "", http.Header{"X-Amz-Expected-Bucket-Owner": {"999999999999"}}, "", 0, 403, "AccessDenied"},
		{"expected bucket owner match", "GET", "/raw?versioning", "", http.Header{"X-Amz-Expected-Bucket-Owner": {"123456789012"}}, "", 0, 200, ""},
		{"sse-c not implemented", "PUT", "/raw/ssec", "", http.Header{"X-Amz-Server-Side-Encryption-Customer-Algorithm": {"AES256"}}, "x", 0, 501, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.host != "" {
				r.Host = tt.host
			}
			for k, v := range tt.header {
				r.Header[k] = v
			}
			if tt.contentLen != 0 {
				r.ContentLength = tt.contentLen
			}
			rec := d.serve(r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantCode != "" {
				if got := errorCode(t, rec); got != tt.wantCode {
					t.Fatalf("code %q, want %q: %s", got, tt.wantCode, rec.Body)
				}
			}
		})
	}
	// The aws-chunked uploads stored the decoded payload.
	for _, k := range []string{"chunked", "signed"} {
		rec := d.do("GET", "/raw/"+k, nil, "")
		if rec.Code != 200 || rec.Body.String() != "hello" {
			t.Errorf("%s: %d %q", k, rec.Code, rec.Body)
		}
	}
	// Failed uploads left nothing behind.
	for _, k := range []string{"chunked2", "chunked3", "chunked4", "chunked5", "sha", "big"} {
		if rec := d.do("HEAD", "/raw/"+k, nil, ""); rec.Code != 404 {
			t.Errorf("%s exists after a failed upload (%d)", k, rec.Code)
		}
	}
	// HEAD errors carry no body.
	if rec := d.do("HEAD", "/raw/missing", nil, ""); rec.Code != 404 || rec.Body.Len() != 0 {
		t.Errorf("HEAD missing: %d with %d body bytes", rec.Code, rec.Body.Len())
	}
}

var fuzzMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"}

// FuzzS3Request throws arbitrary methods, paths, queries, headers and
// bodies at the S3 service: it must never panic or answer 500, and every
// error (except to HEAD) is an S3 XML error document.
func FuzzS3Request(f *testing.F) {
	seeds := []struct {
		method        byte
		path, query   string
		headers, body string
	}{
		{0, "/fuzz", "list-type=2&prefix=a&delimiter=/&max-keys=2", "", ""},
		{1, "/fuzz/key", "", "Content-Type: text/plain\nx-amz-meta-a: b", "hello"},
		{1, "/fuzz/key", "", "If-None-Match: *", "lock"},
		{1, "/fuzz/key", "", "If-Match: \"abc\"", "x"},
		{1, "/fuzz/chunked", "", "Content-Encoding: aws-chunked\nx-amz-decoded-content-length: 5\nx-amz-trailer: x-amz-checksum-crc32", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"},
		{1, "/fuzz/chunked", "", "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\nx-amz-decoded-content-length: 99", "ff\r\nabc"},
		{0, "/fuzz/key", "", "Range: bytes=-3\nIf-None-Match: \"x\"", ""},
		{0, "/fuzz/key", "partNumber=1&versionId=null", "", ""},
		{2, "/fuzz", "delete", "", "<Delete><Object><Key>key</Key></Object></Delete>"},
		{2, "/fuzz/mp", "uploads", "x-amz-checksum-algorithm: CRC32\nx-amz-checksum-type: FULL_OBJECT", ""},
		{1, "/fuzz/mp", "partNumber=1&uploadId=abc", "", "part"},
		{2, "/fuzz/mp", "uploadId=abc", "", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"},
		{1, "/fuzz", "lifecycle", "", "<LifecycleConfiguration><Rule><ID>x</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"},
		{1, "/fuzz", "policy", "", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`},
		{1, "/fuzz", "acl", "", `<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>x</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`},
		{1, "/fuzz/copy", "", "x-amz-copy-source: /fuzz/key?versionId=null\nx-amz-copy-source-if-match: *", ""},
		{0, "/fuzz", "versions&key-marker=key&version-id-marker=null&delimiter=k", "", ""},
		{1, "/new-bucket", "", "x-amz-acl: public-read\nx-amz-object-ownership: ObjectWriter", "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"},
		{3, "/fuzz", "", "", ""},
		{4, "/fuzz/key", "", "", ""},
		{0, "/", "", "", ""},
		{5, "/fuzz", "inventory&id=x", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.headers, []byte(s.body))
	}
	d := newDirect(f)
	d.do("PUT", "/fuzz", nil, "")
	d.do("PUT", "/fuzz/key", nil, "value")
	f.Fuzz(func(t *testing.T, m byte, path, query, headers string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := &http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: "127.0.0.1:4566",
			Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}
		r = r.WithContext(context.Background())
		for _, line := range strings.Split(headers, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.TrimSpace(k) != "" {
				r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		rec := d.serve(r)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500 for %s %s?%s %q: %s", method, path, query, headers, rec.Body)
		}
		if rec.Code >= 400 && method != http.MethodHead {
			errorCode(t, rec)
		}
	})
}
