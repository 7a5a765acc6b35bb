package terraform

import (
	"context"
	"encoding/json"
	"syscall"
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
// launches it as usual.
type ProviderServers struct {
	servers []*providerServer
}

// StartProviders starts the providers installed in the runner's data dir
// (run Init first).
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

// Close stops the servers.
func (ps *ProviderServers) Close() {
	if ps == nil {
		return
	}
	for _, s := range ps.servers {
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

type reattachOption struct{ ps *ProviderServers }

func (o reattachOption) configurePlan(c *opConfig) { c.providers = o.ps }

// Attach makes the plan attach to already running provider servers (see
// ProviderServers); they must not have served another command.
func Attach(ps *ProviderServers) PlanOption { return reattachOption{ps} }
