terraform {
  backend "s3" {
    bucket = "state"
    key    = "dev/foundation/terraform.tfstate"
  }
}

output "vpc_id" {
  value = "vpc-123"
}
