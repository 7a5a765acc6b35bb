package serve_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/serve"
	"github.com/vigil-sre/vigil/internal/store"
)

// prunedRows reads vigil_store_pruned_rows_total by kind.
func prunedRows(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_store_pruned_rows_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// TestServePrunesByRetention: rows older than serve.retention, put in
// the store before serve starts, are gone once the prune job (which runs
// at start, then hourly) has run; recent rows, each stack's newest drift
// report and incidents stay; the counter says what went. No terraform.
func TestServePrunesByRetention(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "live", "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	// canary_results set; drift_reports and alert_deliveries default (30d).
	hcl := `project = "prune"
environment "dev" {}
serve {
  retention {
    canary_results = "2d"
  }
}
`
	if err := os.WriteFile(filepath.Join(repo, config.FileName), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(repo, config.FileName))
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	now := time.Now()
	day := 24 * time.Hour
	st, _, err := serve.OpenStore(ctx, cfg, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for _, age := range []time.Duration{10 * day, 3 * day, 2*day + time.Hour, day, time.Hour} {
		if _, err := st.CanaryResultInsert(ctx, &store.CanaryResultInsertParams{Result: store.CanaryResult{
			Canary: "canary/dev/api", Env: "dev", At: now.Add(-age), OK: true, Status: 200,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		stack string
		age   time.Duration
	}{{"dev/app", 40 * day}, {"dev/app", 31 * day}, {"dev/app", day}, {"dev/db", 60 * day}, {"dev/db", 50 * day}} {
		if _, err := st.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{
			Env: "dev", Stack: r.stack, Status: store.DriftClean, CheckedAt: now.Add(-r.age), Report: json.RawMessage(`{}`),
		}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, age := range []time.Duration{45 * day, 29 * day} {
		if _, err := st.AlertDeliveryInsert(ctx, &store.AlertDeliveryInsertParams{Delivery: store.AlertDelivery{
			Key: "canary/dev/api", Env: "dev", At: now.Add(-age), Action: "trigger", Outcome: "success", Attempt: 1,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.IncidentInsert(ctx, &store.IncidentInsertParams{Incident: store.Incident{
		Kind: store.IncidentCanary, Env: "dev", Title: "api down", At: now.Add(-300 * day), Source: "serve/canary",
	}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	s := startServe(t, repo, nil)
	defer s.stop(t)
	want := map[string]float64{"canary_results": 3, "drift_reports": 3, "alert_deliveries": 1}
	var got map[string]float64
	waitUntil(t, time.Minute, "the prune job to run", func() bool {
		got = prunedRows(t, s.srv.Registry())
		return got["alert_deliveries"] > 0 // the last kind the job counts
	})
	if !maps.Equal(got, want) {
		t.Fatalf("vigil_store_pruned_rows_total = %v, want %v", got, want)
	}

	cr, err := s.st.CanaryResultList(ctx, &store.CanaryResultListParams{})
	if err != nil || len(cr) != 2 {
		t.Fatalf("canary results left: %d, %v; want the 2 younger than 2d", len(cr), err)
	}
	drs, err := s.st.DriftReportList(ctx, &store.DriftReportListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, r := range drs {
		left = append(left, r.Stack+"@"+now.Sub(r.CheckedAt).Round(day).String())
	}
	slices.Sort(left)
	if w := []string{"dev/app@24h0m0s", "dev/db@1200h0m0s"}; !slices.Equal(left, w) {
		t.Fatalf("drift reports left = %v, want %v (dev/db's newest stays however old)", left, w)
	}
	ds, err := s.st.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries left: %d, %v; want 1", len(ds), err)
	}
	if in, err := s.st.IncidentList(ctx, &store.IncidentListParams{}); err != nil || len(in) != 1 {
		t.Fatalf("incidents left: %d, %v; want 1 (never pruned)", len(in), err)
	}

	// A second prune (what the next hour's job does) finds nothing more.
	r, err := s.srv.Prune(ctx)
	if err != nil || r.Total() != 0 {
		t.Fatalf("second prune = %+v, %v; want nothing removed", r, err)
	}
	if got := prunedRows(t, s.srv.Registry()); !maps.Equal(got, want) {
		t.Fatalf("counter after an empty prune = %v, want %v", got, want)
	}
}
