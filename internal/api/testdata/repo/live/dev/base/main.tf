resource "terraform_data" "config" {
  input = "dev"
}
