package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vigil-sre/vigil/internal/sandbox"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

func TestMultipartUpload(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "mpu")
	b, k := aws.String("mpu"), aws.String("big.bin")
	create, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k, ContentType: aws.String("application/octet-stream"),
		Metadata: map[string]string{"kind": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	id := create.UploadId
	p1, p2 := randomBytes(t, 5<<20), randomBytes(t, 1234)
	var etags []string
	for i, p := range [][]byte{p1, p2} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: id, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		etags = append(etags, aws.ToString(out.ETag))
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: k, UploadId: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts.Parts) != 2 || aws.ToInt64(parts.Parts[0].Size) != 5<<20 || aws.ToString(parts.Parts[1].ETag) != etags[1] {
		t.Fatalf("ListParts = %+v", parts.Parts)
	}
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != aws.ToString(id) {
		t.Fatalf("ListMultipartUploads = %+v, %v", ups.Uploads, err)
	}
	complete := func(ps ...types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
		return c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: ps}})
	}
	part := func(n int, etag string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: aws.String(etag)}
	}
	_, err = complete(part(2, etags[1]), part(1, etags[0]))
	wantCode(t, err, "InvalidPartOrder", 400)
	_, err = complete(part(1, etags[0]), part(2, `"0000"`))
	wantCode(t, err, "InvalidPart", 400)
	_, err = complete(part(1, etags[0]), part(3, etags[1]))
	wantCode(t, err, "InvalidPart", 400)
	out, err := complete(part(1, etags[0]), part(2, etags[1]))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.ETag), multipartETag(p1, p2); got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
	data := get(t, c, "mpu", "big.bin")
	if !bytes.Equal(data, append(append([]byte{}, p1...), p2...)) {
		t.Fatal("assembled object differs")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k, PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != 1234 || aws.ToInt32(head.PartsCount) != 2 || head.Metadata["kind"] != "test" {
		t.Errorf("part 2 head: len %d, parts %d, meta %v", aws.ToInt64(head.ContentLength), aws.ToInt32(head.PartsCount), head.Metadata)
	}
	// The upload is gone once completed.
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: k, UploadId: id})
	wantCode(t, err, "NoSuchUpload", 404)
}

func TestMultipartErrors(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "mpu-err")
	b, k := aws.String("mpu-err"), aws.String("k")
	create, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("too small")
	var etags []string
	for n := 1; n <= 2; n++ {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: create.UploadId, PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(small)})
		if err != nil {
			t.Fatal(err)
		}
		etags = append(etags, aws.ToString(out.ETag))
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: aws.String(etags[0])}, {PartNumber: aws.Int32(2), ETag: aws.String(etags[1])}}}})
	wantCode(t, err, "EntityTooSmall", 400)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: create.UploadId, PartNumber: aws.Int32(10001), Body: bytes.NewReader(small)})
	wantCode(t, err, "InvalidArgument", 400)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: aws.String("nope"), PartNumber: aws.Int32(1), Body: bytes.NewReader(small)})
	wantCode(t, err, "NoSuchUpload", 404)
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: k, UploadId: create.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: k, UploadId: create.UploadId})
	wantCode(t, err, "NoSuchUpload", 404)
	// A single-part upload below the minimum is fine (the last part may be small).
	create, _ = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k})
	up, _ := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: create.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(small)})
	// If-None-Match applies to CompleteMultipartUpload too.
	put(t, c, "mpu-err", "k", []byte("exists"))
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: create.UploadId, IfNoneMatch: aws.String("*"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}})
	wantCode(t, err, "PreconditionFailed", 412)
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if string(get(t, c, "mpu-err", "k")) != "too small" {
		t.Error("single-part upload content differs")
	}
}

func TestUploadPartCopy(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "upc")
	src := randomBytes(t, 6<<20)
	put(t, c, "upc", "src", src)
	b, k := aws.String("upc"), aws.String("dst")
	create, _ := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k})
	p1, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: k, UploadId: create.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String("upc/src"), CopySourceRange: aws.String("bytes=0-5242879")})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: k, UploadId: create.UploadId, PartNumber: aws.Int32(2),
		CopySource: aws.String("upc/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=5242880-%d", len(src)-1))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.CopyPartResult.ETag}, {PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(get(t, c, "upc", "dst"), src) {
		t.Fatal("copied parts differ from the source")
	}
}

// TestUploadManager drives the SDK's upload and download managers: a
// 1 MiB object (one PutObject) and a 20 MiB one (multipart, 4 parts).
func TestUploadManager(t *testing.T) {
	c, _ := newClient(t)
	mustBucket(t, c, "mgr")
	uploadAndCheck(t, c, "mgr")
}

func uploadAndCheck(t *testing.T, c *s3.Client, bucket string) {
	ctx := context.Background()
	up := manager.NewUploader(c)
	down := manager.NewDownloader(c)
	for _, tc := range []struct {
		name     string
		size     int
		wantPart string
	}{
		{"1MiB", 1 << 20, ""},
		{"20MiB", 20 << 20, "-4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(t, tc.size)
			// A plain io.Reader (not seekable) is what a streaming caller has.
			out, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(tc.name), Body: io.MultiReader(bytes.NewReader(data))})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(strings.Trim(aws.ToString(out.ETag), `"`), tc.wantPart) {
				t.Errorf("ETag %s, want suffix %q", aws.ToString(out.ETag), tc.wantPart)
			}
			buf := manager.NewWriteAtBuffer(make([]byte, 0, tc.size))
			n, err := down.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(tc.name)})
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(tc.size) || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("downloaded %d bytes, equal=%v", n, bytes.Equal(buf.Bytes(), data))
			}
			// A whole-object GET with checksum validation on.
			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(tc.name), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			whole, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil || !bytes.Equal(whole, data) {
				t.Fatalf("GetObject: %v, equal=%v", err, bytes.Equal(whole, data))
			}
			t.Logf("%s: ETag %s, checksum type %s, crc32 %q crc64nvme %q", tc.name, aws.ToString(got.ETag), got.ChecksumType,
				aws.ToString(got.ChecksumCRC32), aws.ToString(got.ChecksumCRC64NVME))
		})
	}
}

// tlsClient serves a sandbox over TLS: that is when aws-sdk-go-v2 streams
// bodies as aws-chunked with a trailing checksum.
func tlsClient(t *testing.T) *s3.Client {
	t.Helper()
	srv, err := sandbox.Open(sandbox.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); _ = srv.Close(context.Background()) })
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), HTTPClient: ts.Client(), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", "")})
}

// chunkedSpy records whether requests were aws-chunked.
type chunkedSpy struct {
	next    http.RoundTripper
	chunked atomic.Int64
}

func (s *chunkedSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		s.chunked.Add(1)
	}
	return s.next.RoundTrip(r)
}

func TestAWSChunkedUploadsOverTLS(t *testing.T) {
	c := tlsClient(t)
	spy := &chunkedSpy{}
	c = s3.New(c.Options(), func(o *s3.Options) {
		spy.next = o.HTTPClient.(*http.Client).Transport
		o.HTTPClient = &http.Client{Transport: spy}
	})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("chunky")}); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 300<<10)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("chunky"), Key: aws.String("k"), Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ChecksumCRC32C) == "" {
		t.Error("no CRC32C echoed")
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("chunky"), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(got.Body)
	got.Body.Close()
	if err != nil || !bytes.Equal(body, data) {
		t.Fatalf("read back: %v, equal=%v", err, bytes.Equal(body, data))
	}
	if aws.ToString(got.ContentEncoding) != "" {
		t.Errorf("Content-Encoding %q stored (aws-chunked is a transfer detail)", aws.ToString(got.ContentEncoding))
	}
	uploadAndCheck(t, c, "chunky")
	if n := spy.chunked.Load(); n < 3 {
		t.Errorf("only %d aws-chunked requests seen; the test did not exercise the decoder", n)
	}
}
