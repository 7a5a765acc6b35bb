package backlog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/store"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func TestEscalations(t *testing.T) {
	t.Parallel()
	stop := func(alarm string, m int, o remediate.Outcome) remediate.Incident {
		return remediate.Incident{Alarm: alarm, Episode: "E1", Action: remediate.ActionStopTask, Outcome: o, Time: at(m)}
	}
	esc := func(alarm string, m int, o remediate.Outcome) remediate.Incident {
		return remediate.Incident{Alarm: alarm, Episode: "E1", Action: remediate.ActionEscalate, Outcome: o, Time: at(m)}
	}
	tests := []struct {
		name     string
		in       []remediate.Incident
		wantN    int
		wantAs   string
		wantText string
	}{
		{name: "stops then escalation", in: []remediate.Incident{stop("a", 0, remediate.OutcomeDone), esc("a", 5, remediate.OutcomeDone)}, wantN: 1, wantAs: EncodeRemediation, wantText: "1 stopped"},
		{name: "held then escalation", in: []remediate.Incident{stop("a", 0, remediate.OutcomeHeld), esc("a", 5, remediate.OutcomeDone)}, wantN: 1, wantAs: EncodeRemediation, wantText: "rate limit"},
		{name: "nothing to stop", in: []remediate.Incident{esc("a", 5, remediate.OutcomeFailed)}, wantN: 1, wantAs: EncodeAlarm, wantText: "without a task"},
		{name: "remediated, no escalation", in: []remediate.Incident{stop("a", 0, remediate.OutcomeDone)}, wantN: 0},
		{name: "duplicate escalation only", in: []remediate.Incident{esc("a", 5, remediate.OutcomeDuplicate)}, wantN: 0},
		{name: "two episodes", in: []remediate.Incident{esc("a", 5, remediate.OutcomeDone), esc("b", 6, remediate.OutcomeDone)}, wantN: 2, wantAs: EncodeAlarm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := Escalations("prod", "/aws/lambda/x", tt.in)
			if len(items) != tt.wantN {
				t.Fatalf("items = %+v, want %d", items, tt.wantN)
			}
			if tt.wantN == 0 {
				return
			}
			it := items[0]
			if it.Suggest.As != tt.wantAs || !strings.Contains(it.Suggest.Text, tt.wantText) || it.Kind != KindEscalation || len(it.What) == 0 {
				t.Errorf("item = %+v", it)
			}
		})
	}
}

func summary(t *testing.T, stack string, types ...string) json.RawMessage {
	t.Helper()
	s := review.StackSummary{Stack: stack, Counts: review.Counts{Change: len(types)}}
	for _, ty := range types {
		s.Changes = append(s.Changes, review.Change{Address: ty + ".x", Type: ty, Action: "update"})
	}
	b, _ := json.Marshal(s)
	return b
}

func TestManualApplies(t *testing.T) {
	t.Parallel()
	protected := func(env string) bool { return env == "prod" }
	run := func(id, env, kind, status string) *store.Run {
		return &store.Run{ID: id, Env: env, Kind: kind, Status: status, Author: "ana", CreatedAt: at(0), UpdatedAt: at(1)}
	}
	tests := []struct {
		name   string
		ra     RunApply
		wantAs string // "" = not an item
	}{
		{name: "by hand in prod, alarm", ra: RunApply{Run: run("r1", "prod", "plan", store.RunApplied), Stacks: []*store.RunStack{{Stack: "prod/obs", Summary: summary(t, "prod/obs", "aws_cloudwatch_metric_alarm")}},
			Approvals: []*store.Approval{{By: "bob", Comment: "hotfix"}}}, wantAs: EncodeAlarm},
		{name: "by hand in prod, scaling", ra: RunApply{Run: run("r2", "prod", "plan", store.RunApplied), Stacks: []*store.RunStack{{Stack: "prod/w", Summary: summary(t, "prod/w", "aws_appautoscaling_policy")}}}, wantAs: EncodeRemediation},
		{name: "by hand in prod, IAM", ra: RunApply{Run: run("r3", "prod", "plan", store.RunApplied), Stacks: []*store.RunStack{{Stack: "prod/f", Summary: summary(t, "prod/f", "aws_iam_role_policy")}}}, wantAs: EncodePolicyRule},
		{name: "after merge", ra: RunApply{Run: run("r4", "prod", "replan-apply", store.RunApplied)}},
		{name: "sandbox dev loop", ra: RunApply{Run: run("r5", "dev", "plan", store.RunApplied)}},
		{name: "refused", ra: RunApply{Run: run("r6", "prod", "plan", store.RunRefused)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := ManualApplies(protected, []RunApply{tt.ra})
			if tt.wantAs == "" {
				if len(items) != 0 {
					t.Fatalf("items = %+v, want none", items)
				}
				return
			}
			if len(items) != 1 || items[0].Suggest.As != tt.wantAs || items[0].Kind != KindManualApply {
				t.Fatalf("items = %+v, want one %s", items, tt.wantAs)
			}
		})
	}
	items := ManualApplies(protected, []RunApply{tests[0].ra})
	if what := strings.Join(items[0].What, "\n"); !strings.Contains(what, "approved by bob: hotfix") || !strings.Contains(what, "update aws_cloudwatch_metric_alarm.x") {
		t.Errorf("what = %s", what)
	}
}

func TestDriftFixedByHand(t *testing.T) {
	t.Parallel()
	sr, _ := json.Marshal(drift.StackReport{Stack: "prod/base", Status: drift.StatusDrifted, Drift: []drift.Finding{{Kind: drift.KindChanged, Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "display_name", Before: `"Pager"`, After: `"Hacked"`}}})
	rep := func(id int64, stk, status string, m int) *store.DriftReport {
		r := &store.DriftReport{ID: id, Env: "prod", Stack: stk, Status: status, CheckedAt: at(m)}
		if status == store.DriftDrifted {
			r.Report = sr
		}
		return r
	}
	tests := []struct {
		name    string
		reports []*store.DriftReport
		applies []ApplyMark
		want    int
	}{
		{name: "drift then clean", reports: []*store.DriftReport{rep(2, "prod/base", store.DriftClean, 10), rep(1, "prod/base", store.DriftDrifted, 0)}, want: 1},
		{name: "vigil applied in between", reports: []*store.DriftReport{rep(1, "prod/base", store.DriftDrifted, 0), rep(2, "prod/base", store.DriftClean, 10)}, applies: []ApplyMark{{Stack: "prod/base", At: at(5)}}, want: 0},
		{name: "another stack applied", reports: []*store.DriftReport{rep(1, "prod/base", store.DriftDrifted, 0), rep(2, "prod/base", store.DriftClean, 10)}, applies: []ApplyMark{{Stack: "prod/app", At: at(5)}}, want: 1},
		{name: "still drifted", reports: []*store.DriftReport{rep(1, "prod/base", store.DriftDrifted, 0), rep(2, "prod/base", store.DriftDrifted, 10)}, want: 0},
		{name: "error is no fix", reports: []*store.DriftReport{rep(1, "prod/base", store.DriftDrifted, 0), rep(2, "prod/base", store.DriftError, 5)}, want: 0},
		{name: "twice", reports: []*store.DriftReport{rep(1, "prod/base", store.DriftDrifted, 0), rep(2, "prod/base", store.DriftClean, 1), rep(3, "prod/base", store.DriftDrifted, 2), rep(4, "prod/base", store.DriftClean, 3)}, want: 2},
		{name: "unmanaged check ignored", reports: []*store.DriftReport{rep(1, "", store.DriftDrifted, 0), rep(2, "", store.DriftClean, 10)}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := DriftFixedByHand(tt.reports, tt.applies)
			if len(items) != tt.want {
				t.Fatalf("items = %+v, want %d", items, tt.want)
			}
			if tt.want > 0 {
				it := items[len(items)-1]
				if it.Stack != "prod/base" || it.Suggest.As != EncodeRemediation || !strings.Contains(strings.Join(it.What, "\n"), `display_name: "Pager" → "Hacked"`) {
					t.Errorf("item = %+v", it)
				}
			}
		})
	}
}

func TestSuggestDrift(t *testing.T) {
	t.Parallel()
	if e := SuggestDrift([]drift.Finding{{Kind: drift.KindChanged, Type: "aws_security_group"}}); e.As != EncodePolicyRule {
		t.Errorf("security group: %+v", e)
	}
	if e := SuggestDrift([]drift.Finding{{Kind: drift.KindDeleted, Type: "aws_sns_topic"}}); e.As != EncodeAlarm {
		t.Errorf("deleted: %+v", e)
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := Markdown(Item{Key: "manual-apply/prod/r1", Kind: KindManualApply, Env: "prod", Stack: "prod/obs", At: t0, Title: "Applied by hand",
		What: []string{"line one"}, Suggest: Encoding{As: EncodeAlarm, Text: "do it"}, Source: "store"})
	for _, want := range []string{"<!-- vigil-backlog manual-apply/prod/r1 -->", "## Applied by hand", "**Stack:** `prod/obs`", "2026-12-01 10:00 UTC", "```text\nline one\n```", "### Encode the fix: alarm\n\ndo it"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
