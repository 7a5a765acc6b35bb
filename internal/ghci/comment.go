package ghci

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Marker starts every vigil plan comment.
const Marker = "<!-- vigil-plan -->"

// BotLogin is the account GITHUB_TOKEN comments as. Only its comments
// count: a person cannot post as it.
const BotLogin = "github-actions[bot]"

// CommentLimit is GitHub's limit on a comment's length, with room to spare.
const CommentLimit = 65000

var (
	commitRe      = regexp.MustCompile(`<!-- vigil-commit ([0-9a-f]{40}) -->`)
	fingerprintRe = regexp.MustCompile(`<!-- vigil-fingerprint env=(\S+) run=(\S*) fingerprint=(sha256:[0-9a-f]{64}) -->`)
)

// Section is one environment's part of the comment.
type Section struct {
	Env string `json:"env"`
	Run string `json:"run,omitempty"`
	// Fingerprint is the plan's; only a plan that succeeded carries one
	// (Planned), so only it can be applied.
	Fingerprint string `json:"fingerprint,omitempty"`
	Planned     bool   `json:"planned"`
	// Review is the Markdown review (vigil show --markdown), or why the
	// plan did not run.
	Review string `json:"review"`
}

// CommitMarker is the hidden line naming the commit a comment is for.
func CommitMarker(sha string) string { return "<!-- vigil-commit " + sha + " -->" }

// FingerprintMarker is the hidden line carrying an environment's reviewed
// fingerprint.
func FingerprintMarker(env, run, fp string) string {
	return "<!-- vigil-fingerprint env=" + env + " run=" + run + " fingerprint=" + fp + " -->"
}

// SectionMarkdown renders one environment's section: its heading, the
// fingerprint line when the plan succeeded, and the review.
func SectionMarkdown(s Section) string {
	var b strings.Builder
	b.WriteString("### " + s.Env + "\n")
	if s.Planned && fingerprintRe.MatchString(FingerprintMarker(s.Env, s.Run, s.Fingerprint)) {
		b.WriteString(FingerprintMarker(s.Env, s.Run, s.Fingerprint) + "\n")
	}
	b.WriteString("\n" + strings.TrimSpace(s.Review) + "\n")
	return b.String()
}

// CommentHeader is the top of the comment for head.
func CommentHeader(head string) string {
	short := head
	if len(short) > 7 {
		short = short[:7]
	}
	return Marker + "\n" + CommitMarker(head) + "\n## vigil plan for " + short + "\n\n" +
		"Merging applies exactly these changes: after merge, vigil plans again and applies only when the new plan's fingerprint equals the one shown here.\n\n"
}

// Comment assembles the sticky comment for head from section texts
// (SectionMarkdown), cutting each to an equal share of GitHub's limit.
// Hidden marker lines come first in a section, so a cut never loses them.
func Comment(head string, sections []string) string {
	header := CommentHeader(head)
	budget := (CommentLimit - len(header)) / max(len(sections), 1)
	parts := make([]string, len(sections))
	for i, s := range sections {
		if len(s) > budget {
			s = s[:max(budget-200, 0)] + "\n\n_Truncated to fit one comment: see the job summary._\n"
		}
		parts[i] = s
	}
	return header + strings.Join(parts, "\n")
}

// Reviewed is what a plan comment says was reviewed.
type Reviewed struct {
	// PR is the merged pull request's number (0 when parsed alone).
	PR int
	// Commit is the head commit the plans were made for.
	Commit string
	// Plans are the environments with a successful plan.
	Plans map[string]ReviewedPlan
}

// ReviewedPlan is one environment's reviewed plan.
type ReviewedPlan struct {
	Run, Fingerprint string
}

// ParseComment reads the markers of a plan comment. ok is false when body
// is not one.
func ParseComment(body string) (Reviewed, bool) {
	if !strings.Contains(body, Marker) {
		return Reviewed{}, false
	}
	r := Reviewed{Plans: map[string]ReviewedPlan{}}
	if m := commitRe.FindStringSubmatch(body); m != nil {
		r.Commit = m[1]
	}
	for _, m := range fingerprintRe.FindAllStringSubmatch(body, -1) {
		r.Plans[m[1]] = ReviewedPlan{Run: m[2], Fingerprint: m[3]}
	}
	return r, true
}

// IssueComment is a pull request comment as the API lists it.
type IssueComment struct {
	ID        int64  `json:"id"`
	HTMLURL   string `json:"html_url,omitempty"`
	Body      string `json:"body"`
	User      *User  `json:"user"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// RefusedError: nothing was reviewed that the push may apply.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// MergedPR picks, among the pull requests a commit belongs to, the one
// merged into branch. None is a refusal: a push that no pull request
// merged was never reviewed.
func MergedPR(prs []PullRequest, branch, sha string) (*PullRequest, error) {
	for i := range prs {
		p := &prs[i]
		if (p.Merged || p.MergedAt != nil) && p.Base.Ref == branch {
			return p, nil
		}
	}
	return nil, &RefusedError{Reason: fmt.Sprintf("%s reached %s without a merged pull request: nothing was reviewed, so nothing is applied; open a pull request", short(sha), branch)}
}

// FindReviewed takes the latest plan comment by the bot among a merged
// pull request's comments (in the API's order, oldest first) and accepts
// it only when it was made for the pull request's merged head.
func FindReviewed(pr *PullRequest, comments []IssueComment) (Reviewed, error) {
	var latest *Reviewed
	for _, c := range comments {
		if c.User == nil || c.User.Login != BotLogin {
			continue
		}
		if r, ok := ParseComment(c.Body); ok {
			latest = &r
		}
	}
	if latest == nil {
		return Reviewed{}, &RefusedError{Reason: fmt.Sprintf("pull request #%d has no vigil plan comment by %s: its plan never ran, so nothing is applied", pr.Number, BotLogin)}
	}
	if latest.Commit == "" || latest.Commit != pr.Head.SHA {
		return Reviewed{}, &RefusedError{Reason: fmt.Sprintf("the plan comment of #%d is for %s, but %s was merged: the last push was never planned; nothing is applied, plan it in a new pull request", pr.Number, orNone(latest.Commit), pr.Head.SHA)}
	}
	latest.PR = pr.Number
	return *latest, nil
}

// Approval is one review of a workflow run's deployment
// (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals).
type Approval struct {
	State        string        `json:"state"` // approved, rejected
	Comment      string        `json:"comment"`
	User         *User         `json:"user"`
	Environments []Environment `json:"environments"`
}

// Environment is a GitHub deployment environment.
type Environment struct {
	Name string `json:"name"`
}

// ErrNoApproval: no reviewer approved the environment's deployment.
var ErrNoApproval = errors.New("no approval")

// ApproverFor returns the login of the last reviewer who approved env's
// deployment in a run's approvals.
func ApproverFor(approvals []Approval, env string) (login, comment string, err error) {
	for _, a := range approvals {
		if a.State != "approved" || a.User == nil || a.User.Login == "" {
			continue
		}
		for _, e := range a.Environments {
			if e.Name == env {
				login, comment = a.User.Login, a.Comment
			}
		}
	}
	if login == "" {
		return "", "", fmt.Errorf("%w: environment %s needs approval, but no reviewer approved this run's deployment to it: give the GitHub environment %s required reviewers", ErrNoApproval, env, env)
	}
	return login, comment, nil
}

// SortedEnvs returns the environments of r's plans, sorted.
func (r Reviewed) SortedEnvs() []string {
	var out []string
	for e := range r.Plans {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func orNone(s string) string {
	if s == "" {
		return "no commit"
	}
	return s
}

// StickyComment is the comment to update in place: the latest comment by
// the bot that carries Marker (nil when there is none yet, so a new one is
// created). Comments by anyone else are never edited.
func StickyComment(comments []IssueComment) *IssueComment {
	var out *IssueComment
	for i := range comments {
		c := &comments[i]
		if c.User != nil && c.User.Login == BotLogin && strings.Contains(c.Body, Marker) {
			out = c
		}
	}
	return out
}

// CheckSection checks a section file before it goes into the comment: it
// is env's (its heading) and carries no marker of another environment or
// of the comment itself, so a section cannot vouch for what it did not
// plan.
func CheckSection(env, text string) error {
	if !strings.HasPrefix(text, "### "+env+"\n") {
		return fmt.Errorf("the section of %s does not start with its heading \"### %s\"", env, env)
	}
	if strings.Contains(text, Marker) || commitRe.MatchString(text) {
		return fmt.Errorf("the section of %s carries the comment's own markers", env)
	}
	for _, m := range fingerprintRe.FindAllStringSubmatch(text, -1) {
		if m[1] != env {
			return fmt.Errorf("the section of %s carries a fingerprint of %s", env, m[1])
		}
	}
	return nil
}
