project = "cycle"

environment "dev" {}
