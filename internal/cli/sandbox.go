package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/target"
)

// NewCmdSandbox builds `vigil sandbox` and its subcommands.
func NewCmdSandbox(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox <command>",
		Short: "Run and use the embedded AWS-compatible sandbox",
		Long: `The sandbox is an AWS-compatible endpoint served by vigil itself: the default
target of every environment whose target is "sandbox". It speaks the real AWS
wire protocols, so the Terraform AWS provider, aws-sdk-go-v2 and the AWS CLI
are its clients, and it keeps every acknowledged write in its data directory.

Inside a vigil repository the data directory defaults to .vigil/sandbox. vigil
commands that target the sandbox use the one running for that directory, or
start one in-process when none runs.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(NewCmdSandboxServe(f, nil), NewCmdSandboxEnv(f, nil))
	cmd.AddCommand(NewCmdSandboxClock(f, nil))
	cmd.AddCommand(NewCmdSandboxChaos(f, nil), NewCmdSandboxWorkload(f, nil))
	return cmd
}

// SandboxServeOptions are the inputs of `vigil sandbox serve`.
type SandboxServeOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Config, error)
	Addr    string
	DataDir string
	Region  string
	Verbose bool
	// Ready, when set, is called with the URL once serving (tests).
	Ready func(url string)
}

// NewCmdSandboxServe builds `vigil sandbox serve`.
func NewCmdSandboxServe(f *Factory, runF func(context.Context, *SandboxServeOptions) error) *cobra.Command {
	opts := &SandboxServeOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the sandbox until interrupted",
		Long: `Serve the sandbox on one port for every service until Ctrl-C or SIGTERM.

The address is recorded in the data directory, so other vigil commands and
'vigil sandbox env' find it. A second server on the same data directory is
refused with a message naming the first.`,
		Example: `  vigil sandbox serve
  vigil sandbox serve --addr 127.0.0.1:0 --data-dir /tmp/sbx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sandboxServeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", sandbox.DefaultAddr, "listen on `HOST:PORT` (port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "keep state in `DIR` (default: .vigil/sandbox in the repository, else ~/.local/share/vigil/sandbox)")
	cmd.Flags().StringVar(&opts.Region, "region", sandbox.DefaultRegion, "default `REGION` for requests that name none")
	cmd.Flags().BoolVar(&opts.Verbose, "verbose", false, "log every request")
	return cmd
}

// sandboxDataDir picks the data directory: the flag, else the repository's,
// else one in the user's data home.
func sandboxDataDir(flag string, cfgFn func() (*config.Config, error)) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if cfgFn != nil {
		if cfg, err := cfgFn(); err == nil {
			return target.SandboxDataDir(cfg), nil
		} else if !errors.Is(err, config.ErrNotFound) {
			return "", err
		}
	}
	if d := os.Getenv(target.DataDirEnv); d != "" {
		return d, nil
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no --data-dir given and no home directory: %w", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "vigil", "sandbox"), nil
}

func sandboxServeRun(ctx context.Context, opts *SandboxServeOptions) error {
	dir, err := sandboxDataDir(opts.DataDir, opts.Config)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if opts.Verbose {
		level = slog.LevelDebug
	}
	logger := newLogger(opts.IO, level)
	srv, err := sandbox.Open(sandbox.Options{Addr: opts.Addr, DataDir: dir, Region: opts.Region, Logger: logger})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Close(context.Background())
		return err
	}
	fmt.Fprintf(opts.IO.Out, "sandbox serving %s (data dir %s, account %s)\n", srv.URL(), dir, srv.AccountID())
	fmt.Fprintf(opts.IO.ErrOut, "Point tools at it with: eval \"$(vigil sandbox env --data-dir %s)\"\n", shellQuote(dir))
	if opts.Ready != nil {
		opts.Ready(srv.URL())
	}
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "sandbox stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Close(shutdown)
}

// SandboxEnvOptions are the inputs of `vigil sandbox env`.
type SandboxEnvOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Config, error)
	DataDir string
	Region  string
	JSON    bool
}

// NewCmdSandboxEnv builds `vigil sandbox env`.
func NewCmdSandboxEnv(f *Factory, runF func(context.Context, *SandboxEnvOptions) error) *cobra.Command {
	opts := &SandboxEnvOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the settings that point terraform and the AWS CLI at the running sandbox",
		Long: `Print shell exports (AWS_ENDPOINT_URL, sandbox credentials, region) and an
equivalent Terraform provider block for the sandbox running on the data
directory, for people who want to run plain terraform, aws-sdk-go-v2 programs
or the AWS CLI against it. The exports alone are enough for the AWS provider
and the S3 backend: no .tf file needs to change.`,
		Example: `  eval "$(vigil sandbox env)"
  vigil sandbox env --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = f.Config
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sandboxEnvRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "the sandbox serving `DIR` (default as for serve)")
	cmd.Flags().StringVar(&opts.Region, "region", "", "region to export (default: the sandbox's)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the variables as a JSON object")
	return cmd
}

func sandboxEnvRun(ctx context.Context, opts *SandboxEnvOptions) error {
	dir, err := sandboxDataDir(opts.DataDir, opts.Config)
	if err != nil {
		return err
	}
	info, ok := sandbox.Running(ctx, dir)
	if !ok {
		return fmt.Errorf("no sandbox is running for data dir %s; start one with: vigil sandbox serve --data-dir %s", dir, shellQuote(dir))
	}
	ep := &sandbox.Endpoint{URL: info.URL, AccountID: info.AccountID, Region: info.Region}
	vars := ep.Env(opts.Region)
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(vars)
	}
	fmt.Fprint(opts.IO.Out, renderSandboxEnv(vars))
	return nil
}

// renderSandboxEnv prints exports and the equivalent provider block.
func renderSandboxEnv(vars map[string]string) string {
	var b strings.Builder
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if vars[k] == "" {
			fmt.Fprintf(&b, "unset %s\n", k)
			continue
		}
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(vars[k]))
	}
	fmt.Fprintf(&b, `
# The exports above are all Terraform needs. If you prefer explicit settings,
# this provider block is equivalent:
#
# provider "aws" {
#   region     = %q
#   access_key = %q
#   secret_key = %q
#   endpoints {
#     s3  = %q
#     sts = %q
#     # … one line per service, all the same URL
#   }
#   s3_use_path_style = true
# }
`, vars["AWS_REGION"], vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"], vars["AWS_ENDPOINT_URL"], vars["AWS_ENDPOINT_URL"])
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
