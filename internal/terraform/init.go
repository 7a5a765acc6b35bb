package terraform

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sort"
	"time"
)

// InitOption configures Runner.Init. Options are named after init's flags.
type InitOption interface {
	configureInit(*initConfig)
}

type initConfig struct {
	backend          bool
	lockfileReadonly bool
	upgrade          bool
	reconfigure      bool
	reuse            bool
	backendConfig    []string // -backend-config values (see BackendConfig)
}

type backendOption bool

func (o backendOption) configureInit(c *initConfig) { c.backend = bool(o) }

// Backend sets -backend; Backend(false) never touches remote state.
func Backend(enabled bool) InitOption { return backendOption(enabled) }

type lockfileReadonlyOption struct{}

func (lockfileReadonlyOption) configureInit(c *initConfig) { c.lockfileReadonly = true }

// LockfileReadonly sets -lockfile=readonly: init fails instead of changing
// .terraform.lock.hcl. It needs an existing lock file.
func LockfileReadonly() InitOption { return lockfileReadonlyOption{} }

type upgradeOption bool

func (o upgradeOption) configureInit(c *initConfig) { c.upgrade = bool(o) }

// Upgrade sets -upgrade.
func Upgrade(enabled bool) InitOption { return upgradeOption(enabled) }

type reconfigureOption bool

func (o reconfigureOption) configureInit(c *initConfig) { c.reconfigure = bool(o) }

// Reconfigure sets -reconfigure.
func Reconfigure(enabled bool) InitOption { return reconfigureOption(enabled) }

type reuseOption bool

func (o reuseOption) configureInit(c *initConfig) { c.reuse = bool(o) }

// Reuse skips init when nothing it depends on changed since vigil last ran
// it in this data dir (see Runner.Init). Not a terraform flag.
func Reuse(enabled bool) InitOption { return reuseOption(enabled) }

// initArgs builds the argument list: fixed flags, then explicit booleans.
func initArgs(c *initConfig) []string {
	args := []string{"init", "-no-color", "-input=false"}
	if c.backend {
		args = append(args, "-backend=true")
	} else {
		args = append(args, "-backend=false")
	}
	if c.lockfileReadonly {
		args = append(args, "-lockfile=readonly")
	}
	if c.upgrade {
		args = append(args, "-upgrade")
	}
	if c.reconfigure {
		args = append(args, "-reconfigure")
	}
	for _, kv := range c.backendConfig {
		args = append(args, "-backend-config="+kv)
	}
	return args
}

// command builds a terraform command without running it, the way
// terraform-exec does (automation env, no TF_LOG, own process group,
// interrupt on cancel). vigil runs init, fmt and validate itself: tfexec's
// Init has no -lockfile option, and each tfexec handle starts an extra
// `terraform version` process before its first command, which costs more
// than fmt itself.
func command(ctx context.Context, bin, dir string, env map[string]string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	full := copyMap(env)
	full["TF_IN_AUTOMATION"] = "1"
	full["TF_INPUT"] = "0"
	for _, k := range []string{"TF_LOG", "TF_LOG_CORE", "TF_LOG_PROVIDER", "TF_LOG_PATH", "TF_WORKSPACE"} {
		delete(full, k)
	}
	for k, v := range full {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	sort.Strings(cmd.Env)
	setProcAttr(cmd)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	return cmd
}

// run runs a command and returns its standard output and error output.
func run(ctx context.Context, bin, dir string, env map[string]string, args []string) (stdout, stderr []byte, err error) {
	cmd := command(ctx, bin, dir, env, args)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// runInit runs init and returns its error output.
func runInit(ctx context.Context, bin, dir string, env map[string]string, args []string) (string, error) {
	_, stderr, err := run(ctx, bin, dir, env, args)
	return string(stderr), err
}
