output "function_name" {
  description = "Name of the remediation Lambda."
  value       = aws_lambda_function.remediator.function_name
}

output "function_arn" {
  description = "ARN of the remediation Lambda."
  value       = aws_lambda_function.remediator.arn
}

output "role_arn" {
  description = "ARN of the remediation Lambda's execution role."
  value       = aws_iam_role.remediator.arn
}

output "event_rule_name" {
  description = "Name of the EventBridge rule routing alarm state changes to the Lambda."
  value       = aws_cloudwatch_event_rule.alarm_state.name
}

output "event_rule_arn" {
  description = "ARN of that rule."
  value       = aws_cloudwatch_event_rule.alarm_state.arn
}

output "log_group_name" {
  description = "Log group of the remediation Lambda."
  value       = aws_cloudwatch_log_group.remediator.name
}

output "errors_alarm_name" {
  description = "Alarm on the Lambda's own errors."
  value       = aws_cloudwatch_metric_alarm.errors.alarm_name
}
