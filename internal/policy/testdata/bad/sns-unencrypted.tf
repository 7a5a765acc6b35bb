resource "aws_sns_topic" "alerts" { # want: VGL-S013
  name = "prod-alerts"
}
