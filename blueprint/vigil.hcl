# vigil project configuration. `vigil -C <this folder> <verb>` reads it.

project     = "vigil-blueprint"
stacks_root = "live"
layers      = ["foundation", "workload", "observability", "remediation"]

# dev runs against vigil's embedded AWS-compatible sandbox; no AWS account needed.
environment "dev" {
  target   = "sandbox"
  region   = "us-east-1"
  approval = false
}

# prod is a real AWS account; a person approves the plan before it is applied.
environment "prod" {
  target   = "aws"
  region   = "us-east-1"
  approval = true
}
