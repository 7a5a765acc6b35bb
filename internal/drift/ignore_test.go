package drift

import (
	"testing"

	"github.com/vigil-sre/vigil/internal/config"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"aws_ecs_service.*", "aws_ecs_service.app", true},
		{"aws_ecs_service.*", "aws_ecs_service.app[0]", true},
		{"aws_ecs_service.*", "aws_ecs_service_x.app", false},
		{"aws_ecs_service.app", "aws_ecs_service.app", true},
		{"aws_ecs_service.ap?", "aws_ecs_service.app", true},
		{"*", "anything.at[\"all\"]", true},
		{"tags[\"owner\"]", "tags[\"owner\"]", true},
		{"arn:aws:sns:*:*:scratch-*", "arn:aws:sns:us-east-1:123456789012:scratch-1", true},
		{"arn:aws:sns:*:*:scratch-*", "arn:aws:sns:us-east-1:123456789012:pager", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestLocalAddress(t *testing.T) {
	tests := map[string]string{
		"aws_sns_topic.t":                         "aws_sns_topic.t",
		"module.app.aws_ecs_service.this":         "aws_ecs_service.this",
		`module.a["x.y"].module.b[0].aws_lb.m[1]`: "aws_lb.m[1]",
	}
	for in, want := range tests {
		if got := localAddress(in); got != want {
			t.Errorf("localAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApplyIgnores(t *testing.T) {
	rule := func(addr, attr, kind string) config.DriftIgnore {
		return config.DriftIgnore{Address: addr, Attribute: attr, Kind: kind, Reason: "because", Scope: "dev"}
	}
	changed := func(addr, attr string) Finding {
		return Finding{Kind: KindChanged, Address: addr, Attribute: attr}
	}
	tests := []struct {
		name        string
		finding     Finding
		rules       []config.DriftIgnore
		wantIgnored bool
		wantAttrs   int
	}{
		{"attribute rule", changed("module.app.aws_ecs_service.this", "desired_count"), []config.DriftIgnore{rule("aws_ecs_service.*", "desired_count", "")}, true, 0},
		{"other attribute", changed("aws_ecs_service.this", "task_definition"), []config.DriftIgnore{rule("aws_ecs_service.*", "desired_count", "")}, false, 0},
		{"parent attribute", changed("aws_sns_topic.t", `tags["owner"]`), []config.DriftIgnore{rule("*", "tags", "")}, true, 0},
		{"module pattern is not stripped", changed("aws_ecs_service.this", "desired_count"), []config.DriftIgnore{rule("module.app.*", "", "")}, false, 0},
		{"kind filter", changed("aws_sns_topic.t", "x"), []config.DriftIgnore{rule("*", "", KindDeleted)}, false, 0},
		{"whole resource", Finding{Kind: KindDeleted, Address: "aws_sns_topic.t"}, []config.DriftIgnore{rule("aws_sns_topic.t", "", "")}, true, 0},
		{"attribute rule never hides a deletion", Finding{Kind: KindDeleted, Address: "aws_sns_topic.t"}, []config.DriftIgnore{rule("aws_sns_topic.t", "x", "")}, false, 0},
		{"unmanaged by type", Finding{Kind: KindUnmanaged, Address: "arn:aws:sns:us-east-1:1:t", Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:1:t"}, []config.DriftIgnore{rule("aws_sns_topic", "", KindUnmanaged)}, true, 0},
		{"unmanaged by id", Finding{Kind: KindUnmanaged, Address: "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/x", Type: "aws_cloudwatch_log_group", ID: "/aws/lambda/x"}, []config.DriftIgnore{rule("/aws/lambda/*", "", "")}, true, 0},
		{"pending: some attributes removed", Finding{Kind: KindPending, Address: "aws_ecs_service.s", Action: "update", Attrs: []Attr{{Path: "desired_count"}, {Path: "image"}}}, []config.DriftIgnore{rule("aws_ecs_service.*", "desired_count", "")}, false, 1},
		{"pending: every attribute removed", Finding{Kind: KindPending, Address: "aws_ecs_service.s", Action: "update", Attrs: []Attr{{Path: "desired_count"}}}, []config.DriftIgnore{rule("aws_ecs_service.*", "desired_count", "")}, true, 1},
		{"pending create kept by an attribute rule", Finding{Kind: KindPending, Address: "aws_ecs_service.s", Action: "create"}, []config.DriftIgnore{rule("aws_ecs_service.*", "desired_count", "")}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []Finding{tt.finding}
			applyIgnores(fs, tt.rules)
			if got := fs[0].Ignored != nil; got != tt.wantIgnored {
				t.Fatalf("ignored = %v, want %v (%+v)", got, tt.wantIgnored, fs[0])
			}
			if tt.wantIgnored && (fs[0].Ignored.Reason != "because" || fs[0].Ignored.Scope != "dev" || fs[0].Ignored.Rule == "") {
				t.Errorf("ignored = %+v", fs[0].Ignored)
			}
			if len(fs[0].Attrs) != tt.wantAttrs {
				t.Errorf("attrs = %+v, want %d", fs[0].Attrs, tt.wantAttrs)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint("dev", "dev/observability", "aws_cloudwatch_metric_alarm.errors", KindChanged, "threshold")
	if a != Fingerprint("dev", "dev/observability", "aws_cloudwatch_metric_alarm.errors", KindChanged, "threshold") || len(a) != 32 {
		t.Fatalf("fingerprint %q is not stable", a)
	}
	for _, other := range []string{
		Fingerprint("prod", "dev/observability", "aws_cloudwatch_metric_alarm.errors", KindChanged, "threshold"),
		Fingerprint("dev", "dev/observability", "aws_cloudwatch_metric_alarm.errors", KindChanged, "period"),
		Fingerprint("dev", "dev/observability", "aws_cloudwatch_metric_alarm.errors", KindDeleted, ""),
		Fingerprint("dev", "dev/observabilit", "yaws_cloudwatch_metric_alarm.errors", KindChanged, "threshold"),
	} {
		if other == a {
			t.Errorf("fingerprints collide: %s", a)
		}
	}
	// Values never enter the fingerprint.
	fs := finish([]Finding{{Kind: KindChanged, Address: "a.b", Attribute: "x", Before: "1", After: "2"}}, "dev", "dev/s")
	gs := finish([]Finding{{Kind: KindChanged, Address: "a.b", Attribute: "x", Before: "1", After: "3"}}, "dev", "dev/s")
	if fs[0].Fingerprint != gs[0].Fingerprint {
		t.Error("the fingerprint depends on the values")
	}
}

func TestManaged(t *testing.T) {
	m := newManaged()
	m.add("aws_sns_topic", map[string]any{"arn": "arn:aws:sns:us-east-1:1:pager", "id": "arn:aws:sns:us-east-1:1:pager", "name": "pager"})
	m.add("aws_cloudwatch_log_group", map[string]any{"arn": "arn:aws:logs:us-east-1:1:log-group:/ecs/app", "id": "/ecs/app", "name": "/ecs/app"})
	m.add("aws_alb", map[string]any{"arn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1", "id": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1"})
	m.add("aws_iam_role", map[string]any{"arn": "arn:aws:iam::1:role/r", "id": "r", "name": "r"})
	found := []Resource{
		{Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:1:pager", ARN: "arn:aws:sns:us-east-1:1:pager"},
		{Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:1:rogue", ARN: "arn:aws:sns:us-east-1:1:rogue"},
		{Type: "aws_cloudwatch_log_group", ID: "/ecs/app", ARN: "arn:aws:logs:us-east-1:1:log-group:/ecs/app"},
		{Type: "aws_lb", ID: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1", ARN: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1"},
		{Type: "aws_iam_role", ID: "r"},
		{Type: "aws_cloudwatch_metric_alarm", ID: "pager"}, // a name, but of another type
	}
	got := unmanagedFindings(found, m)
	if len(got) != 2 || got[0].Address != "arn:aws:sns:us-east-1:1:rogue" || got[1].Address != "pager" || got[1].Type != "aws_cloudwatch_metric_alarm" {
		t.Errorf("unmanaged = %s", dump(got))
	}
}
