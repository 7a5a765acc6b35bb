package dynamodb_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BenchmarkConditionalPutItem measures Terraform-lock-style writes —
// PutItem with attribute_not_exists(LockID) — through the real SDK on
// loopback, each one a durable (fsynced) commit. It reports requests per
// second and the 99th percentile latency. "taken" writes the same key
// again and again, so every request after the first fails its condition
// (a contended lock).
func BenchmarkConditionalPutItem(b *testing.B) {
	for _, bc := range []struct {
		name     string
		parallel int
		sameKey  bool
	}{
		{"serial", 1, false},
		{"parallel-8", 8, false},
		{"taken-parallel-8", 8, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, _ := client(b)
			lockTable(b, c, "bench")
			ctx := context.Background()
			var seq atomic.Int64
			lat := make([]time.Duration, 0, b.N)
			var mu sync.Mutex
			var failed atomic.Int64
			b.SetParallelism(bc.parallel)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				local := make([]time.Duration, 0, 1024)
				for pb.Next() {
					key := "bench/state/" + strconv.FormatInt(seq.Add(1), 10)
					if bc.sameKey {
						key = "bench/state/locked"
					}
					t0 := time.Now()
					_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
						TableName: aws.String("bench"),
						Item: map[string]types.AttributeValue{
							"LockID": &types.AttributeValueMemberS{Value: key},
							"Info":   &types.AttributeValueMemberS{Value: `{"ID":"4c0e","Operation":"OperationTypeApply","Who":"bench@host"}`},
						},
						ConditionExpression: aws.String("attribute_not_exists(LockID)"),
					})
					local = append(local, time.Since(t0))
					var ccf *types.ConditionalCheckFailedException
					if err != nil && !(bc.sameKey && errors.As(err, &ccf)) {
						failed.Add(1)
					}
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d requests failed", failed.Load())
			}
			slices.Sort(lat)
			p99 := lat[min(len(lat)-1, len(lat)*99/100)]
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}
