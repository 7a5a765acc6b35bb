package cli

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/drift/drifttest"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/review"
)

func TestNewCmdDrift(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    DriftOptions
		wantErr string
	}{
		{name: "defaults", args: "", want: DriftOptions{Parallelism: runtime.NumCPU()}},
		{name: "all flags", args: "--env dev --stack workload --stack observability --json --parallelism 3 --target aws",
			want: DriftOptions{Env: "dev", Stacks: []string{"workload", "observability"}, JSON: true, Parallelism: 3, TargetOverride: "aws"}},
		{name: "short flags", args: "-e prod -s prod/foundation -p 1", want: DriftOptions{Env: "prod", Stacks: []string{"prod/foundation"}, Parallelism: 1}},
		{name: "zero parallelism", args: "-p 0", wantErr: "--parallelism must be at least 1, got 0"},
		{name: "bad target", args: "--target gcp", wantErr: `--target must be "sandbox" or "aws", got "gcp"`},
		{name: "no arguments", args: "dev", wantErr: `unknown command "dev" for "drift"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, Config: fixtureConfig(t, "basic"), Terraform: noTerraform}
			var got *DriftOptions
			cmd := NewCmdDrift(f, func(_ context.Context, o *DriftOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Check == nil || got.Config == nil || got.Terraform == nil {
				t.Error("dependencies not wired")
			}
			got.IO, got.Config, got.Terraform, got.Check = nil, nil, nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// fakeDrift answers drift.Check with the report built for the environment
// (clean stacks when none is given), reporting progress like Check.
func fakeDrift(reports map[string]func(p drift.Params) *drift.Report, errs map[string]error) func(context.Context, drift.Params) (*drift.Report, error) {
	return func(_ context.Context, p drift.Params) (*drift.Report, error) {
		if err := errs[p.Env]; err != nil {
			return nil, err
		}
		var rep *drift.Report
		if mk, ok := reports[p.Env]; ok {
			rep = mk(p)
		} else {
			rep = cleanReport(p)
		}
		for _, s := range rep.Stacks {
			p.Progress(drift.Event{Stack: s.Stack})
			p.Progress(drift.Event{Stack: s.Stack, Done: true, Result: s})
		}
		return rep, nil
	}
}

func cleanReport(p drift.Params) *drift.Report {
	rep := &drift.Report{Env: p.Env, StartedAt: time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC), Duration: 4200 * time.Millisecond,
		Unmanaged: drift.Unmanaged{Checked: len(p.Stacks) == 0, Tags: map[string]string{"vigil:env": p.Env, "managed-by": "vigil"}, Kinds: []string{"aws_sns_topic", "aws_cloudwatch_metric_alarm"}, Findings: []drift.Finding{}}}
	if len(p.Stacks) > 0 {
		rep.Unmanaged.Skipped = "only some stacks were checked; listing unmanaged resources needs the state of every stack of the environment"
		rep.Unmanaged.Kinds = nil
	}
	for _, s := range p.Graph.Env(p.Env) {
		if len(p.Stacks) > 0 && !contains(p.Stacks, s.ID()) {
			continue
		}
		rep.Stacks = append(rep.Stacks, &drift.StackReport{Stack: s.ID(), Path: s.Path, Status: drift.StatusClean, Drift: []drift.Finding{}, Pending: []drift.Finding{}, Duration: 2 * time.Second})
	}
	return rep
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fp stamps a finding like drift.Check does.
func fp(f drift.Finding) drift.Finding {
	f.Fingerprint = drift.Fingerprint(f.Env, f.Stack, f.Address, f.Kind, f.Attribute)
	return f
}

// driftedDev has every kind of finding in dev/observability and
// dev/workload, and one unmanaged topic.
func driftedDev(p drift.Params) *drift.Report {
	rep := cleanReport(p)
	for _, s := range rep.Stacks {
		switch s.Stack {
		case "dev/observability":
			s.Status = drift.StatusDrifted
			s.Drift = []drift.Finding{
				fp(drift.Finding{Kind: drift.KindDeleted, Env: "dev", Stack: s.Stack, Address: "module.observability.aws_cloudwatch_metric_alarm.alarm[\"latency\"]", Type: "aws_cloudwatch_metric_alarm", Before: `"dev-app-latency"`}),
				fp(drift.Finding{Kind: drift.KindChanged, Env: "dev", Stack: s.Stack, Address: "module.observability.aws_cloudwatch_metric_alarm.alarm[\"target_5xx\"]", Type: "aws_cloudwatch_metric_alarm", Attribute: "evaluation_periods", Before: "3", After: "1"}),
				fp(drift.Finding{Kind: drift.KindChanged, Env: "dev", Stack: s.Stack, Address: "module.observability.aws_cloudwatch_metric_alarm.alarm[\"target_5xx\"]", Type: "aws_cloudwatch_metric_alarm", Attribute: "threshold", Before: "25", After: "50"}),
				fp(drift.Finding{Kind: drift.KindChanged, Env: "dev", Stack: s.Stack, Address: "module.observability.aws_sns_topic.pager", Type: "aws_sns_topic", Attribute: "kms_master_key_id", Before: review.Masked, After: review.MaskedChanged}),
			}
			s.Pending = []drift.Finding{
				fp(drift.Finding{Kind: drift.KindPending, Env: "dev", Stack: s.Stack, Address: "module.observability.aws_cloudwatch_metric_alarm.alarm[\"target_5xx\"]", Type: "aws_cloudwatch_metric_alarm", Action: "update",
					Attrs: []drift.Attr{{Path: "alarm_description", Before: `"5xx above 25"`, After: `"5xx above 25; runbook: target_5xx.md"`}}}),
				fp(drift.Finding{Kind: drift.KindPending, Env: "dev", Stack: s.Stack, Address: "module.observability.aws_sns_topic.audit", Type: "aws_sns_topic", Action: "create"}),
			}
		case "dev/workload":
			s.Status = drift.StatusClean
			s.Drift = []drift.Finding{
				fp(drift.Finding{Kind: drift.KindChanged, Env: "dev", Stack: s.Stack, Address: "module.workload.aws_ecs_service.app", Type: "aws_ecs_service", Attribute: "desired_count", Before: "3", After: "7",
					Ignored: &drift.Ignored{Reason: "Application Auto Scaling owns the task count", Rule: "aws_ecs_service.* desired_count", Scope: "global"}}),
			}
		}
	}
	rep.Unmanaged.Findings = []drift.Finding{
		fp(drift.Finding{Kind: drift.KindUnmanaged, Env: "dev", Address: "arn:aws:sns:us-east-1:123456789012:rogue", Type: "aws_sns_topic", ID: "arn:aws:sns:us-east-1:123456789012:rogue"}),
	}
	return rep
}

func pendingOnly(p drift.Params) *drift.Report {
	rep := cleanReport(p)
	rep.Stacks[0].Pending = []drift.Finding{fp(drift.Finding{Kind: drift.KindPending, Env: p.Env, Stack: rep.Stacks[0].Stack, Address: "aws_sns_topic.audit", Type: "aws_sns_topic", Action: "create"})}
	return rep
}

func stackError(p drift.Params) *drift.Report {
	rep := driftedDev(p)
	rep.Stacks[0].Status = drift.StatusError
	rep.Stacks[0].Error = "state of live/dev/foundation: terraform plan failed: Error: No valid credential sources found\nPlease see https://developer.hashicorp.com/terraform/language/backend/s3"
	rep.Unmanaged = drift.Unmanaged{Tags: rep.Unmanaged.Tags, Findings: []drift.Finding{}, Skipped: "stack dev/foundation could not be checked; listing unmanaged resources needs the state of every stack of the environment"}
	return rep
}

func TestDriftRun(t *testing.T) {
	tests := []struct {
		name    string
		opts    DriftOptions
		tty     bool
		reports map[string]func(drift.Params) *drift.Report
		errs    map[string]error
		wantErr error
		wantMsg string
	}{
		{name: "clean"},
		{name: "drifted", opts: DriftOptions{Env: "dev"}, reports: map[string]func(drift.Params) *drift.Report{"dev": driftedDev}, wantErr: ErrChanges},
		{name: "drifted-json", opts: DriftOptions{Env: "dev", JSON: true}, reports: map[string]func(drift.Params) *drift.Report{"dev": driftedDev}, wantErr: ErrChanges},
		{name: "pending-only", opts: DriftOptions{Env: "dev"}, reports: map[string]func(drift.Params) *drift.Report{"dev": pendingOnly}},
		{name: "stack-error", opts: DriftOptions{Env: "dev"}, reports: map[string]func(drift.Params) *drift.Report{"dev": stackError}, wantErr: ErrFindings},
		{name: "env-error", errs: map[string]error{"prod": errors.New("environment prod targets aws: no AWS credentials")}, wantErr: ErrFindings},
		{name: "one-stack", opts: DriftOptions{Stacks: []string{"prod/workload"}}, tty: true},
		{name: "layer without env", opts: DriftOptions{Stacks: []string{"workload"}}, wantMsg: `--stack "workload" names a layer: add --env`},
		{name: "stack of another env", opts: DriftOptions{Env: "dev", Stacks: []string{"prod/workload"}}, wantMsg: `--stack "prod/workload" is not in --env dev`},
		{name: "unknown env", opts: DriftOptions{Env: "qa"}, wantMsg: `unknown environment "qa"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStderrTTY(tt.tty)
			opts := tt.opts
			opts.IO = ios
			opts.Config = fixtureConfig(t, "basic")
			opts.Terraform = noTerraform
			opts.Check = fakeDrift(tt.reports, tt.errs)
			opts.Parallelism = 2
			err := driftRun(context.Background(), &opts)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("driftRun() error = %v, want %q", err, tt.wantMsg)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("driftRun() error = %v, want %v", err, tt.wantErr)
			}
			name := strings.ReplaceAll(tt.name, " ", "-")
			assertGolden(t, "drift", name, out.String())
			assertGolden(t, "drift", name+".stderr", errOut.String())
		})
	}
}

// TestDriftE2E: `vigil drift` against the sandbox: exit 0 after apply,
// exit 2 once an alarm threshold changed out of band, naming the
// environment, stack, address, attribute and 25 → 50.
func TestDriftE2E(t *testing.T) {
	f := drifttest.New(t)
	e2eEnv(t)
	t.Setenv("VIGIL_SANDBOX_DATA_DIR", f.Sandbox.Dir)

	code, out, errOut := runVigil(t, "-C", f.Root, "drift")
	if code != 0 {
		t.Fatalf("vigil drift after apply = %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "test: no drift. 2 stacks checked") {
		t.Errorf("stdout:\n%s", out)
	}

	f.SetAlarmThreshold(t, "test-errors", 50)
	code, out, errOut = runVigil(t, "-C", f.Root, "drift", "--env", "test")
	if code != 2 {
		t.Fatalf("vigil drift after the change = %d, want 2\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"test/alerts  drifted\n  ~ aws_cloudwatch_metric_alarm.errors  changed out of band\n      threshold: 25 → 50\n",
		"test/watch  clean\n",
		"test: drift found: 1 attribute changed on 1 resource.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout:\n%s\nwant it to contain:\n%s", out, want)
		}
	}

	code, out, errOut = runVigil(t, "-C", f.Root, "drift", "--stack", "test/watch", "--json")
	if code != 0 || !strings.Contains(out, `"drifted": false`) || !strings.Contains(out, `"stack": "test/watch"`) {
		t.Fatalf("vigil drift --stack test/watch --json = %d\n%s\n%s", code, out, errOut)
	}
}
