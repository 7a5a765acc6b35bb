resource "aws_s3_bucket" "teamless" {
  bucket = "acme-teamless"
  tags = {
    owner         = "sre"
    "cost-center" = "42"
  }
}
