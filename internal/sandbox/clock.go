package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
	"github.com/vigil-sre/vigil/internal/simclock"
)

// The sandbox's virtual clock (internal/simclock) is what every service
// reads as the time (service.Env.Now). Its time and speed are kept in the
// data directory, so a restarted sandbox resumes where the last one was:
// at real time plus the offset it had when it ran at real speed, else at
// the virtual time it stopped at, and never before the last instant its
// alarms were evaluated.

const (
	nsSandbox = "sandbox"
	keyClock  = "clock"
	// MaxAdvance bounds one advance of the clock: every alarm period on
	// the way is evaluated before the call returns.
	MaxAdvance = 31 * 24 * time.Hour
)

// clockDoc is the clock as the data directory keeps it.
type clockDoc struct {
	Virtual time.Time     `json:"virtual"` // virtual time when saved
	Offset  time.Duration `json:"offset"`  // virtual - real when saved
	Speed   float64       `json:"speed"`
}

// openClock restores the data directory's clock (real time at real speed
// when it has none).
func openClock(ctx context.Context, st *state.Store, realNow func() time.Time) (*simclock.Clock, error) {
	var doc clockDoc
	err := st.Get(ctx, nsSandbox, keyClock, &doc)
	if err != nil && !service.IsNotFound(err) {
		return nil, fmt.Errorf("sandbox: read the clock: %w", err)
	}
	through, err := cloudwatch.EvaluatedThrough(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("sandbox: read the clock: %w", err)
	}
	real := realNow()
	start, speed := real, 1.0
	if !doc.Virtual.IsZero() {
		speed = doc.Speed
		if speed == 1 {
			start = real.Add(doc.Offset)
		} else {
			start = doc.Virtual
		}
	}
	if start.Before(through) {
		start = through
	}
	if start.Equal(real) && speed == 1 {
		return simclock.New(simclock.WithReal(realNow)), nil
	}
	return simclock.New(simclock.WithReal(realNow), simclock.WithStart(start), simclock.WithSpeed(speed)), nil
}

// saveClock records the clock's time and speed.
func (s *Server) saveClock(ctx context.Context) error {
	now, speed := s.clock.Now(), s.clock.Speed()
	doc := clockDoc{Virtual: now.UTC(), Offset: now.Sub(s.opts.Now()), Speed: speed}
	if speed == 1 && doc.Offset.Abs() < time.Millisecond {
		doc.Offset = 0 // real time
	}
	return s.st.Put(ctx, nsSandbox, keyClock, doc)
}

// Clock is the sandbox's virtual clock. Moving it with its own methods
// works; AdvanceClock and SetClockSpeed also record it in the data
// directory.
func (s *Server) Clock() *simclock.Clock { return s.clock }

// AdvanceClock moves virtual time forward by d (at most MaxAdvance),
// running every alarm evaluation on the way, and records the clock.
func (s *Server) AdvanceClock(ctx context.Context, d time.Duration) error {
	if d > MaxAdvance {
		return fmt.Errorf("sandbox: advance by at most %s at a time (asked %s)", MaxAdvance, d)
	}
	if err := s.clock.Advance(d); err != nil {
		return err
	}
	return s.saveClock(ctx)
}

// SetClockSpeed sets how fast virtual time runs (0 stops it) and records
// the clock.
func (s *Server) SetClockSpeed(ctx context.Context, speed float64) error {
	if err := s.clock.SetSpeed(speed); err != nil {
		return err
	}
	return s.saveClock(ctx)
}

// ClockStatus is what the clock control endpoint reports.
type ClockStatus struct {
	Now   time.Time `json:"now"`
	Speed float64   `json:"speed"`
	Real  time.Time `json:"real"`
	// Offset is virtual minus real time, in seconds.
	OffsetSeconds float64 `json:"offset_seconds"`
}

// ClockRequest is the body of POST /_vigil/clock: advance the clock by a
// duration (Go syntax: "90s", "5m", "1h30m"), set its speed, or both
// (speed first).
type ClockRequest struct {
	Advance string   `json:"advance,omitempty"`
	Speed   *float64 `json:"speed,omitempty"`
}

func (s *Server) clockStatus() ClockStatus {
	now, real := s.clock.Now(), s.opts.Now()
	return ClockStatus{Now: now.UTC(), Speed: s.clock.Speed(), Real: real.UTC(), OffsetSeconds: now.Sub(real).Seconds()}
}

// serveClock serves /_vigil/clock: GET reports the clock, POST moves it.
func (s *Server) serveClock(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, format string, args ...any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var req ClockRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			fail(http.StatusBadRequest, `cannot read the request: %v (send {"advance":"5m"} or {"speed":60})`, err)
			return
		}
		if req.Advance == "" && req.Speed == nil {
			fail(http.StatusBadRequest, `nothing to do: send {"advance":"5m"} or {"speed":60}`)
			return
		}
		if req.Speed != nil {
			if err := s.SetClockSpeed(r.Context(), *req.Speed); err != nil {
				fail(http.StatusBadRequest, "%v", err)
				return
			}
		}
		if req.Advance != "" {
			d, err := time.ParseDuration(req.Advance)
			if err != nil || d < 0 {
				fail(http.StatusBadRequest, "advance %q is not a positive duration like 90s, 5m or 1h30m", req.Advance)
				return
			}
			if err := s.AdvanceClock(r.Context(), d); err != nil {
				fail(http.StatusBadRequest, "%v", err)
				return
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		fail(http.StatusMethodNotAllowed, "use GET to read the clock and POST to move it")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.clockStatus())
}

// ClockControl reads (req nil) or moves the clock of the sandbox serving
// baseURL, through its control endpoint.
func ClockControl(ctx context.Context, client *http.Client, baseURL string, req *ClockRequest) (ClockStatus, error) {
	if client == nil {
		client = http.DefaultClient
	}
	method, body := http.MethodGet, io.Reader(nil)
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return ClockStatus{}, err
		}
		method, body = http.MethodPost, bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(baseURL, "/")+"/_vigil/clock", body)
	if err != nil {
		return ClockStatus{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(hr)
	if err != nil {
		return ClockStatus{}, fmt.Errorf("sandbox clock at %s: %w (is the sandbox running? vigil sandbox serve)", baseURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return ClockStatus{}, fmt.Errorf("sandbox clock at %s: %w", baseURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return ClockStatus{}, errors.New("sandbox clock: " + e.Error)
		}
		return ClockStatus{}, fmt.Errorf("sandbox clock at %s: HTTP %d (%s)", baseURL, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	var st ClockStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return ClockStatus{}, fmt.Errorf("sandbox clock at %s: unexpected answer: %w", baseURL, err)
	}
	return st, nil
}
