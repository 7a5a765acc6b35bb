package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sentinels.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict")
)

// Run statuses.
const (
	RunRunning     = "running"
	RunPlanned     = "planned"     // plans saved, nothing applied
	RunNoChanges   = "no-changes"  // planned, nothing to do
	RunApplying    = "applying"    // apply in progress
	RunApplied     = "applied"     // every stack applied
	RunFailed      = "failed"      // a step failed
	RunRefused     = "refused"     // apply refused (binding broken, approval missing)
	RunInterrupted = "interrupted" // the process died mid-run
)

// Run is one pipeline run: a plan of an environment and, later, its apply.
type Run struct {
	ID          string `json:"id"`
	Env         string `json:"env"`
	Kind        string `json:"kind"` // "plan", "apply", "replan-apply"
	Status      string `json:"status"`
	Target      string `json:"target"`
	Commit      string `json:"commit"`
	Author      string `json:"author"`
	Host        string `json:"host"`
	PID         int    `json:"pid"`
	Fingerprint string `json:"fingerprint"`
	// Binding is the SHA-256 over everything an approval of this run binds
	// (see package pipeline); "" until the run is planned.
	Binding string `json:"binding,omitempty"`
	// Parent is the run whose apply planned this one (the next wave).
	Parent string `json:"parent,omitempty"`
	// Wave is the wave number (1 for a run planned from scratch).
	Wave      int             `json:"wave,omitempty"`
	Summary   json.RawMessage `json:"summary,omitempty"` // masked review summary
	Message   string          `json:"message,omitempty"` // why it failed or was refused
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Approval binds a person's approval to the exact plans of a run.
type Approval struct {
	ID        int64     `json:"id"`
	RunID     string    `json:"run_id"`
	By        string    `json:"by"`
	Comment   string    `json:"comment,omitempty"`
	Binding   string    `json:"binding"` // hash of everything approved (plans, states, commit, lock files, policy)
	CreatedAt time.Time `json:"created_at"`
}

// AuditEvent is one entry of the hash-chained audit log.
type AuditEvent struct {
	Seq         int64           `json:"seq"`
	At          time.Time       `json:"at"`
	Actor       string          `json:"actor"`
	Action      string          `json:"action"` // e.g. "plan", "approve", "apply", "refuse", "unlock"
	RunID       string          `json:"run_id,omitempty"`
	Outcome     string          `json:"outcome,omitempty"`
	Detail      json.RawMessage `json:"detail,omitempty"`
	SubjectHash string          `json:"subject_hash,omitempty"` // SHA-256 of the run/approval as of this event
	PrevHash    string          `json:"prev_hash"`
	Hash        string          `json:"hash"`
}

// RunInsertParams creates a run.
type RunInsertParams struct {
	Run Run // ID, Env, Kind, Status… ; CreatedAt defaults to now
	// Audit, when set, is appended in the same transaction, its RunID and
	// SubjectHash set from the new run, so the run and its audit record
	// never disagree, even when the process dies right after.
	Audit *AuditEvent
}

// RunUpdateParams replaces a run's mutable fields.
type RunUpdateParams struct {
	ID          string
	Status      string
	Fingerprint *string
	Binding     *string
	Summary     json.RawMessage
	Message     *string
	// Audit, when set, is appended in the same transaction with SubjectHash
	// = HashRun of the updated run.
	Audit *AuditEvent
}

// RunListParams filters runs, newest first.
type RunListParams struct {
	Env    string
	Status string
	Limit  int
}

// ApprovalInsertParams records an approval.
type ApprovalInsertParams struct {
	Approval Approval
	// Audit, when set, is appended in the same transaction (Action
	// "approve", SubjectHash = HashApproval of the new approval).
	Audit *AuditEvent
}

// RunStack is one stack of a run: its outcome and what its plan is bound
// to. Everything in it is masked.
type RunStack struct {
	RunID  string `json:"run_id"`
	Stack  string `json:"stack"` // "<env>/<layer>"
	Status string `json:"status"`
	// PlanSHA256 is the SHA-256 of the saved plan file ("" when none).
	PlanSHA256 string `json:"plan_sha256,omitempty"`
	// Binding holds the stack's bound elements (state lineage and serial,
	// lock file hash...), as the pipeline encodes them.
	Binding json.RawMessage `json:"binding,omitempty"`
	// Summary is the stack's masked review summary.
	Summary   json.RawMessage `json:"summary,omitempty"`
	Message   string          `json:"message,omitempty"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// RunStackUpsertParams creates or replaces one stack of a run.
type RunStackUpsertParams struct {
	Stack RunStack
}

// AuditAppendParams appends an event; Seq, PrevHash and Hash are computed.
type AuditAppendParams struct {
	Event AuditEvent
}

// Store is the persistence contract.
type Store interface {
	RunInsert(ctx context.Context, p *RunInsertParams) (*Run, error)
	RunGet(ctx context.Context, id string) (*Run, error)
	RunUpdate(ctx context.Context, p *RunUpdateParams) (*Run, error)
	RunList(ctx context.Context, p *RunListParams) ([]*Run, error)

	// RunStackUpsert records a stack of a run (ErrNotFound when the run
	// does not exist); RunStackList returns a run's stacks by stack id.
	RunStackUpsert(ctx context.Context, p *RunStackUpsertParams) (*RunStack, error)
	RunStackList(ctx context.Context, runID string) ([]*RunStack, error)

	ApprovalInsert(ctx context.Context, p *ApprovalInsertParams) (*Approval, error)
	ApprovalListByRun(ctx context.Context, runID string) ([]*Approval, error)

	AuditAppend(ctx context.Context, p *AuditAppendParams) (*AuditEvent, error)
	AuditList(ctx context.Context) ([]*AuditEvent, error)

	// What vigil serve records (serve.go).
	AlertStore
	DriftStore
	CanaryStore
	IncidentStore
	StatusStore
	// Retention (retention.go).
	RetentionStore

	Close() error
}

// HashRun is the content hash of a run, recorded in audit events.
func HashRun(r *Run) string { return hashJSON(r) }

// HashApproval is the content hash of an approval.
func HashApproval(a *Approval) string { return hashJSON(a) }

func hashJSON(v any) string {
	b, _ := json.Marshal(v)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ChainHash computes an event's hash from its content and its predecessor's
// hash. Implementations call it in AuditAppend; VerifyChain re-computes it.
func ChainHash(e *AuditEvent) string {
	c := *e
	c.Hash = ""
	b, _ := json.Marshal(struct {
		V int         `json:"v"`
		E *AuditEvent `json:"e"`
	}{1, &c})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ChainError names the first record where the audit chain breaks.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at record %d: %s", e.Seq, e.Reason)
}

// VerifyChain checks the audit log end to end, and that every run and
// approval still has the content its last audit event recorded.
func VerifyChain(ctx context.Context, s Store) (int, error) {
	events, err := s.AuditList(ctx)
	if err != nil {
		return 0, err
	}
	prev := ""
	lastRunHash := map[string]AuditEvent{}
	approvalHashes := map[string]bool{}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			return i, &ChainError{Seq: int64(i + 1), Reason: fmt.Sprintf("record %d is missing (found %d in its place)", i+1, e.Seq)}
		}
		if e.PrevHash != prev {
			return i, &ChainError{Seq: e.Seq, Reason: "its link to the previous record does not match (a record before it was edited or removed)"}
		}
		if ChainHash(e) != e.Hash {
			return i, &ChainError{Seq: e.Seq, Reason: "its content does not match its hash (the record was edited)"}
		}
		prev = e.Hash
		if e.RunID != "" && e.SubjectHash != "" {
			if e.Action == "approve" {
				approvalHashes[e.SubjectHash] = true
			} else {
				lastRunHash[e.RunID] = *e
			}
		}
	}
	for runID, e := range lastRunHash {
		r, err := s.RunGet(ctx, runID)
		if err != nil {
			return len(events), &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("run %s it records is gone: %v", runID, err)}
		}
		if HashRun(r) != e.SubjectHash {
			return len(events), &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("run %s was changed after this record", runID)}
		}
		as, err := s.ApprovalListByRun(ctx, runID)
		if err != nil {
			return len(events), err
		}
		for _, a := range as {
			if !approvalHashes[HashApproval(a)] {
				return len(events), &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("approval %d of run %s has no matching audit record (edited or inserted by hand)", a.ID, runID)}
			}
		}
	}
	return len(events), nil
}
