resource "aws_cloudwatch_log_group" "api" { # want: VGL-S016
  name              = "/ecs/api"
  retention_in_days = 30
}
