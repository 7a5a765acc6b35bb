package canary_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/vigil-sre/vigil/internal/canary"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func stats(t *testing.T, c *cloudwatch.Client, ns, canaryName, metric string, at time.Time) []cwtypes.Datapoint {
	t.Helper()
	out, err := c.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(ns), MetricName: aws.String(metric),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("CanaryName"), Value: aws.String(canaryName)}},
		StartTime:  aws.Time(at.Add(-5 * time.Minute)), EndTime: aws.Time(at.Add(5 * time.Minute)),
		Period:     aws.Int32(600),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticAverage, cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Datapoints
}

func TestCloudWatchAgainstSandbox(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.Start(t)
	cfg := sb.AWSConfig()
	client := cloudwatch.NewFromConfig(cfg)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("each result at once", func(t *testing.T) {
		cw := canary.NewCloudWatch(cfg, canary.CloudWatchOptions{})
		for _, r := range []canary.Result{
			{Canary: "checkout", Time: now, Latency: 120 * time.Millisecond, Status: 200, OK: true},
			{Canary: "checkout", Time: now.Add(time.Second), Latency: 80 * time.Millisecond, Status: 500},
		} {
			if err := cw.RecordResult(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		sp := stats(t, client, canary.DefaultNamespace, "checkout", "SuccessPercent", now)
		if len(sp) != 1 || aws.ToFloat64(sp[0].Average) != 50 || aws.ToFloat64(sp[0].SampleCount) != 2 || sp[0].Unit != cwtypes.StandardUnitPercent {
			t.Errorf("SuccessPercent = %+v", sp)
		}
		d := stats(t, client, canary.DefaultNamespace, "checkout", "Duration", now)
		if len(d) != 1 || aws.ToFloat64(d[0].Maximum) != 120 || aws.ToFloat64(d[0].Average) != 100 {
			t.Errorf("Duration = %+v", d)
		}
		f := stats(t, client, canary.DefaultNamespace, "checkout", "Failed", now)
		if len(f) != 1 || aws.ToFloat64(f[0].Average) != 0.5 {
			t.Errorf("Failed = %+v", f)
		}
	})

	t.Run("batched, flushed on a tick and on stop", func(t *testing.T) {
		clock := newFakeClock()
		cw := canary.NewCloudWatch(cfg, canary.CloudWatchOptions{Namespace: "vigil/CanaryBatch", FlushEvery: time.Minute, Clock: clock})
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- cw.Run(rctx) }()
		if err := cw.RecordResult(ctx, canary.Result{Canary: "home", Time: now, Latency: time.Millisecond, OK: true}); err != nil {
			t.Fatal(err)
		}
		if sp := stats(t, client, "vigil/CanaryBatch", "home", "SuccessPercent", now); len(sp) != 0 {
			t.Fatalf("sent before the flush: %+v", sp)
		}
		clock.awaitWaiter() // Run's ticker
		clock.Advance(time.Minute)
		waitFor(t, func() bool { return len(stats(t, client, "vigil/CanaryBatch", "home", "SuccessPercent", now)) == 1 }, "the flushed datum")
		if err := cw.RecordResult(ctx, canary.Result{Canary: "home", Time: now.Add(time.Second), Latency: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		sp := stats(t, client, "vigil/CanaryBatch", "home", "SuccessPercent", now)
		if len(sp) != 1 || aws.ToFloat64(sp[0].SampleCount) != 2 {
			t.Errorf("after stop: %+v", sp)
		}
	})
}
