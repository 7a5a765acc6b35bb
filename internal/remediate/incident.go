package remediate

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// IncidentSchema versions the Incident record. A change that renames or
// re-types a field gets a new version; new optional fields do not.
const IncidentSchema = "vigil.incident/v1"

// IncidentMessage is the slog message of every incident line; the record
// sits under the IncidentKey attribute.
const (
	IncidentMessage = "incident"
	IncidentKey     = "incident"
)

// Action is what the remediator considered doing.
type Action string

// Actions.
const (
	// ActionIgnore: the invocation needs nothing (not ALARM, another
	// system's alarm, a stale or recovered episode). Outcome skipped.
	ActionIgnore Action = "ignore"
	// ActionStopTask: replace a task. Outcome done, failed, held (the rate
	// limit kept it) or duplicate (already done for this episode).
	ActionStopTask Action = "stop-task"
	// ActionWait: the last stop is still being given time to work.
	// Outcome skipped.
	ActionWait Action = "wait"
	// ActionEscalate: page a person through the pager topic. Outcome done,
	// failed or duplicate (this episode was escalated before).
	ActionEscalate Action = "escalate"
	// ActionConfig: the function's environment is wrong. Outcome failed.
	ActionConfig Action = "config"
)

// Outcome is what came of an Action.
type Outcome string

// Outcomes.
const (
	OutcomeDone      Outcome = "done"
	OutcomeFailed    Outcome = "failed"
	OutcomeSkipped   Outcome = "skipped"
	OutcomeHeld      Outcome = "held"
	OutcomeDuplicate Outcome = "duplicate"
)

// Incident is one remediation action, logged as one JSON line:
//
//	{"time":"…","level":"INFO","msg":"incident","incident":{"schema":"vigil.incident/v1",
//	 "time":"2026-05-01T10:00:07Z","alarm":"vigil-prod-app-5xx","episode":"20260501T100000Z",
//	 "action":"stop-task","target":"arn:aws:ecs:…:task/main/3f…","outcome":"done",
//	 "detail":"target 10.40.1.17:8080 unhealthy (Target.ResponseCodeMismatch)","attempt":1,
//	 "cluster":"main","service":"app"}}
//
// Alarm + Episode identify an incident; its records, in time order, are
// what happened. An episode with an escalate/done record is one a person
// had to handle: vigil shows it as a backlog item (M17), to encode the fix.
type Incident struct {
	Schema  string    `json:"schema"`
	Time    time.Time `json:"time"`
	Alarm   string    `json:"alarm,omitempty"`
	Episode string    `json:"episode,omitempty"`
	Action  Action    `json:"action"`
	// Target is what the action was on: a task ARN for stop-task, the
	// pager topic ARN for escalate.
	Target  string  `json:"target,omitempty"`
	Outcome Outcome `json:"outcome"`
	// Detail says why, in words for a person.
	Detail string `json:"detail,omitempty"`
	// Attempt numbers stops within the episode (1 for the first).
	Attempt int    `json:"attempt,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	Service string `json:"service,omitempty"`
	Runbook string `json:"runbook,omitempty"`
	// Trigger is what invoked the function: "event" or "sweep".
	Trigger string `json:"trigger,omitempty"`
}

// level is the log level of a record: failures are errors, escalations
// warnings, the rest information.
func (in Incident) level() slog.Level {
	switch {
	case in.Outcome == OutcomeFailed:
		return slog.LevelError
	case in.Action == ActionEscalate && in.Outcome == OutcomeDone:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// LogIncident writes the record as one line through the logger.
func LogIncident(ctx context.Context, log *slog.Logger, in Incident) {
	in.Schema = IncidentSchema
	if in.Time.IsZero() {
		in.Time = time.Now()
	}
	in.Time = in.Time.UTC()
	log.Log(ctx, in.level(), IncidentMessage, slog.Any(IncidentKey, in))
}

// ParseIncident reads an Incident from a JSON log line; ok is false for a
// line that is not an incident record.
func ParseIncident(line []byte) (Incident, bool) {
	var l struct {
		Msg      string    `json:"msg"`
		Incident *Incident `json:"incident"`
	}
	if err := json.Unmarshal(line, &l); err != nil || l.Msg != IncidentMessage || l.Incident == nil || l.Incident.Schema != IncidentSchema {
		return Incident{}, false
	}
	return *l.Incident, true
}
