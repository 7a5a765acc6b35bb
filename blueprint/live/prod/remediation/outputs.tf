output "function_name" {
  description = "Remediation Lambda."
  value       = module.remediation.function_name
}

output "event_rule_name" {
  description = "EventBridge rule that invokes it."
  value       = module.remediation.event_rule_name
}

output "errors_alarm_name" {
  description = "Alarm on the remediator's own errors."
  value       = module.remediation.errors_alarm_name
}
