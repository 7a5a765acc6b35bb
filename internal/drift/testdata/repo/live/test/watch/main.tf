# A second stack: its own topic and a latency alarm.

resource "aws_sns_topic" "watch" {
  name         = "test-watch"
  display_name = "watch"
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "test-latency"
  alarm_description   = "Target response time above 1 s."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.watch.arn]
}
