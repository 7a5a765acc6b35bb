resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "api-cpu-high"
  alarm_description   = "CPU above 80%. Runbook: https://runbooks.acme.dev/cpu"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1 # want: VGL-R021
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = ["arn:aws:sns:us-east-1:123456789012:pager"]
  ok_actions          = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
