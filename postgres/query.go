package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// params collects the arguments of a statement in the order they are
// added, and names each by its placeholder ($1, $2, …), so that pieces of
// a statement can be built in any order.
type params struct{ args []any }

// arg adds v and returns its placeholder.
func (p *params) arg(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// with returns a copy of the arguments with more after them.
func (p *params) with(more ...any) []any {
	return append(append([]any(nil), p.args...), more...)
}

// filter collects the conditions of a WHERE clause and their arguments.
type filter struct {
	params
	where []string
}

// add adds a condition built with f.arg.
func (f *filter) add(cond string) { f.where = append(f.where, cond) }

// eq adds "col = v" unless v is "".
func (f *filter) eq(col, v string) {
	if v != "" {
		f.add(col + " = " + f.arg(v))
	}
}

// oneOf adds "col = ANY(vals)" unless vals is empty (which means all).
func oneOf[S ~string](f *filter, col string, vals []S) {
	if len(vals) > 0 {
		f.add(anyOf(f, col, vals))
	}
}

// anyOf returns "col = ANY($n)" for the list vals; an empty list matches
// nothing.
func anyOf[S ~string](p interface{ arg(any) string }, col string, vals []S) string {
	return col + " = ANY(" + p.arg(strs(vals)) + ")"
}

// strs converts a list of named strings to []string (never nil: a nil
// slice would be sent as NULL, and "= ANY(NULL)" is NULL, not false).
func strs[S ~string](vals []S) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// sql returns the WHERE clause ("" when there is no condition).
func (f *filter) sql() string {
	if len(f.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.where, " AND ")
}

// querier runs statements: a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner reads a row: a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryOne runs a query of one row, read by scan; notFound's error when
// there is no row. scan's other errors are returned as they are.
func queryOne[T any](ctx context.Context, q querier, scan func(scanner) (T, error), notFound func() error,
	query string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, notFound()
	}
	return v, err
}

// queryAll runs query and returns its rows, each read by scan, in order;
// no rows give a nil slice. Errors of the query and of reading the rows
// read "what: …"; scan's errors are returned as they are.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
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

// scanFields returns a scan function that reads a row's columns into the
// fields of a T that fields points to, in column order; its errors read
// "what: …".
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

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// queryCount runs a query of one count; its error reads "what: …".
func queryCount(ctx context.Context, q querier, what, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// queryPage returns one page of the rows of from (a table, or a join)
// that f selects, each read by scan, and how many rows f selects in all:
//
//	SELECT count(*) FROM from WHERE f
//	SELECT columns FROM from WHERE f ORDER BY order LIMIT limit OFFSET offset
//
// (a limit of 0 is no limit: LIMIT NULL). Their errors read "count what:
// …" and "list what: …"; scan's are returned as they are.
func queryPage[T any](ctx context.Context, q querier, scan func(scanner) (T, error),
	what, columns, from string, f filter, order string, offset, limit int) ([]T, int, error) {
	total, err := queryCount(ctx, q, "count "+what, `SELECT count(*) FROM `+from+f.sql(), f.args...)
	if err != nil {
		return nil, 0, err
	}
	var lim any
	if limit > 0 {
		lim = limit
	}
	n := len(f.args)
	list, err := queryAll(ctx, q, "list "+what, scan,
		`SELECT `+columns+` FROM `+from+f.sql()+` ORDER BY `+order+fmt.Sprintf(` LIMIT $%d OFFSET $%d`, n+1, n+2),
		f.with(lim, max(offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// exec runs a statement; its error reads "what: …".
func exec(ctx context.Context, q querier, what, query string, args ...any) error {
	if _, err := q.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// changed runs a statement and returns how many rows it changed; its
// errors read "what: …".
func changed(ctx context.Context, q querier, what, query string, args ...any) (int64, error) {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return tag.RowsAffected(), nil
}

// updateOne runs a conditional UPDATE of one row. When it changes no row,
// it returns explain's error: why not (the row is missing, or its state
// may not move). Its own errors read "what: …".
func updateOne(ctx context.Context, q querier, what string, explain func() error, query string, args ...any) error {
	n, err := changed(ctx, q, what, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return explain()
	}
	return nil
}
