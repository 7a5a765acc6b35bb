// Package autoscaling is the sandbox's Application Auto Scaling: scalable
// targets, scaling policies (target tracking, step and predictive),
// scheduled actions, scaling activities and tags — what the Terraform AWS
// provider's aws_appautoscaling_target, aws_appautoscaling_policy and
// aws_appautoscaling_scheduled_action resources and aws-sdk-go-v2 callers
// use.
//
// It speaks JSON 1.1 (X-Amz-Target AnyScaleFrontendService.*) under the
// signing name "application-autoscaling".
//
// # Behaviour kept from AWS
//
//   - Scalable targets of ECS services (service/<cluster>/<service>,
//     ecs:service:DesiredCount) are checked against the sandbox's ECS ("ECS
//     service doesn't exist: …" is a ValidationException, which the provider
//     retries while IAM propagates). Registering a target, or changing its
//     range, moves the service's desired count into [min, max] through the
//     ecs package, and records the scaling activity AWS would show.
//   - The role is the namespace's service-linked role unless one is given.
//   - A target tracking policy creates the two CloudWatch alarms AWS
//     creates for it, TargetTracking-<resource>-AlarmHigh-<uuid> (above the
//     target, 3 of 3 minutes) and …-AlarmLow-<uuid> (below 90% of it, 15 of
//     15), with the policy as their action; deleting the policy deletes
//     them. The sandbox invokes the policy when an alarm goes to ALARM and
//     every period while it stays there (Invoke, Repeat; wired in
//     internal/sandbox/autoscaling_wiring.go): Decide scales out
//     proportionally and in conservatively, with cooldowns and [min, max],
//     sets the ECS service's desired count and records the activity
//     (tracking.go, decide.go; docs/gameday.md).
//   - Missing targets, policies and scheduled actions are
//     ObjectNotFoundException; bad input ValidationException; tagging an
//     unknown ARN ResourceNotFoundException.
//
// # What it does not do
//
// It scales ECS services only: other service namespaces are a
// ValidationException naming the gap. Step scaling and predictive policies
// and scheduled actions are stored but not executed (an alarm action naming
// a step policy fails with ErrNotExecuted); customized metrics with metric
// math are refused.
package autoscaling
