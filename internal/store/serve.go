package store

import (
	"context"
	"encoding/json"
	"time"
)

// This file is the part of the contract vigil serve writes and the API,
// the dashboard and `vigil backlog` read: alert dedupe state and delivery
// attempts, drift reports, canary results and threshold state, stack
// status and incidents. Like the rest of the contract it is driver-neutral:
// times are UTC truncated to microseconds, JSON is stored as given
// (callers mask secrets before it arrives), lists are newest first and
// ties break on the id, descending.

// AlertState is the dispatcher's memory of one alert key (package alert's
// State, stored as JSON so the store does not import alert). It is what
// makes "one firing notification until it resolves" hold across restarts.
type AlertState struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	Env  string `json:"env,omitempty"`
	// Firing is whether the key fires (a copy of the JSON's, for queries).
	Firing bool `json:"firing"`
	// State is the alert.State as JSON.
	State     json.RawMessage `json:"state"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// AlertStatePutParams creates or replaces the state of State.Key.
type AlertStatePutParams struct {
	State AlertState // UpdatedAt is set by the store
}

// AlertDelivery is one delivery attempt of one notification to one
// receiver (package alert's Attempt). Error never holds secrets: the
// dispatcher redacts them before recording.
type AlertDelivery struct {
	ID          int64         `json:"id"`
	At          time.Time     `json:"at"`
	Key         string        `json:"key"`
	Kind        string        `json:"kind"`
	Severity    string        `json:"severity"`
	Env         string        `json:"env,omitempty"`
	Layer       string        `json:"layer,omitempty"`
	Stack       string        `json:"stack,omitempty"`
	Summary     string        `json:"summary"`
	Status      string        `json:"status"` // firing, resolved
	Action      string        `json:"action"` // trigger, update, resolve
	Revision    int           `json:"revision"`
	FiringSince time.Time     `json:"firing_since"`
	Route       string        `json:"route"`
	Receiver    string        `json:"receiver"`
	Integration string        `json:"integration"`
	Attempt     int           `json:"attempt"`
	Outcome     string        `json:"outcome"` // success, retry, failed
	Error       string        `json:"error,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
}

// AlertDeliveryInsertParams records one attempt (ID is assigned; At
// defaults to now).
type AlertDeliveryInsertParams struct {
	Delivery AlertDelivery
}

// AlertDeliveryListParams filters delivery attempts. The zero value lists
// every attempt, oldest first when Oldest is set, newest first otherwise.
type AlertDeliveryListParams struct {
	Key   string    // one alert key
	Env   string    // one environment
	Since time.Time // At >= Since
	Limit int
	// Oldest orders by At ascending (the order package alert's Noise
	// reads); default newest first.
	Oldest bool
}

// Drift report statuses (the same words as package drift).
const (
	DriftClean   = "clean"
	DriftDrifted = "drifted"
	DriftError   = "error"
)

// DriftReport is the result of one drift check of one stack, or, with
// Stack "", of an environment's unmanaged-resource check.
type DriftReport struct {
	ID    int64  `json:"id"`
	Env   string `json:"env"`
	Stack string `json:"stack"` // "<env>/<layer>"; "" for the unmanaged check
	// Status is DriftClean, DriftDrifted or DriftError.
	Status    string        `json:"status"`
	CheckedAt time.Time     `json:"checked_at"`
	Duration  time.Duration `json:"duration_ns"`
	// Findings counts the findings that are drift (no ignore rule hides
	// them).
	Findings int `json:"findings"`
	// Report is the JSON report (drift.StackReport, or drift.Unmanaged for
	// Stack ""), masked.
	Report json.RawMessage `json:"report,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// DriftReportInsertParams records a report (ID is assigned; CheckedAt
// defaults to now).
type DriftReportInsertParams struct {
	Report DriftReport
}

// DriftReportListParams filters reports, newest first.
type DriftReportListParams struct {
	Env string
	// Stack filters one stack ("" every stack and the unmanaged checks).
	Stack  string
	Status string
	Limit  int
}

// CanaryResult is one run of one canary.
type CanaryResult struct {
	ID int64 `json:"id"`
	// Canary is the canary's key ("canary/<env>/<name>").
	Canary  string        `json:"canary"`
	Env     string        `json:"env,omitempty"`
	At      time.Time     `json:"at"`
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"latency_ns"`
	// Status is the HTTP status (0 when no response came).
	Status int `json:"status"`
	// Error is why the check failed: failed conditions or the error.
	Error string `json:"error,omitempty"`
}

// CanaryResultInsertParams records a result (ID is assigned).
type CanaryResultInsertParams struct {
	Result CanaryResult
}

// CanaryResultListParams filters results, newest first.
type CanaryResultListParams struct {
	Canary string
	Since  time.Time
	Limit  int
}

// CanaryState is a canary's threshold state (package canary's State as
// JSON), so failures counted before a restart still count.
type CanaryState struct {
	Canary    string          `json:"canary"`
	Alerting  bool            `json:"alerting"`
	State     json.RawMessage `json:"state"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// CanaryStatePutParams creates or replaces a canary's state.
type CanaryStatePutParams struct {
	State CanaryState // UpdatedAt is set by the store
}

// StackRef is one stack of one run, as stack status shows it.
type StackRef struct {
	RunID     string    `json:"run_id"`
	RunKind   string    `json:"run_kind"`
	Status    string    `json:"status"` // the run stack's status
	Message   string    `json:"message,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StackStatus is what vigil knows of one stack: its last plan and apply
// (from runs) and its last drift check (from drift reports).
type StackStatus struct {
	Stack string `json:"stack"` // "<env>/<layer>"
	Env   string `json:"env"`
	// LastPlan is the stack of the newest run that planned it (any
	// status); nil when none did.
	LastPlan *StackRef `json:"last_plan,omitempty"`
	// LastApply is the stack of the newest run that applied it: status
	// "applied", or "failed" with a saved plan (its apply failed; a stack
	// whose plan failed has no plan hash); nil when none did.
	LastApply *StackRef `json:"last_apply,omitempty"`
	// LastDrift is the newest drift report of the stack.
	LastDrift *DriftReport `json:"last_drift,omitempty"`
}

// StackStatusListParams selects stacks: every stack that a run or a drift
// report names, of Env when set, sorted by stack id.
type StackStatusListParams struct {
	Env string
}

// Incident kinds. Kind is free text; these are the ones vigil writes.
const (
	IncidentEscalation     = "escalation"   // the remediator escalated to a person
	IncidentManualApply    = "manual-apply" // an apply outside vigil's pipeline
	IncidentDriftFixedHand = "drift-fixed-by-hand"
	IncidentDrift          = "drift"  // a stack newly drifted
	IncidentCanary         = "canary" // a canary crossed its failure threshold
)

// Incident is something that happened to an environment that a person may
// want to follow up (`vigil backlog` reads them).
type Incident struct {
	ID     int64           `json:"id"`
	Kind   string          `json:"kind"`
	Env    string          `json:"env"`
	Stack  string          `json:"stack,omitempty"`
	Title  string          `json:"title"`
	Detail json.RawMessage `json:"detail,omitempty"`
	At     time.Time       `json:"at"`
	// Source is what recorded it: "serve/drift", "serve/canary",
	// "remediator", "cli"...
	Source string `json:"source"`
}

// IncidentInsertParams records an incident (ID is assigned; At defaults
// to now).
type IncidentInsertParams struct {
	Incident Incident
}

// IncidentListParams filters incidents, newest first.
type IncidentListParams struct {
	Env   string
	Stack string
	Kind  string
	Since time.Time
	Limit int
}

// AlertStore keeps alert dedupe state and delivery attempts.
type AlertStore interface {
	// AlertStateGet returns a key's state (ErrNotFound when none).
	AlertStateGet(ctx context.Context, key string) (*AlertState, error)
	// AlertStatePut creates or replaces a key's state.
	AlertStatePut(ctx context.Context, p *AlertStatePutParams) (*AlertState, error)
	// AlertStateDelete forgets a key (no error when it is unknown).
	AlertStateDelete(ctx context.Context, key string) error
	// AlertStateList returns every state, by key.
	AlertStateList(ctx context.Context) ([]*AlertState, error)

	AlertDeliveryInsert(ctx context.Context, p *AlertDeliveryInsertParams) (*AlertDelivery, error)
	AlertDeliveryList(ctx context.Context, p *AlertDeliveryListParams) ([]*AlertDelivery, error)
}

// DriftStore keeps drift reports: every check's, newest first.
type DriftStore interface {
	DriftReportInsert(ctx context.Context, p *DriftReportInsertParams) (*DriftReport, error)
	DriftReportList(ctx context.Context, p *DriftReportListParams) ([]*DriftReport, error)
	// DriftReportLatest returns the newest report of each stack (and of
	// the unmanaged check, Stack "") of env ("" every environment), by
	// env then stack.
	DriftReportLatest(ctx context.Context, env string) ([]*DriftReport, error)
}

// CanaryStore keeps canary results and threshold state.
type CanaryStore interface {
	CanaryResultInsert(ctx context.Context, p *CanaryResultInsertParams) (*CanaryResult, error)
	CanaryResultList(ctx context.Context, p *CanaryResultListParams) ([]*CanaryResult, error)
	// CanaryStateGet returns a canary's state (ErrNotFound when none).
	CanaryStateGet(ctx context.Context, canary string) (*CanaryState, error)
	CanaryStatePut(ctx context.Context, p *CanaryStatePutParams) (*CanaryState, error)
	// CanaryStateList returns every canary's state, by canary.
	CanaryStateList(ctx context.Context) ([]*CanaryState, error)
}

// IncidentStore keeps incidents.
type IncidentStore interface {
	IncidentInsert(ctx context.Context, p *IncidentInsertParams) (*Incident, error)
	IncidentList(ctx context.Context, p *IncidentListParams) ([]*Incident, error)
}

// StatusStore derives stack status from runs and drift reports.
type StatusStore interface {
	StackStatusList(ctx context.Context, p *StackStatusListParams) ([]*StackStatus, error)
}
