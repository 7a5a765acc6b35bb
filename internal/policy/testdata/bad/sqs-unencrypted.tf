resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = 60
  sqs_managed_sse_enabled    = false # want: VGL-S014
}
