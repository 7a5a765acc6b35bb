package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/gameday"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/remediate"
	"github.com/vigil-sre/vigil/internal/target"
)

func TestNewCmdGameday(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    GamedayOptions
		wantErr string
	}{
		{"scenario", "--scenario bad-task", GamedayOptions{Env: "dev", Scenario: "bad-task"}, ""},
		{"env and json", "-e staging --scenario blip --json", GamedayOptions{Env: "staging", Scenario: "blip", JSON: true}, ""},
		{"list", "--list", GamedayOptions{Env: "dev", List: true}, ""},
		{"nothing", "", GamedayOptions{}, "name a scenario with --scenario"},
		{"unknown scenario", "--scenario meteor", GamedayOptions{}, `no game day scenario "meteor"`},
		{"list and scenario", "--list --scenario blip", GamedayOptions{}, "do not go together"},
		{"argument", "bad-task", GamedayOptions{}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios}
			var got *GamedayOptions
			cmd := NewCmdGameday(f, func(_ context.Context, o *GamedayOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Env != tt.want.Env || got.Scenario != tt.want.Scenario || got.JSON != tt.want.JSON || got.List != tt.want.List {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// fixedReport is a bad-task report as the engine would make it.
func fixedReport() *gameday.Report {
	at := time.Date(2026, 5, 4, 10, 3, 0, 0, time.UTC)
	m := func(n int) time.Time { return at.Add(time.Duration(n) * time.Minute) }
	const alarm = "vigil-dev-app-alb-target-5xx"
	return &gameday.Report{
		Scenario: "bad-task", Description: "One of three tasks answers 500.",
		Target: gameday.Target{Cluster: "vigil-dev-app", Service: "vigil-dev-app", PagerTopicARN: "arn:aws:sns:us-east-1:123456789012:vigil-dev-pager"},
		Start:  at.Add(-3 * time.Minute), End: m(12), FaultAt: at,
		Faults: []string{"unhealthy: 1 task(s) of vigil-dev-app answer 500 (abc123)"},
		Transitions: []gameday.Transition{
			{At: m(2), Alarm: alarm, From: "OK", To: "ALARM"},
			{At: m(6), Alarm: alarm, From: "ALARM", To: "OK"},
		},
		Pages: []gameday.Page{
			{Type: "Notification", MessageID: "m1", Subject: `ALARM: "vigil-dev-app-alb-target-5xx" in US East (N. Virginia)`, Timestamp: m(2)},
			{Type: "Notification", MessageID: "m2", Subject: `OK: "vigil-dev-app-alb-target-5xx" in US East (N. Virginia)`, Timestamp: m(6)},
		},
		Remediation: []gameday.Remediation{{At: m(2).Add(5 * time.Second), Incident: remediate.Incident{
			Action: remediate.ActionStopTask, Target: "arn:aws:ecs:us-east-1:123456789012:task/vigil-dev-app/abc123", Outcome: remediate.OutcomeDone,
			Detail: "target unhealthy"}}},
		Tasks: []gameday.TaskEvent{
			{At: m(2).Add(5 * time.Second), Task: "abc123", Event: "stopped", Reason: "vigil-remediator: episode=20260504T100500Z"},
			{At: m(2).Add(35 * time.Second), Task: "def456", Event: "started"},
		},
		Detected: m(2), Recovered: m(6),
	}
}

func TestGamedayRun(t *testing.T) {
	t.Setenv(target.DataDirEnv, t.TempDir())
	cfg := fixtureConfig(t, "basic")
	steps := []struct {
		name    string
		opts    GamedayOptions
		runErr  error
		wantErr error
	}{
		{name: "list", opts: GamedayOptions{List: true}},
		{name: "list-json", opts: GamedayOptions{List: true, JSON: true}},
		{name: "report", opts: GamedayOptions{Env: "dev", Scenario: "bad-task"}},
		{name: "report-json", opts: GamedayOptions{Env: "dev", Scenario: "bad-task", JSON: true}},
		{name: "failed", opts: GamedayOptions{Env: "dev", Scenario: "bad-task"}, runErr: gameday.ErrStepFailed, wantErr: ErrFindings},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			opts := st.opts
			opts.IO, opts.Config = ios, cfg
			var gotURL string
			opts.Run = func(_ context.Context, sb gameday.Sandbox, sc gameday.Scenario, _ gameday.Options) (*gameday.Report, error) {
				gotURL = sb.URL
				if sc.Name != st.opts.Scenario {
					t.Errorf("ran scenario %q", sc.Name)
				}
				rep := fixedReport()
				if st.runErr != nil {
					rep.Failed = "step 3: alarm alb-target-5xx in ALARM did not happen within 6m0s"
				}
				return rep, st.runErr
			}
			err := gamedayRun(context.Background(), &opts)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("err = %v, want %v", err, st.wantErr)
			}
			if !st.opts.List && !strings.HasPrefix(gotURL, "http://127.0.0.1:") {
				t.Errorf("game day ran against %q, want the repository's sandbox", gotURL)
			}
			assertGolden(t, "gameday", st.name, out.String())
		})
	}
	t.Run("aws target", func(t *testing.T) {
		ios, _, _, _ := iostreams.Test()
		opts := GamedayOptions{IO: ios, Config: cfg, Env: "prod", Scenario: "blip",
			Run: func(context.Context, gameday.Sandbox, gameday.Scenario, gameday.Options) (*gameday.Report, error) {
				t.Fatal("ran against AWS")
				return nil, nil
			}}
		if err := gamedayRun(context.Background(), &opts); err == nil || !strings.Contains(err.Error(), "targets AWS") {
			t.Fatalf("err = %v", err)
		}
	})
}
