# Offline: the AWS provider is mocked; data sources get fixed values so the plan is known.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:us-east-1:123456789012:key/0d5c6b9e-1111-4222-8333-444455556666"
      key_id = "0d5c6b9e-1111-4222-8333-444455556666"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/vigil/test/vpc-flow-logs"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/test-vpc-flow-logs"
    }
  }
}

variables {
  name = "vigil-test"
}

run "three_azs_with_public_and_private_subnets" {
  command = apply

  assert {
    condition     = aws_vpc.this.cidr_block == "10.40.0.0/16" && aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "The VPC must default to 10.40.0.0/16 with DNS support and hostnames."
  }

  assert {
    condition     = output.azs == tolist(["us-east-1a", "us-east-1b", "us-east-1c"])
    error_message = "Without azs, the module must use the first three available zones."
  }

  assert {
    condition     = length(aws_subnet.public) == 3 && length(distinct(aws_subnet.public[*].availability_zone)) == 3
    error_message = "There must be one public subnet in each of three distinct AZs."
  }

  assert {
    condition     = length(aws_subnet.private) == 3 && length(distinct(aws_subnet.private[*].availability_zone)) == 3
    error_message = "There must be one private subnet in each of three distinct AZs."
  }

  assert {
    condition     = toset(aws_subnet.public[*].availability_zone) == toset(aws_subnet.private[*].availability_zone)
    error_message = "Every AZ must have both a public and a private subnet."
  }

  assert {
    condition     = length(distinct(concat(aws_subnet.public[*].cidr_block, aws_subnet.private[*].cidr_block))) == 6
    error_message = "Subnet CIDRs must be distinct."
  }

  assert {
    condition     = alltrue([for s in concat(aws_subnet.public, aws_subnet.private) : s.vpc_id == aws_vpc.this.id])
    error_message = "All subnets must be in the module's VPC."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(distinct(aws_nat_gateway.this[*].subnet_id)) == 3
    error_message = "By default there must be one NAT gateway per AZ, each in its own public subnet."
  }

  assert {
    condition     = [for r in aws_route.private_nat : r.nat_gateway_id] == aws_nat_gateway.this[*].id
    error_message = "Each private route table must route through the NAT gateway of its own AZ."
  }
}

run "flow_logs_kept_90_days_and_encrypted_with_a_rotating_key" {
  command = apply

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days == 90
    error_message = "Flow logs must be retained 90 days."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == aws_kms_key.flow_logs.arn
    error_message = "The flow log group must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_kms_key.flow_logs.enable_key_rotation
    error_message = "The flow log KMS key must rotate."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_kms_key.flow_logs.policy).Statement :
      try(s.Principal.Service, "") == "logs.us-east-1.amazonaws.com"
    ])
    error_message = "The key policy must let the regional CloudWatch Logs service use the key."
  }

  assert {
    condition = (
      aws_flow_log.vpc.vpc_id == aws_vpc.this.id &&
      aws_flow_log.vpc.traffic_type == "ALL" &&
      aws_flow_log.vpc.log_destination == aws_cloudwatch_log_group.flow_logs.arn &&
      aws_flow_log.vpc.iam_role_arn == aws_iam_role.flow_logs.arn
    )
    error_message = "Flow logs must be on for the VPC, all traffic, into the encrypted log group."
  }
}

run "single_nat_gateway_for_non_production" {
  command = plan

  variables {
    single_nat_gateway = true
    azs                = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 3
    error_message = "single_nat_gateway must create one NAT gateway shared by all three private route tables."
  }

  assert {
    condition     = aws_subnet.private[*].availability_zone == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    error_message = "Explicit azs must be used in order."
  }
}

run "two_azs_are_rejected" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1b"]
  }

  expect_failures = [var.azs]
}

run "flow_log_retention_below_90_days_is_rejected" {
  command = plan

  variables {
    flow_log_retention_days = 30
  }

  expect_failures = [var.flow_log_retention_days]
}

run "region_with_two_zones_is_refused" {
  command = plan

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names = ["ap-northeast-3a", "ap-northeast-3b"]
    }
  }

  expect_failures = [aws_vpc.this]
}
