# Offline: the AWS provider is mocked, so these runs prove what the module asks AWS for.

mock_provider "aws" {
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/vigil-ci-deploy"
    }
  }
}

variables {
  github_repo = "acme/infra"
}

run "trust_is_limited_to_one_repository_and_branch" {
  command = apply

  assert {
    condition = (
      aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" &&
      aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    )
    error_message = "The OIDC provider must be GitHub's, for the sts.amazonaws.com audience."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn
    error_message = "The role must trust the GitHub OIDC provider."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity"
    error_message = "The role must be assumed with a web identity token."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "The trust must require the sts.amazonaws.com audience."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/infra:ref:refs/heads/main"]
    error_message = "The trust must be limited to the main branch of acme/infra."
  }

  assert {
    condition     = length(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement) == 1 && !can(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringLike)
    error_message = "No wildcard subject may widen the trust."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.deploy) == 0
    error_message = "The role must get no permissions unless policy_arns grants them."
  }
}

run "environment_and_existing_provider" {
  command = apply

  variables {
    branch               = null
    environment          = "production"
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    policy_arns          = ["arn:aws:iam::123456789012:policy/vigil-deploy"]
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/infra:environment:production"]
    error_message = "With an environment, the trust must name that environment of the repository."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "No provider may be created when an existing one is given."
  }

  assert {
    condition     = [for a in aws_iam_role_policy_attachment.deploy : a.policy_arn] == ["arn:aws:iam::123456789012:policy/vigil-deploy"]
    error_message = "policy_arns must be attached to the role."
  }
}

run "wildcard_repository_is_rejected" {
  command = plan

  variables {
    github_repo = "acme/*"
  }

  expect_failures = [var.github_repo]
}

run "neither_branch_nor_environment_is_refused" {
  command = plan

  variables {
    branch = null
  }

  expect_failures = [aws_iam_role.deploy]
}
