variable "name_prefix" {
  description = "Prefix for every name this module creates, e.g. \"vigil-prod\". The bucket is \"<name_prefix>-tfstate\" unless bucket_name is set."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 characters of lower-case letters, digits and hyphens (it becomes part of an S3 bucket name)."
  }
}

variable "bucket_name" {
  description = "Name of the state bucket. S3 bucket names are global: set this when \"<name_prefix>-tfstate\" is taken. Null means \"<name_prefix>-tfstate\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 characters: lower-case letters, digits, dots, hyphens)."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB lock table. Null means \"<name_prefix>-tflock\"."
  type        = string
  default     = null
}

variable "noncurrent_version_retention_days" {
  description = "Days a superseded state version is kept before it expires. State history is how a bad apply is undone, so keep it long."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 30
    error_message = "Keep superseded state versions for at least 30 days."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it still holds state. Leave false outside throwaway environments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
