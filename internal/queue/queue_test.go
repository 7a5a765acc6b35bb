package queue_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/queue"
	"github.com/vigil-sre/vigil/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type tickArgs struct {
	Env string `json:"env"`
}

func (tickArgs) Kind() string { return "test_tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	mu   sync.Mutex
	runs []string
	hold chan struct{} // when set, Work waits for it or for cancellation
	got  chan struct{}
}

func (w *tickWorker) Work(ctx context.Context, j *river.Job[tickArgs]) error {
	w.mu.Lock()
	w.runs = append(w.runs, j.Args.Env)
	w.mu.Unlock()
	if w.got != nil {
		w.got <- struct{}{}
	}
	if w.hold != nil {
		select {
		case <-w.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (w *tickWorker) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.runs)
}

func open(t *testing.T, db queue.DB, w *tickWorker, periodic ...*river.PeriodicJob) *queue.Queue {
	t.Helper()
	ws := river.NewWorkers()
	river.AddWorker(ws, w)
	q, err := queue.Open(context.Background(), db, queue.Options{Workers: ws, Periodic: periodic, FetchPollInterval: 50 * time.Millisecond, SoftStopTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exercise: a periodic job runs at start, a restart within the same
// period does not run it again, an inserted unique job is deduplicated,
// and a job running at Stop is cancelled and handed back to the next
// process, which finishes it.
func exercise(t *testing.T, db func() queue.DB) {
	ctx := context.Background()
	hourly, _ := config.ParseSchedule("1h")
	w := &tickWorker{}
	q := open(t, db(), w, queue.Periodic("tick-dev", hourly, tickArgs{Env: "dev"}, nil))
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the periodic job's first run", func() bool { return w.count() == 1 })
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// Restart within the hour: the periodic job is not run again.
	w2 := &tickWorker{}
	q = open(t, db(), w2, queue.Periodic("tick-dev", hourly, tickArgs{Env: "dev"}, nil))
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A unique insert of other args runs once; its duplicate is skipped.
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}
	if ok, err := q.Insert(ctx, tickArgs{Env: "prod"}, opts); err != nil || !ok {
		t.Fatalf("first insert: %v, %v", ok, err)
	}
	if ok, err := q.Insert(ctx, tickArgs{Env: "prod"}, opts); err != nil || ok {
		t.Fatalf("duplicate insert: inserted=%v, %v", ok, err)
	}
	waitFor(t, "the inserted job", func() bool { return w2.count() >= 1 })
	time.Sleep(300 * time.Millisecond) // room for a wrong second run to show
	w2.mu.Lock()
	runs := append([]string(nil), w2.runs...)
	w2.mu.Unlock()
	if len(runs) != 1 || runs[0] != "prod" {
		t.Fatalf("after restart, runs = %v; want only the inserted prod job (the periodic dev job already ran this hour)", runs)
	}

	// A job still running at Stop: cancelled after the soft timeout and
	// handed back.
	w2.hold, w2.got = make(chan struct{}), make(chan struct{}, 4)
	if _, err := q.Insert(ctx, tickArgs{Env: "held"}, nil); err != nil {
		t.Fatal(err)
	}
	<-w2.got
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	w3 := &tickWorker{got: make(chan struct{}, 4)}
	q = open(t, db(), w3, queue.Periodic("tick-dev", hourly, tickArgs{Env: "dev"}, nil))
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	select {
	case <-w3.got:
	case <-time.After(60 * time.Second):
		t.Fatal("the job cancelled at stop was not handed back to the next process")
	}
	w3.mu.Lock()
	defer w3.mu.Unlock()
	if len(w3.runs) != 1 || w3.runs[0] != "held" {
		t.Fatalf("third process ran %v, want [held]", w3.runs)
	}
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), queue.FileName)
	exercise(t, func() queue.DB { return queue.DB{SQLitePath: path} })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Start(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	exercise(t, func() queue.DB { return queue.DB{Pool: pool} })
}

func TestOpenNeedsOneDatabase(t *testing.T) {
	if _, err := queue.Open(context.Background(), queue.DB{}, queue.Options{}); err == nil {
		t.Fatal("Open without a database succeeded")
	}
}

func TestPeriod(t *testing.T) {
	weekdays, _ := config.ParseSchedule("0 9 * * 1-5")
	every, _ := config.ParseSchedule("30s")
	at := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC) // a Friday
	if p := queue.Period(weekdays, at); p != 24*time.Hour {
		t.Errorf("Period(weekdays 09:00) = %s, want 24h", p)
	}
	if p := queue.Period(every, at); p != 30*time.Second {
		t.Errorf("Period(30s) = %s", p)
	}
}
