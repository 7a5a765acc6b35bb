// Package store is vigil's persistence contract: runs (plans and applies),
// per-stack results (RunStack: status, plan hash, binding, masked
// summary), approvals, and a hash-chained audit log.
//
// One interface, Store, with implementations in sibling packages
// (store/sqlite embedded by default; PostgreSQL for teams in a later
// change) and one conformance suite, storetest.Exercise, that every
// implementation runs.
//
// # Conventions
//
// Methods are noun+verb (RunInsert, RunGet, AuditAppend) and take one
// *Params struct each, so adding a field breaks no caller. Conditions
// callers branch on are sentinels (ErrNotFound, ErrConflict). Times are UTC.
//
// # Audit chain
//
// Every plan, approval, apply and refusal appends an AuditEvent. Each
// event's Hash is SHA-256 over the previous event's hash and the event's
// canonical content, so editing or deleting any event breaks the chain.
// Runs and approvals are mutable projections; each event that changes one
// records the SHA-256 of its new content (SubjectHash), so VerifyChain also
// detects an edited run or approval. RunInsertParams, RunUpdateParams and
// ApprovalInsertParams take an optional Audit event that the store appends
// in the same transaction, so a record and its audit event never disagree,
// even when the process dies between two writes.
//
// Secrets never belong here: callers store plan summaries that were masked
// before they arrive.
package store
