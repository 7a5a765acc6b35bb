output "cluster_name" {
  description = "ECS cluster."
  value       = module.workload.cluster_name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = module.workload.cluster_arn
}

output "service_name" {
  description = "ECS service."
  value       = module.workload.service_name
}

output "alb_arn_suffix" {
  description = "LoadBalancer dimension of the ALB metrics."
  value       = module.workload.alb_arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.workload.alb_dns_name
}

output "service_url" {
  description = "URL of the service (canaries probe it)."
  value       = module.workload.service_url
}

output "target_group_arn" {
  description = "ARN of the target group."
  value       = module.workload.target_group_arn
}

output "target_group_arn_suffix" {
  description = "TargetGroup dimension of the ALB metrics."
  value       = module.workload.target_group_arn_suffix
}

output "log_group_name" {
  description = "Application log group."
  value       = module.workload.log_group_name
}
