// Package api is vigil's HTTP surface: the JSON API under /api/v1, the
// web dashboard (pages rendered by package dashboard), /metrics
// (client_golang) and /healthz. vigil serve mounts it:
//
//	h, err := api.New(api.Options{
//		Layout:   api.LayoutFrom(cfg, graph),
//		Runs:     st,                 // a store.Store
//		Status:   pl.EffectiveStatus, // optional
//		Drift:    driftSource,        // optional: DriftSource
//		Canaries: canarySource,       // optional: CanarySource
//		Alerts:   alertSource,        // optional: AlertSource
//		Approver: pl,                 // a *pipeline.Pipeline
//		Tokens:   tokens, PublicRead: cfg.Serve.PublicRead,
//		Gatherer: registry,
//	})
//	http.ListenAndServe(addr, h)
//
// It owns routing, authentication and the views the API and the dashboard
// share (each stack's state, a run's review, drift, canaries, alerts and
// their noise). It reads through small interfaces declared here
// (RunSource, DriftSource, CanarySource, AlertSource) and approves through
// Approver; it writes nothing itself. docs/api.md is the manual.
//
// # Authentication
//
// API tokens (Token: name, role reader or approver, secret value) come
// from vigil.hcl's serve block, resolved by the caller. The API takes
// "Authorization: Bearer <token>"; values are compared in constant time
// over their SHA-256 and never logged. Reading needs a token unless
// PublicRead; approving always needs an approver token: 401 without a
// valid token, 403 with one whose role is not enough. The dashboard signs
// in with a token once and keeps a random session id in an HttpOnly,
// SameSite=Strict cookie; its Approve form is a POST carrying a CSRF token
// bound to the session and is refused from another origin.
//
// # Approvals
//
// POST /api/v1/runs/{id}/approve (and the dashboard's Approve button) call
// Approver.Approve with By "token:<name>" (ApproverName), so the approval
// is bound to the run's exact plans and audited, as `vigil approve` does,
// under the token's name.
//
// # Errors
//
// Every API error is JSON, {"error": "...", "status": N}, with a message
// saying what to do: 400 for junk input (with the reason), 401/403 for
// authentication, 404, 405, 409 (a run that cannot be approved), 501 for
// a source the server was started without.
package api
