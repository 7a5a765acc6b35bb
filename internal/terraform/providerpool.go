package terraform

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	if s, ok := p.servers[bin]; ok {
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
	cmd.Stderr = io.Discard
	setProcAttr(cmd) // dies with vigil
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
			return
		}
	case <-time.After(30 * time.Second):
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// Close stops every plugin the pool started.
func (p *ProviderPool) Close() {
	p.mu.Lock()
	servers := p.servers
	p.servers = map[string]*providerServer{}
	p.mu.Unlock()
	for _, s := range servers {
		<-s.ready
		if s.cmd == nil {
			continue
		}
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
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
