terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "state" {
  bucket = "fx-slow-tfstate"
}

output "bucket" {
  value = aws_s3_bucket.state.id
}
