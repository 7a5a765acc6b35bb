package terraform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/vigil-sre/vigil/internal/tfconfig"
)

// Runner runs terraform in one configuration directory (a stack), in place:
// nothing is copied. Its data dir (TF_DATA_DIR, what would be .terraform)
// lives under the state dir, .vigil/tfdata/<dir relative to the repository
// root>, so the repository gets no .terraform folders. Terraform writes the
// dependency lock file .terraform.lock.hcl next to the configuration, as
// usual; see Init.
//
// A Runner is a value: WithEnv returns a new one. Several Runners may run
// at once, including for different directories.
type Runner struct {
	tc      *Toolchain
	dir     string
	dataDir string
	extra   map[string]string
}

// Runner returns a Runner for the configuration in dir.
func (tc *Toolchain) Runner(dir string) *Runner {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	rel := tc.rel(abs)
	if filepath.IsAbs(rel) { // outside the repository
		sum := sha256.Sum256([]byte(abs))
		rel = filepath.Join("_outside", filepath.Base(abs)+"-"+hex.EncodeToString(sum[:4]))
	}
	return &Runner{tc: tc, dir: abs, dataDir: filepath.Join(tc.stateDir, "tfdata", filepath.FromSlash(rel))}
}

// WithEnv returns a Runner whose terraform processes also get env (for
// example AWS_ENDPOINT_URL and credentials for the sandbox). Variables vigil
// controls (TF_CLI_CONFIG_FILE, TF_DATA_DIR, TF_IN_AUTOMATION, TF_LOG...)
// cannot be overridden this way.
func (r *Runner) WithEnv(env map[string]string) *Runner {
	n := *r
	n.extra = copyMap(r.extra)
	for k, v := range env {
		n.extra[k] = v
	}
	return &n
}

// Dir is the configuration directory.
func (r *Runner) Dir() string { return r.dir }

// DataDir is the TF_DATA_DIR the runner uses.
func (r *Runner) DataDir() string { return r.dataDir }

// Env is the complete environment of the runner's terraform processes
// (sorted KEY=VALUE), for callers that start terraform themselves.
func (r *Runner) Env() []string {
	m := r.envMap()
	m["TF_IN_AUTOMATION"] = "1"
	m["TF_INPUT"] = "0"
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (r *Runner) envMap() map[string]string {
	m := copyMap(r.tc.env)
	for k, v := range tfexec.CleanEnv(copyMap(r.extra)) {
		m[k] = v
	}
	m["TF_CLI_CONFIG_FILE"] = r.tc.ConfigFile()
	m["TF_DATA_DIR"] = r.dataDir
	delete(m, "TF_PLUGIN_CACHE_DIR")
	return m
}

// Tfexec returns a terraform-exec handle for the runner's directory with its
// environment set, for the commands Runner does not wrap (plan, apply, show,
// output...). Errors from it are untranslated; pass them through Translate.
func (r *Runner) Tfexec() (*tfexec.Terraform, error) {
	tf, err := tfexec.NewTerraform(r.dir, r.tc.bin.Path)
	if err != nil {
		return nil, err
	}
	if err := tf.SetEnv(r.envMap()); err != nil {
		return nil, err
	}
	return tf, nil
}

// Translate turns an error of a terraform command run in this directory into
// a vigil error with a next step (StateLockedError, LockFileError,
// ErrNotInitialized, CommandError). stderr is the command's error output.
func (r *Runner) Translate(command, stderr string, err error) error {
	return translate(command, r.tc.rel(r.dir), stderr, err)
}

// HasLockFile reports whether the configuration has a .terraform.lock.hcl.
func (r *Runner) HasLockFile() bool {
	_, err := os.Stat(filepath.Join(r.dir, LockFileName))
	return err == nil
}

// Init runs `terraform init`. Call Toolchain.Prepare for the directory (or
// all directories at once) first when inits run in parallel.
//
// With Reuse(true), init is skipped when the data dir was initialized by
// vigil from the same inputs: the configuration files of the directory and
// of the local modules it calls, the lock file, the CLI config and the
// providers of the mirrors, the binary and the init flags. When the
// directory has no lock file, the one the earlier init wrote is put back
// instead (terraform validate needs it); removing it again is the caller's
// business, as after a real init.
func (r *Runner) Init(ctx context.Context, opts ...InitOption) error {
	c := &initConfig{backend: true}
	for _, o := range opts {
		o.configureInit(c)
	}
	args := initArgs(c)
	lockPath := filepath.Join(r.dir, LockFileName)
	savedLock := filepath.Join(r.dataDir, "vigil-lock.hcl")
	stampPath := filepath.Join(r.dataDir, "vigil-init.stamp")
	hadLock := r.HasLockFile()
	var stamp string
	if c.reuse {
		if s, err := r.initStamp(args, hadLock); err == nil {
			stamp = s
			if old, err := os.ReadFile(stampPath); err == nil && string(old) == stamp {
				if hadLock {
					return nil
				}
				if data, err := os.ReadFile(savedLock); err == nil && writeNewFile(lockPath, data) == nil {
					return nil
				}
			}
		}
	}
	_ = os.Remove(stampPath)
	if err := os.MkdirAll(r.dataDir, 0o755); err != nil {
		return err
	}
	stderr, err := runInit(ctx, r.tc.bin.Path, r.dir, r.envMap(), args)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if networkRe.MatchString(stderr) && strings.Contains(stderr, "provider") {
			reqs, rerr := Requirements([]string{r.dir}, r.tc.bin.Flavor.DefaultRegistryHost())
			if rerr == nil {
				r.tc.mu.Lock()
				missing := r.tc.missing(reqs)
				r.tc.mu.Unlock()
				if len(missing) > 0 {
					missing[0].RequiredBy = []string{r.tc.rel(r.dir)}
					return r.tc.unavailable(missing[0], "the registry is unreachable", err)
				}
			}
		}
		return translate("init", r.tc.rel(r.dir), stderr, err)
	}
	if stamp != "" {
		if !hadLock {
			data, err := os.ReadFile(lockPath)
			if err != nil || os.WriteFile(savedLock, data, 0o644) != nil {
				return nil // nothing to reuse next time; the init itself succeeded
			}
		}
		_ = os.WriteFile(stampPath, []byte(stamp), 0o644)
	}
	return nil
}

// writeNewFile creates path with data, failing if it exists.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// initStamp hashes everything that decides what init would install.
func (r *Runner) initStamp(args []string, hasLock bool) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%q\x00lock=%t\n", r.tc.bin.Path, r.tc.bin.Version, r.tc.ConfigFile(), args, hasLock)
	var mirrored []string
	for _, m := range r.tc.Mirrors() {
		for p, vs := range m.Providers {
			mirrored = append(mirrored, fmt.Sprintf("mirror %s %s %v\n", m.Dir, p, vs))
		}
	}
	sort.Strings(mirrored)
	for _, line := range mirrored {
		io.WriteString(h, line)
	}
	root, err := tfconfig.LoadModule(r.dir)
	if err != nil {
		return "", err
	}
	mods, err := tfconfig.LocalModules(root)
	if err != nil {
		return "", err
	}
	var files []string
	if hasLock {
		files = append(files, filepath.Join(r.dir, LockFileName))
	}
	for _, m := range append([]*tfconfig.Module{root}, mods...) {
		files = append(files, m.Files...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ValidateOption configures Runner.Validate.
type ValidateOption interface {
	configureValidate(*validateConfig)
}

type validateConfig struct {
	pool *ProviderPool
}

type sharedProvidersOption struct{ pool *ProviderPool }

func (o sharedProvidersOption) configureValidate(c *validateConfig) { c.pool = o.pool }

// SharedProviders makes validate attach to the pool's running provider
// plugins instead of starting its own (see ProviderPool).
func SharedProviders(pool *ProviderPool) ValidateOption { return sharedProvidersOption{pool} }

// Validate runs `terraform validate -json`. Configuration problems come back
// as diagnostics in the output, not as an error.
func (r *Runner) Validate(ctx context.Context, opts ...ValidateOption) (*tfjson.ValidateOutput, error) {
	c := &validateConfig{}
	for _, o := range opts {
		o.configureValidate(c)
	}
	env := r.envMap()
	if c.pool != nil {
		if ra := c.pool.reattachFor(ctx, r.dataDir); ra != "" {
			env["TF_REATTACH_PROVIDERS"] = ra
		}
	}
	stdout, stderr, err := run(ctx, r.tc.bin.Path, r.dir, env, []string{"validate", "-no-color", "-json"})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var exitErr *exec.ExitError
	if err != nil && !(errors.As(err, &exitErr) && exitErr.ExitCode() == 1) {
		return nil, r.Translate("validate", string(stderr), err)
	}
	var out tfjson.ValidateOutput
	if jerr := json.Unmarshal(stdout, &out); jerr != nil {
		if err != nil { // exit 1 without JSON: a failure, not diagnostics
			return nil, r.Translate("validate", string(stderr), err)
		}
		return nil, fmt.Errorf("read terraform validate -json output in %s: %w", r.tc.rel(r.dir), jerr)
	}
	return &out, nil
}

// FmtCheck runs `terraform fmt -check` on the directory and on extra
// directories (the local modules a stack calls), in one process, not
// recursively, and returns the absolute paths of the files that are not
// formatted. It changes no file.
func (r *Runner) FmtCheck(ctx context.Context, extra ...string) ([]string, error) {
	args := append([]string{"fmt", "-no-color", "-check", "-list=true", "-write=false", "."}, extra...)
	stdout, stderr, err := run(ctx, r.tc.bin.Path, r.dir, r.envMap(), args)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var exitErr *exec.ExitError
	if err != nil && !(errors.As(err, &exitErr) && exitErr.ExitCode() == 3) { // 3: some files are not formatted
		return nil, r.Translate("fmt", string(stderr), err)
	}
	var out []string
	for _, line := range strings.Split(string(stdout), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(r.dir, line)
		}
		out = append(out, filepath.Clean(line))
	}
	sort.Strings(out)
	return out, nil
}

// SweepGOGC is the Go garbage collector setting WithGCPercent(0) gives
// terraform and its provider plugins. Both are Go programs that decode the
// provider's whole schema (the AWS provider's is thousands of resource
// types) in every process, which at Go's default (100) collects garbage
// over and over. At 400 a small refresh plan takes about 20% less CPU time
// (measured: 2.6 → 2.1 CPU-seconds, terraform and the AWS plugin together)
// for about 1.5 times the memory (a plan ~400 MB, the AWS plugin ~800 MB
// resident, most of it the mapped binary).
const SweepGOGC = 400

// WithGCPercent returns a Runner whose terraform processes and provider
// plugins run with GOGC=percent (SweepGOGC when percent is 0), for work
// that runs many plans back to back (drift sweeps). A GOGC already in the
// runner's environment (the user's own) is kept.
func (r *Runner) WithGCPercent(percent int) *Runner {
	if _, ok := r.envMap()["GOGC"]; ok {
		return r
	}
	if percent <= 0 {
		percent = SweepGOGC
	}
	return r.WithEnv(map[string]string{"GOGC": strconv.Itoa(percent)})
}
