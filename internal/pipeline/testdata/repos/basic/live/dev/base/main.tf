terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }

  backend "s3" {
    bucket       = "fx-dev-tfstate"
    key          = "dev/base/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "topic_display_name" {
  type    = string
  default = "Pager"
}

variable "db_password" {
  description = "A password, as a stack would hand one to a database."
  type        = string
  sensitive   = true
  default     = "Tr0ub4dor-and-3-horses"
}

resource "aws_sns_topic" "pager" {
  name         = "fx-dev-pager"
  display_name = var.topic_display_name
}

resource "terraform_data" "db" {
  input = var.db_password
}

output "pager_arn" {
  value = aws_sns_topic.pager.arn
}

output "db_password" {
  value     = var.db_password
  sensitive = true
}
