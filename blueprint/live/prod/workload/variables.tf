variable "region" {
  description = "AWS region of this stack."
  type        = string
  default     = "us-east-1"
}

variable "container_image" {
  description = "Image the service runs."
  type        = string
  default     = "public.ecr.aws/nginx/nginx:1.27"
}

variable "health_check_path" {
  description = "Path the load balancer probes."
  type        = string
  default     = "/"
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS; null serves plain HTTP on 80."
  type        = string
  default     = null
}

variable "min_capacity" {
  description = "Fewest tasks (one per AZ at least)."
  type        = number
  default     = 3
}

variable "max_capacity" {
  description = "Most tasks."
  type        = number
  default     = 20
}

variable "log_retention_days" {
  description = "Retention of the application logs in days."
  type        = number
  default     = 90
}
