# Offline: the AWS provider is mocked, so these runs prove what the module asks AWS for.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/vigil-test"
    }
  }

  mock_resource "aws_ecs_cluster" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:cluster/vigil-test"
      id  = "arn:aws:ecs:us-east-1:123456789012:cluster/vigil-test"
    }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/vigil-test:1"
    }
  }

  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/vigil-test/50dc6c495c0c9188"
      arn_suffix = "app/vigil-test/50dc6c495c0c9188"
      dns_name   = "vigil-test-123.us-east-1.elb.amazonaws.com"
    }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/vigil-test-tg/73e2d6bc24d8a067"
      arn_suffix = "targetgroup/vigil-test-tg/73e2d6bc24d8a067"
    }
  }

  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/vigil-test/50dc6c495c0c9188/f2f7dc8efc522ab2"
    }
  }
}

variables {
  name               = "vigil-test"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"]
  private_subnet_ids = ["subnet-1000000000000000a", "subnet-1000000000000000b", "subnet-1000000000000000c"]
}

run "auto_scaling_min_3_max_20_cpu_target_60_asymmetric_cooldowns" {
  command = apply

  assert {
    condition = (
      aws_appautoscaling_target.service.service_namespace == "ecs" &&
      aws_appautoscaling_target.service.scalable_dimension == "ecs:service:DesiredCount" &&
      aws_appautoscaling_target.service.resource_id == "service/vigil-test/vigil-test"
    )
    error_message = "The scalable target must be the service's ECS DesiredCount."
  }

  assert {
    condition     = aws_appautoscaling_target.service.min_capacity == 3 && aws_appautoscaling_target.service.max_capacity == 20
    error_message = "Scaling bounds must be min 3, max 20."
  }

  assert {
    condition     = aws_appautoscaling_policy.cpu.policy_type == "TargetTrackingScaling"
    error_message = "The policy must be target tracking."
  }

  assert {
    condition     = aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization"
    error_message = "The policy must track ECSServiceAverageCPUUtilization."
  }

  assert {
    condition     = aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].target_value == 60
    error_message = "The CPU target must be 60."
  }

  assert {
    condition     = aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].scale_out_cooldown == 60
    error_message = "The scale-out cooldown must be 60 seconds."
  }

  assert {
    condition     = aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].scale_in_cooldown == 300
    error_message = "The scale-in cooldown must be 300 seconds."
  }

  assert {
    condition     = aws_appautoscaling_policy.cpu.resource_id == aws_appautoscaling_target.service.resource_id
    error_message = "The policy must act on the service's scalable target."
  }
}

run "fargate_service_behind_the_alb_with_health_checks_and_rollback" {
  command = apply

  assert {
    condition     = aws_ecs_service.app.launch_type == "FARGATE" && aws_ecs_service.app.desired_count == 3
    error_message = "The service must run on Fargate starting at min_capacity tasks."
  }

  assert {
    condition     = aws_ecs_service.app.deployment_circuit_breaker[0].enable && aws_ecs_service.app.deployment_circuit_breaker[0].rollback
    error_message = "Failed deployments must stop and roll back."
  }

  assert {
    condition     = toset(one(aws_ecs_service.app.network_configuration).subnets) == toset(var.private_subnet_ids) && !one(aws_ecs_service.app.network_configuration).assign_public_ip
    error_message = "Tasks must run in the private subnets without public IPs."
  }

  assert {
    condition     = one(aws_ecs_service.app.load_balancer).target_group_arn == aws_lb_target_group.app.arn && one(aws_ecs_service.app.load_balancer).container_port == 80
    error_message = "The service must register its tasks in the ALB target group on port 80."
  }

  assert {
    condition     = toset(aws_lb.this.subnets) == toset(var.public_subnet_ids) && !aws_lb.this.internal
    error_message = "The ALB must be internet-facing in the public subnets."
  }

  assert {
    condition = (
      aws_lb_target_group.app.health_check[0].enabled &&
      aws_lb_target_group.app.health_check[0].path == "/" &&
      aws_lb_target_group.app.health_check[0].matcher == "200-399" &&
      aws_lb_target_group.app.health_check[0].healthy_threshold == 3 &&
      aws_lb_target_group.app.health_check[0].unhealthy_threshold == 3 &&
      aws_lb_target_group.app.health_check[0].interval == 15
    )
    error_message = "The target group needs the real HTTP health check (/, 200-399, 3/3, every 15 s)."
  }

  assert {
    condition     = aws_lb_listener.http.port == 80 && aws_lb_listener.http.default_action[0].type == "forward" && aws_lb_listener.http.default_action[0].target_group_arn == aws_lb_target_group.app.arn
    error_message = "Without a certificate, port 80 must forward to the target group."
  }

  assert {
    condition     = [for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"] == ["enabled"]
    error_message = "Container Insights must be enabled on the cluster."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.app.container_definitions)[0].logConfiguration.options.awslogs-group == aws_cloudwatch_log_group.app.name
    error_message = "Containers must log to the module's log group."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.tasks_from_alb.referenced_security_group_id == aws_security_group.alb.id
    error_message = "Tasks must accept traffic only from the ALB's security group."
  }

  assert {
    condition     = output.alb_arn_suffix == "app/vigil-test/50dc6c495c0c9188"
    error_message = "The ALB ARN suffix (the alarms' LoadBalancer dimension) must be an output."
  }
}

run "https_when_a_certificate_is_given" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.http.default_action[0].type == "redirect"
    error_message = "With a certificate, HTTPS must be served and HTTP redirected."
  }
}

run "two_tasks_minimum_is_rejected" {
  command = plan

  variables {
    min_capacity = 2
  }

  expect_failures = [var.min_capacity]
}

run "scale_in_faster_than_scale_out_is_refused" {
  command = plan

  variables {
    scale_in_cooldown  = 30
    scale_out_cooldown = 60
  }

  expect_failures = [aws_appautoscaling_policy.cpu]
}
