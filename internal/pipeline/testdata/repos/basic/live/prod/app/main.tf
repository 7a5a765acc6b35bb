terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }

  backend "s3" {
    bucket       = "fx-prod-tfstate"
    key          = "prod/app/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"
}

data "terraform_remote_state" "base" {
  backend = "s3"

  config = {
    bucket = "fx-prod-tfstate"
    key    = "prod/base/terraform.tfstate"
    region = "us-east-1"
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/fx/prod/app"
  retention_in_days = 7

  tags = {
    pager = data.terraform_remote_state.base.outputs.pager_arn
  }
}
