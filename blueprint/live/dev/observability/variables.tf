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

variable "pager_subscriptions" {
  description = "Who the dev pager notifies, e.g. [{ protocol = \"email\", endpoint = \"oncall@example.com\" }]."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
}
