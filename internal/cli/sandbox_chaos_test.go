package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/sandbox/workload"
)

func TestNewCmdSandboxChaos(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    SandboxChaosOptions
		wantErr string
	}{
		{"list", "list --json", SandboxChaosOptions{Action: "list", JSON: true}, ""},
		{"clear all", "clear", SandboxChaosOptions{Action: "clear"}, ""},
		{"clear one", "clear fault-1", SandboxChaosOptions{Action: "clear", ID: "fault-1"}, ""},
		{"add", "add f.json", SandboxChaosOptions{Action: "add", File: "f.json"}, ""},
		{"unhealthy", "unhealthy --cluster c --service s --count 2 --health-check pass --duration 10m",
			SandboxChaosOptions{Action: "unhealthy", Fault: chaos.Fault{Kind: "unhealthy", Cluster: "c", Service: "s", Count: 2, HealthCheck: "pass", Duration: chaos.Duration(10 * time.Minute)}}, ""},
		{"5xx burst", "5xx-burst --load-balancer web --percent 30 --delay 1m --duration 5m",
			SandboxChaosOptions{Action: "5xx-burst", Fault: chaos.Fault{Kind: "5xx-burst", LoadBalancer: "web", Percent: 30, Delay: chaos.Duration(time.Minute), Duration: chaos.Duration(5 * time.Minute)}}, ""},
		{"latency", "latency --service s --latency 2s",
			SandboxChaosOptions{Action: "latency", Fault: chaos.Fault{Kind: "latency", Service: "s", Latency: chaos.Duration(2 * time.Second)}}, ""},
		{"load", "load --service s --steps 40:10m,90:20m,30 --reference-tasks 3",
			SandboxChaosOptions{Action: "load", Fault: chaos.Fault{Kind: "load", Service: "s", ReferenceTasks: 3,
				Steps: []chaos.Step{{CPU: 40, For: chaos.Duration(10 * time.Minute)}, {CPU: 90, For: chaos.Duration(20 * time.Minute)}, {CPU: 30}}}}, ""},
		{"az outage", "az-outage --az us-east-1b", SandboxChaosOptions{Action: "az-outage", Fault: chaos.Fault{Kind: "az-outage", AZ: "us-east-1b"}}, ""},
		{"start failure", "start-failure --service s --task-definition app:2",
			SandboxChaosOptions{Action: "start-failure", Fault: chaos.Fault{Kind: "start-failure", Service: "s", TaskDefinition: "app:2"}}, ""},
		{"unknown kind", "meteor", SandboxChaosOptions{}, `unknown kind "meteor"`},
		{"missing service", "unhealthy --count 1", SandboxChaosOptions{}, "needs a service"},
		{"bad steps", "load --service s --steps high", SandboxChaosOptions{}, "is not CPU:DURATION"},
		{"bad duration", "unhealthy --service s --duration soon", SandboxChaosOptions{}, `duration "soon" is not like`},
		{"flag of another kind", "az-outage --az us-east-1a --percent 5", SandboxChaosOptions{}, "does not apply"},
		{"flags with list", "list --service s", SandboxChaosOptions{}, "go with a fault kind"},
		{"add without file", "add", SandboxChaosOptions{}, "needs a JSON file"},
		{"kind with a value", "unhealthy x --service s", SandboxChaosOptions{}, "takes flags"},
		{"nothing", "", SandboxChaosOptions{}, "accepts between 1 and 2 arg(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			var got *SandboxChaosOptions
			cmd := NewCmdSandboxChaos(&Factory{IOStreams: ios}, func(_ context.Context, o *SandboxChaosOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Action != tt.want.Action || got.ID != tt.want.ID || got.File != tt.want.File || got.JSON != tt.want.JSON ||
				!sameFault(got.Fault, tt.want.Fault) {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func sameFault(a, b chaos.Fault) bool {
	if len(a.Steps) != len(b.Steps) {
		return false
	}
	for i := range a.Steps {
		if a.Steps[i] != b.Steps[i] {
			return false
		}
	}
	a.Steps, b.Steps = nil, nil
	return a.Kind == b.Kind && a.Cluster == b.Cluster && a.Service == b.Service && a.LoadBalancer == b.LoadBalancer &&
		a.Count == b.Count && a.Task == b.Task && a.HealthCheck == b.HealthCheck && a.Percent == b.Percent &&
		a.Latency == b.Latency && a.ReferenceTasks == b.ReferenceTasks && a.AZ == b.AZ && a.TaskDefinition == b.TaskDefinition &&
		a.Delay == b.Delay && a.Duration == b.Duration
}

var faultIDRE = regexp.MustCompile(`fault-[0-9a-f]{12}`)

func TestSandboxChaosRun(t *testing.T) {
	srv, dir := stoppedSandbox(t)
	noRepo := func() (*config.Config, error) { return nil, config.ErrNotFound }
	steps := []struct {
		name string
		opts SandboxChaosOptions
	}{
		{"add", SandboxChaosOptions{Action: "az-outage", Addr: srv.URL(), Fault: chaos.Fault{Kind: "az-outage", AZ: "us-east-1a", Duration: chaos.Duration(15 * time.Minute)}}},
		{"list", SandboxChaosOptions{Action: "list", DataDir: dir}},
		{"clear", SandboxChaosOptions{Action: "clear", DataDir: dir}},
		{"list-json", SandboxChaosOptions{Action: "list", DataDir: dir, JSON: true}},
	}
	for _, st := range steps {
		ios, _, out, _ := iostreams.Test()
		opts := st.opts
		opts.IO, opts.Config = ios, noRepo
		if err := sandboxChaosRun(context.Background(), &opts); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		assertGolden(t, "sandbox-chaos", st.name, faultIDRE.ReplaceAllString(out.String(), "fault-ID"))
	}
	ios, _, _, _ := iostreams.Test()
	err := sandboxChaosRun(context.Background(), &SandboxChaosOptions{IO: ios, Config: noRepo, Addr: srv.URL(), Action: "unhealthy",
		Fault: chaos.Fault{Kind: "unhealthy", Service: "nope"}})
	if err == nil || !strings.Contains(err.Error(), `no ACTIVE ECS service "nope"`) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestSandboxWorkloadRun(t *testing.T) {
	srv, _ := stoppedSandbox(t)
	noRepo := func() (*config.Config, error) { return nil, config.ErrNotFound }
	ios, _, out, errOut := iostreams.Test()
	rpm := 300.0
	opts := SandboxWorkloadOptions{IO: ios, Config: noRepo, Addr: srv.URL(), Update: &workload.SettingsUpdate{RequestsPerMinute: &rpm}}
	if err := sandboxWorkloadRun(context.Background(), &opts); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "sandbox-workload", "empty", errOut.String()+out.String())
}
