terraform {
  # use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  backend "s3" {
    bucket       = "vigil-prod-tfstate"
    key          = "prod/remediation/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "vigil:env"   = "prod"
      "vigil:layer" = "remediation"
      "managed-by"  = "vigil"
    }
  }
}
