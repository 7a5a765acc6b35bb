variable "admin_cidr" {
  type = string
}

variable "azs" {
  type = list(string)
}

module "net" {
  source = "./modules/net"
  azs    = var.azs
}

resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  security_group_id = "sg-0123456789abcdef0"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = [var.admin_cidr]
}
