package terraform

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-exec/tfexec"
)

// MinVersion is the oldest Terraform or OpenTofu vigil drives.
var MinVersion = version.Must(version.NewVersion("1.6.0"))

// EnvTerraform names the environment variable that picks the binary when no
// --terraform flag is given.
const EnvTerraform = "VIGIL_TERRAFORM"

// Flavor tells Terraform and OpenTofu apart.
type Flavor string

// The two flavors vigil supports (M20).
const (
	FlavorTerraform Flavor = "terraform"
	FlavorOpenTofu  Flavor = "tofu"
)

// DefaultRegistryHost is where a short provider source ("hashicorp/aws")
// resolves for this flavor.
func (f Flavor) DefaultRegistryHost() string {
	if f == FlavorOpenTofu {
		return "registry.opentofu.org"
	}
	return "registry.terraform.io"
}

// Binary is a located, version-checked terraform or tofu executable.
type Binary struct {
	Path    string
	Flavor  Flavor
	Version *version.Version
}

func (b *Binary) String() string {
	return fmt.Sprintf("%s %s (%s)", b.Flavor, b.Version, b.Path)
}

// ErrNoBinary is wrapped when neither terraform nor tofu can be found.
var ErrNoBinary = errors.New("no terraform or tofu binary found")

// FindParams says where to look for the binary.
type FindParams struct {
	// Path is the --terraform flag; it wins when set. A bare name is looked
	// up on PATH.
	Path string
	// Getenv reads VIGIL_TERRAFORM (os.Getenv when nil).
	Getenv func(string) string
	// LookPath searches PATH (exec.LookPath when nil).
	LookPath func(string) (string, error)
	// Env is the environment for the `version` call (os.Environ when nil).
	Env map[string]string
}

// FindBinary locates the binary (flag, then VIGIL_TERRAFORM, then terraform
// and tofu on PATH) and checks it is at least MinVersion.
func FindBinary(ctx context.Context, p FindParams) (*Binary, error) {
	lookPath := p.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	getenv := p.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var path, from string
	switch {
	case p.Path != "":
		path, from = p.Path, "--terraform"
	case getenv(EnvTerraform) != "":
		path, from = getenv(EnvTerraform), EnvTerraform
	}
	if path != "" {
		found, err := lookPath(path)
		if err != nil {
			return nil, fmt.Errorf("%s %q is not an executable: %w; give the path of a terraform or tofu binary", from, path, err)
		}
		path = found
	} else {
		for _, name := range []string{"terraform", "tofu"} {
			if found, err := lookPath(name); err == nil {
				path = found
				break
			}
		}
		if path == "" {
			return nil, fmt.Errorf("%w on PATH: install Terraform ≥ %s or OpenTofu ≥ %s, or pass --terraform PATH (or set %s)", ErrNoBinary, MinVersion, MinVersion, EnvTerraform)
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	b := &Binary{Path: abs, Flavor: FlavorTerraform}
	if strings.Contains(strings.ToLower(filepath.Base(abs)), "tofu") {
		b.Flavor = FlavorOpenTofu
	}
	tf, err := tfexec.NewTerraform(filepath.Dir(abs), abs)
	if err != nil {
		return nil, err
	}
	env := p.Env
	if env == nil {
		env = map[string]string{}
	}
	if err := tf.SetEnv(tfexec.CleanEnv(copyMap(env))); err != nil {
		return nil, err
	}
	v, _, err := tf.Version(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("run %s version: %w", abs, err)
	}
	b.Version = v
	if v.LessThan(MinVersion) {
		return nil, fmt.Errorf("%s is version %s; vigil needs %s ≥ %s: upgrade it, or point --terraform (or %s) at a newer binary", abs, v, b.Flavor, MinVersion, EnvTerraform)
	}
	return b, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
