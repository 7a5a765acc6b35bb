// Package terraform runs terraform or tofu for vigil: it finds the binary,
// writes vigil's own CLI config (provider mirrors, plugin cache), makes sure
// providers are available before inits run in parallel, and translates
// Terraform's failures into errors that say what to do next. It drives
// Terraform through hashicorp/terraform-exec and reads its JSON through
// hashicorp/terraform-json; it never re-implements Terraform.
//
// # Binary
//
// --terraform, else VIGIL_TERRAFORM, else terraform then tofu on PATH; at
// least MinVersion (1.6). OpenTofu works too (M20): registry.terraform.io
// providers of local mirrors are also offered to it as registry.opentofu.org
// ones, through a folder of symlinks.
//
// # CLI config and providers
//
// Every terraform process vigil starts gets TF_CLI_CONFIG_FILE pointing at
// .vigil/terraform/cli-<hash>.tfrc, which lists as filesystem_mirror every
// local provider folder found: VIGIL_PROVIDER_MIRROR (a path list), the
// user's own filesystem mirrors, Terraform's implied local mirror folders
// (~/.terraform.d/plugins, $XDG_DATA_HOME and $XDG_DATA_DIRS
// .../terraform/plugins), mirrors baked into the machine image (children of
// /opt, /usr/local/share, /usr/share, /usr/local/lib that hold a
// registry.terraform.io folder, like /opt/tf-plugins), and the shared plugin
// cache. A provider found locally is excluded from every network method, so
// nothing asks the registry about it. The user's CLI config
// (TF_CLI_CONFIG_FILE or ~/.terraformrc) is merged in only when that file
// exists: its credentials and other settings are kept, its network_mirror
// and direct methods too (with the local providers excluded), its
// plugin_cache_dir becomes the shared cache.
//
// # The plugin cache, without races
//
// Parallel inits on one plugin_cache_dir race: Terraform ≥ 1.4 rewrites a
// cache entry whenever the lock file lacks its checksum ("text file busy",
// half-written providers). vigil therefore never gives stack processes a
// plugin_cache_dir. Toolchain.Prepare reads the providers the stacks need
// (required_providers, their lock files); anything no local mirror holds is
// downloaded once, by one `terraform init` under a machine-wide file lock,
// into a private staging folder whose entries are then renamed into the cache
// (atomically). Stack inits then see the cache as one more read-only mirror:
// each init only creates symlinks in its own data dir. When a provider is in
// no mirror and the registry is unreachable, Prepare fails fast with a
// *ProviderUnavailableError: one sentence naming the provider, the folders
// searched, and VIGIL_PROVIDER_MIRROR as the fix.
//
// # Data dirs and the lock file
//
// A Runner runs in the configuration directory itself (no copy) with
// TF_DATA_DIR=.vigil/tfdata/<path relative to the repository root>, so no
// .terraform folder appears in the repository. The dependency lock file is
// Terraform's to keep next to the configuration: vigil check uses
// LockfileReadonly when one exists (so it can never change), and the caller
// decides what to do when there is none (vigil check removes the one init
// wrote).
//
// # Commands
//
// Runner wraps what vigil check needs (Init, FmtCheck, Validate) and starts
// those processes itself, the way terraform-exec does (automation
// environment, no TF_LOG, own process group, interrupt on cancel): tfexec's
// Init has no -lockfile option, and every tfexec handle runs `terraform
// version` before its first command. Everything else (plan, apply, show,
// output, test...) goes through Runner.Tfexec, a terraform-exec handle with
// the runner's environment; Runner.Translate turns its errors into vigil's.
// A ProviderPool lets many validates share one provider process
// (TF_REATTACH_PROVIDERS): validate never configures a provider, so this is
// safe there and nowhere else. For a plan, StartProviders starts the
// plugins of one configuration for that one command (Attach), which
// launches each plugin once instead of three times; a plugin that dies
// while attached makes the command fail with a *ProviderExitedError, and
// Close waits until the processes are gone. WithGCPercent gives terraform
// and its plugins a GOGC for sweeps of many plans.
//
// # Example
//
//	tc, err := terraform.New(ctx, terraform.Params{Root: cfg.Root})
//	if err := tc.Prepare(ctx, dirs); err != nil { ... } // before parallel inits
//	r := tc.Runner(stackDir).WithEnv(map[string]string{"AWS_ENDPOINT_URL": url})
//	err = r.Init(ctx, terraform.Backend(false), terraform.LockfileReadonly())
//	out, err := r.Validate(ctx)
//	tf, err := r.Tfexec() // plan, apply, show through terraform-exec
package terraform
