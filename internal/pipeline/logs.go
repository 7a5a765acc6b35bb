package pipeline

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/vigil-sre/vigil/internal/review"
)

// scrubWriter writes terraform's output line by line with known secrets and
// pattern matches masked, so nothing unmasked reaches a log file.
type scrubWriter struct {
	mu  sync.Mutex
	w   io.Writer
	sec *review.Secrets
	buf bytes.Buffer
}

func newScrubWriter(w io.Writer, sec *review.Secrets) *scrubWriter {
	return &scrubWriter{w: w, sec: sec}
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	for {
		i := bytes.IndexByte(s.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(s.buf.Next(i + 1))
		if _, err := io.WriteString(s.w, s.sec.Scrub(line)); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Flush writes what is left.
func (s *scrubWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, s.sec.Scrub(s.buf.String()))
	s.buf.Reset()
	return err
}

// writeLog writes terraform output to path, scrubbed.
func writeLog(path string, out []byte, sec *review.Secrets) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sec.Scrub(string(out))), 0o600)
}
