package rego

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng, err := Load(ctx, []string{"../testdata/rego/policy"})
	if err != nil {
		t.Fatal(err)
	}
	if eng.Rules() != 3 {
		t.Errorf("Rules() = %d, want 3 (tags.deny, tags.warn, plan.deny)", eng.Rules())
	}
	input := map[string]any{"resource": map[string]any{"aws_s3_bucket": map[string]any{
		"b": map[string]any{"tags": map[string]any{"owner": "sre"}},
	}}}
	res, err := eng.Eval(ctx, input)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[Kind]int{}
	for _, r := range res {
		kinds[r.Kind]++
	}
	if kinds[Deny] != 1 || kinds[Warn] != 1 {
		t.Errorf("results = %+v", res)
	}
}

func TestTest(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	tr, err := Test(context.Background(), []string{"../testdata/rego/policy"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Passed != 3 || tr.Failed != 0 || tr.Errored != 0 {
		t.Errorf("result = %+v\n%s", tr, out.String())
	}
	if !strings.Contains(out.String(), "PASS  tags_test.test_all_tags_pass") || !strings.Contains(out.String(), "3 passed, 0 failed") {
		t.Errorf("output:\n%s", out.String())
	}

	dir := t.TempDir()
	src := "package x_test\n\nimport rego.v1\n\ntest_fails if {\n\t1 == 2\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "x_test.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	tr, err = Test(context.Background(), []string{dir}, &out)
	if err != nil || tr.Failed != 1 {
		t.Errorf("failing test: %+v, %v\n%s", tr, err, out.String())
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.rego"), []byte("package bad\n\ndeny contains msg if {\n  msg := \n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), []string{dir})
	le, ok := err.(*LoadError)
	if !ok || le.Line == 0 || !strings.HasSuffix(le.File, "bad.rego") {
		t.Fatalf("Load() = %#v, want a LoadError with a position", err)
	}
	if _, err := Load(context.Background(), []string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing directory loaded")
	}
}
