# Workload of prod (M2): the Fargate service behind its load balancer, auto scaled on CPU.

data "terraform_remote_state" "foundation" {
  backend = "s3"

  config = {
    bucket = "vigil-prod-tfstate"
    key    = "prod/foundation/terraform.tfstate"
    region = "us-east-1"
  }
}

module "workload" {
  source = "../../../modules/workload"

  name               = "vigil-prod-app"
  vpc_id             = data.terraform_remote_state.foundation.outputs.vpc_id
  public_subnet_ids  = data.terraform_remote_state.foundation.outputs.public_subnet_ids
  private_subnet_ids = data.terraform_remote_state.foundation.outputs.private_subnet_ids

  container_image   = var.container_image
  health_check_path = var.health_check_path
  certificate_arn   = var.certificate_arn

  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity
  cpu_target         = 60
  scale_out_cooldown = 60
  scale_in_cooldown  = 300

  alb_deletion_protection = true
  log_retention_days      = var.log_retention_days
}
