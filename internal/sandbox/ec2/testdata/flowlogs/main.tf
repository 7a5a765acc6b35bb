# A VPC flow log; the destination (CloudWatch Logs or S3) comes from
# destination.tf, which defines local.flow_log.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "this" {
  cidr_block = "10.60.0.0/16"
  tags       = { Name = "e2e-flow" }
}

resource "aws_flow_log" "vpc" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = local.flow_log.type
  log_destination          = local.flow_log.destination
  iam_role_arn             = local.flow_log.role
  max_aggregation_interval = 60

  tags = { Name = "e2e" }
}
