package target

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/sandbox"
)

// DataDirEnv overrides the sandbox data directory of a repository.
const DataDirEnv = "VIGIL_SANDBOX_DATA_DIR"

// Options tune Resolve.
type Options struct {
	// Override replaces the environment's configured target ("sandbox" or
	// "aws"), as --target does.
	Override string
	// Logger receives the in-process sandbox's logs.
	Logger *slog.Logger
}

// Target is a resolved destination.
type Target struct {
	Kind   string            // config.TargetSandbox or config.TargetAWS
	Region string            // the environment's region
	Env    map[string]string // variables to add to Terraform and AWS client processes
	// Sandbox is set for sandbox targets.
	Sandbox *sandbox.Endpoint
}

// Close stops a sandbox this process started; a shared one keeps running.
func (t *Target) Close(ctx context.Context) error {
	if t.Sandbox == nil {
		return nil
	}
	return t.Sandbox.Close(ctx)
}

// SandboxDataDir is the data directory of a repository's sandbox.
func SandboxDataDir(cfg *config.Config) string {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d
	}
	return filepath.Join(cfg.StateDir(), "sandbox")
}

// Resolve finds the destination of env.
func Resolve(ctx context.Context, cfg *config.Config, env config.Environment, opts Options) (*Target, error) {
	kind := env.Target
	if opts.Override != "" {
		kind = opts.Override
	}
	switch kind {
	case config.TargetAWS:
		return &Target{Kind: kind, Region: env.Region, Env: map[string]string{"AWS_REGION": env.Region}}, nil
	case config.TargetSandbox, "":
		ep, err := sandbox.Ensure(ctx, sandbox.Options{DataDir: SandboxDataDir(cfg), Region: env.Region, Logger: opts.Logger})
		if err != nil {
			return nil, fmt.Errorf("environment %s targets the sandbox: %w", env.Name, err)
		}
		return &Target{Kind: config.TargetSandbox, Region: env.Region, Env: ep.Env(env.Region), Sandbox: ep}, nil
	default:
		return nil, fmt.Errorf("environment %s: unknown target %q (use %q or %q)", env.Name, kind, config.TargetSandbox, config.TargetAWS)
	}
}
