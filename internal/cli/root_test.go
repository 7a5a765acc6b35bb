package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/iostreams"
)

func TestExit(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{name: "success", err: nil, wantCode: 0},
		{name: "findings", err: fmt.Errorf("check: %w", ErrFindings), wantCode: 1},
		{name: "changes", err: ErrChanges, wantCode: 2},
		{name: "usage", err: flagErrorf("unknown flag: --x"), wantCode: 1, wantStderr: "Error: unknown flag: --x\nRun 'vigil --help' or 'vigil <command> --help' for usage.\n"},
		{name: "error", err: errors.New("stacks folder live does not exist"), wantCode: 1, wantStderr: "Error: stacks folder live does not exist\n"},
		{name: "interrupted", err: fmt.Errorf("init: %w", context.Canceled), wantCode: 1, wantStderr: "Interrupted.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			if got := Exit(ios, tt.err); got != tt.wantCode {
				t.Errorf("Exit() = %d, want %d", got, tt.wantCode)
			}
			if errOut.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", errOut.String(), tt.wantStderr)
			}
		})
	}
}

// TestRoot runs whole command lines through the root command, as main does.
func TestRoot(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{name: "help", args: []string{"--help"}, wantOut: "\n  check       Run the fmt/validate gate"},
		{name: "version flag", args: []string{"--version"}, wantOut: "vigil 1.2.3-test\n"},
		{name: "version command", args: []string{"version"}, wantOut: "vigil 1.2.3-test (go"},
		{name: "version json", args: []string{"version", "--json"}, wantOut: `"version": "1.2.3-test"`},
		{name: "-C", args: []string{"-C", "testdata/repos/basic", "stacks", "--env", "prod"}, wantOut: "2     prod/workload    live/prod/workload    prod/foundation\n"},
		{name: "-C deep inside the repository", args: []string{"-C", "testdata/repos/basic/live/dev", "stacks", "--json"}, wantOut: `"id": "dev/remediation"`},
		{name: "--directory", args: []string{"--directory=testdata/repos/cycle", "stacks"}, wantCode: 1, wantErr: "Error: dependency cycle: dev/a -> dev/b -> dev/a"},
		{name: "no repository", args: []string{"-C", "/", "stacks"}, wantCode: 1, wantErr: "Error: no vigil.hcl found in / or any parent directory: run vigil inside a vigil repository, or point at one with -C DIR"},
		{name: "unknown flag", args: []string{"stacks", "--nope"}, wantCode: 1, wantErr: "Error: unknown flag: --nope\nRun 'vigil --help'"},
		{name: "unknown command", args: []string{"chek"}, wantCode: 1, wantErr: `Error: unknown command "chek" for "vigil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ios := testFactory()
			cmd := NewCmdRoot(f)
			cmd.SetArgs(tt.args)
			code := Exit(ios, cmd.ExecuteContext(context.Background()))
			out, errOut := ios.Out.(fmt.Stringer).String(), ios.ErrOut.(fmt.Stringer).String()
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr: %s)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout =\n%s\nwant it to contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr =\n%s\nwant it to contain %q", errOut, tt.wantErr)
			}
		})
	}
}
