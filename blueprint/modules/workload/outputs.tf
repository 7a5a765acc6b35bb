output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.app.name
}

output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (the LoadBalancer dimension of AWS/ApplicationELB metrics)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "service_url" {
  description = "URL of the service through the load balancer."
  value       = "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}${var.health_check_path}"
}

output "target_group_arn" {
  description = "ARN of the service's target group."
  value       = aws_lb_target_group.app.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (the TargetGroup dimension of AWS/ApplicationELB metrics)."
  value       = aws_lb_target_group.app.arn_suffix
}

output "log_group_name" {
  description = "CloudWatch log group of the application containers."
  value       = aws_cloudwatch_log_group.app.name
}

output "tasks_security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}
