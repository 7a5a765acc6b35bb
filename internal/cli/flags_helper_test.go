package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/google/shlex"
	"github.com/spf13/cobra"
)

// runFlags runs cmd with args (split like a shell would), its output
// discarded, and checks the error against wantErr (a substring; "" for
// none). It reports whether the command ran, so a flag-table test goes on
// to check the options it parsed only then.
func runFlags(t *testing.T, cmd *cobra.Command, args, wantErr string) bool {
	t.Helper()
	argv, err := shlex.Split(args)
	if err != nil {
		t.Fatalf("split %q: %v", args, err)
	}
	cmd.SetArgs(argv)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err = cmd.Execute()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want %q", err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
