# The event-driven remediation of a service, as the blueprint wires it: a
# Go Lambda (provided.al2023) with an alias, an async failure destination
# and an EventBridge permission; an alarm-state rule with two targets (the
# function and the pager topic); a scheduled rule; and a synthetic canary
# with its artifact bucket. Applied against the vigil sandbox by
# terraform_test.go, which writes the zips and passes their paths.

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

variable "lambda_zip_path" {
  type = string
}

variable "canary_zip_path" {
  type = string
}

locals {
  name   = "vigil-remediator"
  prefix = "vigil-dev-"
  tags   = { team = "sre", stack = "remediation" }
}

resource "aws_iam_role" "remediator" {
  name = local.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = local.tags
}

resource "aws_iam_role" "canary" {
  name = "vigil-canary"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_sns_topic" "pager" {
  name = "vigil-pager"
  tags = local.tags
}

resource "aws_lambda_function" "remediator" {
  function_name    = local.name
  description      = "vigil remediation: replace, don't repair."
  role             = aws_iam_role.remediator.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  timeout          = 30
  memory_size      = 256
  publish          = true

  reserved_concurrent_executions = 5

  environment {
    variables = {
      CLUSTER           = "vigil-dev"
      PAGER_TOPIC_ARN   = aws_sns_topic.pager.arn
      ALARM_NAME_PREFIX = local.prefix
    }
  }

  tags = local.tags
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "what EventBridge invokes"
  function_name    = aws_lambda_function.remediator.function_name
  function_version = aws_lambda_function.remediator.version
}

resource "aws_lambda_function_event_invoke_config" "remediator" {
  function_name                = aws_lambda_function.remediator.function_name
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sns_topic.pager.arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "alarm_state" {
  name        = "${local.name}-alarm-state"
  description = "CloudWatch alarms named ${local.prefix}* entering ALARM"

  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    detail = {
      state     = { value = ["ALARM"] }
      alarmName = [{ prefix = local.prefix }]
    }
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "vigil-nightly-sweep"
  description         = "nightly drift sweep"
  schedule_expression = "cron(0 3 * * ? *)"
}

resource "aws_cloudwatch_event_bus" "deploys" {
  name        = "vigil-deploys"
  description = "deployment events from the pipeline"
  tags        = local.tags
}

resource "aws_cloudwatch_event_rule" "failed_deploys" {
  name           = "vigil-failed-deploys"
  event_bus_name = aws_cloudwatch_event_bus.deploys.name
  state          = "DISABLED"
  event_pattern = jsonencode({
    source = ["vigil.pipeline"]
    detail = {
      status   = [{ "anything-but" = ["SUCCEEDED", "IN_PROGRESS"] }]
      duration = [{ numeric = [">", 0, "<=", 3600] }]
    }
  })
}

resource "aws_cloudwatch_event_target" "remediator" {
  rule      = aws_cloudwatch_event_rule.alarm_state.name
  target_id = "remediator"
  arn       = aws_lambda_alias.live.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_cloudwatch_event_target" "pager" {
  rule      = aws_cloudwatch_event_rule.alarm_state.name
  target_id = "pager"
  arn       = aws_sns_topic.pager.arn

  input_transformer {
    input_paths    = { alarm = "$.detail.alarmName" }
    input_template = "\"<alarm> is in ALARM\""
  }
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowEventBridgeAlarmRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.remediator.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.alarm_state.arn
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "vigil-canary-artifacts"
  force_destroy = true
}

resource "aws_synthetics_canary" "api" {
  name                 = "vigil-api-health"
  artifact_s3_location = "s3://${aws_s3_bucket.artifacts.bucket}/"
  execution_role_arn   = aws_iam_role.canary.arn
  handler              = "canary.handler"
  zip_file             = var.canary_zip_path
  runtime_version      = "syn-nodejs-puppeteer-9.1"
  start_canary         = true

  schedule {
    expression = "rate(5 minutes)"
  }

  tags = local.tags
}

output "function_arn" {
  value = aws_lambda_function.remediator.arn
}

output "rule_arn" {
  value = aws_cloudwatch_event_rule.alarm_state.arn
}
