terraform {
  backend "s3" {
    bucket       = "fx-slow-tfstate"
    key          = "dev/slow/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

# While a file named .slow exists next to this one, the apply sleeps: long
# enough for a test to kill vigil in the middle of it.
resource "terraform_data" "slow" {
  input = "v1"

  provisioner "local-exec" {
    command = "if [ -f .slow ]; then sleep 120; fi"
  }
}
