package terraform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInitArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []InitOption
		want []string
	}{
		{"defaults", nil, []string{"init", "-no-color", "-input=false", "-backend=true"}},
		{"check", []InitOption{Backend(false), LockfileReadonly(), Reuse(true)}, []string{"init", "-no-color", "-input=false", "-backend=false", "-lockfile=readonly"}},
		{"upgrade", []InitOption{Upgrade(true), Reconfigure(true)}, []string{"init", "-no-color", "-input=false", "-backend=true", "-upgrade", "-reconfigure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &initConfig{backend: true}
			for _, o := range tt.opts {
				o.configureInit(c)
			}
			if got := initArgs(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("initArgs() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInitCmdEnv(t *testing.T) {
	t.Parallel()
	cmd := command(context.Background(), "/bin/terraform", "/stack", map[string]string{"TF_LOG": "TRACE", "AWS_REGION": "eu-west-1", "TF_IN_AUTOMATION": ""}, []string{"init"})
	want := []string{"AWS_REGION=eu-west-1", "TF_INPUT=0", "TF_IN_AUTOMATION=1"}
	if !reflect.DeepEqual(cmd.Env, want) {
		t.Errorf("env = %q, want %q", cmd.Env, want)
	}
	if cmd.Dir != "/stack" || !reflect.DeepEqual(cmd.Args, []string{"/bin/terraform", "init"}) {
		t.Errorf("cmd = %v in %s", cmd.Args, cmd.Dir)
	}
}

func TestRunnerEnv(t *testing.T) {
	t.Parallel()
	tc := &Toolchain{
		bin:        &Binary{Path: "/bin/terraform", Flavor: FlavorTerraform},
		root:       "/repo",
		stateDir:   "/repo/.vigil",
		env:        map[string]string{"HOME": "/root", "CHECKPOINT_DISABLE": "1"},
		configPath: "/repo/.vigil/terraform/cli-x.tfrc",
	}
	r := tc.Runner("/repo/live/dev/workload")
	if r.DataDir() != "/repo/.vigil/tfdata/live/dev/workload" {
		t.Errorf("DataDir = %s", r.DataDir())
	}
	r2 := r.WithEnv(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "TF_DATA_DIR": "/elsewhere", "TF_LOG": "DEBUG", "TF_VAR_x": "1"})
	want := []string{
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "CHECKPOINT_DISABLE=1", "HOME=/root",
		"TF_CLI_CONFIG_FILE=/repo/.vigil/terraform/cli-x.tfrc", "TF_DATA_DIR=/repo/.vigil/tfdata/live/dev/workload",
		"TF_INPUT=0", "TF_IN_AUTOMATION=1",
	}
	if got := r2.Env(); !reflect.DeepEqual(got, want) {
		t.Errorf("Env() =\n%q\nwant\n%q", got, want)
	}
	if slices.Contains(r.Env(), "AWS_ENDPOINT_URL=http://127.0.0.1:4566") {
		t.Error("WithEnv changed the original runner")
	}
	if out := tc.Runner("/tmp/x/module").DataDir(); !strings.HasPrefix(out, "/repo/.vigil/tfdata/_outside/module-") {
		t.Errorf("DataDir outside the repository = %s", out)
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	base := errors.New("exit status 1")
	tests := []struct {
		name    string
		command string
		stderr  string
		check   func(error) bool
		want    string
	}{
		{
			name:    "state locked",
			command: "plan",
			stderr: `Error: Error acquiring the state lock

Error message: ConditionalCheckFailedException: The conditional request failed
Lock Info:
  ID:        9db590f1-b6fe-c5f2-2678-8804f089deba
  Path:      vigil-state/dev/workload/terraform.tfstate
  Operation: OperationTypeApply
  Who:       ci@runner-7
  Version:   1.11.4
  Created:   2026-01-02 03:04:05.6 +0000 UTC
  Info:
`,
			check: func(err error) bool {
				var e *StateLockedError
				return errors.As(err, &e) && e.ID == "9db590f1-b6fe-c5f2-2678-8804f089deba"
			},
			want: "state of live/dev/workload is locked by ci@runner-7 (OperationTypeApply since 2026-01-02 03:04:05.6 +0000 UTC), lock ID 9db590f1-b6fe-c5f2-2678-8804f089deba: wait for that run to finish; if no run is active, release the lock with: terraform -chdir=live/dev/workload force-unlock 9db590f1-b6fe-c5f2-2678-8804f089deba",
		},
		{
			name:    "read-only lock file",
			command: "init",
			stderr:  "Error: Provider dependency changes detected\n\nChanges to the required provider dependencies were detected, but the lock file is read-only.\n",
			check:   func(err error) bool { var e *LockFileError; return errors.As(err, &e) },
			want:    "live/dev/workload: Provider dependency changes detected: the dependency lock file .terraform.lock.hcl does not match;",
		},
		{
			name:    "not initialized",
			command: "validate",
			stderr:  "Error: Missing required provider\n\nThis configuration requires provider registry.terraform.io/hashicorp/aws, but that provider isn't available. You may be able to install it automatically by running:\n  terraform init\n",
			check:   func(err error) bool { return errors.Is(err, ErrNotInitialized) },
			want:    "live/dev/workload: Missing required provider (working directory is not initialized): run terraform init there first",
		},
		{
			name:    "other",
			command: "init",
			stderr:  "Initializing modules...\nError: Unreadable module directory\n\nThe directory could not be read.\n\nError: Unreadable module directory\n",
			check:   func(err error) bool { var e *CommandError; return errors.As(err, &e) && errors.Is(err, base) },
			want:    "terraform init in live/dev/workload failed: Unreadable module directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := translate(tt.command, "live/dev/workload", tt.stderr, base)
			if !tt.check(err) {
				t.Errorf("translate() = %T %v: wrong type", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("translate() =\n%s\nwant it to contain\n%s", err, tt.want)
			}
		})
	}
}

func TestParseProvider(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, want, wantErr string
	}{
		{src: "aws", want: "registry.terraform.io/hashicorp/aws"},
		{src: "hashicorp/AWS", want: "registry.terraform.io/hashicorp/aws"},
		{src: "example.com/acme/thing", want: "example.com/acme/thing"},
		{src: "a/b/c/d", wantErr: "invalid provider source"},
		{src: "/aws", wantErr: "invalid provider source"},
	}
	for _, tt := range tests {
		got, err := ParseProvider(tt.src, "registry.terraform.io")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseProvider(%q) error = %v, want %q", tt.src, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseProvider(%q) = %v, %v; want %s", tt.src, got, err, tt.want)
		}
	}
}

func TestScanAndDiscoverMirrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	plat := runtime.GOOS + "_" + runtime.GOARCH
	// unpacked, packed, another platform, junk
	write(t, filepath.Join(root, "image", "tf-plugins", "registry.terraform.io", "hashicorp", "aws", "5.100.0", plat, "terraform-provider-aws"), "bin")
	write(t, filepath.Join(root, "image", "tf-plugins", "registry.terraform.io", "hashicorp", "aws", "5.1.0", "plan9_mips", "terraform-provider-aws"), "bin")
	write(t, filepath.Join(root, "image", "tf-plugins", "registry.terraform.io", "hashicorp", "random", "terraform-provider-random_3.6.0_"+plat+".zip"), "zip")
	write(t, filepath.Join(root, "image", "tf-plugins", "README"), "x")
	write(t, filepath.Join(root, "image", "other", "thing"), "not a mirror")
	write(t, filepath.Join(root, "home", ".terraform.d", "plugins", "example.com", "acme", "thing", "1.0.0", plat, "p"), "bin")
	write(t, filepath.Join(root, "xdg", "terraform", "plugins", "example.com", "acme", "thing", "2.0.0", plat, "p"), "bin")
	write(t, filepath.Join(root, "env", "example.com", "acme", "env", "0.1.0", plat, "p"), "bin")
	env := map[string]string{
		"HOME":                  filepath.Join(root, "home"),
		"XDG_DATA_HOME":         filepath.Join(root, "xdg"),
		"XDG_DATA_DIRS":         filepath.Join(root, "none"),
		"VIGIL_PROVIDER_MIRROR": filepath.Join(root, "env") + string(os.PathListSeparator) + filepath.Join(root, "missing"),
	}
	s := MirrorSearch{Getenv: func(k string) string { return env[k] }, ImageRoots: []string{filepath.Join(root, "image")}}
	mirrors, missing := s.DiscoverMirrors()
	if !reflect.DeepEqual(missing, []string{filepath.Join(root, "missing")}) {
		t.Errorf("missing = %v", missing)
	}
	var got []string
	for _, m := range mirrors {
		var ps []string
		for p, vs := range m.Providers {
			for _, v := range vs {
				ps = append(ps, p.String()+"@"+v.String())
			}
		}
		slices.Sort(ps)
		rel, _ := filepath.Rel(root, m.Dir)
		got = append(got, rel+" ("+m.Origin+"): "+strings.Join(ps, " "))
	}
	want := []string{
		"env (VIGIL_PROVIDER_MIRROR): example.com/acme/env@0.1.0",
		"home/.terraform.d/plugins (implied): example.com/acme/thing@1.0.0",
		"xdg/terraform/plugins (implied): example.com/acme/thing@2.0.0",
		"image/tf-plugins (machine image): registry.terraform.io/hashicorp/aws@5.100.0 registry.terraform.io/hashicorp/random@3.6.0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiscoverMirrors() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	aws := Provider{"registry.terraform.io", "hashicorp", "aws"}
	if v, ok := mirrors[3].Has(aws, version.MustConstraints(version.NewConstraint(">= 5.0, < 6.0"))); !ok || v.String() != "5.100.0" {
		t.Errorf("Has(aws >= 5.0) = %v, %v", v, ok)
	}
	if _, ok := mirrors[3].Has(aws, version.MustConstraints(version.NewConstraint("~> 4.0"))); ok {
		t.Error("Has(aws ~> 4.0) = true")
	}
}

func TestRequirements(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, filepath.Join(root, "stack", "main.tf"), `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}
module "m" { source = "../mod" }
resource "random_id" "x" {}
data "terraform_remote_state" "r" { backend = "s3" }
`)
	write(t, filepath.Join(root, "stack", LockFileName), `
provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.100.0"
  constraints = ">= 5.0.0"
  hashes = ["h1:x"]
}
`)
	write(t, filepath.Join(root, "mod", "main.tf"), `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "< 6.0" }
  }
}
`)
	reqs, err := Requirements([]string{filepath.Join(root, "stack")}, "registry.terraform.io")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reqs {
		got = append(got, r.Provider.String()+" ["+r.ConstraintString()+"]")
	}
	want := []string{"registry.terraform.io/hashicorp/aws [>= 5.0, < 6.0, = 5.100.0]", "registry.terraform.io/hashicorp/random []"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Requirements() = %q, want %q", got, want)
	}
}

func TestUserConfigMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if uc, err := readUserConfig(filepath.Join(dir, "missing.tfrc")); uc != nil || err != nil {
		t.Fatalf("readUserConfig(missing) = %v, %v; want nil, nil", uc, err)
	}
	path := filepath.Join(dir, "user.tfrc")
	write(t, path, `
plugin_cache_dir = "/home/me/.terraform.d/plugin-cache"
disable_checkpoint = true
credentials "app.terraform.io" {
  token = "secret"
}
provider_installation {
  filesystem_mirror {
    path = "/srv/mirror"
  }
  network_mirror {
    url     = "https://mirror.example.com/"
    exclude = ["example.com/*/*"]
  }
  dev_overrides {
    "example.com/acme/dev" = "/home/me/go/bin"
  }
}
`)
	uc, err := readUserConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if uc.CacheDir != "/home/me/.terraform.d/plugin-cache" || !reflect.DeepEqual(uc.Mirrors, []string{"/srv/mirror"}) {
		t.Errorf("user config = %+v", uc)
	}
	aws := Provider{"registry.terraform.io", "hashicorp", "aws"}
	got := string(cliConfig{
		CacheDir: "/cache",
		Mirrors: []*Mirror{
			{Dir: "/opt/tf-plugins", Providers: map[Provider][]*version.Version{aws: {version.Must(version.NewVersion("5.100.0"))}}},
			{Dir: "/empty", Providers: map[Provider][]*version.Version{}},
		},
		User: uc,
	}.render())
	want := `# Written by vigil for the terraform processes it runs. Do not edit: it is
# rewritten on every run. See docs/config.md.

# From ` + path + `:
disable_checkpoint = true

credentials "app.terraform.io" {
  token = "secret"
}

plugin_cache_dir = "/cache"

provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  dev_overrides {
    "example.com/acme/dev" = "/home/me/go/bin"
  }
  network_mirror {
    url     = "https://mirror.example.com/"
    exclude = ["example.com/*/*", "registry.terraform.io/hashicorp/aws"]
  }
}
`
	if got != want {
		t.Errorf("render() =\n%s\nwant\n%s", got, want)
	}

	plain := string(cliConfig{Mirrors: []*Mirror{{Dir: "/m", Providers: map[Provider][]*version.Version{aws: nil}}}}.render())
	if !strings.Contains(plain, "  direct {\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }\n") || strings.Contains(plain, "plugin_cache_dir") {
		t.Errorf("render() without user config =\n%s", plain)
	}

	write(t, filepath.Join(dir, "bad.tfrc"), "provider_installation {\n")
	if _, err := readUserConfig(filepath.Join(dir, "bad.tfrc")); err == nil || !strings.Contains(err.Error(), "unset TF_CLI_CONFIG_FILE") {
		t.Errorf("readUserConfig(bad) error = %v", err)
	}
}

func TestProviderUnavailableError(t *testing.T) {
	t.Parallel()
	e := &ProviderUnavailableError{
		Requirement: Requirement{
			Provider:    Provider{"registry.terraform.io", "hashicorp", "aws"},
			Constraints: version.MustConstraints(version.NewConstraint("~> 4.0")),
			RequiredBy:  []string{"live/dev/foundation"},
		},
		Found:  []string{"5.100.0"},
		Looked: []string{"/opt/tf-plugins", "/root/.cache/vigil/plugin-cache"},
		Reason: "the registry registry.terraform.io is unreachable",
	}
	want := "provider registry.terraform.io/hashicorp/aws (~> 4.0) required by live/dev/foundation is not in any local provider mirror (looked in: /opt/tf-plugins, /root/.cache/vigil/plugin-cache; they hold only 5.100.0) and the registry registry.terraform.io is unreachable; set VIGIL_PROVIDER_MIRROR to a folder laid out as <host>/<namespace>/<type>/<version>/<os>_<arch>/ holding it (for example one made with `terraform providers mirror DIR`), or restore network access"
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), want)
	}
}

func TestTofuAlias(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	plat := runtime.GOOS + "_" + runtime.GOARCH
	write(t, filepath.Join(root, "mirror", "registry.terraform.io", "hashicorp", "aws", "5.100.0", plat, "terraform-provider-aws_v5.100.0_x5"), "bin")
	write(t, filepath.Join(root, "mirror", "registry.terraform.io", "hashicorp", "random", "terraform-provider-random_3.6.0_"+plat+".zip"), "zip")
	write(t, filepath.Join(root, "mirror", "example.com", "acme", "x", "1.0.0", plat, "p"), "bin")
	tc := &Toolchain{stateDir: filepath.Join(root, ".vigil"), mirrors: []*Mirror{ScanMirror(filepath.Join(root, "mirror"), "test")}}
	alias, err := tc.tofuAlias()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for p, vs := range alias.Providers {
		got = append(got, p.String()+"@"+vs[0].String())
	}
	slices.Sort(got)
	want := []string{"registry.opentofu.org/hashicorp/aws@5.100.0", "registry.opentofu.org/hashicorp/random@3.6.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alias mirror = %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(alias.Dir, "registry.opentofu.org", "hashicorp", "aws", "5.100.0", plat, "terraform-provider-aws_v5.100.0_x5")); err != nil {
		t.Error(err)
	}
	if _, err := tc.tofuAlias(); err != nil { // idempotent
		t.Errorf("second tofuAlias() error: %v", err)
	}
}
