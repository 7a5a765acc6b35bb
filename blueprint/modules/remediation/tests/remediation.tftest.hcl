# Offline: the AWS provider is mocked, so these runs prove what the module asks AWS for.
#
# lambda_zip_path must name an existing file because the module hashes it at plan time. The
# mocked provider never uploads it, so any file will do: these runs use this module's main.tf.

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

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/vigil-test-remediator"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/vigil-test-remediator"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:us-east-1:123456789012:function:vigil-test-remediator"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:us-east-1:123456789012:rule/vigil-test-remediator-alarm-state"
    }
  }
}

variables {
  name              = "vigil-test-remediator"
  lambda_zip_path   = "main.tf"
  cluster_name      = "vigil-test-app"
  cluster_arn       = "arn:aws:ecs:us-east-1:123456789012:cluster/vigil-test-app"
  service_name      = "vigil-test-app"
  target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/vigil-test-app-tg/73e2d6bc24d8a067"
  pager_topic_arn   = "arn:aws:sns:us-east-1:123456789012:vigil-test-app-pager"
  pager_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0d5c6b9e-1111-4222-8333-444455556666"
  alarm_name_prefix = "vigil-test-app-"
}

run "eventbridge_rule_matches_this_systems_alarms_entering_alarm" {
  command = apply

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.alarm_state.event_pattern).source == ["aws.cloudwatch"]
    error_message = "The rule must match source aws.cloudwatch."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.alarm_state.event_pattern)["detail-type"] == ["CloudWatch Alarm State Change"]
    error_message = "The rule must match detail-type \"CloudWatch Alarm State Change\"."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.alarm_state.event_pattern).detail.state.value == ["ALARM"]
    error_message = "The rule must match only transitions into ALARM."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.alarm_state.event_pattern).detail.alarmName == [{ prefix = "vigil-test-app-" }]
    error_message = "The rule must be scoped to this system's alarms by name prefix."
  }

  assert {
    condition     = aws_cloudwatch_event_target.remediator.rule == aws_cloudwatch_event_rule.alarm_state.name && aws_cloudwatch_event_target.remediator.arn == aws_lambda_function.remediator.arn
    error_message = "The rule must target the remediation Lambda."
  }

  assert {
    condition = (
      aws_lambda_permission.events.principal == "events.amazonaws.com" &&
      aws_lambda_permission.events.action == "lambda:InvokeFunction" &&
      aws_lambda_permission.events.source_arn == aws_cloudwatch_event_rule.alarm_state.arn
    )
    error_message = "Only this rule may invoke the Lambda through EventBridge."
  }
}

run "go_lambda_with_its_settings_and_escalation" {
  command = apply

  assert {
    condition = (
      aws_lambda_function.remediator.runtime == "provided.al2023" &&
      aws_lambda_function.remediator.handler == "bootstrap" &&
      aws_lambda_function.remediator.architectures == tolist(["x86_64"])
    )
    error_message = "The remediator is a Go binary on provided.al2023 (bootstrap, x86_64)."
  }

  assert {
    condition     = aws_lambda_function.remediator.filename == "main.tf" && aws_lambda_function.remediator.source_code_hash == filebase64sha256("main.tf")
    error_message = "Code and its hash must come from lambda_zip_path."
  }

  assert {
    condition = aws_lambda_function.remediator.environment[0].variables == tomap({
      CLUSTER           = "vigil-test-app"
      SERVICE           = "vigil-test-app"
      TARGET_GROUP_ARN  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/vigil-test-app-tg/73e2d6bc24d8a067"
      PAGER_TOPIC_ARN   = "arn:aws:sns:us-east-1:123456789012:vigil-test-app-pager"
      MAX_ATTEMPTS      = "3"
      ALARM_NAME_PREFIX = "vigil-test-app-"
      # Where the remediator keeps its once-per-episode escalation markers.
      ESCALATION_LOG_GROUP = aws_cloudwatch_log_group.remediator.name
      # The app's per-task metrics, for gray failures (the default namespace).
      APP_METRICS_NAMESPACE = "Vigil/App"
    })
    error_message = "The function's environment must carry cluster, service, target group, pager, attempt limit and escalation log group."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.follow_up.schedule_expression == "rate(1 minute)" && aws_cloudwatch_event_target.follow_up.arn == aws_lambda_function.remediator.arn
    error_message = "A one-minute schedule must wake the remediator to re-check alarms that stay in ALARM, so escalation can happen."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.remediator.destination_config[0].on_failure[0].destination == var.pager_topic_arn
    error_message = "Failed invocations must escalate to the pager."
  }

  assert {
    condition = (
      can(regex("Runbook: https://\\S+/remediator-errors\\.md$", aws_cloudwatch_metric_alarm.errors.alarm_description)) &&
      aws_cloudwatch_metric_alarm.errors.alarm_actions == toset([var.pager_topic_arn]) &&
      aws_cloudwatch_metric_alarm.errors.ok_actions == toset([var.pager_topic_arn]) &&
      !startswith(aws_cloudwatch_metric_alarm.errors.alarm_name, var.alarm_name_prefix)
    )
    error_message = "The remediator's error alarm must page, link its runbook, and stay outside the remediated prefix."
  }
}

run "least_privilege_role" {
  command = apply

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement :
      s.Effect == "Allow" && !contains(s.Action, "*") && alltrue([for a in s.Action : !endswith(a, ":*")])
    ])
    error_message = "The remediator's policy must list actions, never wildcards."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement :
      s.Resource != ["*"] || contains(["ListTasksInTheCluster", "ReadTargetHealth", "ReadAppMetrics"], s.Sid)
    ])
    error_message = "Only ListTasks (scoped by ecs:cluster), DescribeTargetHealth and GetMetricData (no resource-level support) may use Resource \"*\"."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement : s.Action
      if s.Sid == "ReadAppMetrics"
    ]) == ["cloudwatch:GetMetricData"]
    error_message = "With app metrics configured, the function may read metrics (GetMetricData) and nothing more of CloudWatch's data."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement : s
      if contains(s.Action, "ecs:StopTask")
      ]).Resource == ["arn:aws:ecs:us-east-1:123456789012:task/vigil-test-app/*"] && one([
      for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement : s
      if contains(s.Action, "ecs:StopTask")
    ]).Condition.ArnEquals["ecs:cluster"] == var.cluster_arn
    error_message = "StopTask must be limited to tasks of the one cluster."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement : s.Resource
      if contains(s.Action, "sns:Publish")
    ]) == [var.pager_topic_arn]
    error_message = "The function may publish to the pager topic only."
  }
}

run "without_app_metrics_neither_the_setting_nor_the_permission" {
  command = apply

  variables {
    app_metrics_namespace = ""
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.remediator.environment[0].variables), "APP_METRICS_NAMESPACE")
    error_message = "With app_metrics_namespace \"\", the function gets no APP_METRICS_NAMESPACE (it escalates gray failures, saying why)."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.remediator.policy).Statement : s if contains(s.Action, "cloudwatch:GetMetricData")]) == 0
    error_message = "With app_metrics_namespace \"\", the role must not read metrics."
  }
}

run "aws_namespace_is_not_the_apps" {
  command = plan

  variables {
    app_metrics_namespace = "AWS/ApplicationELB"
  }

  expect_failures = [var.app_metrics_namespace]
}

run "missing_zip_is_refused_with_a_clear_message" {
  command = plan

  variables {
    lambda_zip_path = "does-not-exist/remediator.zip"
  }

  expect_failures = [aws_lambda_function.remediator]
}

run "short_alarm_prefix_is_rejected" {
  command = plan

  variables {
    alarm_name_prefix = "v"
  }

  expect_failures = [var.alarm_name_prefix]
}
