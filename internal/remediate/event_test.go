package remediate

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// alarmEvent is the documented shape of a "CloudWatch Alarm State Change"
// event (aws-semantics.md §1).
const alarmEvent = `{
  "version": "0",
  "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
  "detail-type": "CloudWatch Alarm State Change",
  "source": "aws.cloudwatch",
  "account": "123456789012",
  "time": "2019-10-02T17:04:40Z",
  "region": "us-east-1",
  "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:vigil-prod-app-5xx"],
  "detail": {
    "alarmName": "vigil-prod-app-5xx",
    "state": {
      "value": "ALARM",
      "reason": "Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (25.0).",
      "reasonData": "{\"version\":\"1.0\"}",
      "timestamp": "2019-10-02T17:04:40.985+0000"
    },
    "previousState": {"value": "OK", "reason": "", "timestamp": "2019-10-02T17:00:00.000+0000"},
    "configuration": {
      "description": "ALB 5xx. Runbook: https://example.com/runbooks/5xx.md",
      "metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/ApplicationELB", "name": "HTTPCode_Target_5XX_Count", "dimensions": {"LoadBalancer": "app/x/1"}}, "period": 60, "stat": "Sum"}, "returnData": true}]
    }
  }
}`

func TestParseAlarmEvent(t *testing.T) {
	t.Parallel()
	ev, err := ParseEvent([]byte(alarmEvent))
	if err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != DetailTypeAlarmStateChange || ev.Source != SourceCloudWatch || ev.ID == "" || len(ev.Resources) != 1 {
		t.Errorf("event = %+v", ev)
	}
	d, err := ev.AlarmChange()
	if err != nil {
		t.Fatal(err)
	}
	if d.AlarmName != "vigil-prod-app-5xx" || d.State.Value != StateAlarm || d.PreviousState.Value != StateOK ||
		RunbookFromDescription(d.Configuration.Description) != "https://example.com/runbooks/5xx.md" {
		t.Errorf("detail = %+v", d)
	}
	at, err := ParseTimestamp(d.State.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2019, 10, 2, 17, 4, 40, 985e6, time.UTC); !at.Equal(want) {
		t.Errorf("timestamp = %v, want %v", at, want)
	}
	if got := Episode(at); got != "20191002T170440Z" {
		t.Errorf("episode = %s", got)
	}
	if _, err := ParseEvent([]byte("not json")); err == nil {
		t.Error("ParseEvent accepted garbage")
	}
	if _, err := (Event{ID: "x", Detail: []byte(`{"state":{}}`)}).AlarmChange(); err == nil || !strings.Contains(err.Error(), "alarmName") {
		t.Errorf("AlarmChange without a name: %v", err)
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 5, 1, 10, 0, 7, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"2026-05-01T10:00:07.000+0000", want, false},
		{"2026-05-01T12:00:07.000+0200", want, false},
		{"2026-05-01T10:00:07+0000", want, false},
		{"2026-05-01T10:00:07Z", want, false},
		{"2026-05-01T10:00:07.123456789Z", want.Add(123456789), false},
		{"yesterday", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("ParseTimestamp(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestEpisode(t *testing.T) {
	t.Parallel()
	// The event's milliseconds and DescribeAlarms' precision give one id.
	a := time.Date(2026, 5, 1, 10, 0, 7, 985e6, time.UTC)
	b := time.Date(2026, 5, 1, 12, 0, 7, 0, time.FixedZone("x", 2*3600))
	if Episode(a) != Episode(b) || Episode(a) != "20260501T100007Z" {
		t.Errorf("Episode = %s, %s", Episode(a), Episode(b))
	}
	back, err := EpisodeTime(Episode(a))
	if err != nil || !back.Equal(a.Truncate(time.Second)) {
		t.Errorf("EpisodeTime = %v, %v", back, err)
	}
	if _, err := EpisodeTime("2026-05-01"); err == nil {
		t.Error("EpisodeTime accepted a date")
	}
	if EpisodeKey("a", "b") == EpisodeKey("a", "c") || len(EpisodeKey("a", "b")) != 12 {
		t.Error("EpisodeKey is not a 12-hex digest per (alarm, episode)")
	}
}

func TestStopReason(t *testing.T) {
	t.Parallel()
	ep := "20260501T100007Z"
	long := strings.Repeat("é", 200) // 400 bytes: the reason must be cut
	tests := []struct {
		name, alarm, why string
	}{
		{"short", "vigil-prod-app-5xx", "target 10.0.0.1:8080 unhealthy (Target.ResponseCodeMismatch)"},
		{"long alarm name", "vigil-prod-" + long, "target 10.0.0.1:8080 unhealthy"},
		{"long why", "vigil-prod-app-5xx", long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := StopReason(tt.alarm, ep, tt.why)
			if len(r) > 255 || !utf8.ValidString(r) || !strings.HasPrefix(r, "vigil-remediator: episode="+ep+" key=") {
				t.Errorf("StopReason = %q (%d bytes)", r, len(r))
			}
			if !IsStopFor(r, tt.alarm, ep) {
				t.Errorf("IsStopFor(own reason) = false: %q", r)
			}
			if IsStopFor(r, tt.alarm, "20260501T100008Z") || IsStopFor(r, tt.alarm+"x", ep) {
				t.Errorf("IsStopFor matches another episode or alarm: %q", r)
			}
		})
	}
	if !strings.Contains(StopReason("a-b-c", ep, "why"), "alarm=a-b-c why=why") {
		t.Error("the reason does not name the alarm")
	}
}
