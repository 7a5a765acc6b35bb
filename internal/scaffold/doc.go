// Package scaffold writes a new vigil repository from the embedded blueprint
// (vigil init): vigil.hcl, the modules, live/<env>/<layer> stacks and
// bootstrap/<env> for each chosen environment, the runbooks, the GitHub
// workflows and their setup action, CODEOWNERS, .gitignore and a README for
// the team.
//
// Every environment is derived from one of the blueprint's two: names that
// read as production (rules.IsProduction: prod, production, prod-eu…) from
// prod (target aws, approval, console-write guardrail on), the others from
// dev (target sandbox, no approval). Deriving rewrites the environment's
// name where it stands as a word (backend and remote-state keys, default_tags,
// GitHub environments, comments) and "vigil-<env>" resource names to
// "<project>-<env>"; the region and the GitHub repository (CI trust,
// CODEOWNERS, runbook links) are substituted everywhere, and each workflow's
// environment matrix lists the chosen environments.
//
// It owns no Terraform semantics: what it writes passes vigil check and has
// no high finding in vigil scan, which the tests prove with real terraform.
//
// # Example
//
//	res, err := scaffold.Write(scaffold.Params{Dir: "infra", Envs: []string{"dev", "staging", "prod"},
//		Region: "eu-west-1", GitHubRepo: "acme/infra"})
//	var conflict *scaffold.ConflictError
//	if errors.As(err, &conflict) { … } // nothing was written
package scaffold
