# Bootstrap of dev: the S3 bucket and lock table every live/dev/<layer> stack keeps its state in (M13).
#
# This stack cannot start in the bucket it creates, so it begins with local state
# (terraform.tfstate in this folder, git-ignored). Apply it once per environment, then move its
# own state into the bucket: uncomment the backend block below and run
# `terraform init -migrate-state`. See the repository README.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  # backend "s3" {
  #   bucket       = "vigil-dev-tfstate"
  #   key          = "dev/bootstrap/terraform.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "vigil:env"   = "dev"
      "vigil:layer" = "bootstrap"
      "managed-by"  = "vigil"
    }
  }
}

variable "region" {
  description = "Region of the state bucket; the live stacks' backends say us-east-1."
  type        = string
  default     = "us-east-1"
}

variable "bucket_name" {
  description = "State bucket name. Bucket names are global: if vigil-dev-tfstate is taken, set this and the bucket in every live/dev/*/versions.tf and terraform_remote_state block."
  type        = string
  default     = "vigil-dev-tfstate"
}

module "state_backend" {
  source = "../../modules/state-backend"

  name_prefix = "vigil-dev"
  bucket_name = var.bucket_name
}

output "bucket" {
  description = "State bucket."
  value       = module.state_backend.bucket
}

output "lock_table" {
  description = "DynamoDB lock table (for Terraform before 1.10)."
  value       = module.state_backend.table
}

output "kms_key_arn" {
  description = "KMS key encrypting state."
  value       = module.state_backend.kms_key_arn
}
