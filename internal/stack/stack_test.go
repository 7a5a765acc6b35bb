package stack

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/config"
)

const vigilHCL = `
project = "t"
environment "dev" {}
environment "prod" {}
`

func backend(key string) string {
	return "terraform {\n  backend \"s3\" {\n    key = \"" + key + "\"\n  }\n}\n"
}

func remote(name, key string) string {
	return "data \"terraform_remote_state\" \"" + name + "\" {\n  backend = \"s3\"\n  config = {\n    bucket = var.bucket\n    key    = \"" + key + "\"\n  }\n}\n"
}

func repo(t *testing.T, files map[string]string) *config.Config {
	t.Helper()
	root := t.TempDir()
	if _, ok := files["vigil.hcl"]; !ok {
		files["vigil.hcl"] = vigilHCL
	}
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(root, "vigil.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// summary renders a graph as "id<-dep,dep" lines.
func summary(stacks []*Stack) []string {
	var out []string
	for _, s := range stacks {
		out = append(out, s.ID()+"<-"+strings.Join(s.DependsOn, ","))
	}
	return out
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		want    []string
		wantErr string
	}{
		{
			name: "layer order without edges",
			files: map[string]string{
				"live/dev/remediation/main.tf":   "",
				"live/dev/workload/main.tf":      "",
				"live/dev/foundation/main.tf":    "",
				"live/dev/observability/main.tf": "",
				"live/dev/zz-extra/main.tf":      "",
				"live/dev/aa-extra/main.tf":      "",
				"live/dev/empty/README.md":       "no terraform here",
				"live/prod/foundation/main.tf":   "",
			},
			want: []string{"dev/foundation<-", "dev/workload<-", "dev/observability<-", "dev/remediation<-", "dev/aa-extra<-", "dev/zz-extra<-", "prod/foundation<-"},
		},
		{
			name: "remote state edges by literal key",
			files: map[string]string{
				"live/dev/foundation/backend.tf":   backend("dev/foundation/terraform.tfstate"),
				"live/dev/workload/backend.tf":     backend("dev/workload/terraform.tfstate"),
				"live/dev/workload/remote.tf":      remote("foundation", "dev/foundation/terraform.tfstate"),
				"live/dev/observability/main.tf":   remote("workload", "dev/workload/terraform.tfstate") + remote("foundation", "dev/foundation/terraform.tfstate") + remote("other", "some/other/project.tfstate"),
				"live/dev/remediation/main.tf":     "module \"m\" {\n  source = \"../../../modules/m\"\n}\n",
				"modules/m/main.tf":                remote("obs", "dev/observability/terraform.tfstate"),
				"live/prod/foundation/backend.tf":  backend("prod/foundation/terraform.tfstate"),
				"live/prod/workload/remote.tf":     remote("foundation", "prod/foundation/terraform.tfstate"),
				"live/prod/observability/odd.tf":   backend("custom/key.tfstate"),
				"live/prod/remediation/remote.tf":  remote("o", "custom/key.tfstate"),
				"live/dev/foundation/computed.tf":  remote("x", "${var.env}/workload/terraform.tfstate"),
				"live/dev/foundation/selfread.tf":  remote("self", "dev/foundation/terraform.tfstate"),
				"live/prod/workload/syntax-bad.tf": "resource \"aws_x\" \"y\" {\n",
			},
			want: []string{
				"dev/foundation<-", "dev/workload<-dev/foundation", "dev/observability<-dev/foundation,dev/workload",
				"dev/remediation<-dev/observability",
				"prod/foundation<-", "prod/workload<-prod/foundation", "prod/observability<-", "prod/remediation<-prod/observability",
			},
		},
		{
			name: "stack.hcl depends_on reorders across layers and environments",
			files: map[string]string{
				"live/dev/foundation/main.tf":   "",
				"live/dev/foundation/stack.hcl": "depends_on = [\"workload\", \"prod/foundation\"]\n",
				"live/dev/workload/main.tf":     "",
				"live/prod/foundation/main.tf":  "",
			},
			want: []string{"dev/workload<-", "prod/foundation<-", "dev/foundation<-dev/workload,prod/foundation"},
		},
		{
			name: "two-stack cycle",
			files: map[string]string{
				"live/dev/a/main.tf": remote("b", "dev/b/terraform.tfstate"),
				"live/dev/b/main.tf": remote("a", "dev/a/terraform.tfstate"),
				"live/dev/c/main.tf": "",
			},
			wantErr: "dependency cycle: dev/a -> dev/b -> dev/a (each stack depends on the next)",
		},
		{
			name: "three-stack cycle behind a dependency",
			files: map[string]string{
				"live/dev/foundation/main.tf":     "",
				"live/dev/workload/main.tf":       remote("f", "dev/foundation/terraform.tfstate") + remote("r", "dev/remediation/terraform.tfstate"),
				"live/dev/observability/main.tf":  remote("w", "dev/workload/terraform.tfstate"),
				"live/dev/remediation/stack.hcl":  "depends_on = [\"observability\"]\n",
				"live/dev/remediation/main.tf":    "",
				"live/dev/remediation/README.txt": "",
			},
			wantErr: "dependency cycle: dev/workload -> dev/remediation -> dev/observability -> dev/workload",
		},
		{
			name: "unknown depends_on",
			files: map[string]string{
				"live/dev/foundation/main.tf":   "",
				"live/dev/foundation/stack.hcl": "\ndepends_on = [\"nope\"]\n",
			},
			wantErr: `live/dev/foundation/stack.hcl:2:1: depends_on names "dev/nope", which is not a stack; known stacks: dev/foundation`,
		},
		{
			name: "bad stack.hcl",
			files: map[string]string{
				"live/dev/foundation/main.tf":   "",
				"live/dev/foundation/stack.hcl": "depends = []\n",
			},
			wantErr: `live/dev/foundation/stack.hcl:1:1: Unsupported argument; An argument named "depends" is not expected here.`,
		},
		{
			name: "undeclared environment folder",
			files: map[string]string{
				"live/staging/foundation/main.tf": "",
			},
			wantErr: `live/staging: vigil.hcl declares no environment "staging" (declared: dev, prod)`,
		},
		{
			name: "shared state key",
			files: map[string]string{
				"live/dev/a/main.tf": backend("same.tfstate"),
				"live/dev/b/main.tf": backend("same.tfstate"),
			},
			wantErr: `stacks live/dev/a and live/dev/b use the same state key "same.tfstate"`,
		},
		{
			name:    "no stacks folder",
			files:   map[string]string{},
			wantErr: "stacks folder live does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := repo(t, tt.files)
			g, err := Load(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			if got := summary(g.Stacks()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load() order =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadCycleIsErrCycle(t *testing.T) {
	t.Parallel()
	cfg := repo(t, map[string]string{
		"live/dev/a/stack.hcl": `depends_on = ["b"]`,
		"live/dev/a/main.tf":   "",
		"live/dev/b/stack.hcl": `depends_on = ["a"]`,
		"live/dev/b/main.tf":   "",
	})
	_, err := Load(cfg)
	if !errors.Is(err, ErrCycle) {
		t.Fatalf("Load() error = %v, want ErrCycle", err)
	}
}

func TestStackFields(t *testing.T) {
	t.Parallel()
	cfg := repo(t, map[string]string{
		"live/dev/workload/main.tf": "module \"m\" {\n  source = \"../../../modules/m\"\n}\n",
		"modules/m/main.tf":         "",
		"live/dev/foundation/b.tf":  backend("x/y.tfstate"),
	})
	g, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := g.Stack("dev/workload")
	if !ok {
		t.Fatal("no dev/workload")
	}
	if w.Path != "live/dev/workload" || w.Dir != filepath.Join(cfg.Root, "live", "dev", "workload") || w.BackendKey != "dev/workload/terraform.tfstate" {
		t.Errorf("workload = path %q dir %q key %q", w.Path, w.Dir, w.BackendKey)
	}
	if len(w.LocalModules) != 1 || w.LocalModules[0].Dir != filepath.Join(cfg.Root, "modules", "m") {
		t.Errorf("LocalModules = %v", w.LocalModules)
	}
	if f, _ := g.Stack("dev/foundation"); f.BackendKey != "x/y.tfstate" {
		t.Errorf("foundation key = %q", f.BackendKey)
	}
	if got := len(g.Env("dev")); got != 2 {
		t.Errorf("Env(dev) has %d stacks", got)
	}
	if got := len(g.Env("prod")); got != 0 {
		t.Errorf("Env(prod) has %d stacks", got)
	}
}

func TestWaves(t *testing.T) {
	t.Parallel()
	cfg := repo(t, map[string]string{
		"live/dev/foundation/main.tf":    "",
		"live/dev/workload/main.tf":      remote("f", "dev/foundation/terraform.tfstate"),
		"live/dev/observability/main.tf": remote("w", "dev/workload/terraform.tfstate"),
		"live/dev/remediation/main.tf":   remote("f", "dev/foundation/terraform.tfstate"),
		"live/prod/foundation/main.tf":   "",
		"live/prod/workload/main.tf":     remote("f", "prod/foundation/terraform.tfstate"),
	})
	g, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(waves [][]*Stack) []string {
		var out []string
		for _, w := range waves {
			var ws []string
			for _, s := range w {
				ws = append(ws, s.ID())
			}
			out = append(out, strings.Join(ws, " "))
		}
		return out
	}
	tests := []struct {
		name   string
		stacks []*Stack
		want   []string
	}{
		{"all", g.Stacks(), []string{"dev/foundation prod/foundation", "dev/workload dev/remediation prod/workload", "dev/observability"}},
		{"one env", g.Env("prod"), []string{"prod/foundation", "prod/workload"}},
		{"dependencies outside the subset are ignored", g.Env("dev")[1:], []string{"dev/workload dev/remediation", "dev/observability"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(g.Waves(tt.stacks)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Waves() = %q, want %q", got, tt.want)
			}
		})
	}
}
