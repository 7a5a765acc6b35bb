package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		want    *Config
		wantErr string // substring; every line of the error is checked when set
	}{
		{
			name: "full",
			src: `
project     = "vigil-blueprint"
stacks_root = "stacks/live"
layers      = ["net", "app"]
environment "dev" {
  target   = "sandbox"
  region   = "eu-west-1"
  approval = false
}
environment "prod" {
  target   = "aws"
  approval = true
}
`,
			want: &Config{
				Path: "/repo/vigil.hcl", Root: "/repo", Project: "vigil-blueprint",
				StacksRoot: "stacks/live", Layers: []string{"net", "app"},
				Environments: []Environment{
					{Name: "dev", Target: "sandbox", Region: "eu-west-1"},
					{Name: "prod", Target: "aws", Region: "us-east-1", Approval: true},
				},
				Serve: Serve{Retention: DefaultRetention()},
			},
		},
		{
			name: "defaults",
			src:  "project = \"p\"\nenvironment \"dev\" {}\n",
			want: &Config{
				Path: "/repo/vigil.hcl", Root: "/repo", Project: "p",
				StacksRoot: "live", Layers: DefaultLayers,
				Environments: []Environment{{Name: "dev", Target: "sandbox", Region: "us-east-1"}},
				Serve:        Serve{Retention: DefaultRetention()},
			},
		},
		{
			name:    "unknown attribute",
			src:     "project = \"p\"\nstack_root = \"x\"\nenvironment \"dev\" {}\n",
			wantErr: `/repo/vigil.hcl:2:1: Unsupported argument; An argument named "stack_root" is not expected here.`,
		},
		{
			name:    "unknown block",
			src:     "project = \"p\"\nenvironment \"dev\" {}\nstack \"x\" {}\n",
			wantErr: `/repo/vigil.hcl:3:1: Unsupported block type; Blocks of type "stack" are not expected here.`,
		},
		{
			name:    "unknown attribute in environment",
			src:     "project = \"p\"\nenvironment \"dev\" {\n  regoin = \"x\"\n}\n",
			wantErr: `/repo/vigil.hcl:3:3: Unsupported argument; An argument named "regoin" is not expected here. Did you mean "region"?`,
		},
		{
			name:    "bad target",
			src:     "project = \"p\"\nenvironment \"dev\" {\n  target = \"gcp\"\n}\n",
			wantErr: `/repo/vigil.hcl:3:3: Invalid target; target is "gcp"; it must be "sandbox" (the embedded AWS-compatible endpoint) or "aws" (a real account).`,
		},
		{
			name:    "duplicate environment",
			src:     "project = \"p\"\nenvironment \"dev\" {}\nenvironment \"dev\" {}\n",
			wantErr: `/repo/vigil.hcl:3:13: Duplicate environment; Environment "dev" is already declared at /repo/vigil.hcl:2:13; merge the two blocks.`,
		},
		{
			name:    "no environment",
			src:     "project = \"p\"\n",
			wantErr: "No environments",
		},
		{
			name:    "missing project",
			src:     "environment \"dev\" {}\n",
			wantErr: `Missing required argument; The argument "project" is required`,
		},
		{
			name:    "stacks_root outside the repository",
			src:     "project = \"p\"\nstacks_root = \"../x\"\nenvironment \"dev\" {}\n",
			wantErr: "/repo/vigil.hcl:2:1: Invalid stacks_root",
		},
		{
			name:    "duplicate layer",
			src:     "project = \"p\"\nlayers = [\"a\", \"a\"]\nenvironment \"dev\" {}\n",
			wantErr: `Duplicate layer; Layer "a" is listed twice`,
		},
		{
			name:    "wrong type",
			src:     "project = \"p\"\nlayers = \"a\"\nenvironment \"dev\" {}\n",
			wantErr: "/repo/vigil.hcl:2:11: Unsuitable value type",
		},
		{
			name:    "syntax error",
			src:     "project = \n",
			wantErr: "/repo/vigil.hcl:1:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.src), "/repo/vigil.hcl")
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse() = %+v, want error containing %q", got, tt.wantErr)
				}
				var de *DiagnosticsError
				if !errors.As(err, &de) {
					t.Errorf("error is %T, want *DiagnosticsError", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error:\n%s\nwant it to contain:\n%s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	deep := filepath.Join(root, "live", "dev", "workload")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, FileName), []byte("project = \"p\"\nenvironment \"dev\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		want    string
		wantErr error
	}{
		{name: "at root", dir: root, want: filepath.Join(root, FileName)},
		{name: "walks up", dir: deep, want: filepath.Join(root, FileName)},
		{name: "none", dir: t.TempDir(), wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.dir)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Find() error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Find() = %q, want %q", got, tt.want)
			}
		})
	}

	cfg, err := Load(filepath.Join(deep, "..", "..", "..", FileName))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Root != root || cfg.StacksDir() != filepath.Join(root, "live") || cfg.StateDir() != filepath.Join(root, ".vigil") {
		t.Errorf("Load() root=%q stacks=%q state=%q", cfg.Root, cfg.StacksDir(), cfg.StateDir())
	}
}
