package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ProviderServers are the provider plugins of one configuration, started
// ahead of a terraform command in their debug mode, which the command
// attaches to (TF_REATTACH_PROVIDERS) instead of launching them itself.
// A plain `terraform plan` launches the AWS provider several times (for
// its schema, to validate, to plan); attached, it is launched once. They
// run with the runner's environment, as Terraform would give it them.
//
// A provider may be configured only once (the AWS provider refuses a
// second configuration), so the servers serve one command: Close them
// after it. A provider without a debug mode is not attached; Terraform
// launches it as usual. A plugin that ends while the command uses it makes
// the command fail with a *ProviderExitedError.
type ProviderServers struct {
	servers []*providerServer
}

// StartProviders starts the providers installed in the runner's data dir
// (run Init first). The plugins start in the background; the command that
// attaches to them waits for them.
func (r *Runner) StartProviders(ctx context.Context) *ProviderServers {
	ps := &ProviderServers{}
	for addr, bin := range installedProviders(r.dataDir) {
		s := &providerServer{ready: make(chan struct{}), addr: addr}
		go s.start(bin, r.envMap())
		ps.servers = append(ps.servers, s)
	}
	return ps
}

// reattach is the TF_REATTACH_PROVIDERS value for the servers that
// started ("" when none did).
func (ps *ProviderServers) reattach(ctx context.Context) string {
	if ps == nil {
		return ""
	}
	entries := map[string]json.RawMessage{}
	for _, s := range ps.servers {
		if ra := s.reattachInfo(ctx); ra != nil {
			entries[s.addr] = ra
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

// PIDs are the process ids of the plugins that started (waiting for them
// to start or fail).
func (ps *ProviderServers) PIDs() []int {
	if ps == nil {
		return nil
	}
	var out []int
	for _, s := range ps.servers {
		if pid := s.pid(); pid != 0 {
			out = append(out, pid)
		}
	}
	return out
}

// crashed describes the plugins that ended on their own ("" when none did).
func (ps *ProviderServers) crashed() string {
	if ps == nil {
		return ""
	}
	var out []string
	for _, s := range ps.servers {
		if c := s.crashed(); c != "" {
			out = append(out, c)
		}
	}
	return strings.Join(out, "; ")
}

// Close stops the servers and returns once their processes are gone. It
// may be called more than once.
func (ps *ProviderServers) Close() {
	if ps == nil {
		return
	}
	var wg sync.WaitGroup
	for _, s := range ps.servers {
		wg.Go(s.stop)
	}
	wg.Wait()
}

type reattachOption struct{ ps *ProviderServers }

func (o reattachOption) configurePlan(c *opConfig) { c.providers = o.ps }

// Attach makes the plan attach to already running provider servers (see
// ProviderServers); they must not have served another command.
func Attach(ps *ProviderServers) PlanOption { return reattachOption{ps} }

// ProviderExitedError is a command that failed after a provider plugin it
// was attached to ended on its own (crashed, or was killed).
type ProviderExitedError struct {
	Command string
	// Exited names the plugin, its pid and how it ended.
	Exited string
	// Err is the command's own (translated) error.
	Err error
}

func (e *ProviderExitedError) Error() string {
	return fmt.Sprintf("terraform %s failed: the %s", e.Command, e.Exited)
}

func (e *ProviderExitedError) Unwrap() error { return e.Err }

// withCrash turns a command's error into a *ProviderExitedError when one of
// its attached plugins ended on its own.
func (ps *ProviderServers) withCrash(command string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if ps == nil {
		return err
	}
	// A plugin killed mid-command makes terraform fail at once; its exit
	// status may take a moment to be collected.
	grace, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, s := range ps.servers {
		<-s.ready
		if s.exited == nil {
			continue
		}
		select {
		case <-s.exited:
		case <-grace.Done():
		}
	}
	if c := ps.crashed(); c != "" {
		return &ProviderExitedError{Command: command, Exited: c, Err: err}
	}
	return err
}
