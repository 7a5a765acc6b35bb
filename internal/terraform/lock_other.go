//go:build !unix

package terraform

import (
	"context"
	"os"
	"time"
)

// fileLock on systems without flock: an exclusive create, removed on unlock.
type fileLock struct{ path string }

func lockFile(ctx context.Context, path string) (*fileLock, error) {
	for {
		f, err := os.OpenFile(path+".excl", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return &fileLock{path: path + ".excl"}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *fileLock) Unlock() error { return os.Remove(l.path) }
