# The API tests' repository: stacks with only terraform_data resources and
# local state, so a real plan needs terraform and nothing else.
project = "apitest"
layers  = ["base", "app"]

environment "dev" {
  target   = "sandbox"
  approval = false
}

environment "prod" {
  target   = "sandbox"
  approval = true
}
