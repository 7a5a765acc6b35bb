package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/iostreams"
	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/simclock"
)

func TestNewCmdSandboxClock(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    SandboxClockOptions
		wantErr string
	}{
		{"now", "now", SandboxClockOptions{Action: "now"}, ""},
		{"advance minutes", "advance 5m", SandboxClockOptions{Action: "advance", Advance: 5 * time.Minute}, ""},
		{"advance days", "advance 1d12h", SandboxClockOptions{Action: "advance", Advance: 36 * time.Hour}, ""},
		{"set-speed", "set-speed 60", SandboxClockOptions{Action: "set-speed", Speed: 60}, ""},
		{"set-speed with x", "set-speed 0.5x", SandboxClockOptions{Action: "set-speed", Speed: 0.5}, ""},
		{"stop", "set-speed 0", SandboxClockOptions{Action: "set-speed", Speed: 0}, ""},
		{"addr and json", "--addr 127.0.0.1:4566 --json now", SandboxClockOptions{Action: "now", Addr: "127.0.0.1:4566", JSON: true}, ""},
		{"data dir", "--data-dir /tmp/sbx now", SandboxClockOptions{Action: "now", DataDir: "/tmp/sbx"}, ""},
		{"no action", "", SandboxClockOptions{}, "accepts between 1 and 2 arg(s)"},
		{"unknown action", "rewind 5m", SandboxClockOptions{}, `unknown clock action "rewind"`},
		{"advance without duration", "advance", SandboxClockOptions{}, "needs a duration"},
		{"bad duration", "advance soon", SandboxClockOptions{}, `duration "soon" is not like`},
		{"negative duration", "advance -5m", SandboxClockOptions{}, "unknown shorthand flag"},
		{"bad speed", "set-speed fast", SandboxClockOptions{}, `speed "fast" is not a number`},
		{"now with a value", "now 5", SandboxClockOptions{}, "takes no value"},
		{"both sandboxes", "--addr a:1 --data-dir d now", SandboxClockOptions{}, "give one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios}
			var got *SandboxClockOptions
			cmd := NewCmdSandboxClock(f, func(_ context.Context, o *SandboxClockOptions) error { got = o; return nil })
			if !runFlags(t, cmd, tt.args, tt.wantErr) {
				return
			}
			if got.Action != tt.want.Action || got.Advance != tt.want.Advance || got.Speed != tt.want.Speed ||
				got.Addr != tt.want.Addr || got.DataDir != tt.want.DataDir || got.JSON != tt.want.JSON {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// stoppedSandbox serves a sandbox whose real-time source and virtual clock
// stand still, so its clock reports are the same on every run.
func stoppedSandbox(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	real := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	clock := simclock.New(simclock.WithReal(func() time.Time { return real }), simclock.WithStart(real), simclock.WithSpeed(0))
	dir := t.TempDir()
	srv, err := sandbox.Open(sandbox.Options{DataDir: dir, Addr: "127.0.0.1:0", Clock: clock, Now: func() time.Time { return real }})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv, dir
}

func TestSandboxClockRun(t *testing.T) {
	srv, dir := stoppedSandbox(t)
	noRepo := func() (*config.Config, error) { return nil, config.ErrNotFound }
	steps := []struct {
		name string
		opts SandboxClockOptions
	}{
		{"now", SandboxClockOptions{Action: "now", Addr: srv.URL()}},
		{"advance", SandboxClockOptions{Action: "advance", Advance: 90 * time.Minute, Addr: strings.TrimPrefix(srv.URL(), "http://")}},
		{"set-speed", SandboxClockOptions{Action: "set-speed", Speed: 60, DataDir: dir}},
		{"now-json", SandboxClockOptions{Action: "now", DataDir: dir, JSON: true}},
	}
	for _, st := range steps {
		ios, _, out, _ := iostreams.Test()
		opts := st.opts
		opts.IO, opts.Config = ios, noRepo
		if err := sandboxClockRun(context.Background(), &opts); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		assertGolden(t, "sandbox-clock", st.name, out.String())
	}
	if got := srv.Clock().Speed(); got != 60 {
		t.Fatalf("speed after set-speed: %v", got)
	}
}

func TestSandboxClockRunErrors(t *testing.T) {
	noRepo := func() (*config.Config, error) { return nil, config.ErrNotFound }
	tests := []struct {
		name string
		opts SandboxClockOptions
		want string
	}{
		{"no sandbox on the data dir", SandboxClockOptions{Action: "now", DataDir: t.TempDir()}, "no sandbox is running for data dir"},
		{"nothing at the address", SandboxClockOptions{Action: "now", Addr: "127.0.0.1:1"}, "is the sandbox running?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			opts := tt.opts
			opts.IO, opts.Config = ios, noRepo
			err := sandboxClockRun(context.Background(), &opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFormatClock(t *testing.T) {
	now := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		st   sandbox.ClockStatus
		want string
	}{
		{sandbox.ClockStatus{Now: now, Speed: 1}, "2026-11-25T19:00:00Z (speed 1x, real time)"},
		{sandbox.ClockStatus{Now: now, Speed: 0, OffsetSeconds: 7200}, "2026-11-25T19:00:00Z (stopped, 2h0m0s ahead of real time)"},
		{sandbox.ClockStatus{Now: now, Speed: 0.5, OffsetSeconds: -30}, "2026-11-25T19:00:00Z (speed 0.5x, 30s behind real time)"},
	}
	for _, tt := range tests {
		if got := formatClock(tt.st); got != tt.want {
			t.Errorf("formatClock = %q, want %q", got, tt.want)
		}
	}
}
