package policytest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// unit is a template producing a few resources; %[1]s is a unique name.
type unit struct {
	resources int
	src       string
}

// Templates cycled through; every tenth instance is the "bad" variant, so a
// tree has mistakes both scanners look for (and one trivy no longer does:
// IAM "*" on "*").
var good = []unit{
	{3, `
resource "aws_s3_bucket" "%[1]s" {
  bucket = "acme-%[1]s"
}

resource "aws_s3_bucket_public_access_block" "%[1]s" {
  bucket                  = aws_s3_bucket.%[1]s.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "%[1]s" {
  bucket = aws_s3_bucket.%[1]s.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}
`},
	{1, `
resource "aws_security_group" "%[1]s" {
  name        = "%[1]s"
  description = "web tier"
  vpc_id      = var.vpc_id

  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
`},
	{2, `
resource "aws_kms_key" "%[1]s" {
  description         = "%[1]s"
  enable_key_rotation = true
}

resource "aws_cloudwatch_log_group" "%[1]s" {
  name              = "/app/%[1]s"
  retention_in_days = 90
  kms_key_id        = aws_kms_key.%[1]s.arn
}
`},
	{2, `
resource "aws_sns_topic" "%[1]s" {
  name              = "%[1]s"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_cloudwatch_metric_alarm" "%[1]s" {
  alarm_name          = "%[1]s-5xx"
  alarm_description   = "5xx above 25/min. Runbook: https://runbooks.example.com/%[1]s.md"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 25
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.%[1]s.arn]
  ok_actions          = [aws_sns_topic.%[1]s.arn]
}
`},
	{1, `
resource "aws_iam_policy" "%[1]s" {
  name = "%[1]s"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::acme-%[1]s", "arn:aws:s3:::acme-%[1]s/*"]
    }]
  })
}
`},
	{1, `
resource "aws_lb_target_group" "%[1]s" {
  name        = "%[1]s"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path    = "/healthz"
    matcher = "200"
  }
}
`},
}

var bad = []unit{
	{1, `
resource "aws_s3_bucket" "%[1]s" {
  bucket = "acme-%[1]s"
}
`},
	{1, `
resource "aws_security_group" "%[1]s" {
  name        = "%[1]s"
  description = "bastion"
  vpc_id      = var.vpc_id

  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`},
	{2, `
resource "aws_kms_key" "%[1]s" {
  description = "%[1]s"
}

resource "aws_cloudwatch_log_group" "%[1]s" {
  name              = "/app/%[1]s"
  retention_in_days = 90
}
`},
	{2, `
resource "aws_sns_topic" "%[1]s" {
  name = "%[1]s"
}

resource "aws_cloudwatch_metric_alarm" "%[1]s" {
  alarm_name          = "%[1]s-5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 25
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [aws_sns_topic.%[1]s.arn]
}
`},
	{1, `
resource "aws_iam_policy" "%[1]s" {
  name = "%[1]s"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}
`},
	{1, `
resource "aws_ebs_volume" "%[1]s" {
  availability_zone = "us-east-1a"
  size              = 20
}
`},
}

const header = `variable "vpc_id" {
  type    = string
  default = "vpc-0123456789abcdef0"
}

variable "kms_key_arn" {
  type    = string
  default = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}
`

// GenerateTree writes a tree of Terraform stacks under dir with at least n
// resources (about 20 per file, 5 files per stack directory) and returns the
// number of resources written.
func GenerateTree(dir string, n int) (int, error) {
	count, file, stack, i, b := 0, 0, 0, 0, 0
	for count < n {
		stackDir := filepath.Join(dir, "live", fmt.Sprintf("stack%02d", stack))
		if err := os.MkdirAll(stackDir, 0o755); err != nil {
			return count, err
		}
		var sb strings.Builder
		if file%5 == 0 {
			sb.WriteString(header)
		}
		perFile := 0
		for perFile < 20 && count < n {
			u := good[i%len(good)]
			if i%10 == 9 {
				u = bad[b%len(bad)]
				b++
			}
			fmt.Fprintf(&sb, u.src, fmt.Sprintf("r%05d", i))
			perFile += u.resources
			count += u.resources
			i++
		}
		name := filepath.Join(stackDir, fmt.Sprintf("main%d.tf", file%5))
		if err := os.WriteFile(name, []byte(sb.String()), 0o644); err != nil {
			return count, err
		}
		file++
		if file%5 == 0 {
			stack++
		}
	}
	return count, nil
}
