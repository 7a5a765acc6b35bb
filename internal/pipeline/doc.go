// Package pipeline is the gated flow a change goes through, from the
// repository to the infrastructure: the fmt/validate gate (Check, M6),
// Bootstrap of an environment's remote state (M13), Plan under lock (M8),
// Approve bound to the exact plans (M9), Apply of exactly those plans
// (M10, B6) wave by wave, ReplanApply after merge, Unlock of a stale
// Terraform lock, and Up, which does all of it for an environment. Runs,
// per-stack records, approvals and a hash-chained audit log go to a
// store.Store; artefacts go to .vigil/runs/<run>/<env>/<layer>/.
//
// Every step can be called from the CLI, the server and the scheduler
// alike; nothing here prints. Progress is reported through a callback.
// docs/pipeline.md is the manual; this is the map.
//
// # Main types
//
//   - Pipeline (New(Params)): one repository's flow. Params carries the
//     config, stack graph, terraform toolchain, store, policy gate, target
//     override, identity, parallelism and environment-lock timeout.
//   - PlanResult, ApplyResult, BootstrapResult, UpResult, UnlockResult.
//   - Errors to branch on: *EnvLockedError (another vigil holds the
//     environment), *ApprovalError, *SelfApprovalError, *BindingError (which
//     elements broke: ElementPlanFile, ElementState, ElementCommit,
//     ElementSources, ElementLockFile, ElementPolicy, ElementResources,
//     ElementRecords), *FingerprintError, *RefusedError.
//   - PolicyGate: the interface the plan calls after planning;
//     NewPolicyGate wraps package policy.
//
// # What a run binds
//
// Per planned stack (StackBinding): the plan file's SHA-256, the state's
// lineage and serial as the plan saw them (read from the plan file; "no
// state yet" is a value of its own, which catches terraform issue 27721),
// the lock file's hash, and the fingerprint of its changes. Per run: the
// environment, the source (commit, dirty, a digest of the stacks' files)
// and the policy verdict. The run's binding is SHA-256 over all of it;
// approvals record it and Apply re-checks every element, plus a fresh plan
// of each stack with changes (out-of-band changes).
//
// # Waves
//
// Plan plans every selected stack at once, dependents speculatively
// against their upstreams' current state, then marks a stack whose
// upstream has changes (or waits, or failed) as waiting and drops its
// plan. Apply then plans the waiting stacks as the next run and applies it
// where the environment needs no approval.
//
// # Example
//
//	pl, err := pipeline.New(pipeline.Params{Config: cfg, Graph: g, Terraform: tc, Store: st})
//	defer pl.Close(ctx)
//	pr, err := pl.Plan(ctx, pipeline.PlanParams{Env: "prod"})
//	_, err = pl.Approve(ctx, pipeline.ApproveParams{RunID: pr.Run.ID, By: "bob"})
//	res, err := pl.Apply(ctx, pipeline.ApplyParams{RunID: pr.Run.ID})
//
//	report, err := pipeline.Check(ctx, pipeline.CheckParams{
//		Root:      cfg.Root,
//		Stacks:    graph.Env("dev"),
//		Terraform: tc,
//	})
//	if err != nil { ... }        // could not run at all (no provider, ...)
//	if !report.OK() { ... }      // findings: exit 1
package pipeline
