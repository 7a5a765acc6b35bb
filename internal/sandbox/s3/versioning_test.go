package s3_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func setVersioning(t *testing.T, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	if _, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
		t.Fatal(err)
	}
}

func TestVersioning(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "ver")
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("ver")})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "" {
		t.Fatalf("new bucket versioning = %q, want unset", v.Status)
	}
	put(t, c, "ver", "k", []byte("before")) // a "null" version
	setVersioning(t, c, "ver", types.BucketVersioningStatusEnabled)
	v1 := put(t, c, "ver", "k", []byte("one"))
	v2 := put(t, c, "ver", "k", []byte("two"))
	id1, id2 := aws.ToString(v1.VersionId), aws.ToString(v2.VersionId)
	if id1 == "" || id2 == "" || id1 == id2 || id1 == "null" {
		t.Fatalf("version ids %q %q", id1, id2)
	}
	if string(get(t, c, "ver", "k")) != "two" {
		t.Fatal("current version is not the latest")
	}
	old, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(id1)})
	if err != nil {
		t.Fatal(err)
	}
	old.Body.Close()
	if aws.ToString(old.VersionId) != id1 {
		t.Errorf("VersionId = %q", aws.ToString(old.VersionId))
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("delete = marker %v, version %q", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")})
	wantCode(t, err, "NoSuchKey", 404)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: del.VersionId})
	wantCode(t, err, "MethodNotAllowed", 405)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
	wantCode(t, err, "NoSuchVersion", 404)

	list, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Versions) != 3 || len(list.DeleteMarkers) != 1 {
		t.Fatalf("versions %d, markers %d", len(list.Versions), len(list.DeleteMarkers))
	}
	if !aws.ToBool(list.DeleteMarkers[0].IsLatest) || aws.ToBool(list.Versions[0].IsLatest) {
		t.Errorf("IsLatest: marker %v, newest version %v", aws.ToBool(list.DeleteMarkers[0].IsLatest), aws.ToBool(list.Versions[0].IsLatest))
	}
	if aws.ToString(list.Versions[0].VersionId) != id2 || aws.ToString(list.Versions[2].VersionId) != "null" {
		t.Errorf("order: %s, …, %s", aws.ToString(list.Versions[0].VersionId), aws.ToString(list.Versions[2].VersionId))
	}
	// Paginating versions one at a time sees all four entries.
	n := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String("ver"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
		if n > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if n != 4 {
		t.Errorf("paginated %d entries, want 4", n)
	}
	// Removing the delete marker brings the object back.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: del.VersionId}); err != nil {
		t.Fatal(err)
	}
	if string(get(t, c, "ver", "k")) != "two" {
		t.Fatal("object not restored after removing its delete marker")
	}
	// Deleting the current version permanently makes the previous one current.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(id2)}); err != nil {
		t.Fatal(err)
	}
	if string(get(t, c, "ver", "k")) != "one" {
		t.Fatal("previous version did not become current")
	}
	// Suspended: puts overwrite the "null" version.
	setVersioning(t, c, "ver", types.BucketVersioningStatusSuspended)
	s1 := put(t, c, "ver", "k", []byte("s1"))
	put(t, c, "ver", "k", []byte("s2"))
	if aws.ToString(s1.VersionId) != "null" {
		t.Errorf("suspended put version = %q", aws.ToString(s1.VersionId))
	}
	list, _ = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if len(list.Versions) != 2 { // id1 and the single null version
		t.Errorf("after suspended puts: %d versions", len(list.Versions))
	}
	// Versions keep the bucket from being deleted.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("ver")})
	var bne interface{ ErrorCode() string }
	if !errors.As(err, &bne) || bne.ErrorCode() != "BucketNotEmpty" {
		t.Fatalf("DeleteBucket: %v", err)
	}
}
