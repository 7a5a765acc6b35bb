variable "azs" {
  type = list(string)
}

resource "aws_subnet" "this" {
  count             = length(var.azs)
  vpc_id            = "vpc-0123456789abcdef0"
  availability_zone = var.azs[count.index]
  cidr_block        = "10.0.${count.index}.0/24"
}
