# Offline: the AWS provider is mocked, so these runs prove what the module asks AWS for.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:us-east-1:123456789012:key/0d5c6b9e-1111-4222-8333-444455556666"
      key_id = "0d5c6b9e-1111-4222-8333-444455556666"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:vigil-test-app-pager"
      id  = "arn:aws:sns:us-east-1:123456789012:vigil-test-app-pager"
    }
  }
}

variables {
  name                    = "vigil-test-app"
  alb_arn_suffix          = "app/vigil-test-app/50dc6c495c0c9188"
  target_group_arn_suffix = "targetgroup/vigil-test-app-tg/73e2d6bc24d8a067"
  cluster_name            = "vigil-test-app"
  service_name            = "vigil-test-app"
  log_group_name          = "/vigil/vigil-test-app/app"
  runbook_base_url        = "https://git.example.com/infra/runbooks/"
  pager_subscriptions = [
    { protocol = "email", endpoint = "oncall@example.com" },
  ]
}

run "target_5xx_alarm_is_exactly_as_specified" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.alb_target_5xx.metric_name == "HTTPCode_Target_5XX_Count" &&
      aws_cloudwatch_metric_alarm.alb_target_5xx.namespace == "AWS/ApplicationELB" &&
      aws_cloudwatch_metric_alarm.alb_target_5xx.statistic == "Sum"
    )
    error_message = "The 5xx alarm must be Sum of AWS/ApplicationELB HTTPCode_Target_5XX_Count."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.period == 60 && aws_cloudwatch_metric_alarm.alb_target_5xx.threshold == 25
    error_message = "The 5xx alarm must use 60 s periods and threshold 25."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.comparison_operator == "GreaterThanThreshold"
    error_message = "The 5xx alarm must be GreaterThanThreshold."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.evaluation_periods == 3 && aws_cloudwatch_metric_alarm.alb_target_5xx.datapoints_to_alarm == 2
    error_message = "The 5xx alarm must be 2 of 3 datapoints."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.treat_missing_data == "notBreaching"
    error_message = "The 5xx alarm must treat missing data as not breaching."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.dimensions == tomap({ LoadBalancer = "app/vigil-test-app/50dc6c495c0c9188" })
    error_message = "The 5xx alarm's only dimension must be LoadBalancer = the ALB ARN suffix."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.alarm_actions == toset([aws_sns_topic.pager.arn])
    error_message = "The 5xx alarm's alarm_actions must be the pager topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_5xx.ok_actions == toset([aws_sns_topic.pager.arn])
    error_message = "The 5xx alarm's ok_actions must be the pager topic."
  }
}

run "every_alarm_pages_links_its_runbook_and_is_m_of_n" {
  command = apply

  assert {
    condition = alltrue([
      for a in [
        aws_cloudwatch_metric_alarm.alb_target_5xx,
        aws_cloudwatch_metric_alarm.alb_target_latency_p99,
        aws_cloudwatch_metric_alarm.alb_unhealthy_hosts,
        aws_cloudwatch_metric_alarm.ecs_cpu_high,
        aws_cloudwatch_metric_alarm.app_log_errors,
      ] :
      can(regex("Runbook: https://git\\.example\\.com/infra/runbooks/[a-z0-9-]+\\.md$", a.alarm_description))
    ])
    error_message = "Every alarm description must end with \"Runbook: <runbook_base_url>/<file>.md\"."
  }

  assert {
    condition     = length(output.alarm_names) == 5 && length(output.runbooks) == 5
    error_message = "The runbook check above must cover every alarm in the module; update both when adding one."
  }

  assert {
    condition = alltrue([
      for a in [
        aws_cloudwatch_metric_alarm.alb_target_5xx,
        aws_cloudwatch_metric_alarm.alb_target_latency_p99,
        aws_cloudwatch_metric_alarm.alb_unhealthy_hosts,
        aws_cloudwatch_metric_alarm.ecs_cpu_high,
        aws_cloudwatch_metric_alarm.app_log_errors,
      ] :
      a.alarm_actions == toset([aws_sns_topic.pager.arn]) &&
      a.ok_actions == toset([aws_sns_topic.pager.arn]) &&
      a.treat_missing_data == "notBreaching" &&
      a.datapoints_to_alarm < a.evaluation_periods &&
      a.datapoints_to_alarm >= 2 &&
      startswith(a.alarm_name, "vigil-test-app-")
    ])
    error_message = "Every alarm must page and clear through the pager, be M-of-N with M >= 2 and M < N, not breach on missing data, and carry the shared name prefix."
  }

  assert {
    condition     = output.alarm_name_prefix == "vigil-test-app-"
    error_message = "The alarm name prefix must be exported for the remediation rule."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_target_latency_p99.extended_statistic == "p99" && aws_cloudwatch_metric_alarm.alb_target_latency_p99.metric_name == "TargetResponseTime"
    error_message = "The latency alarm must watch p99 TargetResponseTime."
  }

  assert {
    condition = (
      aws_cloudwatch_log_metric_filter.app_errors.log_group_name == "/vigil/vigil-test-app/app" &&
      aws_cloudwatch_metric_alarm.app_log_errors.namespace == aws_cloudwatch_log_metric_filter.app_errors.metric_transformation[0].namespace &&
      aws_cloudwatch_metric_alarm.app_log_errors.metric_name == aws_cloudwatch_log_metric_filter.app_errors.metric_transformation[0].name
    )
    error_message = "The log error alarm must watch the metric the filter on the app log group produces."
  }
}

run "pager_is_encrypted_with_a_key_cloudwatch_can_use" {
  command = apply

  assert {
    condition     = aws_sns_topic.pager.kms_master_key_id == aws_kms_key.pager.arn && aws_kms_key.pager.enable_key_rotation
    error_message = "The pager topic must be encrypted with the module's rotating KMS key."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_kms_key.pager.policy).Statement :
      try(s.Principal.Service, "") == "cloudwatch.amazonaws.com" && contains(flatten([s.Action]), "kms:GenerateDataKey*")
    ])
    error_message = "CloudWatch must be allowed to use the pager key, or alarms cannot publish."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.pager) == 1 && one(values(aws_sns_topic_subscription.pager)).endpoint == "oncall@example.com"
    error_message = "Each pager subscription must become an SNS subscription."
  }
}

run "a_plain_text_runbook_location_is_rejected" {
  command = plan

  variables {
    runbook_base_url = "runbooks"
  }

  expect_failures = [var.runbook_base_url]
}
