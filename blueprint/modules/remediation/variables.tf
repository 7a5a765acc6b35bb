variable "name" {
  description = "Name of the remediation function and prefix of its role, rule and alarm, e.g. \"vigil-prod-remediator\". Must not start with alarm_name_prefix, or the function's own error alarm would invoke it."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,50}$", var.name))
    error_message = "name must be 1-51 characters of letters, digits and hyphens."
  }
}

variable "lambda_zip_path" {
  description = "Path of the zip holding the Go remediator built for provided.al2023 (a single executable named bootstrap). Read at plan time, not by validate."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster of the service to remediate."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of that ECS cluster; scopes the function's ECS permissions."
  type        = string
}

variable "service_name" {
  description = "ECS service to remediate."
  type        = string
}

variable "target_group_arn" {
  description = "Target group of the service; the function reads its target health."
  type        = string
}

variable "pager_topic_arn" {
  description = "SNS pager topic: where the function escalates, and where failed invocations go."
  type        = string
}

variable "pager_kms_key_arn" {
  description = "KMS key encrypting the pager topic (null when it is not encrypted with a customer-managed key)."
  type        = string
  default     = null
}

variable "alarm_name_prefix" {
  description = "Only alarms whose names start with this prefix trigger remediation (this system's alarms), e.g. \"vigil-prod-app-\"."
  type        = string

  validation {
    condition     = length(var.alarm_name_prefix) >= 3
    error_message = "alarm_name_prefix must be at least 3 characters: a short prefix would remediate on other systems' alarms."
  }
}

variable "max_attempts" {
  description = "Remediation attempts per alarm within its episode before the function stops acting and escalates to the pager (passed as MAX_ATTEMPTS)."
  type        = number
  default     = 3

  validation {
    condition     = var.max_attempts >= 1 && var.max_attempts <= 10
    error_message = "max_attempts must be between 1 and 10."
  }
}

variable "app_metrics_namespace" {
  description = "CloudWatch namespace of the app's per-task metrics (RequestCount and HTTPCode_5XX_Count, Sum, dimensions ClusterName, ServiceName, TaskId; e.g. from embedded metric format). For a 5xx alarm with every target healthy, the remediator replaces the task whose 5xx share stands out there (passed as APP_METRICS_NAMESPACE, with cloudwatch:GetMetricData). \"\" when the app publishes none: such gray failures are then escalated. The default is the namespace the vigil sandbox's workload publishes."
  type        = string
  default     = "Vigil/App"
  nullable    = false

  validation {
    condition     = var.app_metrics_namespace == "" || (can(regex("^[0-9A-Za-z._/#: -]{1,255}$", var.app_metrics_namespace)) && !startswith(var.app_metrics_namespace, "AWS/"))
    error_message = "app_metrics_namespace must be \"\" or a custom metric namespace: 1-255 of letters, digits and . - _ / # : space, not starting with AWS/."
  }
}

variable "async_retry_attempts" {
  description = "Times Lambda retries a failed asynchronous invocation before sending it to the pager (0-2)."
  type        = number
  default     = 2

  validation {
    condition     = var.async_retry_attempts >= 0 && var.async_retry_attempts <= 2
    error_message = "async_retry_attempts must be 0, 1 or 2."
  }
}

variable "timeout_seconds" {
  description = "Function timeout in seconds."
  type        = number
  default     = 60
}

variable "memory_mb" {
  description = "Function memory in MiB."
  type        = number
  default     = 128
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions, capping how many remediations run at once. Null leaves it unreserved (new accounts often cannot reserve any)."
  type        = number
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days."
  type        = number
  default     = 90
}

variable "runbook_base_url" {
  description = "Base URL of the runbooks folder; the function's error alarm links \"<runbook_base_url>/remediator-errors.md\"."
  type        = string
  default     = "https://github.com/your-org/your-infra/blob/main/runbooks"

  validation {
    condition     = can(regex("^https?://", var.runbook_base_url))
    error_message = "runbook_base_url must be an http(s) URL."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
