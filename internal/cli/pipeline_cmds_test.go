package cli

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/shlex"
	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
)

// parseFlags runs a command built with a capturing runF and returns what
// it captured, or the error.
func parseFlags[O any](t *testing.T, build func(*Factory, func(context.Context, *O) error) *cobra.Command, args string) (*O, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IOStreams: ios}
	var got *O
	cmd := build(f, func(_ context.Context, o *O) error { got = o; return nil })
	argv, _ := shlex.Split(args)
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

func checkErr(t *testing.T, err error, wantErr string) bool {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want %q", err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestNewCmdPlan(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    PlanOptions
		wantErr string
	}{
		{name: "env", args: "--env dev", want: PlanOptions{Env: "dev", Format: "text"}},
		{name: "everything", args: "-e prod -s workload -s dev/x --target sandbox --lock-timeout 2m -p 3 --detailed-exitcode --json",
			want: PlanOptions{Env: "prod", Stacks: []string{"workload", "dev/x"}, Target: "sandbox", LockTimeout: 2 * time.Minute, Parallelism: 3, DetailedExitCode: true, Format: "json"}},
		{name: "markdown", args: "--env dev --markdown", want: PlanOptions{Env: "dev", Format: "markdown"}},
		{name: "no env", args: "", wantErr: "--env is required"},
		{name: "bad target", args: "--env dev --target gcp", wantErr: `--target must be "sandbox" or "aws"`},
		{name: "two formats", args: "--env dev --json --markdown", wantErr: "cannot be combined"},
		{name: "argument", args: "--env dev live", wantErr: `unknown command "live"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(t, NewCmdPlan, tt.args)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			got.IO, got.Open = nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestNewCmdApply(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    ApplyOptions
		wantErr string
	}{
		{name: "run", args: "20260102-150405-ab12cd", want: ApplyOptions{RunID: "20260102-150405-ab12cd"}},
		{name: "latest of env", args: "latest --env dev --no-continue --json", want: ApplyOptions{RunID: "latest", Env: "dev", NoContinue: true, JSON: true}},
		{name: "replan", args: "--env prod --replan --expect sha256:ab --target sandbox --lock-timeout 30s",
			want: ApplyOptions{Env: "prod", Replan: true, Expect: "sha256:ab", Target: "sandbox", LockTimeout: 30 * time.Second}},
		{name: "nothing", args: "", wantErr: "name the run to apply"},
		{name: "replan without expect", args: "--env prod --replan", wantErr: "--replan needs --env ENV and --expect"},
		{name: "replan and run", args: "r1 --env prod --replan --expect x", wantErr: "either RUN or --replan"},
		{name: "expect alone", args: "r1 --expect x", wantErr: "--expect goes with --replan"},
		{name: "two runs", args: "r1 r2", wantErr: "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(t, NewCmdApply, tt.args)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			got.IO, got.Open = nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestNewCmdApprove(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    ApproveOptions
		wantErr string
	}{
		{name: "by", args: `r1 --by bob --comment "reviewed in #42"`, want: ApproveOptions{RunID: "r1", By: "bob", Comment: "reviewed in #42"}},
		{name: "no by", args: "r1", wantErr: "--by is required"},
		{name: "no run", args: "--by bob", wantErr: "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(t, NewCmdApprove, tt.args)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			got.IO, got.Open = nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestNewCmdOthers(t *testing.T) {
	t.Run("show", func(t *testing.T) {
		got, err := parseFlags(t, NewCmdShow, "latest --env prod --markdown")
		if err != nil || got.RunID != "latest" || got.Env != "prod" || got.Format != "markdown" {
			t.Fatalf("%+v %v", got, err)
		}
		if _, err := parseFlags(t, NewCmdShow, ""); err == nil {
			t.Fatal("show without RUN accepted")
		}
	})
	t.Run("runs", func(t *testing.T) {
		got, err := parseFlags(t, NewCmdRuns, "-e dev -n 5 --json")
		if err != nil || got.Env != "dev" || got.Limit != 5 || !got.JSON {
			t.Fatalf("%+v %v", got, err)
		}
		if _, err := parseFlags(t, NewCmdRuns, "--limit -1"); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Fatalf("negative limit: %v", err)
		}
	})
	t.Run("audit verify", func(t *testing.T) {
		got, err := parseFlags(t, NewCmdAudit, "verify")
		if err != nil || !got.Verify {
			t.Fatalf("%+v %v", got, err)
		}
		got, err = parseFlags(t, NewCmdAudit, "--run r1 --json")
		if err != nil || got.Verify || got.RunID != "r1" || !got.JSON {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("unlock", func(t *testing.T) {
		got, err := parseFlags(t, NewCmdUnlock, "dev/workload --dry-run --force --target aws")
		if err != nil || got.Stack != "dev/workload" || !got.DryRun || !got.Force || got.Target != "aws" {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("bootstrap", func(t *testing.T) {
		got, err := parseFlags(t, NewCmdBootstrap, "--env prod -y --lock-timeout 1m")
		if err != nil || got.Env != "prod" || !got.Yes || got.LockTimeout != time.Minute {
			t.Fatalf("%+v %v", got, err)
		}
		if _, err := parseFlags(t, NewCmdBootstrap, ""); err == nil || !strings.Contains(err.Error(), "--env is required") {
			t.Fatalf("no env: %v", err)
		}
	})
	t.Run("up", func(t *testing.T) {
		got, err := parseFlags(t, NewCmdUp, "")
		if err != nil || got.Env != "dev" || got.Once {
			t.Fatalf("defaults: %+v %v", got, err)
		}
		got, err = parseFlags(t, NewCmdUp, "--env prod --once --target sandbox")
		if err != nil || got.Env != "prod" || !got.Once || got.Target != "sandbox" {
			t.Fatalf("%+v %v", got, err)
		}
	})
}
