terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  backend "s3" {
    bucket       = "vigil-test-tfstate"
    key          = "test/alerts/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      "vigil:env"   = "test"
      "vigil:layer" = "alerts"
      "managed-by"  = "vigil"
    }
  }
}
