package s3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// tfRunner runs terraform in one working directory against a sandbox.
type tfRunner struct {
	t   *testing.T
	bin string
	env []string
	dir string
}

func newTF(t *testing.T, sb *sandboxtest.Sandbox, files map[string]string) *tfRunner {
	t.Helper()
	bin, env := sandboxtest.Terraform(t)
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &tfRunner{t: t, bin: bin, env: append(env, sb.Env()...), dir: dir}
}

// run runs terraform and returns its exit code and combined output.
func (r *tfRunner) run(ctx context.Context, args ...string) (int, string) {
	r.t.Helper()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	default:
		r.t.Fatalf("terraform %v: %v\n%s", args, err, out.String())
		return -1, ""
	}
}

// must runs terraform and fails the test unless it exits with want.
func (r *tfRunner) must(want int, args ...string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	code, out := r.run(ctx, args...)
	if code != want {
		r.t.Fatalf("terraform %v exited %d, want %d:\n%s", args, code, want, out)
	}
	return out
}

const providerBlock = `
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}
`

const bucketStack = providerBlock + `
resource "aws_s3_bucket" "logs" {
  bucket = "vigil-e2e-logs"
}

resource "aws_s3_bucket" "state" {
  bucket = "vigil-e2e-state"
  tags = {
    Team = "sre"
    Env  = "test"
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.state]
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket     = aws_s3_bucket.state.id
  depends_on = [aws_s3_bucket_versioning.state]
  rule {
    id     = "expire-noncurrent"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_logging" "state" {
  bucket        = aws_s3_bucket.state.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "access/"
}

output "arn" {
  value = aws_s3_bucket.state.arn
}
`

// TestTerraformBucketStack applies an S3 bucket with its companion
// resources using the real Terraform AWS provider, checks that a second
// plan has no changes, and destroys it.
func TestTerraformBucketStack(t *testing.T) {
	sb := sandboxtest.Start(t)
	tf := newTF(t, sb, map[string]string{"main.tf": bucketStack})
	tf.must(0, "init", "-input=false", "-no-color")
	tf.must(0, "apply", "-auto-approve", "-input=false", "-no-color")
	out := tf.must(0, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	t.Logf("second plan:\n%s", out)
	tf.must(0, "destroy", "-auto-approve", "-input=false", "-no-color")
}

const lockedStack = `
terraform {
  backend "s3" {
    bucket       = "vigil-tfstate"
    key          = "stacks/app/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
  }
}

variable "n" {
  type    = number
  default = 1
}

variable "pause" {
  type    = number
  default = 0
}

resource "terraform_data" "slow" {
  input            = var.n
  triggers_replace = [var.n]
  provisioner "local-exec" {
    command = "sleep ${var.pause}"
  }
}
`

// TestTerraformS3BackendLockfile runs a stack whose state lives in the
// sandbox's S3 with use_lockfile = true: the state object is written,
// a second apply while the first holds the lock fails with Terraform's
// lock error naming the holder, and succeeds once the first is done.
func TestTerraformS3BackendLockfile(t *testing.T) {
	sb := sandboxtest.Start(t)
	c := s3.NewFromConfig(sb.AWSConfig())
	ctx := context.Background()
	mustBucket(t, c, "vigil-tfstate")
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("vigil-tfstate"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	const key = "stacks/app/terraform.tfstate"
	tf := newTF(t, sb, map[string]string{"main.tf": lockedStack})
	tf.must(0, "init", "-input=false", "-no-color")
	tf.must(0, "apply", "-auto-approve", "-input=false", "-no-color")
	first := readState(t, c, "vigil-tfstate", key)
	if first.Serial < 1 || first.Lineage == "" {
		t.Fatalf("state after first apply: %+v", first)
	}

	// Apply A holds the lock for a while (its provisioner sleeps).
	actx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := tf.run(actx, "apply", "-auto-approve", "-input=false", "-no-color", "-var", "n=2", "-var", "pause=10")
		done <- result{code, out}
	}()
	lock := waitForObject(t, c, "vigil-tfstate", key+".tflock", 60*time.Second)
	var info struct{ ID, Who, Operation string }
	if err := json.Unmarshal(lock, &info); err != nil || info.ID == "" {
		t.Fatalf("lock object %q: %v", lock, err)
	}

	// Apply B on the same stack fails at once, naming the holder.
	code, out := tf.run(ctx, "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s", "-var", "n=3")
	if code == 0 {
		t.Fatalf("second apply succeeded while the lock was held:\n%s", out)
	}
	for _, want := range []string{"Error acquiring the state lock", info.ID, "Who:", info.Who} {
		if !strings.Contains(out, want) {
			t.Errorf("lock error does not mention %q:\n%s", want, out)
		}
	}

	a := <-done
	if a.code != 0 {
		t.Fatalf("first apply failed (%d):\n%s", a.code, a.out)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("vigil-tfstate"), Key: aws.String(key + ".tflock")}); err == nil {
		t.Fatal("lock object still present after the apply that held it finished")
	}
	afterA := readState(t, c, "vigil-tfstate", key)

	// Now B succeeds.
	tf.must(0, "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s", "-var", "n=3")
	afterB := readState(t, c, "vigil-tfstate", key)
	if afterA.Lineage != first.Lineage || afterB.Lineage != first.Lineage {
		t.Errorf("lineage changed: %s → %s → %s", first.Lineage, afterA.Lineage, afterB.Lineage)
	}
	if !(first.Serial < afterA.Serial && afterA.Serial < afterB.Serial) {
		t.Errorf("serials not increasing: %d, %d, %d", first.Serial, afterA.Serial, afterB.Serial)
	}
	if got := afterB.input(); got != 3 {
		t.Errorf("final input = %v, want 3 (B's value)", got)
	}
	// What Terraform itself reads back is the object in the bucket.
	pulled := tf.must(0, "state", "pull")
	var ps tfState
	if err := json.Unmarshal([]byte(pulled), &ps); err != nil {
		t.Fatal(err)
	}
	if ps.Serial != afterB.Serial {
		t.Errorf("terraform state pull serial %d, object serial %d", ps.Serial, afterB.Serial)
	}
	// The bucket is versioned: every state write left a version.
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vigil-tfstate"), Prefix: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) < 3 {
		t.Errorf("only %d versions of the state and lock objects", len(vs.Versions))
	}
}

type tfState struct {
	Serial    int    `json:"serial"`
	Lineage   string `json:"lineage"`
	Resources []struct {
		Instances []struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

func (s tfState) input() any {
	for _, r := range s.Resources {
		for _, in := range r.Instances {
			// terraform_data keeps its input as {"type": …, "value": …}.
			if v, ok := in.Attributes["input"].(map[string]any); ok {
				if f, ok := v["value"].(float64); ok {
					return int(f)
				}
				return v["value"]
			}
		}
	}
	return nil
}

func readState(t *testing.T, c *s3.Client, bucket, key string) tfState {
	t.Helper()
	var st tfState
	if err := json.Unmarshal(get(t, c, bucket, key), &st); err != nil {
		t.Fatalf("state object: %v", err)
	}
	return st
}

// waitForObject polls until the object exists and returns its body.
func waitForObject(t *testing.T, c *s3.Client, bucket, key string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err == nil && len(b) > 0 {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("object %s/%s did not appear within %v", bucket, key, timeout)
	return nil
}
