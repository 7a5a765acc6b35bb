package cli

import (
	"log/slog"

	"github.com/vigil-sre/vigil/internal/iostreams"
)

// newLogger logs to ErrOut: text on a terminal, JSON otherwise (for log
// collectors), as DESIGN.md's conventions ask.
func newLogger(ios *iostreams.IOStreams, level slog.Level) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	if ios.IsStderrTTY() {
		return slog.New(slog.NewTextHandler(ios.ErrOut, ho))
	}
	return slog.New(slog.NewJSONHandler(ios.ErrOut, ho))
}
