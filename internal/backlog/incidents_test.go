package backlog

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/store"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	hacked, _ := json.Marshal(drift.StackReport{Stack: "prod/base", Status: drift.StatusDrifted, Drift: []drift.Finding{
		{Kind: drift.KindChanged, Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "display_name", Before: `"Pager"`, After: `"Hacked"`}}})
	// What vigil backlog derived itself: prod/base drifted at 0 and was
	// clean at 10 with no apply; a manual apply planned at 20, applied at 25.
	derived := func() []Item {
		return []Item{
			{Key: "drift-fixed-by-hand/prod/base/1", Kind: KindDriftFixedByHand, Env: "prod", Stack: "prod/base", Began: at(0), At: at(10)},
			{Key: "manual-apply/prod/r1", Kind: KindManualApply, Env: "prod", Stack: "prod/app", Began: at(20), At: at(25)},
		}
	}
	inc := func(id int64, kind, env, stk string, m time.Duration, detail json.RawMessage) *store.Incident {
		return &store.Incident{ID: id, Kind: kind, Env: env, Stack: stk, Title: kind + " " + stk, Detail: detail, At: t0.Add(m), Source: "serve/drift"}
	}
	tests := []struct {
		name      string
		derived   []Item
		incidents []*store.Incident
		wantKeys  []string // newest first
	}{
		{name: "serve's record of the same drift fix is dropped",
			derived:   derived(),
			incidents: []*store.Incident{inc(7, store.IncidentDriftFixedHand, "prod", "prod/base", 12*time.Minute, hacked)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1"}},
		{name: "recorded within the window after the clean check",
			derived:   derived(),
			incidents: []*store.Incident{inc(7, store.IncidentDriftFixedHand, "prod", "prod/base", 10*time.Minute+MatchWindow, hacked)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1"}},
		{name: "a later fix of the same stack is its own item",
			derived:   derived(),
			incidents: []*store.Incident{inc(8, store.IncidentDriftFixedHand, "prod", "prod/base", 10*time.Minute+MatchWindow+time.Second, hacked)},
			wantKeys:  []string{"drift-fixed-by-hand/prod/incident-8", "manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1"}},
		{name: "recorded before the drift began is its own item",
			derived:   derived(),
			incidents: []*store.Incident{inc(9, store.IncidentDriftFixedHand, "prod", "prod/base", -2*time.Minute, hacked)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1", "drift-fixed-by-hand/prod/incident-9"}},
		{name: "another stack is its own item",
			derived:   derived(),
			incidents: []*store.Incident{inc(10, store.IncidentDriftFixedHand, "prod", "prod/app", 11*time.Minute, hacked)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/prod/incident-10", "drift-fixed-by-hand/prod/base/1"}},
		{name: "another environment is its own item",
			derived:   derived(),
			incidents: []*store.Incident{inc(11, store.IncidentDriftFixedHand, "dev", "prod/base", 11*time.Minute, hacked)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/dev/incident-11", "drift-fixed-by-hand/prod/base/1"}},
		{name: "an incident without a stack matches by kind and time",
			derived:   derived(),
			incidents: []*store.Incident{inc(12, store.IncidentManualApply, "prod", "", 24*time.Minute, nil)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1"}},
		{name: "a newly drifted stack is no item",
			derived:   derived(),
			incidents: []*store.Incident{inc(13, store.IncidentDrift, "prod", "prod/base", 40*time.Minute, hacked)},
			wantKeys:  []string{"manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1"}},
		{name: "a canary incident is listed",
			derived:   derived(),
			incidents: []*store.Incident{inc(14, store.IncidentCanary, "prod", "", 30*time.Minute, json.RawMessage(`{"canary":"checkout","failures":3}`))},
			wantKeys:  []string{"canary/prod/incident-14", "manual-apply/prod/r1", "drift-fixed-by-hand/prod/base/1"}},
		{name: "nothing derived: every incident is listed",
			incidents: []*store.Incident{inc(7, store.IncidentDriftFixedHand, "prod", "prod/base", 12*time.Minute, hacked), inc(15, store.IncidentEscalation, "prod", "", 50*time.Minute, nil)},
			wantKeys:  []string{"escalation/prod/incident-15", "drift-fixed-by-hand/prod/incident-7"}},
		{name: "two fixes close together each absorb their own record",
			derived: []Item{
				{Key: "drift-fixed-by-hand/prod/base/1", Kind: KindDriftFixedByHand, Env: "prod", Stack: "prod/base", Began: at(0), At: at(1)},
				{Key: "drift-fixed-by-hand/prod/base/3", Kind: KindDriftFixedByHand, Env: "prod", Stack: "prod/base", Began: at(2), At: at(3)},
			},
			incidents: []*store.Incident{inc(1, store.IncidentDriftFixedHand, "prod", "prod/base", 90*time.Second, hacked), inc(2, store.IncidentDriftFixedHand, "prod", "prod/base", 210*time.Second, hacked)},
			wantKeys:  []string{"drift-fixed-by-hand/prod/base/3", "drift-fixed-by-hand/prod/base/1"}},
		{name: "nothing at all", wantKeys: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Merge(tt.derived, tt.incidents)
			var keys []string
			for _, it := range got {
				keys = append(keys, it.Key)
			}
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("keys = %v, want %v", keys, tt.wantKeys)
			}
		})
	}
}

func TestFromIncident(t *testing.T) {
	t.Parallel()
	report, _ := json.Marshal(drift.StackReport{Stack: "prod/base", Status: drift.StatusDrifted, Drift: []drift.Finding{
		{Kind: drift.KindChanged, Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "display_name", Before: `"Pager"`, After: `"Hacked"`},
		{Kind: drift.KindChanged, Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "tags", Ignored: &drift.Ignored{Reason: "managed elsewhere", Rule: "aws_sns_topic.*"}}}})
	findings, _ := json.Marshal([]drift.Finding{{Kind: drift.KindDeleted, Address: "aws_cloudwatch_metric_alarm.x", Type: "aws_cloudwatch_metric_alarm"}})
	tests := []struct {
		name     string
		in       store.Incident
		wantOK   bool
		wantAs   string
		wantWhat []string
	}{
		{name: "drift fixed by hand with the drifted report", in: store.Incident{ID: 3, Kind: store.IncidentDriftFixedHand, Env: "prod", Stack: "prod/base", Title: "prod/base is clean again", Detail: report, Source: "serve/drift"},
			wantOK: true, wantAs: EncodeRemediation, wantWhat: []string{"recorded by serve/drift: prod/base is clean again", `~ aws_sns_topic.pager display_name: "Pager" → "Hacked"`}},
		{name: "a list of findings, one deleted", in: store.Incident{ID: 4, Kind: store.IncidentDriftFixedHand, Env: "prod", Stack: "prod/obs", Title: "t", Detail: findings},
			wantOK: true, wantAs: EncodeAlarm, wantWhat: []string{"recorded by unknown", "- aws_cloudwatch_metric_alarm.x deleted out of band"}},
		{name: "object detail", in: store.Incident{ID: 5, Kind: store.IncidentCanary, Env: "prod", Title: "checkout failing", Detail: json.RawMessage(`{"failures":3,"canary":"checkout"}`), Source: "serve/canary"},
			wantOK: true, wantAs: EncodeAlarm, wantWhat: []string{`canary: "checkout"`, "failures: 3"}},
		{name: "string detail, no title", in: store.Incident{ID: 6, Kind: "pager-ack", Env: "dev", Detail: json.RawMessage(`"acked by ana"`)},
			wantOK: true, wantAs: EncodeRemediation, wantWhat: []string{"pager-ack in dev", "acked by ana"}},
		{name: "newly drifted", in: store.Incident{ID: 7, Kind: store.IncidentDrift, Env: "prod", Stack: "prod/base", Detail: findings}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.At = at(5)
			it, ok := FromIncident(&tt.in)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			what := strings.Join(it.What, "\n")
			for _, w := range tt.wantWhat {
				if !strings.Contains(what, w) {
					t.Errorf("what lacks %q:\n%s", w, what)
				}
			}
			if strings.Contains(what, "tags") {
				t.Errorf("an ignored finding is listed:\n%s", what)
			}
			if it.Suggest.As != tt.wantAs || it.Kind != tt.in.Kind || !it.At.Equal(at(5)) || !strings.Contains(it.Source, "incident") {
				t.Errorf("item = %+v", it)
			}
		})
	}
}
