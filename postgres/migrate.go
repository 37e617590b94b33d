package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrations: migration/NNN_name.sql, applied in name order, each once and
// in a transaction of its own, recorded by name in schema_migrations as
// package sqlite records its own. Both stores have the same list: each
// file here makes, in PostgreSQL, the change of the file of the same name
// in sqlite/migration (TestMigrationsMatchSQLite checks the names and the
// tables and columns they make). River's tables are River's: rivermigrate
// makes them, after ours.

//go:embed migration/*.sql
var migrations embed.FS

// migrationNames returns the embedded migrations' paths, in order.
func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrations, "migration/*.sql")
	slices.Sort(names)
	return names, err
}

// migrate brings the schema up to date: ours, then River's. It holds a
// session advisory lock on a connection of its own meanwhile, so that
// replicas starting together migrate one at a time; closing that
// connection frees the lock whatever happens.
func (db *DB) migrate(ctx context.Context, connCfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, connCfg.Copy())
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := lockSchema(ctx, conn, schema); err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT COLLATE "C" PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := migrationNames()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		if err := db.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(db.pool), &rivermigrate.Config{Logger: db.log})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// lockSchema takes the migration lock of a schema (Config.Schema, or ""
// for the connection's current one) on conn, and creates the schema if it
// does not exist yet.
func lockSchema(ctx context.Context, conn *pgx.Conn, schema string) error {
	name := schema
	if name == "" {
		if err := conn.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&name); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if name == "" {
			return fmt.Errorf("migrate: no schema of the search_path exists; set Config.Schema")
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, "ackscale migrate "+name); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if exists { // CREATE SCHEMA IF NOT EXISTS would need the right to create one even so
		return nil
	}
	// Config.validate checked the name.
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("migrate: create schema %s: %w", name, err)
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, name string) error {
	return db.tryTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if n > 0 {
			return nil
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		// Without arguments pgx sends the file by the simple protocol,
		// which runs several statements.
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		return nil
	})
}
