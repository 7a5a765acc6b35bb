// Package sandboxtest starts a sandbox for tests, on loopback, in a
// temporary data directory, and builds aws-sdk-go-v2 configs and Terraform
// environments pointed at it.
package sandboxtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/simclock"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// Sandbox is a running test sandbox.
type Sandbox struct {
	*sandbox.Server
	Dir string
}

// Start opens a sandbox in a fresh temporary data directory on a free
// loopback port and stops it when the test ends.
func Start(t testing.TB) *Sandbox {
	t.Helper()
	return StartIn(t, t.TempDir())
}

// StartIn starts a sandbox on an existing data directory (to test restarts).
func StartIn(t testing.TB, dir string) *Sandbox {
	t.Helper()
	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("open sandbox: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return &Sandbox{Server: srv, Dir: dir}
}

// Services is the set of services the sandbox serves, by signing name.
func (s *Sandbox) Services() map[string]bool {
	out := map[string]bool{}
	for _, n := range []string{"s3", "sts", "dynamodb", "kms", "iam", "ec2", "logs", "monitoring", "sns", "events", "lambda", "ecs", "elasticloadbalancing", "application-autoscaling", "synthetics"} {
		if s.Serves(n) {
			out[n] = true
		}
	}
	return out
}

// StartStepped starts a sandbox (fresh data directory, free port) whose
// virtual clock stands still at start: only Clock().Advance (or the
// /_vigil/clock endpoint) moves it, running every timer on the way (alarm
// evaluations at each period boundary), so a test decides exactly when
// time passes.
func StartStepped(t testing.TB, start time.Time) *Sandbox {
	t.Helper()
	dir := t.TempDir()
	clock := simclock.New(simclock.WithStart(start), simclock.WithSpeed(0))
	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0", Clock: clock})
	if err != nil {
		t.Fatalf("open sandbox: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return &Sandbox{Server: srv, Dir: dir}
}

// AWSConfig is an aws-sdk-go-v2 config for the sandbox: static test
// credentials, region us-east-1, every service at the sandbox's URL.
func (s *Sandbox) AWSConfig() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "sandbox-secret", ""),
		BaseEndpoint: aws.String(s.URL()),
		// No retries: a test wants to see the first answer.
		RetryMaxAttempts: 1,
	}
}

// Env is the environment for an AWS client or Terraform process (provider
// and S3 backend) to use the sandbox.
func (s *Sandbox) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL(),
		"AWS_ACCESS_KEY_ID=AKIDSANDBOX",
		"AWS_SECRET_ACCESS_KEY=sandbox-secret",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Terraform returns the terraform binary and a base environment whose CLI
// config installs providers only from local filesystem mirrors. Without
// terraform or a mirror the test is skipped, except under CI=true, where it
// fails.
func Terraform(t testing.TB) (bin string, env []string) {
	t.Helper()
	bin = testutil.Terraform(t)
	mirror := testutil.AWSProviderMirror(t)
	dir := t.TempDir()
	// No plugin_cache_dir: test packages run in parallel, and parallel inits
	// on one cache race (Terraform rewrites cache entries for configurations
	// without a lock file). Installing from an unpacked filesystem mirror
	// symlinks the provider, so no cache is needed for speed.
	rc := filepath.Join(dir, "cli.tfrc")
	cfg := `provider_installation {
  filesystem_mirror {
    path    = "` + mirror + `"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`
	if err := os.WriteFile(rc, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	return bin, env
}
