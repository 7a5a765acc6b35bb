terraform {
  backend "s3" { # want: VGL-R030
    bucket  = "acme-terraform-state"
    key     = "prod/workload/terraform.tfstate"
    region  = "us-east-1"
    encrypt = true
  }
}
