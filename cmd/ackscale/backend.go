package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/metrics"
	"github.com/ackscale/ackscale/postgres"
	"github.com/ackscale/ackscale/sqlite"
	"github.com/ackscale/ackscale/task"
)

// stores are the four store contracts, whichever database implements them.
type stores struct {
	Accounts ackscale.AccountStore
	Clusters ackscale.ClusterStore
	Workers  ackscale.WorkerStore
	Cloud    ackscale.CloudStore
}

// jobClient is River's client as serve drives it, whatever its driver.
type jobClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Stopped() <-chan struct{}
}

// backend is the database ackscale keeps its state in and River on it:
// SQLite in the data dir (one process), or PostgreSQL (any number of
// replicas).
type backend struct {
	kind    string // "sqlite" or "postgres"
	stores  stores
	checker ackscale.Checker
	jobs    jobClient
	counts  metrics.Jobs
	sqlDB   *sql.DB      // SQLite's pool, for its statistics; nil on PostgreSQL
	pg      *postgres.DB // nil on SQLite
	ping    func(ctx context.Context) error
	// changes moves once any cluster, pool, task or worker change has
	// committed (ops.Config.Changes); nil on PostgreSQL, which other
	// replicas write too
	changes func() uint64
	// prepare runs before River starts: on SQLite, no job can really be
	// running then, so any a killed process left running is made available.
	prepare func(ctx context.Context) error
	close   func() error
}

// isPostgres says whether --database names a PostgreSQL database.
func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// openBackend opens the database --database names (default: SQLite in the
// data dir) with a River client registering workers.
func openBackend(ctx context.Context, cfg serveConfig, workers *river.Workers, log *slog.Logger) (*backend, error) {
	rcfg := task.RiverConfig{Workers: workers, Logger: riverLogger(log), ClientID: cfg.ReplicaID}
	switch {
	case cfg.Database == "" || cfg.Database == "sqlite":
		return openSQLite(ctx, cfg, rcfg, log)
	case isPostgres(cfg.Database):
		return openPostgres(ctx, cfg, rcfg, log)
	default:
		return nil, fmt.Errorf("--database %s: want sqlite or a postgres:// URL", redactURL(cfg.Database))
	}
}

func openSQLite(ctx context.Context, cfg serveConfig, rcfg task.RiverConfig, log *slog.Logger) (*backend, error) {
	db, err := sqlite.Open(ctx, sqlite.Config{Dir: cfg.DataDir, Logger: riverLogger(log)}) // only River's migrator logs there
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(riversqlite.New(db.SQL()), rcfg.Config())
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("river client: %w", err)
	}
	s := db.Stores(client)
	return &backend{
		kind:    "sqlite",
		stores:  stores{s.Accounts, s.Clusters, s.Workers, s.Cloud},
		checker: db,
		jobs:    client,
		counts:  jobCounts(func(ctx context.Context) ([]metrics.JobCount, error) { return convertCounts(db.JobCounts(ctx)) }),
		sqlDB:   db.SQL(),
		ping: func(ctx context.Context) error {
			var one int
			return db.SQL().QueryRowContext(ctx, "SELECT 1").Scan(&one)
		},
		changes: db.Changes,
		prepare: db.RequeueRunningJobs,
		close:   db.Close,
	}, nil
}

func openPostgres(ctx context.Context, cfg serveConfig, rcfg task.RiverConfig, log *slog.Logger) (*backend, error) {
	key, err := secretKey(os.Getenv("ACKSCALE_SECRET_KEY"))
	if err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: cfg.Database, Schema: cfg.Schema, SecretKey: key, Logger: riverLogger(log)})
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), rcfg.Config())
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("river client: %w", err)
	}
	s := db.Stores(client)
	return &backend{
		kind:    "postgres",
		stores:  stores{s.Accounts, s.Clusters, s.Workers, s.Cloud},
		checker: db,
		jobs:    client,
		counts:  jobCounts(func(ctx context.Context) ([]metrics.JobCount, error) { return convertCounts(db.JobCounts(ctx)) }),
		pg:      db,
		ping:    db.Pool().Ping,
		prepare: func(context.Context) error { return nil },
		close:   db.Close,
	}, nil
}

var _ jobClient = (*river.Client[pgx.Tx])(nil)

// secretKey decodes ACKSCALE_SECRET_KEY: the 32-byte key that seals access
// key secrets in PostgreSQL, which every replica must share.
func secretKey(v string) ([]byte, error) {
	const how = "set ACKSCALE_SECRET_KEY to 32 random bytes in hex (openssl rand -hex 32), the same for every replica"
	if v == "" {
		return nil, errors.New("--database postgres: no secret key to seal access keys with: " + how)
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("ACKSCALE_SECRET_KEY is not 32 bytes in hex or base64: " + how)
}

// redactURL hides a URL's password, for messages.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndex(s, "@"); at > i {
			userinfo := s[i+3 : at]
			if c := strings.Index(userinfo, ":"); c >= 0 {
				return s[:i+3] + userinfo[:c] + ":xxxxx" + s[at:]
			}
		}
	}
	return s
}

// jobCounts adapts a database's count of River's jobs to the metrics.
type jobCounts func(ctx context.Context) ([]metrics.JobCount, error)

// JobCounts counts River's jobs by state.
func (f jobCounts) JobCounts(ctx context.Context) ([]metrics.JobCount, error) { return f(ctx) }

// convertCounts copies either store's job counts into the metrics' type.
func convertCounts[C sqlite.JobCount | postgres.JobCount](cs []C, err error) ([]metrics.JobCount, error) {
	out := make([]metrics.JobCount, 0, len(cs))
	for _, c := range cs {
		out = append(out, metrics.JobCount(c))
	}
	return out, err
}
