package drift_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// providerChildren lists the provider plugin processes this test process
// started itself (pid → command line); Linux only (nil elsewhere).
func providerChildren(t *testing.T) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	me := os.Getpid()
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat)[i+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(me) {
			continue
		}
		comm := string(stat)[strings.IndexByte(string(stat), '(')+1 : i]       // at most 15 bytes
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")) // empty for a zombie
		cmd := strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")
		if strings.Contains(cmd, "terraform-provider-") || strings.HasPrefix(comm, "terraform-provi") {
			out[pid] = "state " + f[0] + ": " + cmd
		}
	}
	return out
}

// noProviderLeft fails the test when a provider plugin this process
// started still runs (a zombie counts: nobody waited for it).
func noProviderLeft(t *testing.T, when string) {
	t.Helper()
	if left := providerChildren(t); len(left) > 0 {
		t.Errorf("%s: provider processes left running: %v", when, left)
	}
}
