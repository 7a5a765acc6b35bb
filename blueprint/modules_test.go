package blueprint_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/terraform"
	"github.com/vigil-sre/vigil/internal/testutil"
)

// TestModules runs `terraform test` in every module (tests/*.tftest.hcl, AWS
// provider mocked), offline: providers come from the local mirror through
// vigil's own CLI config. It works on a copy of the blueprint, so the source
// tree gets no .terraform folder or lock file.
func TestModules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform test in every module")
	}
	bin := testutil.Terraform(t)
	testutil.AWSProviderMirror(t)
	mods, err := filepath.Glob(filepath.Join("modules", "*", "tests"))
	if err != nil || len(mods) == 0 {
		t.Fatalf("no modules with tests found (%v)", err)
	}
	repo := t.TempDir()
	testutil.CopyTree(t, ".", repo)
	ctx := context.Background()
	tc, err := terraform.New(ctx, terraform.Params{
		Binary:   bin,
		Root:     repo,
		CacheDir: filepath.Join(t.TempDir(), "plugin-cache"),
		Probe:    func(context.Context, string) error { return os.ErrDeadlineExceeded }, // never download
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tests := range mods {
		module := filepath.Dir(tests)
		t.Run(filepath.Base(module), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(repo, module)
			if err := tc.Prepare(ctx, []string{dir}); err != nil {
				t.Fatal(err)
			}
			r := tc.Runner(dir)
			if err := r.Init(ctx, terraform.Backend(false)); err != nil {
				t.Fatal(err)
			}
			tf, err := r.Tfexec()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			tf.SetStderr(&out)
			if err := tf.Test(ctx, &out); err != nil {
				t.Fatalf("terraform test in %s failed:\n%s", module, out.String())
			}
			t.Logf("terraform test in %s:\n%s", module, out.String())
		})
	}
}
