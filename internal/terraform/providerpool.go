package terraform

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ProviderPool runs each provider plugin once, in the provider's debug mode,
// and lets many `terraform validate` processes attach to it through
// Terraform's TF_REATTACH_PROVIDERS, instead of each one starting the
// plugin twice (once for its schema, once to validate). Starting the AWS
// provider costs about a second of CPU; validate itself then mostly decodes
// the schema.
//
// Only validate uses the pool: it never configures a provider, so one plugin
// process can serve many configurations at once. Plan and apply configure
// their providers and must each have their own. A provider without a debug
// mode (or that fails to start) is simply not pooled: Terraform starts it
// as usual. Close stops the plugins.
type ProviderPool struct {
	env map[string]string

	mu      sync.Mutex
	servers map[string]*providerServer // by plugin binary path
}

type providerServer struct {
	addr     string // provider address, for ProviderServers
	ready    chan struct{}
	reattach json.RawMessage // the provider's entry in TF_REATTACH_PROVIDERS; nil if it did not start
	cmd      *exec.Cmd
	// exited is closed when the process ends (only when it started);
	// exitErr is then its wait status.
	exited  chan struct{}
	exitErr error
	stopped atomic.Bool // stop was called: an exit after it is not a crash
	stderr  *tailBuffer
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// panicLine is the first "panic: …" or "fatal error: …" line written.
func (t *tailBuffer) panicLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, line := range strings.Split(string(t.b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			if len(line) > 300 {
				line = line[:300] + "…"
			}
			return line
		}
	}
	return ""
}

// NewProviderPool returns an empty pool; plugins start on first use with the
// toolchain's environment.
func (tc *Toolchain) NewProviderPool() *ProviderPool {
	return &ProviderPool{env: copyMap(tc.env), servers: map[string]*providerServer{}}
}

// reattachFor returns the TF_REATTACH_PROVIDERS value for the providers
// installed in dataDir, starting the plugins not running yet; "" when none
// can be shared.
func (p *ProviderPool) reattachFor(ctx context.Context, dataDir string) string {
	entries := map[string]json.RawMessage{}
	for addr, bin := range installedProviders(dataDir) {
		if ra := p.server(ctx, bin).reattachInfo(ctx); ra != nil {
			entries[addr] = ra
		}
	}
	if len(entries) == 0 {
		return ""
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return ""
	}
	return string(b)
}

// Start launches the plugins the configurations in dirs will most likely
// use (the newest mirrored version their constraints allow), so that they
// are ready by the time the first validate needs them. A wrong guess only
// costs an idle process until Close.
func (p *ProviderPool) Start(ctx context.Context, tc *Toolchain, dirs []string) {
	reqs, err := Requirements(dirs, tc.bin.Flavor.DefaultRegistryHost())
	if err != nil {
		return
	}
	for _, r := range reqs {
		if bin := tc.mirroredBinary(r); bin != "" {
			p.server(ctx, bin)
		}
	}
}

func (p *ProviderPool) server(ctx context.Context, bin string) *providerServer {
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.servers[bin]; ok && !s.ended() {
		return s
	}
	s := &providerServer{ready: make(chan struct{})}
	p.servers[bin] = s
	go s.start(bin, p.env)
	return s
}

func (s *providerServer) reattachInfo(ctx context.Context) json.RawMessage {
	select {
	case <-s.ready:
		return s.reattach
	case <-ctx.Done():
		return nil
	}
}

// start runs `<plugin> -debug` and reads the reattach line it prints.
func (s *providerServer) start(bin string, env map[string]string) {
	defer close(s.ready)
	cmd := exec.Command(bin, "-debug")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s.stderr = &tailBuffer{max: 16 << 10}
	cmd.Stderr = s.stderr // the last of it, for a crash's panic message
	setProcAttr(cmd)      // dies with vigil
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return
	}
	if err := cmd.Start(); err != nil {
		return
	}
	found := make(chan json.RawMessage, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		sent := false
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !sent && strings.HasPrefix(line, "TF_REATTACH_PROVIDERS='") {
				v := strings.TrimSuffix(strings.TrimPrefix(line, "TF_REATTACH_PROVIDERS='"), "'")
				var m map[string]json.RawMessage
				if json.Unmarshal([]byte(v), &m) == nil && len(m) == 1 {
					for _, ra := range m {
						found <- ra
					}
					sent = true
				}
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case ra, ok := <-found:
		if ok {
			s.reattach, s.cmd = ra, cmd
			s.exited = make(chan struct{})
			go func() {
				s.exitErr = cmd.Wait()
				close(s.exited)
			}()
			return
		}
	case <-time.After(30 * time.Second):
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// crashed describes the process when it ended before stop was called ("" when
// it runs, never started, or was stopped).
func (s *providerServer) crashed() string {
	select {
	case <-s.ready:
	default:
		return ""
	}
	if s.cmd == nil || s.stopped.Load() {
		return ""
	}
	select {
	case <-s.exited:
	default:
		return ""
	}
	status := "it exited"
	if s.exitErr != nil {
		status = s.exitErr.Error()
	}
	if p := s.stderr.panicLine(); p != "" {
		status += ": " + p
	}
	return fmt.Sprintf("provider plugin %s (pid %d) ended while terraform was using it (%s)", s.name(), s.cmd.Process.Pid, status)
}

func (s *providerServer) name() string {
	if s.addr != "" {
		return s.addr
	}
	return filepath.Base(s.cmd.Path)
}

// ended says the plugin started and its process has since ended (a pool
// then starts a new one).
func (s *providerServer) ended() bool {
	select {
	case <-s.ready:
	default:
		return false
	}
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// pid is the plugin's process id (0 when it did not start).
func (s *providerServer) pid() int {
	<-s.ready
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// stop ends the plugin: an interrupt (the debug server's way out), then a
// kill after 5 seconds. It returns once the process is gone.
func (s *providerServer) stop() {
	<-s.ready
	if s.cmd == nil {
		return
	}
	s.stopped.Store(true)
	select {
	case <-s.exited:
		s.removeSocket()
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.removeSocket()
}

// removeSocket deletes the plugin's unix socket when the plugin could not
// (it was killed, or crashed).
func (s *providerServer) removeSocket() {
	var ra struct {
		Addr struct{ Network, String string }
	}
	if json.Unmarshal(s.reattach, &ra) != nil || ra.Addr.Network != "unix" || !strings.HasPrefix(filepath.Base(ra.Addr.String), "plugin") {
		return
	}
	if fi, err := os.Lstat(ra.Addr.String); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(ra.Addr.String)
	}
}

// Close stops every plugin the pool started.
func (p *ProviderPool) Close() {
	p.mu.Lock()
	servers := p.servers
	p.servers = map[string]*providerServer{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(s.stop)
	}
	wg.Wait()
}

// installedProviders maps each provider address installed in a data dir
// (<dataDir>/providers/<host>/<ns>/<type>/<version>/<os_arch>/) to its
// plugin binary.
func installedProviders(dataDir string) map[string]string {
	out := map[string]string{}
	root := filepath.Join(dataDir, "providers")
	plat := platform()
	for _, host := range subdirs(root) {
		for _, ns := range subdirs(filepath.Join(root, host)) {
			for _, typ := range subdirs(filepath.Join(root, host, ns)) {
				for _, ver := range subdirs(filepath.Join(root, host, ns, typ)) {
					dir := filepath.Join(root, host, ns, typ, ver, plat)
					entries, err := os.ReadDir(dir)
					if err != nil {
						continue
					}
					for _, e := range entries {
						if strings.HasPrefix(e.Name(), "terraform-provider-"+typ) {
							out[fmt.Sprintf("%s/%s/%s", host, ns, typ)] = filepath.Join(dir, e.Name())
						}
					}
				}
			}
		}
	}
	return out
}
