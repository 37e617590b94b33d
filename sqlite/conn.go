package sqlite

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
)

// Prepared statements: every connection this package opens keeps the
// statements it ran, prepared, by their SQL text (the last stmtCacheSize
// of them), and runs a statement it has seen again without parsing it.
// Parsing SQL (sqlite3Prepare) was a quarter of the accept path's CPU;
// the cache sits under database/sql, so it serves ours and River's
// statements alike, in transactions or not, with no change at the call
// sites. pgx does the same by default (QueryExecModeCacheStatement), as
// does Python's sqlite3 module (cached_statements).

// stmtCacheSize is how many prepared statements a connection keeps.
// Statements with an IN list of n values are n texts; the rest of ours
// and River's are fewer than a hundred.
const stmtCacheSize = 256

// cachingConnector opens connections with a statement cache.
type cachingConnector struct{ driver.Connector }

// Connect opens a connection of the wrapped connector and gives it a
// statement cache.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

// innerConn is what cachingConn needs of a driver's connection (modernc's
// has all of it).
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// innerStmt is what cachingConn needs of a driver's statement.
type innerStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachingConn is a connection whose ExecContext and QueryContext run
// prepared statements from its cache. database/sql uses a connection from
// one goroutine at a time, so it needs no lock.
type cachingConn struct {
	innerConn
	stmts map[string]*list.Element // of *cachedStmt, most recently used first in lru
	lru   *list.List
}

// cachedStmt is a prepared statement of a cachingConn.
type cachedStmt struct {
	query string
	stmt  innerStmt
	// busy: rows read from it are open; running it again would reset them,
	// so meanwhile the same text runs as a statement of its own.
	busy bool
	// evicted: it left the cache while busy, to be closed with its rows.
	evicted bool
}

var (
	_ driver.ExecerContext  = (*cachingConn)(nil)
	_ driver.QueryerContext = (*cachingConn)(nil)
)

func newCachingConn(conn driver.Conn) (*cachingConn, error) {
	inner, ok := conn.(innerConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqlite: the driver's connection lacks an interface the statement cache needs")
	}
	return &cachingConn{innerConn: inner, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		if s := e.Value.(*cachedStmt); !s.busy {
			errs = append(errs, s.stmt.Close())
		}
	}
	c.stmts, c.lru = nil, list.New()
	return errors.Join(append(errs, c.innerConn.Close())...)
}

// ExecContext runs query, prepared once.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil { // its cached statement is busy
		st, err := c.prepare(ctx, query)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		return st.ExecContext(ctx, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

// QueryContext runs query, prepared once. The statement is busy until its
// rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil { // its cached statement is busy: one of its own, closed with its rows
		st, err := c.prepare(ctx, query)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(ctx, args)
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		return &cachedRows{Rows: rows, done: func() error { return st.Close() }}, nil
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, done: func() error { return c.release(s) }}, nil
}

// stmt returns query's cached statement, preparing and caching it the
// first time; nil when it is busy.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		s := e.Value.(*cachedStmt)
		if s.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return s, nil
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(s)
	if c.lru.Len() > stmtCacheSize {
		c.evict(c.lru.Back())
	}
	return s, nil
}

// evict drops a statement from the cache, closing it unless rows read
// from it are open (then they close it).
func (c *cachingConn) evict(e *list.Element) {
	s := c.lru.Remove(e).(*cachedStmt)
	delete(c.stmts, s.query)
	if s.busy {
		s.evicted = true
		return
	}
	_ = s.stmt.Close()
}

// release marks a statement free once its rows are closed.
func (c *cachingConn) release(s *cachedStmt) error {
	s.busy = false
	if s.evicted {
		return s.stmt.Close()
	}
	return nil
}

func (c *cachingConn) prepare(ctx context.Context, query string) (innerStmt, error) {
	st, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	is, ok := st.(innerStmt)
	if !ok {
		_ = st.Close()
		return nil, errors.New("sqlite: the driver's statement lacks ExecContext or QueryContext")
	}
	return is, nil
}

// cachedRows are rows of a cached statement: closing them frees it.
type cachedRows struct {
	driver.Rows
	done func() error
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if done := r.done; done != nil {
		r.done = nil
		err = errors.Join(err, done())
	}
	return err
}

// The column type methods pass through to the driver's rows, as database/sql's
// Rows.ColumnTypes expects.

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if ct, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return ct.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if ct, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return ct.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return ct.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return ct.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return ct.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
