# Console-write guardrail (M18): in production nobody but the pipeline changes what Terraform
# manages. One deny statement: write actions on the managed services, unless an AWS service makes
# the call on the caller's behalf (aws:ViaAWSService) or the caller is the pipeline's role (or an
# explicit exemption such as break-glass). Drift detection finds what slips through; tight
# permissions keep most of it from happening.

locals {
  policy_name = "${var.name}-console-write-guardrail"
  scp         = var.mode == "scp"

  # "<service>:<prefix>*" for every listed prefix, in a stable order.
  denied_actions = sort(flatten([
    for svc, prefixes in var.denied_actions : [for p in distinct(prefixes) : "${svc}:${p}*"]
  ]))

  exempt_principals = distinct(concat(var.pipeline_role_arns, var.exempt_principal_arns))

  deny_writes = {
    Sid      = "DenyWritesOutsidePipeline"
    Effect   = "Deny"
    Action   = local.denied_actions
    Resource = "*"
    Condition = {
      Bool       = { "aws:ViaAWSService" = "false" }
      ArnNotLike = { "aws:PrincipalArn" = local.exempt_principals }
    }
  }

  # Whoever the guardrail binds must not be able to lift it, even if iam is dropped from
  # denied_actions.
  deny_tampering = {
    Sid    = "DenyGuardrailTampering"
    Effect = "Deny"
    Action = [
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:DeleteRolePermissionsBoundary",
      "iam:DeleteUserPermissionsBoundary",
      "iam:PutRolePermissionsBoundary",
      "iam:PutUserPermissionsBoundary",
      "iam:SetDefaultPolicyVersion",
    ]
    Resource = "*"
    Condition = {
      ArnNotLike = { "aws:PrincipalArn" = local.exempt_principals }
    }
  }

  # A permissions boundary only caps: without an Allow it would deny everything. An SCP leaves
  # the allowing to FullAWSAccess, which Organizations attaches by default.
  allow_within_boundary = {
    Sid      = "AllowWithinBoundary"
    Effect   = "Allow"
    Action   = "*"
    Resource = "*"
  }

  policy = {
    Version = "2012-10-17"
    Statement = [
      for s in [local.allow_within_boundary, local.deny_writes, local.deny_tampering] : s
      if !(local.scp && s.Effect == "Allow")
    ]
  }

  # IAM counts characters other than white space; jsonencode writes none.
  policy_json  = jsonencode(local.policy)
  policy_limit = local.scp ? 5120 : 6144
}

resource "aws_iam_policy" "guardrail" {
  count = var.enabled && !local.scp ? 1 : 0

  name        = local.policy_name
  description = "Permissions boundary for human roles: no writes to pipeline-managed services outside the pipeline (M18)."
  policy      = local.policy_json
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = length(local.policy_json) <= local.policy_limit
      error_message = "The guardrail policy is ${length(local.policy_json)} characters; IAM allows ${local.policy_limit}. Shorten denied_actions."
    }
  }
}

resource "aws_organizations_policy" "guardrail" {
  count = var.enabled && local.scp ? 1 : 0

  name        = local.policy_name
  description = "No writes to pipeline-managed services outside the pipeline (M18)."
  type        = "SERVICE_CONTROL_POLICY"
  content     = local.policy_json
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = length(local.policy_json) <= local.policy_limit
      error_message = "The guardrail SCP is ${length(local.policy_json)} characters; Organizations allows ${local.policy_limit}. Shorten denied_actions."
    }

    precondition {
      condition     = length(var.scp_target_ids) > 0
      error_message = "scp mode needs scp_target_ids: the production account or its organizational unit."
    }
  }
}

resource "aws_organizations_policy_attachment" "guardrail" {
  for_each = var.enabled && local.scp ? toset(var.scp_target_ids) : toset([])

  policy_id = aws_organizations_policy.guardrail[0].id
  target_id = each.value
}
