project     = "scan-fixture"
stacks_root = "live"
layers      = ["app"]

environment "dev" {
  target = "sandbox"
  region = "us-east-1"
}

environment "prod" {
  target   = "aws"
  region   = "us-east-1"
  approval = true
}
