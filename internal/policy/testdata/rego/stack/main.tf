resource "aws_s3_bucket" "tagged" {
  bucket = "acme-tagged"
  tags = {
    owner         = "sre"
    "cost-center" = "42"
    team          = "platform"
  }
}

resource "aws_s3_bucket" "untagged" {
  bucket = "acme-untagged"
  acl    = "public-read"
  tags = {
    owner = "sre"
  }
}
