resource "aws_cloudwatch_metric_alarm" "api_5xx" { # want: VGL-R020
  alarm_name          = "api-5xx"
  alarm_description   = "API returns 5xx. Runbook: https://runbooks.acme.dev/api-5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 25
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
