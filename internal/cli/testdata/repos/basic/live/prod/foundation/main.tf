terraform {
  backend "s3" {
    bucket = "state"
    key    = "prod/foundation/terraform.tfstate"
  }
}

output "vpc_id" {
  value = "vpc-123"
}
