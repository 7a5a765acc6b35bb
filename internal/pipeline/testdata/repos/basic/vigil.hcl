# A small repository for the pipeline's end-to-end tests: two layers per
# environment, only services the sandbox has (S3, SNS, CloudWatch Logs).
project = "fixture"
layers  = ["base", "app"]

environment "dev" {
  target   = "sandbox"
  approval = false
}

environment "prod" {
  target   = "sandbox"
  approval = true
}
