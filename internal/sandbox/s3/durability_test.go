package s3_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// helperEnv makes the test binary serve a sandbox instead of testing (the
// GO_WANT_HELPER_PROCESS pattern): see TestHelperSandboxProcess.
const helperEnv = "VIGIL_S3_HELPER_DATA_DIR"

// TestHelperSandboxProcess is not a test: run with helperEnv set, it serves
// a sandbox on that data directory, prints its URL and serves until killed.
func TestHelperSandboxProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for the kill -9 tests")
	}
	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if err := srv.Start(); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("URL", srv.URL())
	select {}
}

// startHelper runs the sandbox in a child process on dir and returns its URL.
func startHelper(t testing.TB, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSandboxProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "URL ") {
		t.Fatalf("helper did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "URL "))
}

func clientFor(url string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDSANDBOX", SecretAccessKey: "secret"}, nil
		})})
}

// TestKill9KeepsAcknowledgedWrites writes objects from several clients
// (plain puts, overwrites of a versioned key, multipart uploads), kills
// the sandbox process with SIGKILL while writes are in flight, restarts a
// sandbox on the same data directory and checks that every write the
// sandbox acknowledged is there, intact, and that no unacknowledged write
// left a partial object.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped in -short mode")
	}
	dir := t.TempDir()
	cmd, url := startHelper(t, dir)
	c := clientFor(url)
	ctx := context.Background()
	mustBucket(t, c, "durable")
	setVersioning(t, c, "durable", "Enabled")

	type write struct {
		key     string
		sum     [16]byte
		version string
	}
	var (
		mu        sync.Mutex
		acked     []write
		attempted = map[string][16]byte{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d/obj-%04d", w, i)
				size := 1 + (i*7919+w*104729)%(256<<10)
				if w == 3 && i%4 == 0 {
					size = 5<<20 + 1 // a two-part multipart upload through the manager path below
				}
				data := bytes.Repeat([]byte{byte(w), byte(i)}, size/2+1)[:size]
				sum := md5.Sum(data)
				mu.Lock()
				attempted[key] = sum
				mu.Unlock()
				var version string
				var err error
				if size > 5<<20 {
					version, err = multipartPut(ctx, c, "durable", key, data)
				} else {
					var out *s3.PutObjectOutput
					out, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("durable"), Key: aws.String(key), Body: bytes.NewReader(data)})
					if err == nil {
						version = aws.ToString(out.VersionId)
					}
				}
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, write{key, sum, version})
				mu.Unlock()
			}
		}(w)
	}
	// Let writes flow, then kill the server mid-stream.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 60 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	sb := sandboxtest.StartIn(t, dir)
	c = s3.NewFromConfig(sb.AWSConfig())
	for _, w := range acked {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("durable"), Key: aws.String(w.key), VersionId: aws.String(w.version)})
		if err != nil {
			t.Errorf("acknowledged write %s (version %s) lost: %v", w.key, w.version, err)
			continue
		}
		data, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || md5.Sum(data) != w.sum {
			t.Errorf("acknowledged write %s corrupted (%d bytes, %v)", w.key, len(data), err)
		}
	}
	// Writes in flight at the kill either committed whole or left nothing.
	ackedKeys := map[string]bool{}
	for _, w := range acked {
		ackedKeys[w.key] = true
	}
	inFlight := 0
	for key, sum := range attempted {
		if ackedKeys[key] {
			continue
		}
		inFlight++
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("durable"), Key: aws.String(key)})
		if err != nil {
			if errCode(err) != "NoSuchKey" {
				t.Errorf("unacknowledged %s: %v", key, err)
			}
			continue
		}
		data, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if md5.Sum(data) != sum {
			t.Errorf("unacknowledged write %s is partial (%d bytes)", key, len(data))
		}
	}
	t.Logf("%d acknowledged writes verified after kill -9; %d were in flight", len(acked), inFlight)
	// The restarted sandbox keeps working on the same state.
	put(t, c, "durable", "after-restart", []byte("ok"))
	if string(get(t, c, "durable", "after-restart")) != "ok" {
		t.Fatal("write after restart")
	}
}

// multipartPut uploads data in two parts (the first 5 MiB).
func multipartPut(ctx context.Context, c *s3.Client, bucket, key string, data []byte) (string, error) {
	create, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	var parts []s3types.CompletedPart
	for i, chunk := range [][]byte{data[:5<<20], data[5<<20:]} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: create.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk)})
		if err != nil {
			return "", err
		}
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: create.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.VersionId), nil
}
