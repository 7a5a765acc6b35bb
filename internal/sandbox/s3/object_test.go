package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestPutGetObject(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "objects")
	body := []byte(`{"version": 4}`)
	sum := md5.Sum(body)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("objects"), Key: aws.String("dir/state.json"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), Metadata: map[string]string{"owner": "sre", "Mixed-Case": "v"},
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		CacheControl: aws.String("no-cache"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantETag := `"` + hex.EncodeToString(sum[:]) + `"`
	if aws.ToString(out.ETag) != wantETag {
		t.Errorf("ETag = %s, want %s", aws.ToString(out.ETag), wantETag)
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("SSE = %q, want AES256 (default bucket encryption)", out.ServerSideEncryption)
	}
	if aws.ToString(out.ChecksumSHA256) == "" {
		t.Errorf("no SHA256 checksum echoed")
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/state.json"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(got.Body) // the SDK validates the checksum while reading
	got.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, body) {
		t.Errorf("body = %q", data)
	}
	if aws.ToString(got.ContentType) != "application/json" || aws.ToString(got.CacheControl) != "no-cache" {
		t.Errorf("ContentType = %q, CacheControl = %q", aws.ToString(got.ContentType), aws.ToString(got.CacheControl))
	}
	if got.Metadata["owner"] != "sre" || got.Metadata["mixed-case"] != "v" {
		t.Errorf("Metadata = %v", got.Metadata)
	}
	if aws.ToString(got.ChecksumSHA256) != aws.ToString(out.ChecksumSHA256) {
		t.Errorf("checksum on GET %q, on PUT %q", aws.ToString(got.ChecksumSHA256), aws.ToString(out.ChecksumSHA256))
	}
	if aws.ToInt64(got.ContentLength) != int64(len(body)) || got.LastModified == nil {
		t.Errorf("ContentLength = %d, LastModified = %v", aws.ToInt64(got.ContentLength), got.LastModified)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/state.json")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ETag) != wantETag || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Errorf("HeadObject = %s, %d", aws.ToString(head.ETag), aws.ToInt64(head.ContentLength))
	}
	// Empty objects are objects.
	put(t, c, "objects", "empty", nil)
	if b := get(t, c, "objects", "empty"); len(b) != 0 {
		t.Errorf("empty object body = %q", b)
	}
}

func TestObjectErrors(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "errs")
	put(t, c, "errs", "k", []byte("hello"))
	badMD5 := md5.Sum([]byte("other"))
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"get missing key", func() error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("errs"), Key: aws.String("missing")})
			var nsk *types.NoSuchKey
			if err != nil && !errors.As(err, &nsk) {
				t.Errorf("%T is not *types.NoSuchKey", err)
			}
			return err
		}, "NoSuchKey", 404},
		{"head missing key", func() error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("errs"), Key: aws.String("missing")})
			var nf *types.NotFound
			if err != nil && !errors.As(err, &nf) {
				t.Errorf("%T is not *types.NotFound", err)
			}
			return err
		}, "NotFound", 404},
		{"get missing bucket", func() error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nope-bucket"), Key: aws.String("k")})
			return err
		}, "NoSuchBucket", 404},
		{"put missing bucket", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nope-bucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}, "NoSuchBucket", 404},
		{"bad content-md5", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k2"), Body: strings.NewReader("hello"),
				ContentMD5: aws.String(base64.StdEncoding.EncodeToString(badMD5[:]))})
			return err
		}, "BadDigest", 400},
		{"invalid content-md5", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k2"), Body: strings.NewReader("hello"),
				ContentMD5: aws.String("not-base64!")})
			return err
		}, "InvalidDigest", 400},
		{"bad sha256 checksum", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k2"), Body: strings.NewReader("hello"),
				ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 32)))})
			return err
		}, "BadDigest", 400},
		{"bad crc32 checksum", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k2"), Body: strings.NewReader("hello"),
				ChecksumCRC32: aws.String("AAAAAA==")})
			return err
		}, "BadDigest", 400},
		{"unsatisfiable range", func() error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("errs"), Key: aws.String("k"), Range: aws.String("bytes=10-20")})
			return err
		}, "InvalidRange", 416},
		{"invalid storage class", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k3"), Body: strings.NewReader("x"), StorageClass: "FAST"})
			return err
		}, "InvalidStorageClass", 400},
		{"key too long", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
			return err
		}, "KeyTooLongError", 400},
		{"too many object tags", func() error {
			var tags []string
			for i := 0; i < 11; i++ {
				tags = append(tags, "k"+string(rune('a'+i))+"=v")
			}
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k4"), Body: strings.NewReader("x"), Tagging: aws.String(strings.Join(tags, "&"))})
			return err
		}, "BadRequest", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code, tt.status) })
	}
	// Failed uploads stored nothing.
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("errs"), Key: aws.String("k2")})
	wantCode(t, err, "NotFound", 404)
}

func TestRanges(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "ranges")
	put(t, c, "ranges", "k", []byte("0123456789"))
	tests := []struct {
		rng, want, contentRange string
	}{
		{"bytes=0-3", "0123", "bytes 0-3/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-4", "6789", "bytes 6-9/10"},
		{"bytes=8-100", "89", "bytes 8-9/10"},
		{"bytes=-100", "0123456789", "bytes 0-9/10"},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ranges"), Key: aws.String("k"), Range: aws.String(tt.rng)})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(b) != tt.want || aws.ToString(out.ContentRange) != tt.contentRange {
				t.Errorf("got %q %q, want %q %q", b, aws.ToString(out.ContentRange), tt.want, tt.contentRange)
			}
		})
	}
}

func TestConditionalReads(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "cond")
	etag := aws.ToString(put(t, c, "cond", "k", []byte("v1")).ETag)
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tests := []struct {
		name   string
		in     s3.GetObjectInput
		status int // 0: 200
	}{
		{"if-match ok", s3.GetObjectInput{IfMatch: aws.String(etag)}, 0},
		{"if-match star", s3.GetObjectInput{IfMatch: aws.String("*")}, 0},
		{"if-match mismatch", s3.GetObjectInput{IfMatch: aws.String(`"abc"`)}, 412},
		{"if-none-match match", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, 304},
		{"if-none-match other", s3.GetObjectInput{IfNoneMatch: aws.String(`"abc"`)}, 0},
		{"if-modified-since future", s3.GetObjectInput{IfModifiedSince: aws.Time(future)}, 304},
		{"if-modified-since past", s3.GetObjectInput{IfModifiedSince: aws.Time(past)}, 0},
		{"if-unmodified-since past", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(past)}, 412},
		{"if-match wins over if-unmodified-since", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(past)}, 0},
		{"if-none-match wins over if-modified-since", s3.GetObjectInput{IfNoneMatch: aws.String(`"abc"`), IfModifiedSince: aws.Time(future)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket, in.Key = aws.String("cond"), aws.String("k")
			out, err := c.GetObject(ctx, &in)
			switch tt.status {
			case 0:
				if err != nil {
					t.Fatal(err)
				}
				out.Body.Close()
			case 412:
				wantCode(t, err, "PreconditionFailed", 412)
			default:
				if httpStatus(err) != tt.status {
					t.Fatalf("err = %v, want status %d", err, tt.status)
				}
			}
		})
	}
}

func TestConditionalWrites(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "lockbox")
	putIf := func(key, body string, ifNone, ifMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lockbox"), Key: aws.String(key), Body: strings.NewReader(body), IfNoneMatch: ifNone, IfMatch: ifMatch})
	}
	first, err := putIf("state.tflock", "holder-1", aws.String("*"), nil)
	if err != nil {
		t.Fatalf("If-None-Match on a new key: %v", err)
	}
	_, err = putIf("state.tflock", "holder-2", aws.String("*"), nil)
	wantCode(t, err, "PreconditionFailed", 412)
	if got := string(get(t, c, "lockbox", "state.tflock")); got != "holder-1" {
		t.Fatalf("lock overwritten: %q", got)
	}
	_, err = putIf("state.tflock", "x", nil, aws.String(`"0123456789abcdef0123456789abcdef"`))
	wantCode(t, err, "PreconditionFailed", 412)
	_, err = putIf("never-written", "x", nil, first.ETag)
	wantCode(t, err, "NoSuchKey", 404)
	second, err := putIf("state.tflock", "holder-1b", nil, first.ETag)
	if err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	if _, err := putIf("state.tflock", "x", nil, first.ETag); errCode(err) != "PreconditionFailed" {
		t.Fatalf("If-Match with a stale ETag: %v", err)
	}
	_, err = putIf("state.tflock", "x", aws.String(`"etag"`), nil)
	wantCode(t, err, "NotImplemented", 501)
	// Conditional delete.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("lockbox"), Key: aws.String("state.tflock"), IfMatch: first.ETag})
	wantCode(t, err, "PreconditionFailed", 412)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("lockbox"), Key: aws.String("state.tflock"), IfMatch: second.ETag}); err != nil {
		t.Fatal(err)
	}
	// Free again: If-None-Match succeeds.
	if _, err := putIf("state.tflock", "holder-3", aws.String("*"), nil); err != nil {
		t.Fatal(err)
	}
}

// TestConditionalWriteRace has many writers race for one lock object:
// exactly one wins.
func TestConditionalWriteRace(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "race")
	const n = 12
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("race"), Key: aws.String("lock"),
				Body: strings.NewReader(strings.Repeat("x", i+1)), IfNoneMatch: aws.String("*")})
			errs <- err
		}(i)
	}
	wins := 0
	for i := 0; i < n; i++ {
		err := <-errs
		switch {
		case err == nil:
			wins++
		case errCode(err) != "PreconditionFailed":
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won the lock, want exactly 1", wins)
	}
}

func TestDeleteObjects(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "batch")
	for _, k := range []string{"a", "b", "c"} {
		put(t, c, "batch", k, []byte(k))
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("b")}, {Key: aws.String("not-there")},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Fatalf("Deleted = %d, Errors = %v", len(out.Deleted), out.Errors)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("batch")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "c" {
		t.Fatalf("left: %+v", list.Contents)
	}
	quiet, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("c")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(quiet.Deleted) != 0 {
		t.Errorf("quiet mode listed %d deletions", len(quiet.Deleted))
	}
}

func TestCopyObject(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "src")
	mustBucket(t, c, "dst")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a b/ü.txt"), Body: strings.NewReader("payload"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"m": "1"}, Tagging: aws.String("t=1")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("src/a%20b/%C3%BC.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) == "" {
		t.Fatalf("result = %+v", out.CopyObjectResult)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "text/plain" || head.Metadata["m"] != "1" || aws.ToInt32(head.TagCount) != 1 {
		t.Errorf("copied attributes: %q %v tags %d", aws.ToString(head.ContentType), head.Metadata, aws.ToInt32(head.TagCount))
	}
	if string(get(t, c, "dst", "copy")) != "payload" {
		t.Error("copied body differs")
	}
	// REPLACE takes the new metadata.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("dst/copy"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("application/x-new"), Metadata: map[string]string{"n": "2"}}); err != nil {
		t.Fatal(err)
	}
	head, _ = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if aws.ToString(head.ContentType) != "application/x-new" || head.Metadata["n"] != "2" || head.Metadata["m"] != "" {
		t.Errorf("after REPLACE: %q %v", aws.ToString(head.ContentType), head.Metadata)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("dst/copy")})
	wantCode(t, err, "InvalidRequest", 400)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/missing")})
	wantCode(t, err, "NoSuchKey", 404)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/a%20b/%C3%BC.txt"), CopySourceIfMatch: aws.String(`"nope"`)})
	wantCode(t, err, "PreconditionFailed", 412)
}

func TestObjectTagging(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "tags")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tags"), Key: aws.String("k"), Body: strings.NewReader("x"), Tagging: aws.String("b=2&a=1")})
	if err != nil {
		t.Fatal(err)
	}
	tagsOf := func() string {
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tg := range out.TagSet {
			s = append(s, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return strings.Join(s, ",")
	}
	if got := tagsOf(); got != "a=1,b=2" {
		t.Errorf("tags = %s", got)
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("z"), Value: aws.String("9")}}}}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(); got != "z=9" {
		t.Errorf("tags = %s", got)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(); got != "" {
		t.Errorf("tags = %s", got)
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("9")}}}})
	wantCode(t, err, "InvalidTag", 400)
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("object ACL = %+v", acl.Grants)
	}
}

func TestStatusOfEmptyResponses(t *testing.T) {
	// DeleteObject answers 204 whether or not the key existed.
	c, sb := newClient(t)
	mustBucket(t, c, "s204")
	req, _ := http.NewRequest(http.MethodDelete, sb.URL()+"/s204/nothing", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
