variable "region" {
  description = "AWS region of this stack."
  type        = string
  default     = "us-east-1"
}

variable "vpc_cidr" {
  description = "CIDR of the dev VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all AZs (cheaper, not zone-resilient)."
  type        = bool
  default     = true
}

variable "github_repo" {
  description = "The GitHub repository (owner/name) whose workflows may deploy dev."
  type        = string
  default     = "your-org/your-infra"
}

variable "ci_branch" {
  description = "Branch whose workflow runs may assume the dev deploy role (null: none)."
  type        = string
  default     = "main"
}

variable "ci_environment" {
  description = "GitHub deployment environment whose jobs may assume the dev deploy role (null: none)."
  type        = string
  default     = null
}

variable "ci_policy_arns" {
  description = "Managed policies for the dev deploy role: exactly what the pipeline deploys. Empty until you grant them."
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
