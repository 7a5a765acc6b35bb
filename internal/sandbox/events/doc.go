// Package events is the sandbox's Amazon EventBridge (JSON 1.1,
// X-Amz-Target prefix AWSEvents, signing name "events").
//
// It serves what the Terraform provider calls for aws_cloudwatch_event_rule,
// aws_cloudwatch_event_target and aws_cloudwatch_event_bus, and what SDK
// users call to put events.
//
// # Rules and targets
//
// PutRule validates names, event patterns (package pattern; malformed ones
// are InvalidEventPatternException), schedule expressions (rate() and
// cron(), on the default bus only), states and role ARNs, and creates or
// replaces the rule, keeping its targets and tags. DeleteRule refuses a
// rule with targets ("Rule can't be deleted since it has targets.", a
// ValidationException the provider retries on) and succeeds for a rule
// that is not there. PutTargets stores each target object as sent, so every
// target type round-trips through ListTargetsByRule; malformed requests
// fail whole, per-target problems (conflicting inputs, invalid Input JSON,
// a missing RoleArn for targets that need one, retry limits) land in
// FailedEntries. A rule has at most five targets.
//
// # Buses and tags
//
// The default bus always exists and cannot be deleted. Custom buses carry
// description, KMS key, dead-letter and log configuration. Tags apply to
// rules and buses by ARN.
//
// # Events
//
// PutEvents validates entries as AWS does (required Source, DetailType and
// a JSON-object Detail; "aws." sources are refused), stores each accepted
// event durably with the ARNs of the enabled rules whose patterns it
// matches, and returns EventIds. Events reads what was recorded, and Emit
// puts an event on behalf of an AWS service (aws.* sources allowed), for
// the sandbox's own simulations and for tests. Each bus keeps its last
// 10,000 events. TestEventPattern evaluates a pattern against an event.
//
// # Delivery
//
// In the transaction that accepts an event, every target of every matched
// rule gets a delivery job (package queue). The target is sent the event,
// its Input, the InputPath selection, or the InputTransformer's template
// filled from InputPathsMap and the aws.events.* variables (transform.go):
// Lambda targets are invoked asynchronously, SNS targets published to.
// Failures other than client errors are retried with exponential backoff
// on the virtual clock within the target's RetryPolicy; other target types
// fail, recorded as not delivered. Deliveries lists the outcomes. A
// function is invoked only when its resource policy allows
// events.amazonaws.com for the rule's ARN.
//
// # Errors
//
// ResourceNotFoundException, ResourceAlreadyExistsException,
// ValidationException, InvalidEventPatternException,
// LimitExceededException and ManagedRuleException, all 400 as EventBridge
// answers them.
package events
