package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
)

func TestNewCmdSandboxServe(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    SandboxServeOptions
		wantErr string
	}{
		{"defaults", "", SandboxServeOptions{Addr: "127.0.0.1:4566", Region: "us-east-1"}, ""},
		{"all flags", "--addr 127.0.0.1:0 --data-dir /tmp/x --region eu-west-1 --verbose",
			SandboxServeOptions{Addr: "127.0.0.1:0", DataDir: "/tmp/x", Region: "eu-west-1", Verbose: true}, ""},
		{"positional arg refused", "extra", SandboxServeOptions{}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios}
			var got *SandboxServeOptions
			cmd := NewCmdSandboxServe(f, func(_ context.Context, o *SandboxServeOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Addr != tt.want.Addr || got.DataDir != tt.want.DataDir || got.Region != tt.want.Region || got.Verbose != tt.want.Verbose {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSandboxServeThenEnv(t *testing.T) {
	dir := t.TempDir()
	noRepo := func() (*config.Config, error) { return nil, config.ErrNotFound }
	ios, _, out, _ := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- sandboxServeRun(ctx, &SandboxServeOptions{IO: ios, Config: noRepo, Addr: "127.0.0.1:0", DataDir: dir, Region: "us-east-1",
			Ready: func(u string) { ready <- u }})
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not become ready")
	}
	if !strings.Contains(out.String(), url) {
		t.Fatalf("serve did not print its URL %s: %q", url, out.String())
	}

	envIOS, _, envOut, _ := iostreams.Test()
	if err := sandboxEnvRun(context.Background(), &SandboxEnvOptions{IO: envIOS, Config: noRepo, DataDir: dir, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var vars map[string]string
	if err := json.Unmarshal(envOut.Bytes(), &vars); err != nil {
		t.Fatal(err)
	}
	if vars["AWS_ENDPOINT_URL"] != url || vars["AWS_REGION"] != "us-east-1" || vars["AWS_ACCESS_KEY_ID"] == "" {
		t.Fatalf("env = %v, want endpoint %s", vars, url)
	}

	envIOS, _, envOut, _ = iostreams.Test()
	if err := sandboxEnvRun(context.Background(), &SandboxEnvOptions{IO: envIOS, Config: noRepo, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(envOut.String(), "export AWS_ENDPOINT_URL="+url+"\n") || !strings.Contains(envOut.String(), `provider "aws"`) {
		t.Fatalf("shell output:\n%s", envOut)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve did not stop cleanly: %v", err)
	}
	err := sandboxEnvRun(context.Background(), &SandboxEnvOptions{IO: envIOS, Config: noRepo, DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "no sandbox is running") || !strings.Contains(err.Error(), "vigil sandbox serve") {
		t.Fatalf("env with no sandbox: err = %v", err)
	}
}
