package s3_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func keysOf(objs []types.Object) string {
	var s []string
	for _, o := range objs {
		s = append(s, aws.ToString(o.Key))
	}
	return strings.Join(s, ",")
}

func prefixesOf(ps []types.CommonPrefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, aws.ToString(p.Prefix))
	}
	return strings.Join(s, ",")
}

func TestListObjectsV2(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "list")
	for _, k := range []string{"a.txt", "dir/1", "dir/2", "dir/sub/3", "env:/prod/state", "z", "é/x", "é/y"} {
		put(t, c, "list", k, []byte(k))
	}
	tests := []struct {
		name         string
		in           s3.ListObjectsV2Input
		wantKeys     string
		wantPrefixes string
		truncated    bool
	}{
		{"all", s3.ListObjectsV2Input{}, "a.txt,dir/1,dir/2,dir/sub/3,env:/prod/state,z,é/x,é/y", "", false},
		{"prefix", s3.ListObjectsV2Input{Prefix: aws.String("dir/")}, "dir/1,dir/2,dir/sub/3", "", false},
		{"non-ascii prefix", s3.ListObjectsV2Input{Prefix: aws.String("é/")}, "é/x,é/y", "", false},
		{"delimiter", s3.ListObjectsV2Input{Delimiter: aws.String("/")}, "a.txt,z", "dir/,env:/,é/", false},
		{"prefix and delimiter", s3.ListObjectsV2Input{Prefix: aws.String("dir/"), Delimiter: aws.String("/")}, "dir/1,dir/2", "dir/sub/", false},
		{"max-keys", s3.ListObjectsV2Input{MaxKeys: aws.Int32(2)}, "a.txt,dir/1", "", true},
		{"start-after", s3.ListObjectsV2Input{StartAfter: aws.String("dir/sub/3")}, "env:/prod/state,z,é/x,é/y", "", false},
		{"workspaces", s3.ListObjectsV2Input{Prefix: aws.String("env:/"), Delimiter: aws.String("/")}, "", "env:/prod/", false},
		{"no match", s3.ListObjectsV2Input{Prefix: aws.String("nothing")}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket = aws.String("list")
			out, err := c.ListObjectsV2(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(out.Contents); got != tt.wantKeys {
				t.Errorf("keys = %s, want %s", got, tt.wantKeys)
			}
			if got := prefixesOf(out.CommonPrefixes); got != tt.wantPrefixes {
				t.Errorf("prefixes = %s, want %s", got, tt.wantPrefixes)
			}
			if aws.ToBool(out.IsTruncated) != tt.truncated {
				t.Errorf("IsTruncated = %v", aws.ToBool(out.IsTruncated))
			}
			if int(aws.ToInt32(out.KeyCount)) != len(out.Contents)+len(out.CommonPrefixes) {
				t.Errorf("KeyCount = %d", aws.ToInt32(out.KeyCount))
			}
		})
	}
	// Paginating with continuation tokens visits every key (and every
	// common prefix) exactly once.
	for _, delim := range []string{"", "/"} {
		var got []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(1), Delimiter: aws.String(delim)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
			}
			for _, cp := range page.CommonPrefixes {
				got = append(got, aws.ToString(cp.Prefix))
			}
		}
		want := "a.txt,dir/1,dir/2,dir/sub/3,env:/prod/state,z,é/x,é/y"
		if delim == "/" {
			want = "a.txt,dir/,env:/,z,é/"
		}
		if strings.Join(got, ",") != want {
			t.Errorf("delimiter %q: paginated %s, want %s", delim, strings.Join(got, ","), want)
		}
	}
	// encoding-type=url escapes keys.
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("é"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 2 || aws.ToString(out.Contents[0].Key) != url.QueryEscape("é/x") {
		t.Errorf("encoded keys = %s", keysOf(out.Contents))
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), ContinuationToken: aws.String("garbage!")})
	wantCode(t, err, "InvalidArgument", 400)
}

func TestListObjectsV1(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "list-v1")
	for i := 0; i < 5; i++ {
		put(t, c, "list-v1", fmt.Sprintf("k%d", i), []byte("x"))
	}
	put(t, c, "list-v1", "p/a", nil)
	put(t, c, "list-v1", "p/b", nil)
	var got []string
	marker := ""
	for {
		out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("list-v1"), MaxKeys: aws.Int32(2), Marker: aws.String(marker), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
			if o.Owner == nil {
				t.Error("ListObjects v1 entries carry the owner")
			}
		}
		for _, p := range out.CommonPrefixes {
			got = append(got, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.ToString(out.NextMarker)
	}
	if strings.Join(got, ",") != "k0,k1,k2,k3,k4,p/" {
		t.Errorf("v1 listing = %v", got)
	}
}
