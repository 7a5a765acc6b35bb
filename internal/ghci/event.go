package ghci

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Env is what GitHub Actions tells a step through its environment.
type Env struct {
	EventName   string // GITHUB_EVENT_NAME
	EventPath   string // GITHUB_EVENT_PATH: the payload JSON
	Ref         string // GITHUB_REF
	SHA         string // GITHUB_SHA
	Actor       string // GITHUB_ACTOR
	Repository  string // GITHUB_REPOSITORY: owner/name
	RunID       string // GITHUB_RUN_ID
	Output      string // GITHUB_OUTPUT: file of step outputs
	StepSummary string // GITHUB_STEP_SUMMARY: file of the job summary
	APIURL      string // GITHUB_API_URL (default https://api.github.com)
	ServerURL   string // GITHUB_SERVER_URL (default https://github.com)
	// Token is GITHUB_TOKEN (else GH_TOKEN). Never printed.
	Token string
}

// ReadEnv reads the GITHUB_* variables through getenv. It fails, naming
// what is missing, outside GitHub Actions.
func ReadEnv(getenv func(string) string) (Env, error) {
	e := Env{
		EventName:   getenv("GITHUB_EVENT_NAME"),
		EventPath:   getenv("GITHUB_EVENT_PATH"),
		Ref:         getenv("GITHUB_REF"),
		SHA:         getenv("GITHUB_SHA"),
		Actor:       getenv("GITHUB_ACTOR"),
		Repository:  getenv("GITHUB_REPOSITORY"),
		RunID:       getenv("GITHUB_RUN_ID"),
		Output:      getenv("GITHUB_OUTPUT"),
		StepSummary: getenv("GITHUB_STEP_SUMMARY"),
		APIURL:      strings.TrimRight(getenv("GITHUB_API_URL"), "/"),
		ServerURL:   strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/"),
		Token:       getenv("GITHUB_TOKEN"),
	}
	if e.Token == "" {
		e.Token = getenv("GH_TOKEN")
	}
	if e.APIURL == "" {
		e.APIURL = "https://api.github.com"
	}
	if e.ServerURL == "" {
		e.ServerURL = "https://github.com"
	}
	var missing []string
	if e.EventName == "" {
		missing = append(missing, "GITHUB_EVENT_NAME")
	}
	if e.EventPath == "" {
		missing = append(missing, "GITHUB_EVENT_PATH")
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("vigil ci runs inside GitHub Actions: %s not set (run the documented commands instead: vigil plan, vigil apply, vigil drift)", strings.Join(missing, " and "))
	}
	return e, nil
}

// Event is the part of a webhook payload vigil ci reads.
type Event struct {
	Action      string       `json:"action"`
	Number      int          `json:"number"`
	PullRequest *PullRequest `json:"pull_request"`
	// Ref, Before, After: a push.
	Ref        string      `json:"ref"`
	Before     string      `json:"before"`
	After      string      `json:"after"`
	HeadCommit *Commit     `json:"head_commit"`
	Repository *Repository `json:"repository"`
	Sender     *User       `json:"sender"`
	// Schedule is the cron line of a schedule event.
	Schedule string `json:"schedule"`
}

// PullRequest is a pull request as the API and payloads show it.
type PullRequest struct {
	Number   int     `json:"number"`
	State    string  `json:"state"`
	Title    string  `json:"title"`
	HTMLURL  string  `json:"html_url"`
	Head     Branch  `json:"head"`
	Base     Branch  `json:"base"`
	Merged   bool    `json:"merged"`
	MergedAt *string `json:"merged_at"`
	// MergeCommitSHA is the commit the merge made on the base branch.
	MergeCommitSHA string `json:"merge_commit_sha"`
	User           *User  `json:"user"`
}

// Branch is a pull request's head or base.
type Branch struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

// Commit is a push's head commit.
type Commit struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Repository is the payload's repository.
type Repository struct {
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
}

// User is a GitHub account.
type User struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

// ParseEvent decodes a payload.
func ParseEvent(data []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("the event payload is not JSON: %w", err)
	}
	return &e, nil
}

// ReadEvent reads and decodes the payload at path.
func ReadEvent(path string) (*Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	e, err := ParseEvent(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Trigger is what vigil ci does for an event.
type Trigger string

// Triggers.
const (
	// TriggerReview: check, scan and plan a pull request; write the review.
	TriggerReview Trigger = "review"
	// TriggerApply: apply the reviewed plan after a push to the protected
	// branch.
	TriggerApply Trigger = "apply"
	// TriggerDrift: check every stack for drift (schedule, on demand).
	TriggerDrift Trigger = "drift"
)

// ErrUnsupported is wrapped by Classify's errors for events vigil ci does
// not handle.
var ErrUnsupported = errors.New("unsupported event")

// Classify decides what vigil ci does for an event. protected is the
// branch merges apply from ("" means the repository's default branch).
func Classify(name string, ev *Event, protected string) (Trigger, error) {
	switch name {
	case "pull_request":
		switch ev.Action {
		case "opened", "synchronize", "reopened":
		default:
			return "", fmt.Errorf("%w: pull_request action %q: vigil ci plans on opened, synchronize and reopened (keep the workflow's default pull_request types)", ErrUnsupported, ev.Action)
		}
		if ev.PullRequest == nil || ev.PullRequest.Head.SHA == "" {
			return "", errors.New("the pull_request payload has no pull_request.head.sha")
		}
		return TriggerReview, nil
	case "push":
		branch := ProtectedBranch(ev, protected)
		if branch == "" {
			return "", errors.New("the push payload names no default branch: pass --branch")
		}
		if ev.Ref != "refs/heads/"+branch {
			return "", fmt.Errorf("push to %s: vigil ci applies only after a push to the protected branch %s (nothing applied)", ev.Ref, branch)
		}
		return TriggerApply, nil
	case "schedule", "workflow_dispatch":
		return TriggerDrift, nil
	}
	return "", fmt.Errorf("%w %q: vigil ci handles pull_request (plan and review), push to the protected branch (apply the reviewed plan), schedule and workflow_dispatch (drift)", ErrUnsupported, name)
}

// ProtectedBranch is protected, else the repository's default branch.
func ProtectedBranch(ev *Event, protected string) string {
	if protected != "" {
		return protected
	}
	if ev.Repository != nil {
		return ev.Repository.DefaultBranch
	}
	return ""
}
