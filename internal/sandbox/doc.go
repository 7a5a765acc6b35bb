// Package sandbox is vigil's embedded AWS-compatible endpoint (B1): one
// HTTP port serving every implemented service over the real AWS wire
// protocols, so that the Terraform AWS provider and aws-sdk-go-v2 are its
// clients, with every acknowledged write kept in a data directory.
//
// # Layout
//
//   - protocol/ encodes and decodes the five wire protocols and AWS's error
//     shapes.
//   - state/ is the durable store (SQLite + blob files).
//   - service/ is the contract between the router and the services, and
//     the JSON/query dispatchers.
//   - one folder per AWS service (sts, s3, dynamodb, kms, iam, …).
//
// # Routing
//
// Like AWS (and LocalStack): the SigV4 credential scope's service name
// first (Authorization header or presigned X-Amz-Credential), then
// X-Amz-Target for JSON services, then well-known unsigned query actions
// (STS AssumeRoleWithWebIdentity, the SubscribeURL and UnsubscribeURL links
// and signing certificate of delivered SNS messages), then REST paths;
// anything else is S3.
// Paths under /_vigil/ are the sandbox's own control API.
//
// # One server per data directory
//
// A Server takes an exclusive lock on its data directory and records its
// address in server.json there; a second server on the same directory is
// refused with an error naming the first. Find (or Ensure) lets other vigil
// commands use the running one.
//
// # Example
//
//	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0"})
//	if err != nil { … }
//	if err := srv.Start(); err != nil { … }
//	defer srv.Close(context.Background())
//	fmt.Println(srv.URL())
package sandbox
