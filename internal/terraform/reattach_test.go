package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A configuration whose plan configures the AWS provider and calls it (a
// data source answered without any request), offline.
const offlineAWS = `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAIOSFODNN7EXAMPLE"
  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

data "aws_partition" "p" {}

output "partition" {
  value = data.aws_partition.p.partition
}
`

// gone reports whether a process no longer exists (reaped).
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// TestAttachedProviders: a plan attached to providers started for it runs
// and Close ends them; a plan whose provider was killed fails with a
// *ProviderExitedError naming it, at once, and Close still returns; a
// shared pool replaces a plugin that died.
func TestAttachedProviders(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "stack")
	write(t, filepath.Join(dir, "main.tf"), offlineAWS)
	tc := e2eToolchain(t, root, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := tc.Runner(dir)
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}

	ps := r.StartProviders(ctx)
	pids := ps.PIDs()
	if len(pids) != 1 {
		t.Fatalf("started %d provider processes, want 1 (the AWS provider in debug mode)", len(pids))
	}
	if _, err := r.Plan(ctx, filepath.Join(root, "ok.tfplan"), Lock(false), Attach(ps)); err != nil {
		t.Fatalf("attached plan: %v", err)
	}
	ps.Close()
	if !gone(pids[0]) {
		t.Errorf("provider %d still exists after Close", pids[0])
	}
	ps.Close() // twice is fine

	crashed := r.StartProviders(ctx)
	pids = crashed.PIDs()
	if len(pids) != 1 {
		t.Fatalf("started %d provider processes, want 1", len(pids))
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, err := r.Plan(ctx, filepath.Join(root, "crash.tfplan"), Lock(false), Attach(crashed))
	var exited *ProviderExitedError
	if !errors.As(err, &exited) || !strings.Contains(err.Error(), "provider plugin registry.terraform.io/hashicorp/aws") || !strings.Contains(err.Error(), "signal: killed") {
		t.Fatalf("plan with its provider killed: %v; want a *ProviderExitedError naming the provider and how it ended", err)
	}
	var ra struct {
		Addr struct{ Network, String string }
	}
	if err := json.Unmarshal(crashed.servers[0].reattach, &ra); err != nil {
		t.Fatal(err)
	}
	crashed.Close()
	if !gone(pids[0]) {
		t.Errorf("killed provider %d was not reaped", pids[0])
	}
	if ra.Addr.Network == "unix" {
		if _, err := os.Lstat(ra.Addr.String); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the killed provider's socket %s is left behind (%v)", ra.Addr.String, err)
		}
	}

	pool := tc.NewProviderPool()
	defer pool.Close()
	if _, err := r.Validate(ctx, SharedProviders(pool)); err != nil {
		t.Fatal(err)
	}
	first := poolPIDs(pool)
	if len(first) != 1 {
		t.Fatalf("pool runs %d plugins, want 1", len(first))
	}
	if err := syscall.Kill(first[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); !gone(first[0]); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the killed pool plugin was never reaped")
		}
	}
	out, err := r.Validate(ctx, SharedProviders(pool))
	if err != nil || !out.Valid {
		t.Fatalf("validate after the pool's plugin died: %v %+v", err, out)
	}
	second := poolPIDs(pool)
	if len(second) != 1 || second[0] == first[0] {
		t.Fatalf("pool plugins after the crash: %v (before: %v); want a new one", second, first)
	}
	pool.Close()
	if !gone(second[0]) {
		t.Errorf("pool plugin %d still exists after Close", second[0])
	}
}

func poolPIDs(p *ProviderPool) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, s := range p.servers {
		if pid := s.pid(); pid != 0 {
			out = append(out, pid)
		}
	}
	return out
}

func TestTailBufferPanicLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		max    int
		want   string
	}{
		{"nothing", nil, 64, ""},
		{"no panic", []string{"some log\n", "more\n"}, 64, ""},
		{"panic", []string{"log\npanic: runtime error: invalid memory address\n\ngoroutine 1 [running]:\n"}, 1024, "panic: runtime error: invalid memory address"},
		{"split writes", []string{"pan", "ic: boom\n"}, 1024, "panic: boom"},
		{"fatal error", []string{"fatal error: out of memory\n"}, 1024, "fatal error: out of memory"},
		{"old output dropped", []string{"panic: old\n", strings.Repeat("x", 40) + "\n"}, 20, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &tailBuffer{max: tc.max}
			for _, w := range tc.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if len(b.b) > tc.max {
				t.Errorf("kept %d bytes, max %d", len(b.b), tc.max)
			}
			if got := b.panicLine(); got != tc.want {
				t.Errorf("panicLine() = %q, want %q", got, tc.want)
			}
		})
	}
}
