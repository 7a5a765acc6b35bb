package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/terraform"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/<verb>/")

// assertGolden compares got with testdata/<verb>/<name>.golden; go test
// -update rewrites the file.
func assertGolden(t *testing.T, verb, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", verb, name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./internal/cli -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// fixtureConfig loads testdata/repos/<name>/vigil.hcl.
func fixtureConfig(t *testing.T, name string) func() (*config.Config, error) {
	t.Helper()
	return func() (*config.Config, error) {
		return config.Load(filepath.Join("testdata", "repos", name, config.FileName))
	}
}

// testFactory is a Factory on test streams whose lazy getters behave like
// the real ones (they honour -C).
func testFactory() (*Factory, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IOStreams: ios, AppVersion: "1.2.3-test"}
	f.Config = configFunc(f)
	f.Terraform = terraformFunc(f)
	return f, ios
}

var noTerraform = func(context.Context) (*terraform.Toolchain, error) { return nil, nil }
