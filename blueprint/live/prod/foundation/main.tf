# Foundation of prod (M1, M12): the network every other layer runs in and the role CI deploys with.
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
