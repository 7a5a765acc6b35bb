// Package queue is vigil serve's job queue: a River client over the
// store's database, so scheduled work survives restarts and is never done
// twice.
//
// With the embedded SQLite store, River runs on its SQLite driver
// (riversqlite) in a sibling file of the store, .vigil/queue.db: River
// polls and writes several times a second (fetches, leader election,
// maintenance), and a file of its own keeps those writes from queueing
// behind — or delaying — the pipeline's run and audit transactions on
// .vigil/vigil.db. With a PostgreSQL store (store = "postgres://…"),
// River runs on riverpgxv5 over the store's own pool, in the same
// database.
//
// Open runs River's migrations, then Start starts working. Periodic jobs
// (Periodic) are inserted as unique jobs (by arguments and by period), so
// a process restarted in the middle of a period does not run the period's
// work again. Stop is the graceful stop SIGTERM asks for: running jobs get
// SoftStopTimeout to finish, then their contexts are cancelled and a job
// that returns the cancellation goes back to the queue for the next
// process (River retries it).
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	_ "modernc.org/sqlite" // driver "sqlite"
)

// FileName is the queue's SQLite file, beside the store's.
const FileName = "queue.db"

// DB is where the queue lives: exactly one of SQLitePath or Pool.
type DB struct {
	// SQLitePath is River's SQLite file (created when missing).
	SQLitePath string
	// Pool is a PostgreSQL pool (the store's: postgres.Store.Pool()).
	Pool *pgxpool.Pool
}

// Options configure Open.
type Options struct {
	// Workers are the job kinds this process works (river.AddWorker).
	Workers *river.Workers
	// Periodic are the scheduled jobs (see Periodic).
	Periodic []*river.PeriodicJob
	// Queues are the queues worked and their concurrency; default
	// QueueDefault with 4 workers.
	Queues map[string]river.QueueConfig
	// SoftStopTimeout is how long Stop lets running jobs finish before
	// cancelling them (default 30s).
	SoftStopTimeout time.Duration
	// FetchPollInterval is how often idle queues look for new jobs
	// (default 1s; the SQLite driver has no LISTEN/NOTIFY).
	FetchPollInterval time.Duration
	// Logger receives River's logs (default: discarded below warn).
	Logger *slog.Logger
}

// client is what Queue uses of a *river.Client, whatever its driver's
// transaction type.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Stopped() <-chan struct{}
}

// Queue is an open River client.
type Queue struct {
	c       client
	db      *sql.DB // the SQLite pool Open made; nil for PostgreSQL
	driver  string
	soft    time.Duration
	started bool
}

// Open connects River to db, applies River's migrations and returns a
// client ready to Start.
func Open(ctx context.Context, db DB, o Options) (*Queue, error) {
	if (db.SQLitePath == "") == (db.Pool == nil) {
		return nil, errors.New("queue: give exactly one of a SQLite path or a PostgreSQL pool")
	}
	if o.Workers == nil {
		o.Workers = river.NewWorkers()
	}
	if o.Queues == nil {
		o.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
	}
	if o.SoftStopTimeout <= 0 {
		o.SoftStopTimeout = 30 * time.Second
	}
	if o.FetchPollInterval <= 0 {
		o.FetchPollInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := &river.Config{
		Queues: o.Queues, Workers: o.Workers, PeriodicJobs: o.Periodic,
		FetchPollInterval: o.FetchPollInterval, FetchCooldown: min(100*time.Millisecond, o.FetchPollInterval),
		Logger: o.Logger, MaxAttempts: 3,
		// A job that ran when its process died is given back after this.
		RescueStuckJobsAfter: time.Hour,
	}
	q := &Queue{soft: o.SoftStopTimeout}
	if db.Pool != nil {
		drv := riverpgxv5.New(db.Pool)
		if err := migrate[pgx.Tx](ctx, drv, o.Logger); err != nil {
			return nil, err
		}
		c, err := river.NewClient(drv, cfg)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		q.c, q.driver = c, "postgres"
		return q, nil
	}
	if err := os.MkdirAll(filepath.Dir(db.SQLitePath), 0o755); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	sdb, err := sql.Open("sqlite", "file:"+db.SQLitePath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(15000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("queue: open %s: %w", db.SQLitePath, err)
	}
	// River's SQLite driver wants one connection: SQLite runs one writer
	// at a time, and River's services run in parallel.
	sdb.SetMaxOpenConns(1)
	drv := riversqlite.New(sdb)
	if err := migrate[*sql.Tx](ctx, drv, o.Logger); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("%w (is %s a River queue database?)", err, db.SQLitePath)
	}
	c, err := river.NewClient(drv, cfg)
	if err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("queue: %w", err)
	}
	q.c, q.db, q.driver = c, sdb, "sqlite"
	return q, nil
}

func migrate[TTx any](ctx context.Context, drv riverdriver.Driver[TTx], logger *slog.Logger) error {
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("queue: migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: migrations: %w", err)
	}
	return nil
}

// Driver names the database River runs on: "sqlite" or "postgres".
func (q *Queue) Driver() string { return q.driver }

// Start starts fetching and working jobs and, once this process is
// elected leader, enqueueing the periodic ones. Stop ends it; ctx only
// bounds the start.
func (q *Queue) Start(ctx context.Context) error {
	// River stops when the context given to Start ends; Stop does that
	// gracefully instead, so the context must outlive ctx.
	if err := q.c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	q.started = true
	return nil
}

// Insert enqueues a job. inserted is false when a unique job with the
// same arguments already exists (nothing was added).
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (inserted bool, err error) {
	res, err := q.c.Insert(ctx, args, opts)
	if err != nil {
		return false, fmt.Errorf("queue: insert %s: %w", args.Kind(), err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Stop stops gracefully: no new jobs are fetched, running jobs get
// SoftStopTimeout to finish, then their contexts are cancelled (a job that
// returns the cancellation is retried by the next process). ctx bounds the
// whole stop. The SQLite database is closed afterwards.
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.started {
		soft, cancel := context.WithTimeout(ctx, q.soft)
		err = q.c.Stop(soft)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = q.c.StopAndCancel(ctx)
		}
		q.started = false
	}
	if q.db != nil {
		err = errors.Join(err, q.db.Close())
		q.db = nil
	}
	return err
}

// Periodic is a periodic job on sched (a config.Schedule satisfies
// river.PeriodicSchedule) whose inserts are unique by arguments within a
// period, so that neither a restart nor two processes duplicate a run. It
// also runs once at start (unless this period's already ran).
func Periodic(id string, sched river.PeriodicSchedule, args river.JobArgs, opts *river.InsertOpts) *river.PeriodicJob {
	period := Period(sched, time.Now())
	o := river.InsertOpts{}
	if opts != nil {
		o = *opts
	}
	o.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: period}
	return river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
		oo := o
		return args, &oo
	}, &river.PeriodicJobOpts{ID: id, RunOnStart: true})
}

// Period is the shortest gap between a few successive firings of sched
// after t (for cron schedules gaps differ): the uniqueness window of a
// periodic job.
func Period(sched river.PeriodicSchedule, t time.Time) time.Duration {
	var p time.Duration
	prev := sched.Next(t)
	for range 8 {
		next := sched.Next(prev)
		if d := next.Sub(prev); d > 0 && (p == 0 || d < p) {
			p = d
		}
		prev = next
	}
	if p < time.Second {
		p = time.Second
	}
	return p
}
