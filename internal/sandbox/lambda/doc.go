// Package lambda is the sandbox's AWS Lambda (REST-JSON, paths under
// /2015-03-31/functions and the other dated prefixes, signing name
// "lambda").
//
// It serves what the Terraform provider calls for aws_lambda_function,
// aws_lambda_alias, aws_lambda_permission and
// aws_lambda_function_event_invoke_config, and what SDK users call to
// manage functions, and it runs function code.
//
// # Running code
//
// Invoke (served by Service.Handle: the answer is the function's payload
// with X-Amz-Function-Error, X-Amz-Log-Result and X-Amz-Executed-Version)
// runs provided.al2023, provided.al2 and provided functions: runtime.go
// unpacks the zip once per CodeSha256, starts bootstrap as a process in its
// own process group with only the Lambda environment (the function's
// variables, AWS_LAMBDA_*, AWS_REGION, _HANDLER, credentials and
// AWS_ENDPOINT_URL = the sandbox, from RuntimeOptions), and serves it the
// Lambda Runtime API (2018-06-01) on a loopback port of its own. A process
// serves one invocation at a time and is reused while warm; a function
// version runs up to RuntimeOptions.MaxInstances processes (default 4,
// capped by reserved concurrency), further invocations wait for a free one
// and are throttled after the function's timeout. The timeout (real time)
// kills the process ("Task timed out after N.NN seconds",
// Sandbox.Timedout); an exit is Runtime.ExitError; a missing or
// non-executable bootstrap is Runtime.InvalidEntrypoint. Output and the
// START/END/REPORT lines go to the function's log group through the
// sandbox's CloudWatch Logs (output.go), stamped with the virtual clock;
// AWS/Lambda metrics (Invocations, Errors, Duration, Throttles by
// FunctionName, and Resource for qualified calls) go to CloudWatch.
// Other runtimes answer InvalidRuntimeException: the sandbox has no Python
// or Node.js to run them with, and never fakes a result.
//
// Event invocations are queued durably (package queue, namespace
// lambda/async) and answered 202; a function error is retried after one
// and two minutes of virtual time (MaximumRetryAttempts, default 2;
// MaximumEventAgeInSeconds), then the OnFailure destination (SNS or
// Lambda) gets the invocation record, as OnSuccess does on success.
// InvokeAsyncFor is the same for other services (SNS, EventBridge,
// alarms): the function's resource policy must allow the service
// principal for the source ARN (AccessDeniedException otherwise).
// Changing a function's code or configuration, deleting it, and Close
// stop its processes.
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
