package s3_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCreateHeadDeleteBucket(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "alpha")
	head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(head.BucketRegion); got != "us-east-1" {
		t.Errorf("BucketRegion = %q", got)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	if err != nil {
		t.Fatal(err)
	}
	if loc.LocationConstraint != "" {
		t.Errorf("LocationConstraint = %q, want empty for us-east-1", loc.LocationConstraint)
	}
	// Re-creating a bucket you own in us-east-1 succeeds (legacy AWS behaviour).
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")}); err != nil {
		t.Errorf("re-create in us-east-1: %v", err)
	}
	put(t, c, "alpha", "k", []byte("x"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	wantCode(t, err, "BucketNotEmpty", http.StatusConflict)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("HeadBucket after delete: %v, want NotFound", err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
	var nsb *types.NoSuchBucket
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alpha")})
	if !errors.As(err, &nsb) {
		t.Fatalf("ListObjectsV2 on missing bucket: %v, want *types.NoSuchBucket", err)
	}
}

func TestCreateBucketRegions(t *testing.T) {
	c, sb := newClient(t)
	ctx := context.Background()
	west := s3.NewFromConfig(sb.AWSConfig(), func(o *s3.Options) { o.Region = "eu-west-2" })
	tests := []struct {
		name       string
		client     *s3.Client
		bucket     string
		constraint types.BucketLocationConstraint
		wantCode   string
		wantRegion string
	}{
		{"us-east-1 default", c, "east-default", "", "", "us-east-1"},
		{"us-east-1 explicit is invalid", c, "east-explicit", "us-east-1", "InvalidLocationConstraint", ""},
		{"other region from us-east-1", c, "from-east", "eu-west-2", "", "eu-west-2"},
		{"regional endpoint, matching", west, "west-match", "eu-west-2", "", "eu-west-2"},
		{"regional endpoint, no constraint", west, "west-none", "", "IllegalLocationConstraintException", ""},
		{"regional endpoint, mismatch", west, "west-mismatch", "ap-south-1", "IllegalLocationConstraintException", ""},
		{"invalid name", c, "Bad_Name", "", "InvalidBucketName", ""},
		{"too short", c, "ab", "", "InvalidBucketName", ""},
		{"ip address", c, "192.168.1.1", "", "InvalidBucketName", ""},
		{"double dot", c, "a..b", "", "InvalidBucketName", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &s3.CreateBucketInput{Bucket: aws.String(tt.bucket)}
			if tt.constraint != "" {
				in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: tt.constraint}
			}
			_, err := tt.client.CreateBucket(ctx, in)
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode, http.StatusBadRequest)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(tt.bucket)})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(head.BucketRegion); got != tt.wantRegion {
				t.Errorf("region = %q, want %q", got, tt.wantRegion)
			}
		})
	}
	// Outside us-east-1, re-creating an owned bucket is a conflict.
	_, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-match"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-2"}})
	wantCode(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)
	var owned *types.BucketAlreadyOwnedByYou
	if !errors.As(err, &owned) {
		t.Errorf("err %T is not *types.BucketAlreadyOwnedByYou", err)
	}
}

func TestListBuckets(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	for _, b := range []string{"b-one", "b-two", "c-three"} {
		mustBucket(t, c, b)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil {
			t.Errorf("bucket %s has no CreationDate", aws.ToString(b.Name))
		}
	}
	if got := strings.Join(names, ","); got != "b-one,b-two,c-three" {
		t.Errorf("buckets = %s", got)
	}
	if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
		t.Errorf("no owner")
	}
	page, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String("b-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Buckets) != 1 || aws.ToString(page.ContinuationToken) == "" {
		t.Fatalf("page 1 = %d buckets, token %q", len(page.Buckets), aws.ToString(page.ContinuationToken))
	}
	page2, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String("b-"), ContinuationToken: page.ContinuationToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Buckets) != 1 || aws.ToString(page2.Buckets[0].Name) != "b-two" {
		t.Fatalf("page 2 = %+v", page2.Buckets)
	}
}
