package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Running reports the sandbox serving dataDir, if one is: the data
// directory is locked and the recorded address answers /_vigil/health for
// that same directory. ok is false when none runs.
func Running(ctx context.Context, dataDir string) (Info, bool) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return Info{}, false
	}
	info, err := readInfo(dir)
	if err != nil || info.URL == "" {
		return Info{}, false
	}
	if !locked(dir) {
		return Info{}, false // a stale server.json from a killed server
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.URL+"/_vigil/health", nil)
	if err != nil {
		return Info{}, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Info{}, false
	}
	defer resp.Body.Close()
	var h struct {
		DataDir string `json:"data_dir"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&h) != nil || h.DataDir != dir {
		return Info{}, false
	}
	return info, true
}

// locked reports whether another process holds dir's lock.
func locked(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// Endpoint is a sandbox some vigil command talks to: either one already
// running for the data directory, or one this process started. Close stops
// the latter and does nothing to the former.
type Endpoint struct {
	URL       string
	AccountID string
	Region    string
	// Server is non-nil when this process started the sandbox.
	Server *Server
}

// Close stops an in-process sandbox.
func (e *Endpoint) Close(ctx context.Context) error {
	if e.Server == nil {
		return nil
	}
	return e.Server.Close(ctx)
}

// Ensure returns the sandbox for opts.DataDir: the running one if there is
// one, else a new one started in this process (on opts.Addr, default a free
// loopback port).
func Ensure(ctx context.Context, opts Options) (*Endpoint, error) {
	if info, ok := Running(ctx, opts.DataDir); ok {
		return &Endpoint{URL: info.URL, AccountID: info.AccountID, Region: info.Region}, nil
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	srv, err := Open(opts)
	if err != nil {
		var inUse *InUseError
		if errors.As(err, &inUse) {
			// Lost a race with a server starting right now: use it.
			for i := 0; i < 20; i++ {
				if info, ok := Running(ctx, opts.DataDir); ok {
					return &Endpoint{URL: info.URL, AccountID: info.AccountID, Region: info.Region}, nil
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		return nil, err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Close(ctx)
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	return &Endpoint{URL: srv.URL(), AccountID: srv.AccountID(), Region: srv.opts.Region, Server: srv}, nil
}

// Credentials the sandbox accepts (any key works; these are what vigil
// hands to the processes it starts).
const (
	AccessKeyID     = "AKIAVIGILSANDBOX0000"
	SecretAccessKey = "vigil-sandbox-secret-key"
)

// Env is the environment that points AWS SDKs, the AWS CLI and Terraform
// (the AWS provider and the S3 backend) at the sandbox. vigil never edits
// the user's files to do this.
func (e *Endpoint) Env(region string) map[string]string {
	if region == "" {
		region = e.Region
	}
	if region == "" {
		region = DefaultRegion
	}
	return map[string]string{
		"AWS_ENDPOINT_URL":          e.URL,
		"AWS_ACCESS_KEY_ID":         AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     SecretAccessKey,
		"AWS_SESSION_TOKEN":         "",
		"AWS_REGION":                region,
		"AWS_DEFAULT_REGION":        region,
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE":               "",
	}
}
