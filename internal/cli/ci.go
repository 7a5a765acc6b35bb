package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/vigil-sre/vigil/internal/alert"
	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/drift"
	"github.com/vigil-sre/vigil/internal/ghci"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/pipeline"
	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/policy/rego"
	"github.com/vigil-sre/vigil/internal/review"
	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/target"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// The steps of the pull-request path.
const (
	ciStepCheck   = "check"
	ciStepScan    = "scan"
	ciStepPlan    = "plan"
	ciStepComment = "comment"
)

// CIOptions are the inputs of `vigil ci`.
type CIOptions struct {
	IO        *iostreams.IOStreams
	Open      OpenPipeline
	Config    func() (*config.Config, error)
	Terraform func(ctx context.Context) (*terraform.Toolchain, error)
	// Dir is the -C flag (for the scan).
	Dir string
	// Getenv reads the GITHUB_* variables (os.Getenv).
	Getenv func(string) string
	// HTTPClient talks to GitHub's API (nil: a default client).
	HTTPClient *http.Client

	Envs   []string
	Steps  []string
	OutDir string
	Branch string
}

// NewCmdCI builds `vigil ci`.
func NewCmdCI(f *Factory, runF func(context.Context, *CIOptions) error) *cobra.Command {
	opts := &CIOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "ci",
		Short: "The one entry point of vigil's GitHub workflows: does what the event asks",
		Long: `Read the GitHub Actions event (GITHUB_EVENT_NAME, the payload at
GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_TOKEN) and do what
it asks, writing step outputs to $GITHUB_OUTPUT and a job summary to
$GITHUB_STEP_SUMMARY (docs/ci.md):

pull_request (opened, synchronize, reopened)
  --steps (default check,scan,plan): vigil check, vigil scan (SARIF file
  for code scanning), bootstrap of sandbox environments, vigil plan of each
  environment and its Markdown review with hidden fingerprint markers
  (sections/ENV.md under --out, and comment.md: the sticky comment's text).
  The comment step assembles comment.md from sections/ENV.md (what the
  plan step wrote, or the plan jobs' artifacts downloaded there) and
  creates or updates the one sticky comment on the pull request
  (GITHUB_TOKEN with pull-requests: write).
  Outputs: comment-file, sarif-file, has-changes, comment-id, and per
  environment run-id-ENV and fingerprint-ENV (run-id, fingerprint and
  section-file with one --env).

push to the protected branch (--branch, default the repository's default)
  Finds the pull request that merged the commit (GitHub API, GITHUB_TOKEN
  with pull-requests: read) and its latest plan comment by
  github-actions[bot], refused unless made for the merged head. Per
  environment, in order: where approval = true, the GitHub environment's
  reviewer (actions: read) approves the plan as github:LOGIN, after vigil
  checked the plan's fingerprint is the reviewed one; then
  vigil apply --replan --expect FINGERPRINT. Anything else is refused and
  nothing is applied. Outputs: applied, pr, run-id, fingerprint, audit-file.

schedule, workflow_dispatch
  vigil drift of each environment (sandbox environments only when their
  sandbox runs here); the report goes to the job summary and the store,
  and drift goes to the sinks of vigil.hcl's alerts block (none without
  one; the summary says so). Outputs: drifted, alerts-sent.

Any other event is an error. Files go to --out (default .vigil/ci).

Exit status: 0 when done (planned, applied, no drift); 2 when drift was
found; 1 when a check, scan or plan failed, the comment was not posted, an
apply was refused or failed, or a stack could not be checked.`,
		Example: `  # pull-request.yml
  vigil ci --steps check,scan
  vigil ci --steps plan --env "$VIGIL_ENV"
  vigil ci --steps comment
  # apply.yml, drift.yml
  vigil ci --env "$VIGIL_ENV"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range opts.Steps {
				if s != ciStepCheck && s != ciStepScan && s != ciStepPlan && s != ciStepComment {
					return flagErrorf("--steps: unknown step %q (want check, scan, plan, comment)", s)
				}
			}
			opts.Open = openPipelineFunc(f)
			opts.Config = f.Config
			opts.Terraform = f.Terraform
			opts.Dir = f.Dir
			opts.Getenv = os.Getenv
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ciRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&opts.Envs, "env", "e", nil, "only environment `ENV` (repeatable; default: every environment of vigil.hcl)")
	fl.StringSliceVar(&opts.Steps, "steps", []string{ciStepCheck, ciStepScan, ciStepPlan}, "pull requests: the `STEPS` to run, of check, scan, plan, comment")
	fl.StringVar(&opts.OutDir, "out", "", "write the comment, sections, SARIF and audit files to `DIR` (default .vigil/ci)")
	fl.StringVar(&opts.Branch, "branch", "", "the protected `BRANCH` a push applies from (default: the repository's default branch)")
	return cmd
}

// ciRun reads the event and dispatches.
func ciRun(ctx context.Context, opts *CIOptions) error {
	gh, err := ghci.ReadEnv(opts.Getenv)
	if err != nil {
		return err
	}
	ev, err := ghci.ReadEvent(gh.EventPath)
	if err != nil {
		return err
	}
	trig, err := ghci.Classify(gh.EventName, ev, opts.Branch)
	if err != nil {
		_ = ghci.AppendSummary(gh.StepSummary, "### vigil ci: nothing done\n\n"+err.Error()+"\n")
		return err
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	envs, err := ciEnvs(cfg, opts.Envs)
	if err != nil {
		return err
	}
	out := opts.OutDir
	if out == "" {
		out = filepath.Join(cfg.StateDir(), "ci")
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	c := &ciRunner{opts: opts, gh: gh, ev: ev, cfg: cfg, envs: envs, out: out}
	fmt.Fprintf(opts.IO.ErrOut, "vigil ci: %s event, %s\n", gh.EventName, trig)
	switch trig {
	case ghci.TriggerReview:
		err = c.review(ctx)
	case ghci.TriggerApply:
		err = c.apply(ctx)
	case ghci.TriggerDrift:
		err = c.drift(ctx)
	}
	if werr := ghci.WriteOutputs(gh.Output, c.outputs); werr != nil && err == nil {
		err = fmt.Errorf("write the step outputs: %w", werr)
	}
	if serr := ghci.AppendSummary(gh.StepSummary, c.summary.String()); serr != nil && err == nil {
		err = fmt.Errorf("write the job summary: %w", serr)
	}
	return err
}

// ciEnvs checks --env against vigil.hcl; default every environment.
func ciEnvs(cfg *config.Config, names []string) ([]config.Environment, error) {
	if len(names) == 0 {
		return cfg.Environments, nil
	}
	var out []config.Environment
	for _, n := range cfg.EnvironmentNames() {
		if slices.Contains(names, n) {
			e, _ := cfg.Environment(n)
			out = append(out, e)
		}
	}
	for _, n := range names {
		if _, ok := cfg.Environment(n); !ok {
			return nil, flagErrorf("unknown environment %q: %s declares %s", n, config.FileName, strings.Join(cfg.EnvironmentNames(), ", "))
		}
	}
	return out, nil
}

type ciRunner struct {
	opts    *CIOptions
	gh      ghci.Env
	ev      *ghci.Event
	cfg     *config.Config
	envs    []config.Environment
	out     string
	outputs []ghci.Output
	summary strings.Builder
}

func (c *ciRunner) output(name, value string) {
	c.outputs = append(c.outputs, ghci.Output{Name: name, Value: value})
}

// setOutput sets an output, replacing an earlier value.
func (c *ciRunner) setOutput(name, value string) {
	c.outputs = slices.DeleteFunc(c.outputs, func(o ghci.Output) bool { return o.Name == name })
	c.output(name, value)
}

func (c *ciRunner) sum(format string, args ...any) {
	fmt.Fprintf(&c.summary, format, args...)
}

// subIO gives a verb vigil ci runs its own Out; progress goes to ErrOut.
func (c *ciRunner) subIO(out io.Writer) *iostreams.IOStreams {
	return &iostreams.IOStreams{In: c.opts.IO.In, Out: out, ErrOut: c.opts.IO.ErrOut}
}

// ciError is the end of a vigil ci that did not do all it should.
func ciError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New("vigil ci: " + strings.Join(problems, "; "))
}

// review is the pull-request path.
func (c *ciRunner) review(ctx context.Context) error {
	head := c.ev.PullRequest.Head.SHA
	steps := c.opts.Steps
	var problems []string
	c.sum("## vigil: pull request #%d at %s\n\n", c.ev.PullRequest.Number, shortSHA(head))
	onlyEnv := ""
	if len(c.envs) == 1 {
		onlyEnv = c.envs[0].Name
	}
	checkOK := true
	if slices.Contains(steps, ciStepCheck) {
		var buf bytes.Buffer
		err := checkRun(ctx, &CheckOptions{IO: c.subIO(&buf), Config: c.opts.Config, Terraform: c.opts.Terraform,
			Check: pipeline.Check, Env: onlyEnv, Parallelism: runtime.NumCPU()})
		fmt.Fprint(c.opts.IO.Out, buf.String())
		status := "passed"
		if err != nil {
			checkOK = false
			status = "failed"
			problems = append(problems, "vigil check failed")
			if !errors.Is(err, ErrFindings) {
				fmt.Fprintf(&buf, "\n%s\n", err)
			}
		}
		c.sum("### vigil check: %s\n\n```text\n%s```\n\n", status, buf.String())
	}
	if slices.Contains(steps, ciStepScan) {
		sarifPath := filepath.Join(c.out, "vigil.sarif")
		f, err := os.Create(sarifPath)
		if err != nil {
			return err
		}
		serr := scanRun(ctx, &ScanOptions{IO: c.subIO(f), Config: c.opts.Config, PolicyConfig: policyConfig,
			Scan: policy.New().Scan, RunTests: rego.Test, Dir: c.opts.Dir, Env: onlyEnv, Format: "sarif"})
		if err := f.Close(); err != nil {
			return err
		}
		n := sarifResults(sarifPath)
		status := "passed"
		if serr != nil {
			status = "failed"
			problems = append(problems, "vigil scan found problems at or above the failing severity")
			if !errors.Is(serr, ErrFindings) {
				status = "could not run: " + serr.Error()
			}
		}
		c.sum("### vigil scan: %s\n\n%d %s in the SARIF file (uploaded to code scanning; `vigil scan` shows them).\n\n", status, n, plural(n, "finding", "findings"))
		c.output("sarif-file", sarifPath)
	}
	if slices.Contains(steps, ciStepPlan) {
		if !checkOK {
			c.sum("### plans: not run\n\nvigil check failed: fix it first.\n")
			return ciError(problems)
		}
		planProblems, err := c.planAll(ctx, head)
		if err != nil {
			return err
		}
		problems = append(problems, planProblems...)
	}
	if slices.Contains(steps, ciStepComment) {
		if err := c.comment(ctx, head); err != nil {
			c.sum("### plan comment: not posted\n\n%s\n", err)
			problems = append(problems, "the plan comment was not posted: "+err.Error())
		}
	}
	return ciError(problems)
}

// planAll plans each environment and writes its section and comment.md.
func (c *ciRunner) planAll(ctx context.Context, head string) ([]string, error) {
	var problems []string
	prog := newPipelineProgress(c.opts.IO)
	pl, closeFn, err := c.opts.Open(ctx, PipelineSetup{Terraform: true, Progress: prog.event})
	if err != nil {
		return nil, err
	}
	defer closeFn()
	var sections []string
	hasChanges := false
	secDir := filepath.Join(c.out, "sections")
	if err := os.MkdirAll(secDir, 0o755); err != nil {
		return nil, err
	}
	for _, env := range c.envs {
		sec := c.planEnv(ctx, pl, env)
		prog.done()
		if !sec.Planned {
			problems = append(problems, "the plan of "+env.Name+" failed")
		} else if r, err := pl.Store().RunGet(ctx, sec.Run); err == nil && r.Status == store.RunPlanned {
			hasChanges = true
		}
		md := ghci.SectionMarkdown(sec)
		sections = append(sections, md)
		path := filepath.Join(secDir, env.Name+".md")
		if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
			return nil, err
		}
		c.output("run-id-"+env.Name, sec.Run)
		c.output("fingerprint-"+env.Name, sec.Fingerprint)
		if len(c.envs) == 1 {
			c.output("run-id", sec.Run)
			c.output("fingerprint", sec.Fingerprint)
			c.output("section-file", path)
		}
		c.summary.WriteString(md + "\n")
	}
	comment := ghci.Comment(head, sections)
	commentPath := filepath.Join(c.out, "comment.md")
	if err := os.WriteFile(commentPath, []byte(comment), 0o644); err != nil {
		return nil, err
	}
	c.setOutput("comment-file", commentPath)
	c.output("has-changes", strconv.FormatBool(hasChanges))
	fmt.Fprint(c.opts.IO.Out, comment)
	return problems, nil
}

// comment assembles the sticky comment from the sections under --out (an
// environment without one gets a line saying its plan did not report, and
// no fingerprint) and creates it on the pull request, or updates the bot's
// earlier one in place.
func (c *ciRunner) comment(ctx context.Context, head string) error {
	var sections []string
	secDir := filepath.Join(c.out, "sections")
	for _, env := range c.envs {
		b, err := os.ReadFile(filepath.Join(secDir, env.Name+".md"))
		switch {
		case err == nil:
			if err := ghci.CheckSection(env.Name, string(b)); err != nil {
				return err
			}
			sections = append(sections, string(b))
		case errors.Is(err, os.ErrNotExist):
			sections = append(sections, ghci.SectionMarkdown(ghci.Section{Env: env.Name,
				Review: fmt.Sprintf("**The plan of %s did not report.** Its job ended before vigil ci wrote the review (see the log of *plan %s*): nothing of %s can be applied from this comment.", env.Name, env.Name, env.Name)}))
		default:
			return err
		}
	}
	body := ghci.Comment(head, sections)
	path := filepath.Join(c.out, "comment.md")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		return err
	}
	c.setOutput("comment-file", path)
	repo := c.repo()
	if c.gh.Token == "" {
		return errors.New("GITHUB_TOKEN is not set: vigil ci posts the comment with it (permissions: pull-requests: write)")
	}
	gh := ghci.NewClient(c.gh.APIURL, c.gh.Token, c.opts.HTTPClient)
	number := c.ev.PullRequest.Number
	comments, err := gh.IssueComments(ctx, repo, number)
	if err != nil {
		return err
	}
	var posted *ghci.IssueComment
	verb := "updated"
	if old := ghci.StickyComment(comments); old != nil {
		posted, err = gh.UpdateComment(ctx, repo, old.ID, body)
	} else {
		verb = "created"
		posted, err = gh.CreateComment(ctx, repo, number, body)
	}
	if err != nil {
		return err
	}
	c.output("comment-id", strconv.FormatInt(posted.ID, 10))
	c.sum("### plan comment: %s\n\n%s on pull request #%d.\n\n", verb, linkOr(posted.HTMLURL, "comment "+strconv.FormatInt(posted.ID, 10)), number)
	fmt.Fprintf(c.opts.IO.ErrOut, "vigil ci: plan comment %s on pull request #%d\n", verb, number)
	return nil
}

func linkOr(url, text string) string {
	if url == "" {
		return "The " + text
	}
	return "[The comment](" + url + ")"
}

// repo is GITHUB_REPOSITORY, else the payload's repository.
func (c *ciRunner) repo() string {
	if c.gh.Repository == "" && c.ev.Repository != nil {
		return c.ev.Repository.FullName
	}
	return c.gh.Repository
}

// planEnv bootstraps a sandbox environment and plans env.
func (c *ciRunner) planEnv(ctx context.Context, pl *pipeline.Pipeline, env config.Environment) ghci.Section {
	sec := ghci.Section{Env: env.Name}
	if err := c.bootstrapSandbox(ctx, pl, env); err != nil {
		sec.Review = notRun(env.Name, err)
		return sec
	}
	res, err := pl.Plan(ctx, pipeline.PlanParams{Env: env.Name, Command: "vigil ci"})
	if err != nil {
		sec.Review = notRun(env.Name, err)
		return sec
	}
	sec.Run = res.Run.ID
	sec.Review = review.Markdown(res.Report)
	if res.Run.Status != store.RunFailed {
		sec.Planned = true
		sec.Fingerprint = res.Run.Fingerprint
	}
	return sec
}

// bootstrapSandbox makes the state backend of an environment that targets
// the sandbox (each CI job has a fresh one); AWS environments have theirs.
func (c *ciRunner) bootstrapSandbox(ctx context.Context, pl *pipeline.Pipeline, env config.Environment) error {
	t, err := pl.Target(ctx, env.Name)
	if err != nil {
		return err
	}
	if t.Kind != config.TargetSandbox {
		return nil
	}
	_, err = pl.Bootstrap(ctx, pipeline.BootstrapParams{Env: env.Name, Yes: true, Command: "vigil ci"})
	return err
}

func notRun(env string, err error) string {
	return fmt.Sprintf("**The plan of %s did not run.**\n\n```text\n%s\n```\n", env, review.MaskText(err.Error()))
}

// apply is the push path: apply what the merged pull request reviewed.
func (c *ciRunner) apply(ctx context.Context) error {
	c.output("applied", "false")
	sha := c.ev.After
	if sha == "" {
		sha = c.gh.SHA
	}
	repo := c.repo()
	branch := ghci.ProtectedBranch(c.ev, c.opts.Branch)
	c.sum("## vigil: apply %s on %s\n\n", shortSHA(sha), branch)
	refuse := func(reason string) error {
		c.sum("### Refused: nothing applied\n\n%s\n", reason)
		return errors.New("vigil ci: refused: " + reason)
	}
	if c.gh.Token == "" {
		return refuse("GITHUB_TOKEN is not set: vigil ci reads the merged pull request's plan comment with it (permissions: pull-requests: read)")
	}
	gh := ghci.NewClient(c.gh.APIURL, c.gh.Token, c.opts.HTTPClient)
	prs, err := gh.PullsForCommit(ctx, repo, sha)
	if err != nil {
		return refuse(err.Error())
	}
	pr, err := ghci.MergedPR(prs, branch, sha)
	if err != nil {
		return refuse(err.Error())
	}
	c.output("pr", strconv.Itoa(pr.Number))
	comments, err := gh.IssueComments(ctx, repo, pr.Number)
	if err != nil {
		return refuse(err.Error())
	}
	rev, err := ghci.FindReviewed(pr, comments)
	if err != nil {
		return refuse(err.Error())
	}
	c.sum("Reviewed in pull request #%d at %s.\n\n", pr.Number, shortSHA(rev.Commit))

	prog := newPipelineProgress(c.opts.IO)
	pl, closeFn, err := c.opts.Open(ctx, PipelineSetup{Terraform: true, Progress: prog.event})
	if err != nil {
		return err
	}
	defer closeFn()
	defer c.exportAudit(context.WithoutCancel(ctx), pl)
	for _, env := range c.envs {
		plan, ok := rev.Plans[env.Name]
		if !ok {
			return refuse(fmt.Sprintf("pull request #%d has no successful plan of %s: nothing reviewed, nothing applied", pr.Number, env.Name))
		}
		c.output("fingerprint", plan.Fingerprint)
		c.sum("### %s\n\nReviewed fingerprint `%s` (run %s).\n\n", env.Name, plan.Fingerprint, plan.Run)
		err := c.applyEnv(ctx, pl, gh, repo, pr.Number, env, plan.Fingerprint)
		prog.done()
		if err != nil {
			var fe *pipeline.FingerprintError
			if errors.As(err, &fe) || errors.Is(err, errNotReviewed) {
				return refuse(err.Error())
			}
			c.sum("**Failed:** %s\n", review.MaskText(err.Error()))
			return fmt.Errorf("vigil ci: %s: %w", env.Name, err)
		}
	}
	c.outputs = slices.DeleteFunc(c.outputs, func(o ghci.Output) bool { return o.Name == "applied" })
	c.output("applied", "true")
	return nil
}

// errNotReviewed marks a plan that is not the reviewed one.
var errNotReviewed = errors.New("not the reviewed plan")

// applyEnv applies env's reviewed plan: the approval first where needed.
func (c *ciRunner) applyEnv(ctx context.Context, pl *pipeline.Pipeline, gh *ghci.Client, repo string, pr int, env config.Environment, expect string) error {
	if err := c.bootstrapSandbox(ctx, pl, env); err != nil {
		return err
	}
	if env.Approval {
		approvals, err := gh.RunApprovals(ctx, repo, c.gh.RunID)
		if err != nil {
			return err
		}
		login, _, err := ghci.ApproverFor(approvals, env.Name)
		if err != nil {
			return err
		}
		res, err := pl.Plan(ctx, pipeline.PlanParams{Env: env.Name, Command: "vigil ci"})
		if err != nil {
			return err
		}
		if res.Run.Status != store.RunPlanned || res.Run.Fingerprint != expect {
			return fmt.Errorf("%w: the plan of %s (run %s, %s) has fingerprint %s, not the reviewed %s: %s's approval is not recorded and nothing is applied; review the new plan with vigil show %s",
				errNotReviewed, env.Name, res.Run.ID, res.Run.Status, orDash(res.Run.Fingerprint), expect, login, res.Run.ID)
		}
		by := "github:" + login
		comment := fmt.Sprintf("GitHub environment %s, pull request #%d, workflow run %s", env.Name, pr, c.gh.RunID)
		if _, err := pl.Approve(ctx, pipeline.ApproveParams{RunID: res.Run.ID, By: by, Comment: comment}); err != nil {
			return err
		}
		c.sum("Approved by %s (%s).\n\n", by, comment)
	}
	res, err := pl.ReplanApply(ctx, pipeline.ReplanParams{Env: env.Name, Expect: expect, Command: "vigil ci"})
	if res != nil {
		for _, rep := range res.Reports {
			if rep != nil {
				c.output("run-id", rep.RunID)
				c.sum("%s\n", review.Markdown(rep))
			}
		}
		if res.Pending != nil {
			c.sum("Next wave planned as run %s (%s): it needs its own approval; the stacks waiting on this one are applied by the next merge or by `vigil approve` and `vigil apply`.\n\n", res.Pending.Run.ID, res.Pending.Run.Status)
		}
	}
	return err
}

// exportAudit verifies the audit chain and writes it for the artifact.
func (c *ciRunner) exportAudit(ctx context.Context, pl *pipeline.Pipeline) {
	n, err := pl.VerifyAudit(ctx)
	if err != nil {
		c.sum("\n**Audit log: %s**\n", err)
	} else {
		c.sum("\nAudit log intact: %d records.\n", n)
	}
	events, err := pl.Store().AuditList(ctx)
	if err != nil {
		return
	}
	b, err := json.MarshalIndent(events, "", "  ")
	if err != nil {
		return
	}
	path := filepath.Join(c.out, "audit.json")
	if os.WriteFile(path, append(b, '\n'), 0o644) == nil {
		c.output("audit-file", path)
	}
}

// drift is the schedule and workflow_dispatch path.
func (c *ciRunner) drift(ctx context.Context) error {
	c.output("drifted", "false")
	g, err := stack.Load(c.cfg)
	if err != nil {
		return err
	}
	tc, err := c.opts.Terraform(ctx)
	if err != nil {
		return err
	}
	st, closeStore, err := openStore(c.cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	c.sum("## vigil drift\n\n")
	vars := pipelineVars(c.cfg)
	prog := &driftProgress{ios: c.opts.IO, tty: c.opts.IO.IsStderrTTY()}
	var drifted, failed bool
	var alerts []alert.Alert
	for _, env := range c.envs {
		if env.Target == config.TargetSandbox {
			if _, ok := sandbox.Running(ctx, target.SandboxDataDir(c.cfg)); !ok {
				c.sum("### %s: not checked here\n\n%s targets vigil's sandbox, which lives where vigil serve runs, not in this job.\n\n", env.Name, env.Name)
				continue
			}
		}
		rep, err := drift.Check(ctx, drift.Params{Config: c.cfg, Graph: g, Env: env.Name, Terraform: tc, Vars: vars,
			Parallelism: runtime.NumCPU(), Progress: prog.event})
		prog.done()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var buf bytes.Buffer
		printDrift(&buf, envRun{env: env.Name, report: rep, err: err})
		fmt.Fprint(c.opts.IO.Out, buf.String())
		switch {
		case err != nil || rep.Failed():
			failed = true
			c.sum("### %s: drift check failed\n\n```text\n%s```\n\n", env.Name, buf.String())
		case rep.Drifted():
			drifted = true
			c.sum("### %s: drift\n\n```text\n%s```\n\n", env.Name, buf.String())
		default:
			c.sum("### %s: no drift\n\n```text\n%s```\n\n", env.Name, buf.String())
		}
		if err == nil {
			if rerr := recordDrift(ctx, st, rep); rerr != nil {
				fmt.Fprintf(c.opts.IO.ErrOut, "warning: could not record the drift report: %v\n", rerr)
			}
		}
		alerts = append(alerts, ciDriftAlerts(c.cfg, rep, c.runURL())...)
	}
	if drifted {
		c.setOutput("drifted", "true")
	}
	c.alertDrift(ctx, alerts)
	switch {
	case failed:
		return errors.New("vigil ci: a stack could not be checked for drift (see the job summary)")
	case drifted:
		fmt.Fprintln(c.opts.IO.ErrOut, "vigil ci: drift found (see the job summary)")
		return ErrChanges
	}
	return nil
}

// alertDrift sends the drift alerts to the sinks of the alerts block and
// says in the summary what went where. A failed delivery does not change
// the exit code: drift already fails the job.
func (c *ciRunner) alertDrift(ctx context.Context, alerts []alert.Alert) {
	c.output("alerts-sent", "0")
	if len(alerts) == 0 {
		return
	}
	lookup := func(name string) (string, bool) {
		v := c.opts.Getenv(name)
		return v, v != ""
	}
	res, err := sendDriftAlerts(ctx, c.cfg, alerts, alert.BuildOptions{
		Env: lookup,
		AWSConfig: func(ctx context.Context, name string) (aws.Config, error) {
			if name == "" {
				name = c.envs[0].Name
			}
			env, ok := c.cfg.Environment(name)
			if !ok {
				return aws.Config{}, fmt.Errorf("unknown environment %q", name)
			}
			return envAWSConfig(ctx, c.cfg, env)
		},
	})
	switch {
	case res.Skipped != "":
		c.sum("### Alerts: not sent\n\n%s\n\n", res.Skipped)
		fmt.Fprintf(c.opts.IO.ErrOut, "vigil ci: drift alerts not sent: %s has no alerts block\n", config.FileName)
		return
	case err != nil && len(res.Lines) == 0:
		c.sum("### Alerts: not sent\n\n%s\n\n", review.MaskText(err.Error()))
	default:
		c.sum("### Alerts\n\n%s\n\n", strings.Join(res.Lines, "\n"))
	}
	c.setOutput("alerts-sent", strconv.Itoa(res.Sent))
	if err != nil {
		fmt.Fprintf(c.opts.IO.ErrOut, "warning: drift alerts: %v\n", err)
	}
}

// runURL links this workflow run ("" outside one).
func (c *ciRunner) runURL() string {
	repo := c.repo()
	if repo == "" || c.gh.RunID == "" {
		return ""
	}
	return c.gh.ServerURL + "/" + repo + "/actions/runs/" + c.gh.RunID
}

// openStore opens the repository's store.
func openStore(cfg *config.Config) (store.Store, func(), error) {
	if err := os.MkdirAll(cfg.StateDir(), 0o755); err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(filepath.Join(cfg.StateDir(), StoreFileName))
	if err != nil {
		return nil, nil, err
	}
	return st, func() { _ = st.Close() }, nil
}

// recordDrift stores one report per stack and one for the unmanaged check,
// so vigil backlog can tell drift fixed by hand.
func recordDrift(ctx context.Context, st store.Store, rep *drift.Report) error {
	for _, s := range rep.Stacks {
		n := 0
		for _, f := range s.Drift {
			if f.IsDrift() {
				n++
			}
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if _, err := st.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{Env: rep.Env, Stack: s.Stack,
			Status: s.Status, CheckedAt: rep.StartedAt, Duration: s.Duration, Findings: n, Report: b, Error: s.Error}}); err != nil {
			return err
		}
	}
	if !rep.Unmanaged.Checked {
		return nil
	}
	n := 0
	for _, f := range rep.Unmanaged.Findings {
		if f.IsDrift() {
			n++
		}
	}
	status := store.DriftClean
	switch {
	case len(rep.Unmanaged.Errors) > 0:
		status = store.DriftError
	case n > 0:
		status = store.DriftDrifted
	}
	b, err := json.Marshal(rep.Unmanaged)
	if err != nil {
		return err
	}
	_, err = st.DriftReportInsert(ctx, &store.DriftReportInsertParams{Report: store.DriftReport{Env: rep.Env, Status: status,
		CheckedAt: rep.StartedAt, Findings: n, Report: b, Error: strings.Join(rep.Unmanaged.Errors, "; ")}})
	return err
}

// sarifResults counts the results of a SARIF file (0 when unreadable).
func sarifResults(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var s struct {
		Runs []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if json.Unmarshal(b, &s) != nil {
		return 0
	}
	n := 0
	for _, r := range s.Runs {
		n += len(r.Results)
	}
	return n
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
