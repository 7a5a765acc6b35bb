output "note" {
  value = "no remote state; ordered by stack.hcl"
}
