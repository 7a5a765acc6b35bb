resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
  acl    = "private"

resource "aws_sns_topic" "x" {
  name = 
}
