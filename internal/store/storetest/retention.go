package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
)

// exercisePrune covers retention: what is older than each cut-off goes,
// in batches; the newest drift report of each stack stays however old;
// nothing else is touched.
func exercisePrune(t *testing.T, newStore Factory) {
	t.Run("Prune", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		day := 24 * time.Hour

		// Canary results: 5 older than 7 days, 2 newer (one exactly at
		// the cut-off, which stays).
		for i, age := range []time.Duration{20 * day, 10 * day, 9 * day, 8 * day, 7*day + time.Second, 7 * day, time.Hour} {
			if _, err := s.CanaryResultInsert(ctx, &store.CanaryResultInsertParams{Result: store.CanaryResult{
				Canary: "canary/dev/api", Env: "dev", At: now.Add(-age), OK: i%2 == 0, Status: 200,
			}}); err != nil {
				t.Fatal(err)
			}
		}
		// Drift reports: dev/app has old and new reports; dev/db and the
		// unmanaged check only old ones (their newest stays); prod/app one
		// new one.
		for _, r := range []struct {
			env, stack string
			age        time.Duration
		}{
			{"dev", "dev/app", 60 * day}, {"dev", "dev/app", 40 * day}, {"dev", "dev/app", day},
			{"dev", "dev/db", 50 * day}, {"dev", "dev/db", 45 * day}, {"dev", "dev/db", 40 * day},
			{"dev", "", 90 * day}, {"dev", "", 80 * day},
			{"prod", "prod/app", 2 * day},
		} {
			if _, err := s.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{
				Env: r.env, Stack: r.stack, Status: store.DriftClean, CheckedAt: now.Add(-r.age), Report: json.RawMessage(`{}`),
			}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, age := range []time.Duration{45 * day, 31 * day, 29 * day} {
			if _, err := s.AlertDeliveryInsert(ctx, &store.AlertDeliveryInsertParams{Delivery: store.AlertDelivery{
				Key: "drift/dev/app", Env: "dev", At: now.Add(-age), Action: "trigger", Outcome: "success", Attempt: 1,
			}}); err != nil {
				t.Fatal(err)
			}
		}
		// What is never pruned, however old.
		if _, err := s.IncidentInsert(ctx, &store.IncidentInsertParams{Incident: store.Incident{
			Kind: store.IncidentDrift, Env: "dev", Title: "old", At: now.Add(-400 * day), Source: "cli",
		}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AlertStatePut(ctx, &store.AlertStatePutParams{State: store.AlertState{Key: "drift/dev/app", Kind: "drift", Env: "dev", State: json.RawMessage(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CanaryStatePut(ctx, &store.CanaryStatePutParams{State: store.CanaryState{Canary: "canary/dev/api", State: json.RawMessage(`{}`)}}); err != nil {
			t.Fatal(err)
		}

		// Only canary results first (the other cut-offs zero: untouched),
		// in batches of 2 so that several batches run.
		got, err := s.Prune(ctx, &store.PruneParams{CanaryResultsBefore: now.Add(-7 * day), BatchSize: 2})
		if err != nil || *got != (store.PruneResult{CanaryResults: 5}) {
			t.Fatalf("Prune(canary results) = %+v, %v; want 5 canary results", got, err)
		}
		cr, err := s.CanaryResultList(ctx, &store.CanaryResultListParams{})
		if err != nil || len(cr) != 2 {
			t.Fatalf("canary results after prune: %d, %v; want 2", len(cr), err)
		}
		for _, r := range cr {
			if r.At.Before(now.Add(-7 * day)) {
				t.Errorf("canary result at %s survived the prune", r.At)
			}
		}
		if all, _ := s.DriftReportList(ctx, &store.DriftReportListParams{}); len(all) != 9 {
			t.Fatalf("a canary-only prune removed drift reports: %d left, want 9", len(all))
		}

		got, err = s.Prune(ctx, &store.PruneParams{
			CanaryResultsBefore: now.Add(-7 * day), DriftReportsBefore: now.Add(-30 * day), AlertDeliveriesBefore: now.Add(-30 * day), BatchSize: 1,
		})
		want := store.PruneResult{CanaryResults: 0, DriftReports: 5, AlertDeliveries: 2}
		if err != nil || *got != want {
			t.Fatalf("Prune = %+v, %v; want %+v", got, err, want)
		}
		left, err := s.DriftReportList(ctx, &store.DriftReportListParams{})
		if err != nil {
			t.Fatal(err)
		}
		var ages []string
		for _, r := range left {
			ages = append(ages, fmt.Sprintf("%s@%dd", r.Stack, int(now.Sub(r.CheckedAt)/day)))
		}
		slices.Sort(ages)
		if w := []string{"@80d", "dev/app@1d", "dev/db@40d", "prod/app@2d"}; !slices.Equal(ages, w) {
			t.Fatalf("drift reports left = %v, want %v", ages, w)
		}
		latest, err := s.DriftReportLatest(ctx, "")
		if err != nil || len(latest) != 4 {
			t.Fatalf("DriftReportLatest after prune = %s, %v; want every stack still known", drifts(latest), err)
		}
		ds, err := s.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{})
		if err != nil || len(ds) != 1 || now.Sub(ds[0].At) != 29*day {
			t.Fatalf("deliveries left = %s, %v; want the 29-day-old one", deliveries(ds), err)
		}
		if in, err := s.IncidentList(ctx, &store.IncidentListParams{}); err != nil || len(in) != 1 {
			t.Fatalf("incidents after prune = %d, %v; want 1 (never pruned)", len(in), err)
		}
		if _, err := s.AlertStateGet(ctx, "drift/dev/app"); err != nil {
			t.Fatalf("alert state after prune: %v", err)
		}
		if _, err := s.CanaryStateGet(ctx, "canary/dev/api"); err != nil {
			t.Fatalf("canary state after prune: %v", err)
		}

		// Nothing left to prune: a second run removes nothing.
		got, err = s.Prune(ctx, &store.PruneParams{
			CanaryResultsBefore: now.Add(-7 * day), DriftReportsBefore: now.Add(-30 * day), AlertDeliveriesBefore: now.Add(-30 * day),
		})
		if err != nil || got.Total() != 0 {
			t.Fatalf("second Prune = %+v, %v; want nothing", got, err)
		}
	})
}
