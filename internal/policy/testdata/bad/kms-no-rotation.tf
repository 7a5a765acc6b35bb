resource "aws_kms_key" "app" { # want: VGL-S050
  description             = "application secrets"
  deletion_window_in_days = 30
}
