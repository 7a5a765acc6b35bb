package terraform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-exec/tfexec"
)

// Params configures New. The zero value finds everything the usual way.
type Params struct {
	// Binary is the --terraform flag ("" = VIGIL_TERRAFORM, then PATH).
	Binary string
	// Root is the repository root; "" when vigil runs outside a repository.
	Root string
	// StateDir holds vigil's working files: the CLI config, terraform data
	// dirs. Default <Root>/.vigil, or <user cache dir>/vigil without a Root.
	StateDir string
	// CacheDir is the shared provider cache. Default: TF_PLUGIN_CACHE_DIR,
	// else the user's plugin_cache_dir, else <user cache dir>/vigil/plugin-cache.
	CacheDir string
	// Environ is the environment terraform runs with (os.Environ when nil);
	// vigil removes what it must control (TF_LOG*, TF_CLI_ARGS*, TF_VAR_*,
	// TF_DATA_DIR, TF_PLUGIN_CACHE_DIR, TF_CLI_CONFIG_FILE, TF_WORKSPACE...).
	Environ []string
	// ImageRoots overrides DefaultImageRoots (tests).
	ImageRoots []string
	// Probe checks that a registry host answers (default: HTTPS GET of its
	// discovery document, 5 s timeout).
	Probe func(ctx context.Context, host string) error
	// LookPath overrides exec.LookPath (tests).
	LookPath func(string) (string, error)
}

// Toolchain is a terraform or tofu binary plus the CLI config, provider
// mirrors and plugin cache vigil runs it with. It is safe for concurrent use;
// make one per process and get a Runner per configuration directory.
type Toolchain struct {
	bin      *Binary
	root     string
	stateDir string
	cacheDir string
	user     *userConfig
	env      map[string]string
	probe    func(ctx context.Context, host string) error

	mu         sync.Mutex
	mirrors    []*Mirror // local mirrors, in priority order, without the cache
	cache      *Mirror
	configPath string
}

// New finds the binary, the provider mirrors and the cache, and writes the
// CLI config. It runs `terraform version` once.
func New(ctx context.Context, p Params) (*Toolchain, error) {
	environ := p.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	userCache, _ := os.UserCacheDir()
	if x := env["XDG_CACHE_HOME"]; x != "" {
		userCache = x
	}
	tc := &Toolchain{root: p.Root, stateDir: p.StateDir, cacheDir: p.CacheDir, probe: p.Probe}
	if tc.probe == nil {
		tc.probe = probeRegistry
	}
	if tc.stateDir == "" {
		if p.Root != "" {
			tc.stateDir = filepath.Join(p.Root, ".vigil")
		} else {
			tc.stateDir = filepath.Join(userCache, "vigil")
		}
	}

	// The user's own CLI config, honoured only when the file exists.
	userPath := env["TF_CLI_CONFIG_FILE"]
	if userPath == "" && env["HOME"] != "" {
		userPath = filepath.Join(env["HOME"], ".terraformrc")
	}
	var err error
	if tc.user, err = readUserConfig(userPath); err != nil {
		return nil, err
	}
	if tc.cacheDir == "" {
		switch {
		case env["TF_PLUGIN_CACHE_DIR"] != "":
			tc.cacheDir = env["TF_PLUGIN_CACHE_DIR"]
		case tc.user != nil && tc.user.CacheDir != "":
			tc.cacheDir = tc.user.CacheDir
		default:
			tc.cacheDir = filepath.Join(userCache, "vigil", "plugin-cache")
		}
	}
	if tc.cacheDir, err = filepath.Abs(tc.cacheDir); err != nil {
		return nil, err
	}

	tc.env = tfexec.CleanEnv(env)
	for _, k := range []string{"TF_DATA_DIR", "TF_PLUGIN_CACHE_DIR", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"} {
		delete(tc.env, k)
	}
	tc.env["CHECKPOINT_DISABLE"] = "1" // no update check: offline and faster

	if tc.bin, err = FindBinary(ctx, FindParams{Path: p.Binary, Getenv: func(k string) string { return env[k] }, LookPath: p.LookPath, Env: tc.env}); err != nil {
		return nil, err
	}

	search := MirrorSearch{Getenv: func(k string) string { return env[k] }, ImageRoots: p.ImageRoots}
	found, missing := search.DiscoverMirrors()
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s names %s, which is not a folder: fix the path or unset %s", EnvProviderMirror, strings.Join(missing, ", "), EnvProviderMirror)
	}
	if tc.user != nil {
		var fromUser []*Mirror
		for _, d := range tc.user.Mirrors {
			fromUser = append(fromUser, ScanMirror(d, "CLI config "+tc.user.Path))
		}
		// After VIGIL_PROVIDER_MIRROR, before the implied and baked ones.
		i := 0
		for i < len(found) && found[i].Origin == EnvProviderMirror {
			i++
		}
		found = slices.Insert(found, i, fromUser...)
	}
	tc.mirrors = found
	if tc.bin.Flavor == FlavorOpenTofu {
		if alias, err := tc.tofuAlias(); err != nil {
			return nil, err
		} else if alias != nil {
			tc.mirrors = append(tc.mirrors, alias)
		}
	}
	tc.cache = ScanMirror(tc.cacheDir, "plugin cache")
	if err := tc.writeConfig(); err != nil {
		return nil, err
	}
	return tc, nil
}

// Binary is the terraform or tofu executable in use.
func (tc *Toolchain) Binary() *Binary { return tc.bin }

// CacheDir is the shared provider cache.
func (tc *Toolchain) CacheDir() string { return tc.cacheDir }

// StateDir is where vigil keeps its working files (.vigil).
func (tc *Toolchain) StateDir() string { return tc.stateDir }

// ConfigFile is the CLI config file terraform runs with
// (TF_CLI_CONFIG_FILE); its name changes with its content.
func (tc *Toolchain) ConfigFile() string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.configPath
}

// Mirrors are the local provider mirrors in use, the plugin cache last.
func (tc *Toolchain) Mirrors() []*Mirror {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return append(slices.Clone(tc.mirrors), tc.cache)
}

// writeConfig renders the run-time CLI config: every mirror (the cache
// included) as a read-only filesystem_mirror and no plugin_cache_dir, so that
// parallel inits only create symlinks in their own data dirs and never write
// to a shared folder. Callers hold tc.mu (or own tc exclusively).
func (tc *Toolchain) writeConfig() error {
	data := cliConfig{Mirrors: append(slices.Clone(tc.mirrors), tc.cache), User: tc.user}.render()
	sum := sha256.Sum256(data)
	path := filepath.Join(tc.stateDir, "terraform", "cli-"+hex.EncodeToString(sum[:6])+".tfrc")
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("write terraform CLI config: %w", err)
	}
	tc.configPath = path
	return nil
}

// tofuAlias serves registry.terraform.io providers of the local mirrors as
// registry.opentofu.org ones (where OpenTofu resolves "hashicorp/aws"),
// through a folder of symlinks.
func (tc *Toolchain) tofuAlias() (*Mirror, error) {
	dir := filepath.Join(tc.stateDir, "terraform", "tofu-mirror")
	plat := platform()
	made := false
	for _, m := range tc.mirrors {
		for p, vs := range m.Providers {
			if p.Host != "registry.terraform.io" {
				continue
			}
			for _, v := range vs {
				typeDir := filepath.Join(m.Dir, p.Host, p.Namespace, p.Type)
				src := filepath.Join(typeDir, v.Original(), plat)
				dst := filepath.Join(dir, "registry.opentofu.org", p.Namespace, p.Type, v.Original(), plat)
				if !isDir(src) {
					zip := fmt.Sprintf("terraform-provider-%s_%s_%s.zip", p.Type, v.Original(), plat)
					src = filepath.Join(typeDir, zip)
					dst = filepath.Join(dir, "registry.opentofu.org", p.Namespace, p.Type, zip)
				}
				if _, err := os.Lstat(dst); err == nil {
					made = true
					continue
				}
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return nil, err
				}
				if err := os.Symlink(src, dst); err != nil && !errors.Is(err, os.ErrExist) {
					return nil, fmt.Errorf("alias provider mirror for OpenTofu: %w", err)
				}
				made = true
			}
		}
	}
	if !made {
		return nil, nil
	}
	return ScanMirror(dir, "OpenTofu alias of registry.terraform.io mirrors"), nil
}

// mirroredBinary returns the plugin binary of the newest version of r that
// an unpacked local mirror holds, or "".
func (tc *Toolchain) mirroredBinary(r Requirement) string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	var best string
	var bestV *version.Version
	for _, m := range append(slices.Clone(tc.mirrors), tc.cache) {
		v, ok := m.Has(r.Provider, r.Constraints)
		if !ok || (bestV != nil && !v.GreaterThan(bestV)) {
			continue
		}
		dir := filepath.Join(m.Dir, r.Provider.Host, r.Provider.Namespace, r.Provider.Type, v.Original(), platform())
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "terraform-provider-"+r.Provider.Type) {
				best, bestV = filepath.Join(dir, e.Name()), v
			}
		}
	}
	return best
}

// missing returns the requirements no local mirror or the cache satisfies.
func (tc *Toolchain) missing(reqs []Requirement) []Requirement {
	var out []Requirement
	for _, r := range reqs {
		ok := false
		for _, m := range append(slices.Clone(tc.mirrors), tc.cache) {
			if _, has := m.Has(r.Provider, r.Constraints); has {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, r)
		}
	}
	return out
}

// Prepare makes sure every provider the configurations in dirs need is in a
// local mirror or the plugin cache, so that their inits can then run in
// parallel without touching the network or any shared folder. A provider in
// no mirror is downloaded once into the cache, under a machine-wide lock;
// when that is impossible Prepare returns a *ProviderUnavailableError that
// says what to do. Call it before running inits in parallel.
func (tc *Toolchain) Prepare(ctx context.Context, dirs []string) error {
	reqs, err := Requirements(dirs, tc.bin.Flavor.DefaultRegistryHost())
	if err != nil {
		return err
	}
	for i := range reqs {
		for j, d := range reqs[i].RequiredBy {
			reqs[i].RequiredBy[j] = tc.rel(d)
		}
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.missing(reqs)) == 0 {
		return nil
	}
	if err := os.MkdirAll(tc.cacheDir, 0o755); err != nil {
		return fmt.Errorf("create provider cache: %w", err)
	}
	lock, err := lockFile(ctx, filepath.Join(tc.cacheDir, ".vigil-cache.lock"))
	if err != nil {
		return err
	}
	defer lock.Unlock()
	tc.cache = ScanMirror(tc.cacheDir, "plugin cache") // another process may have filled it
	missing := tc.missing(reqs)
	if len(missing) > 0 {
		if err := tc.warm(ctx, missing); err != nil {
			return err
		}
		tc.cache = ScanMirror(tc.cacheDir, "plugin cache")
		if still := tc.missing(missing); len(still) > 0 {
			return tc.unavailable(still[0], "the download did not provide it", nil)
		}
	}
	return tc.writeConfig()
}

// warm downloads the missing providers into the cache: one `terraform init`
// of a generated configuration with plugin_cache_dir pointing at a private
// staging folder, whose new entries are then renamed into the cache (atomic:
// a reader sees a complete provider or none). Callers hold the cache lock.
func (tc *Toolchain) warm(ctx context.Context, missing []Requirement) error {
	if reason := tc.networkBlocked(ctx, missing); reason != "" {
		return tc.unavailable(missing[0], reason, nil)
	}
	work, err := os.MkdirTemp(tc.cacheDir, ".warm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	staging := filepath.Join(work, "cache")
	cfgDir := filepath.Join(work, "config")
	for _, d := range []string{staging, cfgDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var main strings.Builder
	main.WriteString("terraform {\n  required_providers {\n")
	for i, r := range missing {
		fmt.Fprintf(&main, "    p%d = {\n      source = %q\n", i, r.Provider.String())
		if c := r.ConstraintString(); c != "" {
			fmt.Fprintf(&main, "      version = %q\n", c)
		}
		main.WriteString("    }\n")
	}
	main.WriteString("  }\n}\n")
	if err := os.WriteFile(filepath.Join(cfgDir, "main.tf"), []byte(main.String()), 0o644); err != nil {
		return err
	}
	cliPath := filepath.Join(work, "warm.tfrc")
	data := cliConfig{CacheDir: staging, Mirrors: append(slices.Clone(tc.mirrors), tc.cache), User: tc.user}.render()
	if err := os.WriteFile(cliPath, data, 0o644); err != nil {
		return err
	}
	env := copyMap(tc.env)
	env["TF_CLI_CONFIG_FILE"] = cliPath
	env["TF_DATA_DIR"] = filepath.Join(work, "data")
	stderr, err := runInit(ctx, tc.bin.Path, cfgDir, env, initArgs(&initConfig{backend: false}))
	if err != nil {
		if networkRe.MatchString(stderr) {
			return tc.unavailable(missing[0], "the registry is unreachable ("+summarize(stderr)+")", err)
		}
		return fmt.Errorf("download providers %s into the cache %s: %w", reqNames(missing), tc.cacheDir, &CommandError{Command: "init", Dir: cfgDir, Stderr: stderr, Err: err})
	}
	return moveEntries(staging, tc.cacheDir)
}

// networkBlocked says why providers cannot be downloaded, or "" when they
// may be.
func (tc *Toolchain) networkBlocked(ctx context.Context, missing []Requirement) string {
	if tc.user != nil && tc.user.HasInstallation {
		if len(tc.user.Methods) == 0 {
			return "the CLI config " + tc.user.Path + " allows no network installation"
		}
		return "" // the user's network_mirror or direct method decides; init reports
	}
	hosts := map[string]bool{}
	for _, r := range missing {
		if hosts[r.Provider.Host] {
			continue
		}
		hosts[r.Provider.Host] = true
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := tc.probe(pctx, r.Provider.Host)
		cancel()
		if err != nil {
			return "the registry " + r.Provider.Host + " is unreachable"
		}
	}
	return ""
}

func (tc *Toolchain) unavailable(r Requirement, reason string, err error) error {
	e := &ProviderUnavailableError{Requirement: r, Reason: reason, Err: err}
	for _, m := range append(slices.Clone(tc.mirrors), tc.cache) {
		e.Looked = append(e.Looked, m.Dir)
		for _, v := range m.Providers[r.Provider] {
			e.Found = append(e.Found, v.String())
		}
	}
	return e
}

func reqNames(rs []Requirement) string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Provider.String())
	}
	return strings.Join(names, ", ")
}

// moveEntries renames each <host>/<ns>/<type>/<version>/<platform> folder
// (and packed zip) of src into dst unless dst already has it.
func moveEntries(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		depth := len(strings.Split(rel, string(filepath.Separator)))
		if rel == "." || depth < 5 {
			return nil
		}
		target := filepath.Join(dst, rel)
		if _, err := os.Lstat(target); err == nil {
			return filepath.SkipDir
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.Rename(path, target); err != nil {
			return fmt.Errorf("move provider into the cache: %w", err)
		}
		return filepath.SkipDir
	})
}

func probeRegistry(ctx context.Context, host string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/.well-known/terraform.json", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.Body.Close()
}

// rel shows dir relative to the repository root when it is inside it.
func (tc *Toolchain) rel(dir string) string {
	if tc.root == "" {
		return dir
	}
	if r, err := filepath.Rel(tc.root, dir); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return dir
}
