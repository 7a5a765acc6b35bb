// Package synthetics is the sandbox's Amazon CloudWatch Synthetics
// (REST-JSON, paths /canary, /canaries, /tags; signing name "synthetics").
//
// It serves what the Terraform provider calls for aws_synthetics_canary and
// what SDK users call to manage canaries.
//
// Canaries are stored with their script (an inline zip, stored as a state
// blob, or an S3 location kept as given), execution role (which must exist
// in IAM), schedule, run configuration with AWS's defaults (1000 MB, 1024
// MB ephemeral storage, a timeout of the schedule's frequency up to 840 s),
// retention periods, runtime version, VPC and artifact configuration, and
// tags. The artifact location is stored without its s3:// prefix, as AWS
// reports it. "rate(0 minute)" (run once) is stored as "rate(0 hour)".
//
// # States
//
// CreateCanary leaves a canary READY; StartCanary moves READY or STOPPED to
// RUNNING, StopCanary RUNNING to STOPPED (otherwise ConflictException, which
// the provider tolerates); DeleteCanary refuses a RUNNING canary. The
// sandbox does not execute canary scripts, so GetCanaryRuns returns an empty
// list; the Lambda function and layer AWS would create for a canary are
// named in EngineArn and SourceLocationArn but not created.
//
// # Errors
//
// ValidationException (400), ResourceNotFoundException (404),
// ConflictException (409), RequestEntityTooLargeException (413). Groups,
// dry runs, DescribeCanariesLastRun and DescribeRuntimeVersions answer 501
// NotImplemented.
package synthetics
