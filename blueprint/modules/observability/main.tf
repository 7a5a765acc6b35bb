# Observability (M3, M15, M19): the pager topic and the alarms that page it. Every alarm is
# M-of-N with missing data not breaching, sends both ALARM and OK to the pager, and ends its
# description with a link to its runbook.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  alarm_prefix = "${var.name}-"
  runbook_base = trimsuffix(var.runbook_base_url, "/")
  runbooks = {
    alb_target_5xx         = "${local.runbook_base}/alb-target-5xx.md"
    alb_target_latency_p99 = "${local.runbook_base}/alb-target-latency-p99.md"
    alb_unhealthy_hosts    = "${local.runbook_base}/alb-unhealthy-hosts.md"
    ecs_cpu_high           = "${local.runbook_base}/ecs-cpu-high.md"
    app_log_errors         = "${local.runbook_base}/app-log-errors.md"
  }

  pager            = [aws_sns_topic.pager.arn]
  error_namespace  = "Vigil/${var.name}"
  error_metric     = "AppLogErrors"
  alb_dimensions   = { LoadBalancer = var.alb_arn_suffix }
  tg_dimensions    = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  ecs_dimensions   = { ClusterName = var.cluster_name, ServiceName = var.service_name }
  runbook_tag_name = "vigil:runbook"
}

# --- Pager ---------------------------------------------------------------------------------------

# A customer-managed key: the AWS-managed alias/aws/sns key cannot be used by CloudWatch alarms,
# whose service principal must be allowed in the key policy.
resource "aws_kms_key" "pager" {
  description             = "Encrypts the ${var.name} pager topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_kms_alias" "pager" {
  name          = "alias/${var.name}-pager"
  target_key_id = aws_kms_key.pager.key_id
}

resource "aws_sns_topic" "pager" {
  name              = "${var.name}-pager"
  kms_master_key_id = aws_kms_key.pager.arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "pager" {
  arn = aws_sns_topic.pager.arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountOwnerManages"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "sns:Publish",
          "sns:Subscribe",
          "sns:Receive",
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:ListSubscriptionsByTopic",
          "sns:AddPermission",
          "sns:RemovePermission",
          "sns:DeleteTopic",
        ]
        Resource = aws_sns_topic.pager.arn
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.pager.arn
        Condition = {
          ArnLike = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*" }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.pager.arn
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "pager" {
  for_each = { for i, s in var.pager_subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.pager.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

# --- User-facing signals first (M14): errors and latency at the load balancer --------------------

resource "aws_cloudwatch_metric_alarm" "alb_target_5xx" {
  alarm_name        = "${local.alarm_prefix}alb-target-5xx"
  alarm_description = "Targets of ${var.service_name} returned more than ${var.target_5xx_threshold} 5xx responses a minute in 2 of the last 3 minutes: users are getting errors. Runbook: ${local.runbooks.alb_target_5xx}"

  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = local.alb_dimensions
  statistic           = "Sum"
  period              = 60
  threshold           = var.target_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  alarm_actions = local.pager
  ok_actions    = local.pager

  tags = merge(var.tags, { (local.runbook_tag_name) = local.runbooks.alb_target_5xx })
}

resource "aws_cloudwatch_metric_alarm" "alb_target_latency_p99" {
  alarm_name        = "${local.alarm_prefix}alb-target-latency-p99"
  alarm_description = "p99 response time of ${var.service_name} above ${var.latency_p99_threshold_seconds}s in 3 of the last 5 minutes: the slowest users are waiting. Runbook: ${local.runbooks.alb_target_latency_p99}"

  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.tg_dimensions
  extended_statistic  = "p99"
  period              = 60
  threshold           = var.latency_p99_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  # A p99 over a handful of requests is noise; do not change state on it.
  evaluate_low_sample_count_percentiles = "ignore"

  alarm_actions = local.pager
  ok_actions    = local.pager

  tags = merge(var.tags, { (local.runbook_tag_name) = local.runbooks.alb_target_latency_p99 })
}

resource "aws_cloudwatch_metric_alarm" "alb_unhealthy_hosts" {
  alarm_name        = "${local.alarm_prefix}alb-unhealthy-hosts"
  alarm_description = "The load balancer saw unhealthy ${var.service_name} targets in 2 of the last 3 minutes. Remediation replaces failing tasks. Runbook: ${local.runbooks.alb_unhealthy_hosts}"

  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.tg_dimensions
  statistic           = "Maximum"
  period              = 60
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  alarm_actions = local.pager
  ok_actions    = local.pager

  tags = merge(var.tags, { (local.runbook_tag_name) = local.runbooks.alb_unhealthy_hosts })
}

# --- Resource signals ----------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "ecs_cpu_high" {
  alarm_name        = "${local.alarm_prefix}ecs-cpu-high"
  alarm_description = "Average CPU of ${var.service_name} above ${var.cpu_high_threshold}% in 4 of the last 5 minutes although auto scaling targets 60%: scaling is not keeping up or is at its maximum. Runbook: ${local.runbooks.ecs_cpu_high}"

  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.ecs_dimensions
  statistic           = "Average"
  period              = 60
  threshold           = var.cpu_high_threshold
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  datapoints_to_alarm = 4
  treat_missing_data  = "notBreaching"

  alarm_actions = local.pager
  ok_actions    = local.pager

  tags = merge(var.tags, { (local.runbook_tag_name) = local.runbooks.ecs_cpu_high })
}

# --- Logs ----------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_metric_filter" "app_errors" {
  name           = "${var.name}-app-errors"
  log_group_name = var.log_group_name
  pattern        = var.error_log_pattern

  metric_transformation {
    name          = local.error_metric
    namespace     = local.error_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "app_log_errors" {
  alarm_name        = "${local.alarm_prefix}app-log-errors"
  alarm_description = "${var.service_name} logged more than ${var.app_error_threshold} error lines a minute in 2 of the last 3 minutes. Runbook: ${local.runbooks.app_log_errors}"

  namespace           = local.error_namespace
  metric_name         = local.error_metric
  statistic           = "Sum"
  period              = 60
  threshold           = var.app_error_threshold
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  alarm_actions = local.pager
  ok_actions    = local.pager

  tags = merge(var.tags, { (local.runbook_tag_name) = local.runbooks.app_log_errors })

  depends_on = [aws_cloudwatch_log_metric_filter.app_errors]
}
