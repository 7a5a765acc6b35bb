// Package s3 is the sandbox's Amazon S3: the REST-XML protocol, path-style
// (http://host/bucket/key) and virtual-host style (bucket.localhost:port,
// bucket.s3.<anything>) addressing, with every bucket, object version and
// multipart upload kept durably in the sandbox state.
//
// Its judges are the Terraform AWS provider (an aws_s3_bucket and its
// companion resources apply, plan clean and destroy), Terraform's S3
// backend (state objects and use_lockfile locking) and aws-sdk-go-v2
// (including its upload/download managers and aws-chunked streaming).
//
// # What it serves
//
//   - Buckets: Create (LocationConstraint rules and us-east-1's legacy
//     re-create as AWS), Head (X-Amz-Bucket-Region), Delete (BucketNotEmpty
//     while any version exists), List, GetBucketLocation.
//   - Bucket configuration: versioning, default encryption (SSE-S3 by
//     default, as on AWS since 2023), public access block and object
//     ownership (both on by default for new buckets), policy (validated; a
//     public policy is refused under BlockPublicPolicy), lifecycle, CORS,
//     website, logging, tagging, ACL (owner FULL_CONTROL; only owner-only
//     ACLs with BucketOwnerEnforced), accelerate, request payment, object
//     lock. Unset configurations answer AWS's exact not-found codes
//     (NoSuchBucketPolicy, NoSuchLifecycleConfiguration, …), which the
//     provider tolerates. Replication is read-only: Get answers
//     ReplicationConfigurationNotFoundError; Put is NotImplemented because
//     the sandbox does not replicate.
//   - Objects: Put (streamed to a blob, never buffered; ETag = MD5;
//     Content-MD5, x-amz-content-sha256 and x-amz-checksum-* verified,
//     aws-chunked bodies decoded with their trailers checked), Get and Head
//     (ranges, partNumber, If-Match/If-None-Match/If-(Un)Modified-Since,
//     response-* overrides, checksum mode), Delete, DeleteObjects,
//     CopyObject, tagging, ACL reads. Conditional writes (If-None-Match: *,
//     If-Match) are decided inside the transaction that stores the object,
//     so two racing lock writers cannot both win.
//   - Versioning: version ids, delete markers, null versions when
//     suspended, ListObjectVersions.
//   - Listing: ListObjectsV2 (prefix, delimiter, continuation tokens,
//     start-after, encoding-type=url), ListObjects v1.
//   - Multipart uploads: Create, UploadPart, UploadPartCopy, Complete
//     (ETag "md5-of-md5s-N", full-object or composite checksums), Abort,
//     ListParts, ListMultipartUploads.
//
// Anything else (inventory, analytics, metrics, notification, intelligent
// tiering, object attributes, legal hold, retention, select, SSE-C, …)
// answers 501 NotImplemented naming the operation, and is logged.
//
// # State
//
// Buckets are documents in "s3/bucket"; object versions live in
// "s3/version/<bucket>" (all versions, newest first per key) and
// "s3/object/<bucket>" (the current live version per key); uploads in
// "s3/upload/<bucket>" and "s3/part/<upload id>". Object bodies are state
// blobs, written and fsynced before the transaction that references them
// commits; blobs a committed change no longer references are deleted after
// the commit. See store.go.
//
// # Example
//
//	svc := s3.New(env) // env: service.Env over the sandbox state
//	svc.Handle(w, req) // a routed REST-XML request
package s3
