# Remediation (M4): CloudWatch alarm state changes to ALARM for this system's alarms go through
# EventBridge to a Go Lambda that replaces rather than repairs (stops unhealthy tasks and lets
# the ECS scheduler start fresh ones). It escalates to the pager when remediation fails or
# repeats; invocations that fail outright land on the pager too.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  service_arn    = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/${var.cluster_name}/${var.service_name}"
  task_arns      = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${var.cluster_name}/*"
  alarm_arns     = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.alarm_name_prefix}*"
  log_group_name = "/aws/lambda/${var.name}"
  runbook_url    = "${trimsuffix(var.runbook_base_url, "/")}/remediator-errors.md"
}

resource "aws_cloudwatch_log_group" "remediator" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "remediator" {
  name = var.name

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "remediator" {
  name = "remediate"
  role = aws_iam_role.remediator.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadTheService"
          Effect   = "Allow"
          Action   = ["ecs:DescribeServices"]
          Resource = [local.service_arn]
        },
        {
          Sid      = "ListTasksInTheCluster"
          Effect   = "Allow"
          Action   = ["ecs:ListTasks"]
          Resource = ["*"]
          Condition = {
            ArnEquals = { "ecs:cluster" = var.cluster_arn }
          }
        },
        {
          Sid      = "ReplaceTasksInTheCluster"
          Effect   = "Allow"
          Action   = ["ecs:DescribeTasks", "ecs:StopTask"]
          Resource = [local.task_arns]
          Condition = {
            ArnEquals = { "ecs:cluster" = var.cluster_arn }
          }
        },
        {
          # DescribeTargetHealth supports no resource-level permissions.
          Sid      = "ReadTargetHealth"
          Effect   = "Allow"
          Action   = ["elasticloadbalancing:DescribeTargetHealth"]
          Resource = ["*"]
        },
        {
          Sid      = "ReadThisSystemsAlarms"
          Effect   = "Allow"
          Action   = ["cloudwatch:DescribeAlarms"]
          Resource = [local.alarm_arns]
        },
        {
          Sid      = "EscalateToThePager"
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = [var.pager_topic_arn]
        },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${aws_cloudwatch_log_group.remediator.arn}:*"]
        },
        {
          # The remediator marks "escalated once for this alarm episode" with a log stream
          # in its own group, and reads those markers back before paging.
          Sid      = "ReadOwnEscalationMarkers"
          Effect   = "Allow"
          Action   = ["logs:DescribeLogStreams"]
          Resource = ["${aws_cloudwatch_log_group.remediator.arn}:*"]
        },
      ],
      var.app_metrics_namespace == "" ? [] : [
        {
          # The app's per-task metrics name the task behind a gray failure (5xx while passing
          # health checks). GetMetricData supports no resource-level permissions.
          Sid      = "ReadAppMetrics"
          Effect   = "Allow"
          Action   = ["cloudwatch:GetMetricData"]
          Resource = ["*"]
        },
      ],
      var.pager_kms_key_arn == null ? [] : [
        {
          Sid      = "PublishToTheEncryptedPager"
          Effect   = "Allow"
          Action   = ["kms:GenerateDataKey*", "kms:Decrypt"]
          Resource = [var.pager_kms_key_arn]
        },
      ],
    )
  })
}

resource "aws_lambda_function" "remediator" {
  function_name    = var.name
  description      = "vigil remediation: replace, don't repair. Acts on ALARM of ${var.alarm_name_prefix}* alarms."
  role             = aws_iam_role.remediator.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  timeout          = var.timeout_seconds
  memory_size      = var.memory_mb

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = merge(
      {
        CLUSTER              = var.cluster_name
        SERVICE              = var.service_name
        TARGET_GROUP_ARN     = var.target_group_arn
        PAGER_TOPIC_ARN      = var.pager_topic_arn
        MAX_ATTEMPTS         = tostring(var.max_attempts)
        ALARM_NAME_PREFIX    = var.alarm_name_prefix
        ESCALATION_LOG_GROUP = aws_cloudwatch_log_group.remediator.name
      },
      var.app_metrics_namespace == "" ? {} : { APP_METRICS_NAMESPACE = var.app_metrics_namespace },
    )
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = fileexists(var.lambda_zip_path)
      error_message = "The remediator zip ${var.lambda_zip_path} does not exist. Build cmd/vigil-remediator for linux/amd64 as an executable named bootstrap, zip it to that path (or set lambda_zip_path), then plan again."
    }

    precondition {
      condition     = !startswith(var.name, var.alarm_name_prefix)
      error_message = "The function name ${var.name} starts with the alarm prefix ${var.alarm_name_prefix}: its own error alarm would trigger it. Pick a name outside the prefix."
    }
  }

  depends_on = [aws_cloudwatch_log_group.remediator, aws_iam_role_policy.remediator]
}

resource "aws_lambda_function_event_invoke_config" "remediator" {
  function_name                = aws_lambda_function.remediator.function_name
  maximum_retry_attempts       = var.async_retry_attempts
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = var.pager_topic_arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "alarm_state" {
  name        = "${var.name}-alarm-state"
  description = "CloudWatch alarms named ${var.alarm_name_prefix}* entering ALARM"

  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    detail = {
      state     = { value = ["ALARM"] }
      alarmName = [{ prefix = var.alarm_name_prefix }]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "remediator" {
  rule      = aws_cloudwatch_event_rule.alarm_state.name
  target_id = "remediator"
  arn       = aws_lambda_function.remediator.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

# An alarm that stays in ALARM sends no further events: this schedule wakes the remediator
# to re-check its alarms, so MAX_ATTEMPTS and the escalation deadline can take effect.
resource "aws_cloudwatch_event_rule" "follow_up" {
  name                = "${var.name}-follow-up"
  description         = "Re-check ${var.alarm_name_prefix}* alarms still in ALARM; escalate when remediation is not working"
  schedule_expression = "rate(1 minute)"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "follow_up" {
  rule      = aws_cloudwatch_event_rule.follow_up.name
  target_id = "remediator"
  arn       = aws_lambda_function.remediator.arn
}

resource "aws_lambda_permission" "follow_up" {
  statement_id  = "AllowEventBridgeFollowUp"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.remediator.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.follow_up.arn
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowEventBridgeAlarmRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.remediator.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.alarm_state.arn
}

# The remediator watching itself: its errors page a person directly. The name sits outside
# alarm_name_prefix, so this alarm never invokes the function it is about.
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name        = "${var.name}-errors"
  alarm_description = "The remediation function ${var.name} failed in 2 of the last 5 minutes: automatic recovery is not running, a person must act. Runbook: ${local.runbook_url}"

  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.remediator.function_name }
  statistic           = "Sum"
  period              = 60
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  alarm_actions = [var.pager_topic_arn]
  ok_actions    = [var.pager_topic_arn]

  tags = merge(var.tags, { "vigil:runbook" = local.runbook_url })
}
