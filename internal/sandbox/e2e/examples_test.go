package e2e_test

import (
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// TestExampleAlerting applies examples/alerting (for_each alarms and
// topics, several subscriptions, a rule with two targets, a Lambda alias),
// checks the second plan is clean, changes the function's code, and
// destroys.
func TestExampleAlerting(t *testing.T) {
	sb := sandboxtest.Start(t)
	needServices(t, sb, "sts", "iam", "sns", "monitoring", "events", "lambda")
	x := newTF(t, sb)

	work := t.TempDir()
	testutil.CopyTree(t, filepath.Join(repoRoot(t), "examples", "alerting"), work)
	zipPath := filepath.Join(work, "handler.zip")
	writeZip(t, zipPath, "#!/bin/sh\necho v1\n")
	vars := []string{"-var", "function_zip=" + zipPath}

	x.init(work)
	x.apply(work, vars...)
	x.planClean(work, vars...)

	// New code: the plan shows it, the apply takes it, and the next plan is clean.
	writeZip(t, zipPath, "#!/bin/sh\necho v2\n")
	code, out := x.run(work, []int{2}, append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, vars...)...)
	if code != 2 {
		t.Fatalf("changed code did not show in the plan:\n%s", out)
	}
	x.apply(work, vars...)
	x.planClean(work, vars...)

	x.destroy(work, vars...)
	assertNothingLeft(t, sb)
}

func assertNothingLeft(t *testing.T, sb *sandboxtest.Sandbox) {
	t.Helper()
	assertOnlyStateBackendLeftExcept(t, sb, false)
}
