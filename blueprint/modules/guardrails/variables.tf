variable "name" {
  description = "Name prefix, e.g. \"vigil-prod\"; the policy is named \"<name>-console-write-guardrail\"."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,40}$", var.name))
    error_message = "name must be 1-41 characters of letters, digits and hyphens."
  }
}

variable "enabled" {
  description = "Create the guardrail (M18). On in production, off elsewhere."
  type        = bool
  default     = true
}

variable "mode" {
  description = "\"permissions_boundary\": an IAM managed policy to set as the permissions boundary of human roles (works in any account, and in vigil's sandbox). \"scp\": an AWS Organizations service control policy attached to scp_target_ids (needs the organization's management account; covers every principal of the account)."
  type        = string
  default     = "permissions_boundary"

  validation {
    condition     = contains(["permissions_boundary", "scp"], var.mode)
    error_message = "mode must be \"permissions_boundary\" or \"scp\"."
  }
}

variable "pipeline_role_arns" {
  description = "The pipeline's deploy role(s) (ci-oidc role_arn): the only principals whose writes the guardrail lets through. At least one."
  type        = list(string)

  validation {
    condition     = length(var.pipeline_role_arns) > 0
    error_message = "pipeline_role_arns must name at least the pipeline's deploy role: a guardrail without it would stop the pipeline too."
  }
}

variable "exempt_principal_arns" {
  description = "Other principals (ARN patterns allowed) whose writes pass: a break-glass role; in scp mode also every workload role that writes (the remediator's, ECS task roles)."
  type        = list(string)
  default     = []
}

variable "denied_actions" {
  description = "Write actions denied to everyone but the pipeline, as IAM service prefix => action name prefixes (each becomes \"<service>:<prefix>*\"). The default covers the services the blueprint manages, plus CloudFormation so nobody routes around it."
  type        = map(list(string))
  default = {
    "application-autoscaling" = ["Delete", "Deregister", "Put", "Register", "Tag", "Untag"]
    "cloudformation"          = ["Cancel", "Continue", "Create", "Delete", "Execute", "Import", "Rollback", "Set", "Signal", "Update"]
    "cloudwatch"              = ["Delete", "Disable", "Enable", "Put", "Set", "Tag", "Untag"]
    "dynamodb"                = ["BatchWrite", "Create", "Delete", "Disable", "Enable", "Import", "Put", "Restore", "Tag", "Untag", "Update"]
    "ec2"                     = ["Allocate", "Associate", "Attach", "Authorize", "Create", "Delete", "Detach", "Disable", "Disassociate", "Enable", "Modify", "Release", "Replace", "Revoke", "Run", "Stop", "Terminate"]
    "ecs"                     = ["Create", "Delete", "Deregister", "Put", "Register", "Run", "Start", "Stop", "Submit", "Tag", "Untag", "Update"]
    "elasticloadbalancing"    = ["Add", "Create", "Delete", "Deregister", "Modify", "Register", "Remove", "Set"]
    "events"                  = ["Create", "Delete", "Disable", "Enable", "Put", "Remove", "Tag", "Untag", "Update"]
    "iam"                     = ["Add", "Attach", "Create", "Delete", "Detach", "Put", "Remove", "Set", "Tag", "Untag", "Update", "Upload"]
    "kms"                     = ["Cancel", "Create", "Delete", "Disable", "Enable", "Import", "Put", "Replicate", "Schedule", "Tag", "Untag", "Update"]
    "lambda"                  = ["Add", "Create", "Delete", "Publish", "Put", "Remove", "Tag", "Untag", "Update"]
    "logs"                    = ["Associate", "Create", "Delete", "Disassociate", "Put", "Tag", "Untag"]
    "s3"                      = ["Create", "Delete", "Put", "Replicate", "Restore"]
    "sns"                     = ["Add", "Create", "Delete", "Put", "Remove", "Set", "Subscribe", "Tag", "Unsubscribe", "Untag"]
    "synthetics"              = ["Associate", "Create", "Delete", "Disassociate", "Start", "Stop", "Tag", "Untag", "Update"]
  }

  validation {
    condition = alltrue(flatten([
      for svc, prefixes in var.denied_actions : concat(
        [can(regex("^[a-z0-9-]+$", svc))],
        [for p in prefixes : can(regex("^[A-Za-z]+$", p))],
      )
    ]))
    error_message = "denied_actions maps lower-case IAM service prefixes (\"ec2\") to action name prefixes of letters only (\"Create\")."
  }
}

variable "scp_target_ids" {
  description = "scp mode: the AWS account ids or organizational unit ids to attach the SCP to (the production account)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
