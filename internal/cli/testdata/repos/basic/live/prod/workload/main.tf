data "terraform_remote_state" "foundation" {
  backend = "s3"
  config = {
    bucket = "state"
    key    = "prod/foundation/terraform.tfstate"
  }
}

module "app" {
  source = "../../../modules/app"
  vpc_id = data.terraform_remote_state.foundation.outputs.vpc_id
}
