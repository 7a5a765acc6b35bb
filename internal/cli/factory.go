package cli

import (
	"context"
	"os"
	"sync"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// Factory holds what commands need. The global flags (-C, --terraform) are
// stored on it before a command runs; the lazy getters read them on first
// use and cache the result.
type Factory struct {
	IOStreams  *iostreams.IOStreams
	AppVersion string

	// Dir is the -C flag: act as if vigil started there ("" = working dir).
	Dir string
	// TerraformPath is the --terraform flag.
	TerraformPath string

	// Config loads vigil.hcl, walking up from Dir.
	Config func() (*config.Config, error)
	// Terraform builds the toolchain for the repository (binary, CLI
	// config, mirrors).
	Terraform func(ctx context.Context) (*terraform.Toolchain, error)
}

// NewFactory returns the Factory of a real process.
func NewFactory(appVersion string) *Factory {
	f := &Factory{IOStreams: iostreams.System(), AppVersion: appVersion}
	f.Config = configFunc(f)
	f.Terraform = terraformFunc(f)
	return f
}

func configFunc(f *Factory) func() (*config.Config, error) {
	var (
		once sync.Once
		cfg  *config.Config
		err  error
	)
	return func() (*config.Config, error) {
		once.Do(func() {
			dir := f.Dir
			if dir == "" {
				dir = "."
			}
			var path string
			if path, err = config.Find(dir); err != nil {
				return
			}
			cfg, err = config.Load(path)
		})
		return cfg, err
	}
}

func terraformFunc(f *Factory) func(ctx context.Context) (*terraform.Toolchain, error) {
	var (
		mu sync.Mutex
		tc *terraform.Toolchain
	)
	return func(ctx context.Context) (*terraform.Toolchain, error) {
		mu.Lock()
		defer mu.Unlock()
		if tc != nil {
			return tc, nil
		}
		p := terraform.Params{Binary: f.TerraformPath, Environ: os.Environ()}
		if cfg, err := f.Config(); err == nil {
			p.Root = cfg.Root
			p.StateDir = cfg.StateDir()
		}
		var err error
		tc, err = terraform.New(ctx, p)
		return tc, err
	}
}
