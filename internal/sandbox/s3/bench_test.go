package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// latencies collects per-request durations from parallel workers.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// report adds req/s, p50 and p99 to the benchmark's figures.
func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	if len(l.d) == 0 {
		return
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	pct := func(p float64) float64 {
		return float64(l.d[int(float64(len(l.d)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

var benchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}}

// BenchmarkPutObject measures PutObject over loopback with the real SDK,
// 8 concurrent clients; every put is durable (blob fsynced, state
// committed) before it is acknowledged.
func BenchmarkPutObject(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			c, _ := newClient(b)
			mustBucket(b, c, "bench")
			data := randomBytes(b, sz.size)
			var lat latencies
			var n atomic.Int64
			b.SetBytes(int64(sz.size))
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := "k" + strconv.FormatInt(n.Add(1)%1000, 10)
					t0 := time.Now()
					if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
						b.Error(err)
						return
					}
					lat.add(time.Since(t0))
				}
			})
			lat.report(b, time.Since(start))
		})
	}
}

// BenchmarkGetObject measures GetObject (full body read) over loopback.
func BenchmarkGetObject(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			c, _ := newClient(b)
			mustBucket(b, c, "bench")
			data := randomBytes(b, sz.size)
			for i := 0; i < 16; i++ {
				put(b, c, "bench", "k"+strconv.Itoa(i), data)
			}
			var lat latencies
			var n atomic.Int64
			b.SetBytes(int64(sz.size))
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := "k" + strconv.FormatInt(n.Add(1)%16, 10)
					t0 := time.Now()
					out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(key)})
					if err != nil {
						b.Error(err)
						return
					}
					_, err = io.Copy(io.Discard, out.Body)
					out.Body.Close()
					if err != nil {
						b.Error(err)
						return
					}
					lat.add(time.Since(t0))
				}
			})
			lat.report(b, time.Since(start))
		})
	}
}

// BenchmarkResidentMemory10kObjects runs the sandbox in its own process,
// stores 10,000 objects of 4 KiB in it and reports the process's resident
// memory (VmRSS from /proc) before and after. Run it once:
// -bench ResidentMemory -benchtime 1x.
func BenchmarkResidentMemory10kObjects(b *testing.B) {
	const objects = 10000
	for i := 0; i < b.N; i++ {
		cmd, url := startHelper(b, b.TempDir())
		c := clientFor(url)
		mustBucket(b, c, "rss")
		idle := vmRSS(b, cmd.Process.Pid)
		data := randomBytes(b, 4<<10)
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := next.Add(1)
					if k > objects {
						return
					}
					if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("rss"),
						Key: aws.String(fmt.Sprintf("obj/%05d", k)), Body: bytes.NewReader(data)}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		fill := time.Since(start)
		// A full listing touches every object record.
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("rss")})
		listed := 0
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			listed += len(page.Contents)
		}
		if listed != objects {
			b.Fatalf("listed %d objects, want %d", listed, objects)
		}
		full := vmRSS(b, cmd.Process.Pid)
		b.ReportMetric(idle, "idle-RSS-MiB")
		b.ReportMetric(full, "10k-objects-RSS-MiB")
		b.ReportMetric(objects/fill.Seconds(), "fill-puts/s")
	}
}

// vmRSS reads a process's resident set size in MiB.
func vmRSS(b *testing.B, pid int) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS line")
	return 0
}
