package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// LockHolder describes who holds an environment lock.
type LockHolder struct {
	RunID   string    `json:"run_id,omitempty"`
	Command string    `json:"command"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user"`
	Since   time.Time `json:"since"`
}

func (h LockHolder) String() string {
	s := h.Command
	if h.RunID != "" {
		s += " (run " + h.RunID + ")"
	}
	return fmt.Sprintf("%s, pid %d on %s, user %s, since %s", s, h.PID, h.Host, h.User, h.Since.Format(time.RFC3339))
}

// EnvLockedError: another vigil process holds the environment.
type EnvLockedError struct {
	Env    string
	Holder LockHolder // zero when the holder wrote nothing yet
	Waited time.Duration
}

func (e *EnvLockedError) Error() string {
	who := "another vigil process"
	if e.Holder.PID != 0 {
		who = e.Holder.String()
	}
	wait := "wait for it to finish, or retry with --lock-timeout 10m to wait"
	if e.Waited > 0 {
		wait = fmt.Sprintf("waited %s; wait for it to finish or raise --lock-timeout", e.Waited.Round(time.Second))
	}
	return fmt.Sprintf("environment %s is locked by %s: %s", e.Env, who, wait)
}

// EnvLock is an exclusive lock on one environment of a repository: two
// vigil plans or applies of an environment never interleave. It is a
// flock on .vigil/locks/<env>.lock, so the kernel releases it when the
// process dies (even by kill -9); the file holds the holder's details for
// the messages of those who wait.
type EnvLock struct {
	f      *os.File
	Holder LockHolder
}

func envLockPath(stateDir, env string) string {
	return filepath.Join(stateDir, "locks", env+".lock")
}

// AcquireEnvLock takes the lock of env, waiting up to timeout (0: fail at
// once) and returns an *EnvLockedError naming the holder when it cannot.
func AcquireEnvLock(ctx context.Context, stateDir, env string, holder LockHolder, timeout time.Duration) (*EnvLock, error) {
	path := envLockPath(stateDir, env)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open environment lock %s: %w", path, err)
	}
	start := time.Now()
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errWouldBlock) {
			f.Close()
			return nil, fmt.Errorf("lock environment %s: %w", env, err)
		}
		waited := time.Since(start)
		if waited >= timeout {
			f.Close()
			h, _ := readHolder(path)
			return nil, &EnvLockedError{Env: env, Holder: h, Waited: waited}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(min(200*time.Millisecond, timeout-waited)):
		}
	}
	if holder.Since.IsZero() {
		holder.Since = time.Now().UTC()
	}
	b, _ := json.Marshal(holder)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
		_ = f.Sync()
	}
	return &EnvLock{f: f, Holder: holder}, nil
}

// Release gives the lock up.
func (l *EnvLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	defer func() { l.f.Close(); l.f = nil }()
	return unlockFile(l.f)
}

// EnvLockState reports whether env's lock is held (by any process, this
// one included) and by whom, as last recorded.
func EnvLockState(stateDir, env string) (held bool, holder LockHolder) {
	path := envLockPath(stateDir, env)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false, LockHolder{}
	}
	defer f.Close()
	h, _ := readHolder(path)
	if err := tryLock(f); err != nil {
		return true, h
	}
	_ = unlockFile(f)
	return false, h
}

func readHolder(path string) (LockHolder, error) {
	f, err := os.Open(path)
	if err != nil {
		return LockHolder{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<16))
	if err != nil {
		return LockHolder{}, err
	}
	var h LockHolder
	err = json.Unmarshal(b, &h)
	return h, err
}
