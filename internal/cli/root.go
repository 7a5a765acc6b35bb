package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the vigil command tree. Subcommands are registered in
// one place, the list below.
func NewCmdRoot(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vigil <command> [flags]",
		Short: "A 24/7 reliability pipeline for AWS infrastructure kept in Terraform",
		Long: `vigil provisions, validates and reconciles Terraform stacks from version control,
gated by automated checks. It acts on the vigil repository holding vigil.hcl in
the working directory or a parent (or in the directory given with -C).`,
		Example: `  vigil -C blueprint stacks --env dev
  vigil -C blueprint check`,
		Version:       f.AppVersion,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetVersionTemplate("vigil {{.Version}}\n")
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: err} })
	cmd.CompletionOptions.HiddenDefaultCmd = true

	pf := cmd.PersistentFlags()
	pf.StringVarP(&f.Dir, "directory", "C", "", "run as if vigil was started in `DIR` (like git -C)")
	pf.StringVar(&f.TerraformPath, "terraform", "", "terraform or tofu binary to run (default: $VIGIL_TERRAFORM, else terraform, then tofu on PATH)")
	pf.SortFlags = false
	cmd.Flags().BoolP("version", "v", false, "print vigil's version")

	for _, sub := range []*cobra.Command{
		NewCmdVersion(f, nil),
		NewCmdInit(f, nil),
		NewCmdStacks(f, nil),
		NewCmdCheck(f, nil),
		NewCmdSandbox(f),
		NewCmdGameday(f, nil),
		NewCmdScan(f, nil),
		NewCmdDrift(f, nil),
		NewCmdBootstrap(f, nil),
		NewCmdPlan(f, nil),
		NewCmdShow(f, nil),
		NewCmdApprove(f, nil),
		NewCmdApply(f, nil),
		NewCmdRuns(f, nil),
		NewCmdAudit(f, nil),
		NewCmdUnlock(f, nil),
		NewCmdUp(f, nil),
		NewCmdServe(f, nil),
		NewCmdCI(f, nil),
		NewCmdBacklog(f, nil),
	} {
		cmd.AddCommand(sub)
	}
	return cmd
}
