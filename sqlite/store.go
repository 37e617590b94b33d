// Package sqlite is ackscale's embedded store: clusters, tasks, workers, the
// emulated cloud's instances and River's job tables in one SQLite file (WAL).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/ackscale/ackscale"
)

//go:embed migration/*.sql
var migrations embed.FS

// Config configures a Store.
type Config struct {
	Dir     string         // data directory; the database is Dir/ackscale.db
	Workers *river.Workers // job workers; nil opens the store for inserts only
	Logger  *slog.Logger
	Now     func() time.Time
	// PollInterval is how often River looks for new jobs (SQLite has no LISTEN).
	PollInterval time.Duration
	MaxWorkers   int
}

// Store is the SQLite implementation of ackscale's stores.
type Store struct {
	db    *sql.DB
	river *river.Client[*sql.Tx]
	box   *secretBox
	log   *slog.Logger
	now   func() time.Time
}

// Open opens (creating if needed) the database in cfg.Dir and migrates it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	box, err := openSecretBox(cfg.Dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.Dir, "ackscale.db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// SQLite allows one writer; one connection avoids SQLITE_BUSY between
	// River's goroutines and ours (River's riversqlite docs).
	db.SetMaxOpenConns(1)
	s := &Store{db: db, box: box, log: cfg.Logger, now: cfg.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.newRiver(cfg); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) newRiver(cfg Config) error {
	rcfg := &river.Config{
		Logger:               cfg.Logger,
		FetchPollInterval:    cmpDur(cfg.PollInterval, 100*time.Millisecond),
		FetchCooldown:        20 * time.Millisecond,
		JobTimeout:           2 * time.Minute,
		RescueStuckJobsAfter: 3 * time.Minute,
		MaxAttempts:          100,
	}
	if cfg.Workers != nil {
		rcfg.Workers = cfg.Workers
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.MaxWorkers, 20)}}
	}
	client, err := river.NewClient(riversqlite.New(s.db), rcfg)
	if err != nil {
		return fmt.Errorf("river client: %w", err)
	}
	s.river = client
	return nil
}

func cmpDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// StartJobs starts working jobs. In SQLite mode one process owns the file, so
// any job left "running" by a killed process is made available again first.
func (s *Store) StartJobs(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec') WHERE state = 'running'`); err != nil {
		return fmt.Errorf("requeue orphaned jobs: %w", err)
	}
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// Close stops job work (letting running jobs finish) and closes the database.
func (s *Store) Close(ctx context.Context) error {
	var errs []error
	if s.river != nil {
		if err := s.river.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "not started") {
			errs = append(errs, fmt.Errorf("stop river: %w", err))
		}
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	return errors.Join(errs...)
}

// DB returns the database handle (for tests and the River driver).
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	migrator, err := rivermigrate.New(riversqlite.New(s.db), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if n > 0 {
			return nil
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name)
		return err
	})
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// enqueue inserts the task's job in tx.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, taskID string) error {
	if _, err := s.river.InsertTx(ctx, tx, ackscale.TaskJob{TaskID: taskID}, nil); err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
