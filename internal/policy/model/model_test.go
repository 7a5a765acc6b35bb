package model

import (
	"os"
	"path/filepath"
	"testing"
)

func load(t *testing.T, files map[string]string) (*Project, string) {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := Load([]string{dir}, LoadOptions{})
	for _, d := range p.Diagnostics {
		t.Fatalf("diagnostic: %v", d)
	}
	return p, dir
}

func resource(t *testing.T, v *View, addr string) *Resource {
	t.Helper()
	for _, r := range v.Resources {
		if r.Address() == addr {
			return r
		}
	}
	var all []string
	for _, r := range v.Resources {
		all = append(all, r.Address())
	}
	t.Fatalf("no %s in %v", addr, all)
	return nil
}

func TestModulesAndEvaluation(t *testing.T) {
	t.Parallel()
	p, dir := load(t, map[string]string{
		"live/main.tf": `
locals {
  env  = "prod"
  name = "${local.env}-app"
}
module "net" {
  source = "../modules/net"
  azs    = ["a", "b", "c"]
  name   = local.name
}
module "app" {
  source  = "../modules/app"
  subnets = module.net.subnet_ids
}
`,
		"live/terraform.tfvars": `unused = 1`,
		"modules/net/main.tf": `
variable "azs" {}
variable "name" {}
variable "flag" {
  default = true
}
resource "aws_subnet" "this" {
  count             = length(var.azs)
  availability_zone = var.azs[count.index]
  tags              = { Name = "${var.name}-${count.index}" }
}
resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = [22, 443]
    content {
      from_port = ingress.value
    }
  }
}
resource "aws_s3_bucket" "each" {
  for_each = toset(["x", "y"])
  bucket   = "b-${each.key}"
}
output "subnet_ids" {
  value = aws_subnet.this[*].id
}
`,
		"modules/app/main.tf": `
variable "subnets" {}
resource "aws_ecs_service" "s" {
  network_configuration {
    subnets = var.subnets
  }
}
`,
	})
	if len(p.Roots) != 1 || p.Roots[0].Dir != filepath.Join(dir, "live") {
		t.Fatalf("roots = %v, want only live (the modules are called)", p.Roots)
	}
	if len(p.Modules) != 3 {
		t.Fatalf("%d module instances, want 3", len(p.Modules))
	}
	v := p.View()
	sub := resource(t, v, "module.net.aws_subnet.this[2]")
	if az, _ := sub.Attr("availability_zone").Str(); az != "c" {
		t.Errorf("az = %q", az)
	}
	if tags := sub.Attr("tags"); !tags.Known() || tags.Value.GetAttr("Name").AsString() != "prod-app-2" {
		t.Errorf("tags = %#v", tags.Value)
	}
	sg := resource(t, v, "module.net.aws_security_group.sg")
	if ing := sg.Blocks("ingress"); len(ing) != 2 {
		t.Errorf("dynamic blocks = %d", len(ing))
	} else if n, _ := ing[1].Attr("from_port").Number(); n != 443 {
		t.Errorf("from_port = %v", n)
	}
	if b, _ := resource(t, v, `module.net.aws_s3_bucket.each["y"]`).Attr("bucket").Str(); b != "b-y" {
		t.Errorf("bucket = %q", b)
	}
	// module.net's output has a known length, so the app's subnets do too.
	svc := resource(t, v, "module.app.aws_ecs_service.s")
	if n, ok := svc.Block.Block("network_configuration").Attr("subnets").Len(); !ok || n != 3 {
		t.Errorf("subnets len = %d, %v", n, ok)
	}
	if got := sub.DefRange.Filename; got != filepath.Join(dir, "modules/net/main.tf") || sub.DefRange.Start.Line != 7 {
		t.Errorf("DefRange = %v", sub.DefRange)
	}
}

func TestStripKeys(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`module.a["x"].module.b[0].aws_s3_bucket.c["k.y"]`: "module.a.module.b.aws_s3_bucket.c",
		"aws_vpc.this":        "aws_vpc.this",
		`aws_x.y["a]b"]`:      "aws_x.y",
		"module.m[2].aws_x.y": "module.m.aws_x.y",
	}
	for in, want := range tests {
		if got := stripKeys(in); got != want {
			t.Errorf("stripKeys(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnknownStaysUnknown(t *testing.T) {
	t.Parallel()
	p, _ := load(t, map[string]string{"main.tf": `
variable "cidr" {}
variable "maybe" {
  default = null
}
resource "aws_security_group_rule" "r" {
  cidr_blocks = [var.cidr]
  description = cidrsubnet("10.0.0.0/8", 8, 1)
  from_port   = var.maybe
  to_port     = aws_instance.x.port
}
`})
	r := resource(t, p.View(), "aws_security_group_rule.r")
	for _, name := range []string{"description", "from_port", "to_port"} {
		if a := r.Attr(name); !a.Unknown() {
			t.Errorf("%s = %#v, want unknown", name, a.Value)
		}
	}
	if n, ok := r.Attr("cidr_blocks").Len(); !ok || n != 1 {
		t.Error("the list length should stay known")
	}
	if vals, complete := r.Attr("cidr_blocks").Strings(); len(vals) != 0 || complete {
		t.Errorf("cidr_blocks = %v, %v", vals, complete)
	}
}

func TestPolicyDocuments(t *testing.T) {
	t.Parallel()
	p, _ := load(t, map[string]string{"main.tf": `
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "a" {
  policy = data.aws_iam_policy_document.d.json
}
resource "aws_iam_policy" "b" {
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:*", local.unknown]
      Resource = aws_s3_bucket.x.arn
    }]
  })
}
resource "aws_iam_policy" "c" {
  policy = "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}"
}
`})
	v := p.View()
	a := resource(t, v, "aws_iam_policy.a").Attr("policy").PolicyDocument()
	if len(a.Statements) != 1 || a.Statements[0].Effect != "Allow" || a.Statements[0].Action.Values[0] != "s3:GetObject" {
		t.Errorf("a = %+v", a.Statements[0])
	}
	b := resource(t, v, "aws_iam_policy.b").Attr("policy").PolicyDocument()
	s := b.Statements[0]
	if s.Action.Complete || len(s.Action.Values) != 1 || s.Action.Range.Start.Line != 15 || s.Resource.Complete {
		t.Errorf("b = %+v", s)
	}
	c := resource(t, v, "aws_iam_policy.c").Attr("policy").PolicyDocument()
	if len(c.Statements) != 1 || !c.Statements[0].Action.Any(func(x string) bool { return x == "*" }) {
		t.Errorf("c = %+v", c)
	}
}

func TestConfigInput(t *testing.T) {
	t.Parallel()
	p, dir := load(t, map[string]string{"main.tf": `
variable "env" {
  default = "prod"
}
resource "aws_s3_bucket" "b" {
  bucket = "x-${var.env}"
  arn    = aws_kms_key.k.arn
  versioning {
    enabled = true
  }
}
`})
	in := p.ConfigInput(filepath.Join(dir, "main.tf"))
	b := in["resource"].(map[string]any)["aws_s3_bucket"].(map[string]any)["b"].(map[string]any)
	if b["bucket"] != "x-prod" || b["arn"] != "${aws_kms_key.k.arn}" {
		t.Errorf("bucket = %v", b)
	}
	if v := b["versioning"].([]any)[0].(map[string]any)["enabled"]; v != true {
		t.Errorf("versioning = %v", v)
	}
}

func TestBrokenWorkflow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows", "ci.yml")
	if err := os.MkdirAll(filepath.Dir(wf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wf, []byte("on: push\njobs:\n  a:\n    steps:\n      - uses: x\n     bad: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := Load([]string{dir}, LoadOptions{})
	if len(p.Diagnostics) != 1 || p.Diagnostics[0].Range.Start.Line == 0 || p.Diagnostics[0].Range.Filename != wf {
		t.Fatalf("diagnostics = %v", p.Diagnostics)
	}
}
