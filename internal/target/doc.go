// Package target resolves where an environment's Terraform processes and AWS
// clients go: the embedded sandbox (the default) or a real AWS account.
//
// For a sandbox environment it finds the sandbox serving the repository's
// data directory (.vigil/sandbox), or starts one in this process, and
// returns the environment variables that point the Terraform AWS provider,
// the S3 backend, aws-sdk-go-v2 and the AWS CLI at it (AWS_ENDPOINT_URL and
// static sandbox credentials). vigil never edits the user's .tf files to do
// this: the same code applies to AWS unchanged.
//
// For an AWS environment it adds nothing: the standard credential chain
// (environment, profile, SSO, OIDC web identity in CI) applies.
//
// # Example
//
//	t, err := target.Resolve(ctx, cfg, env, target.Options{})
//	if err != nil { … }
//	defer t.Close(ctx)
//	runner := tf.WithEnv(t.Env)
package target
