// Package sqlite is ackscale's embedded store: clusters, tasks, workers, the
// emulated cloud's instances and River's job tables in one SQLite file (WAL).
//
// DB opens and migrates the file; AccountStore, ClusterStore, WorkerStore
// and CloudStore implement the root store contracts on it. The package
// does not run River: ClusterStore inserts each task's job through a
// JobInserter in the task's transaction, and the caller owns the client.
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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	msqlite "modernc.org/sqlite"

	"github.com/ackscale/ackscale"
)

//go:embed migration/*.sql
var migrations embed.FS

// Config configures a DB.
type Config struct {
	Dir    string       // data directory; the database is Dir/ackscale.db
	Logger *slog.Logger // River's migrator logs here; nil: discard
	// Now stamps updates, releases and rows created without a time, and
	// decides which nonces expired; nil: ackscale.NowUTC.
	Now func() time.Time
	// Readers is how many connections serve the reads made outside a
	// transaction; 0: defaultReaders.
	Readers int
	// NonceFlushEvery is the longest a signature nonce waits in memory
	// while nothing else is written (nonce.go); 0: nonceFlushEvery.
	NonceFlushEvery time.Duration
}

// defaultReaders is how many read connections a DB opens by default: a few
// per core of the machines ackscale runs on (two); a read holds one for
// tens of microseconds.
const defaultReaders = 4

// DB is the SQLite database of ackscale: its tables, River's, and the key
// that seals access key secrets.
//
// Connections: one writer, and a pool of readers (Config.Readers). The
// database is in WAL mode, so readers read the last commit while the
// writer writes. Every write and every transaction of the stores — and
// all of River's work, which River's SQLite driver requires serialized —
// go through the writer, a pool of one connection: SQLite allows one
// writer at a time, and one connection means no SQLITE_BUSY between our
// goroutines and River's. The reads outside a transaction (the Describe
// operations, the lookups before an operation) go to the readers, which
// are query_only, so they neither wait for the writer nor hold it.
//
// Durability: synchronous=NORMAL. In WAL mode a commit is then written to
// the WAL but not synced; a killed process loses nothing (the WAL is in the
// kernel's page cache), a power cut may lose the last commits but never
// corrupts the file. FULL would sync the WAL at every commit (about a
// millisecond each here), and the accept path commits twice per request.
// The WAL is synced, and copied into the file, by checkpoints: not by the
// writer after a commit (SQLite's default, which makes the commit that
// crosses 1,000 pages wait for two syncs), but by a goroutine of its own
// every checkpointEvery (checkpoint.go).
type DB struct {
	db    *sql.DB // the writer
	w     *writer // its transactions, committed in groups (batch.go)
	read  *sql.DB // the readers
	ckpt  *checkpointer
	keys  keyCache               // the accounts of access keys (account.go)
	lists keyedCache[workerList] // clusters' worker lists and counts (workercache.go)
	// clusters by id, whatever their account and state (tablecache.go)
	clusters keyedCache[ackscale.Cluster]
	// clusters' node pools that are not deleted, by cluster id (nodepool.go)
	pools keyedCache[[]ackscale.NodePool]
	// tasks by id, whatever their account (task.go)
	tasks keyedCache[ackscale.Task]
	// changes counts the drops, bumps, patches and sets of the four caches above (Changes)
	changes atomic.Uint64
	// the cloud's control tables (tablecache.go)
	stock  tableCache[ackscale.StockOverride]
	quotas tableCache[ackscale.QuotaOverride]
	faults tableCache[ackscale.Fault]
	// signature nonces not yet stored (nonce.go), flushed by a goroutine
	// until stopFlush is closed
	nonces *nonceLog
	// nonceIndexed: the index by hash is made (nonceIndex)
	nonceIndexMu sync.Mutex
	nonceIndexed bool
	stopFlush    chan struct{}
	flushing     sync.WaitGroup
	closeOnce    sync.Once
	closeErr     error
	box          *secretBox
	log          *slog.Logger
	now          func() time.Time
}

var _ ackscale.Checker = (*DB)(nil)

// Open opens (creating if needed) the database in cfg.Dir and migrates it,
// River's tables included.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("open database: no data directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = ackscale.NowUTC
	}
	if cfg.Readers <= 0 {
		cfg.Readers = defaultReaders
	}
	if cfg.NonceFlushEvery <= 0 {
		cfg.NonceFlushEvery = nonceFlushEvery
	}
	box, err := openSecretBox(cfg.Dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.Dir, "ackscale.db")
	// temp_store: the group commit's savepoints keep their undo pages in
	// memory, not in a temporary file. The writer's page cache is 32 MiB
	// (SQLite's default is 2): the pages an accept writes stay in memory.
	// docs/performance.md says why each setting is what it is.
	pragmas := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
	writer, err := openPool(pragmas+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)&_pragma=cache_size(-32768)", 1)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{db: writer, box: box, log: cfg.Logger, now: cfg.Now, nonces: newNonceLog(), stopFlush: make(chan struct{})}
	db.w = newWriter(writer, db.storeNonces)
	db.clusters.clone, db.clusters.max = deepCopy[ackscale.Cluster], maxCachedClusters
	db.pools.clone, db.pools.max = deepCopy[[]ackscale.NodePool], maxCachedClusters
	db.tasks.clone, db.tasks.max = deepCopy[ackscale.Task], maxCachedTasks
	db.lists.clone, db.lists.max = copyList, maxCachedLists
	db.clusters.changes, db.pools.changes, db.tasks.changes, db.lists.changes = &db.changes, &db.changes, &db.changes, &db.changes
	if err := db.migrate(ctx); err != nil { // before the readers: a new file becomes WAL here
		_ = db.Close()
		return nil, err
	}
	if db.read, err = openPool(pragmas+"&_pragma=query_only(1)", cfg.Readers); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if db.ckpt, err = newCheckpointer(pragmas, cfg.Logger); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.loadNonces(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.flushing.Go(func() { db.flushNonces(cfg.NonceFlushEvery, db.stopFlush) })
	return db, nil
}

// storeNonces is the writer's prepare: it inserts the pending nonces in
// the transaction just begun, and forgets them once it has committed.
func (db *DB) storeNonces(ctx context.Context, tx *sql.Tx) (func(), error) {
	rows := db.nonces.take()
	if len(rows) == 0 {
		return nil, nil
	}
	if err := insertNonces(ctx, tx, rows); err != nil {
		return nil, err
	}
	return func() { db.nonces.stored(rows) }, nil
}

// openPool opens a pool of at most n connections to dsn that keeps them
// open (and so their prepared statements: conn.go).
func openPool(dsn string, n int) (*sql.DB, error) {
	base, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(cachingConnector{base})
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	return pool, nil
}

// Close closes the database, once; a second Close returns the first's
// error. Stop any River client using SQL first.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.close() })
	return db.closeErr
}

func (db *DB) close() error {
	close(db.stopFlush)
	db.flushing.Wait()
	db.storePendingNonces() // the last ones, before the writer stops
	db.w.close()
	var errs []error
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.db.Close()) // the last connection closed checkpoints the WAL into the file
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// SQL returns the writer, for River's driver (riversqlite.New(db.SQL()))
// and tests. Nothing may use it while a transaction of this package is
// open: callbacks run inside one (CheckFunc, JobInserter) must use its tx.
func (db *DB) SQL() *sql.DB { return db.db }

// RequeueRunningJobs makes every job left running by a killed process
// available again. In SQLite mode one process owns the file, so call it
// before starting River's client: no job can really be running then.
func (db *DB) RequeueRunningJobs(ctx context.Context) error {
	return exec(ctx, db.db, "requeue running jobs",
		`UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec') WHERE state = 'running'`)
}

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

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := db.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	migrator, err := rivermigrate.New(riversqlite.New(db.db), &rivermigrate.Config{Logger: db.log})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// afterMigration is the Go part of a migration, run after its SQL in its
// transaction.
var afterMigration = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"migration/009_nonce_log.sql": moveNonces, // hashes are Go's
}

func (db *DB) applyMigration(ctx context.Context, name string) error {
	return db.w.single(&writeOp{ctx: ctx, fn: func(ctx context.Context, tx *sql.Tx) error {
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
		if after := afterMigration[name]; after != nil {
			if err := after(ctx, tx); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		return nil
	}})
}

// Changes is a number that moves once every change of a cluster, node
// pool, task or worker has committed, when the store's caches drop (or
// patch) what it changed. An answer made of ClusterGet, NodePoolList, TaskGet,
// WorkerList and WorkerCount reads that began after Changes returned n is
// exact for as long as Changes returns n (the HTTP API keeps the encoded
// answers of the reads clients poll on these terms). One process owns the
// file, and every such write is this package's.
func (db *DB) Changes() uint64 { return db.changes.Load() }

// inTx runs fn in a transaction of the writer, committing when it returns
// nil; fn's error is returned as it is. The transaction may be committed
// together with others (batch.go): fn must use the context it is given,
// and must not keep state across calls (a batch that fails as a whole is
// run again, each transaction alone).
func (db *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.w.do(ctx, fn)
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
	return queryAll(ctx, db.read, "count jobs", func(r scanner) (JobCount, error) {
		var c JobCount
		err := r.Scan(&c.State, &c.Count)
		return c, err
	}, `SELECT state, count(*) FROM river_job GROUP BY state ORDER BY state`)
}
