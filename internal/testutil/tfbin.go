package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Need skips the test with reason, or fails it when the environment says CI
// (CI=true): in CI a missing tool is a broken build, not a reason to skip.
func Need(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s", reason)
	}
	t.Skip(reason)
}

// Terraform returns the terraform (or tofu) binary for end-to-end tests:
// VIGIL_TERRAFORM, else terraform then tofu on PATH.
func Terraform(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("VIGIL_TERRAFORM"); p != "" {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		Need(t, "VIGIL_TERRAFORM="+p+" is not an executable")
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Need(t, "no terraform or tofu on PATH (set VIGIL_TERRAFORM)")
	return ""
}

// DefaultMirror is the provider mirror baked into the development image.
const DefaultMirror = "/opt/tf-plugins"

// AWSProviderMirror returns a folder holding the hashicorp/aws provider in
// filesystem-mirror layout: the first VIGIL_PROVIDER_MIRROR entry, else
// DefaultMirror.
func AWSProviderMirror(t testing.TB) string {
	t.Helper()
	dir := DefaultMirror
	if list := filepath.SplitList(os.Getenv("VIGIL_PROVIDER_MIRROR")); len(list) > 0 && list[0] != "" {
		dir = list[0]
	}
	if _, err := os.Stat(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws")); err != nil {
		Need(t, "no hashicorp/aws provider mirror at "+dir+" (set VIGIL_PROVIDER_MIRROR)")
	}
	return dir
}

// Environ returns os.Environ() with the given variables replaced; handy for
// terraform.Params.Environ.
func Environ(set map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k := kv
		for i := range kv {
			if kv[i] == '=' {
				k = kv[:i]
				break
			}
		}
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}
