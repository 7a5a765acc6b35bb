package cli

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/stack"
)

func TestNewCmdStacks(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    StacksOptions
		wantErr string
	}{
		{name: "defaults", args: "", want: StacksOptions{}},
		{name: "env", args: "--env dev", want: StacksOptions{Env: "dev"}},
		{name: "short env and json", args: "-e prod --json", want: StacksOptions{Env: "prod", JSON: true}},
		{name: "no arguments", args: "live", wantErr: `unknown command "live" for "stacks"`},
		{name: "unknown flag", args: "--envv dev", wantErr: "unknown flag: --envv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios}
			var got *StacksOptions
			cmd := NewCmdStacks(f, func(o *StacksOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			got.IO, got.Config = nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestStacksRun(t *testing.T) {
	tests := []struct {
		name    string
		repo    string
		opts    StacksOptions
		wantErr string
		isErr   error
	}{
		{name: "all", repo: "basic"},
		{name: "dev", repo: "basic", opts: StacksOptions{Env: "dev"}},
		{name: "dev-json", repo: "basic", opts: StacksOptions{Env: "dev", JSON: true}},
		{name: "prod-json", repo: "basic", opts: StacksOptions{Env: "prod", JSON: true}},
		{name: "unknown env", repo: "basic", opts: StacksOptions{Env: "staging"}, wantErr: `unknown environment "staging": vigil.hcl declares dev, prod`},
		{name: "cycle", repo: "cycle", wantErr: "dependency cycle: dev/a -> dev/b -> dev/a", isErr: stack.ErrCycle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			opts := tt.opts
			opts.IO = ios
			opts.Config = fixtureConfig(t, tt.repo)
			err := stacksRun(&opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("stacksRun() error = %v, want %q", err, tt.wantErr)
				}
				if tt.isErr != nil && !errors.Is(err, tt.isErr) {
					t.Errorf("stacksRun() error is not %v", tt.isErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("stacksRun() error: %v", err)
			}
			if errOut.Len() > 0 {
				t.Errorf("stderr: %s", errOut)
			}
			assertGolden(t, "stacks", tt.name, out.String())
		})
	}
}
