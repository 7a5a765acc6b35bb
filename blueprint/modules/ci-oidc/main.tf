# CI identity (M12): GitHub Actions assumes the deploy role through OIDC; no access keys exist.
# Trust is limited to one repository and to its protected branch and/or one deployment
# environment.

locals {
  oidc_url          = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  subjects = concat(
    var.branch == null ? [] : ["repo:${var.github_repo}:ref:refs/heads/${var.branch}"],
    var.environment == null ? [] : ["repo:${var.github_repo}:environment:${var.environment}"],
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.oidc_url}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.thumbprint_list
  tags            = var.tags
}

resource "aws_iam_role" "deploy" {
  name                 = var.role_name
  description          = "Assumed by GitHub Actions in ${var.github_repo} through OIDC to plan and apply"
  max_session_duration = var.max_session_duration

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "GitHubActionsOIDC"
        Effect    = "Allow"
        Principal = { Federated = local.oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.oidc_url}:aud" = "sts.amazonaws.com"
            "${local.oidc_url}:sub" = local.subjects
          }
        }
      },
    ]
  })

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.subjects) > 0
      error_message = "Set branch or environment (or both): a role any workflow of the repository could assume is not limited enough."
    }

    precondition {
      condition     = var.create_oidc_provider || var.oidc_provider_arn != null
      error_message = "Set oidc_provider_arn when create_oidc_provider is false."
    }
  }
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = toset(var.policy_arns)

  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}
