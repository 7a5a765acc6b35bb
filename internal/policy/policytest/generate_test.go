package policytest

import (
	"context"
	"testing"

	"github.com/vigil-sre/vigil/internal/policy"
)

func TestGenerateTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n, err := GenerateTree(dir, 1000)
	if err != nil || n < 1000 {
		t.Fatalf("GenerateTree = %d, %v", n, err)
	}
	rep, err := policy.New().Scan(context.Background(), &policy.ScanParams{Paths: []string{dir}, NoRego: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 0 || rep.Stats.Resources < 1000 {
		t.Fatalf("errors=%v resources=%d", rep.Errors, rep.Stats.Resources)
	}
	by := map[string]int{}
	for _, f := range rep.Findings {
		by[f.RuleID]++
	}
	for _, id := range []string{"VGL-S001", "VGL-S020", "VGL-S010", "VGL-R020", "VGL-R021", "VGL-S031"} {
		if by[id] == 0 {
			t.Errorf("no %s in the generated tree: %v", id, by)
		}
	}
}
