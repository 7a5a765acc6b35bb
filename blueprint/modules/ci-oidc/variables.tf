variable "github_repo" {
  description = "The one GitHub repository allowed to assume the deploy role, as \"owner/name\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repo))
    error_message = "github_repo must be \"owner/name\" without wildcards."
  }
}

variable "branch" {
  description = "Branch whose workflow runs may assume the role (the protected branch that applies, M10). Null allows no branch: set environment instead."
  type        = string
  default     = "main"

  validation {
    condition     = var.branch == null || can(regex("^[A-Za-z0-9._/-]+$", var.branch))
    error_message = "branch must be a plain branch name without wildcards."
  }
}

variable "environment" {
  description = "GitHub deployment environment whose jobs may assume the role (use environment protection rules for approvals). Null allows none."
  type        = string
  default     = null

  validation {
    condition     = var.environment == null || can(regex("^[A-Za-z0-9._-]+$", var.environment))
    error_message = "environment must be a plain environment name without wildcards."
  }
}

variable "role_name" {
  description = "Name of the deploy role."
  type        = string
  default     = "vigil-ci-deploy"
}

variable "policy_arns" {
  description = "Managed policies attached to the deploy role. Empty by default: grant exactly what the pipeline deploys, never an inline \"*\"."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/", a))])
    error_message = "policy_arns must be IAM managed policy ARNs."
  }
}

variable "max_session_duration" {
  description = "Longest session the role issues, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account has at most one per URL: set false and pass oidc_provider_arn when another stack owns it."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider, used when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "thumbprint_list" {
  description = "Thumbprints of token.actions.githubusercontent.com's certificate chain. AWS no longer relies on them for GitHub, but the API still requires one."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
