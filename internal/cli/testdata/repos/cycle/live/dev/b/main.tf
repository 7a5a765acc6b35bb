data "terraform_remote_state" "a" {
  backend = "s3"
  config = {
    key = "dev/a/terraform.tfstate"
  }
}
