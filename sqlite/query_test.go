package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingQuerier counts the single-row queries (the counts) it runs.
type countingQuerier struct {
	*sql.DB
	counts int
}

func (q *countingQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	q.counts++
	return q.DB.QueryRowContext(ctx, query, args...)
}

// TestQueryPage: every page has the rows and the total of the rows
// selected; the count runs only when the page cannot tell the total.
func TestQueryPage(t *testing.T) {
	t.Parallel()
	b := setupBatch(t)
	for _, k := range []string{"a", "b", "c", "d", "e", "x1"} {
		require.NoError(t, b.db.inTx(b.ctx, insert(k)))
	}
	scan := func(r scanner) (string, error) {
		var k string
		return k, r.Scan(&k)
	}
	letters := filter{}
	letters.add(`length(k) = 1`)
	for _, c := range []struct {
		f             filter
		offset, limit int
		want          []string
		total         int
		counted       bool
	}{
		{letters, 0, 0, []string{"a", "b", "c", "d", "e"}, 5, false},
		{letters, 0, 10, []string{"a", "b", "c", "d", "e"}, 5, false},
		{letters, 0, 5, []string{"a", "b", "c", "d", "e"}, 5, true}, // a full page: more may follow
		{letters, 0, 2, []string{"a", "b"}, 5, true},
		{letters, 2, 0, []string{"c", "d", "e"}, 5, false},
		{letters, 4, 2, []string{"e"}, 5, false},
		{letters, 5, 2, nil, 5, true}, // past the end: how far?
		{letters, 9, 0, nil, 5, true},
		{letters, -1, 2, []string{"a", "b"}, 5, true},
		{filter{}, 3, 10, []string{"d", "e", "x1"}, 6, false},
		{func() filter { f := filter{}; f.eq("k", "none"); return f }(), 0, 10, nil, 0, false},
	} {
		t.Run(fmt.Sprintf("%s offset %d limit %d", c.f.sql(), c.offset, c.limit), func(t *testing.T) {
			q := &countingQuerier{DB: b.db.read}
			got, total, err := queryPage(b.ctx, q, scan, "scratch", "k", "scratch", c.f, "k", c.offset, c.limit)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Equal(t, c.total, total)
			require.Equal(t, c.counted, q.counts == 1, "count queries: %d", q.counts)
		})
	}
}

// TestRowScan: a row in memory scans like a row of a table into the
// pointers of its values' types, and refuses anything else.
func TestRowScan(t *testing.T) {
	var (
		s string
		n int64
		b bool
	)
	require.NoError(t, row{"a", int64(2), true}.Scan(&s, &n, &b))
	require.Equal(t, "a", s)
	require.Equal(t, int64(2), n)
	require.True(t, b)
	for _, tc := range []struct {
		name string
		r    row
		dest []any
	}{
		{"fewer values", row{"a"}, []any{&s, &n}},
		{"more values", row{"a", int64(1)}, []any{&s}},
		{"an int into a string", row{int64(1)}, []any{&s}},
		{"a string into an int", row{"1"}, []any{&n}},
		{"an int into an int", row{1}, []any{&n}},
		{"an unknown destination", row{1.5}, []any{new(float64)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.r.Scan(tc.dest...))
		})
	}
}

// TestUpdateReturning: the changed row's values, or no row and explain's
// error (none without an explain), or the statement's own error with
// what it was doing.
func TestUpdateReturning(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	_, err := db.SQL().Exec(`CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO things VALUES ('a', 1)`)
	require.NoError(t, err)
	gone := fmt.Errorf("no such thing")
	for _, tc := range []struct {
		name      string
		query     string
		id        string
		explain   func() error
		wantFound bool
		wantN     int64
		wantErr   string
	}{
		{"changed", `UPDATE things SET n = n + 1 WHERE id = ? RETURNING n`, "a", nil, true, 2, ""},
		{"none, explained", `UPDATE things SET n = n + 1 WHERE id = ? RETURNING n`, "b", func() error { return gone }, false, 0, "no such thing"},
		{"none, no explain", `DELETE FROM things WHERE id = ? RETURNING n`, "b", nil, false, 0, ""},
		{"the statement's error", `UPDATE nothings SET n = 1 WHERE id = ? RETURNING n`, "a", nil, false, 0, "bump a: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n int64
			found, err := updateReturning(ctx, db.SQL(), "bump "+tc.id, tc.explain, tc.query, []any{tc.id}, &n)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantFound, found)
			require.Equal(t, tc.wantN, n)
		})
	}
}
