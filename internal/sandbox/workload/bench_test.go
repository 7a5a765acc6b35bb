package workload_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSimulatedHour is the wall time of one hour of virtual time for
// a three-task service behind an ALB: 720 steps (tasks, health checks,
// 120 synthetic requests a minute, CPU samples), 60 minutes of metrics.
func BenchmarkSimulatedHour(b *testing.B) {
	e := newEnv(b)
	e.createService(b, "api", 3, true)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := e.sb.AdvanceClock(ctx, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/virtual-hour")
}
