# Observability of dev (M3, M15): the pager topic and the alarms on the workload, each linking its runbook.

data "terraform_remote_state" "workload" {
  backend = "s3"

  config = {
    bucket = "vigil-dev-tfstate"
    key    = "dev/workload/terraform.tfstate"
    region = "us-east-1"
  }
}

module "observability" {
  source = "../../../modules/observability"

  # Alarm names start with "<service name>-": the remediation rule matches that prefix.
  name = data.terraform_remote_state.workload.outputs.service_name

  alb_arn_suffix          = data.terraform_remote_state.workload.outputs.alb_arn_suffix
  target_group_arn_suffix = data.terraform_remote_state.workload.outputs.target_group_arn_suffix
  cluster_name            = data.terraform_remote_state.workload.outputs.cluster_name
  service_name            = data.terraform_remote_state.workload.outputs.service_name
  log_group_name          = data.terraform_remote_state.workload.outputs.log_group_name

  runbook_base_url    = var.runbook_base_url
  pager_subscriptions = var.pager_subscriptions
}
