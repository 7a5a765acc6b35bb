project = "fixture"

environment "dev" {}

environment "prod" {
  target   = "aws"
  approval = true
}
