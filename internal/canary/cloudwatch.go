package canary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// DefaultNamespace is where canary metrics go, beside CloudWatch
// Synthetics' own "CloudWatchSynthetics".
const DefaultNamespace = "vigil/Canary"

// CloudWatchOptions configure the CloudWatch sink.
type CloudWatchOptions struct {
	// Namespace; default "vigil/Canary".
	Namespace string
	// FlushEvery batches results and sends them every so often (Run does);
	// zero sends each result at once.
	FlushEvery time.Duration
	Clock      Clock
	Logger     *slog.Logger
}

type putMetricDataAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// CloudWatch is a Sink that publishes each result as CloudWatch metrics,
// the way CloudWatch Synthetics does, so alarms can fire on them:
// SuccessPercent (100 or 0, Percent), Duration (Milliseconds) and Failed
// (1 or 0, Count), dimension CanaryName.
type CloudWatch struct {
	client putMetricDataAPI
	opts   CloudWatchOptions

	mu  sync.Mutex
	buf []cwtypes.MetricDatum
}

// maxBuffered bounds the batch: results beyond it are sent at once.
const (
	maxDatumsPerPut = 500
	maxBuffered     = 10 * maxDatumsPerPut
)

// NewCloudWatch returns a CloudWatch sink using an aws-sdk-go-v2 config
// (the standard chain for AWS; the sandbox's for the sandbox).
func NewCloudWatch(cfg aws.Config, opts CloudWatchOptions) *CloudWatch {
	return newCloudWatch(cloudwatch.NewFromConfig(cfg), opts)
}

func newCloudWatch(client putMetricDataAPI, opts CloudWatchOptions) *CloudWatch {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &CloudWatch{client: client, opts: opts}
}

// Datums are the metric data for one result.
func Datums(r Result) []cwtypes.MetricDatum {
	dims := []cwtypes.Dimension{{Name: aws.String("CanaryName"), Value: aws.String(r.Canary)}}
	success, failed := 0.0, 1.0
	if r.OK {
		success, failed = 100, 0
	}
	ts := aws.Time(r.Time)
	return []cwtypes.MetricDatum{
		{MetricName: aws.String("SuccessPercent"), Dimensions: dims, Timestamp: ts, Value: aws.Float64(success), Unit: cwtypes.StandardUnitPercent},
		{MetricName: aws.String("Duration"), Dimensions: dims, Timestamp: ts, Value: aws.Float64(float64(r.Latency) / float64(time.Millisecond)), Unit: cwtypes.StandardUnitMilliseconds},
		{MetricName: aws.String("Failed"), Dimensions: dims, Timestamp: ts, Value: aws.Float64(failed), Unit: cwtypes.StandardUnitCount},
	}
}

// RecordResult implements Sink: it sends the result's datums at once, or
// buffers them when FlushEvery is set.
func (c *CloudWatch) RecordResult(ctx context.Context, r Result) error {
	ds := Datums(r)
	if c.opts.FlushEvery <= 0 {
		return c.put(ctx, ds)
	}
	c.mu.Lock()
	c.buf = append(c.buf, ds...)
	full := len(c.buf) >= maxBuffered
	c.mu.Unlock()
	if full {
		return c.Flush(ctx)
	}
	return nil
}

// Flush sends what is buffered.
func (c *CloudWatch) Flush(ctx context.Context) error {
	c.mu.Lock()
	ds := c.buf
	c.buf = nil
	c.mu.Unlock()
	return c.put(ctx, ds)
}

// Run flushes every FlushEvery until ctx ends, then flushes once more
// (with a short deadline of its own).
func (c *CloudWatch) Run(ctx context.Context) error {
	if c.opts.FlushEvery <= 0 {
		<-ctx.Done()
		return nil
	}
	t := c.opts.Clock.NewTicker(c.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			return c.Flush(fctx)
		case <-t.C():
			if err := c.Flush(ctx); err != nil {
				c.opts.Logger.Warn("canary: CloudWatch metrics not sent", "err", err)
			}
		}
	}
}

func (c *CloudWatch) put(ctx context.Context, ds []cwtypes.MetricDatum) error {
	var errs []error
	for len(ds) > 0 {
		n := min(len(ds), maxDatumsPerPut)
		_, err := c.client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(c.opts.Namespace), MetricData: ds[:n]})
		if err != nil {
			errs = append(errs, fmt.Errorf("cloudwatch PutMetricData (%s, %d datums): %w", c.opts.Namespace, n, err))
		}
		ds = ds[n:]
	}
	return errors.Join(errs...)
}
