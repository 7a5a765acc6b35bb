variable "region" {
  description = "AWS region of this stack."
  type        = string
  default     = "us-east-1"
}

variable "vpc_cidr" {
  description = "CIDR of the prod VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all AZs (cheaper, not zone-resilient)."
  type        = bool
  default     = false
}

variable "github_repo" {
  description = "The GitHub repository (owner/name) whose workflows may deploy prod."
  type        = string
  default     = "your-org/your-infra"
}

variable "ci_branch" {
  description = "Branch whose workflow runs may assume the prod deploy role (null: none)."
  type        = string
  default     = null
}

variable "ci_environment" {
  description = "GitHub deployment environment whose jobs may assume the prod deploy role (null: none). In prod only the approved environment (required reviewers) may deploy; the apply workflow's prod job runs in the \"prod\" environment."
  type        = string
  default     = "prod"
}

variable "ci_policy_arns" {
  description = "Managed policies for the prod deploy role: exactly what the pipeline deploys. Empty until you grant them."
  type        = list(string)
  default     = []
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. Set false (and oidc_provider_arn) when dev and prod share an account and the other stack owns it."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider, when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "ci_plan_environment" {
  description = "GitHub deployment environment whose jobs may assume the read-only prod plan role (pull-request plans, drift checks). Null: no plan role."
  type        = string
  default     = "prod-plan"
}

variable "ci_plan_policy_arns" {
  description = "Managed policies for the prod plan role: read access to the resources and the state (e.g. ReadOnlyAccess plus the state bucket's objects and lock files). Empty until you grant them."
  type        = list(string)
  default     = []
}

variable "console_write_guardrail" {
  description = "Create the console-write guardrail (M18): a permissions boundary denying writes to pipeline-managed services to everyone but the deploy role. On in production."
  type        = bool
  default     = true
}

variable "guardrail_exempt_principal_arns" {
  description = "Principals besides the deploy role whose writes the guardrail lets through (a break-glass role)."
  type        = list(string)
  default     = []
}
