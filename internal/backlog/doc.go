// Package backlog lists the incidents that needed a person (M17), each
// with what happened and a suggested encoding, so the fix becomes code: a
// policy rule, an alarm or a remediation. docs/backlog.md is the manual.
//
// Three kinds, from vigil's own records:
//
//   - escalation: an alarm episode the remediator handed to a person
//     (an incident record with action escalate, outcome done or failed, in
//     the remediator's log group /aws/lambda/<project>-<env>-remediator).
//   - manual-apply: a run applied with `vigil apply RUN` in a protected
//     environment (approval = true, or target = aws), that is, not the
//     after-merge `apply --replan --expect` of a reviewed pull request.
//   - drift-fixed-by-hand: a stack's drift check found drift, and a later
//     check found it clean with no vigil apply of the stack in between.
//
// Besides, the incidents vigil serve records in the store
// (store.IncidentList): FromIncident turns one into an item (not
// store.IncidentDrift, an open condition), and Merge adds them to the
// derived items except those that are the same event: same kind,
// environment and stack, recorded within Began-1m..At+MatchWindow of a
// derived item (serve's drift-fixed-by-hand record of a fix the drift
// reports show too).
//
// The classification functions (Escalations, ManualApplies,
// DriftFixedByHand, FromIncident, Merge and the Suggest* functions) are
// pure and table-tested; ReadIncidents (CloudWatch Logs) and Collect (the
// store) are the I/O edges. Markdown renders an item as an issue body.
package backlog
