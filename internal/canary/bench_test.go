package canary_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sre/vigil/internal/canary"
)

const benchServerEnv = "VIGIL_CANARY_BENCH_SERVER"

// TestBenchTargetServer is the benchmark's target, run in a child process
// so the benchmark's CPU figures are the runner's alone. It serves on
// 127.0.0.1 until its standard input closes.
func TestBenchTargetServer(t *testing.T) {
	if os.Getenv(benchServerEnv) != "1" {
		t.Skip("the canary benchmark's target server; run by BenchmarkRunner1000")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok","items":[1,2,3]}`)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println("ADDR " + ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

func cpuSeconds(ru syscall.Rusage) float64 {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func selfCPU(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return cpuSeconds(ru)
}

// procStatusKB reads a "VmRSS:"-style line of /proc/self/status in kB.
func procStatusKB(key string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseFloat(f[0], 64)
				return v
			}
		}
	}
	return 0
}

// BenchmarkRunner1000 runs 1,000 canaries at a 1 s interval for 10 s
// against a local server (a child process on 127.0.0.1): 60 times the
// load of 1,000 canaries every minute. It reports the runner process's
// CPU seconds per wall second (cpu-s/s), that figure scaled to a 1-minute
// interval (cpu-s/s@1m), the target's, resident memory, checks per
// second and the p99 latency. Run with -benchtime=1x.
func BenchmarkRunner1000(b *testing.B) {
	const (
		canaries = 1000
		interval = time.Second
		window   = 10 * time.Second
	)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchTargetServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		b.Fatal("target server did not start")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	var checks []*canary.Check
	for i := range canaries {
		c, err := canary.Build(canary.Config{
			Name: fmt.Sprintf("bench-%04d", i), URL: "http://" + addr + "/health", Every: "1s", Timeout: "900ms",
			Expect: []string{"status == 200", "latency < 500ms", `json.status == "ok"`, "json.items.length > 0"},
		}, canary.BuildOptions{})
		if err != nil {
			b.Fatal(err)
		}
		checks = append(checks, c)
	}
	b.ResetTimer()
	var cpuPerSec, rss, hwm, rate, p99 float64
	for range b.N {
		mem := canary.NewMemory(16)
		r, err := canary.NewRunner(checks, prometheus.NewRegistry(), canary.RunnerOptions{Concurrency: 64, Sinks: []canary.Sink{mem}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), window)
		cpu0, t0 := selfCPU(b), time.Now()
		_ = r.Run(ctx)
		cancel()
		wall := time.Since(t0).Seconds()
		cpuPerSec = (selfCPU(b) - cpu0) / wall
		rss, hwm = procStatusKB("VmRSS")/1024, procStatusKB("VmHWM")/1024
		var lat []time.Duration
		okN := 0
		for _, c := range checks {
			for _, res := range mem.Results(c.Name) {
				lat = append(lat, res.Latency)
				if res.OK {
					okN++
				}
			}
		}
		rate = float64(len(lat)) / wall
		if len(lat) > 0 {
			slices.Sort(lat)
			p99 = lat[len(lat)*99/100].Seconds() * 1000
		}
		if okN < len(lat)*99/100 {
			b.Errorf("only %d of %d checks passed", okN, len(lat))
		}
	}
	b.StopTimer()
	_ = stdin.Close()
	_ = cmd.Wait()
	target := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		target = cpuSeconds(*ru) / (window.Seconds() * float64(b.N))
	}
	b.ReportMetric(cpuPerSec, "cpu-s/s")
	b.ReportMetric(cpuPerSec*interval.Seconds()/60, "cpu-s/s@1m")
	b.ReportMetric(target, "target-cpu-s/s")
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(hwm, "peak-rss-MB")
	b.ReportMetric(rate, "checks/s")
	b.ReportMetric(p99, "p99-ms")
}
