package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestIncidentLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	at := time.Date(2026, 5, 1, 10, 0, 7, 0, time.FixedZone("x", 3600))
	in := Incident{Time: at, Alarm: "vigil-prod-app-5xx", Episode: "20260501T090000Z", Action: ActionStopTask, Target: "arn:task/1",
		Outcome: OutcomeDone, Detail: "replaced", Attempt: 1, Cluster: "main", Service: "app", Trigger: "event"}
	LogIncident(context.Background(), log, in)
	LogIncident(context.Background(), log, Incident{Action: ActionEscalate, Outcome: OutcomeFailed})
	LogIncident(context.Background(), log, Incident{Action: ActionEscalate, Outcome: OutcomeDone})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines = %q", lines)
	}
	// The stable shape: exactly these keys, in the incident object.
	var raw struct {
		Level    string         `json:"level"`
		Msg      string         `json:"msg"`
		Incident map[string]any `json:"incident"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &raw); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"schema", "time", "alarm", "episode", "action", "target", "outcome", "detail", "attempt", "cluster", "service", "trigger"}
	if raw.Msg != "incident" || raw.Level != "INFO" || len(raw.Incident) != len(wantKeys) {
		t.Errorf("line = %s", lines[0])
	}
	for _, k := range wantKeys {
		if _, ok := raw.Incident[k]; !ok {
			t.Errorf("incident lacks %q: %s", k, lines[0])
		}
	}
	if raw.Incident["time"] != "2026-05-01T09:00:07Z" || raw.Incident["schema"] != IncidentSchema {
		t.Errorf("time/schema = %v %v", raw.Incident["time"], raw.Incident["schema"])
	}
	got, ok := ParseIncident([]byte(lines[0]))
	in.Schema, in.Time = IncidentSchema, at.UTC()
	if !ok || got != in {
		t.Errorf("ParseIncident = %+v, %v\nwant %+v", got, ok, in)
	}
	if !strings.Contains(lines[1], `"level":"ERROR"`) || !strings.Contains(lines[2], `"level":"WARN"`) {
		t.Errorf("levels: %s / %s", lines[1], lines[2])
	}
	for _, l := range []string{`{"msg":"other"}`, `not json`, `{"msg":"incident","incident":{"schema":"v0"}}`} {
		if _, ok := ParseIncident([]byte(l)); ok {
			t.Errorf("ParseIncident(%s) = ok", l)
		}
	}
}
