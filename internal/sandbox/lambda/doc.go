// Package lambda is the sandbox's AWS Lambda (REST-JSON, paths under
// /2015-03-31/functions and the other dated prefixes, signing name
// "lambda").
//
// It serves what the Terraform provider calls for aws_lambda_function,
// aws_lambda_alias, aws_lambda_permission and
// aws_lambda_function_event_invoke_config, and what SDK users call to
// manage functions. Running function code is a later issue: Invoke checks
// the function exists and answers 501 NotImplemented saying so, never a
// fake success.
//
// # Functions
//
// CreateFunction takes a zip (Code.ZipFile), validates it as a zip within
// Lambda's size limits, stores it as a state blob and reports CodeSha256
// (base64 of its SHA-256) and CodeSize. The role must name an existing
// IAM role (iam.RoleExists): otherwise InvalidParameterValueException "The
// role defined for the function cannot be assumed by Lambda.", as AWS
// says while IAM propagates. Runtimes are the API's enumeration (blocked,
// deprecated ones refused); handler, timeout, memory, environment (keys,
// reserved names, 4 KB), dead-letter target, tracing, ephemeral storage,
// SnapStart, logging, VPC and file systems are validated and stored, with
// the defaults AWS reports (x86_64, 512 MB /tmp, PassThrough tracing, Text
// logs to /aws/lambda/<name>). Functions are created synchronously: State
// is Active and LastUpdateStatus Successful at once, which is what the
// provider waits for. Updates change RevisionId (PreconditionFailed on a
// stale one); UpdateFunctionCode changes CodeSha256. GetFunction's
// Code.Location is a URL on the sandbox that serves the stored zip.
//
// Code from S3 (S3Bucket/S3Key), container images, layers and code signing
// configurations are refused with InvalidParameterValueException naming the
// gap.
//
// # Versions, aliases, permissions, async configuration
//
// PublishVersion snapshots $LATEST (returning the last version when nothing
// changed); ListVersionsByFunction lists $LATEST first. Aliases carry
// routing configurations (one extra version, weight 0–1). AddPermission
// builds resource-policy statements as AWS does (service principals,
// account ids as root ARNs, SourceArn as ArnLike, SourceAccount as
// StringEquals) per qualifier; a duplicate statement id is a
// ResourceConflictException. Put/Update/Get/Delete/List
// FunctionEventInvokeConfig store retry, age and destinations (SQS, SNS,
// Lambda, EventBridge or S3 ARNs); reserved concurrency is checked against
// the account's 1,000 with 100 kept unreserved. Tags live on the
// unqualified function.
//
// # State
//
// See store.go for the namespaces. Every write is one state transaction;
// code blobs are written before it and removed if it fails, and removed
// after it when nothing references them any more.
//
// # Errors
//
// ResourceNotFoundException (404), ResourceConflictException (409),
// InvalidParameterValueException and ValidationException (400),
// PreconditionFailedException (412), RequestEntityTooLargeException (413),
// each in X-Amzn-ErrorType. Unknown paths answer 404
// UnknownOperationException; known operations the sandbox lacks answer 501
// NotImplemented naming them.
package lambda
