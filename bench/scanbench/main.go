// Command scanbench supports bench/scan.sh: it generates the 1,000-resource
// tree, runs the policy scan in-process (a stand-in for `vigil scan` on
// builds where the verb is not registered yet), measures wall time and peak
// memory of a command when /usr/bin/time is missing, and compares vigil's
// findings with trivy's on the concerns both check.
//
//	scanbench gen DIR N
//	scanbench scan [--json] PATH...
//	scanbench measure CMD [ARG...]        # prints "<wall ms> <max RSS KiB>"
//	scanbench compare VIGIL.json TRIVY.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/vigil-sre/vigil/internal/policy"
	"github.com/vigil-sre/vigil/internal/policy/external"
	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/policytest"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "scan":
		err = scan(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: scanbench gen DIR N | scan [--json] PATH... | measure CMD... | compare VIGIL.json TRIVY.json")
	os.Exit(2)
}

func gen(args []string) error {
	if len(args) != 2 {
		usage()
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	got, err := policytest.GenerateTree(args[0], n)
	if err != nil {
		return err
	}
	fmt.Printf("generated %d resources under %s\n", got, args[0])
	return nil
}

func scan(args []string) error {
	asJSON := len(args) > 0 && args[0] == "--json"
	if asJSON {
		args = args[1:]
	}
	rep, err := policy.New().Scan(context.Background(), &policy.ScanParams{Paths: args})
	if err != nil {
		return err
	}
	if asJSON {
		return policy.WriteJSON(os.Stdout, rep)
	}
	return policy.WriteText(os.Stdout, rep, policy.TextOptions{})
}

func measure(args []string) error {
	if len(args) == 0 {
		usage()
	}
	cmd := exec.Command(args[0], args[1:]...)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd.Stdout, cmd.Stderr = devnull, devnull
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return err
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	fmt.Printf("%d %d\n", wall.Milliseconds(), rss)
	return nil
}

func compare(args []string) error {
	if len(args) != 2 {
		usage()
	}
	vb, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var vigil struct {
		Findings []policy.Finding `json:"findings"`
	}
	if err := json.Unmarshal(vb, &vigil); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	tb, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	tfs, _, err := external.ParseTrivy(tb, "")
	if err != nil {
		return err
	}
	// Count places, not checks: trivy has several checks per concern (five
	// for a public access block) and reports each module instance.
	vCount, tCount := map[string]int{}, map[string]int{}
	seen := map[string]bool{}
	place := func(tool, concern string, r finding.Range) bool {
		k := fmt.Sprintf("%s|%s|%s|%d", tool, concern, filepath.Clean(r.Filename), r.Start.Line)
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for _, f := range vigil.Findings {
		if !f.Suppressed && place("vigil", f.RuleID, f.Range) {
			vCount[f.RuleID]++
		}
	}
	trivyOnly := 0
	for _, f := range tfs {
		eq := external.VigilEquivalent(f.RuleID)
		switch {
		case eq != "" && place("trivy", eq, f.Range):
			tCount[eq]++
		case eq == "" && place("trivy", f.RuleID, f.Range):
			trivyOnly++
		}
	}
	shared := map[string]bool{}
	for id := range tCount {
		shared[id] = true
	}
	for _, id := range []string{"VGL-S001", "VGL-S010", "VGL-S013", "VGL-S016", "VGL-S020", "VGL-S031", "VGL-S050"} {
		shared[id] = true
	}
	ids := make([]string, 0, len(shared))
	for id := range shared {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Printf("%-9s %6s %6s  %s\n", "CONCERN", "VIGIL", "TRIVY", "")
	for _, id := range ids {
		mark := ""
		if vCount[id] < tCount[id] {
			mark = "<- vigil reports fewer"
		}
		fmt.Printf("%-9s %6d %6d  %s\n", id, vCount[id], tCount[id], mark)
	}
	vigilOnly := 0
	for id, n := range vCount {
		if !shared[id] {
			vigilOnly += n
		}
	}
	fmt.Printf("other findings (distinct places): vigil %d (reliability and checks trivy lacks), trivy %d (checks vigil does not map)\n", vigilOnly, trivyOnly)
	return nil
}
