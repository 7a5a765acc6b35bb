# Fixture for the drift end-to-end tests: two small stacks (SNS topics and
# CloudWatch alarms) in one sandbox environment.
project = "drift-fixture"
layers  = ["alerts", "watch"]

environment "test" {
  target = "sandbox"
}
