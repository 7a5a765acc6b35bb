// Package drifttest sets up the drift fixture for end-to-end tests: a copy
// of internal/drift/testdata/repo (environment "test", stacks test/alerts
// and test/watch: SNS topics and CloudWatch alarms), a sandbox of its
// own, the state bucket (made with aws-sdk-go-v2, as bootstrap would),
// and both stacks applied with plain terraform, the way a user's pipeline
// would have left them.
package drifttest
