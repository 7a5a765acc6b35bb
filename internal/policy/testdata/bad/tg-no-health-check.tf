resource "aws_lb_target_group" "api" { # want: VGL-R060
  name        = "api"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = "vpc-0123456789abcdef0"
}
