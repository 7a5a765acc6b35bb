//go:build unix

package pipeline

import (
	"errors"
	"os"
	"syscall"
)

var errWouldBlock = errors.New("lock held by another process")

// tryLock takes an exclusive flock on f without waiting. flock locks
// belong to the open file, so two opens in one process also exclude each
// other, and the kernel drops the lock when the process dies.
func tryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errWouldBlock
		}
		return err
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
