variable "db_password" {
  description = "A secret, as a stack would hand one to a database."
  type        = string
  sensitive   = true
  default     = "Tr0ub4dor-and-3-horses-prod"
}

resource "terraform_data" "db" {
  input = var.db_password
}

resource "terraform_data" "config" {
  input = {
    alarm_threshold = 25
    owner           = "platform"
  }
}

output "owner" {
  value = terraform_data.config.output.owner
}
