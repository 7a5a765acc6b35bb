// Package drift finds where an environment's real resources have left its
// code (M11, B2): for each stack, what changed out of band, what was
// deleted out of band, and what code is waiting to be applied (pending:
// not drift, reported apart); for the environment, the resources that
// carry its tags but that no stack manages (unmanaged). Ignore rules and
// the environment's tags come from vigil.hcl's drift block (config.Drift).
//
// It owns the check and the classification. It does not schedule, store
// or alert: vigil serve calls Check on the cadence config.Drift gives
// (config.DriftSettings.Every) and dedupes alerts by Finding.Fingerprint;
// `vigil drift` calls it once.
//
// # How a stack is checked
//
// One `terraform plan -lock=false -detailed-exitcode -out=…` per stack,
// in parallel, with its own data dir (.vigil/tfdata-drift/<path>): a
// normal plan with refresh on, which takes no state lock, so it never
// waits for an apply nor makes one wait. The plan attaches
// (TF_REATTACH_PROVIDERS) to provider plugins started for it alone
// (terraform.Runner.StartProviders), so each plugin is launched once
// instead of three times, and stopped when the plan ends; a plugin that
// dies mid-plan fails that stack with a terraform.ProviderExitedError.
// A plugin is never shared between plans: a plan configures it, and each
// stack's provider configuration (its default_tags at least) is its own.
// Terraform and the plugins run with GOGC=terraform.SweepGOGC (less
// garbage collection for more memory) unless GOGC is set. A normal plan holds both what a
// refresh-only plan would show (resource_drift) and the code changes
// (resource_changes), so one plan does the work of two. A plan without
// changes means a clean stack: drift, as Classify defines it, is what the
// next apply would set back. Its managed resources are read from the two
// states inside the saved plan, with no `terraform show` (which would load
// the provider schemas once more). A plan with changes is read with
// `terraform show -json` (sharing one provider process per plugin across
// stacks), masked with review.Mask, and Classify tells drift from code.
//
// # Unmanaged resources
//
// AWSInventory lists the kinds of resource the blueprint creates (SNS
// topics, CloudWatch alarms and log groups, Lambda functions, ECS clusters
// and services, load balancers and target groups, VPCs, subnets, security
// groups, EventBridge rules, IAM roles) through their own APIs, keeps those
// carrying every tag of the environment (default vigil:env=<env>,
// managed-by=vigil), and reports those whose ARN or id no stack's state
// holds. It runs while the stacks plan, and only when every stack of the
// environment was checked (otherwise a stack's resources would look
// unmanaged).
//
// # Example
//
//	rep, err := drift.Check(ctx, drift.Params{
//		Config: cfg, Graph: graph, Env: "dev", Terraform: tc,
//	})
//	if err != nil { ... }        // could not run at all
//	for _, f := range rep.Findings() {
//		if f.IsDrift() { alert(f.Fingerprint, f.String()) }
//	}
//	switch { case rep.Failed(): ...; case rep.Drifted(): ... }
package drift
