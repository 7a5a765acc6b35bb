variable "name" {
  description = "Name of the watched service, e.g. \"vigil-prod-app\". Every alarm is named \"<name>-<alarm>\", so \"<name>-\" is the prefix the remediation rule matches."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,60}$", var.name))
    error_message = "name must be 1-61 characters of letters, digits and hyphens."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the service's load balancer (LoadBalancer dimension), e.g. app/vigil-prod-app/50dc6c495c0c9188."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the service's target group (TargetGroup dimension)."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster of the service."
  type        = string
}

variable "service_name" {
  description = "ECS service name."
  type        = string
}

variable "log_group_name" {
  description = "Application log group the error metric filter reads."
  type        = string
}

variable "runbook_base_url" {
  description = "Base URL of the runbooks folder; each alarm description ends with \"Runbook: <runbook_base_url>/<alarm>.md\" (M15)."
  type        = string
  default     = "https://github.com/your-org/your-infra/blob/main/runbooks"

  validation {
    condition     = can(regex("^https?://", var.runbook_base_url))
    error_message = "runbook_base_url must be an http(s) URL: the person paged must be able to open it."
  }
}

variable "pager_subscriptions" {
  description = "Who the pager topic notifies: e.g. [{ protocol = \"email\", endpoint = \"oncall@example.com\" }, { protocol = \"https\", endpoint = \"https://events.pagerduty.com/integration/<key>/enqueue\" }]."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.pager_subscriptions : contains(["email", "email-json", "https", "http", "sms", "lambda", "sqs"], s.protocol)])
    error_message = "Each pager subscription protocol must be one of email, email-json, https, http, sms, lambda, sqs."
  }
}

variable "target_5xx_threshold" {
  description = "Target 5xx responses per minute above which a minute breaches (M3: 25)."
  type        = number
  default     = 25
}

variable "latency_p99_threshold_seconds" {
  description = "p99 target response time in seconds above which a minute breaches."
  type        = number
  default     = 1.5
}

variable "cpu_high_threshold" {
  description = "Service average CPU percent above which a minute breaches. Keep it well above the scaling target: this alarm means scaling is not keeping up."
  type        = number
  default     = 85
}

variable "error_log_pattern" {
  description = "CloudWatch Logs filter pattern counting application errors."
  type        = string
  default     = "\"ERROR\""
}

variable "app_error_threshold" {
  description = "Application error log lines per minute above which a minute breaches."
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
