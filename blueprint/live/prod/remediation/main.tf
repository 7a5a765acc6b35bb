# Remediation of prod (M4): alarms entering ALARM invoke the Go remediator, which replaces unhealthy
# tasks and escalates to the pager when that fails or repeats.

data "terraform_remote_state" "workload" {
  backend = "s3"

  config = {
    bucket = "vigil-prod-tfstate"
    key    = "prod/workload/terraform.tfstate"
    region = "us-east-1"
  }
}

data "terraform_remote_state" "observability" {
  backend = "s3"

  config = {
    bucket = "vigil-prod-tfstate"
    key    = "prod/observability/terraform.tfstate"
    region = "us-east-1"
  }
}

locals {
  # The remediator zip is a build artefact, not source: vigil builds cmd/vigil-remediator into
  # remediator.zip next to this file (git-ignored) before planning, or pass -var lambda_zip_path=...
  lambda_zip_path = coalesce(var.lambda_zip_path, "${path.module}/remediator.zip")
}

module "remediation" {
  source = "../../../modules/remediation"

  name            = "vigil-prod-remediator"
  lambda_zip_path = local.lambda_zip_path

  cluster_name     = data.terraform_remote_state.workload.outputs.cluster_name
  cluster_arn      = data.terraform_remote_state.workload.outputs.cluster_arn
  service_name     = data.terraform_remote_state.workload.outputs.service_name
  target_group_arn = data.terraform_remote_state.workload.outputs.target_group_arn

  pager_topic_arn   = data.terraform_remote_state.observability.outputs.pager_topic_arn
  pager_kms_key_arn = data.terraform_remote_state.observability.outputs.pager_kms_key_arn
  alarm_name_prefix = data.terraform_remote_state.observability.outputs.alarm_name_prefix

  max_attempts          = var.max_attempts
  runbook_base_url      = var.runbook_base_url
  app_metrics_namespace = var.app_metrics_namespace
}
