resource "aws_vpc" "main" { # want: VGL-S060
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
}
