data "terraform_remote_state" "b" {
  backend = "s3"
  config = {
    key = "dev/b/terraform.tfstate"
  }
}
