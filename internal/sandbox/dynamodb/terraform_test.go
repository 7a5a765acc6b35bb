package dynamodb_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// terraform runs the terraform CLI in one working directory against a
// sandbox.
type terraform struct {
	t   *testing.T
	bin string
	env []string
	dir string
}

func newTerraform(t *testing.T, sb *sandboxtest.Sandbox, files map[string]string) *terraform {
	t.Helper()
	bin, env := sandboxtest.Terraform(t)
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &terraform{t: t, bin: bin, env: append(env, sb.Env()...), dir: dir}
}

func (tf *terraform) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, tf.bin, append(args[:1:1], append([]string{"-no-color"}, args[1:]...)...)...)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// exitCode interprets a finished command's error.
func (tf *terraform) exitCode(args []string, err error, out string) int {
	tf.t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode()
	}
	tf.t.Fatalf("terraform %v: %v\n%s", args, err, out)
	return -1
}

// must runs terraform and fails the test unless it exits with want.
func (tf *terraform) must(want int, args ...string) string {
	tf.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd, out := tf.command(ctx, args...)
	if code := tf.exitCode(args, cmd.Run(), out.String()); code != want {
		tf.t.Fatalf("terraform %v exited %d, want %d:\n%s", args, code, want, out.String())
	}
	return out.String()
}

const providerConfig = `
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

const kmsAndTableConfig = `
data "aws_caller_identity" "current" {}

resource "aws_kms_key" "state" {
  description             = "vigil state and lock encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdmin"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = {
    team = "sre"
  }
}

resource "aws_kms_alias" "state" {
  name          = "alias/vigil-state"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_dynamodb_table" "locks" {
  name         = "vigil-terraform-locks"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  tags = {
    team    = "sre"
    purpose = "terraform-locks"
  }
}

output "table_arn" {
  value = aws_dynamodb_table.locks.arn
}
`

// TestTerraformKMSKeyAliasAndTable applies a KMS key (rotation, policy,
// 7-day deletion window), an alias and a lock table (PITR, SSE with the
// key, TTL, tags) with the real provider, checks that an immediate plan
// has no changes, and destroys them.
func TestTerraformKMSKeyAliasAndTable(t *testing.T) {
	sb := sandboxtest.Start(t)
	tf := newTerraform(t, sb, map[string]string{"main.tf": providerConfig + kmsAndTableConfig})
	tf.must(0, "init", "-input=false")
	tf.must(0, "apply", "-input=false", "-auto-approve")
	if out := tf.must(0, "plan", "-input=false", "-detailed-exitcode"); !strings.Contains(out, "No changes") {
		t.Errorf("second plan:\n%s", out)
	}

	ctx := context.Background()
	ddb := dynamodb.NewFromConfig(sb.AWSConfig())
	kc := kms.NewFromConfig(sb.AWSConfig())
	d, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("vigil-terraform-locks")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/vigil-state")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Table.SSEDescription == nil || aws.ToString(d.Table.SSEDescription.KMSMasterKeyArn) != aws.ToString(key.KeyMetadata.Arn) {
		t.Errorf("table SSE %+v, key %s", d.Table.SSEDescription, aws.ToString(key.KeyMetadata.Arn))
	}
	rot, err := kc.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: key.KeyMetadata.KeyId})
	if err != nil || !rot.KeyRotationEnabled {
		t.Errorf("rotation: %+v, %v", rot, err)
	}

	tf.must(0, "destroy", "-input=false", "-auto-approve")
	_, err = ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("vigil-terraform-locks")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("table after destroy: %v", err)
	}
	after, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId})
	if err != nil || after.KeyMetadata.KeyState != kmstypes.KeyStatePendingDeletion ||
		after.KeyMetadata.DeletionDate.Sub(time.Now()) > 8*24*time.Hour {
		t.Errorf("key after destroy: %+v, %v", after, err)
	}
	aliases, _ := kc.ListAliases(ctx, &kms.ListAliasesInput{})
	for _, a := range aliases.Aliases {
		if aws.ToString(a.AliasName) == "alias/vigil-state" {
			t.Error("alias survived destroy")
		}
	}
}

// hasService reports whether the running sandbox serves a service, from
// its /_vigil/health document.
func hasService(t *testing.T, sb *sandboxtest.Sandbox, name string) bool {
	t.Helper()
	res, err := http.Get(sb.URL() + "/_vigil/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h struct{ Services []string }
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return slices.Contains(h.Services, name)
}

const backendConfig = `
terraform {
  backend "s3" {
    bucket         = "vigil-tfstate"
    key            = "stacks/app/terraform.tfstate"
    region         = "us-east-1"
    dynamodb_table = "vigil-tf-locks"
  }
}

variable "generation" {
  type    = number
  default = 1
}

resource "terraform_data" "slow" {
  input = var.generation

  provisioner "local-exec" {
    command = "sleep 8"
  }
}
`

const (
	lockID   = "vigil-tfstate/stacks/app/terraform.tfstate"
	digestID = lockID + "-md5"
)

// TestTerraformS3BackendDynamoDBLock runs Terraform's S3 backend with a
// DynamoDB lock table (no use_lockfile): the lock item appears while an
// apply runs and names its holder; a second apply with -lock-timeout=0s
// fails with Terraform's lock error naming that holder; the lock goes away
// when the first ends; the -md5 digest item matches the state object; and
// the second apply then succeeds.
func TestTerraformS3BackendDynamoDBLock(t *testing.T) {
	sb := sandboxtest.Start(t)
	if !hasService(t, sb, "s3") {
		t.Skip("the sandbox serves no s3 yet (internal/sandbox/s3); the S3 backend cannot run")
	}
	ctx := context.Background()
	cfg := sb.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vigil-tfstate")}); err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	lockTable(t, ddb, "vigil-tf-locks")

	tf := newTerraform(t, sb, map[string]string{"main.tf": backendConfig})
	tf.must(0, "init", "-input=false")

	// First apply, slow, in the background.
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	first, firstOut := tf.command(runCtx, "apply", "-input=false", "-auto-approve", "-var", "generation=1")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Wait() }()

	// Wait for its lock to appear.
	var holder struct{ ID, Who, Operation, Path string }
	deadline := time.Now().Add(2 * time.Minute)
	for {
		g, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("vigil-tf-locks"),
			Key: map[string]types.AttributeValue{"LockID": &types.AttributeValueMemberS{Value: lockID}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if info, ok := g.Item["Info"].(*types.AttributeValueMemberS); ok {
			if err := json.Unmarshal([]byte(info.Value), &holder); err != nil {
				t.Fatalf("lock Info is not Terraform's LockInfo JSON: %v: %s", err, info.Value)
			}
			break
		}
		select {
		case err := <-firstDone:
			t.Fatalf("the first apply ended (%v) before its lock was seen:\n%s", err, firstOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lock item appeared; first apply so far:\n%s", firstOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if holder.ID == "" || holder.Path != lockID || holder.Operation != "OperationTypeApply" {
		t.Errorf("lock info = %+v", holder)
	}

	// A second apply cannot take the lock and says who holds it.
	out := tf.must(1, "apply", "-input=false", "-auto-approve", "-lock-timeout=0s", "-var", "generation=2")
	if !strings.Contains(out, "Error acquiring the state lock") || !strings.Contains(out, holder.ID) || !strings.Contains(out, holder.Who) {
		t.Errorf("second apply's lock error does not name the holder %+v:\n%s", holder, out)
	}
	if !strings.Contains(out, "ConditionalCheckFailedException") {
		t.Errorf("the lock error should come from DynamoDB's conditional write:\n%s", out)
	}

	select {
	case err := <-firstDone:
		if code := tf.exitCode([]string{"apply"}, err, firstOut.String()); code != 0 {
			t.Fatalf("first apply exited %d:\n%s", code, firstOut.String())
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("first apply did not finish")
	}

	// The lock is gone; the digest item matches the state object.
	checkUnlockedWithDigest := func() (serial int, lineage string) {
		t.Helper()
		g, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("vigil-tf-locks"),
			Key: map[string]types.AttributeValue{"LockID": &types.AttributeValueMemberS{Value: lockID}}, ConsistentRead: aws.Bool(true)})
		if err != nil || g.Item != nil {
			t.Fatalf("lock item after apply: %v, %v", g.Item, err)
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("vigil-tfstate"), Key: aws.String("stacks/app/terraform.tfstate")})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(obj.Body)
		_ = obj.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(body)
		dg, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("vigil-tf-locks"),
			Key:                  map[string]types.AttributeValue{"LockID": &types.AttributeValueMemberS{Value: digestID}},
			ProjectionExpression: aws.String("LockID, Digest"), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		digest, _ := dg.Item["Digest"].(*types.AttributeValueMemberS)
		if digest == nil || digest.Value != hex.EncodeToString(sum[:]) {
			t.Fatalf("digest item %v does not match the state object's MD5 %x", dg.Item, sum)
		}
		var st struct {
			Serial  int
			Lineage string
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		return st.Serial, st.Lineage
	}
	serial1, lineage1 := checkUnlockedWithDigest()

	// Now the second apply succeeds and moves the state on.
	tf.must(0, "apply", "-input=false", "-auto-approve", "-lock-timeout=0s", "-var", "generation=2")
	serial2, lineage2 := checkUnlockedWithDigest()
	if lineage2 != lineage1 || serial2 <= serial1 {
		t.Errorf("state after the second apply: serial %d → %d, lineage %s → %s", serial1, serial2, lineage1, lineage2)
	}
	if out := tf.must(0, "plan", "-input=false", "-detailed-exitcode", "-var", "generation=2"); !strings.Contains(out, "No changes") {
		t.Errorf("plan after the second apply:\n%s", out)
	}
	tf.must(0, "destroy", "-input=false", "-auto-approve", "-var", "generation=2")
	checkUnlockedWithDigest()
}
