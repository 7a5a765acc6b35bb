# Offline: the AWS provider is mocked, so these runs prove what the module asks AWS for.

mock_provider "aws" {
  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::123456789012:policy/vigil-prod-console-write-guardrail"
    }
  }

  mock_resource "aws_organizations_policy" {
    defaults = {
      id = "p-examplescp1"
    }
  }
}

variables {
  name               = "vigil-prod"
  pipeline_role_arns = ["arn:aws:iam::123456789012:role/vigil-prod-ci-deploy"]
}

run "boundary_denies_writes_to_everyone_but_the_pipeline" {
  command = apply

  assert {
    condition     = length(aws_iam_policy.guardrail) == 1 && length(aws_organizations_policy.guardrail) == 0
    error_message = "The default mode must create one IAM policy (a permissions boundary) and no SCP."
  }

  assert {
    condition     = aws_iam_policy.guardrail[0].name == "vigil-prod-console-write-guardrail"
    error_message = "The policy must be named <name>-console-write-guardrail."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s.Effect if s.Sid == "DenyWritesOutsidePipeline"] == ["Deny"]
    error_message = "The policy must carry one DenyWritesOutsidePipeline statement with Effect Deny."
  }

  assert {
    condition = alltrue([
      for a in ["ec2:Create*", "ec2:Modify*", "ec2:Authorize*", "ecs:Update*", "ecs:Stop*", "elasticloadbalancing:Modify*", "application-autoscaling:Register*", "cloudwatch:Put*", "cloudwatch:Disable*", "iam:Put*", "kms:Schedule*", "s3:Delete*", "sns:Set*", "events:Put*", "lambda:Update*", "cloudformation:Create*"] :
      contains([for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s if s.Sid == "DenyWritesOutsidePipeline"][0].Action, a)
    ])
    error_message = "The deny must cover the write actions on the services the pipeline manages (and CloudFormation)."
  }

  assert {
    condition = alltrue([
      for a in [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s if s.Sid == "DenyWritesOutsidePipeline"][0].Action :
      !can(regex(":(Describe|Get|List|BatchGet|Query|Scan|Lookup|Filter)", a))
    ])
    error_message = "Reads must stay allowed: no Describe/Get/List action may be denied."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s if s.Sid == "DenyWritesOutsidePipeline"][0].Condition.Bool["aws:ViaAWSService"] == "false"
    error_message = "The deny must apply only to calls not made by an AWS service on the caller's behalf (aws:ViaAWSService = false)."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s if s.Sid == "DenyWritesOutsidePipeline"][0].Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/vigil-prod-ci-deploy"]
    error_message = "The pipeline's role, and only it, must be exempt from the deny."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s.Condition.ArnNotLike["aws:PrincipalArn"] if s.Sid == "DenyGuardrailTampering"] == [["arn:aws:iam::123456789012:role/vigil-prod-ci-deploy"]]
    error_message = "Nobody but the pipeline may remove or rewrite the boundary."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : [s.Action, s.Resource] if s.Effect == "Allow"] == [["*", "*"]]
    error_message = "A permissions boundary needs one Allow * (it caps, it does not grant) and nothing else allowed."
  }

  assert {
    condition     = length(aws_iam_policy.guardrail[0].policy) <= 6144
    error_message = "The policy must fit IAM's 6144-character managed policy limit."
  }

  assert {
    condition     = output.policy_arn == "arn:aws:iam::123456789012:policy/vigil-prod-console-write-guardrail" && output.scp_id == null
    error_message = "policy_arn must name the boundary to attach to human roles."
  }
}

run "break_glass_is_exempt_too" {
  command = apply

  variables {
    exempt_principal_arns = ["arn:aws:iam::123456789012:role/break-glass"]
  }

  assert {
    condition = [for s in jsondecode(aws_iam_policy.guardrail[0].policy).Statement : s if s.Sid == "DenyWritesOutsidePipeline"][0].Condition.ArnNotLike["aws:PrincipalArn"] == [
      "arn:aws:iam::123456789012:role/vigil-prod-ci-deploy",
      "arn:aws:iam::123456789012:role/break-glass",
    ]
    error_message = "exempt_principal_arns must be exempt alongside the pipeline role."
  }
}

run "disabled_creates_nothing" {
  command = apply

  variables {
    enabled = false
  }

  assert {
    condition     = length(aws_iam_policy.guardrail) == 0 && length(aws_organizations_policy.guardrail) == 0 && length(aws_organizations_policy_attachment.guardrail) == 0
    error_message = "enabled = false must create no resource."
  }

  assert {
    condition     = output.policy_arn == null && output.policy_name == null
    error_message = "A disabled guardrail has no policy."
  }
}

run "scp_mode_attaches_a_service_control_policy" {
  command = apply

  variables {
    mode           = "scp"
    scp_target_ids = ["210987654321"]
  }

  assert {
    condition     = length(aws_iam_policy.guardrail) == 0 && aws_organizations_policy.guardrail[0].type == "SERVICE_CONTROL_POLICY"
    error_message = "scp mode must create a service control policy and no IAM policy."
  }

  assert {
    condition     = [for s in jsondecode(aws_organizations_policy.guardrail[0].content).Statement : s.Sid] == ["DenyWritesOutsidePipeline", "DenyGuardrailTampering"]
    error_message = "The SCP must only deny: FullAWSAccess does the allowing."
  }

  assert {
    condition     = jsondecode(aws_organizations_policy.guardrail[0].content).Statement[0].Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::123456789012:role/vigil-prod-ci-deploy"]
    error_message = "The SCP must exempt the pipeline's role."
  }

  assert {
    condition     = length(aws_organizations_policy.guardrail[0].content) <= 5120
    error_message = "The SCP must fit Organizations' 5120-character limit."
  }

  assert {
    condition     = [for a in aws_organizations_policy_attachment.guardrail : a.target_id] == ["210987654321"] && aws_organizations_policy_attachment.guardrail["210987654321"].policy_id == "p-examplescp1"
    error_message = "The SCP must be attached to every scp_target_ids entry."
  }
}

run "scp_mode_without_targets_is_refused" {
  command = plan

  variables {
    mode = "scp"
  }

  expect_failures = [aws_organizations_policy.guardrail]
}

run "a_guardrail_without_the_pipeline_role_is_refused" {
  command = plan

  variables {
    pipeline_role_arns = []
  }

  expect_failures = [var.pipeline_role_arns]
}
