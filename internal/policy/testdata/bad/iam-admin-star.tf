resource "aws_iam_role" "ci" {
  name = "github-ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
    }]
  })
}

# "just to get the pipeline working"
resource "aws_iam_role_policy" "ci" {
  name = "everything"
  role = aws_iam_role.ci.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "*" # want: VGL-S020
        Resource = "*"
      }
    ]
  })
}
