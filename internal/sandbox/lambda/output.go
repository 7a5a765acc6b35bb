package lambda

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// logLine is one line of a function's output with its (virtual) time.
type logLine struct {
	at   time.Time
	text string
}

// output collects a process's stdout and stderr as log lines until they
// are flushed to CloudWatch Logs at the end of each invocation.
type output struct {
	mu      sync.Mutex
	partial []byte
	lines   []logLine
	writes  int
	now     func() time.Time
	pipe    *os.File // read end, to wait until the process's output is read
}

// maxLine is CloudWatch Logs' limit on an event (less its overhead).
const maxLine = 256*1024 - 26

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes++
	now := time.Now()
	if o.now != nil {
		now = o.now()
	}
	o.partial = append(o.partial, b...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.add(now, string(o.partial[:i]))
		o.partial = o.partial[i+1:]
	}
	if len(o.partial) > maxLine {
		o.add(now, string(o.partial))
		o.partial = nil
	}
	return len(b), nil
}

func (o *output) add(at time.Time, s string) {
	s = strings.TrimSuffix(s, "\r")
	if len(s) > maxLine {
		s = s[:maxLine]
	}
	o.lines = append(o.lines, logLine{at, s})
}

// line adds a line of the runtime's own (START, END, REPORT).
func (o *output) line(at time.Time, s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.add(at, string(o.partial))
		o.partial = nil
	}
	o.add(at, s)
}

// drain waits (briefly) until everything the process wrote so far has
// been read, so that its last lines come before END.
func (o *output) drain() {
	if o.pipe == nil {
		return
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		w := o.writes
		o.mu.Unlock()
		if unread(o.pipe) == 0 {
			time.Sleep(time.Millisecond)
			o.mu.Lock()
			same := o.writes == w
			o.mu.Unlock()
			if same && unread(o.pipe) == 0 {
				return
			}
			continue
		}
		time.Sleep(time.Millisecond)
	}
}

// unread is the number of bytes waiting in a pipe (FIONREAD).
func unread(f *os.File) int {
	var n int32
	sc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	_ = sc.Control(func(fd uintptr) {
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		if errno != 0 {
			n = 0
		}
	})
	return int(n)
}

// flush sends the collected lines to the function's log group (creating
// the group and stream as Lambda does) and returns them as text.
func (o *output) flush(s *Service, cfg Configuration, stream string) string {
	o.mu.Lock()
	lines := o.lines
	o.lines = nil
	o.mu.Unlock()
	if len(lines) == 0 {
		return ""
	}
	var text strings.Builder
	for _, l := range lines {
		text.WriteString(l.text)
		text.WriteByte('\n')
	}
	group := "/aws/lambda/" + cfg.FunctionName
	if cfg.LoggingConfig != nil && cfg.LoggingConfig.LogGroup != "" {
		group = cfg.LoggingConfig.LogGroup
	}
	region := regionOfARN(cfg.FunctionArn)
	if err := s.writeLogs(region, group, stream, lines); err != nil {
		s.logger().Warn("lambda: write function logs", "function", cfg.FunctionName, "group", group, "err", err)
	}
	return text.String()
}

func regionOfARN(arn string) string {
	if p := strings.SplitN(arn, ":", 5); len(p) == 5 {
		return p[3]
	}
	return ""
}

// writeLogs puts lines on a log stream through the sandbox's CloudWatch
// Logs service, in batches, creating the group and stream when missing.
func (s *Service) writeLogs(region, group, stream string, lines []logLine) error {
	logs := s.rt().Logs
	if logs == nil {
		return nil
	}
	key := region + "\x00" + group + "\x00" + stream
	s.logsMu.Lock()
	known := s.logStreams[key]
	s.logsMu.Unlock()
	if !known {
		if err := callLogs(logs, region, "CreateLogGroup", map[string]any{"logGroupName": group}); err != nil && !strings.Contains(err.Error(), "ResourceAlreadyExists") {
			return err
		}
		if err := callLogs(logs, region, "CreateLogStream", map[string]any{"logGroupName": group, "logStreamName": stream}); err != nil && !strings.Contains(err.Error(), "ResourceAlreadyExists") {
			return err
		}
		s.logsMu.Lock()
		s.logStreams[key] = true
		s.logsMu.Unlock()
	}
	type ev struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	var batch []ev
	size := 0
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := callLogs(logs, region, "PutLogEvents", map[string]any{"logGroupName": group, "logStreamName": stream, "logEvents": batch})
		batch, size = nil, 0
		return err
	}
	var last int64
	for _, l := range lines {
		msg := l.text
		if msg == "" {
			msg = " " // CloudWatch Logs refuses empty messages
		}
		ts := l.at.UnixMilli()
		if ts < last {
			ts = last // a batch must be in order
		}
		last = ts
		if len(batch) == 1000 || size+len(msg)+26 > 1<<20 {
			if err := send(); err != nil {
				return err
			}
		}
		batch = append(batch, ev{ts, msg})
		size += len(msg) + 26
	}
	return send()
}

// callLogs runs one CloudWatch Logs operation in-process.
func callLogs(logs service.Service, region, op string, in any) error {
	body, _ := json.Marshal(in)
	hr, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/x-amz-json-1.1")
	hr.Header.Set("X-Amz-Target", "Logs_20140328."+op)
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	logs.Handle(rec, &service.Request{HTTP: hr, Service: "logs", Region: region, RequestID: protocol.NewRequestID()})
	if rec.status >= 300 {
		return &callError{op: op, status: rec.status, body: rec.body.String()}
	}
	return nil
}

type callError struct {
	op     string
	status int
	body   string
}

func (e *callError) Error() string {
	return e.op + ": HTTP " + http.StatusText(e.status) + ": " + e.body
}

// recorder is a minimal http.ResponseWriter for in-process calls.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
