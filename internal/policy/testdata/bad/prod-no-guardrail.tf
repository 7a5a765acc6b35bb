# A production foundation (by its default tags) that lets anyone write through the console.
provider "aws" { # want: VGL-R070
  region = "us-east-1"

  default_tags {
    tags = {
      "vigil:env"   = "prod"
      "vigil:layer" = "foundation"
    }
  }
}

resource "aws_iam_role" "deploy" {
  name = "prod-ci-deploy"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRoleWithWebIdentity", Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" } }]
  })
}
