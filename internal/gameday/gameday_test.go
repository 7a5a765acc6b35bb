package gameday

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestScenariosValid(t *testing.T) {
	t.Parallel()
	for _, s := range Scenarios() {
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
		for _, st := range s.Steps {
			if st.Inject != nil {
				if err := (&st).Inject.Validate(); err != nil && !strings.Contains(err.Error(), "needs a") {
					t.Errorf("scenario %s: fault: %v", s.Name, err)
				}
			}
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "bad-task, blip, load-step, remediation-fails") {
		t.Errorf("Lookup(nope) = %v", err)
	}
}

func TestDetection(t *testing.T) {
	t.Parallel()
	f := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	m := func(n int) time.Time { return f.Add(time.Duration(n) * time.Minute) }
	tests := []struct {
		name          string
		tr            []Transition
		detect        string
		ttd, ttr      time.Duration
		detected, rec bool
	}{
		{"alarm then ok", []Transition{{At: m(2), Alarm: "app-alb-target-5xx", From: "OK", To: "ALARM"}, {At: m(7), Alarm: "app-alb-target-5xx", From: "ALARM", To: "OK"}},
			"alb-target-5xx", 2 * time.Minute, 7 * time.Minute, true, true},
		{"before the fault does not count", []Transition{{At: m(-1), Alarm: "app-alb-target-5xx", To: "ALARM"}, {At: m(0).Add(-time.Second), Alarm: "app-alb-target-5xx", To: "OK"}},
			"alb-target-5xx", 0, 0, false, false},
		{"other alarms do not count", []Transition{{At: m(1), Alarm: "app-ecs-cpu-high", To: "ALARM"}},
			"alb-target-5xx", 0, 0, false, false},
		{"target tracking alarm by kind", []Transition{{At: m(8), Alarm: "TargetTracking-service/c/s-AlarmHigh-0b1c", To: "ALARM"}, {At: m(9), Alarm: "TargetTracking-service/c/s-AlarmHigh-0b1c", To: "OK"}},
			"AlarmHigh", 8 * time.Minute, 9 * time.Minute, true, true},
		{"detected, not recovered", []Transition{{At: m(2), Alarm: "x-alb-target-5xx", To: "ALARM"}},
			"alb-target-5xx", 2 * time.Minute, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{FaultAt: f, Transitions: tt.tr}
			r.detection(tt.detect)
			d, ok := r.TimeToDetect()
			if ok != tt.detected || d != tt.ttd {
				t.Errorf("time to detect = %v %v, want %v %v", d, ok, tt.ttd, tt.detected)
			}
			d, ok = r.TimeToRecover()
			if ok != tt.rec || d != tt.ttr {
				t.Errorf("time to recover = %v %v, want %v %v", d, ok, tt.ttr, tt.rec)
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	f := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	r := &Report{Scenario: "blip", Start: f.Add(-3 * time.Minute), FaultAt: f, End: f.Add(6 * time.Minute), Faults: []string{"5xx-burst"},
		Pages: []Page{}, Transitions: []Transition{}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["scenario"] != "blip" || got["time_to_detect_seconds"] != nil || len(got["timeline"].([]any)) != 1 {
		t.Errorf("JSON = %s", b)
	}
	if !strings.Contains(r.Text(), "Time to detect:  not detected") {
		t.Errorf("text:\n%s", r.Text())
	}
}
