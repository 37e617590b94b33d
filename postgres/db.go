// Package postgres is ackscale's shared store: clusters, tasks, workers,
// the emulated cloud's instances and River's job tables in one PostgreSQL
// database, which any number of ackscale replicas may use at once.
//
// DB opens a connection pool (pgx) and migrates the schema; AccountStore,
// ClusterStore, WorkerStore and CloudStore implement the root store
// contracts on it with the same behaviour as package sqlite (the
// conformance suite, internal/storetest, holds both to it). Where SQLite
// relies on its single writer, this package relies on PostgreSQL's row
// locks, in READ COMMITTED transactions:
//
//   - a state change is a conditional UPDATE: of two racing, the second
//     waits for the first, then finds the row moved and changes nothing
//     (one task per cluster and per pool, task saves, fault firings);
//   - a pool's task reads its cluster FOR SHARE, which a cluster-level
//     task's UPDATE of the row waits for, and the other way round;
//   - a reserving task start locks its account's quota_usage row of the
//     scope (quota.go); a release locks the instance's row;
//   - InstanceCreate locks the zone × type's stock_usage row, and its
//     IP pool's row to pick an address (instance.go, ip.go);
//   - unique keys settle the rest: nonces and client tokens by INSERT … ON
//     CONFLICT DO NOTHING, IPs and live cluster names by partial unique
//     indexes (a conflict).
//
// A transaction PostgreSQL aborts to break a deadlock is run again. The
// package does not run River: ClusterStore inserts each task's job through
// a JobInserter in the task's transaction, and the caller owns the client
// (riverpgxv5 on DB.Pool()).
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ackscale/ackscale"
)

// Config configures a DB.
type Config struct {
	// URL is the database's connection string (postgres://user:pass@host/db?…,
	// or key=value pairs; pgxpool's pool_* parameters are honoured).
	URL string
	// Schema, when set, is the schema that holds ackscale's and River's
	// tables: Open creates it if needed and sets it as every connection's
	// search_path. "": the URL's search_path (by default, public).
	Schema string
	// SecretKey seals access key secrets at rest (AES-256-GCM): 32 bytes,
	// required. Every replica sharing the database must be given the same.
	SecretKey []byte
	// MaxConns caps the pool's connections; 0: the URL's pool_max_conns,
	// else pgxpool's default (4, or the number of CPUs if more).
	MaxConns int32
	Logger   *slog.Logger // River's migrator logs here; nil: discard
	// Now stamps updates, releases and rows created without a time, and
	// decides which nonces expired; nil: ackscale.NowUTC.
	Now func() time.Time
}

// schemaName is what Config.Schema may be: an unquoted PostgreSQL
// identifier (as River's Config.Schema also requires).
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func (c *Config) validate() error {
	switch {
	case c.URL == "":
		return errors.New("open database: no URL")
	case c.Schema != "" && !schemaName.MatchString(c.Schema):
		return fmt.Errorf("open database: schema %q: want lowercase letters, digits and _", c.Schema)
	case len(c.SecretKey) != 32:
		return fmt.Errorf("open database: the secret key has %d bytes, want 32", len(c.SecretKey))
	case c.MaxConns < 0:
		return fmt.Errorf("open database: MaxConns %d < 0", c.MaxConns)
	}
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Now == nil {
		c.Now = ackscale.NowUTC
	}
	return nil
}

// DB is ackscale's PostgreSQL database: its pool, and the key that seals
// access key secrets.
type DB struct {
	pool *pgxpool.Pool
	box  *secretBox
	log  *slog.Logger
	now  func() time.Time
}

var _ ackscale.Checker = (*DB)(nil)

// Open connects to the database and migrates it, River's tables included.
// Several processes may open one database at once: migrations run one
// process at a time (a session advisory lock per schema).
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	box, err := newSecretBox(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := &DB{pool: pool, box: box, log: cfg.Logger, now: cfg.Now}
	if err := db.migrate(ctx, pcfg.ConnConfig, cfg.Schema); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool. Stop any River client using it first.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the connection pool, for River's driver
// (riverpgxv5.New(db.Pool())) and tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Stores are the four stores of one DB.
type Stores struct {
	Accounts *AccountStore
	Clusters *ClusterStore
	Workers  *WorkerStore
	Cloud    *CloudStore
}

// Stores returns the four stores on db; jobs inserts the tasks' jobs.
func (db *DB) Stores(jobs JobInserter) Stores {
	return Stores{
		Accounts: NewAccountStore(db),
		Clusters: NewClusterStore(db, jobs),
		Workers:  NewWorkerStore(db),
		Cloud:    NewCloudStore(db),
	}
}

// maxAttempts is how many times inTx runs a transaction that PostgreSQL
// ended as a deadlock's victim.
const maxAttempts = 5

// inTx runs fn in a transaction (READ COMMITTED), committing when it
// returns nil; fn's error is returned as it is. A transaction that
// PostgreSQL aborts to break a deadlock is run again from the start, up to
// maxAttempts times: fn must not keep state across attempts (the
// callbacks it calls, such as a CheckFunc, may then run more than once).
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for range maxAttempts {
		err = db.tryTx(ctx, pgx.TxOptions{}, fn)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		db.log.DebugContext(ctx, "transaction retried", "err", err)
	}
	return err
}

func (db *DB) tryTx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// orNow returns t, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// JobCount is how many of River's jobs are in one state.
type JobCount struct {
	State string
	Count int
}

// JobCounts counts River's jobs by state (the queue's depth). River has no
// count API; river_job is its documented schema.
func (db *DB) JobCounts(ctx context.Context) ([]JobCount, error) {
	return queryAll(ctx, db.pool, "count jobs", scanFields("count jobs", func(c *JobCount) []any { return []any{&c.State, &c.Count} }),
		`SELECT state::text, count(*) FROM river_job GROUP BY state ORDER BY state::text COLLATE "C"`)
}
