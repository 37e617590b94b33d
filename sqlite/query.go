package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// in returns "col IN (?, ...)" and its arguments. An empty list gives an
// IN () that matches nothing, which SQLite allows.
func in[S ~string](col string, vals []S) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

// filter collects the conditions of a WHERE clause.
type filter struct {
	where []string
	args  []any
}

// eq adds "col = v" unless v is "".
func (f *filter) eq(col, v string) {
	if v != "" {
		f.add(col+" = ?", v)
	}
}

// add adds a condition and its arguments.
func (f *filter) add(cond string, args ...any) {
	f.where = append(f.where, cond)
	f.args = append(f.args, args...)
}

// oneOf adds "col IN (vals)" unless vals is empty (which means all).
func oneOf[S ~string](f *filter, col string, vals []S) {
	if len(vals) > 0 {
		cond, args := in(col, vals)
		f.add(cond, args...)
	}
}

// sql returns the WHERE clause ("" when there is no condition).
func (f *filter) sql() string {
	if len(f.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.where, " AND ")
}

// page returns LIMIT and OFFSET arguments; a limit of 0 is no limit.
func page(offset, limit int) []any {
	if limit <= 0 {
		limit = -1
	}
	return []any{limit, max(offset, 0)}
}

// scanner reads a row: a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// row is a row's values in memory, as a scanner: a scan function reads
// what a write is about to store as it would read it back. Its values
// are strings, int64s and bools, scanned into pointers of the same type.
type row []any

func (r row) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("scan row: %d values into %d destinations", len(r), len(dest))
	}
	for i, d := range dest {
		if !scanValue(d, r[i]) {
			return fmt.Errorf("scan row: value %d is a %T, not for a %T", i, r[i], d)
		}
	}
	return nil
}

func scanValue(dest, v any) bool {
	switch d := dest.(type) {
	case *string:
		s, ok := v.(string)
		*d = s
		return ok
	case *int64:
		n, ok := v.(int64)
		*d = n
		return ok
	case *bool:
		b, ok := v.(bool)
		*d = b
		return ok
	}
	return false
}

// querier runs queries: a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// execer runs statements: a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// queryOne runs a query of one row, read by scan; notFound's error when
// there is no row. scan's other errors are returned as they are.
func queryOne[T any](ctx context.Context, q querier, scan func(scanner) (T, error), notFound func() error,
	query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound()
	}
	return v, err
}

// queryAll runs query and returns its rows, each read by scan, in order;
// no rows give a nil slice. Errors of the query and of reading the rows
// read "what: …"; scan's errors are returned as they are.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// scanFields returns a scan function for queryAll that reads a row's
// columns into the fields of a T that fields points to, in column order;
// its errors read "what: …".
func scanFields[T any](what string, fields func(*T) []any) func(scanner) (T, error) {
	return func(r scanner) (T, error) {
		var v T
		if err := r.Scan(fields(&v)...); err != nil {
			return v, fmt.Errorf("%s: %w", what, err)
		}
		return v, nil
	}
}

// orEmpty passes on a list and its error, but a nil list without an error
// as an empty one: for the lists that answer [] rather than nil.
func orEmpty[T any](list []T, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return nonNil(list), nil
}

// queryCount runs a query of one count; its error reads "what: …".
func queryCount(ctx context.Context, q querier, what, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// queryPage returns one page of the rows of from (a table, or a join)
// that f selects, each read by scan, and how many rows f selects in all:
//
//	SELECT columns FROM from WHERE f ORDER BY order LIMIT limit OFFSET offset
//	SELECT count(*) FROM from WHERE f
//
// (a limit of 0 is no limit). The count is not run when the page says it:
// a page short of its limit that starts at the first row, or has rows,
// ends at the last one (a task's workers, a small cluster's nodes). Their
// errors read "list what: …" and "count what: …"; scan's are returned as
// they are.
func queryPage[T any](ctx context.Context, q querier, scan func(scanner) (T, error),
	what, columns, from string, f filter, order string, offset, limit int) ([]T, int, error) {
	list, err := queryAll(ctx, q, "list "+what, scan,
		`SELECT `+columns+` FROM `+from+f.sql()+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(f.args, page(offset, limit)...)...)
	if err != nil {
		return nil, 0, err
	}
	offset = max(offset, 0)
	if (limit <= 0 || len(list) < limit) && (offset == 0 || len(list) > 0) {
		return list, offset + len(list), nil
	}
	total, err := queryCount(ctx, q, "count "+what, `SELECT count(*) FROM `+from+f.sql(), f.args...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// exec runs a statement; its error reads "what: …".
func exec(ctx context.Context, e execer, what, query string, args ...any) error {
	if _, err := e.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// changed runs a statement and returns how many rows it changed; its
// errors read "what: …".
func changed(ctx context.Context, e execer, what, query string, args ...any) (int64, error) {
	res, err := e.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// updateReturning runs a statement that changes at most one row and
// returns it (UPDATE or DELETE … RETURNING), its values read into dest;
// found reports whether it changed a row. When it changes none, err is
// explain's (a nil explain: that is no error). Its own errors read
// "what: …".
func updateReturning(ctx context.Context, q querier, what string, explain func() error, query string, args []any, dest ...any) (found bool, err error) {
	err = q.QueryRowContext(ctx, query, args...).Scan(dest...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if explain == nil {
			return false, nil
		}
		return false, explain()
	case err != nil:
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
}

// updateOne runs a conditional UPDATE of one row. When it changes no row,
// it returns explain's error: why not (the row is missing, or its state
// may not move). Its own errors read "what: …".
func updateOne(ctx context.Context, e execer, what string, explain func() error, query string, args ...any) error {
	n, err := changed(ctx, e, what, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return explain()
	}
	return nil
}
