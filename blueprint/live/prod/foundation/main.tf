# Foundation of prod (M1, M12, M18): the network every other layer runs in, the roles CI plans and
# deploys with, and the console-write guardrail.
# Changes rarely; review it strictly.

module "network" {
  source = "../../../modules/network"

  name     = "vigil-prod"
  vpc_cidr = var.vpc_cidr

  # One NAT gateway per AZ: losing a zone must not cut the other zones off.
  single_nat_gateway = var.single_nat_gateway
}

module "ci_oidc" {
  source = "../../../modules/ci-oidc"

  github_repo          = var.github_repo
  role_name            = "vigil-prod-ci-deploy"
  branch               = var.ci_branch
  environment          = var.ci_environment
  policy_arns          = var.ci_policy_arns
  create_oidc_provider = var.create_oidc_provider
  oidc_provider_arn    = var.oidc_provider_arn
}

# Pull requests plan with a role of their own, trusted only for the "prod-plan" GitHub environment:
# the deploy role, with its write permissions, never runs code that has not been merged.
module "ci_oidc_plan" {
  source = "../../../modules/ci-oidc"
  count  = var.ci_plan_environment == null ? 0 : 1

  github_repo          = var.github_repo
  role_name            = "vigil-prod-ci-plan"
  branch               = null
  environment          = var.ci_plan_environment
  policy_arns          = var.ci_plan_policy_arns
  create_oidc_provider = false
  oidc_provider_arn    = module.ci_oidc.oidc_provider_arn
}

# Console-write guardrail (M18): nobody but the deploy role writes to what the pipeline manages.
# On in prod, off in dev (console_write_guardrail). Set the policy as permissions_boundary of
# human roles; see modules/guardrails for the SCP alternative.
module "guardrails" {
  source = "../../../modules/guardrails"

  name                  = "vigil-prod"
  enabled               = var.console_write_guardrail
  pipeline_role_arns    = [module.ci_oidc.role_arn]
  exempt_principal_arns = var.guardrail_exempt_principal_arns
}
