output "pager_topic_arn" {
  description = "SNS pager topic."
  value       = module.observability.pager_topic_arn
}

output "pager_kms_key_arn" {
  description = "KMS key of the pager topic."
  value       = module.observability.pager_kms_key_arn
}

output "alarm_name_prefix" {
  description = "Prefix of this environment's workload alarms."
  value       = module.observability.alarm_name_prefix
}

output "alarm_names" {
  description = "Alarm names by key."
  value       = module.observability.alarm_names
}

output "runbooks" {
  description = "Runbook URL by alarm key."
  value       = module.observability.runbooks
}
