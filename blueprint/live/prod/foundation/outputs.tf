output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "vpc_cidr" {
  description = "CIDR of the VPC."
  value       = module.network.vpc_cidr
}

output "azs" {
  description = "The three availability zones."
  value       = module.network.azs
}

output "public_subnet_ids" {
  description = "Public subnets, one per AZ."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets, one per AZ."
  value       = module.network.private_subnet_ids
}

output "flow_log_group_name" {
  description = "Log group of the VPC flow logs."
  value       = module.network.flow_log_group_name
}

output "ci_role_arn" {
  description = "Role GitHub Actions assumes through OIDC to deploy this environment."
  value       = module.ci_oidc.role_arn
}

output "ci_plan_role_arn" {
  description = "Read-only role pull-request plans and drift checks assume through OIDC (null without ci_plan_environment)."
  value       = one(module.ci_oidc_plan[*].role_arn)
}

output "guardrail_policy_arn" {
  description = "Permissions boundary to set on human roles (null when console_write_guardrail is off)."
  value       = module.guardrails.policy_arn
}
