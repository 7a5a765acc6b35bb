package terraform

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/testutil"
)

// e2eToolchain is a Toolchain on the real binary, offline: the aws provider
// comes from the test mirror only, the registry probe always fails, and an
// HTTPS proxy that refuses connections stands in for a network that is down.
func e2eToolchain(t *testing.T, root string, env map[string]string) *Toolchain {
	t.Helper()
	bin := testutil.Terraform(t)
	mirror := testutil.AWSProviderMirror(t)
	home := t.TempDir()
	set := map[string]string{
		"HOME":                  home,
		"XDG_DATA_HOME":         filepath.Join(home, "share"),
		"XDG_DATA_DIRS":         filepath.Join(home, "none"),
		"XDG_CACHE_HOME":        filepath.Join(home, "cache"),
		"VIGIL_PROVIDER_MIRROR": mirror,
		"TF_CLI_CONFIG_FILE":    filepath.Join(home, "does-not-exist.tfrc"), // must not break anything
		"TF_PLUGIN_CACHE_DIR":   "",
		"HTTPS_PROXY":           "http://127.0.0.1:1",
		"https_proxy":           "http://127.0.0.1:1",
		"TF_LOG":                "TRACE", // must not leak into output
	}
	for k, v := range env {
		set[k] = v
	}
	tc, err := New(context.Background(), Params{
		Binary:     bin,
		Root:       root,
		CacheDir:   filepath.Join(root, "plugin-cache"),
		Environ:    testutil.Environ(set),
		ImageRoots: []string{},
		Probe:      func(context.Context, string) error { return errors.New("offline") },
	})
	if err != nil {
		t.Fatalf("New() error: %v", err)
	}
	return tc
}

const awsStack = `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

module "shared" {
  source = "../../modules/shared"
  name   = "s%d"
}

output "arn" {
  value = module.shared.arn
}
`

const sharedModule = `variable "name" {
  type = string
}

resource "aws_sqs_queue" "q" {
  name = var.name
}

output "arn" {
  value = aws_sqs_queue.q.arn
}
`

// TestParallelInit inits and validates many stacks at once on an empty
// plugin cache: every one must succeed, and nothing may be written to a
// shared folder.
func TestParallelInit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 24 terraform processes")
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "modules", "shared", "main.tf"), sharedModule)
	const n = 12
	var dirs []string
	for i := range n {
		dir := filepath.Join(root, "live", fmt.Sprintf("s%02d", i))
		write(t, filepath.Join(dir, "main.tf"), fmt.Sprintf(awsStack, i))
		dirs = append(dirs, dir)
	}
	tc := e2eToolchain(t, root, nil)
	ctx := context.Background()
	if err := tc.Prepare(ctx, dirs); err != nil {
		t.Fatalf("Prepare() error: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := tc.Runner(dir)
			if err := r.Init(ctx, Backend(false)); err != nil {
				errs[i] = err
				return
			}
			out, err := r.Validate(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			if !out.Valid {
				errs[i] = fmt.Errorf("not valid: %+v", out.Diagnostics)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("stack %d: %v", i, err)
		}
	}
	plat := runtime.GOOS + "_" + runtime.GOARCH
	for _, dir := range dirs {
		r := tc.Runner(dir)
		p := filepath.Join(r.DataDir(), "providers", "registry.terraform.io", "hashicorp", "aws", "5.100.0", plat)
		if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: provider is not a symlink (copied?): %v", p, err)
		}
		if _, err := os.Stat(filepath.Join(dir, ".terraform")); err == nil {
			t.Errorf("%s: .terraform created in the stack folder", dir)
		}
	}
	if entries, _ := os.ReadDir(tc.CacheDir()); len(entries) > 0 {
		t.Errorf("plugin cache written although every provider is mirrored: %v", entries)
	}
}

// TestProviderUnavailable: a provider in no mirror, with no network, fails
// fast with one sentence, before any init (Prepare) or from init itself.
func TestProviderUnavailable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "live", "dev", "foundation")
	write(t, filepath.Join(dir, "main.tf"), `terraform {
  required_providers {
    aws    = { source = "hashicorp/aws" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
  }
}
`)
	tc := e2eToolchain(t, root, nil)
	ctx := context.Background()
	start := time.Now()
	err := tc.Prepare(ctx, []string{dir})
	var pe *ProviderUnavailableError
	if !errors.As(err, &pe) {
		t.Fatalf("Prepare() error = %v, want *ProviderUnavailableError", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Prepare() took %s; it must fail fast", d)
	}
	for _, want := range []string{"provider registry.terraform.io/hashicorp/random (~> 3.6) required by live/dev/foundation is not in any local provider mirror", "is unreachable", "set VIGIL_PROVIDER_MIRROR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare() error = %v\nwant it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("Prepare() error spans lines: %q", err)
	}

	// Without Prepare, init's own failure is translated the same way.
	err = tc.Runner(dir).Init(ctx, Backend(false))
	if !errors.As(err, &pe) || pe.Requirement.Provider.Type != "random" {
		t.Fatalf("Init() error = %v, want *ProviderUnavailableError for random", err)
	}
}

// TestLockfileReadonly: a lock file that does not match the mirror makes
// init fail with a LockFileError, and the lock file stays as it was.
func TestLockfileReadonly(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "stack")
	write(t, filepath.Join(dir, "main.tf"), "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n")
	lock := `provider "registry.terraform.io/hashicorp/aws" {
  version = "5.100.0"
  hashes = [
    "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  ]
}
`
	write(t, filepath.Join(dir, LockFileName), lock)
	tc := e2eToolchain(t, root, nil)
	ctx := context.Background()
	if err := tc.Prepare(ctx, []string{dir}); err != nil {
		t.Fatal(err)
	}
	err := tc.Runner(dir).Init(ctx, Backend(false), LockfileReadonly())
	var le *LockFileError
	if !errors.As(err, &le) {
		t.Fatalf("Init() error = %v, want *LockFileError", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, LockFileName)); string(got) != lock {
		t.Errorf("lock file changed:\n%s", got)
	}
}

// TestInitReuse: a second Init with Reuse and unchanged inputs runs nothing.
func TestInitReuse(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "stack")
	write(t, filepath.Join(dir, "main.tf"), "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n")
	tc := e2eToolchain(t, root, nil)
	ctx := context.Background()
	r := tc.Runner(dir)
	if err := r.Init(ctx, Backend(false)); err != nil { // writes the lock file
		t.Fatal(err)
	}
	if err := r.Init(ctx, Backend(false), LockfileReadonly(), Reuse(true)); err != nil {
		t.Fatal(err)
	}
	stamp := filepath.Join(r.DataDir(), "vigil-init.stamp")
	if _, err := os.Stat(stamp); err != nil {
		t.Fatalf("no stamp after init: %v", err)
	}
	// Break the data dir: a reused init must not notice, a changed input must re-init.
	if err := os.RemoveAll(filepath.Join(r.DataDir(), "providers")); err != nil {
		t.Fatal(err)
	}
	if err := r.Init(ctx, Backend(false), LockfileReadonly(), Reuse(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.DataDir(), "providers")); err == nil {
		t.Fatal("init ran although nothing changed")
	}
	write(t, filepath.Join(dir, "extra.tf"), "output \"x\" {\n  value = 1\n}\n")
	if err := r.Init(ctx, Backend(false), LockfileReadonly(), Reuse(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.DataDir(), "providers")); err != nil {
		t.Fatal("init did not run after a configuration change")
	}
}

// TestWarmCacheFromNetwork: a provider no local mirror has is downloaded
// once, by one warm-up init, into the shared cache (from a network mirror standing in for
// the registry), then many stacks init at once by linking to it.
func TestWarmCacheFromNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many terraform processes")
	}
	plat := runtime.GOOS + "_" + runtime.GOARCH
	var zipBuf bytes.Buffer
	zw := zip.NewWriter(&zipBuf)
	w, _ := zw.Create("terraform-provider-fake_v1.0.0")
	w.Write([]byte("#!/bin/sh\necho not a real provider\n"))
	zw.Close()
	var downloads atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/example.com/vigil/fake/index.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"versions":{"1.0.0":{}}}`)
	})
	mux.HandleFunc("/example.com/vigil/fake/1.0.0.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"archives":{%q:{"url":"fake.zip"}}}`, plat)
	})
	mux.HandleFunc("/example.com/vigil/fake/fake.zip", func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Write(zipBuf.Bytes())
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	root := t.TempDir()
	certFile := filepath.Join(root, "ca.pem")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	userCfg := filepath.Join(root, "user.tfrc")
	write(t, userCfg, fmt.Sprintf("provider_installation {\n  network_mirror {\n    url = %q\n  }\n}\n", srv.URL+"/"))

	const n = 10
	var dirs []string
	for i := range n {
		dir := filepath.Join(root, "live", fmt.Sprintf("s%02d", i))
		write(t, filepath.Join(dir, "main.tf"), "terraform {\n  required_providers {\n    fake = { source = \"example.com/vigil/fake\" }\n    aws  = { source = \"hashicorp/aws\" }\n  }\n}\n")
		dirs = append(dirs, dir)
	}
	tc := e2eToolchain(t, root, map[string]string{
		"TF_CLI_CONFIG_FILE": userCfg,
		"SSL_CERT_FILE":      certFile,
		"HTTPS_PROXY":        "", "https_proxy": "", "NO_PROXY": "*",
	})
	ctx := context.Background()
	if err := tc.Prepare(ctx, dirs); err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			t.Log(ce.Stderr)
		}
		t.Fatalf("Prepare() error: %v", err)
	}
	warmed := downloads.Load() // Terraform may fetch twice while filling a cache without a lock file
	if warmed == 0 {
		t.Fatal("Prepare() downloaded nothing")
	}
	if err := tc.Prepare(ctx, dirs); err != nil { // idempotent, no second download
		t.Fatalf("second Prepare() error: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = tc.Runner(dir).Init(ctx, Backend(false))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("stack %d: %v", i, err)
		}
	}
	if got := downloads.Load(); got != warmed {
		t.Errorf("stack inits downloaded the provider %d more times, want 0", got-warmed)
	}
	cached := filepath.Join(tc.CacheDir(), "example.com", "vigil", "fake", "1.0.0", plat, "terraform-provider-fake_v1.0.0")
	if _, err := os.Stat(cached); err != nil {
		t.Fatalf("provider not in the cache: %v", err)
	}
	for _, dir := range dirs {
		link := filepath.Join(tc.Runner(dir).DataDir(), "providers", "example.com", "vigil", "fake", "1.0.0", plat)
		target, err := os.Readlink(link)
		if err != nil || !strings.HasPrefix(target, tc.CacheDir()) {
			t.Errorf("%s -> %q (%v), want a link into the cache", link, target, err)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(tc.CacheDir(), ".warm-*")); len(leftovers) > 0 {
		t.Errorf("warm-up left %v", leftovers)
	}
}

func TestDefaultImageMirror(t *testing.T) {
	mirror := testutil.AWSProviderMirror(t)
	if filepath.Dir(mirror) != "/opt" {
		t.Skip("the provider mirror is not baked under /opt")
	}
	mirrors, _ := MirrorSearch{Getenv: func(string) string { return "" }}.DiscoverMirrors()
	for _, m := range mirrors {
		if m.Dir == mirror && m.Origin == "machine image" {
			return
		}
	}
	t.Errorf("DiscoverMirrors() did not find %s: %+v", mirror, mirrors)
}

// TestSharedProviders: validate attached to the pool's provider process
// reports exactly what a validate with its own provider reports, and Close
// stops the process.
func TestSharedProviders(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "stack")
	write(t, filepath.Join(dir, "main.tf"), `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

resource "aws_s3_bucket" "b" {
  bucket = "x"
  nope   = 1
}

output "x" {
  value = aws_instance.missing.id
}
`)
	tc := e2eToolchain(t, root, nil)
	ctx := context.Background()
	r := tc.Runner(dir)
	if err := r.Init(ctx, Backend(false)); err != nil {
		t.Fatal(err)
	}
	own, err := r.Validate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool := tc.NewProviderPool()
	pool.Start(ctx, tc, []string{dir})
	shared, err := r.Validate(ctx, SharedProviders(pool))
	if err != nil {
		t.Fatal(err)
	}
	summarize := func(out []string) string { sort.Strings(out); return strings.Join(out, "\n") }
	var a, b []string
	for _, d := range own.Diagnostics {
		a = append(a, fmt.Sprintf("%s %s %d:%d", d.Severity, d.Summary, d.Range.Start.Line, d.Range.Start.Column))
	}
	for _, d := range shared.Diagnostics {
		b = append(b, fmt.Sprintf("%s %s %d:%d", d.Severity, d.Summary, d.Range.Start.Line, d.Range.Start.Column))
	}
	if len(a) != 2 || summarize(a) != summarize(b) {
		t.Errorf("diagnostics differ:\nown:\n%s\nshared:\n%s", summarize(a), summarize(b))
	}
	var servers []*providerServer
	pool.mu.Lock()
	for _, s := range pool.servers {
		servers = append(servers, s)
	}
	pool.mu.Unlock()
	if len(servers) != 1 || servers[0].reattach == nil {
		t.Fatalf("pool has %d servers; want one running", len(servers))
	}
	pool.Close()
	if servers[0].cmd.ProcessState == nil {
		t.Error("provider process still running after Close")
	}
}
