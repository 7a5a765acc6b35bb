package gameday_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/gameday"
	"github.com/vigil-sre/vigil/internal/sandbox/chaos"
	"github.com/vigil-sre/vigil/internal/testutil/devenv"
)

// BenchmarkGameday runs a one-hour game day in virtual time (a gray
// failure — a task answering 500 while it passes its health checks, which
// the remediator replaces — for the first 20 minutes, then a load step)
// on the applied dev environment: the wall time per hour of virtual time
// (ns/op, and wall-s/op in seconds). Run it with -benchtime=1x.
func BenchmarkGameday(b *testing.B) {
	env := devenv.Applied(b)
	sb := gameday.Sandbox{URL: env.Sandbox.URL(), AWS: env.AWSConfig()}
	sc := gameday.Scenario{Name: "one-hour", Detect: "alb-target-5xx", Steps: []gameday.Step{
		{Inject: &chaos.Fault{Kind: chaos.KindUnhealthy, Count: 1, HealthCheck: "pass"}},
		{Run: 20 * time.Minute},
		{Inject: &chaos.Fault{Kind: chaos.KindLoad, ReferenceTasks: 3, Steps: []chaos.Step{{CPU: 90, For: chaos.Duration(15 * time.Minute)}, {CPU: 30}}}},
		{Run: 40 * time.Minute},
	}}
	b.ResetTimer()
	var wall time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		rep, err := gameday.Run(context.Background(), sb, sc, gameday.Options{})
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		n++
		b.ReportMetric(rep.End.Sub(rep.Start).Minutes(), "virtual-min/op")
	}
	b.ReportMetric(wall.Seconds()/float64(n), "wall-s/op")
}
