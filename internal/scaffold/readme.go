package scaffold

import (
	"bytes"
	"strings"
	"text/template"
)

// teamReadme is the README of the new repository: how the team bootstraps,
// plans, approves and applies, and the rollout steps.
func teamReadme(p *Params, envs []Env) ([]byte, error) {
	var dev, prod []Env
	for _, e := range envs {
		if e.Target == "aws" {
			prod = append(prod, e)
		} else {
			dev = append(dev, e)
		}
	}
	data := struct {
		*Params
		Owner     string
		Envs      []Env
		Sandbox   []Env
		AWS       []Env
		First     Env
		EnvList   string
		Placehold bool
	}{Params: p, Owner: strings.SplitN(p.GitHubRepo, "/", 2)[0], Envs: envs, Sandbox: dev, AWS: prod, First: envs[0],
		Placehold: p.GitHubRepo == DefaultGitHubRepo}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = "`" + e.Name + "`"
	}
	data.EnvList = strings.Join(names, ", ")
	var b bytes.Buffer
	if err := readmeTmpl.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var readmeTmpl = template.Must(template.New("README.md").Parse(`# {{.Project}}

Infrastructure of {{.Project}} on AWS, kept in Terraform and run by [vigil](https://github.com/vigil-sre/vigil):
every change is checked, planned, reviewed as a plan, applied after merge exactly as reviewed, and
watched for drift. People make the judgment calls; the pipeline does the predictable work.

Environments, in apply order: {{.EnvList}} (region {{.Region}}).
{{range .Envs}}
- **{{.Name}}**: {{if eq .Target "aws"}}a real AWS account; every plan needs a person's approval; the console-write guardrail is on{{else}}vigil's embedded AWS-compatible sandbox, no account needed; applied without approval{{end}}.
{{- end}}

## Layout

` + "```" + `
vigil.hcl                    environments (target, region, approval), layer order
live/<env>/<layer>/          one stack and one state per environment and layer:
                             foundation → workload → observability → remediation
modules/                     network, workload, observability, remediation, ci-oidc, guardrails, state-backend
bootstrap/<env>/             the state bucket of an environment (run once, before anything else)
runbooks/                    one runbook per alarm; every alarm description links its runbook
.github/workflows/           pull-request.yml (check, scan, plan, one sticky comment), apply.yml (after
                             merge: apply what was reviewed), drift.yml (nightly drift check)
CODEOWNERS                   foundation, CI roles, guardrail and workflows: @{{.Owner}}/platform-leads
` + "```" + `

## Try it on a laptop

` + "```sh" + `
vigil check     # terraform fmt -check and validate, every stack
vigil scan      # security and reliability rules (VGL-…)
vigil up --env {{.First.Name}}{{if eq .First.Target "aws"}} --target sandbox{{end}}   # sandbox: bootstrap, plan and apply every layer
` + "```" + `

## First-time setup of {{if .AWS}}the AWS environments ({{range $i, $e := .AWS}}{{if $i}}, {{end}}{{$e.Name}}{{end}}){{else}}a real account{{end}}
{{if .AWS}}
1. **State, remote and locked.** With an administrator's credentials for the account:
   ` + "`vigil bootstrap --env ENV --yes`" + ` creates the versioned, encrypted state bucket
   ` + "`{{.Project}}-ENV-tfstate`" + ` and the lock table. Bucket names are global: if it is taken, set
   ` + "`bucket_name`" + ` in ` + "`bootstrap/ENV`" + ` and the bucket in ` + "`live/ENV/*/versions.tf`" + ` and the
   ` + "`terraform_remote_state`" + ` blocks.
2. **The foundation, once by hand.** It creates the roles CI uses, so CI cannot create it:
   ` + "`vigil plan --env ENV --stack foundation`" + `, then ` + "`vigil approve RUN --by NAME`" + ` (someone
   else than the author) and ` + "`vigil apply RUN`" + `. Set first, in ` + "`live/ENV/foundation`" + `:
   ` + "`ci_policy_arns`" + ` (what the deploy role may do), ` + "`ci_plan_policy_arns`" + ` (read-only:
   ReadOnlyAccess plus the state bucket and lock files){{if .Placehold}}, and ` + "`github_repo`" + ` (still the
   placeholder {{.GitHubRepo}}: run ` + "`vigil init --github-repo owner/name`" + ` or edit it){{end}}.
   ` + "`pager_subscriptions`" + ` in ` + "`live/ENV/observability`" + ` says who is paged.
3. **GitHub**, in the repository's settings:
   - Environments ` + "`ENV`" + ` with **required reviewers** (and "prevent self-review"), deployment branch
     ` + "`main`" + `, variable ` + "`AWS_DEPLOY_ROLE_ARN`" + ` = the foundation output ` + "`ci_role_arn`" + `;
     and ` + "`ENV-plan`" + ` with variable ` + "`AWS_PLAN_ROLE_ARN`" + ` = ` + "`ci_plan_role_arn`" + `.
   - Branch protection on ` + "`main`" + `: require the checks "check and scan", "plan …" and "plan
     comment", require review from Code Owners, require branches to be up to date.
   - Optionally the repository variable ` + "`VIGIL_VERSION`" + ` pins the vigil release the workflows build.
4. **Humans read, the pipeline writes.** Set the foundation output ` + "`guardrail_policy_arn`" + ` as the
   permissions boundary of every human role (or the policy name on your IAM Identity Center
   permission sets). Keep one break-glass role in ` + "`guardrail_exempt_principal_arns`" + `.
{{else}}
All environments target the sandbox. To add a real account, add an environment named like
production (` + "`vigil init --envs dev,prod`" + ` shows the shape) or set ` + "`target = \"aws\"`" + ` in vigil.hcl.
{{end}}
## Every change

1. Open a pull request. **vigil plan** (pull-request.yml) runs ` + "`vigil check`" + `, ` + "`vigil scan`" + `
   (findings in code scanning) and ` + "`vigil plan`" + ` for every environment, and keeps **one comment**
   up to date with each plan's review (destroys and replacements first, secrets masked) and its
   **fingerprint**.
2. Review the plan, not only the diff. Merge when it is what you want.
3. **vigil apply** (apply.yml) reads the fingerprints from that comment (only when it was made for
   the merged commit), then per environment in order runs
   ` + "`vigil apply --env ENV --replan --expect FINGERPRINT`" + `: it plans again and applies only if the
   changes are exactly the reviewed ones. Anything else is refused, and nothing is applied.
4. Environments that need approval wait for a reviewer of their GitHub environment; the workflow
   records that reviewer with ` + "`vigil approve`" + ` in vigil's hash-chained audit trail, kept as an
   artifact of the run (` + "`vigil audit verify`" + ` checks it).
5. **vigil drift** (drift.yml) checks every AWS environment nightly and on demand; drift fails the
   job, lands in its summary and goes to the alerting sinks of an ` + "`alerts {}`" + ` block in vigil.hcl.
   Fix it with a pull request, never by hand: every incident a person fixed by hand becomes a
   backlog item to encode that fix (` + "`vigil backlog`" + `).

Each workflow step runs ` + "`vigil ci`" + `, which reads the GitHub event and does the steps above.

By hand, the same steps are:

` + "```sh" + `
vigil plan --env ENV                 # prints the run id and its review
vigil show RUN --markdown            # the review as a PR comment
vigil approve RUN --by NAME          # someone other than the author
vigil apply RUN                      # exactly the approved plans
vigil runs; vigil audit verify       # history and its integrity
` + "```" + `

## Rollout, one shippable step at a time

1. **State remote and locked**: ` + "`vigil bootstrap`" + `; every stack's backend says ` + "`use_lockfile = true`" + `.
2. **Code matches reality**: bring existing resources in with Terraform ` + "`import`" + ` blocks until
   ` + "`vigil plan`" + ` shows no changes for them.
3. **Observability the on-call trusts**: the observability stack's alarms (M of N, runbook in every
   page), tuned until a page always means action.
4. **Auto scaling and self-healing**: the workload's scaling policy and the remediation stack.
5. **Drift detection and canaries**: drift.yml nightly; canaries on the critical user paths.

Each step is a pull request that goes through the flow above.
`))
