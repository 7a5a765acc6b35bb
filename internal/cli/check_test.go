package cli

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
)

func TestNewCmdCheck(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    CheckOptions
		wantErr string
	}{
		{name: "defaults", args: "", want: CheckOptions{Parallelism: runtime.NumCPU()}},
		{name: "all flags", args: "--env dev --parallelism 3 --json", want: CheckOptions{Env: "dev", Parallelism: 3, JSON: true}},
		{name: "short flags", args: "-e prod -p 1", want: CheckOptions{Env: "prod", Parallelism: 1}},
		{name: "zero parallelism", args: "-p 0", wantErr: "--parallelism must be at least 1, got 0"},
		{name: "not a number", args: "-p many", wantErr: `invalid argument "many" for "-p, --parallelism"`},
		{name: "no arguments", args: "live/dev", wantErr: `unknown command "live/dev" for "check"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, Config: fixtureConfig(t, "basic"), Terraform: noTerraform}
			var got *CheckOptions
			cmd := NewCmdCheck(f, func(_ context.Context, o *CheckOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Check == nil || got.Config == nil || got.Terraform == nil {
				t.Error("dependencies not wired")
			}
			got.IO, got.Config, got.Terraform, got.Check = nil, nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// fakeCheck returns a report built from results by stack id (a stack not
// listed passes), reporting progress like pipeline.Check.
func fakeCheck(results map[string]*pipeline.StackCheck, err error) func(context.Context, pipeline.CheckParams) (*pipeline.CheckReport, error) {
	return func(_ context.Context, p pipeline.CheckParams) (*pipeline.CheckReport, error) {
		if err != nil {
			return nil, err
		}
		rep := &pipeline.CheckReport{}
		for _, s := range p.Stacks {
			res := &pipeline.StackCheck{ID: s.ID(), Env: s.Env, Layer: s.Layer, Path: s.Path, Unformatted: []string{}, Diagnostics: []pipeline.Diagnostic{}, LockFile: true, Duration: 1500 * time.Millisecond}
			if r, ok := results[s.ID()]; ok {
				r.ID, r.Env, r.Layer, r.Path, r.Duration = s.ID(), s.Env, s.Layer, s.Path, 2*time.Second
				res = r
			}
			p.Progress(pipeline.CheckEvent{Stack: s})
			p.Progress(pipeline.CheckEvent{Stack: s, Done: true, Result: res})
			rep.Stacks = append(rep.Stacks, res)
		}
		return rep, nil
	}
}

func TestCheckRun(t *testing.T) {
	findings := map[string]*pipeline.StackCheck{
		"dev/workload": {
			Unformatted: []string{"live/dev/workload/main.tf", "modules/app/main.tf"},
			Diagnostics: []pipeline.Diagnostic{
				{Severity: "error", Summary: "Reference to undeclared resource", Detail: `A managed resource "aws_s3_bucket" "nope" has not been declared in the root module.`, File: "live/dev/workload/main.tf", Line: 12, Column: 11},
				{Severity: "warning", Summary: "Deprecated attribute", File: "modules/app/main.tf", Line: 3, Column: 5},
			},
			LockFile: true,
		},
		"dev/remediation": {Unformatted: []string{}, Diagnostics: []pipeline.Diagnostic{}, Error: "terraform init in live/dev/remediation failed: Unreadable module directory"},
	}
	noLocks := map[string]*pipeline.StackCheck{
		"dev/foundation": {Unformatted: []string{}, Diagnostics: []pipeline.Diagnostic{}},
		"dev/workload":   {Unformatted: []string{}, Diagnostics: []pipeline.Diagnostic{}},
	}
	tests := []struct {
		name    string
		opts    CheckOptions
		tty     bool
		check   func(context.Context, pipeline.CheckParams) (*pipeline.CheckReport, error)
		wantErr error
		wantMsg string
	}{
		{name: "clean", check: fakeCheck(nil, nil)},
		{name: "clean-dev-no-lock-files", opts: CheckOptions{Env: "dev"}, check: fakeCheck(noLocks, nil)},
		{name: "findings", check: fakeCheck(findings, nil), wantErr: ErrFindings},
		{name: "findings-json", opts: CheckOptions{JSON: true}, check: fakeCheck(findings, nil), wantErr: ErrFindings},
		{name: "tty", opts: CheckOptions{Env: "prod"}, tty: true, check: fakeCheck(nil, nil)},
		{name: "gate error", check: fakeCheck(nil, errors.New("provider registry.terraform.io/hashicorp/aws is not in any local provider mirror")), wantMsg: "not in any local provider mirror"},
		{name: "unknown env", opts: CheckOptions{Env: "qa"}, check: fakeCheck(nil, nil), wantMsg: `unknown environment "qa"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStderrTTY(tt.tty)
			opts := tt.opts
			opts.IO = ios
			opts.Config = fixtureConfig(t, "basic")
			opts.Terraform = noTerraform
			opts.Check = tt.check
			opts.Parallelism = 2
			err := checkRun(context.Background(), &opts)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("checkRun() error = %v, want %q", err, tt.wantMsg)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("checkRun() error = %v, want %v", err, tt.wantErr)
			}
			name := strings.ReplaceAll(tt.name, " ", "-")
			assertGolden(t, "check", name, out.String())
			assertGolden(t, "check", name+".stderr", errOut.String())
		})
	}
}
