package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/policy/policytest"
)

func benchScan(b *testing.B, paths []string) {
	b.Helper()
	s := policy.New()
	ctx := context.Background()
	b.ReportAllocs()
	var resources int
	for b.Loop() {
		rep, err := s.Scan(ctx, &policy.ScanParams{Paths: paths})
		if err != nil {
			b.Fatal(err)
		}
		resources = rep.Stats.Resources
	}
	b.ReportMetric(float64(resources), "resources")
}

// BenchmarkScanBlueprint scans the blueprint (the target is under 200 ms);
// before the blueprint exists, the test fixtures stand in.
func BenchmarkScanBlueprint(b *testing.B) {
	dir := filepath.Join("..", "..", "blueprint")
	if _, err := os.Stat(dir); err != nil {
		benchScan(b, []string{"testdata/clean", "testdata/bad"})
		return
	}
	benchScan(b, []string{dir})
}

// BenchmarkScanGenerated1000 scans a generated tree of 1,000 resources.
func BenchmarkScanGenerated1000(b *testing.B) {
	dir := b.TempDir()
	if _, err := policytest.GenerateTree(dir, 1000); err != nil {
		b.Fatal(err)
	}
	benchScan(b, []string{dir})
}
