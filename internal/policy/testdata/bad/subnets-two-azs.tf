locals {
  azs = ["us-east-1a", "us-east-1b"]
}

resource "aws_subnet" "private" {
  count             = length(local.azs)
  vpc_id            = "vpc-0123456789abcdef0"
  cidr_block        = "10.0.${count.index}.0/24"
  availability_zone = local.azs[count.index] # want: VGL-R001
}
