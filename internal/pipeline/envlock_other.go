//go:build !unix

package pipeline

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock held by another process")

// tryLock is not implemented on this platform: vigil's environment lock
// needs flock.
func tryLock(*os.File) error {
	return errors.New("environment locks need a Unix system (flock)")
}

func unlockFile(*os.File) error { return nil }
