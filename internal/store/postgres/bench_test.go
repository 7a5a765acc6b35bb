package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/sqlite"
	"github.com/vigil-sre/vigil/internal/testutil/pgtest"
)

// BenchmarkRunInsertAudit measures what a pipeline step costs the store: a
// run inserted with its audit event (one transaction) and one more audit
// event appended, on PostgreSQL (the test server as configured, and with
// fsync and synchronous commit on, as in production) and on SQLite (as
// shipped: WAL, synchronous=FULL). The parallel variants run 8 writers per
// CPU, as many vigil workers would; SQLite serialises them on its write
// lock, PostgreSQL only on the audit chain's lock.
//
//	go test -run '^$' -bench RunInsertAudit -benchtime 2s ./internal/store/postgres
func BenchmarkRunInsertAudit(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"postgres-nofsync", func(b *testing.B) store.Store { return open(b, pgtest.Start(b)) }},
		{"postgres-durable", func(b *testing.B) store.Store {
			pgtest.Durable(b)
			return open(b, pgtest.Start(b))
		}},
		{"sqlite", func(b *testing.B) store.Store {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "vigil.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		for _, parallel := range []bool{false, true} {
			name := st.name
			if parallel {
				name += "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				s := st.open(b)
				ctx := context.Background()
				var n atomic.Int64
				step := func() error {
					id := fmt.Sprintf("r%d", n.Add(1))
					if _, err := s.RunInsert(ctx, &store.RunInsertParams{
						Run:   store.Run{ID: id, Env: "dev", Kind: "plan", Status: store.RunRunning},
						Audit: &store.AuditEvent{Actor: "bench", Action: "plan"},
					}); err != nil {
						return err
					}
					_, err := s.AuditAppend(ctx, &store.AuditAppendParams{Event: store.AuditEvent{Actor: "bench", Action: "plan", RunID: id, Outcome: "planned"}})
					return err
				}
				b.ResetTimer()
				if parallel {
					b.SetParallelism(8)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := step(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				} else {
					for i := 0; i < b.N; i++ {
						if err := step(); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
				if got, err := store.VerifyChain(ctx, s); err != nil || got != 2*b.N {
					b.Fatalf("VerifyChain = %d, %v; want %d", got, err, 2*b.N)
				}
			})
		}
	}
}
