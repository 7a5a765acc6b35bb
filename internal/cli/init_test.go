package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/shlex"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/testutil"
)

func TestNewCmdInit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cli     string
		dashC   string
		want    InitOptions
		wantErr string
	}{
		{name: "defaults", cli: "", want: InitOptions{Dir: ".", Path: ".", Envs: []string{"dev", "prod"}, Region: "us-east-1"}},
		{name: "everything", cli: "infra --envs dev,staging,prod --region eu-west-1 --github-repo acme/infra --project acme --force --json",
			want: InitOptions{Dir: "infra", Path: "infra", Envs: []string{"dev", "staging", "prod"}, Region: "eu-west-1", GitHubRepo: "acme/infra", Project: "acme", Force: true, JSON: true}},
		{name: "spaces in the list", cli: `--envs "dev, prod"`, want: InitOptions{Dir: ".", Path: ".", Envs: []string{"dev", "prod"}, Region: "us-east-1"}},
		{name: "relative to -C", cli: "infra", dashC: "/work", want: InitOptions{Dir: "infra", Path: "/work/infra", Envs: []string{"dev", "prod"}, Region: "us-east-1"}},
		{name: "two folders", cli: "a b", wantErr: "accepts at most 1 arg(s), received 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := testFactory()
			f.Dir = tt.dashC
			var got *InitOptions
			cmd := NewCmdInit(f, func(_ context.Context, o *InitOptions) error { got = o; return nil })
			argv, err := shlex.Split(tt.cli)
			if err != nil {
				t.Fatal(err)
			}
			cmd.SetArgs(argv)
			cmd.SetOut(&strings.Builder{})
			cmd.SetErr(&strings.Builder{})
			err = cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if got.Dir != w.Dir || got.Path != w.Path || strings.Join(got.Envs, ",") != strings.Join(w.Envs, ",") || got.Region != w.Region ||
				got.GitHubRepo != w.GitHubRepo || got.Project != w.Project || got.Force != w.Force || got.JSON != w.JSON {
				t.Errorf("options = %+v, want %+v", *got, w)
			}
			if got.VigilVersion != "1.2.3-test" || got.Write == nil {
				t.Errorf("version %q, write set %v", got.VigilVersion, got.Write != nil)
			}
		})
	}
}

func TestInitRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     string
		existing map[string]string
		wantCode int
		wantErr  string
	}{
		{name: "default", args: "acme-infra"},
		{name: "environments", args: "acme-infra --envs dev,staging,prod,prod-eu --region eu-west-1 --github-repo acme/infra --project acme"},
		{name: "json", args: "acme-infra --github-repo acme/infra --json"},
		{name: "force", args: "acme-infra --github-repo acme/infra --force", existing: map[string]string{"acme-infra/vigil.hcl": "project = \"old\"\n"}},
		{name: "conflict", args: "acme-infra", existing: map[string]string{"acme-infra/vigil.hcl": "x", "acme-infra/README.md": "x"}, wantCode: 1,
			wantErr: "Error: 2 file(s) already exist in acme-infra: README.md, vigil.hcl; nothing was written (use --force to overwrite them, or choose an empty folder)\n"},
		{name: "bad environment", args: "acme-infra --envs dev,Prod", wantCode: 1,
			wantErr: "Error: invalid environment name \"Prod\": use lower-case letters, digits and '-' (it becomes part of S3 bucket and GitHub environment names)\nRun 'vigil --help' or 'vigil <command> --help' for usage.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for name, src := range tt.existing {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := testutil.Snapshot(t, root)
			args, _ := shlex.Split(tt.args)
			code, out, errOut := runVigil(t, append([]string{"-C", root, "init"}, args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.wantCode, out, errOut)
			}
			if tt.wantCode != 0 {
				if errOut != tt.wantErr || out != "" {
					t.Errorf("stderr %q, want %q; stdout %q", errOut, tt.wantErr, out)
				}
				testutil.SameSnapshot(t, before, testutil.Snapshot(t, root))
				return
			}
			assertGolden(t, "init", tt.name, out)
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			cfg, err := config.Load(filepath.Join(root, "acme-infra", config.FileName))
			if err != nil {
				t.Fatal(err)
			}
			// The written repository is one vigil recognises: its stacks list.
			code, out, errOut = runVigil(t, "-C", cfg.Root, "stacks")
			if code != 0 || !strings.Contains(out, "foundation") {
				t.Errorf("vigil stacks in the written repository: %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}
