package terraform

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// This file holds the commands the gated pipeline runs (plan, show, apply,
// state pull/push, output, force-unlock and a lock probe). Like init and
// validate they are run directly rather than through terraform-exec: the
// pipeline needs -detailed-exitcode, a tee of the human output into a
// (masked) log, -state for local state, and no extra `terraform version`
// per handle.

// BackendConfig sets one -backend-config=KEY=VALUE (repeatable), for the
// backend settings a stack leaves to the caller (partial configuration).
func BackendConfig(key, value string) InitOption { return backendConfigOption(key + "=" + value) }

type backendConfigOption string

func (o backendConfigOption) configureInit(c *initConfig) {
	c.backendConfig = append(c.backendConfig, string(o))
}

// opConfig is shared by the options of plan, apply, output and the state
// commands; each option implements only the configure methods of the
// commands that accept its flag.
type opConfig struct {
	vars        []string
	lockTimeout string
	state       string
	refreshOnly bool
	noLock      bool
	log         io.Writer
	providers   *ProviderServers
}

// PlanOption configures Runner.Plan.
type PlanOption interface{ configurePlan(*opConfig) }

// ApplyOption configures Runner.Apply.
type ApplyOption interface{ configureApply(*opConfig) }

// StateOption configures the commands that read state outside a plan
// (Runner.StatePull, Runner.Output, Runner.LockHolder).
type StateOption interface{ configureState(*opConfig) }

type varOption string

func (o varOption) configurePlan(c *opConfig) { c.vars = append(c.vars, string(o)) }

// Var sets -var NAME=VALUE. Terraform rejects a -var for a variable the
// configuration does not declare.
func Var(name, value string) PlanOption { return varOption(name + "=" + value) }

type lockTimeoutOption string

func (o lockTimeoutOption) configurePlan(c *opConfig)  { c.lockTimeout = string(o) }
func (o lockTimeoutOption) configureApply(c *opConfig) { c.lockTimeout = string(o) }
func (o lockTimeoutOption) configureState(c *opConfig) { c.lockTimeout = string(o) }

// LockTimeout sets -lock-timeout: how long to wait for the state lock
// (0: fail at once with a *StateLockedError naming the holder).
func LockTimeout(d time.Duration) interface {
	PlanOption
	ApplyOption
	StateOption
} {
	return lockTimeoutOption(fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second)))
}

type statePathOption string

func (o statePathOption) configurePlan(c *opConfig)  { c.state = string(o) }
func (o statePathOption) configureApply(c *opConfig) { c.state = string(o) }
func (o statePathOption) configureState(c *opConfig) { c.state = string(o) }

// StatePath sets -state=PATH: the state file of a configuration that uses
// the local backend (vigil keeps bootstrap state under .vigil, not in the
// repository).
func StatePath(path string) interface {
	PlanOption
	ApplyOption
	StateOption
} {
	return statePathOption(path)
}

type refreshOnlyOption bool

func (o refreshOnlyOption) configurePlan(c *opConfig) { c.refreshOnly = bool(o) }

// RefreshOnly sets -refresh-only.
func RefreshOnly(enabled bool) PlanOption { return refreshOnlyOption(enabled) }

type lockOption bool

func (o lockOption) configurePlan(c *opConfig) { c.noLock = !bool(o) }

// Lock(false) sets -lock=false: the plan neither takes nor waits for the
// state lock (read-only checks such as drift's; never for a plan that is
// to be applied).
func Lock(enabled bool) PlanOption { return lockOption(enabled) }

type logOption struct{ w io.Writer }

func (o logOption) configurePlan(c *opConfig)  { c.log = o.w }
func (o logOption) configureApply(c *opConfig) { c.log = o.w }

// Log copies terraform's human output (standard output and error) to w as
// it comes. The output can hold values the configuration did not mark
// sensitive: give a writer that masks them.
func Log(w io.Writer) interface {
	PlanOption
	ApplyOption
} {
	return logOption{w}
}

func planArgs(planFile string, c *opConfig) []string {
	args := []string{"plan", "-no-color", "-input=false", "-detailed-exitcode", "-out=" + planFile}
	if c.lockTimeout != "" {
		args = append(args, "-lock-timeout="+c.lockTimeout)
	}
	if c.state != "" {
		args = append(args, "-state="+c.state)
	}
	if c.refreshOnly {
		args = append(args, "-refresh-only")
	}
	if c.noLock {
		args = append(args, "-lock=false")
	}
	for _, v := range c.vars {
		args = append(args, "-var", v)
	}
	return args
}

func applyArgs(planFile string, c *opConfig) []string {
	args := []string{"apply", "-no-color", "-input=false"}
	if c.lockTimeout != "" {
		args = append(args, "-lock-timeout="+c.lockTimeout)
	}
	if c.state != "" {
		args = append(args, "-state="+c.state)
	}
	return append(args, planFile)
}

// runLogged runs a command teeing its output to log (when set) and returns
// the captured standard output and error.
func (r *Runner) runLogged(ctx context.Context, env map[string]string, args []string, log io.Writer) (stdout, stderr []byte, err error) {
	cmd := command(ctx, r.tc.bin.Path, r.dir, env, args)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if log != nil {
		lw := &lockedWriter{w: log}
		cmd.Stdout = io.MultiWriter(&out, lw)
		cmd.Stderr = io.MultiWriter(&errOut, lw)
	}
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// Plan runs `terraform plan -detailed-exitcode -out=planFile` and reports
// whether the plan has changes. Failures come back translated
// (*StateLockedError when another run holds the state lock, ...).
func (r *Runner) Plan(ctx context.Context, planFile string, opts ...PlanOption) (changes bool, err error) {
	c := &opConfig{}
	for _, o := range opts {
		o.configurePlan(c)
	}
	env := r.envMap()
	if ra := c.providers.reattach(ctx); ra != "" {
		env["TF_REATTACH_PROVIDERS"] = ra
	}
	_, stderr, err := r.runLogged(ctx, env, planArgs(planFile, c), c.log)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 2:
		return true, nil
	}
	return false, c.providers.withCrash("plan", r.Translate("plan", string(stderr), err))
}

// ShowPlanJSON runs `terraform show -json planFile` and returns the plan
// JSON. It holds every value of the plan in clear text, sensitive ones
// included: mask it (package review) before it goes anywhere. With a pool,
// show attaches to its running provider plugins (show only reads schemas)
// instead of starting its own.
func (r *Runner) ShowPlanJSON(ctx context.Context, planFile string, pool *ProviderPool) ([]byte, error) {
	env := r.envMap()
	if pool != nil {
		if ra := pool.reattachFor(ctx, r.dataDir); ra != "" {
			env["TF_REATTACH_PROVIDERS"] = ra
		}
	}
	stdout, stderr, err := run(ctx, r.tc.bin.Path, r.dir, env, []string{"show", "-no-color", "-json", planFile})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, r.Translate("show", string(stderr), err)
	}
	return stdout, nil
}

// Apply runs `terraform apply planFile`: exactly the saved plan, no new
// plan, no prompt.
func (r *Runner) Apply(ctx context.Context, planFile string, opts ...ApplyOption) error {
	c := &opConfig{}
	for _, o := range opts {
		o.configureApply(c)
	}
	_, stderr, err := r.runLogged(ctx, r.envMap(), applyArgs(planFile, c), c.log)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return r.Translate("apply", string(stderr), err)
}

// StateMeta identifies a state snapshot without its content.
type StateMeta struct {
	// Exists is false when the backend holds no state yet.
	Exists  bool   `json:"exists"`
	Lineage string `json:"lineage,omitempty"`
	Serial  uint64 `json:"serial"`
}

func (m StateMeta) String() string {
	if !m.Exists {
		return "no state yet"
	}
	return fmt.Sprintf("lineage %s serial %d", m.Lineage, m.Serial)
}

func parseStateMeta(data []byte) (StateMeta, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return StateMeta{}, nil
	}
	var s struct {
		Lineage string `json:"lineage"`
		Serial  uint64 `json:"serial"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return StateMeta{}, err
	}
	// Terraform reports a backend without state as serial 0 and no lineage.
	return StateMeta{Exists: s.Lineage != "" || s.Serial > 0, Lineage: s.Lineage, Serial: s.Serial}, nil
}

// StatePull reads the lineage and serial of the stack's current state
// (`terraform state pull`); the content itself is dropped at once.
func (r *Runner) StatePull(ctx context.Context, opts ...StateOption) (StateMeta, error) {
	c := &opConfig{}
	for _, o := range opts {
		o.configureState(c)
	}
	args := []string{"state", "pull"}
	if c.state != "" {
		args = append(args, "-state="+c.state)
	}
	stdout, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), args)
	if ctx.Err() != nil {
		return StateMeta{}, ctx.Err()
	}
	if err != nil {
		return StateMeta{}, r.Translate("state pull", string(stderr), err)
	}
	m, err := parseStateMeta(stdout)
	if err != nil {
		return StateMeta{}, fmt.Errorf("read terraform state pull output in %s: %w", r.tc.rel(r.dir), err)
	}
	return m, nil
}

// StateResources counts the resource instances of the stack's current
// state (`terraform state pull`); the content itself is dropped at once.
func (r *Runner) StateResources(ctx context.Context) (int, error) {
	stdout, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), []string{"state", "pull"})
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err != nil {
		return 0, r.Translate("state pull", string(stderr), err)
	}
	defer clear(stdout)
	return countInstances(stdout)
}

// countInstances counts the resource instances of a state file.
func countInstances(data []byte) (int, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return 0, nil
	}
	var s struct {
		Resources []struct {
			Instances []json.RawMessage `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range s.Resources {
		n += len(r.Instances)
	}
	return n, nil
}

// CountStateInstances counts the resource instances of a state file's
// content.
func CountStateInstances(data []byte) (int, error) { return countInstances(data) }

// StatePush uploads a state file to the stack's backend (`terraform state
// push`); Terraform refuses when the backend holds a state of another
// lineage or a higher serial, unless force (-force). Pushed into a backend
// that holds no state yet, the content is kept but Terraform's S3 backend
// gives it a new lineage and serial 1.
func (r *Runner) StatePush(ctx context.Context, path string, force bool) error {
	args := []string{"state", "push"}
	if force {
		args = append(args, "-force")
	}
	_, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), append(args, path))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return r.Translate("state push", string(stderr), err)
}

// Outputs returns the stack's root outputs that are not sensitive, as JSON
// values (`terraform output -json`); sensitive ones are left out.
func (r *Runner) Outputs(ctx context.Context, opts ...StateOption) (map[string]json.RawMessage, error) {
	c := &opConfig{}
	for _, o := range opts {
		o.configureState(c)
	}
	args := []string{"output", "-no-color", "-json"}
	if c.state != "" {
		args = append(args, "-state="+c.state)
	}
	stdout, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), args)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, r.Translate("output", string(stderr), err)
	}
	var raw map[string]struct {
		Sensitive bool            `json:"sensitive"`
		Value     json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(stdout, &raw); err != nil {
		return nil, fmt.Errorf("read terraform output -json in %s: %w", r.tc.rel(r.dir), err)
	}
	out := map[string]json.RawMessage{}
	for k, v := range raw {
		if !v.Sensitive {
			out[k] = v.Value
		}
	}
	return out, nil
}

// lockProbeAddress is an address no configuration uses; `state rm
// -dry-run` of it takes the state lock and changes nothing.
const lockProbeAddress = "terraform_data.vigil_lock_probe"

// LockHolder reports who holds the stack's state lock: nil when it is free,
// else a *StateLockedError with the lock ID, who, the operation and since
// when. It asks Terraform (a `state rm -dry-run` of an address no
// configuration has, which takes the lock and changes nothing), so it works
// for every backend and lock kind (S3 lock file, DynamoDB table...).
func (r *Runner) LockHolder(ctx context.Context) (*StateLockedError, error) {
	_, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), []string{"state", "rm", "-no-color", "-dry-run", "-lock-timeout=0s", lockProbeAddress})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil {
		return nil, nil
	}
	terr := r.Translate("state rm", string(stderr), err)
	var locked *StateLockedError
	if errors.As(terr, &locked) {
		return locked, nil
	}
	if strings.Contains(string(stderr), "No matching objects found") || strings.Contains(string(stderr), "Invalid target address") {
		return nil, nil // older releases fail on an unknown address after locking
	}
	return nil, terr
}

// ForceUnlock releases the state lock with the given ID (`terraform
// force-unlock -force ID`).
func (r *Runner) ForceUnlock(ctx context.Context, id string) error {
	_, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), []string{"force-unlock", "-force", id})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return r.Translate("force-unlock", string(stderr), err)
}

// PlanStateMeta reads the lineage and serial of the state a saved plan was
// made against (the prior state Terraform stores in the plan file), without
// running terraform. A plan made before any state existed reports Exists
// false. It fails for a plan file it cannot read (for example one encrypted
// by OpenTofu's state encryption); callers then fall back to StatePull.
func PlanStateMeta(planFile string) (StateMeta, error) {
	zr, err := zip.OpenReader(planFile)
	if err != nil {
		return StateMeta{}, fmt.Errorf("read plan file %s: %w", planFile, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "tfstate" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return StateMeta{}, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, 512<<20))
		rc.Close()
		if err != nil {
			return StateMeta{}, fmt.Errorf("read plan file %s: %w", planFile, err)
		}
		return parseStateMeta(data)
	}
	return StateMeta{}, fmt.Errorf("plan file %s holds no prior state", planFile)
}

// lockedWriter serialises the writes of terraform's two output streams.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// WithDataDir returns a Runner that keeps its terraform data dir
// (TF_DATA_DIR) in dir instead of the default .vigil/tfdata/<path>. The
// pipeline initialises stacks with their backend in a data dir of its own,
// so it and `vigil check` (init -backend=false) each keep reusing theirs.
func (r *Runner) WithDataDir(dir string) *Runner {
	n := *r
	n.dataDir = dir
	return &n
}

// Rel shows a path relative to the repository root when it is inside it.
func (tc *Toolchain) Rel(path string) string { return tc.rel(path) }
