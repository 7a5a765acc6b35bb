# "temporary" rule from a debugging session
resource "aws_security_group_rule" "debug" {
  type              = "ingress"
  security_group_id = "sg-0123456789abcdef0"
  from_port         = 0
  to_port           = 65535
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"] # want: VGL-S002
}
