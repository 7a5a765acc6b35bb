package rules_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/policy/model"
	"github.com/vigil-sre/vigil/internal/policy/rules"
)

// Each case is a snippet as a user writes it; lines marked "# want" (or
// "#want" in YAML) are where the rule must report, and nowhere else. A
// passing case has no marks.
type ruleCase struct {
	name string
	rule string
	// file defaults to main.tf; extra files go in files.
	file  string
	src   string
	files map[string]string
}

func wantLines(src string) []int {
	var out []int
	for i, l := range strings.Split(src, "\n") {
		switch {
		case strings.Contains(l, "# want-next"):
			out = append(out, i+2) // for lines that cannot carry a comment (heredocs)
		case strings.Contains(l, "# want"):
			out = append(out, i+1)
		}
	}
	return out
}

func runCase(t *testing.T, tc ruleCase) {
	t.Helper()
	dir := t.TempDir()
	file := tc.file
	if file == "" {
		file = "main.tf"
	}
	write := func(name, src string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(file, tc.src)
	for n, s := range tc.files {
		write(n, s)
	}
	proj := model.Load([]string{dir}, model.LoadOptions{})
	for _, d := range proj.Diagnostics {
		t.Fatalf("snippet does not load: %v", d)
	}
	rule, ok := rules.ByID(tc.rule)
	if !ok {
		t.Fatalf("no rule %s", tc.rule)
	}
	var got []int
	seen := map[int]bool{}
	for _, res := range rule.Check(proj.View()) {
		if res.Range.Filename != filepath.Join(dir, file) {
			t.Errorf("finding in %s, want %s: %s", res.Range.Filename, file, res.Message)
			continue
		}
		if res.Message == "" {
			t.Errorf("finding without message at line %d", res.Range.Start.Line)
		}
		if !seen[res.Range.Start.Line] {
			seen[res.Range.Start.Line] = true
			got = append(got, res.Range.Start.Line)
		}
	}
	sort.Ints(got)
	want := wantLines(tc.src)
	if !equal(got, want) {
		t.Errorf("%s reported at lines %v, want %v", tc.rule, got, want)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRules(t *testing.T) {
	t.Parallel()
	tests := []ruleCase{
		// VGL-S001
		{name: "ssh open to the world", rule: "VGL-S001", src: `
resource "aws_security_group" "bastion" {
  name = "bastion"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"] # want
  }
}
`},
		{name: "rdp via standalone rule and ipv6", rule: "VGL-S001", src: `
resource "aws_vpc_security_group_ingress_rule" "rdp" {
  security_group_id = "sg-123"
  ip_protocol       = "tcp"
  from_port         = 3389
  to_port           = 3389
  cidr_ipv6         = "::/0" # want
}
`},
		{name: "postgres open through a variable default", rule: "VGL-S001", src: `
variable "allowed" {
  default = ["10.0.0.0/8", "0.0.0.0/0"]
}
resource "aws_security_group_rule" "db" {
  type              = "ingress"
  security_group_id = "sg-1"
  protocol          = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_blocks       = var.allowed # want
}
`},
		{name: "ssh from the office only passes", rule: "VGL-S001", src: `
resource "aws_security_group" "bastion" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["203.0.113.0/24"]
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`},
		{name: "unknown cidr passes", rule: "VGL-S001", src: `
variable "cidr" {}
resource "aws_security_group_rule" "ssh" {
  type        = "ingress"
  protocol    = "tcp"
  from_port   = 22
  to_port     = 22
  cidr_blocks = [var.cidr]
}
`},
		// VGL-S002
		{name: "all ports open", rule: "VGL-S002", src: `
resource "aws_security_group" "wide" {
  ingress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"] # want
  }
}
resource "aws_security_group_rule" "tcp_all" {
  type        = "ingress"
  protocol    = "tcp"
  from_port   = 0
  to_port     = 65535
  cidr_blocks = ["0.0.0.0/0"] # want
}
`},
		{name: "all ports inside the VPC passes", rule: "VGL-S002", src: `
resource "aws_vpc_security_group_ingress_rule" "internal" {
  security_group_id = "sg-1"
  ip_protocol       = "-1"
  cidr_ipv4         = "10.0.0.0/8"
}
`},
		// VGL-S010
		{name: "ebs volume unencrypted", rule: "VGL-S010", src: `
resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  size              = 100
  encrypted         = false # want
}
resource "aws_ebs_volume" "logs" { # want
  availability_zone = "us-east-1a"
  size              = 10
}
`},
		{name: "instance root device unencrypted", rule: "VGL-S010", src: `
resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  root_block_device { # want
    volume_size = 20
  }
}
`},
		{name: "encrypted volumes pass", rule: "VGL-S010", src: `
resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  size              = 100
  encrypted         = true
}
resource "aws_instance" "web" {
  ami = "ami-123"
  root_block_device {
    encrypted = true
  }
}
`},
		{name: "account default encryption passes", rule: "VGL-S010", src: `
resource "aws_ebs_encryption_by_default" "this" {
  enabled = true
}
resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  size              = 100
}
`},
		// VGL-S011
		{name: "rds unencrypted", rule: "VGL-S011", src: `
resource "aws_db_instance" "main" { # want
  engine         = "postgres"
  instance_class = "db.t3.micro"
}
resource "aws_rds_cluster" "aurora" {
  engine            = "aurora-postgresql"
  storage_encrypted = false # want
}
`},
		{name: "rds encrypted passes", rule: "VGL-S011", src: `
resource "aws_db_instance" "main" {
  engine            = "postgres"
  storage_encrypted = true
}
`},
		// VGL-S012
		{name: "bucket without sse config", rule: "VGL-S012", src: `
resource "aws_s3_bucket" "logs" { # want
  bucket = "acme-logs"
}
`},
		{name: "bucket with sse config passes", rule: "VGL-S012", src: `
resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
`},
		// VGL-S013
		{name: "sns without kms", rule: "VGL-S013", src: `
resource "aws_sns_topic" "pager" { # want
  name = "pager"
}
`},
		{name: "sns with kms passes", rule: "VGL-S013", src: `
resource "aws_sns_topic" "pager" {
  name              = "pager"
  kms_master_key_id = "alias/pager"
}
`},
		// VGL-S014
		{name: "sqs encryption off", rule: "VGL-S014", src: `
resource "aws_sqs_queue" "jobs" {
  name                    = "jobs"
  sqs_managed_sse_enabled = false # want
}
`},
		{name: "sqs default encryption passes", rule: "VGL-S014", src: `
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
`},
		// VGL-S015
		{name: "dynamodb without kms", rule: "VGL-S015", src: `
resource "aws_dynamodb_table" "locks" { # want
  name     = "locks"
  hash_key = "LockID"
}
`},
		{name: "dynamodb with kms passes", rule: "VGL-S015", src: `
resource "aws_dynamodb_table" "locks" {
  name     = "locks"
  hash_key = "LockID"
  server_side_encryption {
    enabled = true
  }
}
`},
		// VGL-S016
		{name: "log group without kms", rule: "VGL-S016", src: `
resource "aws_cloudwatch_log_group" "app" { # want
  name              = "/app"
  retention_in_days = 30
}
`},
		{name: "log group key from a null variable of a called module", rule: "VGL-S016", file: "svc/main.tf", src: `
variable "kms_key_arn" {
  default = null
}
resource "aws_cloudwatch_log_group" "app" {
  name       = "/app"
  kms_key_id = var.kms_key_arn # want
}
`, files: map[string]string{"main.tf": `
module "svc" {
  source = "./svc"
}
`}},
		{name: "log group key from a module argument passes", rule: "VGL-S016", file: "svc/main.tf", src: `
variable "kms_key_arn" {
  default = null
}
resource "aws_cloudwatch_log_group" "app" {
  name       = "/app"
  kms_key_id = var.kms_key_arn
}
`, files: map[string]string{"main.tf": `
module "svc" {
  source      = "./svc"
  kms_key_arn = aws_kms_key.logs.arn
}
`}},
		{name: "log group with kms passes", rule: "VGL-S016", src: `
resource "aws_cloudwatch_log_group" "app" {
  name       = "/app"
  kms_key_id = aws_kms_key.logs.arn
}
`},
		// VGL-S017
		{name: "backend without encrypt", rule: "VGL-S017", src: `
terraform {
  backend "s3" { # want
    bucket       = "acme-tfstate"
    key          = "prod/network.tfstate"
    region       = "us-east-1"
    use_lockfile = true
  }
}
`},
		{name: "backend encrypt false in a tfbackend file", rule: "VGL-S017", file: "prod.s3.tfbackend", src: `
bucket  = "acme-tfstate"
key     = "prod/network.tfstate"
encrypt = false # want
`, files: map[string]string{"versions.tf": `
terraform {
  backend "s3" {}
}
`}},
		{name: "encrypted backend passes", rule: "VGL-S017", src: `
terraform {
  backend "s3" {
    bucket  = "acme-tfstate"
    key     = "prod/network.tfstate"
    encrypt = true
  }
}
`},
		{name: "partial backend passes", rule: "VGL-S017", src: `
terraform {
  backend "s3" {}
}
`},
		// VGL-S020
		{name: "admin policy in jsonencode", rule: "VGL-S020", src: `
resource "aws_iam_policy" "ci" {
  name = "ci"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*" # want
      Resource = "*"
    }]
  })
}
`},
		{name: "admin policy in a policy document", rule: "VGL-S020", src: `
data "aws_iam_policy_document" "admin" {
  statement {
    actions   = ["*"] # want
    resources = ["*"]
  }
}
resource "aws_iam_role_policy" "admin" {
  role   = "ci"
  policy = data.aws_iam_policy_document.admin.json
}
`},
		{name: "admin policy in a heredoc", rule: "VGL-S020", src: `
resource "aws_iam_user_policy" "ops" {
  user   = "ops" # want-next
  policy = <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
EOF
}
`},
		{name: "scoped actions and kms key policies pass", rule: "VGL-S020", src: `
resource "aws_iam_policy" "read" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }]
  })
}
resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::123456789012:root" }, Action = "kms:*", Resource = "*" }]
  })
}
resource "aws_iam_policy" "deny" {
  policy = jsonencode({
    Statement = [{ Effect = "Deny", Action = "*", Resource = "*" }]
  })
}
`},
		// VGL-S021
		{name: "passrole on every role", rule: "VGL-S021", src: `
resource "aws_iam_role_policy" "deployer" {
  role = "deployer"
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = ["ecs:UpdateService"], Resource = "*" },
      {
        Effect   = "Allow"
        Action   = ["iam:PassRole"] # want
        Resource = "*"
      },
    ]
  })
}
`},
		{name: "passrole on named roles passes", rule: "VGL-S021", src: `
resource "aws_iam_role_policy" "deployer" {
  role = "deployer"
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "arn:aws:iam::123456789012:role/app-task" }]
  })
}
`},
		// VGL-S030
		{name: "public acl and public policy", rule: "VGL-S030", src: `
resource "aws_s3_bucket" "site" {
  bucket = "acme-site"
}
resource "aws_s3_bucket_acl" "site" {
  bucket = aws_s3_bucket.site.id
  acl    = "public-read" # want
}
resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Statement = [{ # want
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::acme-site/*"
    }]
  })
}
`},
		{name: "private acl and conditioned policy pass", rule: "VGL-S030", src: `
resource "aws_s3_bucket_acl" "site" {
  bucket = "acme-site"
  acl    = "private"
}
resource "aws_s3_bucket_policy" "tls" {
  bucket = "acme-site"
  policy = jsonencode({
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = "arn:aws:s3:::acme-site/*"
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
`},
		// VGL-S031
		{name: "bucket without public access block", rule: "VGL-S031", src: `
resource "aws_s3_bucket" "data" { # want
  bucket = "acme-data"
}
resource "aws_s3_bucket" "other" {
  bucket = "acme-other"
}
resource "aws_s3_bucket_public_access_block" "other" {
  bucket                  = aws_s3_bucket.other.id
  block_public_acls       = true
  block_public_policy     = false # want
  ignore_public_acls      = true
  restrict_public_buckets = true
}
`},
		{name: "full public access block passes", rule: "VGL-S031", src: `
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}
resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
`},
		// VGL-S040
		{name: "public database", rule: "VGL-S040", src: `
resource "aws_db_instance" "main" {
  engine              = "postgres"
  publicly_accessible = true # want
}
`},
		{name: "private database passes", rule: "VGL-S040", src: `
resource "aws_db_instance" "main" {
  engine              = "postgres"
  publicly_accessible = false
}
`},
		// VGL-S050
		{name: "kms without rotation", rule: "VGL-S050", src: `
resource "aws_kms_key" "data" { # want
  description = "data"
}
resource "aws_kms_key" "off" {
  enable_key_rotation = false # want
}
`},
		{name: "rotating and asymmetric keys pass", rule: "VGL-S050", src: `
resource "aws_kms_key" "data" {
  enable_key_rotation = true
}
resource "aws_kms_key" "signing" {
  customer_master_key_spec = "RSA_2048"
  key_usage                = "SIGN_VERIFY"
}
`},
		// VGL-S060
		{name: "vpc without flow logs", rule: "VGL-S060", src: `
resource "aws_vpc" "main" { # want
  cidr_block = "10.0.0.0/16"
}
`},
		{name: "vpc with flow logs passes", rule: "VGL-S060", src: `
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_flow_log" "main" {
  vpc_id       = aws_vpc.main.id
  traffic_type = "ALL"
}
`},
		// VGL-S070
		{name: "keys in provider", rule: "VGL-S070", src: `
provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAIOSFODNN7EXAMPLE" # want
  secret_key = var.secret_key # want
}
variable "secret_key" {}
`},
		{name: "provider without keys passes", rule: "VGL-S070", src: `
provider "aws" {
  region = "us-east-1"
  assume_role {
    role_arn = "arn:aws:iam::123456789012:role/deploy"
  }
}
`},
		// VGL-S071
		{name: "workflow with stored keys", rule: "VGL-S071", file: ".github/workflows/deploy.yml", src: `
name: deploy
on: [push]
env:
  AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }} # want
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: ${{ secrets.KEY_ID }} # want
          aws-secret-access-key: ${{ secrets.SECRET }}
          aws-region: us-east-1
`},
		{name: "workflow with oidc passes", rule: "VGL-S071", file: ".github/workflows/deploy.yml", src: `
name: deploy
on: [push]
permissions:
  id-token: write
  contents: read
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/ci
          aws-region: us-east-1
`},
		// VGL-R001
		{name: "two azs", rule: "VGL-R001", src: `
resource "aws_subnet" "a" {
  vpc_id            = "vpc-1"
  availability_zone = "us-east-1a" # want
  cidr_block        = "10.0.1.0/24"
}
resource "aws_subnet" "b" {
  vpc_id            = "vpc-1"
  availability_zone = "us-east-1b"
  cidr_block        = "10.0.2.0/24"
}
`},
		{name: "azs by count from a short list", rule: "VGL-R001", src: `
locals {
  azs = ["eu-west-1a", "eu-west-1b"]
}
resource "aws_subnet" "private" {
  count             = length(local.azs)
  vpc_id            = "vpc-1"
  availability_zone = local.azs[count.index] # want
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
}
resource "aws_autoscaling_group" "web" {
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = aws_subnet.private[*].id # want
}
`},
		{name: "service in one subnet", rule: "VGL-R001", src: `
resource "aws_ecs_service" "app" {
  name = "app"
  network_configuration {
    subnets = ["subnet-1"] # want
  }
}
`},
		{name: "three azs pass", rule: "VGL-R001", src: `
variable "azs" {
  default = ["us-east-1a", "us-east-1b", "us-east-1c"]
}
resource "aws_subnet" "private" {
  count             = 3
  vpc_id            = "vpc-1"
  availability_zone = var.azs[count.index]
  cidr_block        = "10.0.${count.index}.0/24"
}
resource "aws_ecs_service" "app" {
  network_configuration {
    subnets = aws_subnet.private[*].id
  }
}
`},
		// VGL-R010
		{name: "scale-in faster than scale-out", rule: "VGL-R010", src: `
resource "aws_appautoscaling_policy" "cpu" {
  name               = "cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = "ecs"
  resource_id        = "service/c/s"
  scalable_dimension = "ecs:service:DesiredCount"
  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 60 # want
    scale_out_cooldown = 300
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
`},
		{name: "asymmetric cooldowns pass", rule: "VGL-R010", src: `
resource "aws_appautoscaling_policy" "cpu" {
  service_namespace = "ecs"
  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
  }
}
`},
		// VGL-R020
		{name: "alarm without ok_actions", rule: "VGL-R020", src: `
resource "aws_cloudwatch_metric_alarm" "errors" { # want
  alarm_name          = "errors"
  alarm_description   = "Runbook: https://runbooks.example.com/errors"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  alarm_actions       = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		{name: "alarm with ok_actions passes", rule: "VGL-R020", src: `
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_actions = ["arn:aws:sns:us-east-1:123456789012:pager"]
  ok_actions    = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
resource "aws_cloudwatch_metric_alarm" "dashboard_only" {
  alarm_name = "no actions, pages nobody"
}
`},
		// VGL-R021
		{name: "one of one", rule: "VGL-R021", src: `
resource "aws_cloudwatch_metric_alarm" "errors" {
  evaluation_periods = 1 # want
  alarm_actions      = ["arn:aws:sns:us-east-1:123456789012:pager"]
  ok_actions         = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		{name: "m of n passes", rule: "VGL-R021", src: `
resource "aws_cloudwatch_metric_alarm" "errors" {
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  alarm_actions       = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		// VGL-R022
		{name: "no runbook link", rule: "VGL-R022", src: `
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_description = "Too many 5xx" # want
  alarm_actions     = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
resource "aws_cloudwatch_metric_alarm" "latency" { # want
  alarm_actions = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		{name: "runbook link passes", rule: "VGL-R022", src: `
variable "runbook_base_url" {}
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_description = "Too many 5xx. Runbook: ${var.runbook_base_url}/alb-target-5xx.md"
  alarm_actions     = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		// VGL-R023
		{name: "missing data breaching", rule: "VGL-R023", src: `
resource "aws_cloudwatch_metric_alarm" "errors" {
  treat_missing_data = "breaching" # want
  alarm_actions      = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		{name: "missing data not breaching passes", rule: "VGL-R023", src: `
resource "aws_cloudwatch_metric_alarm" "errors" {
  treat_missing_data = "notBreaching"
  alarm_actions      = ["arn:aws:sns:us-east-1:123456789012:pager"]
}
`},
		// VGL-R030
		{name: "backend without locking", rule: "VGL-R030", src: `
terraform {
  backend "s3" { # want
    bucket  = "acme-tfstate"
    key     = "prod/network.tfstate"
    encrypt = true
  }
}
`},
		{name: "backend with lockfile or table passes", rule: "VGL-R030", src: `
terraform {
  backend "s3" {
    bucket         = "acme-tfstate"
    key            = "prod/network.tfstate"
    encrypt        = true
    dynamodb_table = "acme-tflock"
  }
}
`},
		// VGL-R040
		{name: "backups off", rule: "VGL-R040", src: `
resource "aws_db_instance" "main" {
  engine                  = "postgres"
  backup_retention_period = 0 # want
}
resource "aws_dynamodb_table" "orders" { # want
  name     = "orders"
  hash_key = "id"
}
`},
		{name: "backups on pass", rule: "VGL-R040", src: `
resource "aws_db_instance" "main" {
  backup_retention_period = 14
}
resource "aws_dynamodb_table" "orders" {
  point_in_time_recovery {
    enabled = true
  }
}
`},
		// VGL-R041
		{name: "single-az database", rule: "VGL-R041", src: `
resource "aws_db_instance" "main" {
  engine   = "postgres"
  multi_az = false # want
}
resource "aws_rds_cluster" "aurora" { # want
  engine = "aurora-postgresql"
}
resource "aws_rds_cluster_instance" "one" {
  cluster_identifier = aws_rds_cluster.aurora.id
}
`},
		{name: "multi-az database passes", rule: "VGL-R041", src: `
resource "aws_db_instance" "main" {
  multi_az = true
}
resource "aws_rds_cluster" "aurora" {
  engine = "aurora-postgresql"
}
resource "aws_rds_cluster_instance" "members" {
  count              = 2
  cluster_identifier = aws_rds_cluster.aurora.id
}
`},
		// VGL-R042
		{name: "no deletion protection", rule: "VGL-R042", src: `
resource "aws_db_instance" "main" { # want
  engine = "postgres"
}
`},
		{name: "deletion protection passes", rule: "VGL-R042", src: `
resource "aws_db_instance" "main" {
  deletion_protection = true
}
`},
		// VGL-R050
		{name: "no circuit breaker", rule: "VGL-R050", src: `
resource "aws_ecs_service" "app" { # want
  name = "app"
}
resource "aws_ecs_service" "worker" {
  name = "worker"
  deployment_circuit_breaker {
    enable   = true
    rollback = false # want
  }
}
`},
		{name: "circuit breaker passes", rule: "VGL-R050", src: `
resource "aws_ecs_service" "app" {
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}
resource "aws_ecs_service" "bluegreen" {
  deployment_controller {
    type = "CODE_DEPLOY"
  }
}
`},
		// VGL-R060
		{name: "target group without health check", rule: "VGL-R060", src: `
resource "aws_lb_target_group" "app" { # want
  port     = 8080
  protocol = "HTTP"
}
resource "aws_lb_target_group" "off" {
  health_check {
    enabled = false # want
  }
}
`},
		{name: "target group with health check passes", rule: "VGL-R060", src: `
resource "aws_lb_target_group" "app" {
  health_check {
    path    = "/healthz"
    matcher = "200"
  }
}
resource "aws_lb_target_group" "fn" {
  target_type = "lambda"
}
`},
		// VGL-R070
		{name: "prod foundation without a guardrail", rule: "VGL-R070", file: "live/prod/foundation/main.tf", src: `
provider "aws" { # want
  region = "us-east-1"
  default_tags {
    tags = {
      "vigil:env"   = "prod"
      "vigil:layer" = "foundation"
    }
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
`},
		{name: "guardrail module switched off", rule: "VGL-R070", file: "live/production/foundation/main.tf", src: `
variable "console_write_guardrail" {
  default = false
}
module "guardrails" {
  source             = "../../../modules/guardrails"
  enabled            = var.console_write_guardrail # want
  pipeline_role_arns = ["arn:aws:iam::123456789012:role/deploy"]
}
`, files: map[string]string{"modules/guardrails/main.tf": guardrailModule}},
		{name: "environment named by its tag", rule: "VGL-R070", file: "live/eu/foundation/main.tf", src: `
provider "aws" { # want
  default_tags {
    tags = { "vigil:env" = "prod-eu", "vigil:layer" = "foundation" }
  }
}
`},
		{name: "guardrail on, and stacks that need none, pass", rule: "VGL-R070", file: "live/prod/foundation/main.tf", src: `
provider "aws" {
  region = "us-east-1"
}
module "guardrails" {
  source             = "../../../modules/guardrails"
  enabled            = true
  pipeline_role_arns = [aws_iam_role.deploy.arn]
}
resource "aws_iam_role" "deploy" {
  name = "deploy"
}
`, files: map[string]string{
			"modules/guardrails/main.tf":      guardrailModule,
			"live/dev/foundation/main.tf":     "provider \"aws\" {\n  region = \"us-east-1\"\n}\n",
			"live/preprod/foundation/main.tf": "provider \"aws\" {\n  region = \"us-east-1\"\n}\n",
			"live/prod/workload/main.tf":      "provider \"aws\" {\n  region = \"us-east-1\"\n}\n",
			"live/prod-eu/foundation/main.tf": scpGuardrail,
			"live/production/foundation/x.tf": "provider \"aws\" {}\nresource \"aws_iam_policy\" \"g\" {\n  policy = var.doc\n}\nvariable \"doc\" {}\n",
		}},
	}
	covered := map[string]bool{}
	passing := map[string]bool{}
	for _, tc := range tests {
		covered[tc.rule] = true
		if len(wantLines(tc.src)) == 0 {
			passing[tc.rule] = true
		}
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, tc)
		})
	}
	for _, r := range rules.All() {
		if r.Check == nil {
			continue
		}
		if !covered[r.ID] || !passing[r.ID] {
			t.Errorf("%s needs a failing and a passing case", r.ID)
		}
	}
}

func TestRuleMetadata(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range rules.All() {
		if seen[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Why == "" || r.Fix == "" || r.Severity == 0 || r.HelpURI == "" {
			t.Errorf("%s: incomplete metadata %+v", r.ID, r.Rule)
		}
	}
}

// guardrailModule is a guardrail as modules/guardrails writes it: a policy
// behind a switch, its deny conditioned on the caller.
const guardrailModule = `
variable "enabled" {
  default = true
}
variable "pipeline_role_arns" {}
locals {
  deny = {
    Effect   = "Deny"
    Action   = ["ec2:Create*", "ecs:Update*"]
    Resource = "*"
    Condition = {
      Bool       = { "aws:ViaAWSService" = "false" }
      ArnNotLike = { "aws:PrincipalArn" = var.pipeline_role_arns }
    }
  }
}
resource "aws_iam_policy" "guardrail" {
  count  = var.enabled ? 1 : 0
  name   = "guardrail"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }, local.deny] })
}
`

// scpGuardrail is a guardrail written as an SCP from a policy document
// data source.
const scpGuardrail = `
data "aws_iam_policy_document" "guardrail" {
  statement {
    effect    = "Deny"
    actions   = ["ec2:Create*"]
    resources = ["*"]
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = ["arn:aws:iam::*:role/deploy"]
    }
  }
}
resource "aws_organizations_policy" "guardrail" {
  name    = "guardrail"
  content = data.aws_iam_policy_document.guardrail.json
}
`

func TestIsProduction(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"prod": true, "production": true, "Prod": true, "prod-eu": true, "eu_production": true, "us.prod.2": true,
		"dev": false, "staging": false, "preprod": false, "pre-prod": false, "nonprod": false, "non_prod": false,
		"product": false, "prodigy": false, "": false,
	} {
		if got := rules.IsProduction(name); got != want {
			t.Errorf("IsProduction(%q) = %v, want %v", name, got, want)
		}
	}
}
