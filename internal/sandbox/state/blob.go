package state

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// Blob describes a stored payload.
type Blob struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	MD5    string `json:"md5"`    // hex
	SHA256 string `json:"sha256"` // hex
	CRC32  uint32 `json:"crc32"`
}

// ErrTooLarge is returned by WriteBlob when the payload exceeds the limit.
var ErrTooLarge = errors.New("state: blob exceeds size limit")

// WriteBlob streams r to a new durable file and returns its description.
// limit < 0 means no limit. The blob is fsynced and in place when WriteBlob
// returns; reference it from a transaction, or remove it with DeleteBlob.
func (s *Store) WriteBlob(r io.Reader, limit int64) (Blob, error) {
	id := newID()
	tmpPath := filepath.Join(s.dir, "blobs", "tmp", id)
	f, err := os.OpenFile(tmpPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return Blob{}, fmt.Errorf("state: write blob: %w", err)
	}
	cleanup := func() { _ = f.Close(); _ = os.Remove(tmpPath) }
	hMD5, hSHA, hCRC := md5.New(), sha256.New(), crc32.NewIEEE()
	w := io.MultiWriter(f, hMD5, hSHA, hCRC)
	src := r
	if limit >= 0 {
		src = io.LimitReader(r, limit+1)
	}
	n, err := io.Copy(w, src)
	if err != nil {
		cleanup()
		return Blob{}, fmt.Errorf("state: write blob: %w", err)
	}
	if limit >= 0 && n > limit {
		cleanup()
		return Blob{}, ErrTooLarge
	}
	if err := f.Sync(); err != nil {
		cleanup()
		return Blob{}, fmt.Errorf("state: sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmpPath)
		return Blob{}, fmt.Errorf("state: close blob: %w", err)
	}
	final := s.blobPath(id)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		_ = os.Remove(tmpPath)
		return Blob{}, fmt.Errorf("state: write blob: %w", err)
	}
	if err := os.Rename(tmpPath, final); err != nil {
		_ = os.Remove(tmpPath)
		return Blob{}, fmt.Errorf("state: write blob: %w", err)
	}
	syncDir(filepath.Dir(final))
	return Blob{ID: id, Size: n, MD5: hexSum(hMD5), SHA256: hexSum(hSHA), CRC32: hCRC.Sum32()}, nil
}

// OpenBlob opens a stored blob for reading.
func (s *Store) OpenBlob(id string) (*os.File, error) {
	f, err := os.Open(s.blobPath(id))
	if err != nil {
		return nil, fmt.Errorf("state: open blob %s: %w", id, err)
	}
	return f, nil
}

// DeleteBlob removes a blob; a missing blob is not an error.
func (s *Store) DeleteBlob(id string) error {
	if id == "" {
		return nil
	}
	err := os.Remove(s.blobPath(id))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("state: delete blob %s: %w", id, err)
	}
	return nil
}

func (s *Store) blobPath(id string) string {
	if len(id) < 2 {
		return filepath.Join(s.dir, "blobs", "_", id)
	}
	return filepath.Join(s.dir, "blobs", id[:2], id)
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
