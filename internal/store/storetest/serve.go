package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
)

// exerciseServe covers what vigil serve records: alert state and
// deliveries, drift reports, canary results and state, incidents, stack
// status.
func exerciseServe(t *testing.T, newStore Factory) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	t.Run("AlertStates", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.AlertStateGet(ctx, "drift/dev/x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("AlertStateGet of an unknown key: %v, want ErrNotFound", err)
		}
		st := json.RawMessage(`{"key":"drift/dev/x","firing":true}`)
		got, err := s.AlertStatePut(ctx, &store.AlertStatePutParams{State: store.AlertState{Key: "drift/dev/x", Kind: "drift", Env: "dev", Firing: true, State: st}})
		if err != nil || got.UpdatedAt.IsZero() {
			t.Fatalf("AlertStatePut = %+v, %v", got, err)
		}
		if _, err := s.AlertStatePut(ctx, &store.AlertStatePutParams{State: store.AlertState{Key: "canary/dev/a", Kind: "canary", Env: "dev", State: json.RawMessage(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		// Replace: the second put wins.
		if _, err := s.AlertStatePut(ctx, &store.AlertStatePutParams{State: store.AlertState{Key: "drift/dev/x", Kind: "drift", Env: "dev", Firing: false, State: json.RawMessage(`{"firing":false}`)}}); err != nil {
			t.Fatal(err)
		}
		a, err := s.AlertStateGet(ctx, "drift/dev/x")
		if err != nil || a.Firing || !jsonEqual(a.State, `{"firing":false}`) || a.Kind != "drift" || a.Env != "dev" {
			t.Fatalf("AlertStateGet after replace = %+v, %v", a, err)
		}
		list, err := s.AlertStateList(ctx)
		if err != nil || len(list) != 2 || list[0].Key != "canary/dev/a" || list[1].Key != "drift/dev/x" {
			t.Fatalf("AlertStateList = %+v, %v", list, err)
		}
		if err := s.AlertStateDelete(ctx, "drift/dev/x"); err != nil {
			t.Fatal(err)
		}
		if err := s.AlertStateDelete(ctx, "never"); err != nil {
			t.Fatalf("deleting an unknown key: %v", err)
		}
		if _, err := s.AlertStateGet(ctx, "drift/dev/x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})

	t.Run("AlertDeliveries", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		for i, d := range []store.AlertDelivery{
			{Key: "k1", Env: "dev", Action: "trigger", Outcome: "retry", Attempt: 1, Error: "503"},
			{Key: "k1", Env: "dev", Action: "trigger", Outcome: "success", Attempt: 2},
			{Key: "k2", Env: "prod", Action: "trigger", Outcome: "success", Attempt: 1},
			{Key: "k1", Env: "dev", Action: "resolve", Outcome: "success", Attempt: 1},
		} {
			d.At = base.Add(time.Duration(i) * time.Second)
			d.Kind, d.Severity, d.Status, d.Summary = "drift", "warning", "firing", "threshold 25 → 50"
			d.FiringSince, d.Route, d.Receiver, d.Integration = base, "root", "hook", "webhook"
			d.Duration = 1500 * time.Millisecond
			got, err := s.AlertDeliveryInsert(ctx, &store.AlertDeliveryInsertParams{Delivery: d})
			if err != nil || got.ID == 0 {
				t.Fatalf("insert %d: %+v, %v", i, got, err)
			}
		}
		all, err := s.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{})
		if err != nil || len(all) != 4 || all[0].Action != "resolve" || all[3].Error != "503" {
			t.Fatalf("AlertDeliveryList (newest first) = %s, %v", deliveries(all), err)
		}
		d := all[3]
		if !d.At.Equal(base) || !d.FiringSince.Equal(base) || d.Duration != 1500*time.Millisecond || d.Summary != "threshold 25 → 50" || d.Receiver != "hook" || d.Attempt != 1 {
			t.Errorf("round trip: %+v", d)
		}
		old, _ := s.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{Key: "k1", Oldest: true})
		if len(old) != 3 || old[0].Outcome != "retry" || old[2].Action != "resolve" {
			t.Errorf("k1 oldest first = %s", deliveries(old))
		}
		since, _ := s.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{Since: base.Add(2 * time.Second), Limit: 1})
		if len(since) != 1 || since[0].Action != "resolve" {
			t.Errorf("since +2s, limit 1 = %s", deliveries(since))
		}
		prod, _ := s.AlertDeliveryList(ctx, &store.AlertDeliveryListParams{Env: "prod"})
		if len(prod) != 1 || prod[0].Key != "k2" {
			t.Errorf("env prod = %s", deliveries(prod))
		}
	})

	t.Run("DriftReports", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{Env: "dev", Stack: "dev/a", Status: "weird"}}); err == nil {
			t.Fatal("a report with an unknown status was accepted")
		}
		ins := func(env, stack, status string, at time.Time, n int) *store.DriftReport {
			t.Helper()
			r, err := s.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{
				Env: env, Stack: stack, Status: status, CheckedAt: at, Duration: 2 * time.Second, Findings: n,
				Report: json.RawMessage(fmt.Sprintf(`{"stack":%q,"status":%q}`, stack, status)),
			}})
			if err != nil || r.ID == 0 {
				t.Fatalf("insert: %+v, %v", r, err)
			}
			return r
		}
		ins("dev", "dev/a", store.DriftClean, base, 0)
		ins("dev", "dev/a", store.DriftDrifted, base.Add(time.Minute), 1)
		ins("dev", "dev/b", store.DriftError, base.Add(30*time.Second), 0)
		ins("dev", "", store.DriftDrifted, base.Add(time.Minute), 2)
		ins("prod", "prod/a", store.DriftClean, base.Add(time.Hour), 0)
		last := ins("dev", "dev/a", store.DriftClean, base.Add(2*time.Minute), 0)

		latest, err := s.DriftReportLatest(ctx, "dev")
		if err != nil || len(latest) != 3 {
			t.Fatalf("DriftReportLatest(dev) = %v, %v", drifts(latest), err)
		}
		if latest[0].Stack != "" || latest[1].Stack != "dev/a" || latest[1].ID != last.ID || latest[1].Status != store.DriftClean || latest[2].Status != store.DriftError {
			t.Errorf("DriftReportLatest(dev) = %v", drifts(latest))
		}
		if r := latest[1]; !r.CheckedAt.Equal(base.Add(2*time.Minute)) || r.Duration != 2*time.Second || !jsonEqual(r.Report, `{"stack":"dev/a","status":"clean"}`) {
			t.Errorf("round trip: %+v", r)
		}
		all, _ := s.DriftReportLatest(ctx, "")
		if len(all) != 4 || all[3].Env != "prod" {
			t.Errorf("DriftReportLatest(all) = %v", drifts(all))
		}
		hist, err := s.DriftReportList(ctx, &store.DriftReportListParams{Env: "dev", Stack: "dev/a"})
		if err != nil || len(hist) != 3 || hist[0].Status != store.DriftClean || hist[1].Status != store.DriftDrifted || hist[1].Findings != 1 {
			t.Fatalf("history of dev/a = %v, %v", drifts(hist), err)
		}
		drifted, _ := s.DriftReportList(ctx, &store.DriftReportListParams{Status: store.DriftDrifted, Limit: 1})
		if len(drifted) != 1 || drifted[0].Status != store.DriftDrifted {
			t.Errorf("drifted, limit 1 = %v", drifts(drifted))
		}
	})

	t.Run("CanaryResultsAndState", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		for i := 0; i < 5; i++ {
			r := store.CanaryResult{Canary: "canary/dev/api", Env: "dev", At: base.Add(time.Duration(i) * time.Minute), OK: i%2 == 0, Latency: time.Duration(i+1) * time.Millisecond, Status: 200}
			if !r.OK {
				r.Status, r.Error = 500, "status == 200 failed: status is 500"
			}
			if _, err := s.CanaryResultInsert(ctx, &store.CanaryResultInsertParams{Result: r}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CanaryResultInsert(ctx, &store.CanaryResultInsertParams{Result: store.CanaryResult{Canary: "canary/dev/other", At: base, OK: true}}); err != nil {
			t.Fatal(err)
		}
		rs, err := s.CanaryResultList(ctx, &store.CanaryResultListParams{Canary: "canary/dev/api", Limit: 3})
		if err != nil || len(rs) != 3 {
			t.Fatalf("CanaryResultList = %+v, %v", rs, err)
		}
		if r := rs[0]; !r.At.Equal(base.Add(4*time.Minute)) || !r.OK || r.Latency != 5*time.Millisecond || r.Status != 200 || r.Env != "dev" {
			t.Errorf("newest: %+v", r)
		}
		if r := rs[1]; r.OK || r.Status != 500 || r.Error == "" {
			t.Errorf("second newest: %+v", r)
		}
		since, _ := s.CanaryResultList(ctx, &store.CanaryResultListParams{Canary: "canary/dev/api", Since: base.Add(3 * time.Minute)})
		if len(since) != 2 {
			t.Errorf("since +3m: %d results, want 2", len(since))
		}

		if _, err := s.CanaryStateGet(ctx, "canary/dev/api"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CanaryStateGet of an unknown canary: %v", err)
		}
		for _, alerting := range []bool{false, true} {
			st := json.RawMessage(fmt.Sprintf(`{"alerting":%t,"failures":3}`, alerting))
			if _, err := s.CanaryStatePut(ctx, &store.CanaryStatePutParams{State: store.CanaryState{Canary: "canary/dev/api", Alerting: alerting, State: st}}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.CanaryStateGet(ctx, "canary/dev/api")
		if err != nil || !c.Alerting || !jsonEqual(c.State, `{"alerting":true,"failures":3}`) || c.UpdatedAt.IsZero() {
			t.Fatalf("CanaryStateGet = %+v, %v", c, err)
		}
		list, err := s.CanaryStateList(ctx)
		if err != nil || len(list) != 1 || list[0].Canary != "canary/dev/api" {
			t.Fatalf("CanaryStateList = %+v, %v", list, err)
		}
	})

	t.Run("Incidents", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.IncidentInsert(ctx, &store.IncidentInsertParams{Incident: store.Incident{Kind: store.IncidentEscalation}}); err == nil {
			t.Fatal("an incident without a title was accepted")
		}
		for i, in := range []store.Incident{
			{Kind: store.IncidentEscalation, Env: "prod", Stack: "prod/workload", Title: "remediator escalated", Source: "remediator"},
			{Kind: store.IncidentManualApply, Env: "dev", Stack: "dev/foundation", Title: "apply outside vigil", Source: "serve/drift"},
			{Kind: store.IncidentDriftFixedHand, Env: "dev", Stack: "dev/observability", Title: "drift reverted by hand", Detail: json.RawMessage(`{"address":"aws_cloudwatch_metric_alarm.x"}`), Source: "serve/drift"},
		} {
			in.At = base.Add(time.Duration(i) * time.Hour)
			if got, err := s.IncidentInsert(ctx, &store.IncidentInsertParams{Incident: in}); err != nil || got.ID == 0 {
				t.Fatalf("insert: %+v, %v", got, err)
			}
		}
		all, err := s.IncidentList(ctx, &store.IncidentListParams{})
		if err != nil || len(all) != 3 || all[0].Kind != store.IncidentDriftFixedHand || all[2].Kind != store.IncidentEscalation {
			t.Fatalf("IncidentList = %+v, %v", all, err)
		}
		if in := all[0]; !in.At.Equal(base.Add(2*time.Hour)) || !jsonEqual(in.Detail, `{"address":"aws_cloudwatch_metric_alarm.x"}`) || in.Source != "serve/drift" || in.Stack != "dev/observability" {
			t.Errorf("round trip: %+v", in)
		}
		dev, _ := s.IncidentList(ctx, &store.IncidentListParams{Env: "dev", Since: base.Add(90 * time.Minute)})
		if len(dev) != 1 || dev[0].Kind != store.IncidentDriftFixedHand {
			t.Errorf("dev since +90m = %+v", dev)
		}
		esc, _ := s.IncidentList(ctx, &store.IncidentListParams{Kind: store.IncidentEscalation, Stack: "prod/workload"})
		if len(esc) != 1 || esc[0].Title != "remediator escalated" {
			t.Errorf("escalations = %+v", esc)
		}
	})

	t.Run("StackStatus", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t)
		run := func(id string, at time.Time, stacks map[string][2]string) {
			t.Helper()
			if _, err := s.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: id, Env: "dev", Kind: "plan", Status: store.RunPlanned, CreatedAt: at}}); err != nil {
				t.Fatal(err)
			}
			for stack, v := range stacks {
				if _, err := s.RunStackUpsert(ctx, &store.RunStackUpsertParams{Stack: store.RunStack{RunID: id, Stack: stack, Status: v[0], PlanSHA256: v[1]}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// r1 applied both stacks; r2 planned dev/a (not applied); r3's
		// plan of dev/b failed (no plan hash): not an apply.
		run("r1", base, map[string][2]string{"dev/a": {"applied", "h1"}, "dev/b": {"applied", "h2"}})
		run("r2", base.Add(time.Hour), map[string][2]string{"dev/a": {"changes", "h3"}})
		run("r3", base.Add(2*time.Hour), map[string][2]string{"dev/b": {"failed", ""}})
		if _, err := s.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{Env: "dev", Stack: "dev/a", Status: store.DriftDrifted, CheckedAt: base.Add(3 * time.Hour), Findings: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{Env: "dev", Stack: "dev/c", Status: store.DriftClean, CheckedAt: base}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{Env: "dev", Status: store.DriftClean, CheckedAt: base}}); err != nil {
			t.Fatal(err)
		}
		list, err := s.StackStatusList(ctx, &store.StackStatusListParams{Env: "dev"})
		if err != nil || len(list) != 3 {
			t.Fatalf("StackStatusList = %+v, %v", list, err)
		}
		a, b, c := list[0], list[1], list[2]
		if a.Stack != "dev/a" || a.LastPlan == nil || a.LastPlan.RunID != "r2" || a.LastPlan.Status != "changes" || a.LastApply == nil || a.LastApply.RunID != "r1" || a.LastDrift == nil || a.LastDrift.Status != store.DriftDrifted {
			t.Errorf("dev/a = %s", js(a))
		}
		if b.Stack != "dev/b" || b.LastPlan == nil || b.LastPlan.RunID != "r3" || b.LastApply == nil || b.LastApply.RunID != "r1" || b.LastDrift != nil {
			t.Errorf("dev/b = %s", js(b))
		}
		if c.Stack != "dev/c" || c.LastPlan != nil || c.LastApply != nil || c.LastDrift == nil || c.Env != "dev" {
			t.Errorf("dev/c = %s", js(c))
		}
		if other, _ := s.StackStatusList(ctx, &store.StackStatusListParams{Env: "prod"}); len(other) != 0 {
			t.Errorf("prod = %s", js(other))
		}
	})
}

func jsonEqual(got json.RawMessage, want string) bool {
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return js(a) == js(b)
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func deliveries(ds []*store.AlertDelivery) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s/%s/%s#%d", d.Key, d.Action, d.Outcome, d.Attempt))
	}
	return fmt.Sprint(out)
}

func drifts(rs []*store.DriftReport) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s:%s:%s@%s", r.Env, r.Stack, r.Status, r.CheckedAt.Format(time.TimeOnly)))
	}
	return fmt.Sprint(out)
}
