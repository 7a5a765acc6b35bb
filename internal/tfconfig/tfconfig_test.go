package tfconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadModule(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"stack/backend.tf": `
terraform {
  backend "s3" {
    bucket = var.bucket
    key    = "dev/workload/terraform.tfstate"
  }
  required_providers {
    aws    = { source = "hashicorp/aws", version = ">= 5.0", configuration_aliases = [aws.east] }
    random = "~> 3.0"
  }
}
`,
		"stack/main.tf": `
data "terraform_remote_state" "foundation" {
  backend = "s3"
  config = {
    bucket = var.bucket
    key    = "dev/foundation/terraform.tfstate"
  }
}
data "terraform_remote_state" "computed" {
  backend = "s3"
  config  = { key = "${var.env}/x/terraform.tfstate" }
}
resource "aws_sqs_queue" "q" {}
resource "google_thing" "g" { provider = gcp.alias }
resource "terraform_data" "d" {}
provider "archive" {}
module "net" {
  source = "../modules/net"
}
module "remote" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
`,
		"stack/notes.txt":              "not terraform",
		"stack/.hidden.tf":             "this is not read",
		"modules/net/main.tf":          `module "sub" { source = "./sub" }`,
		"modules/net/sub/main.tf":      `module "back" { source = "../" }`,
		"stack/nested/ignored/main.tf": `resource "x_y" "z" {}`,
	})
	m, err := LoadModule(filepath.Join(root, "stack"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Diags) > 0 {
		t.Fatalf("diags: %v", m.Diags)
	}
	if got, want := m.Files, []string{filepath.Join(root, "stack", "backend.tf"), filepath.Join(root, "stack", "main.tf")}; !reflect.DeepEqual(got, want) {
		t.Errorf("Files = %v, want %v", got, want)
	}
	if m.Backend == nil || m.Backend.Type != "s3" || m.Backend.Key != "dev/workload/terraform.tfstate" {
		t.Errorf("Backend = %+v", m.Backend)
	}
	var keys []string
	for _, rs := range m.RemoteStates {
		keys = append(keys, rs.Name+"="+rs.Backend+":"+rs.Key)
	}
	if want := []string{"foundation=s3:dev/foundation/terraform.tfstate", "computed=s3:"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("RemoteStates = %v, want %v", keys, want)
	}
	wantReq := map[string]ProviderRequirement{
		"aws":    {Source: "hashicorp/aws", Version: ">= 5.0"},
		"random": {Version: "~> 3.0"},
	}
	if !reflect.DeepEqual(m.RequiredProviders, wantReq) {
		t.Errorf("RequiredProviders = %v, want %v", m.RequiredProviders, wantReq)
	}
	if want := []string{"archive", "aws", "gcp"}; !reflect.DeepEqual(m.ProviderRefs, want) {
		t.Errorf("ProviderRefs = %v, want %v", m.ProviderRefs, want)
	}
	if len(m.ModuleCalls) != 2 || m.ModuleCalls[0].LocalDir != filepath.Join(root, "modules", "net") || m.ModuleCalls[1].LocalDir != "" || m.ModuleCalls[1].Version != "5.0.0" {
		t.Errorf("ModuleCalls = %+v", m.ModuleCalls)
	}
	mods, err := LocalModules(m)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, mod := range mods {
		dirs = append(dirs, mod.Dir)
	}
	if want := []string{filepath.Join(root, "modules", "net"), filepath.Join(root, "modules", "net", "sub")}; !reflect.DeepEqual(dirs, want) {
		t.Errorf("LocalModules = %v, want %v", dirs, want)
	}
}

func TestLoadModuleSyntaxError(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"a.tf": "terraform {\n  backend \"s3\" {\n    key = \"k\"\n  }\n}\n",
		"b.tf": "resource \"aws_x\" \"y\" {\n",
	})
	m, err := LoadModule(root)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Diags.HasErrors() {
		t.Error("want parse diagnostics for b.tf")
	}
	if m.Backend == nil || m.Backend.Key != "k" {
		t.Errorf("Backend = %+v; the readable file must still be read", m.Backend)
	}
	if _, err := LoadModule(filepath.Join(root, "missing")); err == nil {
		t.Error("LoadModule(missing dir) = nil error")
	}
}
