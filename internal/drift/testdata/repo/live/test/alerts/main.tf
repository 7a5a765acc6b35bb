# The pager topic and an error-rate alarm (threshold 25, as in the blueprint).

resource "aws_sns_topic" "pager" {
  name         = "test-pager"
  display_name = "pager"
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "test-errors"
  alarm_description   = "Target 5xx above 25 per minute."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 25
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.pager.arn]
  ok_actions          = [aws_sns_topic.pager.arn]
}

# A no-op by default; the lock test applies it with slow_seconds > 0 so that
# an apply holds the state lock for a while.
variable "slow_token" {
  type    = string
  default = ""
}

variable "slow_seconds" {
  type    = number
  default = 0
}

resource "terraform_data" "slow" {
  triggers_replace = var.slow_token

  provisioner "local-exec" {
    command = "sleep ${var.slow_seconds}"
  }
}
