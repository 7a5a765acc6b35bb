package s3

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// State layout. Every bucket is one document; objects live in two
// namespaces per bucket:
//
//   - s3/version/<bucket>: every version of every key (delete markers too),
//     keyed "<key>\x00<16 hex digits of ^seq>" so that a key's versions sort
//     together, newest first, and keys sort in S3's (byte) order. Object
//     keys may not contain NUL, so the separator is unambiguous.
//   - s3/object/<bucket>: the current version of each key that has a live
//     one (not a delete marker), keyed by the object key: what ListObjects
//     and GetObject without versionId read.
//
// Unversioned buckets keep the single "null" version of each key in both.
// Multipart uploads are s3/upload/<bucket> (by upload id) and their parts
// s3/part/<upload id> (by zero-padded part number).
const nsBucket = "s3/bucket"

func nsObject(bucket string) string  { return "s3/object/" + bucket }
func nsVersion(bucket string) string { return "s3/version/" + bucket }
func nsUpload(bucket string) string  { return "s3/upload/" + bucket }
func nsPart(uploadID string) string  { return "s3/part/" + uploadID }
func versionKey(key string, seq uint64) string {
	return key + "\x00" + fmt.Sprintf("%016x", math.MaxUint64-seq)
}
func versionPrefix(key string) string { return key + "\x00" }

// Bucket is one bucket and all of its configuration.
type Bucket struct {
	Name       string    `json:"name"`
	Region     string    `json:"region"`
	Created    time.Time `json:"created"`
	Versioning string    `json:"versioning,omitempty"` // "", Enabled, Suspended
	MFADelete  string    `json:"mfa_delete,omitempty"` // "", Enabled, Disabled
	ObjectLock bool      `json:"object_lock,omitempty"`
	// Ownership is the object ownership control; "" means none configured.
	Ownership         string             `json:"ownership,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	Policy            string             `json:"policy,omitempty"`
	Tags              []Tag              `json:"tags,omitempty"`
	Grants            []Grant            `json:"grants,omitempty"` // nil: owner FULL_CONTROL
	// Encryption nil means the default SSE-S3 configuration AWS applies
	// to every bucket.
	Encryption *SSEConfig `json:"encryption,omitempty"`
	Accelerate string     `json:"accelerate,omitempty"`
	Payer      string     `json:"payer,omitempty"`
	// Raw holds configurations kept as the XML document the client sent
	// (validated on the way in): lifecycle, cors, website, logging,
	// object-lock.
	Raw map[string]string `json:"raw,omitempty"`
	// LifecycleMinSize is x-amz-transition-default-minimum-object-size.
	LifecycleMinSize string `json:"lifecycle_min_size,omitempty"`
}

// Object is one version of an object, or a delete marker.
type Object struct {
	Key                string            `json:"key"`
	VersionID          string            `json:"version_id"` // "null" when unversioned
	Seq                uint64            `json:"seq"`
	DeleteMarker       bool              `json:"delete_marker,omitempty"`
	Blob               string            `json:"blob,omitempty"`
	Size               int64             `json:"size"`
	ETag               string            `json:"etag,omitempty"` // quoted
	LastModified       time.Time         `json:"last_modified"`
	ContentType        string            `json:"content_type,omitempty"`
	CacheControl       string            `json:"cache_control,omitempty"`
	ContentDisposition string            `json:"content_disposition,omitempty"`
	ContentEncoding    string            `json:"content_encoding,omitempty"`
	ContentLanguage    string            `json:"content_language,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	WebsiteRedirect    string            `json:"website_redirect,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	SSE                string            `json:"sse,omitempty"`
	SSEKMSKeyID        string            `json:"sse_kms_key_id,omitempty"`
	BucketKeyEnabled   bool              `json:"bucket_key_enabled,omitempty"`
	StorageClass       string            `json:"storage_class,omitempty"`
	ChecksumAlgorithm  string            `json:"checksum_algorithm,omitempty"`
	Checksum           string            `json:"checksum,omitempty"`
	ChecksumType       string            `json:"checksum_type,omitempty"` // FULL_OBJECT or COMPOSITE
	Tags               []Tag             `json:"tags,omitempty"`
	PartSizes          []int64           `json:"part_sizes,omitempty"` // multipart objects
}

// Upload is an in-progress multipart upload.
type Upload struct {
	ID           string    `json:"id"`
	Key          string    `json:"key"`
	Initiated    time.Time `json:"initiated"`
	Template     Object    `json:"template"` // metadata the final object gets
	ChecksumAlgo string    `json:"checksum_algo,omitempty"`
	ChecksumType string    `json:"checksum_type,omitempty"`
}

// Part is one uploaded part.
type Part struct {
	Number       int       `json:"number"`
	Blob         string    `json:"blob"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	MD5          string    `json:"md5"` // hex
	LastModified time.Time `json:"last_modified"`
	Checksum     string    `json:"checksum,omitempty"`
}

// Tag is a key/value tag.
type Tag struct {
	Key   string `json:"key" xml:"Key"`
	Value string `json:"value" xml:"Value"`
}

// Grant is one ACL grant.
type Grant struct {
	Type       string `json:"type"` // CanonicalUser, Group, AmazonCustomerByEmail
	ID         string `json:"id,omitempty"`
	URI        string `json:"uri,omitempty"`
	Email      string `json:"email,omitempty"`
	Permission string `json:"permission"`
}

// PublicAccessBlock is the bucket's public access block configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls" xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls" xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"block_public_policy" xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets" xml:"RestrictPublicBuckets"`
}

// getBucket reads a bucket or returns NoSuchBucket.
func getBucket(tx *state.Tx, name string) (*Bucket, error) {
	var b Bucket
	if err := tx.Get(nsBucket, name, &b); err != nil {
		if err == state.ErrNotFound {
			return nil, errNoSuchBucket(name)
		}
		return nil, err
	}
	return &b, nil
}

// currentObject returns the live current version of key, or nil.
func currentObject(tx *state.Tx, bucket, key string) (*Object, error) {
	var o Object
	if err := tx.Get(nsObject(bucket), key, &o); err != nil {
		if err == state.ErrNotFound {
			return nil, nil
		}
		return nil, err
	}
	return &o, nil
}

// versions returns every version of key, newest first.
func versions(tx *state.Tx, bucket, key string) ([]Object, error) {
	ents, err := tx.List(state.ListParams{NS: nsVersion(bucket), Prefix: versionPrefix(key)})
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(ents))
	for _, e := range ents {
		var o Object
		if err := json.Unmarshal(e.Value, &o); err != nil {
			return nil, fmt.Errorf("decode version %q: %w", e.Key, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// latestVersion is the newest version of key (possibly a delete marker), or nil.
func latestVersion(tx *state.Tx, bucket, key string) (*Object, error) {
	ents, err := tx.List(state.ListParams{NS: nsVersion(bucket), Prefix: versionPrefix(key), Limit: 1})
	if err != nil || len(ents) == 0 {
		return nil, err
	}
	var o Object
	if err := json.Unmarshal(ents[0].Value, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// findVersion returns the given version of key or NoSuchVersion/NoSuchKey.
func findVersion(tx *state.Tx, bucket, key, versionID string) (*Object, error) {
	vs, err := versions(tx, bucket, key)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if vs[i].VersionID == versionID {
			return &vs[i], nil
		}
	}
	if !validVersionID(versionID) {
		return nil, errInvalidArgument("Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", versionID)
	}
	return nil, errNoSuchVersion(key, versionID)
}

// storeVersion writes o as the newest version of its key (assigning its
// sequence number), replaces or removes the current pointer, and drops the
// version it replaces when the bucket is not versioned (or o is "null").
// It returns the blob ids that are no longer referenced once the
// transaction commits.
func storeVersion(tx *state.Tx, b *Bucket, o *Object, now time.Time) (garbage []string, err error) {
	latest, err := latestVersion(tx, b.Name, o.Key)
	if err != nil {
		return nil, err
	}
	seq := uint64(now.UnixNano())
	if latest != nil && latest.Seq >= seq {
		seq = latest.Seq + 1
	}
	o.Seq = seq
	if o.VersionID == "" {
		o.VersionID = "null"
		if b.Versioning == "Enabled" {
			o.VersionID = newVersionID()
		}
	}
	if o.VersionID == "null" && latest != nil {
		// A new null version replaces the old one. Only unversioned
		// (one version per key) and suspended buckets get here, so the
		// scan is short.
		vs := []Object{*latest}
		if b.Versioning != "" {
			if vs, err = versions(tx, b.Name, o.Key); err != nil {
				return nil, err
			}
		}
		for _, v := range vs {
			if v.VersionID == "null" {
				if err := tx.Delete(nsVersion(b.Name), versionKey(v.Key, v.Seq)); err != nil {
					return nil, err
				}
				if v.Blob != "" {
					garbage = append(garbage, v.Blob)
				}
			}
		}
	}
	if err := tx.Put(nsVersion(b.Name), versionKey(o.Key, o.Seq), o); err != nil {
		return nil, err
	}
	if o.DeleteMarker {
		err = tx.Delete(nsObject(b.Name), o.Key)
	} else {
		err = tx.Put(nsObject(b.Name), o.Key, o)
	}
	return garbage, err
}

// removeVersion permanently deletes one version and repoints the current
// object at the newest remaining one.
func removeVersion(tx *state.Tx, bucket string, v *Object) error {
	if err := tx.Delete(nsVersion(bucket), versionKey(v.Key, v.Seq)); err != nil {
		return err
	}
	latest, err := latestVersion(tx, bucket, v.Key)
	if err != nil {
		return err
	}
	if latest == nil || latest.DeleteMarker {
		return tx.Delete(nsObject(bucket), v.Key)
	}
	return tx.Put(nsObject(bucket), v.Key, latest)
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomID returns n random characters of [0-9A-Za-z].
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

func newVersionID() string { return randomID(32) }

func validVersionID(v string) bool {
	if v == "null" {
		return true
	}
	if len(v) != 32 {
		return false
	}
	return strings.Trim(v, idAlphabet) == ""
}
