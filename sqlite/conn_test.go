package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// openCachingConn opens a pool of one connection with a statement cache
// on a new database holding the numbers 1 to 5, and returns that
// connection.
func openCachingConn(t *testing.T) *sql.Conn {
	t.Helper()
	pool, err := openPool("file:"+filepath.Join(t.TempDir(), "cache.db"), 1)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, pool.Close()) })
	_, err = pool.Exec(`CREATE TABLE n (v INTEGER PRIMARY KEY); INSERT INTO n VALUES (1), (2), (3), (4), (5)`)
	require.NoError(t, err)
	conn, err := pool.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// column reads the first column of query's rows.
func column(t *testing.T, rows *sql.Rows) []int {
	t.Helper()
	var out []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	return out
}

// TestStatementCacheNested runs a statement again while rows read from
// its cached copy are open: it runs as a statement of its own, and both
// read their rows.
func TestStatementCacheNested(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := openCachingConn(t)
	const q = `SELECT v FROM n WHERE v >= ? ORDER BY v`
	outer, err := conn.QueryContext(ctx, q, 1)
	require.NoError(t, err)
	var got [][]int
	for outer.Next() {
		var v int
		require.NoError(t, outer.Scan(&v))
		inner, err := conn.QueryContext(ctx, q, 4)
		require.NoError(t, err)
		got = append(got, append([]int{v}, column(t, inner)...))
	}
	require.NoError(t, outer.Err())
	require.NoError(t, outer.Close())
	require.Equal(t, [][]int{{1, 4, 5}, {2, 4, 5}, {3, 4, 5}, {4, 4, 5}, {5, 4, 5}}, got)
	rows, err := conn.QueryContext(ctx, q, 3) // the cached copy is free again
	require.NoError(t, err)
	require.Equal(t, []int{3, 4, 5}, column(t, rows))
}

// TestStatementCacheEvictsBusy fills the cache while rows of its oldest
// statement are open: that statement leaves the cache, but its rows read
// on, and it is prepared again when next run.
func TestStatementCacheEvictsBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := openCachingConn(t)
	const q = `SELECT v FROM n ORDER BY v`
	rows, err := conn.QueryContext(ctx, q)
	require.NoError(t, err)
	require.True(t, rows.Next())
	for i := range stmtCacheSize + 10 {
		var v int
		require.NoError(t, conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&v))
		require.Equal(t, i, v)
	}
	var first int
	require.NoError(t, rows.Scan(&first))
	require.Equal(t, []int{1, 2, 3, 4, 5}, append([]int{first}, column(t, rows)...))
	rows, err = conn.QueryContext(ctx, q)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 4, 5}, column(t, rows))
}

// TestStatementCacheErrors: a statement that fails to prepare is not
// cached, and one that fails to run runs again.
func TestStatementCacheErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := openCachingConn(t)
	_, err := conn.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`)
	require.ErrorContains(t, err, "no such table")
	_, err = conn.ExecContext(ctx, `INSERT INTO n (v) VALUES (?)`, 1)
	require.True(t, isUniqueViolation(err), "want a unique violation, got %v", err)
	_, err = conn.ExecContext(ctx, `INSERT INTO n (v) VALUES (?)`, 6)
	require.NoError(t, err)
	rows, err := conn.QueryContext(ctx, `SELECT v FROM n ORDER BY v`)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 4, 5, 6}, column(t, rows))
}
