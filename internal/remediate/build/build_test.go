package build_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/remediate/build"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// moduleRoot is the vigil module, three levels up from this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

var (
	buildOnce sync.Once
	builtZip  []byte
	buildErr  error
)

// built builds the zip once for the package's tests.
func built(t *testing.T) []byte {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-build-test-")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "nested", "remediator.zip")
		if buildErr = build.Build(context.Background(), moduleRoot(t), out); buildErr == nil {
			builtZip, buildErr = os.ReadFile(out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtZip
}

func TestBuildIsReproducible(t *testing.T) {
	first := built(t)
	out := filepath.Join(t.TempDir(), "again.zip")
	if err := os.WriteFile(out, []byte("an older zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := build.Build(context.Background(), moduleRoot(t), out); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("two builds differ: %d and %d bytes", len(first), len(second))
	}
	hash, err := build.SourceCodeHash(out)
	if err != nil || len(hash) != 44 {
		t.Errorf("SourceCodeHash = %q, %v", hash, err)
	}

	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("zip entries = %v, want just bootstrap", zr.File)
	}
	f := zr.File[0]
	if f.Mode().Perm() != 0o755 || !f.Mode().IsRegular() || !f.Modified.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) || f.Method != zip.Deflate {
		t.Errorf("bootstrap mode %v, modified %v, method %d", f.Mode(), f.Modified, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 20)
	_, err = io.ReadFull(rc, head)
	rc.Close()
	// ELF, 64-bit, little-endian, executable, x86-64.
	if err != nil || !bytes.Equal(head[:4], []byte("\x7fELF")) || head[4] != 2 || head[5] != 1 || head[16] != 2 || head[18] != 0x3e {
		t.Errorf("bootstrap is not a linux/amd64 executable: % x (%v)", head, err)
	}
}

func TestWriteZipIsDeterministic(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	if err := build.WriteZip(&a, []byte("exe")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a wall-clock time in the zip would show now
	if err := build.WriteZip(&b, []byte("exe")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("WriteZip output depends on when it runs")
	}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	cmd := build.Command(context.Background(), "/src", "/tmp/x/bootstrap")
	want := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", "/tmp/x/bootstrap", "./cmd/vigil-remediator"}
	if strings.Join(cmd.Args, "|") != strings.Join(want, "|") || cmd.Dir != "/src" {
		t.Errorf("argv = %q in %s", cmd.Args, cmd.Dir)
	}
	env := strings.Join(cmd.Env, "\n")
	for _, kv := range []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "CGO_ENABLED=0"} {
		if !strings.HasSuffix(env, kv) && !strings.Contains(env, kv+"\n") {
			t.Errorf("env lacks %s", kv)
		}
	}
}

func TestBuildFailsWithTheCompilerOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/none\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := build.Build(context.Background(), dir, filepath.Join(dir, "out.zip"))
	if err == nil || !strings.Contains(err.Error(), "go build ./cmd/vigil-remediator") {
		t.Errorf("Build in a module without the remediator = %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "out.zip")); statErr == nil {
		t.Error("a failed build left a zip")
	}
}

// runtimeAPI is a one-invocation Lambda Runtime API: it hands the event to
// the bootstrap and records the response or error it posts.
type runtimeAPI struct {
	event  []byte
	mu     sync.Mutex
	served bool
	result chan runtimeResult
}

type runtimeResult struct {
	kind string // "response" or "error"
	body []byte
}

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
		a.mu.Lock()
		first := !a.served
		a.served = true
		a.mu.Unlock()
		if !first {
			<-r.Context().Done() // one invocation only: hold the next poll
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:vigil-test-remediator")
		_, _ = w.Write(a.event)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/2018-06-01/runtime/invocation/req-1/"):
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		a.result <- runtimeResult{kind: strings.TrimPrefix(r.URL.Path, "/2018-06-01/runtime/invocation/req-1/"), body: body}
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// invoke runs the zip's bootstrap for one invocation with the given
// environment and returns what it posted.
func invoke(t *testing.T, zipBytes, event []byte, env []string) runtimeResult {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := io.ReadAll(rc)
	rc.Close()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	api := &runtimeAPI{event: event, result: make(chan runtimeResult, 1)}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append([]string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"), "PATH=/usr/bin:/bin",
		"AWS_LAMBDA_FUNCTION_NAME=vigil-test-remediator", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128"}, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case res := <-api.result:
		t.Logf("bootstrap output:\n%s", logs.String())
		return res
	case <-ctx.Done():
		t.Fatalf("the bootstrap posted no result within a minute; output:\n%s", logs.String())
	}
	return runtimeResult{}
}

func TestBootstrapServesTheRuntimeAPI(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the bootstrap is linux/amd64; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	z := built(t)
	event := []byte(`{"version":"0","id":"e1","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"123456789012",
"time":"2026-05-01T10:00:00Z","region":"us-east-1","resources":[],"detail":{"alarmName":"vigil-test-app-gone",
"state":{"value":"ALARM","reason":"r","timestamp":"2026-05-01T10:00:00.000+0000"},"previousState":{"value":"OK"},"configuration":{"description":""}}}`)

	t.Run("a missing setting fails the invocation", func(t *testing.T) {
		res := invoke(t, z, event, []string{"CLUSTER=main"})
		if res.kind != "error" || !strings.Contains(string(res.body), "SERVICE: not set") {
			t.Errorf("result = %s %s", res.kind, res.body)
		}
	})

	t.Run("configured, against the sandbox through AWS_ENDPOINT_URL", func(t *testing.T) {
		sb := sandboxtest.Start(t)
		env := append(sb.Env(), "CLUSTER=main", "SERVICE=app", "MAX_ATTEMPTS=3", "ALARM_NAME_PREFIX=vigil-test-app-",
			"TARGET_GROUP_ARN=arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef",
			"PAGER_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:pager", "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/vigil-test-remediator")
		// The alarm does not exist in the sandbox: DescribeAlarms there says
		// so, and the invocation succeeds having done nothing. Real AWS
		// would be unreachable or refuse the test credentials.
		res := invoke(t, z, event, env)
		if res.kind != "response" || strings.TrimSpace(string(res.body)) != "null" {
			t.Errorf("result = %s %s", res.kind, res.body)
		}
	})
}
