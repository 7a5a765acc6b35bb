# An alerting setup written the way a team writes one by hand: several
# topics and alarms from maps with for_each, subscriptions per topic, one
# EventBridge rule fanning out to a Lambda alias and a topic.
#
# Apply it to vigil's sandbox with plain terraform:
#   eval "$(vigil sandbox env)"; terraform init && terraform apply
# The function's zip is passed in: -var function_zip=path/to/bootstrap.zip

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { team = "payments", "managed-by" = "terraform" }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "function_zip" {
  description = "Zip holding the handler's bootstrap executable."
  type        = string
}

locals {
  topics = {
    critical = { display_name = "Payments critical", emails = ["oncall@example.com", "lead@example.com"] }
    warning  = { display_name = "Payments warnings", emails = ["team@example.com"] }
  }

  alarms = {
    api-5xx = {
      metric    = "HTTPCode_Target_5XX_Count"
      namespace = "AWS/ApplicationELB"
      stat      = "Sum"
      threshold = 25
      severity  = "critical"
    }
    api-latency = {
      metric    = "TargetResponseTime"
      namespace = "AWS/ApplicationELB"
      stat      = "Average"
      threshold = 0.5
      severity  = "warning"
    }
    queue-depth = {
      metric    = "ApproximateNumberOfMessagesVisible"
      namespace = "AWS/SQS"
      stat      = "Maximum"
      threshold = 1000
      severity  = "warning"
    }
  }

  subscriptions = merge([
    for name, t in local.topics : {
      for email in t.emails : "${name}/${email}" => { topic = name, email = email }
    }
  ]...)
}

resource "aws_sns_topic" "alerts" {
  for_each     = local.topics
  name         = "payments-${each.key}"
  display_name = each.value.display_name
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = local.subscriptions
  topic_arn = aws_sns_topic.alerts[each.value.topic].arn
  protocol  = "email"
  endpoint  = each.value.email
}

resource "aws_sns_topic_subscription" "webhook" {
  topic_arn              = aws_sns_topic.alerts["critical"].arn
  protocol               = "https"
  endpoint               = "https://hooks.example.com/payments"
  endpoint_auto_confirms = false
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "payments-${each.key}"
  alarm_description   = "payments ${each.key}. Runbook: https://wiki.example.com/runbooks/payments-${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.stat
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[each.value.severity].arn]
  ok_actions          = [aws_sns_topic.alerts[each.value.severity].arn]
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "handler" {
  name               = "payments-alarm-handler"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_iam_role_policy_attachment" "handler_logs" {
  role       = aws_iam_role.handler.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "handler" {
  function_name    = "payments-alarm-handler"
  role             = aws_iam_role.handler.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  filename         = var.function_zip
  source_code_hash = filebase64sha256(var.function_zip)
  publish          = true
  timeout          = 30
  memory_size      = 128
  environment {
    variables = { TEAM = "payments" }
  }
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.handler.function_name
  function_version = aws_lambda_function.handler.version
}

resource "aws_cloudwatch_event_rule" "alarm_changes" {
  name        = "payments-alarm-changes"
  description = "Every state change of the payments alarms"
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    detail = {
      alarmName = [{ prefix = "payments-" }]
      state     = { value = ["ALARM", "OK"] }
    }
  })
}

resource "aws_cloudwatch_event_target" "to_lambda" {
  rule      = aws_cloudwatch_event_rule.alarm_changes.name
  target_id = "handler"
  arn       = aws_lambda_alias.live.arn
}

resource "aws_cloudwatch_event_target" "to_topic" {
  rule      = aws_cloudwatch_event_rule.alarm_changes.name
  target_id = "warning-topic"
  arn       = aws_sns_topic.alerts["warning"].arn
  input_transformer {
    input_paths    = { alarm = "$.detail.alarmName", state = "$.detail.state.value" }
    input_template = "\"Alarm <alarm> is now <state>\""
  }
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.handler.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.alarm_changes.arn
}

output "topic_arns" {
  value = { for k, t in aws_sns_topic.alerts : k => t.arn }
}
