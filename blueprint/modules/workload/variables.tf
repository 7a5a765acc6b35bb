variable "name" {
  description = "Name of the service; also the prefix of its cluster, load balancer, target group, roles and log group. At most 24 characters (load balancer names are limited to 32)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,23}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-24 letters, digits and hyphens, not ending in a hyphen."
  }
}

variable "vpc_id" {
  description = "VPC to run in (the foundation network)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets for the load balancer, one per AZ."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 3
    error_message = "The load balancer needs public subnets in at least three AZs."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets for the tasks, one per AZ."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 3
    error_message = "Tasks need private subnets in at least three AZs."
  }
}

variable "container_image" {
  description = "Container image the service runs."
  type        = string
  default     = "public.ecr.aws/nginx/nginx:1.27"
}

variable "container_port" {
  description = "Port the container listens on."
  type        = number
  default     = 80
}

variable "container_environment" {
  description = "Environment variables for the container."
  type        = map(string)
  default     = {}
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "Fargate task memory in MiB."
  type        = number
  default     = 512
}

variable "task_role_policy_arns" {
  description = "Managed policies for the application's task role (what the app itself may call). Empty by default: the app gets no AWS permissions."
  type        = list(string)
  default     = []
}

variable "health_check_path" {
  description = "Path the load balancer probes on each task."
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "health_check_matcher" {
  description = "HTTP codes that count as healthy."
  type        = string
  default     = "200-399"
}

variable "health_check_interval" {
  description = "Seconds between health checks."
  type        = number
  default     = 15
}

variable "health_check_healthy_threshold" {
  description = "Consecutive successes before a target is healthy."
  type        = number
  default     = 3
}

variable "health_check_unhealthy_threshold" {
  description = "Consecutive failures before a target is unhealthy."
  type        = number
  default     = 3
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores load balancer health checks after a task starts."
  type        = number
  default     = 60
}

variable "min_capacity" {
  description = "Fewest running tasks (M2: 3, one per AZ, so a zone event leaves capacity)."
  type        = number
  default     = 3

  validation {
    condition     = var.min_capacity >= 3
    error_message = "min_capacity must be at least 3: one task per availability zone."
  }
}

variable "max_capacity" {
  description = "Most running tasks (M2: 20)."
  type        = number
  default     = 20

  validation {
    condition     = var.max_capacity >= 3
    error_message = "max_capacity must be at least 3."
  }
}

variable "cpu_target" {
  description = "Target average CPU utilisation in percent for target tracking (M2: 60)."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target >= 10 && var.cpu_target <= 90
    error_message = "cpu_target must be between 10 and 90 percent."
  }
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before another scale-out of the same size (M2: 60)."
  type        = number
  default     = 60
}

variable "scale_in_cooldown" {
  description = "Seconds after a scaling activity before capacity is removed (M2: 300). Must not be shorter than scale_out_cooldown: a short dip must not strip capacity right before the next spike."
  type        = number
  default     = 300
}

variable "log_retention_days" {
  description = "Retention of the application log group in days."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key ARN for the application log group. Null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "alb_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer. A public service needs 0.0.0.0/0."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion (turn on in production)."
  type        = bool
  default     = false
}

variable "alb_access_logs_bucket" {
  description = "S3 bucket for load balancer access logs. Null turns access logs off."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate ARN. When set, the load balancer serves HTTPS on 443 and redirects HTTP to it; when null it serves plain HTTP on 80."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
