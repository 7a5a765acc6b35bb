resource "aws_ecs_service" "api" { # want: VGL-R050
  name            = "api"
  cluster         = "prod"
  task_definition = "api:42"
  desired_count   = 3
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = ["subnet-a", "subnet-b", "subnet-c"]
    security_groups = ["sg-0123456789abcdef0"]
  }
}
