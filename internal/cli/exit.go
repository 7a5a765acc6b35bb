package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-sre/vigil/internal/iostreams"
)

// ErrFindings: the command ran and reported findings on Out (exit 1,
// nothing more is printed).
var ErrFindings = errors.New("findings reported")

// ErrChanges: the command ran and reported changes on Out (exit 2, like
// terraform plan -detailed-exitcode).
var ErrChanges = errors.New("changes reported")

// FlagError is a usage mistake: the message is followed by a pointer to
// --help.
type FlagError struct {
	Err error
}

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// flagErrorf builds a FlagError.
func flagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// Exit reports err on ErrOut when it has something to say and returns the
// process exit code: 0 for nil, 2 for ErrChanges, 1 otherwise.
func Exit(ios *iostreams.IOStreams, err error) int {
	var fe *FlagError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrChanges):
		return 2
	case errors.Is(err, ErrFindings):
		return 1
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(ios.ErrOut, "Interrupted.")
		return 1
	case errors.As(err, &fe):
		fmt.Fprintf(ios.ErrOut, "Error: %s\nRun 'vigil --help' or 'vigil <command> --help' for usage.\n", fe.Err)
		return 1
	default:
		fmt.Fprintf(ios.ErrOut, "Error: %s\n", err)
		return 1
	}
}
