variable "name" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "kms_key" {
  type = string
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = 30
  kms_key_id        = var.kms_key
}

resource "aws_lb_target_group" "app" {
  name        = var.name
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_ecs_service" "app" {
  name          = var.name
  desired_count = 3

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets = var.subnet_ids
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  name              = "${var.name}-cpu"
  policy_type       = "TargetTrackingScaling"
  service_namespace = "ecs"

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_out_cooldown = 60
    scale_in_cooldown  = 300
  }
}
