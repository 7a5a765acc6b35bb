terraform {
  backend "s3" {
    bucket       = "acme-tfstate"
    key          = "prod/app.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

module "alerts" {
  source = "../../../modules/topic"
  name   = "prod-alerts"
}

resource "aws_security_group" "bastion" {
  name = "bastion"

  ingress {
    from_port = 22
    to_port   = 22
    protocol  = "tcp"
    # vigil:ignore VGL-S001 break-glass access, closed by the nightly job
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_kms_key" "app" {
  description = "app data"
}

resource "aws_s3_bucket" "data" {
  bucket = "acme-prod-data"
  tags = {
    owner = "sre"
  }
}
