variable "region" {
  description = "AWS region of this stack."
  type        = string
  default     = "us-east-1"
}

variable "runbook_base_url" {
  description = "Base URL of the runbooks/ folder as people open it (e.g. the repository's blob URL); alarm descriptions link <runbook_base_url>/<alarm>.md."
  type        = string
  default     = "https://github.com/your-org/your-infra/blob/main/runbooks"
}

variable "lambda_zip_path" {
  description = "Zip of the remediator (bootstrap built for linux/amd64). Null means remediator.zip in this stack's folder."
  type        = string
  default     = null
}

variable "max_attempts" {
  description = "Remediation attempts per alarm episode before escalating to the pager."
  type        = number
  default     = 3
}

variable "app_metrics_namespace" {
  description = "CloudWatch namespace of the app's per-task metrics (RequestCount, HTTPCode_5XX_Count by ClusterName, ServiceName, TaskId), which let the remediator replace a task that answers 5xx while passing its health checks. \"\" when the app publishes none."
  type        = string
  default     = "Vigil/App"
}
