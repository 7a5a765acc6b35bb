variable "name" {
  description = "Name prefix for the network's resources, e.g. \"vigil-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,40}$", var.name))
    error_message = "name must be 1-41 characters of letters, digits and hyphens."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC. Split into three private subnets (a quarter each) and three public subnets (the last quarter)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = try(cidrhost(var.vpc_cidr, 0) != "" && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 22, false)
    error_message = "vpc_cidr must be an IPv4 CIDR between /16 and /22."
  }
}

variable "azs" {
  description = "Exactly three availability zones to spread the subnets over (M1: a single-AZ design cannot survive a zone event). Empty means the region's first three available zones."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.azs) == 0 || (length(var.azs) == 3 && length(distinct(var.azs)) == 3)
    error_message = "azs must list exactly three distinct availability zones (or be empty to pick the first three available)."
  }
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for all private subnets instead of one per AZ. Cheaper, but an outage of that AZ cuts every private subnet off the internet: for non-production only."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group in days (M1: 90)."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days) && var.flow_log_retention_days >= 90
    error_message = "flow_log_retention_days must be a CloudWatch Logs retention value of at least 90 days."
  }
}

variable "flow_log_traffic_type" {
  description = "Which traffic the flow logs record: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
