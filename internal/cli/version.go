package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/iostreams"
)

// VersionOptions are the inputs of `vigil version`.
type VersionOptions struct {
	IO         *iostreams.IOStreams
	AppVersion string
	JSON       bool
}

// NewCmdVersion builds `vigil version`.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print vigil's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.AppVersion = f.AppVersion
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// Version is the version to report: the one set at build time
// (-ldflags "-X main.version=..."), else the module version, else "dev".
func Version(buildVersion string) string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func versionRun(opts *VersionOptions) error {
	info := struct {
		Version string `json:"version"`
		Go      string `json:"go"`
		OS      string `json:"os"`
		Arch    string `json:"arch"`
	}{opts.AppVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	_, err := fmt.Fprintf(opts.IO.Out, "vigil %s (%s, %s/%s)\n", info.Version, info.Go, info.OS, info.Arch)
	return err
}
