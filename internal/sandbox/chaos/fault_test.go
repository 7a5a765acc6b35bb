package chaos

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	min := Duration(time.Minute)
	tests := []struct {
		name    string
		f       Fault
		wantErr string
	}{
		{"unhealthy", Fault{Kind: KindUnhealthy, Service: "s", Count: 2}, ""},
		{"unhealthy task", Fault{Kind: KindUnhealthy, Service: "s", Task: "abc", HealthCheck: "pass"}, ""},
		{"5xx lb", Fault{Kind: Kind5xxBurst, LoadBalancer: "web", Percent: 30, Duration: min}, ""},
		{"latency service", Fault{Kind: KindLatency, Service: "s", Latency: Duration(time.Second)}, ""},
		{"load", Fault{Kind: KindLoad, Service: "s", Steps: []Step{{CPU: 40, For: min}, {CPU: 90}}}, ""},
		{"az", Fault{Kind: KindAZOutage, AZ: "eu-west-3c"}, ""},
		{"start failure", Fault{Kind: KindStartFailure, Service: "s", TaskDefinition: "app:2"}, ""},
		{"no kind", Fault{}, "kind is required"},
		{"bad kind", Fault{Kind: "fire"}, "unknown kind"},
		{"sandbox fields", Fault{Kind: KindAZOutage, AZ: "us-east-1a", ID: "x"}, "set by the sandbox"},
		{"negative delay", Fault{Kind: KindAZOutage, AZ: "us-east-1a", Delay: -min}, "between 0"},
		{"too long", Fault{Kind: KindAZOutage, AZ: "us-east-1a", Duration: Duration(40 * 24 * time.Hour)}, "between 0"},
		{"count and task", Fault{Kind: KindUnhealthy, Service: "s", Count: 1, Task: "t"}, "not both"},
		{"bad health check", Fault{Kind: KindUnhealthy, Service: "s", HealthCheck: "maybe"}, "health_check"},
		{"unhealthy with percent", Fault{Kind: KindUnhealthy, Service: "s", Percent: 5}, "percent does not apply"},
		{"5xx both targets", Fault{Kind: Kind5xxBurst, Service: "s", LoadBalancer: "l", Percent: 5}, "one of them"},
		{"5xx no percent", Fault{Kind: Kind5xxBurst, LoadBalancer: "l"}, "percent"},
		{"5xx percent over", Fault{Kind: Kind5xxBurst, LoadBalancer: "l", Percent: 101}, "percent"},
		{"latency none", Fault{Kind: KindLatency, LoadBalancer: "l"}, "needs latency"},
		{"latency huge", Fault{Kind: KindLatency, LoadBalancer: "l", Latency: Duration(time.Hour)}, "needs latency"},
		{"load no steps", Fault{Kind: KindLoad, Service: "s"}, "steps"},
		{"load open middle", Fault{Kind: KindLoad, Service: "s", Steps: []Step{{CPU: 40}, {CPU: 50}}}, "positive"},
		{"load negative cpu", Fault{Kind: KindLoad, Service: "s", Steps: []Step{{CPU: -1}}}, "cpu must be"},
		{"az name", Fault{Kind: KindAZOutage, AZ: "zone-a"}, "Availability Zone name"},
		{"az with service", Fault{Kind: KindAZOutage, AZ: "us-east-1a", Service: "s"}, "service does not apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.f.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestScheduleAndProfile(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := Fault{Kind: KindLoad, Steps: []Step{{CPU: 40, For: Duration(10 * time.Minute)}, {CPU: 90, For: Duration(20 * time.Minute)}, {CPU: 30}},
		Delay: Duration(time.Minute)}
	f.Schedule(now)
	if !f.Start.Equal(now.Add(time.Minute)) || f.End != nil {
		t.Fatalf("scheduled %v → %v", f.Start, f.End)
	}
	for _, tt := range []struct {
		at   time.Duration
		cpu  float64
		ok   bool
		stat string
	}{
		{0, 0, false, "scheduled"}, {time.Minute, 40, true, "active"}, {10*time.Minute + 59*time.Second, 40, true, "active"},
		{11 * time.Minute, 90, true, "active"}, {31 * time.Minute, 30, true, "active"}, {50 * time.Hour, 30, true, "active"},
	} {
		cpu, ok := f.CPUAt(now.Add(tt.at))
		if cpu != tt.cpu || ok != tt.ok || f.Status(now.Add(tt.at)) != tt.stat {
			t.Errorf("at +%s: cpu %v %v %s, want %v %v %s", tt.at, cpu, ok, f.Status(now.Add(tt.at)), tt.cpu, tt.ok, tt.stat)
		}
	}
	// A profile whose steps all end ends with its last step.
	g := Fault{Kind: KindLoad, Steps: []Step{{CPU: 90, For: Duration(5 * time.Minute)}}, Duration: Duration(time.Hour)}
	g.Schedule(now)
	if g.End == nil || !g.End.Equal(now.Add(5*time.Minute)) || g.ActiveAt(now.Add(5*time.Minute)) {
		t.Errorf("closed profile ends %v", g.End)
	}
}

func TestDurationJSON(t *testing.T) {
	t.Parallel()
	var f Fault
	if err := json.Unmarshal([]byte(`{"kind":"latency","latency":"1.5s","duration":"1h"}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.Latency.D() != 1500*time.Millisecond || f.Duration.D() != time.Hour {
		t.Errorf("decoded %+v", f)
	}
	b, _ := json.Marshal(Fault{Kind: KindLatency, Latency: Duration(2 * time.Second)})
	if !strings.Contains(string(b), `"latency":"2s"`) || strings.Contains(string(b), "delay") {
		t.Errorf("encoded %s", b)
	}
	for _, bad := range []string{`{"latency":5}`, `{"latency":"soon"}`} {
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}
