output "enabled" {
  description = "Whether the guardrail exists."
  value       = var.enabled
}

output "policy_arn" {
  description = "permissions_boundary mode: ARN of the managed policy to set as permissions_boundary of human roles (null otherwise)."
  value       = one(aws_iam_policy.guardrail[*].arn)
}

output "policy_name" {
  description = "Name of the policy (IAM Identity Center permission sets reference a boundary by name)."
  value       = var.enabled ? local.policy_name : null
}

output "scp_id" {
  description = "scp mode: id of the service control policy (null otherwise)."
  value       = one(aws_organizations_policy.guardrail[*].id)
}

output "denied_actions" {
  description = "The write actions denied outside the pipeline."
  value       = local.denied_actions
}

output "exempt_principals" {
  description = "The principals whose writes pass: the pipeline's role(s) and explicit exemptions."
  value       = local.exempt_principals
}
