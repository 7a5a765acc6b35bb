output "role_arn" {
  description = "ARN of the deploy role (the `role-to-assume` of aws-actions/configure-aws-credentials)."
  value       = aws_iam_role.deploy.arn
}

output "role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the role trusts."
  value       = local.oidc_provider_arn
}

output "allowed_subjects" {
  description = "The OIDC `sub` claims allowed to assume the role."
  value       = local.subjects
}
