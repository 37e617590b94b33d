package postgres

import (
	"context"
	"database/sql"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // to apply SQLite's migrations and compare
)

// sqliteMigrations is where package sqlite keeps its migrations.
const sqliteMigrations = "../sqlite/migration"

// pgOnlyIndexes are the indexes that only PostgreSQL has, with why.
var pgOnlyIndexes = map[string]string{
	"clusters_live_name": "SQLite's one writer serializes ClusterCreate's name check",
}

// TestMigrationsMatchSQLite: both stores have one list of migrations —
// each of ours has its twin of the same name in sqlite/migration, and no
// other — and a new migration is written for both or fails here.
func TestMigrationsMatchSQLite(t *testing.T) {
	t.Parallel()
	ours, err := migrationNames()
	require.NoError(t, err)
	for i, name := range ours {
		ours[i] = path.Base(name)
	}
	require.Equal(t, sqliteNames(t), ours)
}

func sqliteNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(sqliteMigrations)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	require.NotEmpty(t, names)
	return names
}

// TestMigratedSchemaMatchesSQLite applies SQLite's migrations to an
// in-memory SQLite database and ours to a schema, and compares what they
// made: the same tables, each with the same columns, and the same
// indexes (but pgOnlyIndexes).
func TestMigratedSchemaMatchesSQLite(t *testing.T) {
	t.Parallel()
	db := openTestDB(t)
	require.Equal(t, sqliteSchema(t), pgSchema(t, db))
}

// schema is a database's tables (with their columns, in order) and its
// indexes, by name.
type schema struct {
	Tables  map[string][]string
	Indexes []string
}

func sqliteSchema(t *testing.T) schema {
	t.Helper()
	db, err := sql.Open("sqlite", "file::memory:")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, name := range sqliteNames(t) {
		body, err := os.ReadFile(filepath.Join(sqliteMigrations, name))
		require.NoError(t, err)
		_, err = db.Exec(string(body))
		require.NoError(t, err, name)
	}
	s := schema{Tables: map[string][]string{}}
	rows, err := db.Query(`SELECT m.type, m.name, p.name FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' OR (m.type = 'index' AND m.sql IS NOT NULL) ORDER BY m.name, p.cid`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var typ, name string
		var column sql.NullString
		require.NoError(t, rows.Scan(&typ, &name, &column))
		if typ == "index" {
			s.Indexes = append(s.Indexes, name)
			continue
		}
		s.Tables[name] = append(s.Tables[name], column.String)
	}
	require.NoError(t, rows.Err())
	return s
}

func pgSchema(t *testing.T, db *testDB) schema {
	t.Helper()
	ctx := context.Background()
	s := schema{Tables: map[string][]string{}}
	rows, err := db.Pool().Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name NOT LIKE 'river\_%' AND table_name <> 'schema_migrations'
		ORDER BY table_name, ordinal_position`, db.schema)
	require.NoError(t, err)
	type column struct{ Table, Name string }
	columns, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	require.NoError(t, err)
	for _, c := range columns {
		s.Tables[c.Table] = append(s.Tables[c.Table], c.Name)
	}
	// Indexes made by CREATE INDEX, not by a key constraint.
	rows, err = db.Pool().Query(ctx, `SELECT i.indexname FROM pg_indexes i
		WHERE i.schemaname = $1 AND i.tablename NOT LIKE 'river\_%' AND i.tablename <> 'schema_migrations'
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)
		ORDER BY i.indexname`, db.schema)
	require.NoError(t, err)
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	for _, name := range indexes {
		if pgOnlyIndexes[name] == "" {
			s.Indexes = append(s.Indexes, name)
		}
	}
	return s
}
