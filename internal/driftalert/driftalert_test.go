package driftalert_test

import (
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/driftalert"
)

var (
	threshold = drift.Finding{Kind: drift.KindChanged, Address: "module.obs.aws_cloudwatch_metric_alarm.alb_5xx", Type: "aws_cloudwatch_metric_alarm", Attribute: "threshold", Before: "25", After: "50"}
	deleted   = drift.Finding{Kind: drift.KindDeleted, Address: "aws_sns_topic.pager", Type: "aws_sns_topic", Before: "arn:aws:sns:us-east-1:123456789012:pager"}
	pending   = drift.Finding{Kind: drift.KindPending, Address: "aws_s3_bucket.logs", Type: "aws_s3_bucket", Action: "create"}
	unmanaged = drift.Finding{Kind: drift.KindUnmanaged, Address: "arn:aws:sns:us-east-1:123456789012:stray", Type: "aws_sns_topic"}
)

func TestStack(t *testing.T) {
	tests := []struct {
		name        string
		live        []drift.Finding
		o           driftalert.Options
		wantSummary string
		wantDetails []alert.Detail
		wantFirst   string
	}{
		{
			name:        "one change names address, attribute and old → new",
			live:        []drift.Finding{threshold},
			o:           driftalert.Options{Source: "vigil serve", Runbook: "https://runbooks/drift.md"},
			wantSummary: "module.obs.aws_cloudwatch_metric_alarm.alb_5xx threshold changed out of band: 25 → 50",
			wantDetails: []alert.Detail{{Key: "module.obs.aws_cloudwatch_metric_alarm.alb_5xx threshold", Value: "changed out of band: 25 → 50"}},
			wantFirst:   "Run `vigil drift --env dev --stack dev/observability`",
		},
		{
			name:        "several findings are counted; a configured first step wins",
			live:        []drift.Finding{threshold, deleted},
			o:           driftalert.Options{Source: "vigil ci", FirstStep: "Page the owner."},
			wantSummary: "2 out-of-band changes: module.obs.aws_cloudwatch_metric_alarm.alb_5xx threshold changed out of band: 25 → 50; aws_sns_topic.pager deleted out of band",
			wantDetails: []alert.Detail{
				{Key: "module.obs.aws_cloudwatch_metric_alarm.alb_5xx threshold", Value: "changed out of band: 25 → 50"},
				{Key: "aws_sns_topic.pager", Value: "deleted out of band"},
			},
			wantFirst: "Page the owner.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := driftalert.Stack("dev", "dev/observability", tt.live, tt.o)
			if a.Fingerprint != "drift/dev/observability" || a.Layer != "observability" || a.Stack != "dev/observability" || a.Environment != "dev" {
				t.Errorf("identity = %q %q %q %q", a.Fingerprint, a.Environment, a.Layer, a.Stack)
			}
			if a.Status != alert.StatusFiring || a.Kind != alert.KindDrift || a.Source != tt.o.Source || a.RunbookURL != tt.o.Runbook {
				t.Errorf("status/kind/source/runbook = %q %q %q %q", a.Status, a.Kind, a.Source, a.RunbookURL)
			}
			if a.Summary != tt.wantSummary {
				t.Errorf("summary = %q\nwant      %q", a.Summary, tt.wantSummary)
			}
			if len(a.Details) != len(tt.wantDetails) {
				t.Fatalf("details = %v, want %v", a.Details, tt.wantDetails)
			}
			for i := range a.Details {
				if a.Details[i] != tt.wantDetails[i] {
					t.Errorf("detail %d = %v, want %v", i, a.Details[i], tt.wantDetails[i])
				}
			}
			if !strings.HasPrefix(a.FirstStep, tt.wantFirst) {
				t.Errorf("first step = %q, want it to start with %q", a.FirstStep, tt.wantFirst)
			}
			if a.Resource != tt.live[0].Address {
				t.Errorf("resource = %q", a.Resource)
			}
		})
	}
}

func TestLiveDropsPendingChanges(t *testing.T) {
	got := driftalert.Live([]drift.Finding{pending, threshold, pending, deleted})
	if len(got) != 2 || got[0].Address != threshold.Address || got[1].Address != deleted.Address {
		t.Fatalf("Live = %v", got)
	}
}

func TestUnmanaged(t *testing.T) {
	many := []drift.Finding{unmanaged, unmanaged, unmanaged, unmanaged}
	a := driftalert.Unmanaged("prod", many, driftalert.Options{Source: "vigil serve"})
	if a.Fingerprint != "drift/prod/unmanaged" || a.Status != alert.StatusFiring || len(a.Details) != 4 {
		t.Fatalf("alert = %+v", a)
	}
	if !strings.Contains(a.Summary, "4 unmanaged resource(s) tagged for prod") || !strings.HasSuffix(a.Summary, "and 1 more") {
		t.Errorf("summary = %q", a.Summary)
	}
	if a.Details[0] != (alert.Detail{Key: "aws_sns_topic", Value: "unmanaged: " + unmanaged.Address}) {
		t.Errorf("detail = %v", a.Details[0])
	}
}
