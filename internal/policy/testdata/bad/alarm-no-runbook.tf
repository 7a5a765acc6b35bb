resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "api-latency-p99"
  alarm_description   = "p99 latency is high" # want: VGL-R022
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = 1.5
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = ["arn:aws:sns:us-east-1:123456789012:pager"]
  ok_actions          = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
