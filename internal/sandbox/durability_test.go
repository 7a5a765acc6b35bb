package sandbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// helperEnv makes the test binary act as a sandbox server process, so a
// test can kill -9 it.
const helperEnv = "VIGIL_TEST_SANDBOX_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		if err := srv.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("URL", srv.URL())
		srv.Wait()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startSandboxProcess runs a sandbox in a child process and returns its URL.
func startSandboxProcess(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "URL ") {
		t.Fatalf("sandbox process did not report its URL: %q, %v", line, err)
	}
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "URL "))
}

func s3Client(url string) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		BaseEndpoint: aws.String(url),
	}, func(o *s3.Options) { o.UsePathStyle = true })
}

// TestKill9MidApply kills the sandbox with SIGKILL while Terraform is
// creating resources, restarts it on the same data dir, and checks that
// every resource Terraform recorded is there and that a new plan agrees
// with what was applied.
func TestKill9MidApply(t *testing.T) {
	tfBin, tfEnv := sandboxtest.Terraform(t)
	const n = 24
	dataDir := t.TempDir()
	cmd, url := startSandboxProcess(t, dataDir)

	work := t.TempDir()
	hcl := fmt.Sprintf(`
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region      = "us-east-1"
  max_retries = 1
}
resource "aws_s3_bucket" "b" {
  count  = %d
  bucket = "kill9-${count.index}"
}
`, n)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(url string) []string {
		return append(append([]string{}, tfEnv...),
			"AWS_ENDPOINT_URL="+url, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret",
			"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	}
	run := func(url string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, tfBin, args...)
		c.Dir = work
		c.Env = env(url)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := run(url, "init", "-input=false", "-no-color"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}

	applyCtx, cancelApply := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancelApply()
	apply := exec.CommandContext(applyCtx, tfBin, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=2")
	apply.Dir = work
	apply.Env = env(url)
	var applyOut strings.Builder
	apply.Stdout, apply.Stderr = &applyOut, &applyOut
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill the sandbox once a few buckets exist, i.e. in the middle.
	client := s3Client(url)
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err == nil && len(out.Buckets) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no buckets appeared in time; apply output:\n%s", applyOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if err := apply.Wait(); err == nil {
		t.Fatalf("apply succeeded although the sandbox was killed; output:\n%s", applyOut.String())
	}

	// Restart on the same data dir.
	_, url2 := startSandboxProcess(t, dataDir)
	client = s3Client(url2)

	var st struct {
		Resources []struct {
			Instances []struct {
				Status     string `json:"status"`
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	raw, err := os.ReadFile(filepath.Join(work, "terraform.tfstate"))
	if err != nil {
		t.Fatalf("no state after the interrupted apply: %v", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	recorded, tainted := 0, 0
	for _, r := range st.Resources {
		for _, in := range r.Instances {
			recorded++
			if in.Status == "tainted" {
				// Created, but Terraform could not finish reading it back
				// before the sandbox died: it will replace it.
				tainted++
			}
			if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(in.Attributes.ID)}); err != nil {
				t.Errorf("bucket %s is in Terraform's state but lost by the sandbox: %v", in.Attributes.ID, err)
			}
		}
	}
	if recorded == 0 || recorded == n {
		t.Fatalf("recorded %d of %d buckets: the kill did not land mid-apply", recorded, n)
	}

	out, err := run(url2, "plan", "-input=false", "-no-color", "-refresh=true")
	if err != nil {
		t.Fatalf("plan after restart: %v\n%s", err, out)
	}
	want := fmt.Sprintf("Plan: %d to add, 0 to change, %d to destroy.", n-recorded+tainted, tainted)
	if !strings.Contains(out, want) {
		t.Fatalf("plan after restart does not match what was applied (%d recorded); want %q in:\n%s", recorded, want, out)
	}
}
