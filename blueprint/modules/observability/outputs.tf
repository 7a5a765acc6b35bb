output "pager_topic_arn" {
  description = "ARN of the SNS pager topic."
  value       = aws_sns_topic.pager.arn
}

output "pager_kms_key_arn" {
  description = "KMS key encrypting the pager topic; anyone publishing needs kms:GenerateDataKey* and kms:Decrypt on it."
  value       = aws_kms_key.pager.arn
}

output "alarm_name_prefix" {
  description = "Prefix shared by every alarm of this module (what the remediation rule matches)."
  value       = local.alarm_prefix
}

output "alarm_names" {
  description = "Alarm names by alarm key."
  value = {
    alb_target_5xx         = aws_cloudwatch_metric_alarm.alb_target_5xx.alarm_name
    alb_target_latency_p99 = aws_cloudwatch_metric_alarm.alb_target_latency_p99.alarm_name
    alb_unhealthy_hosts    = aws_cloudwatch_metric_alarm.alb_unhealthy_hosts.alarm_name
    ecs_cpu_high           = aws_cloudwatch_metric_alarm.ecs_cpu_high.alarm_name
    app_log_errors         = aws_cloudwatch_metric_alarm.app_log_errors.alarm_name
  }
}

output "runbooks" {
  description = "Runbook URL by alarm key."
  value       = local.runbooks
}

output "error_metric" {
  description = "Namespace and name of the application error metric from the log filter."
  value       = { namespace = local.error_namespace, name = local.error_metric }
}
