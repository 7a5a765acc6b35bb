data "terraform_remote_state" "workload" {
  backend = "s3"
  config = {
    bucket = "state"
    key    = "dev/workload/terraform.tfstate"
  }
}
