package terraform

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrNotInitialized is wrapped when a command needs `terraform init` first.
var ErrNotInitialized = errors.New("working directory is not initialized")

// StateLockedError: another run holds the state lock.
type StateLockedError struct {
	Dir       string // configuration directory
	ID        string // lock ID, for force-unlock
	Who       string
	Operation string
	Created   string
	Err       error
}

func (e *StateLockedError) Error() string {
	who := ""
	if e.Who != "" {
		who = " by " + e.Who
	}
	if e.Operation != "" {
		who += " (" + e.Operation
		if e.Created != "" {
			who += " since " + e.Created
		}
		who += ")"
	}
	return fmt.Sprintf("state of %s is locked%s, lock ID %s: wait for that run to finish; if no run is active, release the lock with: terraform -chdir=%s force-unlock %s",
		e.Dir, who, e.ID, e.Dir, e.ID)
}

func (e *StateLockedError) Unwrap() error { return e.Err }

// LockFileError: the dependency lock file and the configuration or the
// installed providers disagree.
type LockFileError struct {
	Dir     string
	Summary string
	Err     error
}

func (e *LockFileError) Error() string {
	return fmt.Sprintf("%s: %s: the dependency lock file %s does not match; update it with `terraform -chdir=%s init -upgrade -backend=false` (with a provider mirror: `terraform -chdir=%s providers lock -fs-mirror=DIR`) and commit it",
		e.Dir, e.Summary, LockFileName, e.Dir, e.Dir)
}

func (e *LockFileError) Unwrap() error { return e.Err }

// ProviderUnavailableError: a provider is in no local mirror and cannot be
// downloaded.
type ProviderUnavailableError struct {
	Requirement Requirement
	// Found are the versions the mirrors do hold (none matched).
	Found []string
	// Looked are the mirror folders searched.
	Looked []string
	// Reason says why the network could not be used.
	Reason string
	Err    error
}

func (e *ProviderUnavailableError) Error() string {
	r := e.Requirement
	what := "provider " + r.Provider.String()
	if c := r.ConstraintString(); c != "" {
		what += " (" + c + ")"
	}
	if len(r.RequiredBy) > 0 {
		what += " required by " + strings.Join(r.RequiredBy, ", ")
	}
	found := ""
	if len(e.Found) > 0 {
		found = "; they hold only " + strings.Join(e.Found, ", ")
	}
	looked := "none found"
	if len(e.Looked) > 0 {
		looked = strings.Join(e.Looked, ", ")
	}
	return fmt.Sprintf("%s is not in any local provider mirror (looked in: %s%s) and %s; set %s to a folder laid out as <host>/<namespace>/<type>/<version>/<os>_<arch>/ holding it (for example one made with `terraform providers mirror DIR`), or restore network access",
		what, looked, found, e.Reason, EnvProviderMirror)
}

func (e *ProviderUnavailableError) Unwrap() error { return e.Err }

// CommandError is a terraform command that failed for a reason vigil has no
// better words for; it carries Terraform's own error summaries.
type CommandError struct {
	Command string // "init", "validate", ...
	Dir     string
	Stderr  string
	Err     error
}

func (e *CommandError) Error() string {
	msg := summarize(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("terraform %s in %s failed: %s", e.Command, e.Dir, msg)
}

func (e *CommandError) Unwrap() error { return e.Err }

var (
	lockIDRe        = regexp.MustCompile(`(?m)^\s*ID:\s+(\S+)`)
	lockWhoRe       = regexp.MustCompile(`(?m)^\s*Who:\s+(.+)$`)
	lockOperationRe = regexp.MustCompile(`(?m)^\s*Operation:\s+(\S+)`)
	lockCreatedRe   = regexp.MustCompile(`(?m)^\s*Created:\s+(.+)$`)
	errorLineRe     = regexp.MustCompile(`(?m)^(?:[│╷ ]*)Error: (.+)$`)
	networkRe       = regexp.MustCompile(`could not connect to|no such host|dial tcp|i/o timeout|connection refused|network is unreachable|TLS handshake timeout`)
	notInitRe       = regexp.MustCompile(`Module not installed|Backend initialization required|Required plugins are not installed|Missing required provider|please run "(terraform|tofu) init"|Run "(terraform|tofu) init"|Inconsistent dependency lock file|Module source has changed|Plugin reinitialization required`)
	lockFileRe      = regexp.MustCompile(`Provider dependency changes detected|lock file is read-only|doesn't match any of the checksums|does not match configured version constraint|checksums previously recorded in the dependency lock file`)
)

// translate turns a failed terraform command into a vigil error with a next
// step. dir is shown in messages (relative to the repository root).
func translate(command, dir, stderr string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case strings.Contains(stderr, "Error acquiring the state lock"):
		e := &StateLockedError{Dir: dir, Err: err}
		e.ID = submatch(lockIDRe, stderr)
		e.Who = submatch(lockWhoRe, stderr)
		e.Operation = submatch(lockOperationRe, stderr)
		e.Created = submatch(lockCreatedRe, stderr)
		return e
	case lockFileRe.MatchString(stderr):
		return &LockFileError{Dir: dir, Summary: summarize(stderr), Err: err}
	case command != "init" && notInitRe.MatchString(stderr):
		return fmt.Errorf("%s: %s (%w): run terraform init there first (vigil check and vigil plan do it for you)", dir, summarize(stderr), ErrNotInitialized)
	}
	return &CommandError{Command: command, Dir: dir, Stderr: stderr, Err: err}
}

func submatch(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// summarize returns Terraform's error summaries ("Error: X"), joined, or
// the last non-empty line when there is none.
func summarize(stderr string) string {
	var sums []string
	for _, m := range errorLineRe.FindAllStringSubmatch(stderr, -1) {
		s := strings.TrimSpace(m[1])
		if !strings.Contains(strings.Join(sums, "\x00"), s) {
			sums = append(sums, s)
		}
	}
	if len(sums) > 0 {
		return strings.Join(sums, "; ")
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
