package e2e_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// TestStateBackendModule applies blueprint/modules/state-backend (S3 bucket
// with versioning, SSE-KMS, public access block and TLS-only policy; the
// DynamoDB lock table with PITR and encryption; a rotating KMS key) to the
// sandbox, checks that an immediate second plan has no changes, and
// destroys it.
func TestStateBackendModule(t *testing.T) {
	sb := sandboxtest.Start(t)
	needServices(t, sb, "s3", "sts", "dynamodb", "kms")
	x := newTF(t, sb)

	work := t.TempDir()
	main := `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region = "us-east-1"
}
module "state_backend" {
  source        = "` + filepath.Join(repoRoot(t), "blueprint", "modules", "state-backend") + `"
  name_prefix   = "vigil-e2e"
  force_destroy = true
}
output "bucket" { value = module.state_backend.bucket }
`
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	x.init(work)
	x.apply(work)
	x.planClean(work)
	x.destroy(work)
	assertOnlyStateBackendLeftExcept(t, sb, false)
}
