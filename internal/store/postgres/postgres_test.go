package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/store"
	"github.com/vigil-sre/vigil/internal/store/postgres"
	"github.com/vigil-sre/vigil/internal/store/storetest"
	"github.com/vigil-sre/vigil/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type tamper struct{ s *postgres.Store }

func (t tamper) Exec(ctx context.Context, q string, args ...any) error {
	_, err := t.s.Pool().Exec(ctx, q, args...)
	return err
}

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) (store.Store, storetest.Tamper) {
		s := open(t, pgtest.Start(t))
		return s, tamper{s}
	})
}

// TestAuditChainAcrossProcesses: appenders on separate pools (as separate
// vigil processes would be), some appending alone and some with a run in
// the same transaction, still form one unbroken chain.
func TestAuditChainAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.Start(t)
	const procs, each = 4, 15
	stores := make([]*postgres.Store, procs)
	for i := range stores {
		stores[i] = open(t, dsn)
	}
	var wg sync.WaitGroup
	errs := make(chan error, procs*each)
	for p, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var err error
				if i%3 == 0 {
					_, err = s.RunInsert(ctx, &store.RunInsertParams{
						Run:   store.Run{ID: fmt.Sprintf("p%d-r%d", p, i), Env: "dev", Kind: "plan", Status: store.RunRunning},
						Audit: &store.AuditEvent{Actor: fmt.Sprint(p), Action: "plan"},
					})
				} else {
					_, err = s.AuditAppend(ctx, &store.AuditAppendParams{Event: store.AuditEvent{Actor: fmt.Sprint(p), Action: "unlock"}})
				}
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := store.VerifyChain(ctx, stores[0])
	if err != nil || n != procs*each {
		t.Fatalf("VerifyChain = %d, %v; want %d records, intact", n, err, procs*each)
	}
	actors := map[string]int{}
	events, _ := stores[1].AuditList(ctx)
	for _, e := range events {
		actors[e.Actor]++
	}
	for p := 0; p < procs; p++ {
		if actors[fmt.Sprint(p)] != each {
			t.Errorf("process %d has %d records, want %d", p, actors[fmt.Sprint(p)], each)
		}
	}
}

// TestConcurrentOpenMigratesOnce: several processes opening one new
// database at once all succeed, and the schema is applied once; opening it
// again changes nothing and keeps the data.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.Start(t)
	const n = 5
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := stores[0].Pool().QueryRow(ctx, `SELECT count(*) FROM vigil_schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(ms))
	}
	if _, err := stores[1].RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunPlanned}}); err != nil {
		t.Fatal(err)
	}
	again := open(t, dsn)
	if r, err := again.RunGet(ctx, "r1"); err != nil || r.Status != store.RunPlanned {
		t.Fatalf("run after reopening: %+v, %v", r, err)
	}
}

// TestOpenRefusesNewerSchema: a database migrated by a newer vigil is not
// touched by this one.
func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.Start(t)
	s := open(t, dsn)
	if _, err := s.Pool().Exec(ctx, `INSERT INTO vigil_schema_migrations (version, name) VALUES (9999, '9999_future')`); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(ctx, dsn)
	if err == nil || !strings.Contains(err.Error(), "newer than this vigil") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

// TestOpenBadDSN: a malformed DSN or a server that is not there gives a
// clear error that never shows the password.
func TestOpenBadDSN(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://vigil:hunter2@127.0.0.1:notaport/vigil", "bad PostgreSQL connection string"},
		{"postgres://vigil:hunter2@127.0.0.1:1/vigil?connect_timeout=5", "postgres://vigil@127.0.0.1:1/vigil"},
	} {
		_, err := postgres.Open(ctx, tc.dsn)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", tc.dsn)
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %v; want it to mention %q and not the password", tc.dsn, err, tc.want)
		}
	}
}

// TestRunAndAuditAreOneTransaction: a run whose audit event cannot be
// written is not recorded either.
func TestRunAndAuditAreOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.Start(t))
	_, err := s.RunInsert(ctx, &store.RunInsertParams{
		Run:   store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunRunning},
		Audit: &store.AuditEvent{Actor: "ana", Action: "plan", Detail: []byte(`{not json`)},
	})
	if err == nil {
		t.Fatal("RunInsert with an unwritable audit event succeeded")
	}
	if _, err := s.RunGet(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the run was kept without its audit event: %v", err)
	}
	if events, _ := s.AuditList(ctx); len(events) != 0 {
		t.Fatalf("audit events: %+v", events)
	}
}

// TestConcurrentRunUpdatesAcrossProcesses: processes updating one run at
// once apply one after the other, so the run ends as its last audit record
// says (VerifyChain compares them) and no update is lost.
func TestConcurrentRunUpdatesAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.Start(t)
	a, b := open(t, dsn), open(t, dsn)
	if _, err := a.RunInsert(ctx, &store.RunInsertParams{Run: store.Run{ID: "r1", Env: "dev", Kind: "plan", Status: store.RunRunning},
		Audit: &store.AuditEvent{Actor: "a", Action: "plan"}}); err != nil {
		t.Fatal(err)
	}
	const each = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for i, s := range []*postgres.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 1; j <= each; j++ {
				// One process sets the message, the other the fingerprint:
				// an update made from a stale read would undo the other's.
				v := fmt.Sprintf("p%d-%d", i, j)
				p := &store.RunUpdateParams{ID: "r1", Audit: &store.AuditEvent{Actor: fmt.Sprint(i), Action: "plan", Outcome: v}}
				if i == 0 {
					p.Message = &v
				} else {
					p.Fingerprint = &v
				}
				_, err := s.RunUpdate(ctx, p)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := store.VerifyChain(ctx, b); err != nil || n != 1+2*each {
		t.Fatalf("VerifyChain = %d, %v", n, err)
	}
	r, err := a.RunGet(ctx, "r1")
	if err != nil || r.Message != fmt.Sprintf("p0-%d", each) || r.Fingerprint != fmt.Sprintf("p1-%d", each) {
		t.Fatalf("run after both processes' updates: %+v, %v", r, err)
	}
}

// TestPoolSize: the pool holds 10 connections unless the DSN says.
func TestPoolSize(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Start(t)
	if got := open(t, dsn).Pool().Config().MaxConns; got != 10 {
		t.Errorf("default MaxConns = %d, want 10", got)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if got := open(t, dsn+sep+"pool_max_conns=3").Pool().Config().MaxConns; got != 3 {
		t.Errorf("MaxConns with pool_max_conns=3 = %d", got)
	}
}
