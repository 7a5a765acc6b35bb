variable "vpc_id" {
  type = string
}

output "vpc_id" {
  value = var.vpc_id
}
