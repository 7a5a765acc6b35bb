# The observability resources of the blueprint, and the other kinds the
# sandbox's CloudWatch, CloudWatch Logs and SNS serve, against the sandbox.
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

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  tags       = { Project = "vigil", Env = "sandbox" }
  pager      = [aws_sns_topic.pager.arn]
}

resource "aws_kms_key" "observability" {
  description             = "Encrypts the pager topic and the app logs"
  deletion_window_in_days = 7
}

# --- SNS --------------------------------------------------------------------

resource "aws_sns_topic" "pager" {
  name              = "vigil-pager"
  display_name      = "Vigil pager"
  kms_master_key_id = aws_kms_key.observability.arn
  delivery_policy = jsonencode({
    http = {
      defaultHealthyRetryPolicy = { minDelayTarget = 20, maxDelayTarget = 20, numRetries = 3, numMaxDelayRetries = 0, numNoDelayRetries = 0, numMinDelayRetries = 0, backoffFunction = "linear" }
      disableSubscriptionOverrides = false
    }
  })
  tags = local.tags
}

resource "aws_sns_topic_policy" "pager" {
  arn = aws_sns_topic.pager.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountOwnerManages"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account_id}:root" }
        Action    = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes"]
        Resource  = aws_sns_topic.pager.arn
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.pager.arn
        Condition = { ArnLike = { "aws:SourceArn" = "arn:aws:cloudwatch:us-east-1:${local.account_id}:alarm:*" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.pager.arn
  protocol  = "email"
  endpoint  = "oncall@example.com"
}

resource "aws_sns_topic_subscription" "https" {
  topic_arn = aws_sns_topic.pager.arn
  protocol  = "https"
  endpoint  = "https://events.example.com/integration/abc/enqueue"
}

resource "aws_sns_topic_subscription" "queue" {
  topic_arn            = aws_sns_topic.pager.arn
  protocol             = "sqs"
  endpoint             = "arn:aws:sqs:us-east-1:${local.account_id}:pager-archive"
  raw_message_delivery = true
  filter_policy        = jsonencode({ severity = ["critical", "high"] })
}

# --- CloudWatch Logs ----------------------------------------------------------

resource "aws_cloudwatch_log_group" "app" {
  name              = "/vigil/sandbox/app"
  retention_in_days = 90
  kms_key_id        = aws_kms_key.observability.arn
  tags              = local.tags
}

resource "aws_cloudwatch_log_metric_filter" "app_errors" {
  name           = "vigil-app-errors"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "\"ERROR\""

  metric_transformation {
    name          = "AppLogErrors"
    namespace     = "Vigil/sandbox"
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_log_metric_filter" "latency" {
  name           = "vigil-app-latency"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "{ $.latency_ms > 0 }"

  metric_transformation {
    name       = "LatencyMs"
    namespace  = "Vigil/sandbox"
    value      = "$.latency_ms"
    dimensions = { Route = "$.route" }
    unit       = "Milliseconds"
  }
}

# --- CloudWatch ---------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "alb_target_5xx" {
  alarm_name        = "vigil-sandbox-alb-target-5xx"
  alarm_description = "Targets returned more than 25 5xx responses a minute in 2 of the last 3 minutes."

  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = "app/vigil/0123456789abcdef" }
  statistic           = "Sum"
  period              = 60
  threshold           = 25
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  alarm_actions = local.pager
  ok_actions    = local.pager

  tags = merge(local.tags, { "vigil:runbook" = "https://example.com/runbooks/alb-target-5xx.md" })
}

resource "aws_cloudwatch_metric_alarm" "latency_p99" {
  alarm_name          = "vigil-sandbox-latency-p99"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = "app/vigil/0123456789abcdef", TargetGroup = "targetgroup/vigil/0123456789abcdef" }
  extended_statistic  = "p99"
  period              = 60
  threshold           = 1.5
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  evaluate_low_sample_count_percentiles = "ignore"

  alarm_actions = local.pager
  tags          = local.tags
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "vigil-sandbox-error-rate"
  alarm_description   = "More than 5% of requests failed."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = 5
  treat_missing_data  = "missing"

  metric_query {
    id          = "rate"
    expression  = "100 * errors / requests"
    label       = "Error rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "Vigil/sandbox"
      metric_name = "AppLogErrors"
      period      = 60
      stat        = "Sum"
      unit        = "Count"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = "app/vigil/0123456789abcdef" }
      period      = 60
      stat        = "Sum"
    }
  }

  alarm_actions = local.pager
}

resource "aws_cloudwatch_composite_alarm" "service_unhealthy" {
  alarm_name        = "vigil-sandbox-service-unhealthy"
  alarm_description = "Errors and latency together."
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.alb_target_5xx.alarm_name}\") OR (ALARM(\"${aws_cloudwatch_metric_alarm.error_rate.alarm_name}\") AND ALARM(${aws_cloudwatch_metric_alarm.latency_p99.alarm_name}))"

  alarm_actions = local.pager
  ok_actions    = local.pager
  tags          = local.tags
}

output "topic_arn" {
  value = aws_sns_topic.pager.arn
}

output "https_subscription_pending" {
  value = aws_sns_topic_subscription.https.pending_confirmation
}
