package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// The tests that need PostgreSQL read its URL from TEST_DATABASE_URL
// (.ci/run starts a server and sets it). Without it they skip, except
// under CI=true, where a missing or unreachable database fails them: a
// skip must never hide a missing dependency.
const envURL = "TEST_DATABASE_URL"

// admin is one pool on the test database, outside the tests' schemas: it
// empties and drops them.
var admin struct {
	once sync.Once
	url  string
	pool *pgxpool.Pool
	err  error
}

// spare holds migrated test schemas, each open as a DB, that tests have
// given back emptied: migrating River's tables anew for each of the
// conformance suite's hundreds of subtests would be most of their time.
var spare struct {
	mu  sync.Mutex
	dbs []*testDB
}

// testDB is a DB in a test schema of its own.
type testDB struct {
	*DB
	schema string
}

func TestMain(m *testing.M) {
	code := m.Run()
	spare.mu.Lock()
	for _, db := range spare.dbs {
		db.Close()
		if _, err := admin.pool.Exec(context.Background(), `DROP SCHEMA `+db.schema+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "drop schema %s: %v\n", db.schema, err)
			code = max(code, 1)
		}
	}
	spare.mu.Unlock()
	if admin.pool != nil {
		admin.pool.Close()
	}
	os.Exit(code)
}

// testURL returns the test database's URL after checking, once, that it
// answers; the test skips without one (fails under CI=true).
func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(envURL)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)", envURL)
		}
		t.Skipf("%s is not set (e.g. postgres://ackscale:ackscale@127.0.0.1:5432/ackscale_test?sslmode=disable)", envURL)
	}
	admin.once.Do(func() {
		admin.url = url
		admin.pool, admin.err = pgxpool.New(context.Background(), url)
		if admin.err == nil {
			admin.err = admin.pool.Ping(context.Background())
		}
		if admin.err == nil {
			admin.err = dropStaleSchemas(context.Background())
		}
	})
	require.NoError(t, admin.err, "%s is set but the database does not answer", envURL)
	return url
}

// testKey is the secret key of the tests' databases.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// schemaSeq numbers this process's test schemas.
var schemaSeq atomic.Int64

// schemaPrefix starts the names of the test schemas; the process id
// follows, so that a run can drop what a killed run left.
const schemaPrefix = "test_"

// newSchemaName returns the name of a schema no other test uses.
func newSchemaName() string {
	return fmt.Sprintf("%s%d_%d", schemaPrefix, os.Getpid(), schemaSeq.Add(1))
}

// newSchema returns the name of a new schema, dropped with everything in
// it when t ends.
func newSchema(t testing.TB) string {
	t.Helper()
	schema := newSchemaName()
	t.Cleanup(func() {
		_, err := admin.pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		require.NoError(t, err, "drop schema %s", schema)
	})
	return schema
}

// dropStaleSchemas drops the test schemas of test processes that are no
// longer running (killed before their TestMain dropped them).
func dropStaleSchemas(ctx context.Context) error {
	rows, err := admin.pool.Query(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, schemaPrefix)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		pid, _, _ := strings.Cut(strings.TrimPrefix(name, schemaPrefix), "_")
		n, err := strconv.Atoi(pid)
		if err != nil || syscall.Kill(n, 0) == nil || n == os.Getpid() {
			continue // not ours, or its process runs
		}
		if _, err := admin.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			return err
		}
	}
	return nil
}

// openTestDB returns a migrated, empty database of its own: a schema of
// the test database that no other test uses until t ends, when it is
// emptied and kept for another test.
func openTestDB(t testing.TB) *testDB {
	t.Helper()
	url := testURL(t)
	spare.mu.Lock()
	var db *testDB
	if n := len(spare.dbs); n > 0 {
		db, spare.dbs = spare.dbs[n-1], spare.dbs[:n-1]
	}
	spare.mu.Unlock()
	if db == nil {
		schema := newSchemaName()
		opened, err := Open(context.Background(), Config{URL: url, Schema: schema, SecretKey: testKey, MaxConns: 8})
		require.NoError(t, err)
		db = &testDB{DB: opened, schema: schema}
	}
	t.Cleanup(func() {
		if err := db.empty(context.Background()); err != nil {
			db.Close()
			_, _ = admin.pool.Exec(context.Background(), `DROP SCHEMA `+db.schema+` CASCADE`)
			t.Errorf("empty schema %s: %v", db.schema, err)
			return
		}
		spare.mu.Lock()
		spare.dbs = append(spare.dbs, db)
		spare.mu.Unlock()
	})
	return db
}

// replica opens another DB on db's schema, as a second replica would,
// closed when t ends.
func (db *testDB) replica(t testing.TB) *DB {
	t.Helper()
	other, err := Open(context.Background(), Config{URL: testURL(t), Schema: db.schema, SecretKey: testKey, MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, other.Close()) })
	return other
}

// empty deletes the rows of every table of the schema but the
// migrations' (DELETE: faster than TRUNCATE on tables this small).
func (db *testDB) empty(ctx context.Context) error {
	rows, err := admin.pool.Query(ctx, `SELECT quote_ident(tablename) FROM pg_tables
		WHERE schemaname = $1 AND tablename NOT IN ('schema_migrations', 'river_migration')
		ORDER BY tablename IN ('accounts', 'river_client'), tablename`, db.schema) // referenced ones last
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "DELETE FROM %s.%s;\n", db.schema, table)
	}
	_, err = admin.pool.Exec(ctx, b.String())
	return err
}
