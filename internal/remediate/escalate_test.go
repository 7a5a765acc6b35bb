package remediate

import (
	"strings"
	"testing"
	"time"
)

func TestRunbookFromDescription(t *testing.T) {
	t.Parallel()
	tests := []struct{ desc, want string }{
		{"ALB 5xx above 25/min. Runbook: https://github.com/o/r/blob/main/runbooks/5xx.md", "https://github.com/o/r/blob/main/runbooks/5xx.md"},
		{"runbook: https://x/y.md.", "https://x/y.md"},
		{"See (Runbook: https://x/y.md) now", "https://x/y.md"},
		{"RUNBOOK:https://x/z", "https://x/z"},
		{"no link here", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RunbookFromDescription(tt.desc); got != tt.want {
			t.Errorf("RunbookFromDescription(%q) = %q, want %q", tt.desc, got, tt.want)
		}
	}
}

func TestEscalationSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ alarm, want string }{
		{"vigil-prod-app-5xx", "vigil: remediation escalated, vigil-prod-app-5xx still in ALARM"},
		{"vigil-prod-app-ü", "vigil: remediation escalated, vigil-prod-app-?? still in ALARM"},
		{strings.Repeat("a", 200), ""},
	}
	for _, tt := range tests {
		got := Escalation{Alarm: AlarmInfo{Name: tt.alarm}}.Subject()
		if len(got) > 100 || strings.ContainsAny(got, "\n\r") || (tt.want != "" && got != tt.want) {
			t.Errorf("Subject(%q) = %q", tt.alarm, got)
		}
	}
}

func TestEscalationMessage(t *testing.T) {
	t.Parallel()
	entered := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	ep := Episode(entered)
	e := Escalation{
		Alarm:   AlarmInfo{Name: "vigil-prod-app-5xx", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:vigil-prod-app-5xx", StateReason: "Threshold Crossed", Entered: entered},
		Episode: ep, Why: "nothing it can stop: 3 of 3 running tasks are bad", Runbook: "https://x/5xx.md",
		Cluster: "main", Service: "app", TargetGroup: "arn:tg",
		Attempts: Attempts{Tasks: []StoppedTask{{ARN: "arn:task/old", StoppedAt: entered.Add(time.Minute), Reason: StopReason("vigil-prod-app-5xx", ep, "target 10.0.0.1:8080 unhealthy")}}},
		Fleet:    Fleet{Desired: 3, Tasks: []Task{task("1", TargetUnhealthy), task("2", TargetUnhealthy), task("3", "")}},
		Plan:     StopPlan{Held: []Pick{{Task: task("1", TargetUnhealthy), Why: "target 10.0.0.1:8080 unhealthy"}}, Why: "the fault looks service-wide"},
		Now:      entered.Add(4 * time.Minute),
	}
	msg := e.Message()
	for _, want := range []string{
		"handing alarm vigil-prod-app-5xx to a person",
		"Why: nothing it can stop: 3 of 3 running tasks are bad.",
		"Runbook: https://x/5xx.md",
		"In ALARM since 2026-05-01T10:00:00Z (4m0s ago), episode 20260501T100000Z",
		"Reason: Threshold Crossed",
		"stopped task arn:task/old",
		"because target 10.0.0.1:8080 unhealthy",
		"held back task arn:aws:ecs:us-east-1:123456789012:task/main/1",
		"not stopping more: the fault looks service-wide",
		"Service app in cluster main: desired 3, running 3, healthy 0, bad 2",
		"not registered",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	e.Runbook = ""
	if !strings.Contains(e.Message(), "Runbook: none found") {
		t.Error("a message without a runbook does not say so")
	}
}
